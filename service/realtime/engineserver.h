#pragma once

#include "http/httputil.h"
#include "realtime/enginesocket.h"

#include <QHash>
#include <QObject>
#include <QWebSocketServer>

class QHttpServerRequest;
class QHttpServerResponder;
class QTcpSocket;

namespace jarvis::realtime {

// Engine.IO v4 server: the handshake, HTTP long-polling requests (handed in by the REST layer)
// and WebSocket upgrades (handed in by the front door), session lookup by sid, and the Engine.IO
// error responses ({code, message}). Owns every EngineSocket; main thread.
class EngineServer : public QObject
{
    Q_OBJECT
public:
    EngineServer(
        const EngineOptions &options, const http::OriginPolicy &origins, QObject *parent = nullptr);
    ~EngineServer() override;

    const EngineOptions &options() const { return m_options; }
    qsizetype sessionCount() const { return m_sessions.size(); }

    // A request under options().path that is not a WebSocket upgrade.
    void handlePolling(
        const QHttpServerRequest &request, QHttpServerResponder &&responder, QTcpSocket *socket);
    // A WebSocket upgrade request; `head` is still unread on `socket`. Takes ownership of socket.
    void handleUpgrade(QTcpSocket *socket, const http::RequestHead &head);

    // A polling request whose body was refused before reaching us (413): its session ends.
    void bodyRefused(const http::RequestHead &head);

    // Closes every session (shutdown).
    void closeAll(const QString &reason);

Q_SIGNALS:
    void connection(jarvis::realtime::EngineSocket *socket);
    // A session is over (closed() of one of its EngineSockets).
    void sessionEnded();

private:
    EngineSocket *createSession(const QHostAddress &remote);
    // A WebSocket whose handshake is done: a new session (no sid) or an upgrade probe.
    void attach(WsTransport *transport, const QHostAddress &remote, const QString &sid);
    void onWebSocket();
    QString newId() const;

    EngineOptions m_options;
    http::OriginPolicy m_origins;
    QHash<QString, EngineSocket *> m_sessions; // children
    QWebSocketServer m_wsServer;
    QList<QPointer<QTcpSocket>> m_qtUpgrades; // handed to m_wsServer, not yet upgraded
};

} // namespace jarvis::realtime
