#pragma once

#include "snapshotlistmodel.h"

#include "model/clusterdata.h"

#include <QHash>
#include <QJsonArray>
#include <QList>
#include <QMap>
#include <QStringList>

namespace jarvis::console {

// The `nodes` snapshot (NodeData[], PROTOCOL.md section 5) as a list, keyed by `node`, in the
// snapshot's order (jarvisd sends nodes sorted by name). Each applyNodes() adds one CPU and one
// memory sample (fractions 0..1; 0 while the node is not online, as the dashboard draws it) to
// the node's history, which keeps the last HistoryLength samples across snapshots.
// Temperatures: a node's own `temperatures` when it has any, else the latest `temperature`
// event's zones for it (the dashboard's rule). Rows that are not NodeData (wrong types, no name)
// are ignored.
class NodeListModel : public SnapshotListModel
{
    Q_OBJECT
    Q_PROPERTY(int onlineCount READ onlineCount NOTIFY onlineCountChanged)
    Q_PROPERTY(QStringList protectedNodes READ protectedNodes NOTIFY protectedNodesChanged)
public:
    static constexpr int HistoryLength = 60;

    enum Role {
        NameRole = Qt::UserRole + 1,
        NodeRole, // the same as name (the key)
        HostRole,
        StatusRole,
        OnlineRole,
        CpuRole,
        MaxcpuRole,
        MemRole,
        MaxmemRole,
        MemFractionRole, // mem / maxmem clamped to 0..1 (fraction())
        DiskRole,
        MaxdiskRole,
        DiskFractionRole, // disk / maxdisk clamped to 0..1
        UptimeRole,
        LoadavgRole, // QVariantList of 3 numbers, empty when unknown
        TemperaturesRole, // QVariantMap sensor -> celsius
        HottestRole, // qreal, NaN when unknown
        HottestSensorRole, // the hottest sensor's name, "" when unknown
        HasTemperatureRole,
        CpuHistoryRole, // QVariantList of 0..1, oldest first, at most HistoryLength
        MemHistoryRole,
        IsProtectedRole,
    };
    Q_ENUM(Role)

    explicit NodeListModel(QObject *parent = nullptr);

    void applyNodes(const QJsonArray &nodes);
    void applyTemperatures(const QJsonArray &temperatures);
    // Forgets everything (logging out, another server).
    void clear();

    int onlineCount() const { return m_onlineCount; }
    QStringList protectedNodes() const { return m_protectedNodes; }

    // One node by name: every role by its QML name; empty when unknown.
    Q_INVOKABLE QVariantMap get(const QString &node) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void onlineCountChanged();
    void protectedNodesChanged();

private:
    struct Row
    {
        model::NodeData data;
        QMap<QString, double> temperatures; // what is shown (own, or the temperature event's)
        QList<double> cpuHistory;
        QList<double> memHistory;
    };

    QList<int> update(Row &current, Row &&fresh) const;
    QMap<QString, double> effectiveTemperatures(const model::NodeData &node) const;
    void updateCounts();

    QList<Row> m_rows;
    QHash<QString, QMap<QString, double>> m_eventTemperatures; // node -> zones
    int m_onlineCount = 0;
    QStringList m_protectedNodes;
};

} // namespace jarvis::console
