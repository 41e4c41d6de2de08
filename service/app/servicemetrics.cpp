#include "app/servicemetrics.h"

#include "http/logincontroller.h"
#include "metrics/process.h"
#include "proxmox/client.h"
#include "realtime/clusteremitter.h"
#include "realtime/sioserver.h"
#include "realtime/temperaturepoller.h"
#include "realtime/terminalhandler.h"
#include "ssh/pool.h"
#include "tools/toolexecutor.h"

#include <array>

namespace jarvis::app {

using metrics::Sample;
using metrics::Type;

ServiceMetrics::ServiceMetrics(const Parts &parts, QObject *parent)
    : QObject(parent)
{
    metrics::Registry &r = m_registry;
    r.gauge("jarvis_build_info", "Build of jarvisd; the value is always 1.",
         {QStringLiteral("version")})
        ->labels({QStringLiteral(JARVIS_VERSION)})
        ->set(1);

    // Polls: /cluster's three snapshots and the temperature rounds, each source resolved once.
    m_pollDuration = r.histogram("jarvis_poll_duration_seconds",
        "Time from a poll's start to its snapshot being sent, by source.",
        {QStringLiteral("source")});
    m_pollFailures = r.counter("jarvis_poll_failures_total",
        "Polls that failed, by source (a temperature round fails when any node's reading does).",
        {QStringLiteral("source")});
    if (parts.emitter) {
        using Source = realtime::ClusterEmitter::Source;
        std::array<Poll, 3> bySource {poll(QStringLiteral("nodes")), poll(QStringLiteral("vms")),
            poll(QStringLiteral("storage"))};
        connect(parts.emitter, &realtime::ClusterEmitter::pollFinished, this,
            [bySource](Source source, bool ok, double seconds) {
                const int index = source == Source::Nodes ? 0 : source == Source::Vms ? 1 : 2;
                bySource[size_t(index)].duration->observe(seconds);
                if (!ok)
                    bySource[size_t(index)].failures->inc();
            });
    }
    if (parts.temperatures) {
        const Poll temperature = poll(QStringLiteral("temperature"));
        connect(parts.temperatures, &realtime::TemperaturePoller::roundFinished, this,
            [temperature](int, int failed, double seconds) {
                temperature.duration->observe(seconds);
                if (failed > 0)
                    temperature.failures->inc();
            });
    }

    // Proxmox API requests: route templates (bounded by the client's code) and statuses.
    m_proxmoxRequests = r.counter("jarvis_proxmox_requests_total",
        "Proxmox API requests (each failover attempt counts), by route template and HTTP status "
        "(\"error\" when no HTTP answer came).",
        {QStringLiteral("endpoint"), QStringLiteral("status")});
    m_proxmoxDuration = r.histogram("jarvis_proxmox_request_duration_seconds",
        "Proxmox API request time, by route template.", {QStringLiteral("endpoint")});
    if (parts.proxmox) {
        connect(parts.proxmox, &proxmox::Client::requestFinished, this,
            &ServiceMetrics::onProxmoxRequest);
    }

    // Socket.IO: clients per namespace, broadcasts per event (what the namespaces count).
    if (parts.sio) {
        QList<const realtime::Namespace *> namespaces;
        for (const QString &name : parts.namespaces) {
            if (const realtime::Namespace *nsp = parts.sio->findNamespace(name))
                namespaces.append(nsp);
        }
        r.callback(Type::Gauge, "jarvis_socketio_clients",
            "Socket.IO clients connected, by namespace.", {QStringLiteral("namespace")},
            [namespaces](const Sample &add) {
                for (const realtime::Namespace *nsp : namespaces)
                    add({nsp->name()}, double(nsp->sockets().size()));
            });
        using Stats = realtime::Namespace::BroadcastStats;
        const auto perEvent = [namespaces](quint64 Stats::*field) {
            return [namespaces, field](const Sample &add) {
                for (const realtime::Namespace *nsp : namespaces) {
                    const auto &stats = nsp->broadcastStats();
                    QStringList events = stats.keys();
                    events.sort(); // the same order in every scrape
                    for (const QString &event : std::as_const(events))
                        add({nsp->name(), event}, double(stats.value(event).*field));
                }
            };
        };
        const QStringList labels {QStringLiteral("namespace"), QStringLiteral("event")};
        r.callback(Type::Counter, "jarvis_broadcasts_total",
            "Broadcasts sent to at least one client, by namespace and event.", labels,
            perEvent(&Stats::broadcasts));
        r.callback(Type::Counter, "jarvis_broadcast_bytes_total",
            "Bytes of broadcast packets times the clients they were queued for (before framing "
            "and compression), by namespace and event.",
            labels, perEvent(&Stats::bytes));
        r.callback(Type::Counter, "jarvis_snapshots_skipped_total",
            "Snapshots not sent to a client that was too far behind (it gets the next one), by "
            "namespace and event.",
            labels, perEvent(&Stats::skipped));
    }

    // Tools: names from the registry, tiers and outcomes from the executor.
    m_toolExecutions = r.counter("jarvis_tool_executions_total",
        "Tool calls of registered tools by tool, tier and outcome (succeeded, failed, blocked, "
        "invalid).",
        {QStringLiteral("tool"), QStringLiteral("tier"), QStringLiteral("outcome")});
    m_toolDuration = r.histogram("jarvis_tool_duration_seconds",
        "Run time of tool calls that ran (succeeded or failed), by tool.",
        {QStringLiteral("tool")});
    if (parts.executor) {
        connect(parts.executor, &tools::ToolExecutor::executed, this,
            [this](const QString &tool, tools::Tier tier, const QString &outcome, double seconds) {
                // Rare enough to look the child up each time (no allocation once it exists).
                m_toolExecutions->labels({tool, tools::tierName(tier), outcome})->inc();
                if (outcome == QLatin1String("succeeded") || outcome == QLatin1String("failed"))
                    m_toolDuration->labels({tool})->observe(seconds);
            });
    }

    // SSH: the pool's connections and failed attempts, the terminals' sessions.
    if (parts.ssh) {
        const ssh::Pool *pool = parts.ssh;
        r.callback(Type::Gauge, "jarvis_ssh_connections",
            "Pooled SSH connections to nodes that are open.", {},
            [pool](const Sample &add) { add({}, double(pool->connectedNodes().size())); });
        r.callback(Type::Counter, "jarvis_ssh_connect_failures_total",
            "Attempts to open a node's SSH connection that failed, by node.",
            {QStringLiteral("node")}, [pool](const Sample &add) {
                for (const QString &node : pool->nodeNames())
                    add({node}, double(pool->connectFailures(node)));
            });
    }
    if (parts.terminals) {
        const realtime::TerminalHandler *terminals = parts.terminals;
        r.callback(Type::Gauge, "jarvis_terminal_sessions", "Terminal sessions with an open shell.",
            {},
            [terminals](const Sample &add) { add({}, double(terminals->activeSessionCount())); });
        r.callback(Type::Counter, "jarvis_terminal_sessions_total",
            "Terminal sessions by how they began: opened, refused (protected node), failed "
            "(accepted, never opened).",
            {QStringLiteral("result")}, [terminals](const Sample &add) {
                const auto counts = terminals->sessionCounts();
                add({QStringLiteral("opened")}, double(counts.opened));
                add({QStringLiteral("refused")}, double(counts.refused));
                add({QStringLiteral("failed")}, double(counts.failed));
            });
    }

    // Logins.
    if (parts.login) {
        const http::LoginController *login = parts.login;
        r.callback(Type::Counter, "jarvis_login_failures_total",
            "Logins refused for wrong credentials.", {},
            [login](const Sample &add) { add({}, double(login->failures())); });
        r.callback(Type::Counter, "jarvis_login_throttled_total",
            "Login attempts answered 429 before the credentials were checked.", {},
            [login](const Sample &add) { add({}, double(login->throttled())); });
    }

    metrics::registerProcessMetrics(r);
}

ServiceMetrics::~ServiceMetrics() = default;

ServiceMetrics::Poll ServiceMetrics::poll(const QString &source)
{
    return {m_pollDuration->labels({source}), m_pollFailures->labels({source})};
}

void ServiceMetrics::onProxmoxRequest(const QString &endpoint, int status, double seconds)
{
    // A few requests a second: the children are looked up each time (a short scan of the
    // family), no cache of them to keep in step.
    m_proxmoxRequests
        ->labels({endpoint, status > 0 ? QString::number(status) : QStringLiteral("error")})
        ->inc();
    m_proxmoxDuration->labels({endpoint})->observe(seconds);
}

} // namespace jarvis::app
