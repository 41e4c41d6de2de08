#pragma once

#include "http/httputil.h"

#include <QByteArray>
#include <QDeadlineTimer>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

#include <memory>

class QHttpServerResponder;
class QTcpSocket;

namespace jarvis::net {
class WsTransport;
namespace ws {
class PreparedMessage;
}
} // namespace jarvis::net

namespace jarvis::realtime {

// The WebSocket transport comes from the layer below (net/).
using net::WsTransport;
namespace ws = net::ws;

struct EngineOptions
{
    int pingInterval = 25000; // ms
    int pingTimeout = 20000; // ms
    qint64 maxPayload = 1000000;
    int upgradeTimeout = 10000; // ms to finish a started upgrade
    QByteArray path = "/socket.io/";
    bool allowPolling = true;
    bool allowWebSocket = true;
    // WebSocket transport: our RFC 6455 implementation (frames a broadcast once,
    // permessage-deflate) or QtWebSockets (kept for comparison: JARVIS_WS_TRANSPORT=qt).
    bool rawWebSocket = true;
    bool permessageDeflate = true; // negotiated only when the client offers it
    int compressionLevel = 1;
};

// One Engine.IO v4 session: polling, WebSocket, or polling being upgraded to WebSocket. Queues
// outgoing packets, answers held long-polling GETs, runs the heartbeat (server ping, pong deadline)
// and reports messages and the end of the session. Owned by EngineServer; main thread.
class EngineSocket : public QObject
{
    Q_OBJECT
public:
    enum class Transport { Polling, WebSocket };

    EngineSocket(const QString &id, const EngineOptions &options, const QHostAddress &remote,
        QObject *parent = nullptr);
    ~EngineSocket() override;

    QString id() const { return m_id; }
    Transport transport() const { return m_transport; }
    bool isOpen() const { return m_open; }
    // isOpen(), after ending the session ("ping timeout") if the client's pong is overdue but the
    // timer has not run yet: the event loop serves ready sockets before due timers, so a request
    // arriving after the deadline could otherwise still find the session open.
    bool isAlive();
    bool isUpgrading() const { return m_probe != nullptr; }
    QHostAddress remoteAddress() const { return m_remote; }

    // Sends a complete text packet ("4..." for a message: the caller encodes once and may pass
    // the same bytes to many sockets), or a binary message.
    // `compress` false: never permessage-deflate this one (see WsTransport::sendTextUncompressed).
    void sendText(const QByteArray &packet, bool compress = true);
    void sendBinary(const QByteArray &bytes);
    // A message framed (and compressed) once for many sockets; polling sends its payload.
    void sendPrepared(const std::shared_ptr<const ws::PreparedMessage> &message);
    // Bytes queued for this client and not yet handed to the kernel.
    qint64 pendingBytes() const;
    // Ends the session from the server side.
    void close(const QString &reason);

    // Used by EngineServer.
    void openPolling(QHttpServerResponder &&responder, const http::HeaderList &headers);
    void openWebSocket(WsTransport *transport);
    void handleGet(
        QHttpServerResponder &&responder, QTcpSocket *socket, const http::HeaderList &headers);
    void handlePost(
        const QByteArray &body, QHttpServerResponder &&responder, const http::HeaderList &headers);
    void beginUpgrade(WsTransport *probe);

Q_SIGNALS:
    void textMessage(const QByteArray &data); // message payload, without the "4"
    void binaryMessage(const QByteArray &data);
    void closed(const QString &reason);

private:
    struct Outgoing
    {
        QByteArray bytes;
        bool binary = false;
        bool compress = true;
        bool pong = false; // the answer to a client's ping
    };

    QByteArray openPacket(bool withUpgrades) const;
    void enqueue(Outgoing out);
    void scheduleFlush();
    void flush();
    void answerGet(const QByteArray &payload);
    void onPacket(char type, const QByteArray &data, bool binary);
    void answerPing(const QByteArray &data);
    void useWebSocket(WsTransport *ws);
    void onWsText(const QByteArray &frame);
    void onProbeText(const QByteArray &frame);
    void dropProbe();
    void startHeartbeat();
    void sendPing();
    void finish(const QString &reason);

    QString m_id;
    EngineOptions m_options;
    QHostAddress m_remote;
    Transport m_transport = Transport::Polling;
    bool m_open = true;
    bool m_flushScheduled = false;
    bool m_clientClosing = false; // a close packet came over polling; finish() follows

    QList<Outgoing> m_queue;
    qint64 m_queuedBytes = 0; // of m_queue
    QByteArray
        m_owedPong; // WebSocket: the pong for the latest ping, waiting for the queue to drain
    std::unique_ptr<QHttpServerResponder> m_pendingGet;
    QPointer<QTcpSocket> m_pendingGetSocket;
    http::HeaderList m_pendingGetHeaders;

    WsTransport *m_ws = nullptr; // child once attached
    WsTransport *m_probe = nullptr; // child while upgrading
    bool m_probeAnswered = false;

    QTimer m_pingTimer;
    QTimer m_pongTimer;
    QDeadlineTimer m_pongDeadline; // pingInterval + pingTimeout after the last open or pong
    QTimer m_upgradeTimer;
};

} // namespace jarvis::realtime
