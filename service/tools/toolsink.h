#pragma once

#include "model/clusterdata.h"
#include "tools/tool.h"

#include <QJsonObject>
#include <QList>
#include <QString>

#include <functional>
#include <optional>

class QObject;

// What tools tell the rest of the service, and what they read of the live cluster picture, as
// two small interfaces: tools/ includes neither realtime/ nor http/. realtime/ implements them
// (realtime/toolsinks.h: on the EventBus and the ClusterEmitter); tests record the calls.
namespace jarvis::tools {

// One step of a tool call: status "started", "succeeded", "failed" or "blocked".
struct ToolStep
{
    QString tool;
    Tier tier = Tier::Green;
    QString source; // "api", "mcp", ...
    QString user;
    QJsonObject args; // as validated, without `confirmed`
    QString status;
    QString error; // failed / blocked: why
    std::optional<qint64> durationMs; // succeeded / failed
    QJsonObject target; // eventTarget(): {node?, vmid?, name?, type?}
};

// A change of a Proxmox task a tool follows (its `status` as Proxmox reports it).
struct TaskStep
{
    QString upid;
    QString node;
    QString type; // Proxmox task type, e.g. "qmstart"
    QString id; // e.g. the vmid
    QString status; // "running", "stopped", ...
    QString exitstatus; // once stopped: "OK", "WARNINGS: n" or the failure
    bool failed = false; // stopped without success
    QJsonObject target;
};

// Receives the steps of tool calls and of the tasks they follow (the service sends them to
// /events). Main thread; calls must not re-enter the executor.
class ToolSink
{
public:
    virtual ~ToolSink() = default;
    virtual void toolStep(const ToolStep &step) = 0;
    virtual void taskStep(const TaskStep &step) = 0;
};

// The live cluster picture tools read (the latest snapshots) and refresh after an action.
class ClusterView
{
public:
    enum class Data { Nodes, Vms, Storage };

    virtual ~ClusterView() = default;
    virtual QList<model::NodeData> nodes() const = 0;
    virtual QList<model::VmData> guests() const = 0;
    // Fetches `what` again and publishes it to clients, then calls `done` (also when the fetch
    // failed: the action's own outcome stands); not at all once `context` is gone.
    virtual void refresh(
        const QList<Data> &what, const QObject *context, std::function<void()> done) = 0;
};

} // namespace jarvis::tools
