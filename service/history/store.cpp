#include "history/store.h"

#include "history/codec.h"

#include <QDataStream>
#include <QDateTime>
#include <QIODevice>
#include <QJsonArray>
#include <QtEndian>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace jarvis::history {

using model::VmData;

namespace {
constexpr int DayMinutes = 1440;
constexpr int GuestChannels = 6;
constexpr int NodeChannels = 7;
constexpr int Counters = 4; // netin, netout, diskread, diskwrite

constexpr Scale scaleOf(int channel)
{
    return channel == Cpu        ? Scale::Fraction
        : channel == Temperature ? Scale::Celsius
                                 : Scale::Bytes;
}

qint64 minuteOf(qint64 ms)
{
    return ms >= 0 ? ms / 60000 : (ms - 59999) / 60000;
}

int daySlot(qint64 minute)
{
    return int(((minute % DayMinutes) + DayMinutes) % DayMinutes);
}

double rate(qint64 now, qint64 before, qint64 dtMs)
{
    if (dtMs <= 0 || now < before)
        return std::nan("");
    return double(now - before) * 1000.0 / double(dtMs);
}

const double NaN = std::nan("");
} // namespace

QString rangeName(Range range)
{
    return range == Range::Hour ? QStringLiteral("hour") : QStringLiteral("day");
}

std::optional<Range> rangeFromName(const QString &name)
{
    if (name == QLatin1String("hour"))
        return Range::Hour;
    if (name == QLatin1String("day"))
        return Range::Day;
    return std::nullopt;
}

// One ring pair's shared part: the hour ring's slot times, the day ring's minutes.
struct Store::Group
{
    Group(int channelCount, int interval)
        : channels(channelCount)
        , intervalS(std::max(1, interval))
        , cap(3600 / intervalS + 1)
        , slotMs(size_t(cap), 0)
        , dayMinute(DayMinutes, -1)
    { }

    int channels;
    int intervalS;
    int cap;
    std::vector<qint64> slotMs; // Unix ms of each hour slot
    int head = 0; // the next slot to open
    int count = 0; // picked in use
    std::vector<qint32> dayMinute; // the minute (Unix s / 60) each day slot holds, -1 = none
    qint64 openMinute = -1; // the newest hour picked' minute, not rolled up into the day yet
    qint64 lastRecordMs = -1; // the fetch time of the last poll recorded

    int slotAt(int i) const { return (head - count + i + 2 * cap) % cap; } // i-th oldest
    int newest() const { return (head - 1 + cap) % cap; }
    qsizetype entityBytes() const { return qsizetype(cap) * channels * 2 + DayMinutes * channels; }
};

struct Store::Entity
{
    Entity(const Group &g, VmData::Kind k, int id)
        : kind(k)
        , vmid(id)
        , channels(g.channels)
        , cap(g.cap)
        , data(new quint8[size_t(g.entityBytes())])
    {
        std::fill_n(reinterpret_cast<quint16 *>(data.get()), size_t(cap) * channels, Null16);
        std::fill_n(day(0), size_t(DayMinutes) * channels, Null8);
    }

    quint16 *hour(int ch) { return reinterpret_cast<quint16 *>(data.get()) + size_t(ch) * cap; }
    const quint16 *hour(int ch) const
    {
        return reinterpret_cast<const quint16 *>(data.get()) + size_t(ch) * cap;
    }
    quint8 *day(int ch)
    {
        return data.get() + size_t(cap) * channels * 2 + size_t(ch) * DayMinutes;
    }
    const quint8 *day(int ch) const
    {
        return data.get() + size_t(cap) * channels * 2 + size_t(ch) * DayMinutes;
    }

    VmData::Kind kind;
    int vmid; // 0 for a node
    int channels;
    int cap;
    QString node; // a node's name, or the guest's node
    qint64 maxmem = 0;
    qint64 counters[Counters] = {0, 0, 0, 0};
    qint64 counterAtMs = -1; // -1: no counters yet
    quint32 seen = 0;
    std::unique_ptr<quint8[]> data; // hour codes (channel-major), then day codes
};

Store::Store(StoreOptions options)
    : m_options(options)
    , m_nodeGroup(std::make_unique<Group>(NodeChannels, options.nodeIntervalS))
    , m_guestGroup(std::make_unique<Group>(GuestChannels, options.guestIntervalS))
{ }

Store::~Store() = default;

namespace {
template<typename Map, typename Fn> void forEachEntity(Map &map, Fn fn)
{
    for (auto &entry : map)
        fn(*entry.second);
}

// The mean of an entity's hour codes at `picked`, per channel, into the day slot `ds`; a channel
// without samples keeps what the day slot has when `keep`, else becomes null.
template<typename E> void rollUpEntity(E &e, const std::vector<int> &picked, int ds, bool keep)
{
    for (int ch = 0; ch < e.channels; ++ch) {
        double sum = 0;
        int n = 0;
        const quint16 *h = e.hour(ch);
        for (int s : picked) {
            if (h[s] != Null16) {
                sum += decode16(scaleOf(ch), h[s]);
                ++n;
            }
        }
        quint8 &out = e.day(ch)[ds];
        if (n > 0)
            out = encode8(scaleOf(ch), sum / n);
        else if (!keep)
            out = Null8;
    }
}
} // namespace

// --- recording -----------------------------------------------------------------------------------

namespace {
// A poll fetched this long before the newest sample means the clock was stepped back (NTP, an
// admin), not that two answers crossed.
constexpr qint64 ClockStepBackMs = 60000;

// After the clock stepped back to `atMs`: what the rings hold for later times is dropped (hour
// samples from atMs on, day minutes after atMs's minute, the open minute if it is later), so
// that polls are recorded at once again instead of merging into the newest slot, or being kept
// out of the day ring, until the clock catches up.
template<typename G> void rewind(G &g, qint64 atMs)
{
    while (g.count > 0 && g.slotMs[size_t(g.newest())] >= atMs) {
        g.head = g.newest();
        g.slotMs[size_t(g.head)] = 0; // no time left behind for a file to carry
        --g.count;
    }
    const qint64 minute = minuteOf(atMs);
    for (qint32 &held : g.dayMinute) {
        if (held > minute)
            held = -1; // free: whoever claims it next clears it in every entity
    }
    if (g.openMinute > minute)
        g.openMinute = -1;
}

// Opens the hour slot for a poll fetched at `atMs`, or reuses the newest one for a poll less
// than half an interval after it in the same minute (an extra poll: a refresh, a tool's
// refresh); the minute before a new one is rolled up into the day ring first. A clock that
// stepped back is rewound to first (and counted in `stepsBack`).
template<typename G, typename Map>
int openSlot(G &g, Map &entities, qint64 atMs, quint64 &stepsBack)
{
    if (g.count > 0 && atMs < g.slotMs[size_t(g.newest())] - ClockStepBackMs) {
        rewind(g, atMs);
        ++stepsBack;
    }
    if (g.count > 0) {
        const int last = g.newest();
        const qint64 lastMs = g.slotMs[size_t(last)];
        if (atMs <= lastMs
            || (atMs < lastMs + g.intervalS * 500 && minuteOf(atMs) == minuteOf(lastMs))) {
            g.slotMs[size_t(last)] = std::max(lastMs, atMs);
            return last;
        }
    }
    const qint64 minute = minuteOf(atMs);
    if (g.openMinute >= 0 && minute != g.openMinute) {
        std::vector<int> picked;
        for (int i = 0; i < g.count; ++i) {
            const int s = g.slotAt(i);
            if (minuteOf(g.slotMs[size_t(s)]) == g.openMinute)
                picked.push_back(s);
        }
        const int ds = daySlot(g.openMinute);
        if (g.dayMinute[size_t(ds)] <= g.openMinute) {
            const bool claimed = g.dayMinute[size_t(ds)] == g.openMinute;
            g.dayMinute[size_t(ds)] = qint32(g.openMinute);
            forEachEntity(entities, [&](auto &e) { rollUpEntity(e, picked, ds, claimed); });
        }
    }
    g.openMinute = minute;
    const int slot = g.head;
    g.head = (g.head + 1) % g.cap;
    g.count = std::min(g.count + 1, g.cap);
    g.slotMs[size_t(slot)] = atMs;
    // Every entity gets a value or null in the new slot (the poll's write it, the others are
    // dropped after it).
    return slot;
}

template<typename Map> void dropUnseen(Map &map, quint32 generation)
{
    for (auto it = map.begin(); it != map.end();) {
        if (it->second->seen != generation)
            it = map.erase(it);
        else
            ++it;
    }
}
} // namespace

void Store::recordNodes(
    qint64 atMs, const QList<model::NodeData> &nodes, const QHash<QString, double> &hottest)
{
    Group &g = *m_nodeGroup;
    if (atMs == g.lastRecordMs)
        return; // the same answer again: nothing new
    g.lastRecordMs = atMs;
    const int slot = openSlot(g, m_nodes, atMs, m_clockStepsBack);
    const quint32 generation = ++m_generation;
    ++m_changes;
    for (const model::NodeData &n : nodes) {
        if (n.node.isEmpty())
            continue;
        std::unique_ptr<Entity> &p = m_nodes[n.node];
        if (!p) {
            p = std::make_unique<Entity>(g, VmData::Kind::Qemu, 0);
            p->node = n.node;
        }
        Entity &e = *p;
        e.seen = generation;
        const bool online = n.status == QLatin1String("online");
        if (online && n.maxmem > 0)
            e.maxmem = n.maxmem;
        const auto t = hottest.constFind(n.node);
        const double values[NodeChannels] = {online ? n.cpu : NaN, online ? double(n.mem) : NaN,
            NaN, NaN, NaN, NaN, t == hottest.constEnd() ? NaN : *t};
        for (int ch = 0; ch < NodeChannels; ++ch)
            e.hour(ch)[slot] = encode16(scaleOf(ch), values[ch]);
    }
    dropUnseen(m_nodes, generation);
}

void Store::recordGuests(qint64 atMs, const QList<model::VmData> &vms)
{
    Group &g = *m_guestGroup;
    if (atMs == g.lastRecordMs)
        return;
    g.lastRecordMs = atMs;
    const int slot = openSlot(g, m_guests, atMs, m_clockStepsBack);
    const quint32 generation = ++m_generation;
    ++m_changes;
    for (const VmData &vm : vms) {
        if (vm.vmid <= 0)
            continue;
        std::unique_ptr<Entity> &p = m_guests[vm.vmid];
        if (!p || p->kind != vm.kind)
            p = std::make_unique<Entity>(g, vm.kind, vm.vmid); // new, or a new guest on the id
        Entity &e = *p;
        if (e.node != vm.node)
            e.node = vm.node;
        e.seen = generation;
        const bool known = vm.status != QLatin1String("unknown") && !vm.status.isEmpty();
        if (vm.maxmem > 0)
            e.maxmem = vm.maxmem;
        const qint64 counters[Counters] = {vm.netin, vm.netout, vm.diskread, vm.diskwrite};
        double values[GuestChannels] = {known ? vm.cpu : NaN, known ? double(vm.mem) : NaN};
        for (int k = 0; k < Counters; ++k) {
            values[NetIn + k] = known && e.counterAtMs >= 0
                ? rate(counters[k], e.counters[k], atMs - e.counterAtMs)
                : NaN;
        }
        if (known) {
            std::copy_n(counters, Counters, e.counters);
            e.counterAtMs = atMs;
        } else {
            e.counterAtMs = -1;
        }
        for (int ch = 0; ch < GuestChannels; ++ch)
            e.hour(ch)[slot] = encode16(scaleOf(ch), values[ch]);
    }
    dropUnseen(m_guests, generation);
}

// --- backfill ------------------------------------------------------------------------------------

bool Store::backfill(
    const QString &id, int stepS, const QList<proxmox::RrdPoint> &points, qint64 nowMs)
{
    Entity *e = find(id);
    if (!e || stepS <= 0)
        return false;
    Group &g = groupOf(*e);
    ++m_changes;
    const qint64 nowMinute = minuteOf(nowMs);
    const qint64 oldest = nowMinute - (DayMinutes - 1);
    struct Span
    {
        qint64 from, to; // minutes [from, to)
        double values[NodeChannels];
    };
    std::vector<Span> spans;
    spans.reserve(size_t(points.size()));
    for (const proxmox::RrdPoint &p : points) {
        // Only points that can touch the last 24 hours (and no arithmetic on absurd times).
        if (p.time < oldest * 60 - stepS || p.time > nowMs / 1000 || stepS > 86400)
            continue;
        Span span {0, 0,
            {p.cpu.value_or(NaN), p.mem.value_or(NaN), p.netin.value_or(NaN),
                p.netout.value_or(NaN), p.diskread.value_or(NaN), p.diskwrite.value_or(NaN), NaN}};
        if (std::all_of(
                span.values, span.values + e->channels, [](double v) { return std::isnan(v); }))
            continue;
        // Bounded before the conversion: rrddata is input (a double beyond qint64 is UB).
        if (e->maxmem == 0 && p.maxmem && *p.maxmem > 0 && *p.maxmem < 0x1p62)
            e->maxmem = qint64(*p.maxmem);
        // A point at `time` stands for [time, time + step).
        span.from = std::max(oldest, minuteOf(p.time * 1000));
        span.to = std::min(nowMinute + 1, minuteOf((p.time + stepS) * 1000));
        if (span.from < span.to)
            spans.push_back(span);
    }
    // A minute no day slot holds yet is claimed for the whole group: nobody has a value in it,
    // so it is cleared in every entity. Claimed first, then cleared entity by entity (one sweep
    // over each entity's day rings, not one visit of every entity per minute: the first
    // backfill after a start without a file claims the whole day).
    std::vector<std::pair<int, int>> claimed; // runs of day slots: first, count
    for (const Span &span : spans) {
        for (qint64 m = span.from; m < span.to; ++m) {
            const int ds = daySlot(m);
            qint32 &held = g.dayMinute[size_t(ds)];
            if (held < m) {
                held = qint32(m);
                if (!claimed.empty() && claimed.back().first + claimed.back().second == ds)
                    ++claimed.back().second;
                else
                    claimed.emplace_back(ds, 1);
            }
        }
    }
    if (!claimed.empty()) {
        auto clear = [&](Entity &other) {
            for (int ch = 0; ch < other.channels; ++ch) {
                quint8 *day = other.day(ch);
                for (const auto &[first, count] : claimed)
                    std::memset(day + first, Null8, size_t(count));
            }
        };
        if (e->vmid == 0)
            forEachEntity(m_nodes, clear);
        else
            forEachEntity(m_guests, clear);
    }
    // Live data always wins: only slots this minute holds (not a newer one) and still null.
    for (const Span &span : spans) {
        for (qint64 m = span.from; m < span.to; ++m) {
            const int ds = daySlot(m);
            if (g.dayMinute[size_t(ds)] != m)
                continue;
            for (int ch = 0; ch < e->channels; ++ch) {
                quint8 &code = e->day(ch)[ds];
                if (code == Null8 && !std::isnan(span.values[ch]))
                    code = encode8(scaleOf(ch), span.values[ch]);
            }
        }
    }
    return true;
}

// --- reading -------------------------------------------------------------------------------------

Store::Entity *Store::find(const QString &id)
{
    return const_cast<Entity *>(std::as_const(*this).find(id));
}

const Store::Entity *Store::find(const QString &id) const
{
    const qsizetype slash = id.indexOf(QLatin1Char('/'));
    if (slash <= 0)
        return nullptr;
    const QStringView kind = QStringView(id).left(slash);
    const QStringView rest = QStringView(id).mid(slash + 1);
    if (kind == QLatin1String("node")) {
        const auto it = m_nodes.find(rest.toString());
        return it == m_nodes.end() ? nullptr : it->second.get();
    }
    std::optional<VmData::Kind> k;
    if (kind == QLatin1String("qemu"))
        k = VmData::Kind::Qemu;
    else if (kind == QLatin1String("lxc"))
        k = VmData::Kind::Lxc;
    if (!k || rest.isEmpty() || rest.size() > 9 || rest.startsWith(QLatin1Char('0'))
        || !std::all_of(
            rest.begin(), rest.end(), [](QChar c) { return c.isDigit() && c.unicode() < 128; }))
        return nullptr;
    bool ok = false;
    const int vmid = rest.toInt(&ok);
    if (!ok || vmid <= 0)
        return nullptr;
    const auto it = m_guests.find(vmid);
    if (it == m_guests.end() || it->second->kind != *k)
        return nullptr;
    return it->second.get();
}

const Store::Group &Store::groupOf(const Entity &e) const
{
    return e.vmid == 0 ? *m_nodeGroup : *m_guestGroup;
}

Store::Group &Store::groupOf(const Entity &e)
{
    return e.vmid == 0 ? *m_nodeGroup : *m_guestGroup;
}

std::optional<Series> Store::series(const QString &id, Range range, qint64 nowMs) const
{
    const Entity *e = find(id);
    if (!e)
        return std::nullopt;
    const Group &g = groupOf(*e);
    Series s;
    s.id = id;
    s.node = e->node;
    if (e->vmid > 0)
        s.vmid = e->vmid;
    s.range = range;
    s.maxmem = e->maxmem;
    s.hasTemperature = e->vmid == 0;
    const int channels = e->channels;
    const qint64 nowMinute = minuteOf(nowMs);

    auto pushDay = [&](qint64 minute) {
        const int ds = daySlot(minute);
        s.t.push_back(minute * 60);
        for (int ch = 0; ch < channels; ++ch)
            s.values[ch].push_back(decode8(scaleOf(ch), e->day(ch)[ds]));
    };
    // The newest minute is rolled up at the first sample of the next one; once complete by the
    // clock it is averaged here (a channel without samples keeps what a backfill put there).
    auto pushOpenMinute = [&](qint64 minute) {
        const int ds = daySlot(minute);
        const bool claimed = g.dayMinute[size_t(ds)] == minute;
        s.t.push_back(minute * 60);
        for (int ch = 0; ch < channels; ++ch) {
            double sum = 0;
            int n = 0;
            for (int i = 0; i < g.count; ++i) {
                const int slot = g.slotAt(i);
                const quint16 code = e->hour(ch)[slot];
                if (minuteOf(g.slotMs[size_t(slot)]) == minute && code != Null16) {
                    sum += decode16(scaleOf(ch), code);
                    ++n;
                }
            }
            s.values[ch].push_back(n > 0 ? sum / n
                    : claimed            ? decode8(scaleOf(ch), e->day(ch)[ds])
                                         : NaN);
        }
    };
    if (range == Range::Hour) {
        const qint64 fromMs = nowMs - 3600 * 1000;
        std::vector<int> live;
        for (int i = 0; i < g.count; ++i) {
            const int slot = g.slotAt(i);
            const qint64 at = g.slotMs[size_t(slot)];
            if (at >= fromMs && at <= nowMs)
                live.push_back(slot);
        }
        const qint64 firstLiveMs = live.empty() ? nowMs : g.slotMs[size_t(live.front())];
        for (qint64 m = minuteOf(fromMs) + 1; (m + 1) * 60000 <= firstLiveMs; ++m) {
            if (g.dayMinute[size_t(daySlot(m))] == m)
                pushDay(m);
        }
        for (int slot : live) {
            s.t.push_back(g.slotMs[size_t(slot)] / 1000);
            for (int ch = 0; ch < channels; ++ch)
                s.values[ch].push_back(decode16(scaleOf(ch), e->hour(ch)[slot]));
        }
    } else {
        for (qint64 m = nowMinute - DayMinutes; m < nowMinute; ++m) {
            if (m == g.openMinute)
                pushOpenMinute(m);
            else if (g.dayMinute[size_t(daySlot(m))] == m)
                pushDay(m);
        }
    }
    // Leading points without any value (before the entity's first sample) are left out.
    size_t lead = 0;
    while (lead < s.t.size()) {
        bool any = false;
        for (int ch = 0; ch < channels && !any; ++ch)
            any = !std::isnan(s.values[ch][lead]);
        if (any)
            break;
        ++lead;
    }
    if (lead > 0) {
        s.t.erase(s.t.begin(), s.t.begin() + qsizetype(lead));
        for (int ch = 0; ch < channels; ++ch)
            s.values[ch].erase(s.values[ch].begin(), s.values[ch].begin() + qsizetype(lead));
    }
    return s;
}

QList<Series> Store::nodeSeries(Range range, qint64 nowMs) const
{
    QList<Series> out;
    out.reserve(qsizetype(m_nodes.size()));
    for (const auto &[name, e] : m_nodes) {
        if (auto s = series(QStringLiteral("node/") + name, range, nowMs))
            out.append(std::move(*s));
    }
    return out;
}

namespace {
QString guestId(const Store::Entity &e)
{
    return (e.kind == VmData::Kind::Lxc ? QStringLiteral("lxc/") : QStringLiteral("qemu/"))
        + QString::number(e.vmid);
}
} // namespace

QList<EntityRef> Store::nodes() const
{
    QList<EntityRef> out;
    for (const auto &[name, e] : m_nodes)
        out.append({QStringLiteral("node/") + name, name, VmData::Kind::Qemu, 0});
    return out;
}

QList<EntityRef> Store::guests() const
{
    QList<EntityRef> out;
    out.reserve(qsizetype(m_guests.size()));
    for (const auto &[vmid, e] : m_guests)
        out.append({guestId(*e), e->node, e->kind, vmid});
    std::sort(out.begin(), out.end(),
        [](const EntityRef &a, const EntityRef &b) { return a.vmid < b.vmid; });
    return out;
}

qint64 Store::memoryBytes() const
{
    // Per entity: the Entity, its code block, its map node (libstdc++: the node with the key and
    // the unique_ptr, plus a bucket pointer for the hash map), and a node name's characters.
    auto entity = [](const Entity &e, const Group &g) {
        return qint64(sizeof(Entity)) + g.entityBytes() + qint64(e.node.size()) * 2;
    };
    qint64 total = sizeof(Store) + 2 * sizeof(Group);
    for (const Group *g : {m_nodeGroup.get(), m_guestGroup.get()})
        total += qint64(g->slotMs.capacity() * sizeof(qint64) + g->dayMinute.capacity() * 4);
    for (const auto &[name, e] : m_nodes)
        total += entity(*e, *m_nodeGroup) + 64 + qint64(name.size()) * 2;
    for (const auto &[vmid, e] : m_guests)
        total += entity(*e, *m_guestGroup) + 32;
    total += qint64(m_guests.bucket_count() * sizeof(void *));
    return total;
}

// --- wire ----------------------------------------------------------------------------------------

namespace {
QJsonValue rounded(double v, int channel, Range range)
{
    if (std::isnan(v))
        return QJsonValue::Null;
    switch (scaleOf(channel)) {
    case Scale::Fraction: {
        const double f = range == Range::Hour ? 1e5 : 1e3;
        return std::round(v * f) / f;
    }
    case Scale::Bytes:
        return double(std::llround(v));
    case Scale::Celsius: {
        const double f = range == Range::Hour ? 100 : 10;
        return std::round(v * f) / f;
    }
    }
    return QJsonValue::Null;
}
} // namespace

QJsonObject toJson(const Series &s)
{
    static const char *const names[ChannelCount] = {
        "cpu", "mem", "netin", "netout", "diskread", "diskwrite", "temperature"};
    QJsonObject o {{QStringLiteral("id"), s.id}, {QStringLiteral("node"), s.node},
        {QStringLiteral("range"), rangeName(s.range)},
        {QStringLiteral("maxmem"), double(s.maxmem)}};
    if (s.vmid)
        o.insert(QStringLiteral("vmid"), *s.vmid);
    QJsonArray t;
    for (qint64 v : s.t)
        t.append(double(v));
    o.insert(QStringLiteral("t"), t);
    const int channels = s.hasTemperature ? ChannelCount : Temperature;
    for (int ch = 0; ch < channels; ++ch) {
        QJsonArray a;
        if (s.values[ch].size() == s.t.size()) {
            for (double v : s.values[ch])
                a.append(rounded(v, ch, s.range));
        } else { // a channel the entity does not have: nulls
            for (size_t i = 0; i < s.t.size(); ++i)
                a.append(QJsonValue::Null);
        }
        o.insert(QLatin1String(names[ch]), a);
    }
    return o;
}

// --- persistence ---------------------------------------------------------------------------------

namespace {
constexpr quint32 Magic = 0x4a485331; // "JHS1"
constexpr quint32 FormatVersion = 1;
constexpr qint64 MaxEntities = 1000000;

constexpr qsizetype HeaderSize = ImageHeaderSize;

} // namespace

// FNV-1a over 64-bit words (the tail byte by byte): a corruption check, not a MAC.
quint64 imageChecksum(QByteArrayView bytes)
{
    quint64 h = 1469598103934665603ULL;
    const char *p = bytes.data();
    qsizetype n = bytes.size();
    for (; n >= 8; p += 8, n -= 8) {
        quint64 word;
        std::memcpy(&word, p, 8);
        h ^= word;
        h *= 1099511628211ULL;
    }
    for (; n > 0; ++p, --n) {
        h ^= quint8(*p);
        h *= 1099511628211ULL;
    }
    return h;
}

struct Store::SaveJob::State
{
    QByteArray image;
    std::unique_ptr<QDataStream> out;
    quint64 changes = 0;
    std::vector<int> vmids; // the guests, by vmid: the same store gives the same bytes
    size_t next = 0;
    bool done = false;
};

Store::SaveJob::SaveJob()
    : d(std::make_unique<State>())
{ }

Store::SaveJob::~SaveJob() = default;

QByteArray Store::SaveJob::take()
{
    return d->done ? std::exchange(d->image, {}) : QByteArray();
}

namespace {
template<typename G> void writeGroupHeader(QDataStream &out, const G &g, quint32 entities)
{
    out << qint32(g.cap) << qint32(g.channels) << qint32(g.head) << qint32(g.count);
    for (qint64 v : g.slotMs)
        out << v;
    out << g.openMinute << g.lastRecordMs;
    for (qint32 v : g.dayMinute)
        out << v;
    out << entities;
}

template<typename G, typename E> void writeEntity(QDataStream &out, const G &g, const E &e)
{
    out << quint8(e.vmid == 0              ? 0
            : e.kind == VmData::Kind::Qemu ? 1
                                           : 2)
        << qint32(e.vmid) << e.node << e.maxmem;
    out.writeRawData(reinterpret_cast<const char *>(e.data.get()), int(g.entityBytes()));
}
} // namespace

std::unique_ptr<Store::SaveJob> Store::beginSave() const
{
    auto job = std::make_unique<SaveJob>();
    SaveJob::State &d = *job->d;
    d.changes = m_changes;
    // One buffer, sized once, the header's size and checksum patched in at the end.
    d.image.reserve(HeaderSize + 2 * 16384
        + qsizetype(m_nodes.size() + 1) * (m_nodeGroup->entityBytes() + 128)
        + qsizetype(m_guests.size() + 1) * (m_guestGroup->entityBytes() + 64));
    d.out = std::make_unique<QDataStream>(&d.image, QIODevice::WriteOnly);
    QDataStream &out = *d.out;
    out.setVersion(QDataStream::Qt_6_4);
    out.setByteOrder(QDataStream::LittleEndian);
    out << Magic << FormatVersion << qint32(m_options.nodeIntervalS)
        << qint32(m_options.guestIntervalS) << quint64(0) << quint64(0);
    writeGroupHeader(out, *m_nodeGroup, quint32(m_nodes.size()));
    for (const auto &[name, e] : m_nodes)
        writeEntity(out, *m_nodeGroup, *e);
    writeGroupHeader(out, *m_guestGroup, quint32(m_guests.size()));
    d.vmids.reserve(m_guests.size());
    for (const auto &entry : m_guests)
        d.vmids.push_back(entry.first);
    std::sort(d.vmids.begin(), d.vmids.end());
    return job;
}

Store::SaveStep Store::continueSave(SaveJob &job, int maxGuests) const
{
    SaveJob::State &d = *job.d;
    if (d.done)
        return SaveStep::Done;
    if (d.changes != m_changes)
        return SaveStep::Changed;
    for (int n = 0; n < maxGuests && d.next < d.vmids.size(); ++n, ++d.next)
        writeEntity(*d.out, *m_guestGroup, *m_guests.at(d.vmids[d.next]));
    if (d.next < d.vmids.size())
        return SaveStep::More;
    d.out.reset();
    const quint64 size = quint64(d.image.size() - HeaderSize);
    const quint64 checksum = imageChecksum(
        QByteArrayView(d.image.constData() + HeaderSize, d.image.size() - HeaderSize));
    const quint64 le[2] = {qToLittleEndian(size), qToLittleEndian(checksum)};
    std::memcpy(d.image.data() + HeaderSize - 16, le, 16);
    d.done = true;
    return SaveStep::Done;
}

QByteArray Store::save() const
{
    const std::unique_ptr<SaveJob> job = beginSave();
    continueSave(*job, std::numeric_limits<int>::max());
    return job->take();
}

bool Store::load(const QByteArray &image, QString *why, qint64 nowMs)
{
    auto fail = [why](const QString &reason) {
        if (why)
            *why = reason;
        return false;
    };
    QDataStream in(image);
    in.setVersion(QDataStream::Qt_6_4);
    in.setByteOrder(QDataStream::LittleEndian);
    quint32 magic = 0, version = 0;
    qint32 nodeInterval = 0, guestInterval = 0;
    quint64 size = 0, checksum = 0;
    in >> magic >> version >> nodeInterval >> guestInterval >> size >> checksum;
    if (in.status() != QDataStream::Ok || magic != Magic)
        return fail(QStringLiteral("not a jarvis history file"));
    if (version != FormatVersion)
        return fail(QStringLiteral("format version %1, this jarvisd reads %2")
                        .arg(version)
                        .arg(FormatVersion));
    if (nodeInterval != m_options.nodeIntervalS || guestInterval != m_options.guestIntervalS)
        return fail(QStringLiteral("written with poll intervals %1/%2 s, now %3/%4 s")
                        .arg(nodeInterval)
                        .arg(guestInterval)
                        .arg(m_options.nodeIntervalS)
                        .arg(m_options.guestIntervalS));
    if (size != quint64(image.size() - HeaderSize))
        return fail(QStringLiteral("truncated or oversized (%1 bytes of payload, %2 expected)")
                        .arg(image.size() - HeaderSize)
                        .arg(size));
    // Read in place: no copy of the payload.
    const QByteArray payload =
        QByteArray::fromRawData(image.constData() + HeaderSize, image.size() - HeaderSize);
    if (imageChecksum(payload) != checksum)
        return fail(QStringLiteral("checksum mismatch"));

    QDataStream p(payload);
    p.setVersion(QDataStream::Qt_6_4);
    p.setByteOrder(QDataStream::LittleEndian);
    auto readGroup = [&](Group &g, auto &map, bool nodes, QString *problem) -> bool {
        qint32 cap = 0, channels = 0, head = 0, count = 0;
        p >> cap >> channels >> head >> count;
        if (p.status() != QDataStream::Ok || cap != g.cap || channels != g.channels || head < 0
            || head >= cap || count < 0 || count > cap) {
            *problem = QStringLiteral("ring header does not match");
            return false;
        }
        g.head = head;
        g.count = count;
        constexpr qint64 MaxMs = qint64(1) << 50; // year 37648: a time, not garbage
        for (qint64 &v : g.slotMs) {
            p >> v;
            if (v < 0 || v > MaxMs) {
                *problem = QStringLiteral("bad time in the hour ring");
                return false;
            }
        }
        p >> g.openMinute >> g.lastRecordMs;
        if (g.openMinute < -1 || g.openMinute > MaxMs / 60000 || g.lastRecordMs < -1
            || g.lastRecordMs > MaxMs) {
            *problem = QStringLiteral("bad time in the ring header");
            return false;
        }
        for (qint32 &v : g.dayMinute) {
            p >> v;
            if (v < -1) {
                *problem = QStringLiteral("bad minute in the day ring");
                return false;
            }
        }
        quint32 n = 0;
        p >> n;
        if (p.status() != QDataStream::Ok || n > MaxEntities) {
            *problem = QStringLiteral("bad entity count");
            return false;
        }
        for (quint32 i = 0; i < n; ++i) {
            quint8 kind = 0;
            qint32 vmid = 0;
            QString node;
            qint64 maxmem = 0;
            p >> kind >> vmid >> node >> maxmem;
            if (p.status() != QDataStream::Ok
                || (nodes ? (kind != 0 || vmid != 0) : (kind < 1 || kind > 2 || vmid <= 0))
                || node.isEmpty() || node.size() > 256 || maxmem < 0) {
                *problem = QStringLiteral("bad entity %1").arg(i);
                return false;
            }
            auto e = std::make_unique<Entity>(
                g, kind == 2 ? VmData::Kind::Lxc : VmData::Kind::Qemu, vmid);
            e->node = node;
            e->maxmem = maxmem;
            const qsizetype bytes = g.entityBytes();
            if (p.readRawData(reinterpret_cast<char *>(e->data.get()), int(bytes)) != bytes) {
                *problem = QStringLiteral("entity %1 is truncated").arg(i);
                return false;
            }
            bool fresh = false;
            if constexpr (std::is_same_v<std::decay_t<decltype(map)>,
                              std::map<QString, std::unique_ptr<Entity>>>)
                fresh = map.emplace(node, std::move(e)).second;
            else
                fresh = map.emplace(vmid, std::move(e)).second;
            if (!fresh) {
                *problem = QStringLiteral("entity %1 is listed twice").arg(i);
                return false;
            }
        }
        return true;
    };
    auto nodeGroup = std::make_unique<Group>(NodeChannels, m_options.nodeIntervalS);
    auto guestGroup = std::make_unique<Group>(GuestChannels, m_options.guestIntervalS);
    std::map<QString, std::unique_ptr<Entity>> nodes;
    std::unordered_map<int, std::unique_ptr<Entity>> guests;
    QString problem;
    if (!readGroup(*nodeGroup, nodes, true, &problem)
        || !readGroup(*guestGroup, guests, false, &problem))
        return fail(problem);
    if (!p.atEnd())
        return fail(QStringLiteral("trailing bytes"));
    qint64 newestMs = -1;
    for (const Group *g : {nodeGroup.get(), guestGroup.get()}) {
        newestMs = std::max(newestMs, g->openMinute * 60000);
        for (int i = 0; i < g->count; ++i) // slots in use only: others may hold older times
            newestMs = std::max(newestMs, g->slotMs[size_t(g->slotAt(i))]);
        for (const qint32 minute : g->dayMinute)
            newestMs = std::max(newestMs, qint64(minute) * 60000);
    }
    // The slack a running store gives a poll that comes early (ClockStepBackMs) before it takes
    // it for a clock stepped back.
    if (newestMs - ClockStepBackMs > nowMs)
        return fail(
            QStringLiteral("it holds data up to %1, later than now (was the clock ahead?)")
                .arg(QDateTime::fromMSecsSinceEpoch(newestMs, Qt::UTC).toString(Qt::ISODate)));
    m_nodeGroup = std::move(nodeGroup);
    m_guestGroup = std::move(guestGroup);
    m_nodes = std::move(nodes);
    m_guests = std::move(guests);
    // The counters are not kept: the first poll after a restart starts the rates afresh, and
    // the poll after the restart is never merged into a slot from before it.
    m_nodeGroup->lastRecordMs = m_guestGroup->lastRecordMs = -1;
    ++m_changes;
    return true;
}

} // namespace jarvis::history
