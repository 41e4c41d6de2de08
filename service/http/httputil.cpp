#include "http/httputil.h"

#include "http/frontdoor.h"
#include "net/origin.h"

#include <QHttpServerResponder>
#include <QJsonArray>
#include <QTcpSocket>

namespace jarvis::http {

namespace {
const char *const CloseAfterResponseProperty = "_jarvis_close_after_response";
} // namespace

QByteArray rawResponse(int status, const QByteArray &contentType, const QByteArray &body,
    const HeaderList &extraHeaders, bool close)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    if (!contentType.isEmpty())
        out += "Content-Type: " + contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    for (const auto &h : extraHeaders)
        out += h.first + ": " + h.second + "\r\n";
    if (close)
        out += "Connection: close\r\n";
    out += "\r\n";
    out += body;
    return out;
}

QByteArray rawJsonResponse(int status, const QJsonObject &body, const HeaderList &extraHeaders)
{
    return rawResponse(status, "application/json", compactJson(body), extraHeaders, true);
}

QByteArray compactJson(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QByteArray compactJson(const QJsonArray &array)
{
    return QJsonDocument(array).toJson(QJsonDocument::Compact);
}

QJsonObject errorBody(const QString &error)
{
    return QJsonObject {{QStringLiteral("error"), error}};
}

void closeAfterResponse(QTcpSocket *socket)
{
    if (socket)
        socket->setProperty(CloseAfterResponseProperty, true);
}

bool closesAfterResponse(const QTcpSocket *socket)
{
    return socket && socket->property(CloseAfterResponseProperty).toBool();
}

void writeResponse(QHttpServerResponder &responder, const Response &response)
{
    QTcpSocket *socket = responder.socket();
    const bool close = socket && socket->property(CloseAfterResponseProperty).toBool();
    responder.writeStatusLine(static_cast<QHttpServerResponder::StatusCode>(response.status));
    if (!response.contentType.isEmpty())
        responder.writeHeader("Content-Type", response.contentType);
    if (!response.bodyless)
        responder.writeHeader("Content-Length", QByteArray::number(response.body.size()));
    responder.writeHeader("Cache-Control", response.cacheControl);
    for (const auto &header : response.headers)
        responder.writeHeader(header.first, header.second);
    if (close)
        responder.writeHeader("Connection", "close");
    // A HEAD answer has the headers of the GET answer, Content-Length included, and no body.
    if (response.bodyless || FrontDoor::answeringHead(socket))
        responder.writeBody("", 0);
    else
        responder.writeBody(response.body);
    FrontDoor::responseWritten(socket, close);
    if (close)
        socket->disconnectFromHost(); // after what is still buffered has been written
}

void writeResponse(QHttpServerResponder &responder, int status, const QByteArray &contentType,
    const QByteArray &body, const HeaderList &extraHeaders)
{
    writeResponse(responder, Response {status, contentType, body, extraHeaders});
}

void writeJson(QHttpServerResponder &responder, int status, const QJsonDocument &body,
    const HeaderList &extraHeaders)
{
    writeResponse(
        responder, status, "application/json", body.toJson(QJsonDocument::Compact), extraHeaders);
}

OriginPolicy::OriginPolicy(const QStringList &allowedOrigins, bool tls)
    : m_tls(tls)
{
    for (const QString &o : allowedOrigins) {
        if (const auto normalised = net::normaliseOrigin(o))
            m_allowed.append(*normalised);
    }
}

bool OriginPolicy::isAllowed(const QByteArray &origin, const QByteArray &host) const
{
    if (origin.isEmpty())
        return true;
    const auto o = net::normaliseOrigin(QString::fromUtf8(origin));
    if (!o)
        return false; // not an origin ("null", a path, another scheme...): never allowed
    if (!host.isEmpty()) {
        const auto self =
            net::normaliseOrigin((m_tls ? QStringLiteral("https://") : QStringLiteral("http://"))
                + QString::fromUtf8(host));
        if (o == self)
            return true;
    }
    return m_allowed.contains(*o);
}

HeaderList OriginPolicy::corsHeaders(const QByteArray &origin, const QByteArray &host) const
{
    if (origin.isEmpty() || !isAllowed(origin, host))
        return {};
    return {{"Access-Control-Allow-Origin", origin}, {"Access-Control-Allow-Credentials", "true"},
        {"Vary", "Origin"}};
}

HeaderList OriginPolicy::preflightHeaders(const QByteArray &origin, const QByteArray &host) const
{
    HeaderList headers = corsHeaders(origin, host);
    if (headers.isEmpty())
        return headers;
    headers.emplaceBack("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
    // MCP's Streamable HTTP (/mcp) sends its session, revision and resumption headers too.
    headers.emplaceBack("Access-Control-Allow-Headers",
        "authorization, content-type, mcp-session-id, mcp-protocol-version, last-event-id");
    headers.emplaceBack("Access-Control-Max-Age", "600");
    return headers;
}

} // namespace jarvis::http
