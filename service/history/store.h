#pragma once

#include "model/clusterdata.h"
#include "proxmox/pvedata.h"

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

// History of the cluster's nodes and guests for charts (PROTOCOL.md section 5, HistorySeries):
// per node and per guest, cpu, memory, network and disk rates (and a node's hottest temperature),
// in two rings each: every poll for the last hour (16 bits a value), and 1-minute averages for
// the last 24 hours (8 bits a value; codec.h has the precision). Timestamps are kept once per
// ring, shared by its nodes or guests, never per value. A node or guest appears with its first
// sample and is dropped when a poll no longer lists it. Plain data: no timers, no I/O; the caller
// passes the time (the emitter's fetch time, or a core::Clock's now). Main thread.
namespace jarvis::history {

enum class Range { Hour, Day };
QString rangeName(Range range);
std::optional<Range> rangeFromName(const QString &name);

// Channels, in the order of the rings (guests have the first six).
enum Channel { Cpu, Mem, NetIn, NetOut, DiskRead, DiskWrite, Temperature, ChannelCount };

// One series as it goes on the wire; NaN = null.
struct Series
{
    QString id; // "node/<name>", "qemu/<vmid>", "lxc/<vmid>"
    QString node;
    std::optional<int> vmid; // guests
    Range range = Range::Hour;
    qint64 maxmem = 0; // latest, bytes
    std::vector<qint64> t; // Unix seconds, oldest first
    std::vector<double> values[ChannelCount]; // each t.size() long; Temperature only for nodes
    bool hasTemperature = false;
};
QJsonObject toJson(const Series &series);

struct StoreOptions
{
    int nodeIntervalS = 10; // the poll intervals: the hour rings hold 3600 / interval + 1 slots
    int guestIntervalS = 15;
};

// What backfill needs to know of an entity.
struct EntityRef
{
    QString id;
    QString node;
    model::VmData::Kind kind = model::VmData::Kind::Qemu; // guests
    int vmid = 0; // 0 = a node
};

// The file image: a 32-byte header (magic "1SHJ", format version, the two poll intervals, the
// payload's size and checksum, little-endian) and the payload. The checksum (for tools and the
// fuzz target, which repairs it to reach the structure checks):
inline constexpr qsizetype ImageHeaderSize = 32;
quint64 imageChecksum(QByteArrayView payload);

class Store
{
public:
    explicit Store(StoreOptions options = {});
    ~Store();
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;

    const StoreOptions &options() const { return m_options; }

    // One `nodes` poll whose data was fetched at `atMs` (Unix ms). `hottest`: a node's hottest
    // sensor (°C) from the latest temperature round, absent when unknown. Offline nodes record
    // nulls. Nodes not in the list are dropped.
    void recordNodes(qint64 atMs, const QList<model::NodeData> &nodes,
        const QHash<QString, double> &hottest = {});
    // One `vms` poll fetched at `atMs`. Network and disk rates come from the counters' growth
    // since the previous poll (a first sample or a counter that went back gives null). Guests
    // not in the list are dropped.
    void recordGuests(qint64 atMs, const QList<model::VmData> &vms);
    // Polls that came more than a minute before the newest sample (the clock was stepped back):
    // each dropped what the rings held for later times first, so recording goes on at once.
    quint64 clockStepsBack() const { return m_clockStepsBack; }

    // Proxmox rrddata points (`step` seconds apart) for the entity `id`, written into the day
    // ring's minutes that have no value yet (live data always wins), within the 24 h before
    // `nowMs`. False when the entity is not known (any more).
    bool backfill(
        const QString &id, int stepS, const QList<proxmox::RrdPoint> &points, qint64 nowMs);

    // The series of `id` as of `nowMs`: Hour = the hour ring's samples of the last hour,
    // preceded by the day ring's minutes of that hour older than the first of them; Day = the
    // last 1440 complete minutes. Leading points without any value are left out. nullopt for an
    // unknown id.
    std::optional<Series> series(const QString &id, Range range, qint64 nowMs) const;
    // Every node's, by name.
    QList<Series> nodeSeries(Range range, qint64 nowMs) const;

    QList<EntityRef> nodes() const;
    QList<EntityRef> guests() const;
    int nodeCount() const { return int(m_nodes.size()); }
    int guestCount() const { return int(m_guests.size()); }
    // Bytes held for the rings and entities (heap blocks counted at their requested sizes, plus
    // the containers' per-entry overhead as implemented by libstdc++).
    qint64 memoryBytes() const;

    // Persistence: the whole store as a versioned binary image, and back. load() replaces the
    // contents only when the image is complete and consistent with the current options, and
    // holds no time more than a minute after `nowMs` (Unix ms; a file written while the clock
    // was ahead would otherwise hold its day slots, and keep live minutes out of them, until the
    // clock caught up); false with `why` otherwise (the store is then unchanged).
    QByteArray save() const;
    bool load(
        const QByteArray &image, QString *why, qint64 nowMs = std::numeric_limits<qint64>::max());

    // save() in steps, so that a big store never holds the event loop for long: begin, then
    // step until Done (the image is then complete: SaveJob::take()). A step after the store
    // changed (a poll, a backfill) answers Changed: the image would mix two states; begin again.
    class SaveJob
    {
    public:
        SaveJob();
        ~SaveJob();
        QByteArray take();
        struct State;
        std::unique_ptr<State> d;
    };
    enum class SaveStep { More, Done, Changed };
    std::unique_ptr<SaveJob> beginSave() const;
    SaveStep continueSave(SaveJob &job, int maxGuests) const;

    struct Group;
    struct Entity;

private:
    Entity *find(const QString &id);
    const Entity *find(const QString &id) const;
    const Group &groupOf(const Entity &e) const;
    Group &groupOf(const Entity &e);

    StoreOptions m_options;
    std::unique_ptr<Group> m_nodeGroup;
    std::unique_ptr<Group> m_guestGroup;
    std::map<QString, std::unique_ptr<Entity>> m_nodes;
    std::unordered_map<int, std::unique_ptr<Entity>> m_guests;
    quint32 m_generation = 0;
    quint64 m_changes = 0; // every change, for SaveJob
    quint64 m_clockStepsBack = 0;
};

} // namespace jarvis::history
