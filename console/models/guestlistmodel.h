#pragma once

#include "snapshotlistmodel.h"

#include "model/clusterdata.h"

#include <QByteArrayView>
#include <QHash>
#include <QJsonArray>
#include <QList>
#include <QSet>
#include <QStringList>

#include <memory>

namespace jarvis::console {

// The `vms` snapshot (VMData[], qemu and lxc together) as a list keyed by `vmid`, in the
// snapshot's order (jarvisd sends it sorted by vmid); sorting and filtering for a view is
// GuestFilterModel's job. Rows that are not VMData (wrong types, no vmid or node) are ignored.
//
// Power actions follow the browser dashboard's rules (service/web/src/Guests.tsx): Start when the
// guest is stopped; Shutdown and Restart when it is running; Stop when it is running or paused
// (a paused guest can be stopped but not shut down or restarted). Nothing is available while the
// guest is protected (jarvisd's `protected` flag: its vmid or its node is in the safety
// configuration), while an action on it is in flight (busy), for a template, or while Proxmox
// holds a lock on it; disabledReason then says why, in the dashboard's words.
class GuestListModel : public SnapshotListModel
{
    Q_OBJECT
    Q_PROPERTY(int runningCount READ runningCount NOTIFY runningCountChanged)
public:
    enum Role {
        VmidRole = Qt::UserRole + 1,
        NameRole,
        NodeRole,
        TypeRole, // "qemu" | "lxc"
        StatusRole,
        CpuRole,
        MaxcpuRole,
        MemRole,
        MaxmemRole,
        MemFractionRole, // mem / maxmem clamped to 0..1 (fraction())
        DiskRole,
        MaxdiskRole,
        UptimeRole,
        NetinRole,
        NetoutRole,
        DiskreadRole,
        DiskwriteRole,
        TemplateRole,
        TagsRole, // QStringList
        LockRole, // "" when none
        IsProtectedRole,
        CanStartRole,
        CanShutdownRole,
        CanStopRole,
        CanRestartRole,
        DisabledReasonRole, // why no action is available at all; "" when that is not the case
        BusyRole,
    };
    Q_ENUM(Role)

    explicit GuestListModel(QObject *parent = nullptr);

    void applyVms(const QJsonArray &vms);
    // The same snapshot as its JSON text (VMData[]), read straight into rows
    // (model::vmsFromWireJson): what the console applies at run time, without a QJsonArray in
    // between. Text that is not valid JSON or not an array changes nothing: false and *error.
    bool applyVmsJson(QByteArrayView vms, QString *error = nullptr);
    // The arguments of a `vms` event as JSON text, as SocketIoClient::onRaw hands them over
    // (an array holding the VMData[]).
    bool applyVmsEventJson(QByteArrayView args, QString *error = nullptr);
    // The snapshot as rows already read.
    void applyGuests(QList<model::VmData> guests);
    // Forgets everything (logging out, another server).
    void clear();

    // An action on `vmid` is in flight (set when it is sent, cleared when it ends): its actions
    // are disabled meanwhile. Kept across snapshots while the guest is in them.
    Q_INVOKABLE void setBusy(int vmid, bool busy);
    // The nodes that jarvisd protects (NodeListModel::protectedNodes): a protected guest on one of
    // them is explained as "Node X is protected" rather than as a protected guest.
    void setProtectedNodes(const QStringList &nodes);

    int runningCount() const { return m_runningCount; }

    // One guest: every role by its QML name; empty when unknown.
    Q_INVOKABLE QVariantMap get(int vmid) const;
    // Why `action` ("start", "shutdown", "stop", "restart") cannot run on `vmid` now; "" when it
    // can.
    Q_INVOKABLE QString actionReason(int vmid, const QString &action) const;
    // The row of `vmid`, -1 when unknown.
    Q_INVOKABLE int rowOf(int vmid) const;

    // The guest at `row` (for GuestFilterModel; no QVariant on the sort and filter paths).
    const model::VmData &guestAt(int row) const { return m_rows.at(row)->data; }

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

Q_SIGNALS:
    void runningCountChanged();

private:
    struct Row
    {
        model::VmData data;
        bool busy = false;
    };

    // What blocks every action on a guest, in the order the dashboard checks.
    enum class Block { None, ProtectedNode, ProtectedGuest, Busy, Template, Locked };
    struct Availability
    {
        Block block = Block::None;
        bool start = false, shutdown = false, stop = false, restart = false;
        friend bool operator==(const Availability &, const Availability &) = default;
    };

    Availability availability(const Row &row) const;
    QString blockReason(const Row &row, Block block) const;
    // The roles of the actions that differ between two availabilities (reason included when its
    // text differs).
    void actionRoles(const Row &before, const Availability &a, const Row &after,
        const Availability &b, QList<int> &roles) const;
    QList<int> update(Row &current, model::VmData &&fresh) const;
    // The rows as the text reader's hint (their strings are shared when they did not change).
    model::VmHint hint() const;
    void updateRunningCount();

    // Rows by pointer: a guest removed or inserted in the middle of 5000 moves pointers, not
    // guests.
    QList<std::shared_ptr<Row>> m_rows;
    mutable QHash<int, int> m_rowOf; // vmid -> row, rebuilt when asked after structural changes
    mutable bool m_rowOfStale = false;
    QSet<QString> m_protectedNodes;
    int m_runningCount = 0;
};

} // namespace jarvis::console
