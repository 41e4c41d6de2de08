#include "app/mcpservice.h"

#include "app/clusterservices.h"
#include "mcp/mcphttp.h"
#include "mcp/mcpserver.h"
#include "realtime/clusteremitter.h"
#include "tools/toolexecutor.h"

namespace jarvis::app {

namespace {
using Kind = mcp::ClusterSnapshots::Kind;

QString eventName(Kind kind)
{
    switch (kind) {
    case Kind::Nodes:
        return QStringLiteral("nodes");
    case Kind::Vms:
        return QStringLiteral("vms");
    case Kind::Storage:
        return QStringLiteral("storage");
    case Kind::Quorum:
        return QStringLiteral("quorum");
    }
    return {};
}

// mcp::ClusterSnapshots on the ClusterEmitter: the same JSON text /cluster clients get.
class EmitterSnapshots final : public mcp::ClusterSnapshots
{
public:
    explicit EmitterSnapshots(realtime::ClusterEmitter *emitter)
        : m_emitter(emitter)
    { }

    std::optional<QByteArray> json(Kind kind) const override
    {
        return m_emitter->eventJson(eventName(kind));
    }

    void refresh(Kind kind, const QObject *context, std::function<void()> done) override
    {
        using Source = realtime::ClusterEmitter::Source;
        const Source source = kind == Kind::Vms ? Source::Vms
            : kind == Kind::Storage             ? Source::Storage
                                                : Source::Nodes; // quorum comes with nodes
        m_emitter->refreshNow({source}, context, [done](bool, const QString &) { done(); });
    }

    void setWatched(bool watched) override { m_emitter->setWatched(watched); }

private:
    realtime::ClusterEmitter *m_emitter;
};
} // namespace

McpService::McpService(const config::Config &config, http::HttpApi *http,
    const auth::JwtSigner *jwt, ClusterServices *cluster, core::Clock *clock, QObject *parent)
    : QObject(parent)
    , m_snapshots(std::make_unique<EmitterSnapshots>(cluster->emitter()))
{
    mcp::Server::Info info;
    info.version = QStringLiteral(JARVIS_VERSION);
    info.instructions = QStringLiteral(
        "Jarvis operates a Proxmox VE cluster. Read the cluster from the resources "
        "(jarvis://cluster/nodes, vms, storage, quorum) or the GREEN tools. YELLOW tools (start) "
        "run at once; RED tools (stop, shutdown, reboot, shell commands that are not read-only) "
        "run only with \"confirmed\": true, which you may set only after the human agreed to "
        "that exact action. Protected nodes and guests refuse every action. Every call is "
        "audited under your key or token.");
    m_server = new mcp::Server(cluster->executor(), m_snapshots.get(), info, this);
    mcp::HttpTransport::Options options;
    options.apiKeys = config.mcpApiKeys;
    options.maxSessions = config.mcpMaxSessions;
    options.sessionIdleMs = config.mcpSessionIdleTimeout * 1000;
    m_http = new mcp::HttpTransport(m_server, http, jwt, options, clock, this);

    // Every poll re-publishes its snapshot; the server tells subscribers when the text changed.
    using Source = realtime::ClusterEmitter::Source;
    connect(cluster->emitter(), &realtime::ClusterEmitter::pollFinished, m_server,
        [server = m_server](Source source, bool ok) {
            if (!ok)
                return;
            switch (source) {
            case Source::Nodes:
                server->snapshotChanged(Kind::Nodes);
                server->snapshotChanged(Kind::Quorum);
                break;
            case Source::Vms:
                server->snapshotChanged(Kind::Vms);
                break;
            case Source::Storage:
                server->snapshotChanged(Kind::Storage);
                break;
            }
        });
}

McpService::~McpService()
{
    delete m_http;
    delete m_server; // before the snapshots it refers to
}

} // namespace jarvis::app
