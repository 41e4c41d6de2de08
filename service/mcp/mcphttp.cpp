#include "mcp/mcphttp.h"

#include "auth/bearer.h"
#include "auth/jwt.h"
#include "core/clock.h"
#include "core/random.h"
#include "http/httpapi.h"
#include "http/streamedresponse.h"
#include "mcp/mcpserver.h"

#include <QHttpServerResponder>
#include <QLoggingCategory>
#include <QTcpSocket>

Q_DECLARE_LOGGING_CATEGORY(lcMcp)

namespace jarvis::mcp {

namespace {
const QByteArray SessionHeader = "Mcp-Session-Id";
const QByteArray VersionHeader = "MCP-Protocol-Version";
const QString Path = QStringLiteral("/mcp");

// One media type of an Accept header matches `type` ("application/json"): exactly, as
// "application/*" or as "*/*", with a q-value above 0.
bool accepts(const QByteArray &accept, const QByteArray &type)
{
    const QByteArray major = type.left(type.indexOf('/'));
    for (const QByteArray &raw : accept.split(',')) {
        const QList<QByteArray> parts = raw.split(';');
        const QByteArray range = parts.first().trimmed().toLower();
        bool excluded = false;
        for (qsizetype i = 1; i < parts.size(); ++i) {
            const QByteArray param = parts.at(i).trimmed().toLower();
            if (param.startsWith("q=") && param.mid(2).toDouble() <= 0)
                excluded = true;
        }
        if (excluded)
            continue;
        if (range == type || range == major + "/*" || range == "*/*")
            return true;
    }
    return false;
}

bool isJsonContentType(const QByteArray &value)
{
    return value.split(';').first().trimmed().toLower() == "application/json";
}

QByteArray sseEvent(const QJsonObject &message)
{
    return "event: message\ndata: " + toText(message) + "\n\n";
}

bool isOpen(const QPointer<http::StreamedResponse> &stream)
{
    return stream && stream->isOpen();
}

bool isResponse(const QJsonObject &message)
{
    return message.contains(QStringLiteral("result")) || message.contains(QStringLiteral("error"));
}
} // namespace

struct HttpTransport::Exchange
{
    std::unique_ptr<QHttpServerResponder> responder; // until the answer's head is written
    QPointer<QTcpSocket> socket;
    http::HeaderList headers; // CORS and the session id
    QPointer<http::StreamedResponse> stream; // once it streams
};

struct HttpTransport::HttpSession
{
    QString id;
    QString user;
    QPointer<Session> session; // child of the transport
    qint64 lastActiveMs = 0;
    http::HeaderList cors; // of the request that opened the GET stream
    QPointer<http::StreamedResponse> events; // the GET stream
    QHash<QString, std::shared_ptr<Exchange>> exchanges; // POSTed requests in flight, by idKey
};

HttpTransport::HttpTransport(Server *server, http::HttpApi *http, const auth::JwtSigner *jwt,
    Options options, core::Clock *clock, QObject *parent)
    : QObject(parent)
    , m_server(server)
    , m_http(http)
    , m_jwt(jwt)
    , m_options(std::move(options))
    , m_clock(core::Clock::orSystem(clock))
    , m_sweep(m_clock->createTicker(this))
    , m_keepalive(m_clock->createTicker(this))
{
    using Method = http::HttpApi::Method;
    using Access = http::HttpApi::Access;
    // Public for the route table: every handler authenticates itself (a key or a JWT).
    http->route(Method::Post, Path, Access::Public,
        [this](const QHttpServerRequest &request, QHttpServerResponder &&responder,
            const http::RequestContext &context) { post(request, std::move(responder), context); });
    http->route(Method::Get, Path, Access::Public,
        [this](const QHttpServerRequest &request, QHttpServerResponder &&responder,
            const http::RequestContext &context) { get(request, std::move(responder), context); });
    http->route(Method::Delete, Path, Access::Public,
        [this](const QHttpServerRequest &request, QHttpServerResponder &&responder,
            const http::RequestContext &context) {
            remove(request, std::move(responder), context);
        });
    // Both tickers run only while there is something to sweep or keep alive.
    connect(m_sweep, &core::Ticker::timeout, this, &HttpTransport::sweep);
    m_sweep->setInterval(qBound(1000, m_options.sessionIdleMs / 4, 60000));
    connect(m_keepalive, &core::Ticker::timeout, this, &HttpTransport::keepalive);
    m_keepalive->setInterval(m_options.keepaliveMs);
}

HttpTransport::~HttpTransport()
{
    const QStringList ids = m_sessions.keys();
    for (const QString &id : ids)
        end(id);
}

namespace {
void writeRpcError(QHttpServerResponder &responder, int status, int errorCode,
    const QString &message, const http::HeaderList &headers, const QJsonValue &id = {},
    const QJsonValue &data = {})
{
    http::writeResponse(responder,
        http::Response {status, "application/json",
            toText(errorResponse(id, errorCode, message, data)), headers});
}
} // namespace

bool HttpTransport::authenticate(const QHttpServerRequest &request, QHttpServerResponder &responder,
    const http::RequestContext &context, QString *user)
{
    const QByteArray header = request.value("authorization");
    const QByteArray token = auth::bearerToken(header);
    // An API key of [mcp] apiKeys (compared with every configured hash in constant time)...
    if (const auth::ApiKey *key =
            token.isEmpty() ? nullptr : auth::matchApiKey(token, m_options.apiKeys)) {
        *user = QStringLiteral("mcp:") + key->name;
        return true;
    }
    // ... or the service's JWT.
    auth::TokenError error = auth::TokenError::Missing;
    const std::optional<auth::Claims> claims =
        auth::checkBearer(*m_jwt, auth::PresentedToken::authorizationHeader(header), &error);
    if (claims) {
        *user = claims->subject;
        return true;
    }
    const QString reason = auth::reasonString(error);
    http::HeaderList headers = context.cors;
    headers.emplaceBack("WWW-Authenticate",
        error == auth::TokenError::Missing
            ? QByteArray("Bearer realm=\"jarvisd\"")
            : QByteArray("Bearer realm=\"jarvisd\", error=\"invalid_token\""));
    writeRpcError(responder, 401, code::ServerError,
        QStringLiteral("Unauthorized: send Authorization: Bearer with an API key of [mcp] apiKeys "
                       "or a token from POST /api/auth/login (%1)")
            .arg(reason),
        headers, {}, QJsonObject {{QStringLiteral("reason"), reason}});
    return false;
}

HttpTransport::HttpSession *HttpTransport::sessionFor(const QHttpServerRequest &request,
    QHttpServerResponder &responder, const http::RequestContext &context, const QString &user)
{
    const QByteArray id = request.value(SessionHeader.toLower());
    if (id.isEmpty()) {
        writeRpcError(responder, 400, code::ServerError,
            QStringLiteral("Bad Request: Mcp-Session-Id header is required (initialize first)"),
            context.cors);
        return nullptr;
    }
    const auto it = m_sessions.constFind(QString::fromLatin1(id));
    // Someone else's session is as unknown as one that never was.
    if (it == m_sessions.constEnd() || (*it)->user != user || !(*it)->session) {
        writeRpcError(responder, 404, -32001,
            QStringLiteral("Session not found: it ended or expired; initialize a new one"),
            context.cors);
        return nullptr;
    }
    const QByteArray version = request.value(VersionHeader.toLower());
    if (!version.isEmpty() && !supportedVersions().contains(QString::fromLatin1(version))) {
        writeRpcError(responder, 400, code::ServerError,
            QStringLiteral("Bad Request: Unsupported protocol version: %1 (supported versions: %2)")
                .arg(QString::fromLatin1(version), supportedVersions().join(QLatin1String(", "))),
            context.cors);
        return nullptr;
    }
    (*it)->lastActiveMs = m_clock->monotonicMs();
    return it->get();
}

HttpTransport::HttpSession *HttpTransport::open(const QString &user, QString *refusal)
{
    if (m_sessions.size() >= m_options.maxSessions) {
        // Full: the session idle the longest (no stream, nothing in flight) makes room.
        std::shared_ptr<HttpSession> oldest;
        for (const auto &s : std::as_const(m_sessions)) {
            if (isOpen(s->events) || !s->exchanges.isEmpty()
                || (s->session && s->session->pendingRequests() > 0))
                continue;
            if (!oldest || s->lastActiveMs < oldest->lastActiveMs)
                oldest = s;
        }
        if (!oldest) {
            *refusal = QStringLiteral("too many MCP sessions (%1), all busy: try again later")
                           .arg(m_options.maxSessions);
            return nullptr;
        }
        qCInfo(lcMcp).noquote() << "session limit reached: ending the idlest session of"
                                << oldest->user;
        end(oldest->id);
    }
    auto s = std::make_shared<HttpSession>();
    do {
        s->id = randomToken(32);
    } while (m_sessions.contains(s->id));
    s->user = user;
    s->lastActiveMs = m_clock->monotonicMs();
    s->session = m_server->createSession(user, this);
    const QString id = s->id;
    s->session->setOutput(
        Session::Output {[this, id](const QJsonObject &message, const QJsonValue &related) {
                             if (HttpSession *s = m_sessions.value(id).get())
                                 send(s, message, related);
                         },
            [this, id](const QJsonValue &requestId) {
                if (HttpSession *s = m_sessions.value(id).get())
                    dropped(s, requestId);
            }});
    m_sessions.insert(id, s);
    if (!m_sweep->isActive())
        m_sweep->start();
    return s.get();
}

void HttpTransport::post(const QHttpServerRequest &request, QHttpServerResponder &&responder,
    const http::RequestContext &context)
{
    QString user;
    if (!authenticate(request, responder, context, &user))
        return;
    const QByteArray accept = request.value("accept");
    if (!accepts(accept, "application/json") || !accepts(accept, "text/event-stream"))
        return writeRpcError(responder, 406, code::ServerError,
            QStringLiteral("Not Acceptable: Client must accept both application/json and "
                           "text/event-stream"),
            context.cors);
    if (!isJsonContentType(request.value("content-type")))
        return writeRpcError(responder, 415, code::ServerError,
            QStringLiteral("Unsupported Media Type: Content-Type must be application/json"),
            context.cors);
    const Message message = parseMessage(request.body());
    if (message.kind == Message::Kind::Invalid)
        return writeRpcError(
            responder, 400, message.errorCode, message.error, context.cors, message.id);

    HttpSession *s = nullptr;
    if (message.kind == Message::Kind::Request && message.method == QLatin1String("initialize")) {
        if (!request.value(SessionHeader.toLower()).isEmpty())
            return writeRpcError(responder, 400, code::InvalidRequest,
                QStringLiteral("Invalid Request: initialize opens a new session: send it "
                               "without Mcp-Session-Id"),
                context.cors, message.id);
        QString refusal;
        s = open(user, &refusal);
        if (!s) {
            http::HeaderList headers = context.cors;
            headers.emplaceBack("Retry-After", "60");
            return writeRpcError(responder, 503, code::ServerError, refusal, headers, message.id);
        }
    } else {
        s = sessionFor(request, responder, context, user);
        if (!s)
            return;
    }

    if (message.kind != Message::Kind::Request) {
        s->session->receive(message);
        return http::writeResponse(responder, http::Response {202, {}, {}, context.cors});
    }
    const QString key = idKey(message.id);
    if (s->exchanges.contains(key))
        return writeRpcError(responder, 400, code::InvalidRequest,
            QStringLiteral("Invalid Request: id %1 is already in use by a request in flight")
                .arg(key.mid(2)),
            context.cors, message.id);
    auto exchange = std::make_shared<Exchange>();
    exchange->socket = responder.socket();
    exchange->responder = std::make_unique<QHttpServerResponder>(std::move(responder));
    exchange->headers = context.cors;
    if (!context.cors.isEmpty()) // a browser client must be let to read the session id
        exchange->headers.emplaceBack("Access-Control-Expose-Headers", "Mcp-Session-Id");
    s->exchanges.insert(key, exchange);
    const QString sessionId = s->id;
    QPointer<Session> session = s->session;
    session->receive(message);
    // initialize that failed (bad params) leaves no session behind.
    if (message.method == QLatin1String("initialize") && session && !session->isInitialized())
        end(sessionId);
}

void HttpTransport::send(HttpSession *s, const QJsonObject &message, const QJsonValue &related)
{
    if (related.isUndefined() || related.isNull()) {
        // Not about a request: the session's GET stream, if one is open; else it is dropped.
        if (isOpen(s->events))
            s->events->write(sseEvent(message));
        return;
    }
    const QString key = idKey(related);
    const std::shared_ptr<Exchange> exchange = s->exchanges.value(key);
    if (!exchange)
        return; // its POST was answered or its client went away
    const bool last = isResponse(message);
    if (last)
        s->exchanges.remove(key);
    http::HeaderList headers = exchange->headers;
    if (s->session && s->session->isInitialized())
        headers.emplaceBack(SessionHeader, s->id.toLatin1());
    if (exchange->stream) {
        exchange->stream->write(sseEvent(message));
        if (last)
            exchange->stream->finish();
        return;
    }
    if (!exchange->socket || exchange->socket->state() != QAbstractSocket::ConnectedState) {
        s->exchanges.remove(key);
        return;
    }
    if (last) {
        http::writeResponse(*exchange->responder,
            http::Response {200, "application/json", toText(message), headers});
        return;
    }
    // A notification before the answer (progress): the answer becomes an SSE stream.
    http::StreamedResponse *stream = openEventStream(std::move(*exchange->responder), headers);
    exchange->responder.reset();
    if (!stream) {
        s->exchanges.remove(key);
        return;
    }
    exchange->stream = stream;
    if (!m_keepalive->isActive())
        m_keepalive->start();
    stream->write(sseEvent(message));
}

http::StreamedResponse *HttpTransport::openEventStream(
    QHttpServerResponder &&responder, const http::HeaderList &headers)
{
    auto *stream = new http::StreamedResponse(
        std::move(responder), 200, "text/event-stream", headers, m_options.maxStreamBuffer, this);
    connect(stream, &http::StreamedResponse::closed, stream, &QObject::deleteLater);
    if (!stream->isOpen()) {
        stream->deleteLater();
        return nullptr;
    }
    return stream;
}

void HttpTransport::dropped(HttpSession *s, const QJsonValue &id)
{
    // Cancelled: no response will come. A stream ends here; a POST still waiting for its answer
    // gets an empty event stream, which tells the client nothing more comes.
    const std::shared_ptr<Exchange> exchange = s->exchanges.take(idKey(id));
    if (!exchange)
        return;
    if (exchange->stream)
        return exchange->stream->finish();
    if (!exchange->socket || exchange->socket->state() != QAbstractSocket::ConnectedState)
        return;
    if (http::StreamedResponse *stream =
            openEventStream(std::move(*exchange->responder), exchange->headers))
        stream->finish();
}

void HttpTransport::get(const QHttpServerRequest &request, QHttpServerResponder &&responder,
    const http::RequestContext &context)
{
    if (request.method() == http::HttpApi::Method::Head) {
        http::HeaderList headers = context.cors;
        headers.emplaceBack("Allow", "GET, POST, DELETE, OPTIONS");
        return writeRpcError(responder, 405, code::ServerError,
            QStringLiteral("Method Not Allowed: GET opens the session's event stream"), headers);
    }
    QString user;
    if (!authenticate(request, responder, context, &user))
        return;
    if (!accepts(request.value("accept"), "text/event-stream"))
        return writeRpcError(responder, 406, code::ServerError,
            QStringLiteral("Not Acceptable: Client must accept text/event-stream"), context.cors);
    HttpSession *s = sessionFor(request, responder, context, user);
    if (!s)
        return;
    if (isOpen(s->events))
        return writeRpcError(responder, 409, code::ServerError,
            QStringLiteral("Conflict: Only one SSE stream is allowed per session"), context.cors);
    http::HeaderList headers = context.cors;
    headers.emplaceBack(SessionHeader, s->id.toLatin1());
    http::StreamedResponse *stream = openEventStream(std::move(responder), headers);
    if (!stream)
        return;
    s->events = stream;
    if (!m_keepalive->isActive())
        m_keepalive->start();
    const QString id = s->id;
    connect(stream, &http::StreamedResponse::closed, this, [this, id] {
        if (HttpSession *s = m_sessions.value(id).get())
            s->lastActiveMs = m_clock->monotonicMs(); // idle from now on
    });
    stream->write(": jarvisd MCP event stream\n\n");
}

void HttpTransport::remove(const QHttpServerRequest &request, QHttpServerResponder &&responder,
    const http::RequestContext &context)
{
    QString user;
    if (!authenticate(request, responder, context, &user))
        return;
    HttpSession *s = sessionFor(request, responder, context, user);
    if (!s)
        return;
    qCInfo(lcMcp).noquote() << "session of" << s->user << "ended by DELETE";
    end(s->id);
    http::writeResponse(responder, http::Response {204, {}, {}, context.cors});
}

void HttpTransport::end(const QString &sessionId)
{
    const std::shared_ptr<HttpSession> s = m_sessions.take(sessionId);
    if (!s)
        return;
    if (isOpen(s->events))
        s->events->finish();
    const auto exchanges = std::exchange(s->exchanges, {});
    for (const std::shared_ptr<Exchange> &exchange : exchanges) {
        if (exchange->stream) {
            exchange->stream->finish();
        } else if (exchange->socket
            && exchange->socket->state() == QAbstractSocket::ConnectedState) {
            writeRpcError(*exchange->responder, 404, -32001,
                QStringLiteral("Session not found: it ended before the answer"), exchange->headers);
        }
    }
    delete s->session.data(); // what it still runs ends without answering (a started task runs on)
    if (m_sessions.isEmpty())
        m_sweep->stop();
}

void HttpTransport::sweep()
{
    const qint64 now = m_clock->monotonicMs();
    QStringList expired;
    for (const auto &s : std::as_const(m_sessions)) {
        const bool busy = isOpen(s->events) || !s->exchanges.isEmpty()
            || (s->session && s->session->pendingRequests() > 0);
        if (!busy && now - s->lastActiveMs >= m_options.sessionIdleMs)
            expired.append(s->id);
    }
    for (const QString &id : std::as_const(expired)) {
        qCInfo(lcMcp).noquote() << "session of" << m_sessions.value(id)->user << "expired (idle)";
        end(id);
    }
}

void HttpTransport::keepalive()
{
    // Comments keep proxies and clients from timing out an idle stream, and find dead clients.
    bool streams = false;
    for (const auto &s : std::as_const(m_sessions)) {
        if (isOpen(s->events))
            streams = s->events->write(": keepalive\n\n") || streams;
        for (const auto &exchange : std::as_const(s->exchanges)) {
            if (isOpen(exchange->stream))
                streams = exchange->stream->write(": keepalive\n\n") || streams;
        }
    }
    if (!streams)
        m_keepalive->stop();
}

} // namespace jarvis::mcp
