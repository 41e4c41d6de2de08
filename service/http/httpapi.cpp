#include "http/httpapi.h"

#include "auth/bearer.h"
#include "auth/jwt.h"
#include "http/staticsite.h"

#include <QHttpServerResponder>
#include <QJsonParseError>
#include <QLoggingCategory>
#include <QTcpSocket>

#include <algorithm>

Q_DECLARE_LOGGING_CATEGORY(lcFrontDoor)

namespace jarvis::http {

namespace {
QByteArray methodName(HttpApi::Method method)
{
    switch (method) {
    case HttpApi::Method::Get:
        return "GET";
    case HttpApi::Method::Post:
        return "POST";
    case HttpApi::Method::Put:
        return "PUT";
    case HttpApi::Method::Delete:
        return "DELETE";
    case HttpApi::Method::Patch:
        return "PATCH";
    case HttpApi::Method::Head:
        return "HEAD";
    case HttpApi::Method::Options:
        return "OPTIONS";
    default:
        return "?";
    }
}

bool asksToClose(const QHttpServerRequest &request)
{
    const QList<QByteArray> options = request.value("connection").split(',');
    for (const QByteArray &option : options) {
        if (option.trimmed().toLower() == "close")
            return true;
    }
    return false;
}

} // namespace

HttpApi::HttpApi(
    OriginPolicy origins, const auth::JwtSigner *jwt, qint64 maxBodySize, QObject *parent)
    : QAbstractHttpServer(parent)
    , m_origins(std::move(origins))
    , m_jwt(jwt)
    , m_maxBodySize(maxBodySize)
{ }

HttpApi::~HttpApi() = default;

void HttpApi::setStaticSite(std::unique_ptr<StaticSite> site)
{
    m_static = std::move(site);
}

void HttpApi::route(Method method, const QString &path, Access access, Handler handler)
{
    m_routes.append({method, path, access, std::move(handler)});
}

void HttpApi::addPollingHandler(const QByteArray &path, PollingHandler handler)
{
    m_pollingHandlers.insert(path, std::move(handler));
}

bool HttpApi::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    QHttpServerResponder responder = makeResponder(request, socket);
    const QByteArray origin = request.value("origin");
    const QByteArray host = request.value("host");
    const QString path = request.url().path();
    if (asksToClose(request))
        closeAfterResponse(socket); // RFC 9112 section 9.6 (node-fetch sends it on every request)

    if (request.method() == Method::Options) {
        if (!origin.isEmpty() && !m_origins.isAllowed(origin, host)) {
            writeJson(
                responder, 403, QJsonDocument(errorBody(QStringLiteral("origin not allowed"))));
            return true;
        }
        HeaderList headers = m_origins.preflightHeaders(origin, host);
        headers.emplaceBack("Allow", "GET, POST, OPTIONS");
        writeResponse(responder, 204, {}, {}, headers);
        return true;
    }

    if (const auto polling = m_pollingHandlers.constFind(path.toUtf8());
        polling != m_pollingHandlers.constEnd()) {
        polling.value()(request, std::move(responder), socket);
        return true;
    }

    if (m_static && StaticSite::servesPath(path)
        && std::none_of(m_routes.cbegin(), m_routes.cend(),
            [&path](const Route &route) { return route.path == path; })) {
        writeResponse(responder,
            m_static->answer(methodName(request.method()),
                request.url().path(QUrl::FullyEncoded).toUtf8(), request.headers()));
        return true;
    }

    RequestContext context;
    context.socket = socket;
    context.cors = m_origins.corsHeaders(origin, host);
    auto fail = [&](int status, const QJsonObject &body, HeaderList extra = {}) {
        writeJson(responder, status, QJsonDocument(body), context.cors + extra);
    };

    if (!m_origins.isAllowed(origin, host)) {
        fail(403, errorBody(QStringLiteral("origin not allowed")));
        return true;
    }
    if (request.body().size() > m_maxBodySize) {
        closeAfterResponse(socket);
        fail(413,
            errorBody(
                QStringLiteral("request body exceeds the limit of %1 bytes").arg(m_maxBodySize)));
        return true;
    }

    const Route *match = nullptr;
    QByteArrayList allowed;
    for (const Route &route : std::as_const(m_routes)) {
        if (route.path != path)
            continue;
        allowed.append(methodName(route.method));
        if (route.method == request.method()
            || (request.method() == Method::Head && route.method == Method::Get))
            match = &route;
    }
    if (!match) {
        if (allowed.isEmpty()) {
            fail(404, errorBody(QStringLiteral("not found: %1").arg(path)));
        } else {
            allowed.append("OPTIONS");
            fail(405,
                errorBody(QStringLiteral("method %1 not allowed on %2")
                              .arg(QString::fromLatin1(methodName(request.method())), path)),
                {{"Allow", allowed.join(", ")}});
        }
        return true;
    }

    if (match->access == Access::Authenticated) {
        auth::TokenError error = auth::TokenError::Missing;
        const std::optional<auth::Claims> claims = auth::checkBearer(*m_jwt,
            auth::PresentedToken::authorizationHeader(request.value("authorization")), &error);
        if (!claims) {
            fail(401,
                QJsonObject {{QStringLiteral("error"), QStringLiteral("unauthorized")},
                    {QStringLiteral("reason"), auth::reasonString(error)}},
                {{"WWW-Authenticate", "Bearer"}});
            return true;
        }
        context.user = claims->subject;
        context.tokenExpiresAt = claims->expiresAt;
    }
    match->handler(request, std::move(responder), context);
    return true;
}

void HttpApi::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket)
{
    QHttpServerResponder responder = makeResponder(request, socket);
    writeJson(responder, 404, QJsonDocument(errorBody(QStringLiteral("not found"))));
}

std::optional<QJsonObject> parseJsonObject(const QByteArray &body, QString *problem)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(body, &error);
    if (body.trimmed().isEmpty()
        || (error.error == QJsonParseError::NoError && !document.isObject())) {
        *problem = QStringLiteral("request body must be a JSON object");
        return std::nullopt;
    }
    if (error.error != QJsonParseError::NoError) {
        *problem = QStringLiteral("invalid JSON at offset %1: %2")
                       .arg(error.offset)
                       .arg(error.errorString());
        return std::nullopt;
    }
    return document.object();
}

std::optional<QJsonObject> jsonBody(const QHttpServerRequest &request,
    QHttpServerResponder &responder, const RequestContext &context)
{
    QString problem;
    const auto object = parseJsonObject(request.body(), &problem);
    if (!object)
        writeJson(responder, 400, QJsonDocument(errorBody(problem)), context.cors);
    return object;
}

} // namespace jarvis::http
