#include "storagelistmodel.h"

#include <QJsonObject>

namespace jarvis::console {

namespace {

bool isActive(const model::StorageData &s)
{
    return s.status == QLatin1String("active");
}

} // namespace

StorageListModel::StorageListModel(QObject *parent)
    : SnapshotListModel(parent)
{ }

void StorageListModel::applyStorage(const QJsonArray &storage)
{
    QList<model::StorageData> incoming;
    incoming.reserve(storage.size());
    for (const QJsonValue &value : storage) {
        if (!value.isObject())
            continue;
        std::optional<model::StorageData> s = model::storageFromJson(value.toObject());
        if (s)
            incoming.append(std::move(*s));
    }
    applySnapshot(
        m_rows, std::move(incoming),
        [](const model::StorageData &s) -> const QString & { return s.id; }, &update);
}

QList<int> StorageListModel::update(model::StorageData &current, model::StorageData &&fresh)
{
    if (current == fresh)
        return {};
    QList<int> roles;
    if (current.storage != fresh.storage)
        roles << StorageRole;
    if (current.node != fresh.node)
        roles << NodeRole;
    if (current.type != fresh.type)
        roles << TypeRole;
    if (current.status != fresh.status)
        roles << StatusRole;
    if (isActive(current) != isActive(fresh))
        roles << ActiveRole;
    if (current.shared != fresh.shared)
        roles << SharedRole;
    if (current.content != fresh.content)
        roles << ContentRole;
    if (current.used != fresh.used)
        roles << UsedRole;
    if (current.total != fresh.total)
        roles << TotalRole;
    if (current.avail != fresh.avail)
        roles << AvailRole;
    if (fraction(current.used, current.total) != fraction(fresh.used, fresh.total))
        roles << UsedFractionRole;
    current = std::move(fresh);
    return roles;
}

void StorageListModel::clear()
{
    removeAllRows(m_rows);
}

int StorageListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant StorageListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const model::StorageData &s = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case StorageRole:
        return s.storage;
    case StorageIdRole:
        return s.id;
    case NodeRole:
        return s.node;
    case TypeRole:
        return s.type;
    case StatusRole:
        return s.status;
    case ActiveRole:
        return isActive(s);
    case SharedRole:
        return s.shared;
    case ContentRole:
        return s.content;
    case UsedRole:
        return s.used;
    case TotalRole:
        return s.total;
    case AvailRole:
        return s.avail;
    case UsedFractionRole:
        return fraction(s.used, s.total);
    default:
        return {};
    }
}

QHash<int, QByteArray> StorageListModel::roleNames() const
{
    return {
        {StorageIdRole, "storageId"},
        {StorageRole, "storage"},
        {NodeRole, "node"},
        {TypeRole, "type"},
        {StatusRole, "status"},
        {ActiveRole, "active"},
        {SharedRole, "shared"},
        {ContentRole, "content"},
        {UsedRole, "used"},
        {TotalRole, "total"},
        {AvailRole, "avail"},
        {UsedFractionRole, "usedFraction"},
    };
}

} // namespace jarvis::console
