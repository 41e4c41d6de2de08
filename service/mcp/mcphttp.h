#pragma once

#include "auth/apikey.h"
#include "http/httputil.h"

#include <QHash>
#include <QHttpServerRequest>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QPointer>

#include <memory>

class QHttpServerResponder;

namespace jarvis::auth {
class JwtSigner;
}
namespace jarvis::core {
class Clock;
class Ticker;
} // namespace jarvis::core
namespace jarvis::http {
class HttpApi;
struct RequestContext;
class StreamedResponse;
} // namespace jarvis::http

namespace jarvis::mcp {

class Server;
class Session;

// MCP's Streamable HTTP transport at /mcp on the service's port (PROTOCOL.md section 8), on the
// REST route table (so Origin checks, CORS and body limits are the service's): POST carries one
// JSON-RPC message (a request is answered as JSON, or as an SSE stream once it reports
// progress; notifications and responses get 202), GET opens the session's own SSE stream (for
// notifications/resources/updated), DELETE ends the session. Sessions (Mcp-Session-Id, 43
// base64url characters from the CSPRNG) belong to the key or token that opened them, are
// bounded in number and expire when idle. Every request authenticates: an API key of
// `[mcp] apiKeys` or the service's JWT, as `Authorization: Bearer`. Main thread.
class HttpTransport : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QList<auth::ApiKey> apiKeys;
        int maxSessions = 64;
        int sessionIdleMs = 30 * 60 * 1000; // no request and no open GET stream for this long
        int keepaliveMs = 25000; // an SSE comment on every open stream
        qint64 maxStreamBuffer = 4 * 1024 * 1024; // unsent bytes of one stream before it closes
    };

    // `server`, `http`, `jwt` are not owned and outlive the transport; `clock` null = system.
    HttpTransport(Server *server, http::HttpApi *http, const auth::JwtSigner *jwt, Options options,
        core::Clock *clock = nullptr, QObject *parent = nullptr);
    ~HttpTransport() override;

    int sessionCount() const { return int(m_sessions.size()); }

private:
    struct Exchange;
    struct HttpSession;

    void post(const QHttpServerRequest &request, QHttpServerResponder &&responder,
        const http::RequestContext &context);
    void get(const QHttpServerRequest &request, QHttpServerResponder &&responder,
        const http::RequestContext &context);
    void remove(const QHttpServerRequest &request, QHttpServerResponder &&responder,
        const http::RequestContext &context);

    // The caller's audit name ("mcp:<key>" or the JWT subject); answers 401 and returns false.
    bool authenticate(const QHttpServerRequest &request, QHttpServerResponder &responder,
        const http::RequestContext &context, QString *user);
    // The request's session (Mcp-Session-Id, owner, MCP-Protocol-Version); answers 400/404 and
    // returns null.
    HttpSession *sessionFor(const QHttpServerRequest &request, QHttpServerResponder &responder,
        const http::RequestContext &context, const QString &user);
    HttpSession *open(const QString &user, QString *refusal);
    void send(HttpSession *s, const QJsonObject &message, const QJsonValue &related);
    void dropped(HttpSession *s, const QJsonValue &id);
    // An SSE answer (200, text/event-stream) on `responder`, deleted once it closes; null (and
    // nothing left behind) when the connection is already gone.
    http::StreamedResponse *openEventStream(
        QHttpServerResponder &&responder, const http::HeaderList &headers);
    void end(const QString &sessionId);
    void sweep();
    void keepalive();

    Server *m_server;
    http::HttpApi *m_http;
    const auth::JwtSigner *m_jwt;
    Options m_options;
    core::Clock *m_clock;
    core::Ticker *m_sweep; // children
    core::Ticker *m_keepalive;
    QHash<QString, std::shared_ptr<HttpSession>> m_sessions; // by Mcp-Session-Id
};

} // namespace jarvis::mcp
