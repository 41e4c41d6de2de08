#include "realtime/engineserver.h"

#include "core/random.h"
#include "net/halfclose.h"
#include "net/rawwstransport.h"
#include "net/wstransport.h"

#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QLoggingCategory>
#include <QTcpSocket>
#include <QUrlQuery>
#include <QWebSocket>

Q_DECLARE_LOGGING_CATEGORY(lcEngine)

namespace jarvis::realtime {

namespace {
enum ErrorCode {
    TransportUnknown = 0,
    UnknownSid = 1,
    BadHandshakeMethod = 2,
    BadRequest = 3,
    Forbidden = 4,
    UnsupportedProtocolVersion = 5,
};

const char *errorMessage(ErrorCode code)
{
    switch (code) {
    case TransportUnknown:
        return "Transport unknown";
    case UnknownSid:
        return "Session ID unknown";
    case BadHandshakeMethod:
        return "Bad handshake method";
    case BadRequest:
        return "Bad request";
    case Forbidden:
        return "Forbidden";
    case UnsupportedProtocolVersion:
        return "Unsupported protocol version";
    }
    return "Bad request";
}

QJsonObject errorJson(ErrorCode code)
{
    return QJsonObject {{QStringLiteral("code"), int(code)},
        {QStringLiteral("message"), QLatin1String(errorMessage(code))}};
}

int errorStatus(ErrorCode code)
{
    return code == Forbidden ? 403 : 400;
}
} // namespace

EngineServer::EngineServer(
    const EngineOptions &options, const http::OriginPolicy &origins, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_origins(origins)
    , m_wsServer(QStringLiteral("jarvisd"), QWebSocketServer::NonSecureMode)
{
    m_wsServer.setMaxPendingConnections(100000);
    connect(&m_wsServer, &QWebSocketServer::newConnection, this, &EngineServer::onWebSocket);
}

EngineServer::~EngineServer()
{
    closeAll(QStringLiteral("server shutting down"));
}

QString EngineServer::newId() const
{
    return randomToken(15);
}

EngineSocket *EngineServer::createSession(const QHostAddress &remote)
{
    QString id = newId();
    while (m_sessions.contains(id))
        id = newId();
    auto *session = new EngineSocket(id, m_options, remote, this);
    m_sessions.insert(id, session);
    connect(session, &EngineSocket::closed, this, [this, session](const QString &reason) {
        qCDebug(lcEngine) << "session" << session->id() << "closed:" << reason;
        m_sessions.remove(session->id());
        Q_EMIT sessionEnded();
        session->deleteLater();
    });
    return session;
}

void EngineServer::handlePolling(
    const QHttpServerRequest &request, QHttpServerResponder &&responder, QTcpSocket *socket)
{
    const QByteArray origin = request.value("origin");
    const QByteArray host = request.value("host");
    const http::HeaderList cors = m_origins.corsHeaders(origin, host);
    auto fail = [&](ErrorCode code) {
        http::writeJson(responder, errorStatus(code), QJsonDocument(errorJson(code)), cors);
    };
    if (!m_origins.isAllowed(origin, host))
        return fail(Forbidden);

    const QUrlQuery query = request.query();
    const QString transport = query.queryItemValue(QStringLiteral("transport"));
    // A known transport, but "websocket" on a request that is not an upgrade is a bad request
    // (code 3, as the reference server answers), not an unknown transport.
    const bool websocket = transport == QLatin1String("websocket") && m_options.allowWebSocket;
    if (!websocket && (transport != QLatin1String("polling") || !m_options.allowPolling))
        return fail(TransportUnknown);
    const auto method = request.method();
    const QString sid = query.queryItemValue(QStringLiteral("sid"));
    if (sid.isEmpty()) {
        if (method != QHttpServerRequest::Method::Get)
            return fail(BadHandshakeMethod);
        if (websocket)
            return fail(BadRequest);
        if (query.queryItemValue(QStringLiteral("EIO")) != QLatin1String("4"))
            return fail(UnsupportedProtocolVersion);
        EngineSocket *session = createSession(request.remoteAddress());
        session->openPolling(std::move(responder), cors);
        Q_EMIT connection(session);
        return;
    }
    EngineSocket *session = m_sessions.value(sid);
    if (!session || !session->isAlive())
        return fail(UnknownSid);
    if (websocket)
        return fail(BadRequest);
    if (method == QHttpServerRequest::Method::Get)
        session->handleGet(std::move(responder), socket, cors);
    else if (method == QHttpServerRequest::Method::Post)
        session->handlePost(request.body(), std::move(responder), cors);
    else
        fail(BadRequest);
}

void EngineServer::handleUpgrade(QTcpSocket *socket, const http::RequestHead &head)
{
    auto refuse = [socket](int status, const QJsonObject &body) {
        net::answerAndClose(socket, http::rawJsonResponse(status, body));
    };
    if (head.path() != m_options.path)
        return refuse(404, http::errorBody(QStringLiteral("not found")));
    if (!m_origins.isAllowed(head.header("origin"), head.header("host")))
        return refuse(403, errorJson(Forbidden));
    const QUrlQuery query(QString::fromUtf8(head.query()));
    if (query.queryItemValue(QStringLiteral("transport")) != QLatin1String("websocket")
        || !m_options.allowWebSocket) {
        return refuse(400, errorJson(TransportUnknown));
    }
    const QString sid = query.queryItemValue(QStringLiteral("sid"));
    if (sid.isEmpty() && query.queryItemValue(QStringLiteral("EIO")) != QLatin1String("4"))
        return refuse(400, errorJson(UnsupportedProtocolVersion));
    if (!sid.isEmpty()) {
        EngineSocket *session = m_sessions.value(sid);
        if (!session || !session->isAlive())
            return refuse(400, errorJson(UnknownSid));
        // A second WebSocket for a session that already has one (or is upgrading) is accepted and
        // then closed by EngineSocket::beginUpgrade: the protocol says the server MUST close the
        // WebSocket connection, and so does the reference server.
    }
    if (!m_options.rawWebSocket) {
        m_qtUpgrades.removeAll(nullptr);
        m_qtUpgrades.append(socket);
        m_wsServer.handleConnection(socket);
        Q_EMIT socket->readyRead();
        return;
    }
    net::RawWsTransport::Options options;
    options.maxPayload = m_options.maxPayload;
    options.permessageDeflate = m_options.permessageDeflate;
    options.compressionLevel = m_options.compressionLevel;
    const QHostAddress remote = socket->peerAddress();
    QString error;
    net::RawWsTransport *transport = net::RawWsTransport::accept(socket, head, options, &error);
    if (!transport) {
        qCDebug(lcEngine) << "WebSocket handshake from" << remote.toString() << "refused:" << error;
        return; // accept() answered and closed the socket
    }
    attach(transport, remote, sid);
}

void EngineServer::attach(WsTransport *transport, const QHostAddress &remote, const QString &sid)
{
    if (sid.isEmpty()) {
        EngineSocket *session = createSession(remote);
        session->openWebSocket(transport);
        Q_EMIT connection(session);
        return;
    }
    EngineSocket *session = m_sessions.value(sid);
    if (!session) {
        transport->close(1008, QStringLiteral("Session ID unknown"));
        transport->deleteLater();
        return;
    }
    session->beginUpgrade(transport);
}

void EngineServer::onWebSocket()
{
    while (m_wsServer.hasPendingConnections()) {
        std::unique_ptr<QWebSocket> ws(m_wsServer.nextPendingConnection());
        const QHostAddress remote = ws->peerAddress();
        const QString sid = QUrlQuery(ws->requestUrl()).queryItemValue(QStringLiteral("sid"));
        // The TCP socket it was upgraded from (QWebSocket does not tell): same peer.
        QTcpSocket *connection = nullptr;
        m_qtUpgrades.removeAll(nullptr);
        for (const QPointer<QTcpSocket> &candidate : std::as_const(m_qtUpgrades)) {
            if (candidate->peerPort() == ws->peerPort()
                && candidate->peerAddress() == ws->peerAddress()) {
                connection = candidate;
                break;
            }
        }
        m_qtUpgrades.removeAll(connection);
        attach(
            new net::QtWsTransport(std::move(ws), connection, m_options.maxPayload), remote, sid);
    }
}

void EngineServer::bodyRefused(const http::RequestHead &head)
{
    const QString sid =
        QUrlQuery(QString::fromUtf8(head.query())).queryItemValue(QStringLiteral("sid"));
    if (EngineSocket *session = m_sessions.value(sid))
        session->close(QStringLiteral("transport error"));
}

void EngineServer::closeAll(const QString &reason)
{
    const auto sessions = m_sessions.values();
    for (EngineSocket *session : sessions)
        session->close(reason);
}

} // namespace jarvis::realtime
