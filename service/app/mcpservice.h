#pragma once

#include "config/config.h"

#include <QObject>

#include <memory>

namespace jarvis::auth {
class JwtSigner;
}
namespace jarvis::core {
class Clock;
}
namespace jarvis::http {
class HttpApi;
}
namespace jarvis::mcp {
class ClusterSnapshots;
class HttpTransport;
class Server;
} // namespace jarvis::mcp

namespace jarvis::app {

class ClusterServices;

// MCP wired to the rest of the service: the server on the cluster's tool executor, its resources
// on the ClusterEmitter's snapshots (a subscription keeps the emitter polling, and each poll that
// re-publishes a snapshot tells the server), and the Streamable HTTP transport at /mcp. stdio is
// added by the runner (jarvisd --mcp-stdio) on server(). Owned by Application; main thread.
class McpService : public QObject
{
    Q_OBJECT
public:
    McpService(const config::Config &config, http::HttpApi *http, const auth::JwtSigner *jwt,
        ClusterServices *cluster, core::Clock *clock, QObject *parent = nullptr);
    ~McpService() override;

    mcp::Server *server() const { return m_server; }
    mcp::HttpTransport *http() const { return m_http; }

private:
    std::unique_ptr<mcp::ClusterSnapshots> m_snapshots;
    mcp::Server *m_server = nullptr; // children
    mcp::HttpTransport *m_http = nullptr;
};

} // namespace jarvis::app
