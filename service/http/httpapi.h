#pragma once

#include "http/httputil.h"

#include <QAbstractHttpServer>
#include <QHash>
#include <QHttpServerRequest>
#include <QJsonObject>
#include <QList>
#include <QPointer>

#include <functional>
#include <memory>

class QTcpSocket;

namespace jarvis::auth {
class JwtSigner;
}

namespace jarvis::http {

class StaticSite;

// What a handler knows about the request beyond QHttpServerRequest.
struct RequestContext
{
    QPointer<QTcpSocket> socket; // null once the client has gone: check before a deferred answer
    HeaderList cors; // add to every response
    QString user; // JWT subject on authenticated routes
    qint64 tokenExpiresAt = 0; // its `exp` (seconds since the epoch)
};

// The REST surface on QtHttpServer 6.4: a route table read top to bottom, one place for CORS,
// Origin checks, body limits, bearer-token checks and the JSON error bodies. Engine.IO polling
// requests are handed to the polling handler registered for their path, and every other request
// outside the API prefixes to the static site (the dashboard), when there is one. Main thread;
// constructed by the composition root.
class HttpApi : public QAbstractHttpServer
{
    Q_OBJECT
public:
    using Method = QHttpServerRequest::Method;
    using Handler = std::function<void(
        const QHttpServerRequest &, QHttpServerResponder &&, const RequestContext &)>;
    using PollingHandler =
        std::function<void(const QHttpServerRequest &, QHttpServerResponder &&, QTcpSocket *)>;

    HttpApi(OriginPolicy origins, const auth::JwtSigner *jwt, qint64 maxBodySize,
        QObject *parent = nullptr);
    ~HttpApi() override;

    enum class Access { Public, Authenticated };
    void route(Method method, const QString &path, Access access, Handler handler);
    // Every request for exactly `path` but OPTIONS goes to `handler` (an Engine.IO server's polling
    // transport; one handler per path, several paths may be registered).
    void addPollingHandler(const QByteArray &path, PollingHandler handler);
    // Serves GET/HEAD of every path outside /api, /socket.io, /mcp and /metrics that has no route
    // from `site` (public, no token, no Origin check: the files are no secret and carry no CORS
    // headers); other methods there answer 405.
    void setStaticSite(std::unique_ptr<StaticSite> site);
    StaticSite *staticSite() const { return m_static.get(); }

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    struct Route
    {
        Method method;
        QString path;
        Access access;
        Handler handler;
    };

    OriginPolicy m_origins;
    const auth::JwtSigner *m_jwt;
    qint64 m_maxBodySize;
    QList<Route> m_routes;
    QHash<QByteArray, PollingHandler> m_pollingHandlers; // by path
    std::unique_ptr<StaticSite> m_static;
};

// A request body that must be a JSON object; nullopt with the reason otherwise.
std::optional<QJsonObject> parseJsonObject(const QByteArray &body, QString *problem);
// Parses a JSON object request body; on failure writes 400 and returns nullopt.
std::optional<QJsonObject> jsonBody(const QHttpServerRequest &request,
    QHttpServerResponder &responder, const RequestContext &context);

} // namespace jarvis::http
