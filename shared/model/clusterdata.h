#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

// The typed cluster payloads of PROTOCOL.md section 5 (the wire types), shared by the service
// (which builds them from Proxmox answers in proxmox/pvedata) and the clients (which read them off
// the wire). toJson() is strict and emits exactly the wire field names; *FromJson() is strict
// about types and tolerant of extra fields.
namespace jarvis::model {

struct NodeData
{
    QString node; // name; id is "node/<name>", name == node
    QString host; // configured host (from jarvisd's config), "" when unknown
    QString status = QStringLiteral("unknown"); // "online" | "offline" | "unknown"
    double cpu = 0; // fraction 0..1 of maxcpu
    int maxcpu = 0;
    qint64 mem = 0;
    qint64 maxmem = 0;
    qint64 disk = 0;
    qint64 maxdisk = 0;
    qint64 uptime = 0; // seconds
    std::optional<QList<double>> loadavg; // 3 values when known
    QMap<QString, double> temperatures; // sensor -> celsius; {} when unknown
    bool isProtected = false; // wire "protected": in jarvisd's safety.protectedNodes

    friend bool operator==(const NodeData &, const NodeData &) = default;
};

struct VmData
{
    int vmid = 0;
    QString name;
    QString node;
    enum class Kind { Qemu, Lxc } kind = Kind::Qemu; // wire "type": "qemu" | "lxc"
    QString status; // "running" | "stopped" | "paused" | ... as PVE says
    double cpu = 0;
    int maxcpu = 0;
    qint64 mem = 0;
    qint64 maxmem = 0;
    qint64 disk = 0;
    qint64 maxdisk = 0;
    qint64 uptime = 0;
    qint64 netin = 0;
    qint64 netout = 0;
    qint64 diskread = 0;
    qint64 diskwrite = 0;
    bool isTemplate = false; // wire "template"
    QStringList tags; // PVE sends "a;b" or "a+b" (older) or ","; split and trimmed
    QString lock; // omitted on the wire when empty
    bool isProtected = false; // wire "protected": its vmid or its node is protected (safety)

    friend bool operator==(const VmData &, const VmData &) = default;
};

struct StorageData
{
    QString id; // "storage/<node>/<storage>"
    QString storage;
    QString node;
    QString type; // plugintype: "dir", "zfspool", "lvmthin", "nfs", ...
    QString status; // "active" | "inactive" (PVE "available" -> "active")
    bool shared = false;
    QString content; // as PVE sends it, e.g. "images,rootdir"
    qint64 used = 0;
    qint64 total = 0;
    qint64 avail = 0;

    friend bool operator==(const StorageData &, const StorageData &) = default;
};

struct QuorumNode
{
    QString name;
    int nodeid = 0;
    QString ip;
    bool online = false;
    bool local = false;
    int votes = 1;

    friend bool operator==(const QuorumNode &, const QuorumNode &) = default;
};

struct QuorumData
{
    bool quorate = false;
    QString clusterName; // omitted when empty (standalone node)
    int nodes = 0; // nodes known to the cluster
    int expected = 0; // expected votes
    int totalVotes = 0; // votes present (online nodes)
    int expectedVotes = 0;
    QList<QuorumNode> nodelist;

    friend bool operator==(const QuorumData &, const QuorumData &) = default;
};

struct TemperatureData
{
    QString node;
    QMap<QString, double> zones;

    friend bool operator==(const TemperatureData &, const TemperatureData &) = default;
};

// --- typed -> wire (strict, PROTOCOL.md section 5).
QJsonObject toJson(const NodeData &node);
QJsonObject toJson(const VmData &vm);
QJsonObject toJson(const StorageData &storage);
QJsonObject toJson(const QuorumData &quorum);
QJsonObject toJson(const TemperatureData &temperature);
QJsonArray toJson(const QList<NodeData> &nodes);
QJsonArray toJson(const QList<VmData> &vms);
QJsonArray toJson(const QList<StorageData> &storage);
QJsonArray toJson(const QList<TemperatureData> &temperatures);

// --- typed -> wire text directly, for the big snapshots: appends exactly the bytes that
// sio::encode writes for toJson(list) (keys sorted, numbers and strings as JSON.stringify writes
// them, `lock` left out when empty) without building a QJsonArray first.
void appendJson(QByteArray &out, const QList<VmData> &vms);
void appendJson(QByteArray &out, const QList<StorageData> &storage);

// --- wire -> typed (for clients; strict about types, tolerant of extra fields).
std::optional<NodeData> nodeFromJson(const QJsonObject &o);
std::optional<VmData> vmFromJson(const QJsonObject &o);
// The `vms` snapshot straight from its JSON text (VMData[]), without a QJsonArray in between:
// exactly the rows vmFromJson() gives for the objects of json::read(text) (elements that are not
// objects or not VMData skipped, a repeated member's last value counts), in order. The text is
// checked as strictly as json::read checks it; nullopt and *error (when given) when it is not
// valid JSON or not an array. `hint` (optional: the previous snapshot's row at an index, null
// past its end) only saves allocations: a string or tag list equal to the one of the hint's row
// for the same guest (followed by vmid across guests removed or added) is shared.
using VmHint = std::function<const VmData *(qsizetype row)>;
std::optional<QList<VmData>> vmsFromWireJson(
    QByteArrayView text, QString *error = nullptr, const VmHint &hint = {});
// The same for the arguments of a `vms` event as JSON text (SocketIoClient::onRaw): an array
// whose only element is the VMData[].
std::optional<QList<VmData>> vmsFromEventArgsJson(
    QByteArrayView args, QString *error = nullptr, const VmHint &hint = {});
std::optional<StorageData> storageFromJson(const QJsonObject &o);
std::optional<QuorumData> quorumFromJson(const QJsonObject &o);
std::optional<TemperatureData> temperatureFromJson(const QJsonObject &o);

namespace detail {
// A finite double rounded to qint64; nullopt when it does not fit (shared with proxmox/pvedata).
std::optional<qint64> integerFromDouble(double d);
} // namespace detail

} // namespace jarvis::model

// QString, QStringList and scalars: a list of thousands of guests grows by realloc, not by moving
// each guest.
Q_DECLARE_TYPEINFO(jarvis::model::VmData, Q_RELOCATABLE_TYPE);
