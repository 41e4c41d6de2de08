#pragma once

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>
#include <optional>

namespace jarvis::realtime {

class EngineServer;
class EngineSocket;
class Namespace;
class SioClient;
struct EncodedPacket;

// Arguments of an event or an ack: JSON values, where binary blobs are placeholders
// ({"_placeholder":true,"num":N}, see sio::placeholder) standing for `attachments[N]`.
struct Message
{
    QJsonArray args;
    QList<QByteArray> attachments;

    // One argument, no attachment: what most events and acks carry.
    static Message of(const QJsonValue &value) { return Message {QJsonArray {value}, {}}; }
};

// Called with the peer's reply to an emit-with-ack, or by a handler to answer the peer's ack.
using AckCallback = std::function<void(const Message &reply)>;

struct ConnectError
{
    QString message;
    QJsonValue data = QJsonValue(QJsonValue::Undefined);
};

// One client's connection to one namespace. Owned by its connection; main thread. Use QPointer
// to keep it across event-loop turns.
class SioSocket : public QObject
{
    Q_OBJECT
public:
    SioSocket(const QString &id, Namespace *nsp, SioClient *client);

    QString id() const { return m_id; }
    Namespace *nsp() const { return m_nsp; }
    EngineSocket *engine() const;
    bool isConnected() const { return m_connected; }

    // The auth payload of the client's CONNECT ({} when it sent none).
    QJsonObject auth() const { return m_auth; }
    // Identity set by the namespace middleware (the JWT subject).
    QString user() const { return m_user; }
    void setUser(const QString &user) { m_user = user; }

    // Emits `event` to this socket; `ack`, if set, is called with the client's reply.
    void emitEvent(const QString &event, const Message &message = {}, AckCallback ack = {});
    // Emits `event` with arguments already written as JSON text (see encodeEventRaw()); no ack.
    // `compress` false sends it uncompressed even where permessage-deflate was negotiated.
    void emitRaw(const QString &event, const QByteArray &jsonArgs, bool compress = true);
    // Server-side disconnect from this namespace (the connection and other namespaces stay).
    void disconnectFromNamespace();

Q_SIGNALS:
    void disconnected(const QString &reason);

private:
    friend class SioClient;
    void onAck(qint64 id, const Message &message);
    void markDisconnected(const QString &reason);

    QString m_id;
    Namespace *m_nsp;
    SioClient *m_client;
    QJsonObject m_auth;
    QString m_user;
    bool m_connected = true;
    qint64 m_nextAckId = 0;
    QHash<qint64, AckCallback> m_pendingAcks;
};

// A Socket.IO namespace: an auth middleware run on CONNECT, event handlers, and a broadcast that
// encodes its packet once for every connected socket. Owned by SioServer.
class Namespace : public QObject
{
    Q_OBJECT
public:
    // Returns an error to refuse the connection.
    using Middleware =
        std::function<std::optional<ConnectError>(SioSocket *socket, const QJsonValue &auth)>;
    // `ack` is empty when the client asked for none.
    using EventHandler =
        std::function<void(SioSocket *socket, const Message &message, const AckCallback &ack)>;

    Namespace(const QString &name, QObject *parent);

    QString name() const { return m_name; }
    void setMiddleware(Middleware middleware) { m_middleware = std::move(middleware); }
    void on(const QString &event, EventHandler handler)
    {
        m_handlers.insert(event, std::move(handler));
    }

    // Latest: a snapshot that the next one replaces; a client too far behind skips it.
    // Reliable: every client gets it (one hopelessly behind is disconnected).
    enum class Delivery { Reliable, Latest };
    void broadcast(
        const QString &event, const Message &message = {}, Delivery delivery = Delivery::Reliable);
    // Like broadcast() with arguments already written as JSON text (see encodeEventRaw()).
    void broadcastRaw(
        const QString &event, const QByteArray &jsonArgs, Delivery delivery = Delivery::Reliable);
    quint64 skippedSnapshots() const { return m_skipped; }
    // Per event, all time (for the metrics): broadcasts sent to at least one socket, the bytes of
    // their packets times the sockets that were sent them (before framing and compression), and
    // the deliveries skipped for clients too far behind (Delivery::Latest).
    struct BroadcastStats
    {
        quint64 broadcasts = 0;
        quint64 bytes = 0;
        quint64 skipped = 0;
    };
    const QHash<QString, BroadcastStats> &broadcastStats() const { return m_stats; }
    void setCompressionLevel(int level) { m_compressionLevel = level; }
    QList<SioSocket *> sockets() const { return m_sockets; }

Q_SIGNALS:
    void connected(jarvis::realtime::SioSocket *socket);

private:
    friend class SioClient;
    friend class SioSocket;
    std::optional<ConnectError> authorize(SioSocket *socket, const QJsonValue &auth) const;
    void dispatch(
        SioSocket *socket, const QString &event, const Message &message, const AckCallback &ack);
    void add(SioSocket *socket);
    void remove(SioSocket *socket);
    void sendToAll(const QString &event, const EncodedPacket &encoded, Delivery delivery);

    QString m_name;
    Middleware m_middleware;
    QHash<QString, EventHandler> m_handlers;
    quint64 m_skipped = 0;
    QHash<QString, BroadcastStats> m_stats; // by event
    int m_compressionLevel = 1;
    QList<SioSocket *> m_sockets;
};

// Socket.IO v5 server on top of an EngineServer: one SioClient per Engine.IO connection,
// namespaces multiplexed on it. Main thread.
class SioServer : public QObject
{
    Q_OBJECT
public:
    SioServer(EngineServer *engine, int connectTimeoutMs, QObject *parent = nullptr);

    Namespace *addNamespace(const QString &name);
    Namespace *findNamespace(const QString &name) const { return m_namespaces.value(name); }
    int connectTimeout() const { return m_connectTimeoutMs; }

private:
    QHash<QString, Namespace *> m_namespaces; // children
    int m_connectTimeoutMs;
};

// Encodes `event` + `message` as an Engine.IO message (text part, then binary attachments):
// the bytes every receiver gets.
struct EncodedPacket
{
    QByteArray text; // "4" + Socket.IO packet
    QList<QByteArray> binary; // attachments
};
EncodedPacket encodeEvent(const QString &nsp, const QString &event, const Message &message,
    std::optional<qint64> ackId = std::nullopt);
// The same packet with the arguments given as JSON text: `jsonArgs` is the comma-separated JSON of
// the arguments (e.g. one array, as model::appendJson writes it), empty for none. The caller
// vouches for it being valid JSON written like sio::encode writes it; no ack id, no attachments.
EncodedPacket encodeEventRaw(const QString &nsp, const QString &event, const QByteArray &jsonArgs);

} // namespace jarvis::realtime
