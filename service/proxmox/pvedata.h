#pragma once

#include "model/clusterdata.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

#include <optional>

// Proxmox answers -> typed values (the wire types of model/clusterdata.h, and the Proxmox-only
// results below). Parsing is lenient (numbers as strings, 0/1 booleans, missing fields on offline
// nodes, unknown `type` values skipped); nothing here throws. Only proxmox/ and its tests use it:
// raw Proxmox JSON never leaves proxmox/.
namespace jarvis::proxmox {

// /cluster/resources (any mix of types) -> the three lists; unknown types ignored.
struct ClusterResources
{
    QList<model::NodeData> nodes;
    QList<model::VmData> vms;
    QList<model::StorageData> storage;
};

// A Proxmox task: its status (GET /nodes/{node}/tasks/{upid}/status), or one row of a task list
// (GET /nodes/{node}/tasks, /cluster/tasks; there a finished task's `status` is its exit status
// and a running one's is "RUNNING": read into the same fields as the status answer).
struct TaskStatus
{
    QString upid;
    QString node;
    QString type; // "qmstart", ...
    QString id; // guest id as string
    QString status; // "running" | "stopped"
    QString exitstatus; // "OK", "WARNINGS: 2", error text; empty while running
    QString user; // who started it ("root@pam"), "" when not said
    qint64 starttime = 0; // Unix seconds, 0 when not said
    qint64 endtime = 0; // Unix seconds, 0 while running or when not said
    bool succeeded() const
    {
        return status == QLatin1String("stopped")
            && (exitstatus == QLatin1String("OK")
                || exitstatus.startsWith(QLatin1String("WARNINGS")));
    }

    friend bool operator==(const TaskStatus &, const TaskStatus &) = default;
};

// GET /nodes/{node}/status: what it says about a node, each field only when it parsed.
// /cluster/resources has all of these but loadavg (and counts memory and disk its own way).
struct NodeStatus
{
    std::optional<QList<double>> loadavg; // 3 values
    std::optional<qint64> uptime;
    std::optional<double> cpu;
    std::optional<qint64> mem; // memory.used
    std::optional<qint64> maxmem; // memory.total
    std::optional<qint64> disk; // rootfs.used
    std::optional<qint64> maxdisk; // rootfs.total
    std::optional<int> maxcpu; // cpuinfo.cpus

    friend bool operator==(const NodeStatus &, const NodeStatus &) = default;
};

// One row of GET /nodes/{node}/rrddata or /nodes/{node}/{qemu|lxc}/{vmid}/rrddata
// (?timeframe=hour|day&cf=AVERAGE): averages over the `step` that starts at `time`. A node's
// memused/memtotal are read as mem/maxmem; it has no disk rates. Rows past the last update carry
// only `time`: every value is then empty.
struct RrdPoint
{
    qint64 time = 0; // Unix seconds
    std::optional<double> cpu; // fraction 0..1
    std::optional<double> mem, maxmem; // bytes
    std::optional<double> netin, netout, diskread, diskwrite; // bytes per second

    friend bool operator==(const RrdPoint &, const RrdPoint &) = default;
};
enum class RrdTimeframe { Hour, Day };

// Each returns nullopt for an entry that cannot be used (no node name, no vmid, a `type` that is
// not ours); list parsers skip such entries.
std::optional<model::NodeData> nodeFromPve(const QJsonObject &o);
std::optional<model::VmData> vmFromPve(const QJsonObject &o);
std::optional<model::StorageData> storageFromPve(const QJsonObject &o);
std::optional<TaskStatus> taskStatusFromPve(const QJsonObject &o);
std::optional<TaskStatus> taskFromPveList(const QJsonObject &row);
// A task for the tools' answers: {upid, node, type, id, user, status, exitstatus?, starttime?,
// endtime?} (empty and zero fields left out).
QJsonObject toJson(const TaskStatus &task);
// /cluster/status rows -> quorum (a standalone node has no "cluster" row: quorate from its node
// row).
model::QuorumData quorumFromPve(const QJsonArray &rows);
ClusterResources resourcesFromPve(const QJsonArray &rows);
// /nodes/{node}/status `data` -> NodeStatus, and every field of it that is known into a node.
NodeStatus nodeStatusFromPve(const QJsonObject &status);
void mergeNodeStatus(model::NodeData &node, const NodeStatus &status);

// rrddata rows -> points, oldest first: numbers or numeric strings; a row without a usable
// `time` (or that is not an object) is skipped; a value that is missing, null, not a number or
// negative is empty. `node`: the node's field names (memused, memtotal).
QList<RrdPoint> rrdFromPve(const QJsonArray &rows, bool node);

// Lenient scalar readers shared by the parsers: "106" or 106 or 106.0; "1"/1/true.
std::optional<qint64> pveInteger(const QJsonValue &v);
std::optional<double> pveNumber(const QJsonValue &v);
std::optional<bool> pveBool(const QJsonValue &v);

} // namespace jarvis::proxmox
