#include "nodelistmodel.h"

#include "historyseries.h"

#include "core/clock.h"

#include <algorithm>

#include <QJsonObject>
#include <QVariantList>

#include <cmath>
#include <limits>

namespace jarvis::console {

namespace {

bool isOnline(const model::NodeData &n)
{
    return n.status == QLatin1String("online");
}

constexpr double NoSample = std::numeric_limits<double>::quiet_NaN();

double cpuSample(const model::NodeData &n)
{
    return isOnline(n) && std::isfinite(n.cpu) ? qBound(0.0, n.cpu, 1.0) : NoSample;
}

double memSample(const model::NodeData &n)
{
    return isOnline(n) ? NodeListModel::fraction(n.mem, n.maxmem) : NoSample;
}

// The hottest reading; nullptr-like (NaN, "") when there is none.
std::pair<double, QString> hottest(const QMap<QString, double> &zones)
{
    double best = std::numeric_limits<double>::quiet_NaN();
    QString sensor;
    for (auto it = zones.cbegin(); it != zones.cend(); ++it) {
        if (std::isfinite(it.value()) && (std::isnan(best) || it.value() > best)) {
            best = it.value();
            sensor = it.key();
        }
    }
    return {best, sensor};
}

QVariantMap toVariantMap(const QMap<QString, double> &zones)
{
    QVariantMap out;
    for (auto it = zones.cbegin(); it != zones.cend(); ++it)
        out.insert(it.key(), it.value());
    return out;
}

// Drops the samples at or before `cutoff`.
template<typename Row> void trimBefore(Row &row, qint64 cutoff)
{
    const qsizetype drop =
        std::upper_bound(row.times.cbegin(), row.times.cend(), cutoff) - row.times.cbegin();
    if (drop == 0)
        return;
    row.times.remove(0, drop);
    row.cpuHistory.remove(0, drop);
    row.memHistory.remove(0, drop);
}

} // namespace

NodeListModel::NodeListModel(QObject *parent)
    : SnapshotListModel(parent)
    , m_clock(core::Clock::system())
{ }

void NodeListModel::setClock(core::Clock *clock)
{
    m_clock = core::Clock::orSystem(clock);
}

qint64 NodeListModel::sampleTime() const
{
    return m_clock->now().toSecsSinceEpoch() + m_clockOffset;
}

QMap<QString, double> NodeListModel::effectiveTemperatures(const model::NodeData &node) const
{
    if (!node.temperatures.isEmpty())
        return node.temperatures;
    return m_eventTemperatures.value(node.node);
}

void NodeListModel::applyNodes(const QJsonArray &nodes)
{
    QList<Row> incoming;
    incoming.reserve(nodes.size());
    const qint64 now = sampleTime();
    for (const QJsonValue &value : nodes) {
        if (!value.isObject())
            continue;
        std::optional<model::NodeData> node = model::nodeFromJson(value.toObject());
        if (!node)
            continue;
        Row row;
        row.temperatures = effectiveTemperatures(*node);
        row.times = {now};
        row.cpuHistory = {cpuSample(*node)};
        row.memHistory = {memSample(*node)};
        row.data = std::move(*node);
        incoming.append(std::move(row));
    }
    applySnapshot(
        m_rows, std::move(incoming), [](const Row &r) -> const QString & { return r.data.node; },
        [this](Row &current, Row &&fresh) { return update(current, std::move(fresh)); });
    // Readings of nodes that are not (or no longer) in the cluster are not kept.
    m_eventTemperatures.removeIf([this](const auto &entry) {
        return std::none_of(m_rows.cbegin(), m_rows.cend(),
            [&](const Row &row) { return row.data.node == entry.key(); });
    });
    updateCounts();
}

QList<int> NodeListModel::update(Row &current, Row &&fresh) const
{
    QList<int> roles;
    const model::NodeData &a = current.data;
    const model::NodeData &b = fresh.data;
    if (a.host != b.host)
        roles << HostRole;
    if (a.status != b.status)
        roles << StatusRole;
    if (isOnline(a) != isOnline(b))
        roles << OnlineRole;
    if (a.cpu != b.cpu)
        roles << CpuRole;
    if (a.maxcpu != b.maxcpu)
        roles << MaxcpuRole;
    if (a.mem != b.mem)
        roles << MemRole;
    if (a.maxmem != b.maxmem)
        roles << MaxmemRole;
    if (fraction(a.mem, a.maxmem) != fraction(b.mem, b.maxmem))
        roles << MemFractionRole;
    if (a.disk != b.disk)
        roles << DiskRole;
    if (a.maxdisk != b.maxdisk)
        roles << MaxdiskRole;
    if (fraction(a.disk, a.maxdisk) != fraction(b.disk, b.maxdisk))
        roles << DiskFractionRole;
    if (a.uptime != b.uptime)
        roles << UptimeRole;
    if (a.loadavg != b.loadavg)
        roles << LoadavgRole;
    if (current.temperatures != fresh.temperatures) {
        roles << TemperaturesRole << HasTemperatureRole;
        const auto [oldC, oldSensor] = hottest(current.temperatures);
        const auto [newC, newSensor] = hottest(fresh.temperatures);
        if (!(oldC == newC || (std::isnan(oldC) && std::isnan(newC))))
            roles << HottestRole;
        if (oldSensor != newSensor)
            roles << HottestSensorRole;
        if (current.temperatures.isEmpty() == fresh.temperatures.isEmpty())
            roles.removeOne(HasTemperatureRole);
        current.temperatures = std::move(fresh.temperatures);
    }
    if (a.isProtected != b.isProtected)
        roles << IsProtectedRole;
    // A new sample every snapshot taken later than the series' last: the sparklines move.
    const qint64 t = fresh.times.value(0);
    if (current.times.isEmpty() || current.times.constLast() < t) {
        current.times.append(t);
        current.cpuHistory.append(fresh.cpuHistory.value(0));
        current.memHistory.append(fresh.memHistory.value(0));
        trimBefore(current, t - HistorySeconds);
        roles << CpuHistoryRole << MemHistoryRole << HistoryTimesRole;
    }
    current.data = std::move(fresh.data);
    return roles;
}

void NodeListModel::applyHistory(const QJsonValue &payload)
{
    if (!payload.isObject())
        return;
    const QJsonObject o = payload.toObject();
    const QJsonValue range = o.value(QLatin1String("range"));
    const QJsonValue list = o.value(QLatin1String("series"));
    if (!list.isArray() || (!range.isUndefined() && range != QLatin1String("hour")))
        return;
    QHash<QString, HistorySeries> byNode;
    qint64 newest = std::numeric_limits<qint64>::min();
    for (const QJsonValue &value : list.toArray()) {
        std::optional<HistorySeries> s = historySeriesFromJson(value);
        if (!s || s->vmid != 0 || byNode.contains(s->node))
            continue;
        if (!s->t.isEmpty())
            newest = std::max(newest, s->t.constLast());
        byNode.insert(s->node, std::move(*s));
    }
    if (byNode.isEmpty())
        return;
    // The newest sample is the server's latest poll: its time is now in the server's clock.
    if (newest != std::numeric_limits<qint64>::min())
        m_clockOffset = newest - m_clock->now().toSecsSinceEpoch();
    const qint64 cutoff = sampleTime() - HistorySeconds;
    for (int i = 0; i < m_rows.size(); ++i) {
        Row &row = m_rows[i];
        const auto it = byNode.find(row.data.node);
        if (it == byNode.end())
            continue; // the node keeps its own samples
        HistorySeries &h = it.value();
        row.times = std::move(h.t);
        row.cpuHistory = std::move(h.cpu);
        for (double &c : row.cpuHistory)
            c = std::isnan(c) ? c : qBound(0.0, c, 1.0);
        row.memHistory = std::move(h.mem);
        for (double &m : row.memHistory)
            m = std::isnan(m) || !(h.maxmem > 0) ? NoSample : fraction(m, h.maxmem);
        trimBefore(row, cutoff);
        Q_EMIT dataChanged(index(i), index(i), {CpuHistoryRole, MemHistoryRole, HistoryTimesRole});
    }
}

void NodeListModel::applyTemperatures(const QJsonArray &temperatures)
{
    for (const QJsonValue &value : temperatures) {
        if (!value.isObject())
            continue;
        const std::optional<model::TemperatureData> t =
            model::temperatureFromJson(value.toObject());
        if (t)
            m_eventTemperatures.insert(t->node, t->zones);
    }
    for (int i = 0; i < m_rows.size(); ++i) {
        Row &row = m_rows[i];
        QMap<QString, double> shown = effectiveTemperatures(row.data);
        if (shown == row.temperatures)
            continue;
        QList<int> roles {TemperaturesRole};
        const auto [oldC, oldSensor] = hottest(row.temperatures);
        const auto [newC, newSensor] = hottest(shown);
        if (!(oldC == newC || (std::isnan(oldC) && std::isnan(newC))))
            roles << HottestRole;
        if (oldSensor != newSensor)
            roles << HottestSensorRole;
        if (row.temperatures.isEmpty() != shown.isEmpty())
            roles << HasTemperatureRole;
        row.temperatures = std::move(shown);
        Q_EMIT dataChanged(index(i), index(i), roles);
    }
}

void NodeListModel::clear()
{
    m_eventTemperatures.clear();
    removeAllRows(m_rows);
    updateCounts();
}

void NodeListModel::updateCounts()
{
    int online = 0;
    QStringList protectedNodes;
    for (const Row &row : std::as_const(m_rows)) {
        online += isOnline(row.data) ? 1 : 0;
        if (row.data.isProtected)
            protectedNodes.append(row.data.node);
    }
    if (online != m_onlineCount) {
        m_onlineCount = online;
        Q_EMIT onlineCountChanged();
    }
    if (protectedNodes != m_protectedNodes) {
        m_protectedNodes = protectedNodes;
        Q_EMIT protectedNodesChanged();
    }
}

int NodeListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant NodeListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows.at(index.row());
    const model::NodeData &n = row.data;
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
    case NodeRole:
        return n.node;
    case HostRole:
        return n.host;
    case StatusRole:
        return n.status;
    case OnlineRole:
        return isOnline(n);
    case CpuRole:
        return n.cpu;
    case MaxcpuRole:
        return n.maxcpu;
    case MemRole:
        return n.mem;
    case MaxmemRole:
        return n.maxmem;
    case MemFractionRole:
        return fraction(n.mem, n.maxmem);
    case DiskRole:
        return n.disk;
    case MaxdiskRole:
        return n.maxdisk;
    case DiskFractionRole:
        return fraction(n.disk, n.maxdisk);
    case UptimeRole:
        return n.uptime;
    case LoadavgRole:
        return n.loadavg ? toVariantList(*n.loadavg) : QVariantList();
    case TemperaturesRole:
        return toVariantMap(row.temperatures);
    case HottestRole:
        return hottest(row.temperatures).first;
    case HottestSensorRole:
        return hottest(row.temperatures).second;
    case HasTemperatureRole:
        return !std::isnan(hottest(row.temperatures).first);
    case CpuHistoryRole:
        return toVariantList(row.cpuHistory);
    case MemHistoryRole:
        return toVariantList(row.memHistory);
    case IsProtectedRole:
        return n.isProtected;
    case HistoryTimesRole:
        return toVariantList(row.times);
    default:
        return {};
    }
}

QHash<int, QByteArray> NodeListModel::roleNames() const
{
    return {
        {NameRole, "name"},
        {NodeRole, "node"},
        {HostRole, "host"},
        {StatusRole, "status"},
        {OnlineRole, "online"},
        {CpuRole, "cpu"},
        {MaxcpuRole, "maxcpu"},
        {MemRole, "mem"},
        {MaxmemRole, "maxmem"},
        {MemFractionRole, "memFraction"},
        {DiskRole, "disk"},
        {MaxdiskRole, "maxdisk"},
        {DiskFractionRole, "diskFraction"},
        {UptimeRole, "uptime"},
        {LoadavgRole, "loadavg"},
        {TemperaturesRole, "temperatures"},
        {HottestRole, "hottest"},
        {HottestSensorRole, "hottestSensor"},
        {HasTemperatureRole, "hasTemperature"},
        {CpuHistoryRole, "cpuHistory"},
        {MemHistoryRole, "memHistory"},
        {IsProtectedRole, "isProtected"},
        {HistoryTimesRole, "historyTimes"},
    };
}

QVariantMap NodeListModel::get(const QString &node) const
{
    const auto it = std::find_if(
        m_rows.cbegin(), m_rows.cend(), [&](const Row &row) { return row.data.node == node; });
    return rowToMap(it == m_rows.cend() ? -1 : int(it - m_rows.cbegin()));
}

} // namespace jarvis::console
