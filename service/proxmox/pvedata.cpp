#include "proxmox/pvedata.h"

#include "proxmox/pvereader.h"

#include <QStringView>

#include <algorithm>
#include <cmath>
#include <limits>

// Proxmox answers are read leniently: a field of the wrong type falls back to its default, an entry
// without identity (node name, vmid, storage name) is dropped, and nothing here throws. The same
// rules serve the QJsonDocument path (QJsonValue / QJsonObject) and the streaming reader
// (pvereader.cpp: detail::PveValue / detail::PveRow), so both read every field the same way.

using namespace Qt::Literals::StringLiterals;

namespace jarvis::proxmox {

using model::NodeData;
using model::QuorumData;
using model::QuorumNode;
using model::StorageData;
using model::VmData;
using model::detail::integerFromDouble;

namespace {

constexpr qint64 kNotWhole = std::numeric_limits<qint64>::min();

std::optional<qint64> integerFromString(QStringView text)
{
    text = text.trimmed();
    if (text.isEmpty())
        return std::nullopt;
    bool ok = false;
    const qint64 i = text.toLongLong(&ok);
    if (ok)
        return i;
    const double d = text.toDouble(&ok);
    return ok ? integerFromDouble(d) : std::nullopt;
}

std::optional<double> numberFromString(QStringView text)
{
    text = text.trimmed();
    if (text.isEmpty())
        return std::nullopt;
    bool ok = false;
    const double d = text.toDouble(&ok);
    if (!ok || !std::isfinite(d))
        return std::nullopt;
    return d;
}

int toInt(std::optional<qint64> v, int fallback = 0)
{
    const qint64 value = v.value_or(fallback);
    if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max())
        return fallback;
    return static_cast<int>(value);
}

// The lenient rules are templates over the value and row types: QJsonValue / QJsonObject for the
// QJsonDocument path, detail::PveValue / detail::PveRow for the streaming reader (pvereader.cpp),
// so both paths read every field the same way.
template<typename V> std::optional<qint64> integerOf(const V &v)
{
    switch (v.type()) {
    case QJsonValue::Double: {
        const qint64 i = v.toInteger(kNotWhole);
        return i != kNotWhole ? std::optional<qint64>(i) : integerFromDouble(v.toDouble());
    }
    case QJsonValue::String:
        return integerFromString(v.toString());
    case QJsonValue::Bool:
        return v.toBool() ? 1 : 0;
    default:
        return std::nullopt;
    }
}

template<typename V> std::optional<double> numberOf(const V &v)
{
    switch (v.type()) {
    case QJsonValue::Double:
        return v.toDouble();
    case QJsonValue::String:
        return numberFromString(v.toString());
    case QJsonValue::Bool:
        return v.toBool() ? 1.0 : 0.0;
    default:
        return std::nullopt;
    }
}

template<typename V> std::optional<bool> boolOf(const V &v)
{
    switch (v.type()) {
    case QJsonValue::Bool:
        return v.toBool();
    case QJsonValue::Double:
        return v.toDouble() != 0;
    case QJsonValue::String: {
        const QString s = v.toString();
        const QStringView text = QStringView(s).trimmed();
        if (text.compare("true"_L1, Qt::CaseInsensitive) == 0
            || text.compare("yes"_L1, Qt::CaseInsensitive) == 0
            || text.compare("on"_L1, Qt::CaseInsensitive) == 0)
            return true;
        if (text.compare("false"_L1, Qt::CaseInsensitive) == 0
            || text.compare("no"_L1, Qt::CaseInsensitive) == 0
            || text.compare("off"_L1, Qt::CaseInsensitive) == 0)
            return false;
        if (const std::optional<double> d = numberFromString(text))
            return *d != 0;
        return std::nullopt;
    }
    default:
        return std::nullopt;
    }
}

// Lenient readers with defaults.
template<typename Row> qint64 integerOr(const Row &o, QLatin1StringView key, qint64 fallback = 0)
{
    return integerOf(o.value(key)).value_or(fallback);
}

template<typename Row> double numberOr(const Row &o, QLatin1StringView key, double fallback = 0)
{
    return numberOf(o.value(key)).value_or(fallback);
}

template<typename Row> bool boolOr(const Row &o, QLatin1StringView key, bool fallback = false)
{
    return boolOf(o.value(key)).value_or(fallback);
}

// A string, or a number written out ("name": 105 happens with hand-made configs); else "".
template<typename V> QString pveString(const V &v)
{
    if (v.isString())
        return v.toString();
    if (v.isDouble()) {
        const qint64 i = v.toInteger(kNotWhole);
        return i != kNotWhole ? QString::number(i) : QString::number(v.toDouble());
    }
    return {};
}

template<typename Row> QString stringOr(const Row &o, QLatin1StringView key)
{
    return pveString(o.value(key));
}

// The part of a PVE resource id ("qemu/100", "node/pve1", "storage/pve1/local") after `prefix`.
QStringView idTail(const QString &id, QLatin1StringView prefix)
{
    if (!id.startsWith(prefix))
        return {};
    return QStringView(id).mid(prefix.size());
}

bool isTagSeparator(QChar c)
{
    return c == u';' || c == u',' || c == u'+' || c.isSpace();
}

void appendTags(QStringList &tags, QStringView text)
{
    qsizetype start = -1;
    const qsizetype size = text.size();
    for (qsizetype i = 0; i <= size; ++i) {
        if (i == size || isTagSeparator(text[i])) {
            if (start >= 0) {
                tags.append(text.mid(start, i - start).toString());
                start = -1;
            }
        } else if (start < 0) {
            start = i;
        }
    }
}

// "a;b" (PVE 7+), "a+b" / "a,b" / "a b" (older), or an array of strings; anything else is no tags.
template<typename V> QStringList tagsFromPve(const V &v)
{
    QStringList tags;
    if (v.isString()) {
        appendTags(tags, v.toString());
    } else if (v.isArray()) {
        const auto &array = v.toArray();
        for (const auto &tag : array) {
            if (tag.isString())
                appendTags(tags, tag.toString());
        }
    }
    return tags;
}

// "0.05" strings (PVE) or numbers; the value is used only when all three entries parse.
template<typename V> std::optional<QList<double>> loadavgFromPve(const V &v)
{
    if (!v.isArray())
        return std::nullopt;
    const auto &array = v.toArray();
    if (array.size() < 3)
        return std::nullopt;
    QList<double> load;
    load.reserve(3);
    for (int i = 0; i < 3; ++i) {
        const std::optional<double> d = numberOf(array.at(i));
        if (!d)
            return std::nullopt;
        load.append(*d);
    }
    return load;
}

template<typename Row> QString nodeStateFromRow(const Row &o)
{
    const auto &status = o.value("status"_L1);
    if (status.isString()) {
        const QString s = status.toString();
        if (s.compare("online"_L1, Qt::CaseInsensitive) == 0)
            return QStringLiteral("online");
        if (s.compare("offline"_L1, Qt::CaseInsensitive) == 0)
            return QStringLiteral("offline");
        return QStringLiteral("unknown");
    }
    // /cluster/status node rows say online: 0/1 instead.
    if (const std::optional<bool> online = boolOf(o.value("online"_L1)))
        return *online ? QStringLiteral("online") : QStringLiteral("offline");
    return QStringLiteral("unknown");
}

template<typename Row> std::optional<VmData> vmFromPveAs(const Row &o, VmData::Kind kind)
{
    VmData vm;
    vm.kind = kind;

    const auto &vmid = o.value("vmid"_L1);
    if (vmid.isUndefined()) {
        // Some listings carry only "id": "qemu/100".
        const QString id = stringOr(o, "id"_L1);
        vm.vmid = toInt(
            integerFromString(idTail(id, kind == VmData::Kind::Lxc ? "lxc/"_L1 : "qemu/"_L1)));
    } else {
        vm.vmid = toInt(integerOf(vmid));
    }
    if (vm.vmid <= 0)
        return std::nullopt;

    vm.node = stringOr(o, "node"_L1);
    if (vm.node.isEmpty())
        return std::nullopt;

    vm.name = stringOr(o, "name"_L1);
    vm.status = stringOr(o, "status"_L1);
    if (vm.status.isEmpty())
        vm.status = QStringLiteral("unknown");
    vm.cpu = numberOr(o, "cpu"_L1);
    vm.maxcpu = toInt(integerOf(o.value("maxcpu"_L1)));
    vm.mem = integerOr(o, "mem"_L1);
    vm.maxmem = integerOr(o, "maxmem"_L1);
    vm.disk = integerOr(o, "disk"_L1);
    vm.maxdisk = integerOr(o, "maxdisk"_L1);
    vm.uptime = integerOr(o, "uptime"_L1);
    vm.netin = integerOr(o, "netin"_L1);
    vm.netout = integerOr(o, "netout"_L1);
    vm.diskread = integerOr(o, "diskread"_L1);
    vm.diskwrite = integerOr(o, "diskwrite"_L1);
    vm.isTemplate = boolOr(o, "template"_L1);
    const auto &tags = o.value("tags"_L1);
    if (!tags.isUndefined())
        vm.tags = tagsFromPve(tags);
    const auto &lock = o.value("lock"_L1);
    if (lock.isString())
        vm.lock = lock.toString().trimmed();
    return vm;
}

} // namespace

// --- lenient scalars -----------------------------------------------------------------------------

std::optional<qint64> pveInteger(const QJsonValue &v)
{
    return integerOf(v);
}

std::optional<double> pveNumber(const QJsonValue &v)
{
    return numberOf(v);
}

std::optional<bool> pveBool(const QJsonValue &v)
{
    return boolOf(v);
}

// --- Proxmox -> typed ----------------------------------------------------------------------------

namespace {

template<typename Row> std::optional<NodeData> nodeFromRow(const Row &o)
{
    const auto &type = o.value("type"_L1);
    if (!type.isUndefined() && type.toString() != "node"_L1)
        return std::nullopt;

    NodeData node;
    node.node = stringOr(o, "node"_L1);
    if (node.node.isEmpty())
        node.node = stringOr(o, "name"_L1); // /cluster/status rows
    if (node.node.isEmpty())
        node.node = idTail(stringOr(o, "id"_L1), "node/"_L1).toString();
    if (node.node.isEmpty())
        return std::nullopt;

    node.status = nodeStateFromRow(o);
    if (node.status == "offline"_L1)
        return node; // PROTOCOL.md section 5: an offline node's numbers are 0 (PVE's are stale)

    node.cpu = numberOr(o, "cpu"_L1);
    node.maxcpu = toInt(integerOf(o.value("maxcpu"_L1)));
    node.mem = integerOr(o, "mem"_L1);
    node.maxmem = integerOr(o, "maxmem"_L1);
    node.disk = integerOr(o, "disk"_L1);
    node.maxdisk = integerOr(o, "maxdisk"_L1);
    node.uptime = integerOr(o, "uptime"_L1);
    node.loadavg = loadavgFromPve(o.value("loadavg"_L1));
    return node;
}

template<typename Row> std::optional<VmData> vmFromRow(const Row &o)
{
    const auto &type = o.value("type"_L1);
    VmData::Kind kind = VmData::Kind::Qemu;
    if (type.isUndefined()) {
        // Per-node listings have no type; the id (if any) still tells.
        if (stringOr(o, "id"_L1).startsWith("lxc/"_L1))
            kind = VmData::Kind::Lxc;
    } else {
        const QString t = type.toString();
        if (t == "lxc"_L1)
            kind = VmData::Kind::Lxc;
        else if (t != "qemu"_L1)
            return std::nullopt;
    }
    return vmFromPveAs(o, kind);
}

template<typename Row> std::optional<StorageData> storageFromRow(const Row &o)
{
    const auto &type = o.value("type"_L1);
    if (!type.isUndefined() && type.toString() != "storage"_L1)
        return std::nullopt;

    StorageData s;
    s.storage = stringOr(o, "storage"_L1);
    s.node = stringOr(o, "node"_L1);
    if (s.storage.isEmpty() || s.node.isEmpty()) {
        // "storage/<node>/<storage>"
        const QString id = stringOr(o, "id"_L1);
        const QStringView tail = idTail(id, "storage/"_L1);
        const qsizetype slash = tail.indexOf(u'/');
        if (slash > 0) {
            if (s.node.isEmpty())
                s.node = tail.left(slash).toString();
            if (s.storage.isEmpty())
                s.storage = tail.mid(slash + 1).toString();
        }
    }
    if (s.storage.isEmpty() || s.node.isEmpty())
        return std::nullopt;

    s.id = u"storage/"_s + s.node + u'/' + s.storage;
    s.type = stringOr(o, "plugintype"_L1);

    bool active = false;
    const auto &status = o.value("status"_L1);
    if (status.isString()) {
        const QString st = status.toString();
        active = st == "available"_L1 || st == "active"_L1;
    } else {
        active = boolOr(o, "active"_L1); // /nodes/{node}/storage style
    }
    s.status = active ? QStringLiteral("active") : QStringLiteral("inactive");

    s.shared = boolOr(o, "shared"_L1);
    const auto &content = o.value("content"_L1);
    if (content.isString()) {
        s.content = content.toString();
    } else if (content.isArray()) {
        QStringList parts;
        const auto &array = content.toArray();
        for (const auto &part : array) {
            if (part.isString())
                parts.append(part.toString());
        }
        s.content = parts.join(u',');
    }
    s.used = integerOr(o, "disk"_L1);
    s.total = integerOr(o, "maxdisk"_L1);
    s.avail = std::max<qint64>(0, s.total - s.used);
    return s;
}

// One /cluster/resources entry of any type; unknown types are not ours.
template<typename Row> void appendResource(ClusterResources &r, const Row &o)
{
    const auto &typeValue = o.value("type"_L1);
    if (!typeValue.isString())
        return;
    const QString type = typeValue.toString();
    if (type == "qemu"_L1) {
        if (std::optional<VmData> vm = vmFromPveAs(o, VmData::Kind::Qemu))
            r.vms.append(std::move(*vm));
    } else if (type == "lxc"_L1) {
        if (std::optional<VmData> vm = vmFromPveAs(o, VmData::Kind::Lxc))
            r.vms.append(std::move(*vm));
    } else if (type == "node"_L1) {
        if (std::optional<NodeData> node = nodeFromRow(o))
            r.nodes.append(std::move(*node));
    } else if (type == "storage"_L1) {
        if (std::optional<StorageData> storage = storageFromRow(o))
            r.storage.append(std::move(*storage));
    }
    // sdn, pool, network, openvz, ...: not ours
}

} // namespace

std::optional<NodeData> nodeFromPve(const QJsonObject &o)
{
    return nodeFromRow(o);
}

std::optional<VmData> vmFromPve(const QJsonObject &o)
{
    return vmFromRow(o);
}

std::optional<StorageData> storageFromPve(const QJsonObject &o)
{
    return storageFromRow(o);
}

namespace detail {

void appendResourceRow(ClusterResources &resources, const PveRow &row)
{
    appendResource(resources, row);
}

} // namespace detail

std::optional<TaskStatus> taskStatusFromPve(const QJsonObject &o)
{
    TaskStatus t;
    t.status = stringOr(o, "status"_L1);
    if (t.status.isEmpty())
        return std::nullopt;
    t.upid = stringOr(o, "upid"_L1);
    t.node = stringOr(o, "node"_L1);
    t.type = stringOr(o, "type"_L1);
    t.id = stringOr(o, "id"_L1);
    t.exitstatus = stringOr(o, "exitstatus"_L1);
    t.user = stringOr(o, "user"_L1);
    t.starttime = std::max<qint64>(0, integerOr(o, "starttime"_L1));
    t.endtime = std::max<qint64>(0, integerOr(o, "endtime"_L1));

    // UPID:<node>:<pid>:<pstart>:<starttime>:<type>:<id>:<user>:
    if (t.upid.startsWith("UPID:"_L1) && (t.node.isEmpty() || t.type.isEmpty() || t.id.isEmpty())) {
        const QList<QStringView> parts = QStringView(t.upid).split(u':');
        if (parts.size() >= 7) {
            if (t.node.isEmpty())
                t.node = parts.at(1).toString();
            if (t.type.isEmpty())
                t.type = parts.at(5).toString();
            if (t.id.isEmpty())
                t.id = parts.at(6).toString();
        }
    }
    return t;
}

std::optional<TaskStatus> taskFromPveList(const QJsonObject &row)
{
    // A running task's row may have no `status` at all (and no endtime): it is running, not
    // something to drop.
    std::optional<TaskStatus> t;
    if (!row.contains("status"_L1) && !row.contains("endtime"_L1)
        && !stringOr(row, "upid"_L1).isEmpty()) {
        QJsonObject running = row;
        running.insert("status"_L1, u"running"_s);
        t = taskStatusFromPve(running);
    } else {
        t = taskStatusFromPve(row);
    }
    if (!t)
        return t;
    // A list row: "RUNNING" while it runs, else its exit status (with an endtime).
    if (t->status.compare("running"_L1, Qt::CaseInsensitive) == 0) {
        t->status = u"running"_s;
    } else if (t->status != "stopped"_L1) {
        t->exitstatus = t->status;
        t->status = u"stopped"_s;
    }
    return t;
}

QJsonObject toJson(const TaskStatus &task)
{
    QJsonObject o {{"upid"_L1, task.upid}, {"node"_L1, task.node}, {"type"_L1, task.type},
        {"id"_L1, task.id}, {"user"_L1, task.user}, {"status"_L1, task.status}};
    if (!task.exitstatus.isEmpty())
        o.insert("exitstatus"_L1, task.exitstatus);
    if (task.starttime > 0)
        o.insert("starttime"_L1, task.starttime);
    if (task.endtime > 0)
        o.insert("endtime"_L1, task.endtime);
    return o;
}

QuorumData quorumFromPve(const QJsonArray &rows)
{
    QuorumData q;
    bool haveCluster = false;
    int clusterNodes = -1;
    qsizetype localIndex = -1;

    for (const QJsonValue &row : rows) {
        if (!row.isObject())
            continue;
        const QJsonObject o = row.toObject();
        const QString type = stringOr(o, "type"_L1);
        if (type == "cluster"_L1) {
            haveCluster = true;
            q.quorate = boolOr(o, "quorate"_L1);
            q.clusterName = stringOr(o, "name"_L1);
            clusterNodes = toInt(pveInteger(o.value("nodes"_L1)), -1);
        } else if (type == "node"_L1) {
            QuorumNode n;
            n.name = stringOr(o, "name"_L1);
            if (n.name.isEmpty())
                n.name = stringOr(o, "node"_L1);
            if (n.name.isEmpty())
                continue;
            n.nodeid = toInt(pveInteger(o.value("nodeid"_L1)));
            n.ip = stringOr(o, "ip"_L1);
            n.online = boolOr(o, "online"_L1);
            n.local = boolOr(o, "local"_L1);
            n.votes = std::max(0, toInt(pveInteger(o.value("votes"_L1)), 1));
            if (n.local && localIndex < 0)
                localIndex = q.nodelist.size();
            q.nodelist.append(std::move(n));
        }
    }

    int listedVotes = 0;
    for (const QuorumNode &n : std::as_const(q.nodelist)) {
        listedVotes += n.votes;
        if (n.online)
            q.totalVotes += n.votes;
    }
    const int listed = static_cast<int>(q.nodelist.size());

    if (haveCluster) {
        q.nodes = std::max(clusterNodes, listed);
        // Nodes the cluster row counts but no row lists carry one vote each.
        q.expected = listedVotes + std::max(0, q.nodes - listed);
    } else {
        // Standalone node: no corosync, quorate as long as the node itself is up.
        q.clusterName.clear();
        q.nodes = listed;
        q.expected = listedVotes;
        if (listed > 0)
            q.quorate = q.nodelist.at(localIndex >= 0 ? localIndex : 0).online;
    }
    q.expectedVotes = q.expected;
    return q;
}

ClusterResources resourcesFromPve(const QJsonArray &rows)
{
    ClusterResources r;
    r.vms.reserve(rows.size());

    for (const QJsonValue &row : rows) {
        if (row.isObject())
            appendResource(r, row.toObject());
    }
    return r;
}

NodeStatus nodeStatusFromPve(const QJsonObject &status)
{
    NodeStatus s;
    s.loadavg = loadavgFromPve(status.value("loadavg"_L1));
    s.uptime = pveInteger(status.value("uptime"_L1));
    s.cpu = pveNumber(status.value("cpu"_L1));

    const QJsonValue memory = status.value("memory"_L1);
    if (memory.isObject()) {
        const QJsonObject m = memory.toObject();
        s.mem = pveInteger(m.value("used"_L1));
        s.maxmem = pveInteger(m.value("total"_L1));
    }
    const QJsonValue rootfs = status.value("rootfs"_L1);
    if (rootfs.isObject()) {
        const QJsonObject r = rootfs.toObject();
        s.disk = pveInteger(r.value("used"_L1));
        s.maxdisk = pveInteger(r.value("total"_L1));
    }
    const QJsonValue cpuinfo = status.value("cpuinfo"_L1);
    if (cpuinfo.isObject()) {
        const int cpus = toInt(pveInteger(cpuinfo.toObject().value("cpus"_L1)), -1);
        if (cpus >= 0)
            s.maxcpu = cpus;
    }
    return s;
}

void mergeNodeStatus(NodeData &node, const NodeStatus &status)
{
    if (status.loadavg)
        node.loadavg = status.loadavg;
    if (status.uptime)
        node.uptime = *status.uptime;
    if (status.cpu)
        node.cpu = *status.cpu;
    if (status.mem)
        node.mem = *status.mem;
    if (status.maxmem)
        node.maxmem = *status.maxmem;
    if (status.disk)
        node.disk = *status.disk;
    if (status.maxdisk)
        node.maxdisk = *status.maxdisk;
    if (status.maxcpu)
        node.maxcpu = *status.maxcpu;
}

QList<RrdPoint> rrdFromPve(const QJsonArray &rows, bool node)
{
    QList<RrdPoint> points;
    points.reserve(rows.size());
    for (const QJsonValue &row : rows) {
        if (!row.isObject())
            continue;
        const QJsonObject o = row.toObject();
        const std::optional<qint64> time = integerOf(o.value("time"_L1));
        if (!time || *time <= 0)
            continue;
        auto value = [&](QLatin1StringView key) -> std::optional<double> {
            const std::optional<double> v = numberOf(o.value(key));
            return v && *v >= 0 ? v : std::nullopt;
        };
        RrdPoint p;
        p.time = *time;
        p.cpu = value("cpu"_L1);
        p.mem = value(node ? "memused"_L1 : "mem"_L1);
        p.maxmem = value(node ? "memtotal"_L1 : "maxmem"_L1);
        p.netin = value("netin"_L1);
        p.netout = value("netout"_L1);
        if (!node) {
            p.diskread = value("diskread"_L1);
            p.diskwrite = value("diskwrite"_L1);
        }
        points.append(p);
    }
    std::stable_sort(points.begin(), points.end(),
        [](const RrdPoint &a, const RrdPoint &b) { return a.time < b.time; });
    return points;
}

} // namespace jarvis::proxmox
