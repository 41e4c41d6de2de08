#include "realtime/clusteremitter.h"

#include "core/clock.h"
#include "proxmox/client.h"
#include "realtime/eventbus.h"
#include "realtime/sioserver.h"
#include "tools/safetypolicy.h"

#include <QLoggingCategory>

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

Message single(const QJsonValue &value)
{
    return Message {QJsonArray {value}, {}};
}
} // namespace

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
                    ack(single(answer));
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
        socket->emitEvent(QStringLiteral("nodes"), single(nodesJson()));
    if (m_quorum)
        socket->emitEvent(QStringLiteral("quorum"), single(model::toJson(*m_quorum)));
    if (m_haveVms)
        socket->emitEvent(QStringLiteral("vms"), single(model::toJson(m_vms)));
    if (m_haveStorage)
        socket->emitEvent(QStringLiteral("storage"), single(model::toJson(m_storage)));
    if (m_haveTemperatures)
        socket->emitEvent(QStringLiteral("temperature"), single(model::toJson(m_temperatures)));
    updateActivity();
}

void ClusterEmitter::updateActivity()
{
    const bool active = !m_cluster->sockets().isEmpty();
    if (active == m_active)
        return;
    m_active = active;
    if (active) {
        qCInfo(lcEmitter) << "a client is connected to /cluster: polling resumes";
        m_nodesTimer->start();
        m_vmsTimer->start();
        m_storageTimer->start();
        poll(Source::Nodes);
        poll(Source::Vms);
        poll(Source::Storage);
    } else {
        qCInfo(lcEmitter) << "nobody is connected to /cluster: polling pauses";
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
    for (Source source : sources) {
        PollState &state = m_polls[source];
        if (state.running) {
            // The poll under way may have started before what the caller waits for: run again.
            state.rerunWaiters.append(onOne);
        } else {
            state.waiters.append(onOne);
            poll(source);
        }
    }
}

void ClusterEmitter::poll(Source source)
{
    PollState &state = m_polls[source];
    if (state.running)
        return; // never overlap the previous run
    state.running = true;
    switch (source) {
    case Source::Nodes:
        pollNodes();
        break;
    case Source::Vms:
        pollVms();
        break;
    case Source::Storage:
        pollStorage();
        break;
    }
}

void ClusterEmitter::pollNodes()
{
    struct Cycle
    {
        int pending = 2;
        std::optional<proxmox::Result<proxmox::ClusterResources>> resources;
        std::optional<proxmox::Result<model::QuorumData>> quorum;
    };
    auto cycle = std::make_shared<Cycle>();
    auto complete = [this, cycle] {
        if (--cycle->pending > 0)
            return;
        // Quorum is its own health source but is sent with `nodes`.
        const auto &q = *cycle->quorum;
        if (q.ok())
            m_quorum = *q.value;
        reportHealth(QStringLiteral("quorum"), q.ok(), q.error.message, m_quorumState);

        const auto &r = *cycle->resources;
        if (!r.ok()) {
            finish(Source::Nodes, false, r.error.message);
            return;
        }
        QHash<QString, model::NodeData> previous;
        for (const model::NodeData &n : std::as_const(m_nodes))
            previous.insert(n.node, n);
        QList<model::NodeData> nodes = r.value->nodes;
        std::sort(nodes.begin(), nodes.end(),
            [](const model::NodeData &a, const model::NodeData &b) { return a.node < b.node; });
        for (model::NodeData &n : nodes) {
            n.host = m_nodeHosts.value(n.node);
            n.isProtected = m_safety->isProtectedNode(n.node);
            if (!n.loadavg && previous.contains(n.node) && n.status == QLatin1String("online"))
                n.loadavg = previous.value(n.node).loadavg;
        }
        m_nodes = nodes;
        m_haveNodes = true;
        // Load averages come from each online node's status; a failure there keeps the last value.
        auto statusPending = std::make_shared<int>(0);
        for (const model::NodeData &n : std::as_const(m_nodes)) {
            if (n.status == QLatin1String("online"))
                ++*statusPending;
        }
        auto done = [this] {
            emitNodes();
            if (m_quorum)
                emitQuorum();
            checkAlerts();
            finish(Source::Nodes, true, {});
        };
        if (*statusPending == 0) {
            done();
            return;
        }
        for (const model::NodeData &n : std::as_const(m_nodes)) {
            if (n.status != QLatin1String("online"))
                continue;
            const QString name = n.node;
            m_client->nodeStatus(name, this,
                [this, name, statusPending, done](const proxmox::Result<proxmox::NodeStatus> &status) {
                    if (status.ok()) {
                        for (model::NodeData &node : m_nodes) {
                            if (node.node == name)
                                proxmox::mergeNodeStatus(node, *status.value);
                        }
                    }
                    if (--*statusPending == 0)
                        done();
                });
        }
    };
    m_client->clusterResources(
        this, [cycle, complete](const proxmox::Result<proxmox::ClusterResources> &r) {
            cycle->resources = r;
            complete();
        });
    m_client->clusterStatus(this, [cycle, complete](const proxmox::Result<model::QuorumData> &q) {
        cycle->quorum = q;
        complete();
    });
}

void ClusterEmitter::pollVms()
{
    m_client->clusterResources(this, [this](const proxmox::Result<proxmox::ClusterResources> &r) {
        if (!r.ok()) {
            finish(Source::Vms, false, r.error.message);
            return;
        }
        m_vms = r.value->vms;
        std::sort(m_vms.begin(), m_vms.end(),
            [](const model::VmData &a, const model::VmData &b) { return a.vmid < b.vmid; });
        for (model::VmData &vm : m_vms)
            vm.isProtected = m_safety->isProtectedGuest(vm.vmid, vm.node);
        m_haveVms = true;
        emitVms();
        finish(Source::Vms, true, {});
    });
}

void ClusterEmitter::pollStorage()
{
    m_client->clusterResources(this, [this](const proxmox::Result<proxmox::ClusterResources> &r) {
        if (!r.ok()) {
            finish(Source::Storage, false, r.error.message);
            return;
        }
        m_storage = r.value->storage;
        std::sort(m_storage.begin(), m_storage.end(),
            [](const model::StorageData &a, const model::StorageData &b) { return a.id < b.id; });
        m_haveStorage = true;
        emitStorage();
        checkAlerts();
        finish(Source::Storage, true, {});
    });
}

void ClusterEmitter::finish(Source source, bool ok, const QString &error)
{
    PollState &state = m_polls[source];
    state.running = false;
    ++state.count;
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
    Q_EMIT pollFinished(source, ok);
    if (!state.rerunWaiters.isEmpty() && !state.running) {
        state.waiters = std::exchange(state.rerunWaiters, {});
        poll(source);
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
    m_cluster->broadcast(QStringLiteral("nodes"), single(nodesJson()), Namespace::Delivery::Latest);
}

void ClusterEmitter::emitQuorum()
{
    m_cluster->broadcast(
        QStringLiteral("quorum"), single(model::toJson(*m_quorum)), Namespace::Delivery::Latest);
}

void ClusterEmitter::emitVms()
{
    // 5000 guests: written straight to JSON text, no QJsonArray in between.
    QByteArray json;
    model::appendJson(json, m_vms);
    m_cluster->broadcastRaw(QStringLiteral("vms"), json, Namespace::Delivery::Latest);
}

void ClusterEmitter::emitStorage()
{
    QByteArray json;
    model::appendJson(json, m_storage);
    m_cluster->broadcastRaw(QStringLiteral("storage"), json, Namespace::Delivery::Latest);
}

void ClusterEmitter::setTemperatures(const QList<model::TemperatureData> &temperatures)
{
    m_temperatures = temperatures;
    m_haveTemperatures = true;
    m_cluster->broadcast(QStringLiteral("temperature"), single(model::toJson(m_temperatures)),
        Namespace::Delivery::Latest);
}

} // namespace jarvis::realtime
