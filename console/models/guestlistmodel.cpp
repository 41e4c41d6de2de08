#include "guestlistmodel.h"

#include <QJsonObject>

#include <cmath>

namespace jarvis::console {

namespace {

const QString Running = QStringLiteral("running");
const QString Stopped = QStringLiteral("stopped");
const QString Paused = QStringLiteral("paused");

QString typeName(const model::VmData &g)
{
    return g.kind == model::VmData::Kind::Lxc ? QStringLiteral("lxc") : QStringLiteral("qemu");
}

} // namespace

GuestListModel::GuestListModel(QObject *parent)
    : SnapshotListModel(parent)
{ }

void GuestListModel::applyVms(const QJsonArray &vms)
{
    QList<model::VmData> guests;
    guests.reserve(vms.size());
    for (const QJsonValue &value : vms) {
        if (!value.isObject())
            continue;
        std::optional<model::VmData> vm = model::vmFromJson(value.toObject());
        if (vm)
            guests.append(std::move(*vm));
    }
    applyGuests(std::move(guests));
}

bool GuestListModel::applyVmsJson(QByteArrayView vms, QString *error)
{
    std::optional<QList<model::VmData>> guests = model::vmsFromWireJson(vms, error, hint());
    if (!guests)
        return false;
    applyGuests(std::move(*guests));
    return true;
}

bool GuestListModel::applyVmsEventJson(QByteArrayView args, QString *error)
{
    std::optional<QList<model::VmData>> guests = model::vmsFromEventArgsJson(args, error, hint());
    if (!guests)
        return false;
    applyGuests(std::move(*guests));
    return true;
}

model::VmHint GuestListModel::hint() const
{
    return [this](qsizetype row) { return row < m_rows.size() ? &m_rows.at(row)->data : nullptr; };
}

void GuestListModel::applyGuests(QList<model::VmData> guests)
{
    const bool moved = applySnapshot(
        m_rows, std::move(guests),
        [](const auto &row) {
            if constexpr (std::is_same_v<std::decay_t<decltype(row)>, model::VmData>)
                return row.vmid;
            else
                return row->data.vmid;
        },
        [this](std::shared_ptr<Row> &current, model::VmData &&fresh) {
            return update(*current, std::move(fresh));
        },
        [](model::VmData &&fresh) {
            return std::make_shared<Row>(Row {std::move(fresh), false});
        });
    if (moved)
        m_rowOfStale = true;
    updateRunningCount();
}

GuestListModel::Availability GuestListModel::availability(const Row &row) const
{
    const model::VmData &g = row.data;
    Availability a;
    if (g.isProtected)
        a.block = m_protectedNodes.contains(g.node) ? Block::ProtectedNode : Block::ProtectedGuest;
    else if (row.busy)
        a.block = Block::Busy;
    else if (g.isTemplate)
        a.block = Block::Template;
    else if (!g.lock.isEmpty())
        a.block = Block::Locked;
    if (a.block != Block::None)
        return a;
    const bool running = g.status == Running;
    a.start = g.status == Stopped;
    a.shutdown = running;
    a.restart = running;
    a.stop = running || g.status == Paused;
    return a;
}

QString GuestListModel::blockReason(const Row &row, Block block) const
{
    const model::VmData &g = row.data;
    switch (block) {
    case Block::None:
        return {};
    case Block::ProtectedNode:
        return QStringLiteral("Node %1 is protected: actions on its guests are refused")
            .arg(g.node);
    case Block::ProtectedGuest:
        return QStringLiteral("%1 (%2) is protected: actions on it are refused")
            .arg(g.name)
            .arg(g.vmid);
    case Block::Busy:
        return QStringLiteral("An action is already running on this guest");
    case Block::Template:
        return QStringLiteral("Templates cannot be started or stopped");
    case Block::Locked:
        return QStringLiteral("The guest is locked (%1)").arg(g.lock);
    }
    return {};
}

void GuestListModel::actionRoles(const Row &before, const Availability &a, const Row &after,
    const Availability &b, QList<int> &roles) const
{
    if (a.start != b.start)
        roles << CanStartRole;
    if (a.shutdown != b.shutdown)
        roles << CanShutdownRole;
    if (a.stop != b.stop)
        roles << CanStopRole;
    if (a.restart != b.restart)
        roles << CanRestartRole;
    if (a.block != b.block || blockReason(before, a.block) != blockReason(after, b.block))
        roles << DisabledReasonRole;
}

QList<int> GuestListModel::update(Row &current, model::VmData &&fresh) const
{
    const model::VmData &a = current.data;
    const model::VmData &b = fresh;
    if (a == b)
        return {};
    QList<int> roles;
    if (a.name != b.name)
        roles << NameRole;
    if (a.node != b.node)
        roles << NodeRole;
    if (a.kind != b.kind)
        roles << TypeRole;
    if (a.status != b.status)
        roles << StatusRole;
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
    if (a.uptime != b.uptime)
        roles << UptimeRole;
    if (a.netin != b.netin)
        roles << NetinRole;
    if (a.netout != b.netout)
        roles << NetoutRole;
    if (a.diskread != b.diskread)
        roles << DiskreadRole;
    if (a.diskwrite != b.diskwrite)
        roles << DiskwriteRole;
    if (a.isTemplate != b.isTemplate)
        roles << TemplateRole;
    if (a.tags != b.tags)
        roles << TagsRole;
    if (a.lock != b.lock)
        roles << LockRole;
    if (a.isProtected != b.isProtected)
        roles << IsProtectedRole;
    // What the actions depend on: status, protection, lock, template (and the names the reason
    // quotes).
    const bool actionInputs = a.status != b.status || a.isProtected != b.isProtected
        || a.lock != b.lock || a.isTemplate != b.isTemplate || a.node != b.node || a.name != b.name;
    if (actionInputs) {
        Row after {b, current.busy};
        actionRoles(current, availability(current), after, availability(after), roles);
    }
    current.data = std::move(fresh);
    return roles;
}

void GuestListModel::setBusy(int vmid, bool busy)
{
    const int row = rowOf(vmid);
    if (row < 0 || m_rows.at(row)->busy == busy)
        return;
    Row &current = *m_rows.at(row);
    Row after {current.data, busy};
    QList<int> roles {BusyRole};
    actionRoles(current, availability(current), after, availability(after), roles);
    current.busy = busy;
    Q_EMIT dataChanged(index(row), index(row), roles);
}

void GuestListModel::setProtectedNodes(const QStringList &nodes)
{
    const QSet<QString> next(nodes.cbegin(), nodes.cend());
    if (next == m_protectedNodes)
        return;
    QList<Availability> before;
    before.reserve(m_rows.size());
    for (const std::shared_ptr<Row> &row : std::as_const(m_rows))
        before.append(availability(*row));
    m_protectedNodes = next;
    for (int i = 0; i < m_rows.size(); ++i) {
        const Row &row = *m_rows.at(i);
        QList<int> roles;
        actionRoles(row, before.at(i), row, availability(row), roles);
        if (!roles.isEmpty())
            Q_EMIT dataChanged(index(i), index(i), roles);
    }
}

void GuestListModel::clear()
{
    removeAllRows(m_rows, [this] {
        m_rowOf.clear();
        m_rowOfStale = false;
    });
    updateRunningCount();
}

void GuestListModel::updateRunningCount()
{
    int running = 0;
    for (const std::shared_ptr<Row> &row : std::as_const(m_rows))
        running += row->data.status == Running ? 1 : 0;
    if (running != m_runningCount) {
        m_runningCount = running;
        Q_EMIT runningCountChanged();
    }
}

int GuestListModel::rowOf(int vmid) const
{
    if (m_rowOfStale) {
        m_rowOf.clear();
        m_rowOf.reserve(m_rows.size());
        for (int i = 0; i < m_rows.size(); ++i)
            m_rowOf.insert(m_rows.at(i)->data.vmid, i);
        m_rowOfStale = false;
    }
    return m_rowOf.value(vmid, -1);
}

QString GuestListModel::actionReason(int vmid, const QString &action) const
{
    const int row = rowOf(vmid);
    if (row < 0)
        return QStringLiteral("No guest %1").arg(vmid);
    const Row &r = *m_rows.at(row);
    const Availability a = availability(r);
    if (a.block != Block::None)
        return blockReason(r, a.block);
    bool allowed = false;
    if (action == QLatin1String("start"))
        allowed = a.start;
    else if (action == QLatin1String("shutdown"))
        allowed = a.shutdown;
    else if (action == QLatin1String("stop"))
        allowed = a.stop;
    else if (action == QLatin1String("restart"))
        allowed = a.restart;
    else
        return QStringLiteral("Unknown action %1").arg(action);
    return allowed ? QString() : QStringLiteral("The guest is %1").arg(r.data.status);
}

int GuestListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant GuestListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = *m_rows.at(index.row());
    const model::VmData &g = row.data;
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return g.name;
    case VmidRole:
        return g.vmid;
    case NodeRole:
        return g.node;
    case TypeRole:
        return typeName(g);
    case StatusRole:
        return g.status;
    case CpuRole:
        return g.cpu;
    case MaxcpuRole:
        return g.maxcpu;
    case MemRole:
        return g.mem;
    case MaxmemRole:
        return g.maxmem;
    case MemFractionRole:
        return fraction(g.mem, g.maxmem);
    case DiskRole:
        return g.disk;
    case MaxdiskRole:
        return g.maxdisk;
    case UptimeRole:
        return g.uptime;
    case NetinRole:
        return g.netin;
    case NetoutRole:
        return g.netout;
    case DiskreadRole:
        return g.diskread;
    case DiskwriteRole:
        return g.diskwrite;
    case TemplateRole:
        return g.isTemplate;
    case TagsRole:
        return g.tags;
    case LockRole:
        return g.lock;
    case IsProtectedRole:
        return g.isProtected;
    case CanStartRole:
        return availability(row).start;
    case CanShutdownRole:
        return availability(row).shutdown;
    case CanStopRole:
        return availability(row).stop;
    case CanRestartRole:
        return availability(row).restart;
    case DisabledReasonRole:
        return blockReason(row, availability(row).block);
    case BusyRole:
        return row.busy;
    default:
        return {};
    }
}

QHash<int, QByteArray> GuestListModel::roleNames() const
{
    return {
        {VmidRole, "vmid"},
        {NameRole, "name"},
        {NodeRole, "node"},
        {TypeRole, "type"},
        {StatusRole, "status"},
        {CpuRole, "cpu"},
        {MaxcpuRole, "maxcpu"},
        {MemRole, "mem"},
        {MaxmemRole, "maxmem"},
        {MemFractionRole, "memFraction"},
        {DiskRole, "disk"},
        {MaxdiskRole, "maxdisk"},
        {UptimeRole, "uptime"},
        {NetinRole, "netin"},
        {NetoutRole, "netout"},
        {DiskreadRole, "diskread"},
        {DiskwriteRole, "diskwrite"},
        {TemplateRole, "template"},
        {TagsRole, "tags"},
        {LockRole, "lock"},
        {IsProtectedRole, "isProtected"},
        {CanStartRole, "canStart"},
        {CanShutdownRole, "canShutdown"},
        {CanStopRole, "canStop"},
        {CanRestartRole, "canRestart"},
        {DisabledReasonRole, "disabledReason"},
        {BusyRole, "busy"},
    };
}

QVariantMap GuestListModel::get(int vmid) const
{
    return rowToMap(rowOf(vmid));
}

} // namespace jarvis::console
