#pragma once

#include "snapshotlistmodel.h"

#include "model/clusterdata.h"

#include <QHash>
#include <QJsonArray>
#include <QList>
#include <QMap>
#include <QStringList>

namespace jarvis::core {
class Clock;
}

namespace jarvis::console {

// The `nodes` snapshot (NodeData[], PROTOCOL.md section 5) as a list, keyed by `node`, in the
// snapshot's order (jarvisd sends nodes sorted by name).
// Sparklines: each node's CPU and memory (fractions 0..1, NaN = no sample: a gap, e.g. while the
// node is not online) over the last HistorySeconds, with their times (unix seconds, the
// server's clock). The `history` event (applyHistory, sent by jarvisd after the first snapshots
// of every connection) replaces a node's series with the server's; each applyNodes() then adds
// one sample, stamped with the clock corrected by the server's (the history's newest sample is
// the server's latest poll), and drops what is older than the hour. A sample is not added at or
// before the series' last time, so a reconnect (snapshots, then history again) never doubles one.
// Temperatures: a node's own `temperatures` when it has any, else the latest `temperature`
// event's zones for it (the dashboard's rule). Rows that are not NodeData (wrong types, no name)
// are ignored.
class NodeListModel : public SnapshotListModel
{
    Q_OBJECT
    Q_PROPERTY(int onlineCount READ onlineCount NOTIFY onlineCountChanged)
    Q_PROPERTY(QStringList protectedNodes READ protectedNodes NOTIFY protectedNodesChanged)
public:
    static constexpr int HistorySeconds = 3600;

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
        CpuHistoryRole, // QVariantList of 0..1 (NaN: no sample), oldest first, the last hour
        MemHistoryRole,
        IsProtectedRole,
        HistoryTimesRole, // QVariantList of unix seconds, one per cpuHistory/memHistory sample
    };
    Q_ENUM(Role)

    explicit NodeListModel(QObject *parent = nullptr);

    // Where the live samples' time comes from (not owned, outlives the model; null: the system
    // clock).
    void setClock(core::Clock *clock);

    void applyNodes(const QJsonArray &nodes);
    // The `history` event ({range: "hour", series: HistorySeries[]}): the series of nodes in the
    // model replace theirs; a series of an unknown node, a malformed series or a payload that is
    // not a history change nothing.
    void applyHistory(const QJsonValue &payload);
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
        QList<qint64> times;
        QList<double> cpuHistory;
        QList<double> memHistory;
    };

    QList<int> update(Row &current, Row &&fresh) const;
    qint64 sampleTime() const; // now, unix seconds, in the server's clock
    QMap<QString, double> effectiveTemperatures(const model::NodeData &node) const;
    void updateCounts();

    QList<Row> m_rows;
    QHash<QString, QMap<QString, double>> m_eventTemperatures; // node -> zones
    core::Clock *m_clock;
    qint64 m_clockOffset = 0; // seconds the server's clock is ahead of m_clock
    int m_onlineCount = 0;
    QStringList m_protectedNodes;
};

} // namespace jarvis::console
