#pragma once

#include <functional>

namespace jarvis::core {
class Clock;
}
namespace jarvis::proxmox {
class Client;
}
namespace jarvis::ssh {
class Pool;
}

namespace jarvis::tools {

class ClusterView;
class ToolExecutor;

struct ClusterToolOptions
{
    int taskPollMs = 500; // how often a Proxmox task is polled
    int taskTimeoutMs = 120000; // give up following a task after this long
    core::Clock *clock = nullptr; // the task poll's timer and elapsed time; nullptr = system
};

// Registers the catalogue of PROTOCOL.md section 4 (read tools, guest power actions that follow
// their task, publishing its progress to the executor's sink, and refresh `cluster` before
// answering, execute_ssh, and the BLACK tools that exist only to be refused). `client`,
// `cluster` and `ssh` are not owned and outlive the executor.
void registerClusterTools(ToolExecutor &executor, proxmox::Client *client, ClusterView *cluster,
    ssh::Pool *ssh, ClusterToolOptions options = {});

} // namespace jarvis::tools
