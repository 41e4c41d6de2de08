#pragma once

#include "snapshotlistmodel.h"

#include <QJsonObject>
#include <QList>
#include <QVariantMap>

namespace jarvis::console {

// The `/events` stream (JarvisEvent, PROTOCOL.md section 5), newest first, at most Cap entries
// (the oldest drops out). A message that is not a JarvisEvent (not an object, a field of the
// wrong type, no `type`) is ignored.
class EventLogModel : public SnapshotListModel
{
    Q_OBJECT
public:
    static constexpr int Cap = 500;

    enum Role {
        EventIdRole = Qt::UserRole + 1,
        TypeRole, // "alert" | "action" | "status" | "metric"
        SeverityRole, // "info" | "warning" | "error" | "critical"
        TitleRole,
        MessageRole,
        NodeRole, // "" when none
        TimestampRole, // ISO 8601 UTC string, as sent
        TimeRole, // the timestamp as a QDateTime (invalid when it does not parse)
        ResolvedAtRole, // "" unless the alert cleared
        KindRole, // data.kind: "tool", "task", "poll", "alert", ...
        DataRole, // QVariantMap of data
    };
    Q_ENUM(Role)

    explicit EventLogModel(QObject *parent = nullptr);

    // Returns false (and changes nothing) when `event` is not a JarvisEvent.
    bool append(const QJsonObject &event);
    void clear();

    // One entry by row: every role by its QML name; empty when out of range.
    Q_INVOKABLE QVariantMap get(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

private:
    struct Entry
    {
        QString id, type, severity, title, message, node, timestamp, resolvedAt, kind;
        QJsonObject data;
    };
    QList<Entry> m_rows; // newest first
};

} // namespace jarvis::console
