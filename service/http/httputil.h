#pragma once

#include "net/httphead.h"

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QStringList>

class QHttpServerResponder;
class QTcpSocket;

// Small HTTP helpers shared by the front door, the REST API and the Engine.IO polling transport:
// JSON error bodies, CORS/Origin policy, and one function that writes every response. Request
// heads are parsed in net/httphead.h.
namespace jarvis::http {

using net::HeaderList;
using net::RequestHead;

using net::reasonPhrase;

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
// Whether closeAfterResponse() was called for the response being written on `socket`.
bool closesAfterResponse(const QTcpSocket *socket);

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

} // namespace jarvis::http
