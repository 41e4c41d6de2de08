#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>
#include <QString>

// HTTP/1.1 request-head and body-framing parsing (RFC 9112), the one parser of every request:
// the front door checks each request with it and hands the parsed head on (to QtHttpServer's
// routes, or to the WebSocket handshake, which does not parse again). Pure functions, no I/O.
namespace jarvis::net {

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

// The reason phrase for a status code ("Not Found"), "Unknown" for one not listed.
QByteArray reasonPhrase(int status);

} // namespace jarvis::net
