#pragma once

#include "protocol/socketio.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>
#include <QUrl>

#ifndef QT_NO_SSL
#include <QSslConfiguration>
#endif

#include <functional>
#include <memory>
#include <optional>

class QWebSocket;

namespace jarvis::core {
class Clock;
class Ticker;
} // namespace jarvis::core

namespace jarvis::client {

class SocketIoClient;

// Outcome of an emit with an ack: the server's answer, or why there is none.
struct AckResult
{
    enum class Error {
        None,
        Timeout, // no answer within the ack timeout
        Disconnected, // the connection ended (or the client was told to stop) before the answer
        NotConnected, // emitted while no connection was wanted, or the send buffer was full
        PayloadTooLarge, // a message of the packet exceeds the server's maxPayload: not sent
        InvalidPacket, // a reserved event name (connect, disconnect, ...) or placeholders
                       // that are not exactly one per attachment: not sent
    };

    Error error = Error::None;
    QJsonArray args; // placeholders (sio::placeholder) stand for attachments[N]
    QList<QByteArray> attachments;

    bool ok() const { return error == Error::None; }
    // socket.io-client's wording where it has one ("operation has timed out", ...).
    QString errorString() const;
};

// The answer to a server's emit-with-ack, handed to an event handler. Copyable; may be kept and
// called later. The first send() answers; later ones, and one after the connection the request
// came on has ended, do nothing and return false.
class AckResponder
{
public:
    AckResponder() = default;

    bool isRequested() const { return m_state != nullptr; }
    bool send(const QJsonArray &args = {}, const QList<QByteArray> &attachments = {}) const;

private:
    friend class SocketIoClient;
    struct State;
    std::shared_ptr<State> m_state;
};

// Socket.IO v4 client (protocol v5 over Engine.IO v4, websocket transport only) for one namespace:
// opens ws(s)://host:port/socket.io/?EIO=4&transport=websocket, sends CONNECT with the auth
// payload, answers pings, watches the heartbeat, encodes and decodes events (binary attachments
// included, through the shared codecs), matches acks with a timeout, and reconnects with
// socket.io-client's backoff after a connection is lost. It does not reconnect after the server
// disconnected the namespace, after a CONNECT_ERROR (e.g. unauthorized), or after
// disconnectFromServer(), like socket.io-client.
// Emits made while a connection is being (re)established are buffered and sent once connected.
// Owns its QWebSocket (a child, replaced at every attempt) and its timers, which run on a
// core::Clock (the system clock unless one is given: tests step a ManualClock). Lives on the
// thread it was created on; every call and callback happens there, on the event loop, without
// blocking.
// Slots and callbacks may call any method, but must use deleteLater() to destroy it.
class SocketIoClient : public QObject
{
    Q_OBJECT
public:
    using AckCallback = std::function<void(const AckResult &result)>;
    // `ack.isRequested()` tells whether the server asked for an answer.
    using EventHandler = std::function<void(
        const QJsonArray &args, const QList<QByteArray> &attachments, const AckResponder &ack)>;

    static constexpr int DefaultAckTimeout = 10000; // ms

    explicit SocketIoClient(QObject *parent = nullptr);
    // Its timers (connect timeout, heartbeat, reconnect backoff, ack timeouts, the closing
    // handshake's limit) on `clock` (null: core::Clock::system()), which outlives the client.
    SocketIoClient(core::Clock *clock, QObject *parent);
    ~SocketIoClient() override;

    // Settings; they apply from the next connection attempt on.
    void setPath(const QString &path); // default "/socket.io/"
    void setReconnectDelays(int initialMs, int maxMs); // default 1000, 5000
    void setRandomizationFactor(double factor); // 0..1, default 0.5
    void setConnectTimeout(int ms); // WebSocket + Engine.IO open + CONNECT answer; default 20000
    void setMaxIncomingMessageSize(qint64 bytes); // default 64 MiB; larger closes the connection
#ifndef QT_NO_SSL
    void setSslConfiguration(const QSslConfiguration &configuration);
    // Trust on first use: a server certificate that fails verification (self-signed, another
    // name, unknown issuer, ...) is accepted when the SHA-256 digest of the server's own (leaf)
    // certificate is exactly `sha256` (32 raw bytes); any other certificate still fails the
    // connection. Empty (the default): verification as usual.
    void setPinnedCertificateDigest(const QByteArray &sha256)
    {
        m_pinnedDigest = sha256;
    }
#endif
    // Replaces the auth payload sent with every later CONNECT (e.g. a refreshed token).
    void setAuth(const QJsonObject &auth)
    {
        m_auth = auth;
    }

    // Connects to `nsp` at `baseUrl` (http://host:port or https://...; ws/wss accepted too). A
    // current connection is closed first (as disconnectFromServer()). An empty `auth` sends
    // CONNECT without a payload.
    void connectToServer(const QUrl &baseUrl, const QString &nsp, const QJsonObject &auth);
    // Sends DISCONNECT for the namespace, closes the WebSocket, stops reconnecting. disconnected
    // ("io client disconnect") is emitted only when the namespace was connected. Buffered emits
    // are dropped and every pending ack completes with Error::Disconnected.
    void disconnectFromServer();

    bool isConnected() const
    {
        return m_state == State::Connected;
    }
    // The socket id from the server's CONNECT answer; empty while not connected.
    QString id() const
    {
        return m_id;
    }
    QString nsp() const
    {
        return m_nsp;
    }
    // The server's maxPayload from the Engine.IO open packet (0 = none announced).
    qint64 maxPayload() const
    {
        return m_maxPayload;
    }

    void emitEvent(const QString &event, const QJsonArray &args = {},
        const QList<QByteArray> &attachments = {});
    // `done` is called exactly once (unless `context` is destroyed first), always from the event
    // loop, never from inside this call. timeoutMs <= 0: no timeout (the answer or the end of
    // the connection completes it).
    void emitEvent(const QString &event, const QJsonArray &args,
        const QList<QByteArray> &attachments, const QObject *context, AckCallback done,
        int timeoutMs = DefaultAckTimeout);

    // One handler per event name (a second on() replaces the first); dropped when `context` is
    // destroyed. eventReceived is emitted for every event whether or not a handler exists.
    void on(const QString &event, const QObject *context, EventHandler handler);
    void off(const QString &event);

    // Raw events, for big payloads read straight into typed data (the console's `vms`): a plain
    // EVENT packet named `event` on this namespace (no ack id, no binary attachments, a name of
    // printable ASCII) is not decoded; `handler` gets its arguments as JSON text, a view of the
    // packet valid during the call only: an array, the event name blanked out with spaces
    // (`["vms",[...]]` arrives as `[      [...]]`). It returns true when it took the event (it
    // must have checked the text as strictly as the decoder would: json::detail::StrictReader);
    // then neither the on() handler nor eventReceived sees it. False (the text is not what it
    // reads, or invalid) and every other packet: decoded as usual (a malformed one closes the
    // connection, a valid one goes to the on() handler and eventReceived). One raw handler per
    // event name (a second replaces the first); dropped when `context` is destroyed. Reserved
    // names (sio::isReservedEvent) and names that are not printable ASCII are refused (false).
    using RawEventHandler = std::function<bool(QByteArrayView args)>;
    bool onRaw(const QString &event, const QObject *context, RawEventHandler handler);
    void offRaw(const QString &event);

Q_SIGNALS:
    void connected();
    // "io server disconnect", "io client disconnect", "transport close", "ping timeout",
    // "parse error" (socket.io-client's names).
    void disconnected(const QString &reason);
    // The server refused the CONNECT (message and data as sent: "unauthorized",
    // {"reason":"expired"}; "Invalid namespace") - no reconnect follows - or an attempt failed
    // before the namespace was connected (connection refused, timeout, ...) and a reconnect is
    // scheduled.
    void connectError(const QString &message, const QJsonValue &data);
    // A reconnect attempt is scheduled in `delayMs`; `attempt` counts from 1 since the last
    // successful connect.
    void reconnecting(int attempt, int delayMs);
    void eventReceived(
        const QString &event, const QJsonArray &args, const QList<QByteArray> &attachments);

private:
    enum class State {
        Idle, // no socket; reconnect timer possibly running (m_active)
        Opening, // WebSocket handshake, waiting for the Engine.IO open packet
        Connecting, // open received, CONNECT sent
        Connected,
    };

    struct PendingAck
    {
        QPointer<const QObject> context;
        AckCallback done;
        bool sent = false;
    };

    struct Handler
    {
        QPointer<const QObject> context;
        EventHandler handler;
    };
    struct RawHandler
    {
        QPointer<const QObject> context;
        RawEventHandler handler;
    };

    friend class AckResponder;

    void startAttempt();
    void onTextMessage(const QString &message);
    void onBinaryMessage(const QByteArray &message);
    void onReassembled(sio::Reassembler::Status status);
    // text[offset, end) is a raw event's packet and its raw handler took it (the name part is
    // blanked during the call, restored when the handler declines).
    bool tryRawEvent(QByteArray &text, qsizetype offset);
    void onOpenPacket(const QByteArray &data);
    void onSocketIoPacket(const sio::Packet &packet);
    void onConnectAnswer(const sio::Packet &packet);
    void onConnectRefused(const sio::Packet &packet);
    void onServerDisconnect();
    void onEvent(const sio::Packet &packet);
    void protocolError(const QString &message);
    void restartHeartbeat();

    // The connection or the attempt failed: fails the acks already sent, reconnects.
    void connectionLost(const QString &reason);
    // Ends the connection for good: no reconnect, send buffer dropped.
    void stop();
    QWebSocket *detachSocket();
    void abortSocket();
    void closeSocketCleanly();
    void scheduleReconnect();

    void queueOrSend(sio::Packet packet);
    // False when a message would exceed the server's maxPayload (an event's ack then fails).
    bool sendPacket(const sio::Packet &packet);
    void flushSendBuffer();
    bool sendAck(qint64 id, quint64 generation, const QJsonArray &args,
        const QList<QByteArray> &attachments);

    void finishAck(qint64 id, const AckResult &result);
    void failAckLater(qint64 id, AckResult::Error error);
    QList<PendingAck> takeAcks(bool includeBuffered);
    void completeAcks(QList<PendingAck> acks, AckResult::Error error);

    // settings
    QString m_path = QStringLiteral("/socket.io/");
    int m_initialDelay = 1000;
    int m_maxDelay = 5000;
    double m_randomizationFactor = 0.5;
    int m_connectTimeout = 20000;
    qint64 m_maxIncomingMessageSize = 64 * 1024 * 1024;
#ifndef QT_NO_SSL
    std::optional<QSslConfiguration> m_ssl;
    QByteArray m_pinnedDigest;
#endif

    // what the user asked for
    QUrl m_url; // the WebSocket URL
    QString m_nsp = QStringLiteral("/");
    QJsonObject m_auth;
    bool m_active = false; // a connection is wanted: reconnect when it is lost

    // the current connection
    State m_state = State::Idle;
    QWebSocket *m_socket = nullptr; // child; replaced at every attempt
    quint64 m_generation = 0; // bumped at every attempt: stale answers are dropped
    QString m_id;
    int m_pingInterval = 0;
    int m_pingTimeout = 0;
    qint64 m_maxPayload = 0;
    sio::Reassembler m_reassembler;
    core::Clock *m_clock;
    core::Ticker *m_heartbeatTimer; // children
    core::Ticker *m_connectTimer;
    core::Ticker *m_reconnectTimer;
    int m_attempt = 0;

    qint64 m_nextAckId = 0;
    QMap<qint64, PendingAck> m_pendingAcks; // by ack id, so they fail in order
    QList<sio::Packet> m_sendBuffer;
    QHash<QString, Handler> m_handlers;
    QHash<QByteArray, RawHandler> m_rawHandlers; // by the name's bytes
};

// socket.io-client's backoff: initialMs * 2^(attempt-1), moved by up to +-factor of itself
// (down when floor(random01 * 10) is even, up when odd, by floor(random01 * factor * value)),
// then capped at maxMs. `attempt` counts from 1; random01 in [0, 1).
int reconnectDelay(
    int attempt, int initialMs, int maxMs, double randomizationFactor, double random01);

} // namespace jarvis::client
