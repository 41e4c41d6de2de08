#include "realtime/clusteremitter.h"

#include "core/clock.h"
#include "proxmox/client.h"
#include "realtime/eventbus.h"
#include "realtime/sioserver.h"
#include "tools/safetypolicy.h"

#include <QJsonDocument>
#include <QLoggingCategory>

#include <algorithm>

Q_LOGGING_CATEGORY(lcEmitter, "jarvis.emitter")

namespace jarvis::realtime {

namespace {
constexpr int AlertAfterFailures = 3;
constexpr double StorageFullRatio = 0.9;

QString sourceName(ClusterEmitter::Source source)
{
    switch (source) {
    case ClusterEmitter::Source::Nodes:
        return QStringLiteral("nodes");
    case ClusterEmitter::Source::Vms:
        return QStringLiteral("vms");
    case ClusterEmitter::Source::Storage:
        return QStringLiteral("storage");
    }
    return {};
}

} // namespace

void markProtectedGuests(QList<model::VmData> &vms, const tools::SafetyPolicy &safety)
{
    QHash<QString, bool> nodeProtected; // per node name as PVE writes it: a few dozen at most
    for (qsizetype i = 0; i < vms.size(); ++i) {
        const model::VmData &vm = std::as_const(vms).at(i);
        auto node = nodeProtected.constFind(vm.node);
        if (node == nodeProtected.constEnd())
            node = nodeProtected.insert(vm.node, safety.isProtectedNode(vm.node));
        const bool isProtected = *node || safety.isProtectedVmid(vm.vmid);
        if (vm.isProtected != isProtected)
            vms[i].isProtected = isProtected;
    }
}

ClusterEmitter::ClusterEmitter(proxmox::Client *client, Namespace *cluster, EventBus *events,
    const tools::SafetyPolicy *safety, Intervals intervals, QHash<QString, QString> nodeHosts,
    core::Clock *clock, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_cluster(cluster)
    , m_events(events)
    , m_safety(safety)
    , m_intervals(intervals)
    , m_nodeHosts(std::move(nodeHosts))
    , m_clock(clock ? clock : core::Clock::system())
    , m_nodesTimer(m_clock->createTicker(this))
    , m_vmsTimer(m_clock->createTicker(this))
    , m_storageTimer(m_clock->createTicker(this))
{
    const std::pair<core::Ticker *, std::pair<int, Source>> timers[] = {
        {m_nodesTimer, {m_intervals.nodesMs, Source::Nodes}},
        {m_vmsTimer, {m_intervals.vmsMs, Source::Vms}},
        {m_storageTimer, {m_intervals.storageMs, Source::Storage}},
    };
    for (const auto &[timer, spec] : timers) {
        timer->setInterval(spec.first);
        const Source source = spec.second;
        connect(timer, &core::Ticker::timeout, this, [this, source] { poll(source); });
    }

    connect(m_cluster, &Namespace::connected, this, &ClusterEmitter::onClientConnected);
    m_cluster->on(
        QStringLiteral("refresh"), [this](SioSocket *, const Message &, const AckCallback &ack) {
            refreshNow({Source::Nodes, Source::Vms, Source::Storage}, this,
                [ack](bool ok, const QString &error) {
                    if (!ack)
                        return;
                    QJsonObject answer {{QStringLiteral("ok"), ok}};
                    if (!ok)
                        answer.insert(QStringLiteral("error"), error);
                    ack(Message::of(answer));
                });
        });
    m_cluster->on(QStringLiteral("requestRefresh"),
        [this](SioSocket *, const Message &, const AckCallback &) {
            refreshNow(
                {Source::Nodes, Source::Vms, Source::Storage}, this, [](bool, const QString &) {});
        });
}

void ClusterEmitter::setIntervals(Intervals intervals)
{
    m_intervals = intervals;
    m_nodesTimer->setInterval(intervals.nodesMs);
    m_vmsTimer->setInterval(intervals.vmsMs);
    m_storageTimer->setInterval(intervals.storageMs);
}

bool ClusterEmitter::lastPollOk() const
{
    for (const PollState &state : m_polls) {
        if (state.known && !state.ok)
            return false;
    }
    return true;
}

void ClusterEmitter::onClientConnected(SioSocket *socket)
{
    connect(socket, &SioSocket::disconnected, this, &ClusterEmitter::updateActivity);
    // The latest snapshot of every event, at once.
    if (m_haveNodes)
        socket->emitEvent(QStringLiteral("nodes"), Message::of(nodesJson()));
    if (m_quorum)
        socket->emitEvent(QStringLiteral("quorum"), Message::of(model::toJson(*m_quorum)));
    if (m_haveVms)
        socket->emitRaw(QStringLiteral("vms"), vmsJson());
    if (m_haveStorage)
        socket->emitRaw(QStringLiteral("storage"), storageJson());
    if (m_haveTemperatures)
        socket->emitEvent(
            QStringLiteral("temperature"), Message::of(model::toJson(m_temperatures)));
    updateActivity();
}

void ClusterEmitter::setWatched(bool watched)
{
    m_watched = watched;
    updateActivity();
}

void ClusterEmitter::setKeepPolling(bool keep)
{
    m_keepPolling = keep;
    updateActivity();
}

std::optional<QByteArray> ClusterEmitter::eventJson(const QString &event)
{
    if (event == QLatin1String("nodes") && m_haveNodes)
        return QJsonDocument(nodesJson()).toJson(QJsonDocument::Compact);
    if (event == QLatin1String("vms") && m_haveVms)
        return vmsJson();
    if (event == QLatin1String("storage") && m_haveStorage)
        return storageJson();
    if (event == QLatin1String("quorum") && m_quorum)
        return QJsonDocument(model::toJson(*m_quorum)).toJson(QJsonDocument::Compact);
    return std::nullopt;
}

void ClusterEmitter::updateActivity()
{
    const bool active = m_keepPolling || m_watched || !m_cluster->sockets().isEmpty();
    if (active == m_active)
        return;
    m_active = active;
    if (active) {
        qCInfo(lcEmitter) << (m_keepPolling ? "polling (kept up for the history)"
                : m_watched ? "an MCP subscription reads the snapshots: polling resumes"
                            : "a client is connected to /cluster: polling resumes");
        m_nodesTimer->start();
        m_vmsTimer->start();
        m_storageTimer->start();
        poll(Source::Nodes);
        poll(Source::Vms);
        poll(Source::Storage);
    } else {
        qCInfo(lcEmitter)
            << "nobody is connected to /cluster (nor subscribed over MCP): polling pauses";
        m_nodesTimer->stop();
        m_vmsTimer->stop();
        m_storageTimer->stop();
    }
}

void ClusterEmitter::refreshNow(QList<Source> sources, const QObject *context,
    std::function<void(bool ok, const QString &error)> done)
{
    struct Join
    {
        int pending = 0;
        bool ok = true;
        QString error;
    };
    auto join = std::make_shared<Join>();
    join->pending = int(sources.size());
    QPointer<const QObject> guard(context);
    auto onOne = [join, guard, done](bool ok, const QString &error) {
        if (!ok && join->ok) {
            join->ok = false;
            join->error = error;
        }
        if (--join->pending == 0 && guard)
            done(join->ok, join->error);
    };
    const Freshness fresh = freshFromNow(); // the fetches so far may predate the call
    for (Source source : sources) {
        PollState &state = m_polls[source];
        if (state.running) {
            // The poll under way may use data from before the call: run again after it.
            state.rerunWaiters.append(onOne);
        } else {
            state.waiters.append(onOne);
            poll(source, &fresh);
        }
    }
}

// --- the shared answers ------------------------------------------------------------------------

template<typename T>
void ClusterEmitter::Shared<T>::get(qint64 nowMs, qint64 maxAgeMs, std::optional<int> freshAfter,
    Callback done, const Start &start, const std::function<qint64()> &clock)
{
    if (!freshAfter && latest && maxAgeMs > 0 && nowMs - latestAtMs < maxAgeMs) {
        done(proxmox::Result<T>::success(*latest));
        return;
    }
    if (running) {
        // The fetch in flight is number `fetches`.
        (!freshAfter || fetches > *freshAfter ? waiters : nextWaiters).append(std::move(done));
        return;
    }
    waiters.append(std::move(done));
    run(nowMs, start, clock);
}

template<typename T>
void ClusterEmitter::Shared<T>::run(
    qint64 nowMs, const Start &start, const std::function<qint64()> &clock)
{
    running = true;
    attemptAtMs = nowMs;
    ++fetches;
    // `this` lives as long as the emitter, which is the request's context.
    start([this, nowMs, start, clock](const proxmox::Result<T> &result) {
        running = false;
        if (result.ok()) {
            latest = *result.value;
            latestAtMs = nowMs;
        }
        const QList<Callback> served = std::exchange(waiters, {});
        for (const Callback &callback : served)
            callback(result);
        if (!running && !nextWaiters.isEmpty()) {
            waiters = std::exchange(nextWaiters, {});
            run(clock(), start, clock);
        }
    });
}

qint64 ClusterEmitter::nowMs() const
{
    return m_clock->now().toMSecsSinceEpoch();
}

bool ClusterEmitter::due(qint64 attemptAtMs, int cadenceMs) const
{
    // Checked on `nodes` ticks: half a tick of slack, so that timer jitter cannot push a fetch
    // that is due at this tick to the next one.
    return attemptAtMs < 0 || nowMs() - attemptAtMs + m_intervals.nodesMs / 2 >= cadenceMs;
}

void ClusterEmitter::withResources(qint64 maxAgeMs, const Freshness *fresh,
    std::function<void(const proxmox::Result<proxmox::ClusterResources> &)> done)
{
    m_resources.get(
        nowMs(), maxAgeMs, fresh ? std::optional<int>(fresh->resources) : std::nullopt,
        std::move(done),
        [this](Shared<proxmox::ClusterResources>::Callback callback) {
            m_client->clusterResources(this, std::move(callback));
        },
        [this] { return nowMs(); });
}

void ClusterEmitter::fetchQuorum(const Freshness *fresh, std::function<void()> done)
{
    m_quorumFetch.get(
        nowMs(), 0, fresh ? std::optional<int>(fresh->quorum) : std::nullopt,
        [this, done = std::move(done)](const proxmox::Result<model::QuorumData> &q) {
            if (q.ok())
                m_quorum = *q.value;
            reportHealth(QStringLiteral("quorum"), q.ok(), q.error.message, m_quorumState);
            done();
        },
        [this](Shared<model::QuorumData>::Callback callback) {
            m_client->clusterStatus(this, std::move(callback));
        },
        [this] { return nowMs(); });
}

void ClusterEmitter::fetchNodeStatus(const QString &node, std::function<void()> done)
{
    // A failure keeps the node's last loadavg; the next try comes at the next cadence.
    m_nodeStatus[node].get(
        nowMs(), 0, std::nullopt,
        [done = std::move(done)](const proxmox::Result<proxmox::NodeStatus> &) { done(); },
        [this, node](Shared<proxmox::NodeStatus>::Callback callback) {
            m_client->nodeStatus(node, this, std::move(callback));
        },
        [this] { return nowMs(); });
}

// --- polls ---------------------------------------------------------------------------------------

void ClusterEmitter::poll(Source source, const Freshness *fresh)
{
    PollState &state = m_polls[source];
    if (state.running)
        return; // never overlap the previous run
    state.running = true;
    state.started.start();
    switch (source) {
    case Source::Nodes:
        pollNodes(fresh);
        break;
    case Source::Vms:
        withResources(fresh ? 0 : m_intervals.vmsMs / 2, fresh,
            [this](const proxmox::Result<proxmox::ClusterResources> &r) {
                if (!r.ok())
                    return finish(Source::Vms, false, r.error.message);
                applyVms(*r.value, m_resources.latestAtMs);
                finish(Source::Vms, true, {});
            });
        break;
    case Source::Storage:
        withResources(fresh ? 0 : m_intervals.storageMs / 2, fresh,
            [this](const proxmox::Result<proxmox::ClusterResources> &r) {
                if (!r.ok())
                    return finish(Source::Storage, false, r.error.message);
                applyStorage(*r.value);
                finish(Source::Storage, true, {});
            });
        break;
    }
}

void ClusterEmitter::pollNodes(const Freshness *fresh)
{
    // The resources, and when due the quorum and the online nodes' status; `nodes` and `quorum`
    // go out when all of them are in.
    struct Cycle
    {
        int pending = 1;
        std::optional<proxmox::Result<proxmox::ClusterResources>> resources;
        qint64 fetchedAtMs = 0;
    };
    auto cycle = std::make_shared<Cycle>();
    auto complete = [this, cycle] {
        if (--cycle->pending > 0)
            return;
        const auto &r = *cycle->resources;
        if (!r.ok())
            return finish(Source::Nodes, false, r.error.message);
        applyNodes(*r.value);
        emitNodes();
        if (m_quorum)
            emitQuorum();
        Q_EMIT snapshotApplied(Source::Nodes, cycle->fetchedAtMs);
        checkAlerts();
        finish(Source::Nodes, true, {});
    };
    if (fresh || due(m_quorumFetch.attemptAtMs, m_intervals.quorumMs)) {
        ++cycle->pending;
        fetchQuorum(fresh, complete);
    }
    withResources(fresh ? 0 : m_intervals.nodesMs / 2, fresh,
        [this, cycle, complete](const proxmox::Result<proxmox::ClusterResources> &r) {
            cycle->resources = r;
            cycle->fetchedAtMs = m_resources.latestAtMs; // this answer's
            if (r.ok()) {
                forgetNodeStatusOfNodesNotOnline(r.value->nodes);
                // Load averages are what /cluster/resources lacks: each online node's status,
                // at its own cadence (and at once for a node not asked yet).
                for (const model::NodeData &n : r.value->nodes) {
                    if (n.status != QLatin1String("online") || n.loadavg)
                        continue;
                    const auto it = m_nodeStatus.find(n.node);
                    const qint64 attempt = it == m_nodeStatus.end() ? -1 : it->second.attemptAtMs;
                    if (due(attempt, m_intervals.nodeStatusMs)) {
                        ++cycle->pending;
                        fetchNodeStatus(n.node, complete);
                    }
                }
            }
            complete();
        });
}

// A node that went offline (or left the cluster) comes back rebooted: its old load average
// would be shown until the next status fetch, up to intervals.nodeStatus later. So its status is
// forgotten while it is not online, and fetched at once when it is again. Entries are reset,
// never erased: a fetch's callback may still be running inside one (Shared::run calls its
// waiters, which can poll again, from within the entry).
void ClusterEmitter::forgetNodeStatusOfNodesNotOnline(const QList<model::NodeData> &nodes)
{
    for (auto &[name, status] : m_nodeStatus) {
        const bool online = std::any_of(nodes.begin(), nodes.end(), [&](const model::NodeData &n) {
            return n.node == name && n.status == QLatin1String("online");
        });
        if (!online && !status.running) {
            status.latest.reset();
            status.attemptAtMs = -1;
        }
    }
}

// The lists come sorted from proxmox::Client and are shared with m_resources.latest (the answer
// the next event may reuse): they are written to only where a `protected` flag differs, so that
// the common case copies nothing.
void ClusterEmitter::applyNodes(const proxmox::ClusterResources &resources)
{
    QList<model::NodeData> nodes = resources.nodes;
    for (model::NodeData &n : nodes) {
        n.host = m_nodeHosts.value(n.node);
        n.isProtected = m_safety->isProtectedNode(n.node);
        if (!n.loadavg && n.status == QLatin1String("online")) {
            const auto it = m_nodeStatus.find(n.node);
            if (it != m_nodeStatus.end() && it->second.latest)
                n.loadavg = it->second.latest->loadavg;
        }
    }
    m_nodes = std::move(nodes);
    m_haveNodes = true;
}

void ClusterEmitter::applyVms(const proxmox::ClusterResources &resources, qint64 fetchedAtMs)
{
    m_vms = resources.vms;
    markProtectedGuests(m_vms, *m_safety);
    m_haveVms = true;
    m_vmsJson.clear();
    emitVms();
    Q_EMIT snapshotApplied(Source::Vms, fetchedAtMs);
}

void ClusterEmitter::applyStorage(const proxmox::ClusterResources &resources)
{
    m_storage = resources.storage;
    m_haveStorage = true;
    m_storageJson.clear();
    emitStorage();
    checkAlerts();
}

void ClusterEmitter::finish(Source source, bool ok, const QString &error)
{
    PollState &state = m_polls[source];
    state.running = false;
    ++state.count;
    const double seconds = double(state.started.nsecsElapsed()) / 1e9;
    if (ok) {
        m_lastPollAt = m_clock->now();
        state.failures = 0;
    } else {
        ++state.failures;
        qCWarning(lcEmitter).noquote() << sourceName(source) << "poll failed:" << error;
    }
    reportHealth(sourceName(source), ok, error, state);

    const QString alertKey = QStringLiteral("poll_failing:") + sourceName(source);
    if (!ok && state.failures >= AlertAfterFailures) {
        m_events->raiseAlert(alertKey, QStringLiteral("poll_failing"), EventBus::Severity::Error,
            QStringLiteral("Proxmox poll failing"),
            QStringLiteral("%1 poll failed %2 times in a row: %3")
                .arg(sourceName(source))
                .arg(state.failures)
                .arg(error),
            {}, {{QStringLiteral("source"), sourceName(source)}});
    } else if (ok) {
        m_events->resolveAlert(
            alertKey, QStringLiteral("%1 poll succeeds again").arg(sourceName(source)));
    }

    const auto waiters = std::exchange(state.waiters, {});
    for (const auto &waiter : waiters)
        waiter(ok, error);
    Q_EMIT pollFinished(source, ok, seconds);
    if (!state.rerunWaiters.isEmpty() && !state.running) {
        state.waiters = std::exchange(state.rerunWaiters, {});
        const Freshness fresh = freshFromNow();
        poll(source, &fresh);
    }
}

void ClusterEmitter::reportHealth(
    const QString &source, bool ok, const QString &error, PollState &state)
{
    const bool changed = !state.known || state.ok != ok;
    state.known = true;
    state.ok = ok;
    state.error = error;
    if (!changed)
        return;
    QJsonObject data {{QStringLiteral("kind"), QStringLiteral("poll")},
        {QStringLiteral("source"), source}, {QStringLiteral("ok"), ok}};
    if (!ok)
        data.insert(QStringLiteral("error"), error);
    m_events->publish(QStringLiteral("status"),
        ok ? EventBus::Severity::Info : EventBus::Severity::Warning,
        ok ? QStringLiteral("Poll healthy") : QStringLiteral("Poll failing"),
        ok ? QStringLiteral("%1 poll succeeded").arg(source)
           : QStringLiteral("%1 poll failed: %2").arg(source, error),
        data);
}

void ClusterEmitter::checkAlerts()
{
    for (const model::NodeData &n : std::as_const(m_nodes)) {
        const QString key = QStringLiteral("node_offline:") + n.node;
        if (n.status == QLatin1String("offline"))
            m_events->raiseAlert(key, QStringLiteral("node_offline"), EventBus::Severity::Critical,
                QStringLiteral("Node offline"), QStringLiteral("node %1 is offline").arg(n.node),
                n.node);
        else if (n.status == QLatin1String("online"))
            m_events->resolveAlert(key, QStringLiteral("node %1 is back online").arg(n.node));
    }
    if (m_quorum) {
        if (!m_quorum->quorate)
            m_events->raiseAlert(QStringLiteral("quorum_lost"), QStringLiteral("quorum_lost"),
                EventBus::Severity::Critical, QStringLiteral("Quorum lost"),
                QStringLiteral("cluster has %1 of %2 votes")
                    .arg(m_quorum->totalVotes)
                    .arg(m_quorum->expectedVotes));
        else
            m_events->resolveAlert(
                QStringLiteral("quorum_lost"), QStringLiteral("cluster is quorate again"));
    }
    for (const model::StorageData &s : std::as_const(m_storage)) {
        const QString key = QStringLiteral("storage_full:") + s.id;
        const double ratio = s.total > 0 ? double(s.used) / double(s.total) : 0.0;
        if (ratio > StorageFullRatio)
            m_events->raiseAlert(key, QStringLiteral("storage_full"), EventBus::Severity::Warning,
                QStringLiteral("Storage almost full"),
                QStringLiteral("storage %1 on %2 is %3 % full")
                    .arg(s.storage, s.node)
                    .arg(qRound(ratio * 100)),
                s.node, {{QStringLiteral("storage"), s.storage}});
        else
            m_events->resolveAlert(
                key, QStringLiteral("storage %1 on %2 is below 90 %").arg(s.storage, s.node));
    }
}

QJsonArray ClusterEmitter::nodesJson() const
{
    QList<model::NodeData> nodes = m_nodes;
    for (model::NodeData &n : nodes) {
        for (const model::TemperatureData &t : m_temperatures) {
            if (t.node == n.node)
                n.temperatures = t.zones;
        }
    }
    return model::toJson(nodes);
}

void ClusterEmitter::emitNodes()
{
    m_cluster->broadcast(
        QStringLiteral("nodes"), Message::of(nodesJson()), Namespace::Delivery::Latest);
}

void ClusterEmitter::emitQuorum()
{
    m_cluster->broadcast(QStringLiteral("quorum"), Message::of(model::toJson(*m_quorum)),
        Namespace::Delivery::Latest);
}

const QByteArray &ClusterEmitter::vmsJson()
{
    // 5000 guests: written straight to JSON text, no QJsonArray in between, once per poll.
    if (m_vmsJson.isEmpty())
        model::appendJson(m_vmsJson, m_vms);
    return m_vmsJson;
}

const QByteArray &ClusterEmitter::storageJson()
{
    if (m_storageJson.isEmpty())
        model::appendJson(m_storageJson, m_storage);
    return m_storageJson;
}

void ClusterEmitter::emitVms()
{
    m_cluster->broadcastRaw(QStringLiteral("vms"), vmsJson(), Namespace::Delivery::Latest);
}

void ClusterEmitter::emitStorage()
{
    m_cluster->broadcastRaw(QStringLiteral("storage"), storageJson(), Namespace::Delivery::Latest);
}

void ClusterEmitter::setTemperatures(const QList<model::TemperatureData> &temperatures)
{
    m_temperatures = temperatures;
    m_haveTemperatures = true;
    m_cluster->broadcast(QStringLiteral("temperature"), Message::of(model::toJson(m_temperatures)),
        Namespace::Delivery::Latest);
}

} // namespace jarvis::realtime
