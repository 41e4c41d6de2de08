#include "historyseries.h"

#include <QJsonArray>
#include <QJsonObject>

#include <cmath>
#include <limits>

namespace jarvis::console {

namespace {

constexpr double Gap = std::numeric_limits<double>::quiet_NaN();

// A column of n numbers or nulls; `required` false: a missing column is n gaps.
bool readColumn(
    const QJsonObject &o, QLatin1String key, qsizetype n, bool required, QList<double> &out)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined() && !required) {
        out = QList<double>(n, Gap);
        return true;
    }
    if (!v.isArray())
        return false;
    const QJsonArray a = v.toArray();
    if (a.size() != n)
        return false;
    out.reserve(n);
    for (const QJsonValue &x : a) {
        const double d = x.isDouble() ? x.toDouble() : Gap;
        out.append(std::isfinite(d) ? d : Gap);
    }
    return true;
}

} // namespace

std::optional<HistorySeries> historySeriesFromJson(const QJsonValue &value)
{
    if (!value.isObject())
        return std::nullopt;
    const QJsonObject o = value.toObject();
    HistorySeries s;
    s.id = o.value(QLatin1String("id")).toString();
    s.node = o.value(QLatin1String("node")).toString();
    s.range = o.value(QLatin1String("range")).toString();
    const qsizetype slash = s.id.indexOf(u'/');
    const QStringView kind = QStringView(s.id).left(slash);
    if (slash <= 0 || slash == s.id.size() - 1
        || (kind != u"node" && kind != u"qemu" && kind != u"lxc"))
        return std::nullopt;
    if (s.node.isEmpty() || (s.range != QLatin1String("hour") && s.range != QLatin1String("day")))
        return std::nullopt;
    if (kind == u"node" && QStringView(s.id).mid(slash + 1) != s.node)
        return std::nullopt;
    if (kind != u"node") {
        bool ok = false;
        s.vmid = QStringView(s.id).mid(slash + 1).toInt(&ok);
        if (!ok || s.vmid <= 0)
            return std::nullopt;
    }
    const QJsonValue times = o.value(QLatin1String("t"));
    if (!times.isArray())
        return std::nullopt;
    const QJsonArray t = times.toArray();
    if (t.size() > MaxHistorySamples)
        return std::nullopt;
    s.t.reserve(t.size());
    for (const QJsonValue &x : t) {
        const double d = x.isDouble() ? x.toDouble() : Gap;
        if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 1e15
            || (!s.t.isEmpty() && qint64(d) <= s.t.constLast()))
            return std::nullopt;
        s.t.append(qint64(d));
    }
    const qsizetype n = s.t.size();
    if (!readColumn(o, QLatin1String("cpu"), n, true, s.cpu)
        || !readColumn(o, QLatin1String("mem"), n, true, s.mem)
        || !readColumn(o, QLatin1String("netin"), n, false, s.netin)
        || !readColumn(o, QLatin1String("netout"), n, false, s.netout)
        || !readColumn(o, QLatin1String("diskread"), n, false, s.diskread)
        || !readColumn(o, QLatin1String("diskwrite"), n, false, s.diskwrite))
        return std::nullopt;
    if (o.contains(QLatin1String("temperature"))
        && !readColumn(o, QLatin1String("temperature"), n, true, s.temperature))
        return std::nullopt;
    const double maxmem = o.value(QLatin1String("maxmem")).toDouble(0);
    s.maxmem = std::isfinite(maxmem) && maxmem > 0 ? maxmem : 0;
    return s;
}

} // namespace jarvis::console
