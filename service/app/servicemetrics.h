#pragma once

#include "metrics/registry.h"

#include <QObject>
#include <QStringList>

namespace jarvis::http {
class LoginController;
}
namespace jarvis::proxmox {
class Client;
}
namespace jarvis::realtime {
class ClusterEmitter;
class SioServer;
class TemperaturePoller;
class TerminalHandler;
} // namespace jarvis::realtime
namespace jarvis::ssh {
class Pool;
}
namespace jarvis::tools {
class ToolExecutor;
}

namespace jarvis::app {

// The jarvis_* metrics of GET /metrics (PROTOCOL.md section 4): registers every family and wires
// the service's parts to them. The parts know nothing of metrics: durations and outcomes come
// from their signals (children resolved once, or once per new label set), everything they
// already count (sockets, broadcasts, logins, SSH connections, terminals) is read when scraped.
// Owned by Application; main thread. The parts must outlive it (they are its siblings, built
// before it).
class ServiceMetrics : public QObject
{
    Q_OBJECT
public:
    struct Parts
    {
        realtime::SioServer *sio = nullptr;
        QStringList namespaces; // the fixed Socket.IO namespaces to report
        http::LoginController *login = nullptr;
        proxmox::Client *proxmox = nullptr;
        realtime::ClusterEmitter *emitter = nullptr;
        realtime::TemperaturePoller *temperatures = nullptr;
        tools::ToolExecutor *executor = nullptr;
        ssh::Pool *ssh = nullptr;
        realtime::TerminalHandler *terminals = nullptr;
    };

    explicit ServiceMetrics(const Parts &parts, QObject *parent = nullptr);
    ~ServiceMetrics() override;

    const metrics::Registry &registry() const { return m_registry; }
    QByteArray render() const { return m_registry.render(); }

private:
    struct Poll
    {
        metrics::Histogram *duration = nullptr;
        metrics::Counter *failures = nullptr;
    };
    Poll poll(const QString &source);
    void onProxmoxRequest(const QString &endpoint, int status, double seconds);

    metrics::Registry m_registry;
    metrics::Family<metrics::Histogram> *m_pollDuration = nullptr;
    metrics::Family<metrics::Counter> *m_pollFailures = nullptr;
    metrics::Family<metrics::Counter> *m_proxmoxRequests = nullptr;
    metrics::Family<metrics::Histogram> *m_proxmoxDuration = nullptr;
    metrics::Family<metrics::Counter> *m_toolExecutions = nullptr;
    metrics::Family<metrics::Histogram> *m_toolDuration = nullptr;
};

} // namespace jarvis::app
