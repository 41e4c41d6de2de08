#pragma once

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <optional>

class QHttpServerResponder;
class QTcpSocket;

// Small HTTP helpers shared by the front door, the REST API and the Engine.IO polling transport:
// request-head parsing for the front door, JSON error bodies, CORS/Origin policy, and one
// function that writes every response.
namespace jarvis::http {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// A request line plus headers, as peeked by the front door before any handler runs.
struct RequestHead
{
    enum class Body { None, Length, Chunked };

    QByteArray method;
    QByteArray target; // path and query as sent
    QByteArray version; // "HTTP/1.1"
    HeaderList headers; // names lower-cased
    qsizetype length = 0; // bytes up to and including the blank line (leading blank lines too)
    Body body = Body::None; // how the body is framed (RFC 9112 section 6.3)
    qint64 contentLength = 0; // with Body::Length

    QByteArray header(const QByteArray &lowerName) const;
    QByteArray path() const;
    QByteArray query() const;
    bool isWebSocketUpgrade() const;
};

enum class HeadStatus { Complete, Incomplete, Invalid };
// Parses the request head at the start of `data` strictly (RFC 9112): CRLF line ends only (a
// bare LF or CR, a NUL or another control character is an error as soon as it is seen, not when
// the blank line comes), one SP between the request line's three parts, HTTP/1.x only (another
// version is 505), no obs-fold, no whitespace before a header's colon, token header names,
// exactly one Host in HTTP/1.1, and an unambiguous body framing: Content-Length once, digits only;
// Transfer-Encoding exactly "chunked" (another coding is 501), never with Content-Length, never in
// HTTP/1.0. Incomplete until the blank line arrives. On Invalid, `*error` says why and `*status`
// is the answer (400, 501 or 505).
HeadStatus parseHead(
    const QByteArray &data, RequestHead *head, QString *error = nullptr, int *status = nullptr);

// The body of the request whose head `head` was parsed, starting at `data` (the bytes after the
// head). Complete sets `*wireLength` to the bytes the body takes on the wire (chunk framing
// included). Chunked bodies are checked strictly: hex sizes without overflow, valid chunk
// extensions, CRLF after every chunk's data, no trailer fields. A body over `maxBodyBytes` is
// Invalid with status 413; bad framing is Invalid with 400.
HeadStatus parseBody(QByteArrayView data, const RequestHead &head, qint64 maxBodyBytes,
    qsizetype *wireLength, QString *error = nullptr, int *status = nullptr);

QByteArray reasonPhrase(int status);

// A complete HTTP/1.1 response, for the front door, which answers before QtHttpServer sees the
// connection. `close` adds "Connection: close".
QByteArray rawResponse(int status, const QByteArray &contentType, const QByteArray &body,
    const HeaderList &extraHeaders = {}, bool close = true);
QByteArray rawJsonResponse(
    int status, const QJsonObject &body, const HeaderList &extraHeaders = {});

QByteArray compactJson(const QJsonObject &object);
QByteArray compactJson(const QJsonArray &array);
QJsonObject errorBody(const QString &error);

// Makes the next response that writeResponse() writes on `socket` carry "Connection: close" and
// end the connection once it has been sent (for a request with the "close" connection option,
// whose response may come later, e.g. a held long-poll).
void closeAfterResponse(QTcpSocket *socket);

// One answer for writeResponse().
struct Response
{
    int status = 200;
    QByteArray contentType; // none when empty
    QByteArray body;
    HeaderList headers;
    QByteArray cacheControl = "no-store";
    bool bodyless = false; // 304: neither body nor Content-Length
};

// Writes one response through a QtHttpServer responder (Content-Length is set).
void writeResponse(QHttpServerResponder &responder, const Response &response);
void writeResponse(QHttpServerResponder &responder, int status, const QByteArray &contentType,
    const QByteArray &body, const HeaderList &extraHeaders = {});
void writeJson(QHttpServerResponder &responder, int status, const QJsonDocument &body,
    const HeaderList &extraHeaders = {});

// Which browser origins may talk to us: the configured allow-list, plus same-origin (the Origin
// equals the scheme and Host the request was sent to). Requests without Origin (non-browser
// clients) are allowed.
class OriginPolicy
{
public:
    OriginPolicy() = default;
    OriginPolicy(const QStringList &allowedOrigins, bool tls);

    // `origin` and `host` are the raw header values (empty when absent).
    bool isAllowed(const QByteArray &origin, const QByteArray &host) const;
    // CORS headers for a response to an allowed cross-origin request (empty otherwise).
    HeaderList corsHeaders(const QByteArray &origin, const QByteArray &host) const;
    HeaderList preflightHeaders(const QByteArray &origin, const QByteArray &host) const;

private:
    QStringList m_allowed;
    bool m_tls = false;
};

// Lower-cases scheme and host and drops a trailing slash: "HTTPS://Jarvis.LAN/" ->
// "https://jarvis.lan".
QString normaliseOrigin(const QString &origin);

} // namespace jarvis::http
