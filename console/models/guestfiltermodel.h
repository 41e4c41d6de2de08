#pragma once

#include "guestlistmodel.h"

#include <QSortFilterProxyModel>
#include <QString>
#include <QStringList>

namespace jarvis::console {

// The guest table's view of a GuestListModel: search, filters and sort, as the browser
// dashboard does them (service/web/src/Guests.tsx).
// - search: whitespace-separated words, case-insensitive; a guest matches when every word is in
//   its vmid, name, node, status, type ("vm" / "ct") or one of its tags.
// - nodeFilter, statusFilter, typeFilter ("qemu" / "lxc"): exact; empty = all.
// - sortRoleName: a role name of GuestListModel. vmid, name (case-insensitive), type, node,
//   status, cpu (a guest that is not running sorts as -1), mem, uptime, tags (joined,
//   case-insensitive) as the dashboard; any other role compares its values. Ties are broken by
//   vmid, ascending in both directions. An unknown name sorts by vmid.
// The source must be a GuestListModel (sourceModel, or setGuests()).
class GuestFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_PROPERTY(QString search READ search WRITE setSearch NOTIFY searchChanged)
    Q_PROPERTY(QString nodeFilter READ nodeFilter WRITE setNodeFilter NOTIFY nodeFilterChanged)
    Q_PROPERTY(
        QString statusFilter READ statusFilter WRITE setStatusFilter NOTIFY statusFilterChanged)
    Q_PROPERTY(QString typeFilter READ typeFilter WRITE setTypeFilter NOTIFY typeFilterChanged)
    Q_PROPERTY(
        QString sortRoleName READ sortRoleName WRITE setSortRoleName NOTIFY sortRoleNameChanged)
    Q_PROPERTY(
        bool sortAscending READ sortAscending WRITE setSortAscending NOTIFY sortAscendingChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)
    Q_PROPERTY(GuestListModel *guests READ guests WRITE setGuests NOTIFY guestsChanged)
public:
    explicit GuestFilterModel(QObject *parent = nullptr);

    QString search() const { return m_search; }
    void setSearch(const QString &search);
    QString nodeFilter() const { return m_node; }
    void setNodeFilter(const QString &node);
    QString statusFilter() const { return m_status; }
    void setStatusFilter(const QString &status);
    QString typeFilter() const { return m_type; }
    void setTypeFilter(const QString &type);
    QString sortRoleName() const { return m_sortRoleName; }
    void setSortRoleName(const QString &name);
    bool sortAscending() const { return m_ascending; }
    void setSortAscending(bool ascending);
    int count() const { return rowCount(); }

    GuestListModel *guests() const { return m_guests; }
    void setGuests(GuestListModel *guests);
    void setSourceModel(QAbstractItemModel *model) override;

    // The vmid at a row of this model (-1 when out of range).
    Q_INVOKABLE int vmidAt(int row) const;

Q_SIGNALS:
    void searchChanged();
    void nodeFilterChanged();
    void statusFilterChanged();
    void typeFilterChanged();
    void sortRoleNameChanged();
    void sortAscendingChanged();
    void countChanged();
    void guestsChanged();

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    enum class SortKey { Vmid, Name, Type, Node, Status, Cpu, Mem, Uptime, Tags, Role };
    void updateSortKey();

    GuestListModel *m_guests = nullptr;
    QString m_search;
    struct Word
    {
        QString text; // as typed
        QString ascii; // in lower case when the word is ASCII (the fast match), else null
    };
    QList<Word> m_words;
    QString m_node;
    QString m_status;
    QString m_type;
    QString m_sortRoleName = QStringLiteral("vmid");
    SortKey m_sortKey = SortKey::Vmid;
    int m_sortRole = -1; // for SortKey::Role
    bool m_ascending = true;
    int m_lastCount = 0;
};

} // namespace jarvis::console
