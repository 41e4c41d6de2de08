#include "model/clusterdata.h"

#include "protocol/jsonreader.h"
#include "protocol/jsonwriter.h"

#include <QStringView>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <variant>

// The wire readers (*FromJson) are strict about types: a field that is present must have the type
// toJson() gives it, absent (or null) fields keep their defaults. (Reading Proxmox's answers,
// leniently, is service/proxmox/pvedata.cpp's job.)
//
// Keys are Latin-1 literals: QJsonObject looks them up by binary search without allocating. The
// hot paths (5000 guests per poll) avoid copies: toJson() fills a copy of a prototype object
// instead of inserting keys one by one (see makePrototype()), and appendJson() writes the text
// directly.

using namespace Qt::Literals::StringLiterals;

namespace jarvis::model {

namespace detail {

std::optional<qint64> integerFromDouble(double d)
{
    if (!std::isfinite(d))
        return std::nullopt;
    const double rounded = std::round(d);
    // 2^63 is exactly representable; anything at or beyond it does not fit.
    if (rounded >= 9223372036854775808.0 || rounded < -9223372036854775808.0)
        return std::nullopt;
    return static_cast<qint64>(rounded);
}

} // namespace detail

namespace {

using detail::integerFromDouble;

constexpr qint64 kNotWhole = std::numeric_limits<qint64>::min();

// Strict wire reader: a present field must have the right type; absent or null keeps the default.
class WireReader
{
public:
    explicit WireReader(const QJsonObject &o)
        : m_o(o)
    { }

    bool ok() const { return m_ok; }

    QJsonValue present(QLatin1StringView key)
    {
        QJsonValue v = m_o.value(key);
        return v.isNull() ? QJsonValue(QJsonValue::Undefined) : v;
    }

    void read(QLatin1StringView key, QString &out)
    {
        const QJsonValue v = present(key);
        if (v.isUndefined())
            return;
        if (v.isString())
            out = v.toString();
        else
            m_ok = false;
    }

    void read(QLatin1StringView key, double &out)
    {
        const QJsonValue v = present(key);
        if (v.isUndefined())
            return;
        if (v.isDouble())
            out = v.toDouble();
        else
            m_ok = false;
    }

    void read(QLatin1StringView key, qint64 &out)
    {
        const QJsonValue v = present(key);
        if (v.isUndefined())
            return;
        if (!v.isDouble()) {
            m_ok = false;
            return;
        }
        const qint64 i = v.toInteger(kNotWhole);
        if (i != kNotWhole) {
            out = i;
        } else if (const std::optional<qint64> rounded = integerFromDouble(v.toDouble())) {
            out = *rounded;
        } else {
            m_ok = false;
        }
    }

    void read(QLatin1StringView key, int &out)
    {
        qint64 wide = out;
        read(key, wide);
        if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max())
            m_ok = false;
        else
            out = static_cast<int>(wide);
    }

    void read(QLatin1StringView key, bool &out)
    {
        const QJsonValue v = present(key);
        if (v.isUndefined())
            return;
        if (v.isBool())
            out = v.toBool();
        else
            m_ok = false;
    }

    void read(QLatin1StringView key, QStringList &out)
    {
        const QJsonValue v = present(key);
        if (v.isUndefined())
            return;
        if (!v.isArray()) {
            m_ok = false;
            return;
        }
        const QJsonArray array = v.toArray();
        out.clear();
        out.reserve(array.size());
        for (const QJsonValue &item : array) {
            if (!item.isString()) {
                m_ok = false;
                return;
            }
            out.append(item.toString());
        }
    }

    void read(QLatin1StringView key, QMap<QString, double> &out)
    {
        const QJsonValue v = present(key);
        if (v.isUndefined())
            return;
        if (!v.isObject()) {
            m_ok = false;
            return;
        }
        const QJsonObject object = v.toObject();
        out.clear();
        for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
            if (!it.value().isDouble()) {
                m_ok = false;
                return;
            }
            out.insert(it.key(), it.value().toDouble());
        }
    }

private:
    const QJsonObject &m_o;
    bool m_ok = true;
};

// Wire objects are built from a prototype that holds every key: a copy of it gets its values
// overwritten in place, in the prototype's (sorted) key order, so no key is allocated per object;
// QJsonObject::insert() would allocate each key again. The key list must be given in sorted
// order; the tests compare complete objects, so a slip cannot go unnoticed.
QJsonObject makePrototype(std::initializer_list<QLatin1StringView> sortedKeys)
{
    QJsonObject o;
    for (QLatin1StringView key : sortedKeys)
        o.insert(key, QJsonValue(QJsonValue::Null));
    // Once per type and process: a key list out of order would fill values under wrong keys.
    qsizetype i = 0;
    for (auto it = o.constBegin(); it != o.constEnd(); ++it, ++i) {
        if (it.key() != sortedKeys.begin()[i])
            qFatal("clusterdata: wire key list not sorted at %s", qPrintable(it.key()));
    }
    return o;
}

class ValueFiller
{
public:
    explicit ValueFiller(QJsonObject &o)
        : m_it(o.begin())
        , m_end(o.end())
    { }

    template<typename T> ValueFiller &operator<<(const T &value)
    {
        Q_ASSERT(m_it != m_end);
        m_it.value() = QJsonValue(value);
        ++m_it;
        return *this;
    }

private:
    QJsonObject::iterator m_it;
    QJsonObject::iterator m_end;
};

QJsonObject zonesToJson(const QMap<QString, double> &zones)
{
    QJsonObject object;
    for (auto it = zones.constBegin(); it != zones.constEnd(); ++it)
        object.insert(it.key(), it.value());
    return object;
}

// Pieces of the direct writers: literal JSON text (keys never need escaping) and scalars.
template<qsizetype N> void put(QByteArray &out, const char (&text)[N])
{
    out.append(text, N - 1);
}

void put(QByteArray &out, const QString &text)
{
    json::appendJsonString(out, text);
}

// Integers go through double like QJsonValue(qint64).toDouble() in the QJsonValue path.
void put(QByteArray &out, qint64 value)
{
    json::appendJsonNumber(out, static_cast<double>(value));
}

void put(QByteArray &out, bool value)
{
    if (value)
        put(out, "true");
    else
        put(out, "false");
}

// Writers through a pointer into room made once per record (vmRoom()): no size check per scalar.
template<qsizetype N> char *lit(char *p, const char (&text)[N])
{
    std::memcpy(p, text, N - 1);
    return p + N - 1;
}

char *num(char *p, double value)
{
    return json::writeJsonNumber(p, value);
}

// Integers go through double like QJsonValue(qint64).toDouble() in the QJsonValue path.
char *num(char *p, qint64 value)
{
    return json::writeJsonNumber(p, static_cast<double>(value));
}

char *num(char *p, int value)
{
    return json::writeJsonNumber(p, value);
}

char *str(char *p, const QString &text)
{
    return json::writeJsonString(p, text);
}

char *boolean(char *p, bool value)
{
    return value ? lit(p, "true") : lit(p, "false");
}

// An upper bound of appendVm()'s bytes: the keys and punctuation (under 256), 12 numbers and the
// strings at their worst.
qsizetype vmRoom(const VmData &vm)
{
    qsizetype room = 256 + 12 * json::MaxJsonNumberBytes + json::maxJsonStringBytes(vm.name.size())
        + json::maxJsonStringBytes(vm.node.size()) + json::maxJsonStringBytes(vm.status.size())
        + json::maxJsonStringBytes(vm.lock.size());
    for (const QString &tag : vm.tags)
        room += json::maxJsonStringBytes(tag.size()) + 1;
    return room;
}

// The keys in toJson(const VmData &)'s (sorted) order; `lock` sorts after `diskwrite`.
char *appendVm(char *p, const VmData &vm)
{
    p = lit(p, "{\"cpu\":");
    p = num(p, vm.cpu);
    p = lit(p, ",\"disk\":");
    p = num(p, vm.disk);
    p = lit(p, ",\"diskread\":");
    p = num(p, vm.diskread);
    p = lit(p, ",\"diskwrite\":");
    p = num(p, vm.diskwrite);
    if (!vm.lock.isEmpty()) {
        p = lit(p, ",\"lock\":");
        p = str(p, vm.lock);
    }
    p = lit(p, ",\"maxcpu\":");
    p = num(p, vm.maxcpu);
    p = lit(p, ",\"maxdisk\":");
    p = num(p, vm.maxdisk);
    p = lit(p, ",\"maxmem\":");
    p = num(p, vm.maxmem);
    p = lit(p, ",\"mem\":");
    p = num(p, vm.mem);
    p = lit(p, ",\"name\":");
    p = str(p, vm.name);
    p = lit(p, ",\"netin\":");
    p = num(p, vm.netin);
    p = lit(p, ",\"netout\":");
    p = num(p, vm.netout);
    p = lit(p, ",\"node\":");
    p = str(p, vm.node);
    p = lit(p, ",\"protected\":");
    p = boolean(p, vm.isProtected);
    p = lit(p, ",\"status\":");
    p = str(p, vm.status);
    p = lit(p, ",\"tags\":[");
    for (qsizetype i = 0; i < vm.tags.size(); ++i) {
        if (i > 0)
            *p++ = ',';
        p = str(p, vm.tags.at(i));
    }
    p = lit(p, "],\"template\":");
    p = boolean(p, vm.isTemplate);
    if (vm.kind == VmData::Kind::Lxc)
        p = lit(p, ",\"type\":\"lxc\",\"uptime\":");
    else
        p = lit(p, ",\"type\":\"qemu\",\"uptime\":");
    p = num(p, vm.uptime);
    p = lit(p, ",\"vmid\":");
    p = num(p, vm.vmid);
    *p++ = '}';
    return p;
}

// The keys in toJson(const StorageData &)'s (sorted) order.
void appendStorage(QByteArray &out, const StorageData &s)
{
    put(out, "{\"avail\":");
    put(out, s.avail);
    put(out, ",\"content\":");
    put(out, s.content);
    put(out, ",\"id\":");
    put(out, s.id);
    put(out, ",\"node\":");
    put(out, s.node);
    put(out, ",\"shared\":");
    put(out, s.shared);
    put(out, ",\"status\":");
    put(out, s.status);
    put(out, ",\"storage\":");
    put(out, s.storage);
    put(out, ",\"total\":");
    put(out, s.total);
    put(out, ",\"type\":");
    put(out, s.type);
    put(out, ",\"used\":");
    put(out, s.used);
    put(out, "}");
}

template<typename T, typename AppendOne>
void appendList(QByteArray &out, const QList<T> &list, qsizetype bytesPerItem, AppendOne appendOne)
{
    out.reserve(out.size() + 2 + bytesPerItem * list.size());
    put(out, "[");
    for (qsizetype i = 0; i < list.size(); ++i) {
        if (i > 0)
            put(out, ",");
        appendOne(out, list.at(i));
    }
    put(out, "]");
}

QJsonObject toJson(const QuorumNode &n)
{
    QJsonObject o;
    o.insert("ip"_L1, n.ip);
    o.insert("local"_L1, n.local);
    o.insert("name"_L1, n.name);
    o.insert("nodeid"_L1, n.nodeid);
    o.insert("online"_L1, n.online);
    o.insert("votes"_L1, n.votes);
    return o;
}

} // namespace

// --- typed -> wire -------------------------------------------------------------------------------

QJsonObject toJson(const NodeData &node)
{
    static const QJsonObject prototype = makePrototype(
        {"cpu"_L1, "disk"_L1, "host"_L1, "id"_L1, "maxcpu"_L1, "maxdisk"_L1, "maxmem"_L1, "mem"_L1,
            "name"_L1, "node"_L1, "protected"_L1, "status"_L1, "temperatures"_L1, "uptime"_L1});
    QJsonObject o = prototype;
    ValueFiller(o) << node.cpu << node.disk << node.host << QString(u"node/"_s + node.node)
                   << node.maxcpu << node.maxdisk << node.maxmem << node.mem << node.node
                   << node.node << node.isProtected << node.status << zonesToJson(node.temperatures)
                   << node.uptime;
    if (node.loadavg) {
        QJsonArray load;
        for (double d : *node.loadavg)
            load.append(d);
        o.insert("loadavg"_L1, load);
    }
    return o;
}

QJsonObject toJson(const VmData &vm)
{
    static const QJsonObject prototype = makePrototype(
        {"cpu"_L1, "disk"_L1, "diskread"_L1, "diskwrite"_L1, "maxcpu"_L1, "maxdisk"_L1, "maxmem"_L1,
            "mem"_L1, "name"_L1, "netin"_L1, "netout"_L1, "node"_L1, "protected"_L1, "status"_L1,
            "tags"_L1, "template"_L1, "type"_L1, "uptime"_L1, "vmid"_L1});
    static const QJsonValue qemu(u"qemu"_s);
    static const QJsonValue lxc(u"lxc"_s);
    QJsonObject o = prototype;
    ValueFiller(o) << vm.cpu << vm.disk << vm.diskread << vm.diskwrite << vm.maxcpu << vm.maxdisk
                   << vm.maxmem << vm.mem << vm.name << vm.netin << vm.netout << vm.node
                   << vm.isProtected << vm.status
                   << (vm.tags.isEmpty() ? QJsonArray() : QJsonArray::fromStringList(vm.tags))
                   << vm.isTemplate << (vm.kind == VmData::Kind::Lxc ? lxc : qemu) << vm.uptime
                   << vm.vmid;
    if (!vm.lock.isEmpty())
        o.insert("lock"_L1, vm.lock);
    return o;
}

QJsonObject toJson(const StorageData &storage)
{
    static const QJsonObject prototype = makePrototype({"avail"_L1, "content"_L1, "id"_L1,
        "node"_L1, "shared"_L1, "status"_L1, "storage"_L1, "total"_L1, "type"_L1, "used"_L1});
    QJsonObject o = prototype;
    ValueFiller(o) << storage.avail << storage.content << storage.id << storage.node
                   << storage.shared << storage.status << storage.storage << storage.total
                   << storage.type << storage.used;
    return o;
}

QJsonObject toJson(const QuorumData &quorum)
{
    QJsonObject o;
    if (!quorum.clusterName.isEmpty())
        o.insert("clusterName"_L1, quorum.clusterName);
    o.insert("expected"_L1, quorum.expected);
    o.insert("expectedVotes"_L1, quorum.expectedVotes);
    QJsonArray nodelist;
    for (const QuorumNode &n : quorum.nodelist)
        nodelist.append(toJson(n));
    o.insert("nodelist"_L1, nodelist);
    o.insert("nodes"_L1, quorum.nodes);
    o.insert("quorate"_L1, quorum.quorate);
    o.insert("totalVotes"_L1, quorum.totalVotes);
    return o;
}

QJsonObject toJson(const TemperatureData &temperature)
{
    QJsonObject o;
    o.insert("node"_L1, temperature.node);
    o.insert("zones"_L1, zonesToJson(temperature.zones));
    return o;
}

QJsonArray toJson(const QList<NodeData> &nodes)
{
    QJsonArray array;
    for (const NodeData &node : nodes)
        array.append(toJson(node));
    return array;
}

QJsonArray toJson(const QList<VmData> &vms)
{
    QJsonArray array;
    for (const VmData &vm : vms)
        array.append(toJson(vm));
    return array;
}

QJsonArray toJson(const QList<StorageData> &storage)
{
    QJsonArray array;
    for (const StorageData &s : storage)
        array.append(toJson(s));
    return array;
}

QJsonArray toJson(const QList<TemperatureData> &temperatures)
{
    QJsonArray array;
    for (const TemperatureData &t : temperatures)
        array.append(toJson(t));
    return array;
}

void appendJson(QByteArray &out, const QList<VmData> &vms)
{
    // Room is made per guest (the list's ~320 bytes a guest reserved up front usually hold it):
    // grown to the guest's worst case, written through a pointer, cut back to what was written.
    out.reserve(out.size() + 2 + 320 * vms.size());
    put(out, "[");
    for (qsizetype i = 0; i < vms.size(); ++i) {
        const VmData &vm = vms.at(i);
        const qsizetype start = out.size();
        const qsizetype room = vmRoom(vm) + 1;
        if (out.capacity() - start < room)
            out.reserve(std::max(2 * out.capacity(), start + room));
        out.resize(start + room);
        char *p = out.data() + start;
        if (i > 0)
            *p++ = ',';
        p = appendVm(p, vm);
        out.resize(p - out.constData());
    }
    put(out, "]");
}

void appendJson(QByteArray &out, const QList<StorageData> &storage)
{
    appendList(out, storage, 256, appendStorage);
}

// --- wire -> typed -------------------------------------------------------------------------------

std::optional<NodeData> nodeFromJson(const QJsonObject &o)
{
    WireReader r(o);
    NodeData node;
    r.read("node"_L1, node.node);
    if (node.node.isEmpty())
        r.read("name"_L1, node.node); // the original backend sent only `name`
    if (!r.ok() || node.node.isEmpty())
        return std::nullopt;
    r.read("host"_L1, node.host);
    r.read("status"_L1, node.status);
    r.read("cpu"_L1, node.cpu);
    r.read("maxcpu"_L1, node.maxcpu);
    r.read("mem"_L1, node.mem);
    r.read("maxmem"_L1, node.maxmem);
    r.read("disk"_L1, node.disk);
    r.read("maxdisk"_L1, node.maxdisk);
    r.read("uptime"_L1, node.uptime);
    r.read("temperatures"_L1, node.temperatures);
    r.read("protected"_L1, node.isProtected);

    const QJsonValue load = r.present("loadavg"_L1);
    if (load.isArray()) {
        QList<double> values;
        const QJsonArray array = load.toArray();
        values.reserve(array.size());
        for (const QJsonValue &v : array) {
            if (!v.isDouble())
                return std::nullopt;
            values.append(v.toDouble());
        }
        node.loadavg = std::move(values);
    } else if (!load.isUndefined()) {
        return std::nullopt;
    }
    if (!r.ok())
        return std::nullopt;
    return node;
}

// --- VMData's wire fields: the one table both readers go by (vmFromJson() over a QJsonObject and
// VmsReader over the text), so their rules cannot drift apart: each field's wire type and where
// it goes, then vmRowValid() for what makes a row VMData. In the wire's (sorted) key order, which
// is the order appendJson() writes and VmsReader expects first.
namespace {

// The wire `type` ("qemu" | "lxc"): read as a string, checked and turned into VmData::kind by
// vmRowValid().
struct TypeMember
{
};

struct VmField
{
    QLatin1StringView name;
    std::variant<int VmData::*, qint64 VmData::*, double VmData::*, bool VmData::*,
        QString VmData::*, QStringList VmData::*, TypeMember>
        member;
    // The value repeats across guests (nodes, statuses, tags, locks): the streaming reader shares
    // one QString per distinct text instead of allocating one per guest.
    bool repeats = false;
};

const VmField VmFields[] = {
    {"cpu"_L1, &VmData::cpu},
    {"disk"_L1, &VmData::disk},
    {"diskread"_L1, &VmData::diskread},
    {"diskwrite"_L1, &VmData::diskwrite},
    {"lock"_L1, &VmData::lock, true},
    {"maxcpu"_L1, &VmData::maxcpu},
    {"maxdisk"_L1, &VmData::maxdisk},
    {"maxmem"_L1, &VmData::maxmem},
    {"mem"_L1, &VmData::mem},
    {"name"_L1, &VmData::name},
    {"netin"_L1, &VmData::netin},
    {"netout"_L1, &VmData::netout},
    {"node"_L1, &VmData::node, true},
    {"protected"_L1, &VmData::isProtected},
    {"status"_L1, &VmData::status, true},
    {"tags"_L1, &VmData::tags, true},
    {"template"_L1, &VmData::isTemplate},
    {"type"_L1, TypeMember {}},
    {"uptime"_L1, &VmData::uptime},
    {"vmid"_L1, &VmData::vmid},
};
constexpr int VmFieldCount = int(std::size(VmFields));
static_assert(VmFieldCount <= 32, "VmsReader marks bad fields in a quint32");

template<typename... F> struct Overloaded : F...
{
    using F::operator()...;
};
template<typename... F> Overloaded(F...) -> Overloaded<F...>;

// Every field present had its wire type (`typesOk`), and the row is a guest: vmid > 0, a node,
// type "qemu", "lxc" or absent (qemu). Sets vm.kind from the type.
bool vmRowValid(VmData &vm, const QString &type, bool typesOk)
{
    if (type == "lxc"_L1)
        vm.kind = VmData::Kind::Lxc;
    return typesOk && vm.vmid > 0 && !vm.node.isEmpty()
        && (type.isEmpty() || type == "qemu"_L1 || type == "lxc"_L1);
}

} // namespace

std::optional<VmData> vmFromJson(const QJsonObject &o)
{
    WireReader r(o);
    VmData vm;
    QString type;
    for (const VmField &field : VmFields) {
        std::visit(Overloaded {[&](TypeMember) { r.read(field.name, type); },
                       [&](auto member) { r.read(field.name, vm.*member); }},
            field.member);
    }
    if (!vmRowValid(vm, type, r.ok()))
        return std::nullopt;
    return vm;
}

std::optional<StorageData> storageFromJson(const QJsonObject &o)
{
    WireReader r(o);
    StorageData s;
    r.read("storage"_L1, s.storage);
    r.read("node"_L1, s.node);
    if (!r.ok() || s.storage.isEmpty() || s.node.isEmpty())
        return std::nullopt;
    r.read("id"_L1, s.id);
    if (s.id.isEmpty())
        s.id = u"storage/"_s + s.node + u'/' + s.storage;
    r.read("type"_L1, s.type);
    r.read("status"_L1, s.status);
    r.read("shared"_L1, s.shared);
    r.read("content"_L1, s.content);
    r.read("used"_L1, s.used);
    r.read("total"_L1, s.total);
    r.read("avail"_L1, s.avail);
    if (!r.ok())
        return std::nullopt;
    return s;
}

std::optional<QuorumData> quorumFromJson(const QJsonObject &o)
{
    WireReader r(o);
    QuorumData q;
    if (r.present("quorate"_L1).isUndefined())
        return std::nullopt;
    r.read("quorate"_L1, q.quorate);
    r.read("clusterName"_L1, q.clusterName);
    r.read("nodes"_L1, q.nodes);
    r.read("expected"_L1, q.expected);
    r.read("totalVotes"_L1, q.totalVotes);
    r.read("expectedVotes"_L1, q.expectedVotes);

    const QJsonValue nodelist = r.present("nodelist"_L1);
    if (nodelist.isArray()) {
        const QJsonArray array = nodelist.toArray();
        q.nodelist.reserve(array.size());
        for (const QJsonValue &item : array) {
            if (!item.isObject())
                return std::nullopt;
            const QJsonObject entry = item.toObject();
            WireReader e(entry);
            QuorumNode n;
            e.read("name"_L1, n.name);
            e.read("nodeid"_L1, n.nodeid);
            e.read("ip"_L1, n.ip);
            e.read("online"_L1, n.online);
            e.read("local"_L1, n.local);
            e.read("votes"_L1, n.votes);
            if (!e.ok() || n.name.isEmpty())
                return std::nullopt;
            q.nodelist.append(std::move(n));
        }
    } else if (!nodelist.isUndefined()) {
        return std::nullopt;
    }
    if (!r.ok())
        return std::nullopt;
    return q;
}

std::optional<TemperatureData> temperatureFromJson(const QJsonObject &o)
{
    WireReader r(o);
    TemperatureData t;
    r.read("node"_L1, t.node);
    r.read("zones"_L1, t.zones);
    if (!r.ok() || t.node.isEmpty())
        return std::nullopt;
    return t;
}

// --- VMData[] straight from the text, by VmFields. The rules are vmFromJson()'s: a member that is
// null counts as absent, one of the wrong type spoils the row; since the QJsonObject the Qt path
// builds keeps a repeated member's last value, every member resets its field (and its "wrong
// type" mark) before reading. Everything else (elements that are not objects, unknown members)
// is read through json::detail::StrictReader and dropped, so the text is checked exactly as
// json::read() checks it.
//
// Allocations are what a snapshot of thousands of guests costs, so strings are shared where the
// text allows: with the hint's row for the same guest (followed by vmid, so a guest removed or
// added in the middle does not spoil the rows after it), and for the fields that repeat across
// guests (VmField::repeats) with the first guest that had the same text in this snapshot.
namespace {

class VmsReader
{
public:
    VmsReader(QByteArrayView text, const VmHint &hint)
        : m_r(text)
        , m_hint(hint)
    { }

    std::optional<QList<VmData>> read(bool eventArgs, QString *error)
    {
        m_r.skipSpace();
        bool ok = true;
        if (eventArgs) {
            m_depth = 1;
            ok = expect('[', "expected the event's arguments") && (m_r.skipSpace(), array())
                && expect(']', "expected exactly one argument");
        } else {
            ok = array();
        }
        if (ok) {
            m_r.skipSpace();
            if (m_r.m_p == m_r.m_end)
                return std::move(m_out);
            m_r.fail("unexpected text after the value");
        }
        if (error)
            *error = m_r.errorString();
        return std::nullopt;
    }

private:
    static constexpr int Unknown = -1;
    // Distinct texts shared per snapshot, at most (hostile input cannot grow the tables further).
    static constexpr qsizetype MaxShared = 1024;

    // The field named `key`; the one after `previous` is tried first (the keys come sorted).
    static int fieldOf(QLatin1StringView key, int previous)
    {
        const int next = previous + 1;
        if (next < VmFieldCount && VmFields[next].name == key)
            return next;
        for (int f = 0; f < VmFieldCount; ++f) {
            if (VmFields[f].name == key)
                return f;
        }
        return Unknown;
    }
    static int fieldOf(const QString &key, int previous)
    {
        for (const QChar c : key) {
            if (c.unicode() >= 0x80)
                return Unknown;
        }
        return fieldOf(QLatin1StringView(key.toLatin1()), previous);
    }

    // m_p at a member name's quote: when the name is exactly VmFields[f]'s (no escapes), m_p
    // goes past its closing quote and true.
    bool expectedKey(int f)
    {
        const QLatin1StringView name = VmFields[f].name;
        const char *p = m_r.m_p + 1;
        const qsizetype n = name.size();
        if (m_r.m_end - p <= n || p[n] != '"')
            return false;
        for (qsizetype i = 0; i < n; ++i) { // at most 9 letters: no memcmp call
            if (p[i] != name.data()[i])
                return false;
        }
        m_r.m_p = p + n + 1;
        return true;
    }

    bool expect(char c, const char *what)
    {
        m_r.skipSpace();
        if (m_r.m_p >= m_r.m_end || *m_r.m_p != c)
            return m_r.fail(what);
        ++m_r.m_p;
        return true;
    }

    // The hint's row for the next guest: where the previous guest was in the hint, plus one.
    const VmData *hintRow() const { return m_hint ? m_hint(m_hintAt) : nullptr; }

    // After a guest: follow it in the hint (the same row, or a few further when guests before it
    // are gone); a guest the hint does not have nearby (a new one) leaves the position as it is.
    void followHint(int vmid)
    {
        if (!m_hint)
            return;
        for (qsizetype i = m_hintAt; i < m_hintAt + 8; ++i) {
            const VmData *row = m_hint(i);
            if (!row)
                return;
            if (row->vmid == vmid) {
                m_hintAt = i + 1;
                return;
            }
        }
    }

    // The first guest after guests that are gone is not the hint's next row: a few rows further
    // with the same name, it is that guest (it shares the name, and the fields after it).
    const VmData *hintByName(VmData *vm, const VmData *hint) const
    {
        for (qsizetype i = m_hintAt + 1; i < m_hintAt + 8; ++i) {
            const VmData *row = m_hint(i);
            if (!row)
                break;
            if (row->name == vm->name) {
                vm->name = row->name;
                return row;
            }
        }
        return hint;
    }

    // The VMData[] (m_p at its '['), at nesting depth m_depth + 1.
    bool array()
    {
        if (m_r.m_p >= m_r.m_end || *m_r.m_p != '[')
            return m_r.fail("expected an array of VMData");
        ++m_r.m_p;
        m_r.skipSpace();
        if (m_r.m_p < m_r.m_end && *m_r.m_p == ']') {
            ++m_r.m_p;
            return true;
        }
        // Room for as many guests as the text can hold at 200 bytes each (a guest on the wire
        // takes about 300), once, instead of growing the list as it fills.
        m_out.reserve(std::min<qsizetype>((m_r.m_end - m_r.m_p) / 200, 100000));
        for (;;) {
            m_r.skipSpace();
            if (m_r.m_p < m_r.m_end && *m_r.m_p == '{') {
                VmData vm;
                bool valid = false;
                if (!row(&vm, &valid))
                    return false;
                if (valid) {
                    followHint(vm.vmid);
                    m_out.append(std::move(vm));
                }
            } else {
                QJsonValue ignored; // not an object: not a row
                if (!m_r.readValue(&ignored, m_depth + 1))
                    return false;
            }
            m_r.skipSpace();
            if (m_r.m_p >= m_r.m_end)
                return m_r.fail("unterminated array");
            if (*m_r.m_p == ']') {
                ++m_r.m_p;
                return true;
            }
            if (*m_r.m_p != ',')
                return m_r.fail("expected ',' or ']'");
            ++m_r.m_p;
        }
    }

    // A string (m_p at its quote) into `out`, without allocating when it equals `share` (may be
    // null) or, for a repeating field, a text seen before in this snapshot.
    bool string(QString *out, const QString *share, bool repeats)
    {
        json::detail::StrictReader::StringText text;
        if (!m_r.scanString(&text))
            return false;
        const bool plain = !text.escaped && text.ascii;
        if (plain && share && *share == text.latin1()) {
            *out = *share;
            if (repeats && m_strings.size() < MaxShared)
                m_strings.emplace(text.latin1(), *share); // for the guests the hint lacks
            return true;
        }
        if (plain && repeats) {
            const auto it = m_strings.constFind(text.latin1());
            if (it != m_strings.constEnd()) {
                *out = *it;
                return true;
            }
        }
        *out = json::detail::StrictReader::decodeString(text);
        if (plain && repeats && m_strings.size() < MaxShared)
            m_strings.insert(text.latin1(), *out);
        return true;
    }

    // A string member's value.
    bool string(QString *out, bool *bad, const QString *share, bool repeats)
    {
        if (*m_r.m_p != '"') {
            *bad = true;
            return skip();
        }
        return string(out, share, repeats);
    }

    bool number(json::detail::Number *out, bool *bad)
    {
        const char c = *m_r.m_p;
        if (c != '-' && !json::detail::isDigit(c)) {
            *bad = true;
            return skip();
        }
        return m_r.readNumber(out);
    }

    bool integer(qint64 *out, bool *bad)
    {
        // Fast path: a plain integer of up to 18 digits (every counter on the wire), read in one
        // pass; anything else (fraction, exponent, more digits, a leading zero followed by
        // digits, not a number) goes the general way.
        const char *p = m_r.m_p;
        const char *end = m_r.m_end;
        const bool negative = p < end && *p == '-';
        if (negative)
            ++p;
        const char *digits = p;
        const char *limit = end - p > 18 ? p + 18 : end;
        qint64 value = 0;
        for (unsigned digit; p < limit && (digit = unsigned(*p) - '0') < 10; ++p)
            value = value * 10 + digit;
        const qsizetype count = p - digits;
        if (count >= 1 && !(count > 1 && *digits == '0')
            && (p == end || (!json::detail::isDigit(*p) && *p != '.' && *p != 'e' && *p != 'E'))) {
            m_r.m_p = p;
            *out = negative ? -value : value;
            return true;
        }
        json::detail::Number n;
        bool wrong = false;
        if (!number(&n, &wrong))
            return false;
        if (wrong) {
            *bad = true;
        } else if (n.isInt) {
            *out = n.i;
        } else if (const std::optional<qint64> rounded = detail::integerFromDouble(n.d)) {
            *out = *rounded;
        } else {
            *bad = true;
        }
        return true;
    }

    bool integer(int *out, bool *bad)
    {
        qint64 wide = *out;
        if (!integer(&wide, bad))
            return false;
        if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max())
            *bad = true;
        else
            *out = int(wide);
        return true;
    }

    bool real(double *out, bool *bad)
    {
        json::detail::Number n;
        bool wrong = false;
        if (!number(&n, &wrong))
            return false;
        if (wrong)
            *bad = true;
        else
            *out = n.isInt ? double(n.i) : n.d;
        return true;
    }

    bool boolean(bool *out, bool *bad)
    {
        const char c = *m_r.m_p;
        if (c != 't' && c != 'f') {
            *bad = true;
            return skip();
        }
        QJsonValue v;
        if (!m_r.readValue(&v, m_depth + 2))
            return false;
        *out = v.toBool();
        return true;
    }

    // An array of strings; the hint row's list taken as is when equal, else one list per
    // distinct text in this snapshot.
    bool tags(QStringList *out, bool *bad, const QStringList *share)
    {
        if (*m_r.m_p != '[') {
            *bad = true;
            return skip();
        }
        if (m_depth + 3 > json::detail::NestingLimit)
            return m_r.fail("too deeply nested");
        const char *start = m_r.m_p;
        ++m_r.m_p;
        QStringList list;
        bool wrong = false;
        m_r.skipSpace();
        if (m_r.m_p < m_r.m_end && *m_r.m_p == ']') {
            ++m_r.m_p;
        } else {
            for (;;) {
                m_r.skipSpace();
                if (m_r.m_p >= m_r.m_end)
                    return m_r.fail("unexpected end of data");
                if (*m_r.m_p == '"') {
                    QString tag;
                    const qsizetype k = list.size();
                    if (!string(&tag, share && k < share->size() ? &share->at(k) : nullptr, true))
                        return false;
                    list.append(std::move(tag));
                } else {
                    wrong = true;
                    QJsonValue ignored;
                    if (!m_r.readValue(&ignored, m_depth + 3))
                        return false;
                }
                m_r.skipSpace();
                if (m_r.m_p >= m_r.m_end)
                    return m_r.fail("unterminated array");
                if (*m_r.m_p == ']') {
                    ++m_r.m_p;
                    break;
                }
                if (*m_r.m_p != ',')
                    return m_r.fail("expected ',' or ']'");
                ++m_r.m_p;
            }
        }
        if (wrong) {
            *bad = true;
            return true;
        }
        if (share && *share == list) {
            *out = *share;
            return true;
        }
        // The same text is the same list (the strings in it are checked, their bytes compared).
        const QLatin1StringView text(start, m_r.m_p - start);
        const auto it = m_lists.constFind(text);
        if (it != m_lists.constEnd() && *it == list) {
            *out = *it;
            return true;
        }
        *out = std::move(list);
        if (it == m_lists.constEnd() && m_lists.size() < MaxShared)
            m_lists.insert(text, *out);
        return true;
    }

    bool skip()
    {
        QJsonValue ignored;
        return m_r.readValue(&ignored, m_depth + 2);
    }

    // m_p at '{'. *valid: the object is a VMData row.
    bool row(VmData *vm, bool *valid)
    {
        ++m_r.m_p;
        quint32 badFields = 0;
        QString type;
        m_r.skipSpace();
        if (m_r.m_p < m_r.m_end && *m_r.m_p == '}') {
            ++m_r.m_p;
            *valid = false; // no vmid, no node
            return true;
        }
        const VmData *hint = hintRow();
        int field = Unknown;
        for (;;) {
            m_r.skipSpace();
            if (m_r.m_p >= m_r.m_end || *m_r.m_p != '"')
                return m_r.fail("expected a member name");
            if (const int next = field + 1; next < VmFieldCount && expectedKey(next)) {
                field = next; // the usual case: the keys in VmFields' (sorted) order
            } else {
                json::detail::StrictReader::StringText key;
                if (!m_r.scanString(&key))
                    return false;
                if (!key.escaped && key.ascii)
                    field = fieldOf(key.latin1(), field);
                else if (key.ascii) // escapes may spell a known name
                    field = fieldOf(json::detail::StrictReader::decodeString(key), field);
                else
                    field = Unknown;
            }
            m_r.skipSpace();
            if (m_r.m_p >= m_r.m_end || *m_r.m_p != ':')
                return m_r.fail("expected ':'");
            ++m_r.m_p;
            m_r.skipSpace();
            if (m_r.m_p >= m_r.m_end)
                return m_r.fail("unexpected end of data");
            if (!member(field, vm, &type, hint, &badFields))
                return false;
            m_r.skipSpace();
            if (m_r.m_p >= m_r.m_end)
                return m_r.fail("unterminated object");
            if (*m_r.m_p == '}') {
                ++m_r.m_p;
                break;
            }
            if (*m_r.m_p != ',')
                return m_r.fail("expected ',' or '}'");
            ++m_r.m_p;
        }
        *valid = vmRowValid(*vm, type, badFields == 0);
        return true;
    }

    bool member(int field, VmData *vm, QString *type, const VmData *&hint, quint32 *badFields)
    {
        if (field == Unknown)
            return skip();
        const VmField &f = VmFields[field];
        const quint32 bit = 1u << field;
        *badFields &= ~bit;
        if (*m_r.m_p == 'n') { // null: absent, the default
            QJsonValue ignored;
            if (!m_r.readValue(&ignored, m_depth + 2))
                return false;
            static const VmData defaults;
            std::visit(Overloaded {[&](TypeMember) { type->clear(); },
                           [&](auto member) { vm->*member = defaults.*member; }},
                f.member);
            return true;
        }
        static const QString qemu = QStringLiteral("qemu");
        bool bad = false;
        const bool ok = std::visit(
            Overloaded {
                [&](int VmData::*m) { return integer(&(vm->*m), &bad); },
                [&](qint64 VmData::*m) { return integer(&(vm->*m), &bad); },
                [&](double VmData::*m) { return real(&(vm->*m), &bad); },
                [&](bool VmData::*m) { return boolean(&(vm->*m), &bad); },
                [&](QString VmData::*m) {
                    if (!string(&(vm->*m), &bad, hint ? &(hint->*m) : nullptr, f.repeats))
                        return false;
                    if (m == &VmData::name && hint
                        && hint->name.constData() != vm->name.constData())
                        hint = hintByName(vm, hint);
                    return true;
                },
                [&](QStringList VmData::*m) {
                    return tags(&(vm->*m), &bad, hint ? &(hint->*m) : nullptr);
                },
                [&](TypeMember) { return string(type, &bad, &qemu, true); },
            },
            f.member);
        if (bad)
            *badFields |= bit;
        return ok;
    }

    json::detail::StrictReader m_r;
    const VmHint &m_hint;
    qsizetype m_hintAt = 0; // the hint's row for the next guest
    int m_depth = 0; // of the VMData[]'s container: 1 inside the event's arguments
    QList<VmData> m_out;
    // Texts (views into the text being read) of the repeating fields, and of tag lists.
    QHash<QLatin1StringView, QString> m_strings;
    QHash<QLatin1StringView, QStringList> m_lists;
};

} // namespace

std::optional<QList<VmData>> vmsFromWireJson(
    QByteArrayView text, QString *error, const VmHint &hint)
{
    return VmsReader(text, hint).read(false, error);
}

std::optional<QList<VmData>> vmsFromEventArgsJson(
    QByteArrayView args, QString *error, const VmHint &hint)
{
    return VmsReader(args, hint).read(true, error);
}

} // namespace jarvis::model
