#pragma once

#include "auth/jwt.h"
#include "config/config.h"

#include <QDateTime>
#include <QList>
#include <QObject>

#include <memory>

namespace jarvis::core {
class Clock;
}
namespace jarvis::http {
class FrontDoor;
class LoginController;
class HttpApi;
} // namespace jarvis::http
namespace jarvis::realtime {
struct EngineOptions;
class EngineServer;
class Namespace;
class SioServer;
} // namespace jarvis::realtime

namespace jarvis::app {

class ClusterServices;
class McpService;
class MemoryTrimmer;
class ServiceMetrics;

// The composition root: builds every service object from the configuration, wires them, and owns
// them. Nothing below it reaches for globals. Main thread.
class Application : public QObject
{
    Q_OBJECT
public:
    explicit Application(config::Config config, QObject *parent = nullptr);
    // With the time and timers of the cluster emitter and the temperature poller taken from
    // `clock` (tests step a core::ManualClock); the one above uses core::Clock::system().
    Application(config::Config config, core::Clock *clock, QObject *parent = nullptr);
    ~Application() override;

    // Starts listening. False with `error` set when the port cannot be opened or TLS files fail.
    bool start(QString *error);
    // Stops accepting, closes every realtime session. Idempotent.
    void shutdown();

    quint16 port() const;
    QString url() const;
    const config::Config &config() const { return m_config; }

    realtime::SioServer *sio() const { return m_sio; }
    ClusterServices *cluster() const { return m_cluster; }
    McpService *mcp() const { return m_mcp; } // null when [mcp] enabled=false
    http::HttpApi *http() const { return m_http; }
    const auth::JwtSigner &jwt() const { return m_jwt; }
    // Returns freed memory to the kernel after many sessions ended.
    MemoryTrimmer *memoryTrimmer() const { return m_trimmer; }
    ServiceMetrics *metrics() const { return m_metrics; }

    // A namespace whose CONNECT must carry a valid JWT ({token}) in its auth payload.
    realtime::Namespace *addProtectedNamespace(const QString &name);
    // Another Engine.IO server on the same port, at options.path (which must differ from every
    // other server's; the Socket.IO one is at /socket.io/), with the configured origin policy.
    // Its polling requests and WebSocket upgrades are routed to it by path. Call before start().
    realtime::EngineServer *addEngineServer(const realtime::EngineOptions &options);

private:
    void registerRoutes();
    void registerNamespaces();

    config::Config m_config;
    auth::JwtSigner m_jwt;
    QDateTime m_startedAt;
    QList<realtime::EngineServer *> m_engines; // children; the first is the Socket.IO one
    realtime::SioServer *m_sio = nullptr;
    http::HttpApi *m_http = nullptr;
    http::FrontDoor *m_frontDoor = nullptr;
    MemoryTrimmer *m_trimmer = nullptr; // child
    http::LoginController *m_login = nullptr;
    ClusterServices *m_cluster = nullptr;
    ServiceMetrics *m_metrics = nullptr; // child; GET /metrics
    McpService *m_mcp = nullptr; // child
    bool m_shutDown = false;
};

} // namespace jarvis::app
