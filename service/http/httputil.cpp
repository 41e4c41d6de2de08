#include "http/httputil.h"

#include <QHttpServerResponder>
#include <QJsonArray>
#include <QTcpSocket>
#include <QUrl>

namespace jarvis::http {

namespace {
constexpr qsizetype MaxHeaders = 100;
const char *const CloseAfterResponseProperty = "_jarvis_close_after_response";

QByteArray lower(QByteArray value)
{
    return value.toLower();
}
} // namespace

QByteArray RequestHead::header(const QByteArray &lowerName) const
{
    for (const auto &h : headers) {
        if (h.first == lowerName)
            return h.second;
    }
    return {};
}

QByteArray RequestHead::path() const
{
    const qsizetype q = target.indexOf('?');
    return q < 0 ? target : target.left(q);
}

QByteArray RequestHead::query() const
{
    const qsizetype q = target.indexOf('?');
    return q < 0 ? QByteArray() : target.mid(q + 1);
}

bool RequestHead::isWebSocketUpgrade() const
{
    if (header("upgrade").trimmed().toLower() != "websocket")
        return false;
    const QList<QByteArray> tokens = header("connection").split(',');
    for (const QByteArray &t : tokens) {
        if (t.trimmed().toLower() == "upgrade")
            return true;
    }
    return false;
}

HeadStatus parseHead(const QByteArray &data, RequestHead *head, QString *error)
{
    const qsizetype end = data.indexOf("\r\n\r\n");
    if (end < 0)
        return HeadStatus::Incomplete;
    auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return HeadStatus::Invalid;
    };
    const QList<QByteArray> lines = data.left(end).split('\n');
    if (lines.isEmpty())
        return fail(QStringLiteral("empty request"));
    QByteArray requestLine = lines.first();
    if (requestLine.endsWith('\r'))
        requestLine.chop(1);
    const QList<QByteArray> parts = requestLine.split(' ');
    if (parts.size() != 3 || parts[0].isEmpty() || parts[1].isEmpty()
        || !parts[2].startsWith("HTTP/1.")) {
        return fail(QStringLiteral("malformed request line"));
    }
    RequestHead result;
    result.method = parts[0];
    result.target = parts[1];
    result.version = parts[2];
    for (qsizetype i = 1; i < lines.size(); ++i) {
        QByteArray line = lines[i];
        if (line.endsWith('\r'))
            line.chop(1);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return fail(QStringLiteral("malformed header line"));
        if (result.headers.size() >= MaxHeaders)
            return fail(QStringLiteral("too many headers"));
        result.headers.emplaceBack(
            lower(line.left(colon).trimmed()), line.mid(colon + 1).trimmed());
    }
    result.length = end + 4;
    *head = std::move(result);
    return HeadStatus::Complete;
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

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

void writeResponse(QHttpServerResponder &responder, int status, const QByteArray &contentType,
    const QByteArray &body, const HeaderList &extraHeaders)
{
    QTcpSocket *socket = responder.socket();
    const bool close = socket && socket->property(CloseAfterResponseProperty).toBool();
    responder.writeStatusLine(static_cast<QHttpServerResponder::StatusCode>(status));
    if (!contentType.isEmpty())
        responder.writeHeader("Content-Type", contentType);
    responder.writeHeader("Content-Length", QByteArray::number(body.size()));
    responder.writeHeader("Cache-Control", "no-store");
    for (const auto &header : extraHeaders)
        responder.writeHeader(header.first, header.second);
    if (close)
        responder.writeHeader("Connection", "close");
    responder.writeBody(body);
    if (close)
        socket->disconnectFromHost(); // after what is still buffered has been written
}

void writeJson(QHttpServerResponder &responder, int status, const QJsonDocument &body,
    const HeaderList &extraHeaders)
{
    writeResponse(
        responder, status, "application/json", body.toJson(QJsonDocument::Compact), extraHeaders);
}

QString normaliseOrigin(const QString &origin)
{
    QString s = origin.trimmed();
    while (s.endsWith(QLatin1Char('/')))
        s.chop(1);
    const QUrl url(s, QUrl::StrictMode);
    if (!url.isValid() || url.scheme().isEmpty() || url.host().isEmpty())
        return s.toLower();
    QString out = url.scheme().toLower() + QStringLiteral("://") + url.host().toLower();
    const int port = url.port();
    const bool defaultPort =
        (port == 80 && url.scheme().compare(QLatin1String("http"), Qt::CaseInsensitive) == 0)
        || (port == 443 && url.scheme().compare(QLatin1String("https"), Qt::CaseInsensitive) == 0);
    if (port != -1 && !defaultPort)
        out += QLatin1Char(':') + QString::number(port);
    return out;
}

OriginPolicy::OriginPolicy(const QStringList &allowedOrigins, bool tls)
    : m_tls(tls)
{
    for (const QString &o : allowedOrigins)
        m_allowed.append(normaliseOrigin(o));
}

bool OriginPolicy::isAllowed(const QByteArray &origin, const QByteArray &host) const
{
    if (origin.isEmpty())
        return true;
    const QString o = normaliseOrigin(QString::fromUtf8(origin));
    if (!host.isEmpty()) {
        const QString self =
            normaliseOrigin((m_tls ? QStringLiteral("https://") : QStringLiteral("http://"))
                + QString::fromUtf8(host));
        if (o == self)
            return true;
    }
    return m_allowed.contains(o);
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
    headers.emplaceBack("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    headers.emplaceBack("Access-Control-Allow-Headers", "authorization, content-type");
    headers.emplaceBack("Access-Control-Max-Age", "600");
    return headers;
}

} // namespace jarvis::http
