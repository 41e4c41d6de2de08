#pragma once

#include "snapshotlistmodel.h"

#include "model/clusterdata.h"

#include <QJsonArray>
#include <QList>

namespace jarvis::console {

// The `storage` snapshot (StorageData[]: one row per node and storage, a shared storage once per
// node) as a list keyed by `id` ("storage/<node>/<name>"), in the snapshot's order. Rows that are
// not StorageData are ignored.
class StorageListModel : public SnapshotListModel
{
    Q_OBJECT
public:
    enum Role {
        StorageIdRole = Qt::UserRole + 1, // the key, "storage/<node>/<name>"
        StorageRole, // the name
        NodeRole,
        TypeRole,
        StatusRole,
        ActiveRole, // status == "active"
        SharedRole,
        ContentRole, // as PVE sends it, "images,rootdir"
        UsedRole,
        TotalRole,
        AvailRole,
        UsedFractionRole, // used / total clamped to 0..1 (fraction()), 0 when total is 0
    };
    Q_ENUM(Role)

    explicit StorageListModel(QObject *parent = nullptr);

    void applyStorage(const QJsonArray &storage);
    void clear();

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

private:
    static QList<int> update(model::StorageData &current, model::StorageData &&fresh);

    QList<model::StorageData> m_rows;
};

} // namespace jarvis::console
