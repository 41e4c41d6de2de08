#pragma once

#include "config/config.h"

#include <QJsonObject>
#include <QObject>

#include <memory>

namespace jarvis::core {
class Clock;
}
namespace jarvis::history {
class Recorder;
}
namespace jarvis::http {
class HttpApi;
}
namespace jarvis::proxmox {
class Client;
}
namespace jarvis::realtime {
class ClusterEmitter;
class EmitterView;
class EventBus;
class HistoryEvents;
class SioServer;
class TemperaturePoller;
class TerminalHandler;
class ToolEvents;
} // namespace jarvis::realtime
namespace jarvis::ssh {
class Pool;
}
namespace jarvis::tools {
class AuditLog;
class ToolExecutor;
} // namespace jarvis::tools

namespace jarvis::app {

// The cluster half of the service, built from the configuration: the Proxmox client, the /events
// bus, the /cluster emitter, the audit log and the tool executor, plus their REST routes
// (GET /api/tools, POST /api/tools/execute, GET /api/audit). Owned by Application; main thread.
class ClusterServices : public QObject
{
    Q_OBJECT
public:
    // `clock` (null: core::Clock::system()) drives the emitter's, the poller's and the SSH pool's
    // timers.
    ClusterServices(const config::Config &config, http::HttpApi *http, realtime::SioServer *sio,
        core::Clock *clock = nullptr, QObject *parent = nullptr);
    ~ClusterServices() override;

    // Opens the audit log. False with `error` set.
    bool start(QString *error);
    // Server shutdown: closes every terminal (audited as ended by shutdown).
    void shutdown();

    // {reachable, lastPollAt} for GET /api/health.
    QJsonObject proxmoxHealth() const;

    proxmox::Client *client() const { return m_client; }
    realtime::EventBus *events() const { return m_events; }
    realtime::ClusterEmitter *emitter() const { return m_emitter; }
    tools::ToolExecutor *executor() const { return m_executor; }
    tools::AuditLog *audit() const { return m_audit.get(); }
    ssh::Pool *sshPool() const { return m_pool; }
    realtime::TemperaturePoller *temperatures() const { return m_temperatures; }
    realtime::TerminalHandler *terminals() const { return m_terminals; }
    history::Recorder *history() const { return m_history; } // null when [history] enabled=false

private:
    void registerRoutes(http::HttpApi *http);

    proxmox::Client *m_client = nullptr; // children
    ssh::Pool *m_pool = nullptr;
    realtime::EventBus *m_events = nullptr;
    realtime::ClusterEmitter *m_emitter = nullptr;
    realtime::TemperaturePoller *m_temperatures = nullptr;
    realtime::TerminalHandler *m_terminals = nullptr;
    history::Recorder *m_history = nullptr;
    realtime::HistoryEvents *m_historyEvents = nullptr;
    tools::ToolExecutor *m_executor = nullptr;
    std::unique_ptr<tools::AuditLog> m_audit;
    std::unique_ptr<realtime::ToolEvents> m_toolEvents; // the executor's sink, on m_events
    std::unique_ptr<realtime::EmitterView> m_clusterView; // what the tools see of m_emitter
};

} // namespace jarvis::app
