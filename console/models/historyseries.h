#pragma once

#include <QJsonValue>
#include <QList>
#include <QString>
#include <QVariantList>

#include <optional>

namespace jarvis::console {

// One HistorySeries of the `history` event or request (PROTOCOL.md section 5), as the console
// reads it: strictly, so a malformed series is left out whole, never half used. A sample that is
// null (or not a number) is NaN: a gap in the line, not a zero.
struct HistorySeries
{
    QString id; // "node/<name>" | "qemu/<vmid>" | "lxc/<vmid>"
    QString node;
    int vmid = 0; // guests only
    QString range; // "hour" | "day"
    QList<qint64> t; // unix seconds, strictly increasing
    QList<double> cpu; // fraction 0..1
    QList<double> mem; // bytes
    double maxmem = 0; // the latest, bytes (0: unknown)
    QList<double> netin, netout, diskread, diskwrite; // bytes per second
    QList<double> temperature; // °C, nodes only (empty when absent)
};

// A list of numbers as QML reads it (doubles, or unix seconds as qint64).
template<typename T> QVariantList toVariantList(const QList<T> &values)
{
    QVariantList out;
    out.reserve(values.size());
    for (const T &v : values)
        out.append(v);
    return out;
}

// Most samples a series may carry (a day at one per second and then some): a longer one is
// refused, so a hostile payload cannot make the console hold more.
inline constexpr qsizetype MaxHistorySamples = 100000;

// Null when `value` is not a HistorySeries: not an object, an id that is not node/qemu/lxc, no
// node, a range other than hour/day, times that are not increasing integers, a column whose
// length differs from t's (cpu and mem are required; the rest default to gaps).
std::optional<HistorySeries> historySeriesFromJson(const QJsonValue &value);

} // namespace jarvis::console
