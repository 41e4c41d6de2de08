#pragma once

#include "proxmox/pvedata.h"

#include <QByteArray>
#include <QJsonValue>
#include <QLatin1StringView>
#include <QString>

#include <array>
#include <cmath>
#include <optional>
#include <string_view>
#include <vector>

// A streaming reader for PVE's /cluster/resources answer ({"data":[{...},...]}): the bytes go
// straight into NodeData / VmData / StorageData, without a QJsonDocument in between. Per entry of
// `data` it collects the flat members the field rules read into a reusable row and applies the
// same rules as resourcesFromPve(QJsonArray) (pvedata.cpp shares them through the row
// abstraction below). It accepts and rejects exactly the documents QJsonDocument::fromJson does
// (same grammar, same leniencies, same nesting limit) and keeps the last of duplicate keys.
namespace jarvis::proxmox {

enum class PveBodyStatus {
    Ok,
    Malformed, // not JSON (error tells where and why)
    NoData, // JSON, but not an object with a "data" member
    DataNotArray, // "data" is there but not an array
};

// nullopt unless `body` is a JSON object whose "data" is an array; *error (when given) says why.
std::optional<ClusterResources> resourcesFromPveJson(
    const QByteArray &body, QString *error = nullptr, PveBodyStatus *status = nullptr);

namespace detail {

// One member value of a row, with the part of QJsonValue's interface the field rules use.
// Arrays hold their elements (one level: nested containers keep only their type).
struct PveValue
{
    QJsonValue::Type kind = QJsonValue::Undefined;
    bool isInt = false; // a Double held as an integer (like QJsonValue's integer storage)
    bool b = false;
    qint64 i = 0;
    double d = 0;
    QString s;
    std::vector<PveValue> elements;

    QJsonValue::Type type() const { return kind; }
    bool isUndefined() const { return kind == QJsonValue::Undefined; }
    bool isNull() const { return kind == QJsonValue::Null; }
    bool isString() const { return kind == QJsonValue::String; }
    bool isDouble() const { return kind == QJsonValue::Double; }
    bool isBool() const { return kind == QJsonValue::Bool; }
    bool isArray() const { return kind == QJsonValue::Array; }
    bool isObject() const { return kind == QJsonValue::Object; }
    QString toString() const { return kind == QJsonValue::String ? s : QString(); }
    bool toBool() const { return kind == QJsonValue::Bool && b; }
    double toDouble() const
    {
        if (kind != QJsonValue::Double)
            return 0;
        return isInt ? double(i) : d;
    }
    qint64 toInteger(qint64 fallback = 0) const
    {
        if (kind != QJsonValue::Double)
            return fallback;
        if (isInt)
            return i;
        // QJsonValue::toInteger: a whole double in range converts.
        if (std::isfinite(d) && d == std::trunc(d) && d >= -9223372036854775808.0
            && d < 9223372036854775808.0)
            return qint64(d);
        return fallback;
    }
    const std::vector<PveValue> &toArray() const
    {
        static const std::vector<PveValue> none;
        return kind == QJsonValue::Array ? elements : none;
    }
};

// The keys the field rules read, and a hash that is collision-free over them (static_assert), so
// that a lookup by a literal key folds to a constant slot at compile time.
inline constexpr std::array<std::string_view, 27> kPveRowKeys = {"type", "id", "vmid", "node",
    "name", "status", "online", "cpu", "maxcpu", "mem", "maxmem", "disk", "maxdisk", "uptime",
    "loadavg", "netin", "netout", "diskread", "diskwrite", "template", "tags", "lock", "storage",
    "plugintype", "active", "shared", "content"};
inline constexpr qsizetype kPveRowLongestKey = 10;

constexpr unsigned pveRowKeyHash(const char *key, qsizetype size)
{
    return (unsigned(size) * 19u + uchar(key[0]) + uchar(key[1]) + uchar(key[size - 1])) & 63u;
}

constexpr std::array<qint8, 64> pveRowSlotTable()
{
    std::array<qint8, 64> table {};
    for (qint8 &entry : table)
        entry = -1;
    for (size_t s = 0; s < kPveRowKeys.size(); ++s) {
        qint8 &entry =
            table[pveRowKeyHash(kPveRowKeys[s].data(), qsizetype(kPveRowKeys[s].size()))];
        if (entry >= 0)
            return {}; // collision: all zero, caught below
        entry = qint8(s);
    }
    return table;
}

inline constexpr std::array<qint8, 64> kPveRowSlots = pveRowSlotTable();
static_assert(kPveRowSlots[0] != 0 || kPveRowSlots[1] != 0, "pveRowKeyHash collides");

// The members of one `data` entry that the field rules read, by key; other keys are skipped.
struct PveRow
{
    static constexpr int SlotCount = int(kPveRowKeys.size());
    std::array<PveValue, SlotCount> values;

    // -1 for a key no rule reads.
    static constexpr int slot(const char *key, qsizetype size)
    {
        if (size < 2 || size > kPveRowLongestKey)
            return -1;
        const int s = kPveRowSlots[pveRowKeyHash(key, size)];
        if (s < 0 || qsizetype(kPveRowKeys[size_t(s)].size()) != size)
            return -1;
        const char *known = kPveRowKeys[size_t(s)].data();
        for (qsizetype k = 0; k < size; ++k) {
            if (known[k] != key[k])
                return -1;
        }
        return s;
    }

    const PveValue &value(QLatin1StringView key) const
    {
        const int s = slot(key.data(), key.size());
        Q_ASSERT_X(s >= 0, "PveRow::value", "a field rule reads a key missing from kPveRowKeys");
        return s >= 0 ? values[size_t(s)] : undefinedValue();
    }
    static const PveValue &undefinedValue();

    void clear()
    {
        for (PveValue &v : values)
            v.kind = QJsonValue::Undefined;
    }
};

// The rules of resourcesFromPve() for one entry (in pvedata.cpp).
void appendResourceRow(ClusterResources &resources, const PveRow &row);

} // namespace detail

} // namespace jarvis::proxmox
