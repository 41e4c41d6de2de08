#include "app/application.h"

#include "app/clusterservices.h"
#include "app/mcpservice.h"
#include "app/memorytrimmer.h"
#include "app/servicemetrics.h"
#include "auth/bearer.h"
#include "http/frontdoor.h"
#include "http/httpapi.h"
#include "http/logincontroller.h"
#include "http/metricsendpoint.h"
#include "http/staticsite.h"
#include "realtime/engineserver.h"
#include "realtime/sioserver.h"
#include "ssh/pool.h"

#include <QFile>
#include <QHostAddress>
#include <QHttpServerResponder>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>

Q_LOGGING_CATEGORY(lcApp, "jarvis.app")

namespace jarvis::app {

namespace {
http::OriginPolicy originPolicy(const config::Config &config)
{
    return http::OriginPolicy(config.allowedOrigins, config.tlsEnabled());
}

realtime::EngineOptions engineOptions(const config::Config &config)
{
    realtime::EngineOptions options;
    options.pingInterval = config.pingInterval;
    options.pingTimeout = config.pingTimeout;
    options.maxPayload = config.maxPayload;
    options.permessageDeflate = config.perMessageDeflate;
    // A/B switch for benchmarks: QtWebSockets instead of our own transport.
    options.rawWebSocket = qEnvironmentVariable("JARVIS_WS_TRANSPORT") != QLatin1String("qt");
    return options;
}

std::optional<QSslConfiguration> loadTls(const config::Config &config, QString *error)
{
    QFile certFile(config.tlsCert);
    QFile keyFile(config.tlsKey);
    if (!certFile.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read TLS certificate %1: %2")
                     .arg(config.tlsCert, certFile.errorString());
        return std::nullopt;
    }
    if (!keyFile.open(QIODevice::ReadOnly)) {
        *error =
            QStringLiteral("cannot read TLS key %1: %2").arg(config.tlsKey, keyFile.errorString());
        return std::nullopt;
    }
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certFile.readAll(), QSsl::Pem);
    const QByteArray keyPem = keyFile.readAll();
    QSslKey key(keyPem, QSsl::Ec, QSsl::Pem);
    if (key.isNull())
        key = QSslKey(keyPem, QSsl::Rsa, QSsl::Pem);
    if (chain.isEmpty() || key.isNull()) {
        *error = QStringLiteral("TLS certificate or key is not valid PEM (%1, %2)")
                     .arg(config.tlsCert, config.tlsKey);
        return std::nullopt;
    }
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setLocalCertificate(chain.first());
    if (chain.size() > 1)
        ssl.setLocalCertificateChain(chain);
    ssl.setPrivateKey(key);
    ssl.setPeerVerifyMode(QSslSocket::VerifyNone);
    ssl.setProtocol(QSsl::TlsV1_2OrLater);
    return ssl;
}
} // namespace

Application::Application(config::Config config, QObject *parent)
    : Application(std::move(config), nullptr, parent)
{ }

Application::Application(config::Config config, core::Clock *clock, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_jwt(m_config.jwtSecret)
    , m_startedAt(QDateTime::currentDateTimeUtc())
{
    m_trimmer = new MemoryTrimmer({}, {}, clock, this);
    m_http = new http::HttpApi(originPolicy(m_config), &m_jwt, m_config.maxBodySize, this);
    http::FrontDoor::Limits limits;
    limits.maxBodyBytes = m_config.maxBodySize;
    m_frontDoor = new http::FrontDoor(limits, this);
    m_frontDoor->setHttpServer(m_http);
    // The dashboard: compiled in as the Qt resource :/web, or a directory (--web-root).
    m_http->setStaticSite(std::make_unique<http::StaticSite>(
        m_config.webRoot.isEmpty() ? QStringLiteral(":/web") : m_config.webRoot));

    m_sio = new realtime::SioServer(
        addEngineServer(engineOptions(m_config)), m_config.connectTimeout, this);

    m_login = new http::LoginController(
        {m_config.username, m_config.passwordHash, m_config.adminPassword}, &m_jwt,
        m_config.tokenLifetime, this);
    registerRoutes();
    registerNamespaces();
    m_cluster = new ClusterServices(m_config, m_http, m_sio, clock, this);

    // GET /metrics: the parts above, read by a Prometheus scraper.
    m_metrics = new ServiceMetrics(
        {m_sio,
            {QStringLiteral("/cluster"), QStringLiteral("/events"), QStringLiteral("/terminal")},
            m_login, m_cluster->client(), m_cluster->emitter(), m_cluster->temperatures(),
            m_cluster->executor(), m_cluster->sshPool(), m_cluster->terminals()},
        this);
    http::MetricsEndpoint::install(
        m_http, m_config.metricsTokens, [metrics = m_metrics] { return metrics->render(); },
        metrics::Registry::contentType());
    if (m_config.mcpEnabled)
        m_mcp = new McpService(m_config, m_http, &m_jwt, m_cluster, clock, this);
}

Application::~Application()
{
    shutdown();
}

bool Application::start(QString *error)
{
    if (!m_cluster->start(error))
        return false;
    std::optional<QSslConfiguration> ssl;
    if (m_config.tlsEnabled()) {
        ssl = loadTls(m_config, error);
        if (!ssl)
            return false;
    }
    const QHostAddress address = m_config.listen == QLatin1String("localhost")
        ? QHostAddress(QHostAddress::LocalHost)
        : QHostAddress(m_config.listen);
    if (!m_frontDoor->listen(address, quint16(m_config.port), ssl ? &*ssl : nullptr)) {
        *error = QStringLiteral("cannot listen on %1:%2: %3")
                     .arg(m_config.listen)
                     .arg(m_config.port)
                     .arg(m_frontDoor->errorString());
        return false;
    }
    return true;
}

void Application::shutdown()
{
    if (m_shutDown)
        return;
    m_shutDown = true;
    m_frontDoor->close();
    m_cluster->shutdown(); // terminals first, so their audit says why they ended
    // Sessions first: their sockets refer to namespaces owned by the Socket.IO server.
    for (realtime::EngineServer *engine : std::as_const(m_engines))
        engine->closeAll(QStringLiteral("server shutting down"));
}

realtime::EngineServer *Application::addEngineServer(const realtime::EngineOptions &options)
{
    auto *engine = new realtime::EngineServer(options, originPolicy(m_config), this);
    m_engines.append(engine);
    connect(engine, &realtime::EngineServer::sessionEnded, m_trimmer,
        [this] { m_trimmer->noteRelease(); });
    m_frontDoor->addUpgradeRoute(
        options.path, options.maxPayload,
        [engine](QTcpSocket *socket, const http::RequestHead &head) {
            engine->handleUpgrade(socket, head);
        },
        [engine](const http::RequestHead &head) { engine->bodyRefused(head); });
    m_http->addPollingHandler(options.path,
        [engine](const QHttpServerRequest &request, QHttpServerResponder &&responder,
            QTcpSocket *socket) { engine->handlePolling(request, std::move(responder), socket); });
    return engine;
}

quint16 Application::port() const
{
    return m_frontDoor->port();
}

QString Application::url() const
{
    QString host = m_config.listen;
    if (host == QLatin1String("0.0.0.0") || host == QLatin1String("::"))
        host = QStringLiteral("127.0.0.1");
    if (host.contains(QLatin1Char(':')))
        host = QLatin1Char('[') + host + QLatin1Char(']');
    return QStringLiteral("%1://%2:%3")
        .arg(m_config.tlsEnabled() ? QStringLiteral("https") : QStringLiteral("http"), host)
        .arg(port());
}

void Application::registerRoutes()
{
    using Method = http::HttpApi::Method;
    using Access = http::HttpApi::Access;

    m_http->route(Method::Get, QStringLiteral("/api/health"), Access::Public,
        [this](const QHttpServerRequest &, QHttpServerResponder &&responder,
            const http::RequestContext &context) {
            const QJsonObject proxmox = m_cluster->proxmoxHealth();
            const QJsonObject ssh {{QStringLiteral("connected"),
                QJsonArray::fromStringList(m_cluster->sshPool()->connectedNodes())}};
            const bool healthy = proxmox.value(QStringLiteral("reachable")).toBool();
            const QJsonObject body {
                {QStringLiteral("status"),
                    healthy ? QStringLiteral("ok") : QStringLiteral("degraded")},
                {QStringLiteral("version"), QStringLiteral(JARVIS_VERSION)},
                {QStringLiteral("uptimeSeconds"),
                    double(m_startedAt.secsTo(QDateTime::currentDateTimeUtc()))},
                {QStringLiteral("proxmox"), proxmox}, {QStringLiteral("ssh"), ssh}};
            http::writeJson(responder, 200, QJsonDocument(body), context.cors);
        });
    m_http->route(Method::Post, QStringLiteral("/api/auth/login"), Access::Public,
        [this](const QHttpServerRequest &request, QHttpServerResponder &&responder,
            const http::RequestContext &context) {
            m_login->handle(request, std::move(responder), context);
        });
    m_http->route(Method::Get, QStringLiteral("/api/auth/session"), Access::Authenticated,
        [](const QHttpServerRequest &, QHttpServerResponder &&responder,
            const http::RequestContext &context) {
            const QJsonObject body {{QStringLiteral("user"), context.user},
                {QStringLiteral("expiresAt"),
                    QDateTime::fromSecsSinceEpoch(context.tokenExpiresAt, Qt::UTC)
                        .toString(Qt::ISODate)}};
            http::writeJson(responder, 200, QJsonDocument(body), context.cors);
        });
}

realtime::Namespace *Application::addProtectedNamespace(const QString &name)
{
    realtime::Namespace *nsp = m_sio->addNamespace(name);
    nsp->setMiddleware([this](realtime::SioSocket *socket,
                           const QJsonValue &auth) -> std::optional<realtime::ConnectError> {
        auth::TokenError error = auth::TokenError::Missing;
        const std::optional<auth::Claims> claims =
            auth::checkBearer(m_jwt, auth::PresentedToken::connectAuth(auth), &error);
        if (!claims) {
            return realtime::ConnectError {QStringLiteral("unauthorized"),
                QJsonObject {{QStringLiteral("reason"), auth::reasonString(error)}}};
        }
        socket->setUser(claims->subject);
        return std::nullopt;
    });
    return nsp;
}

void Application::registerNamespaces()
{
    addProtectedNamespace(QStringLiteral("/cluster"));
    addProtectedNamespace(QStringLiteral("/events"));
    addProtectedNamespace(QStringLiteral("/terminal"));
}

} // namespace jarvis::app
