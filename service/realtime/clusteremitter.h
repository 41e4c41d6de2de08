#pragma once

#include "model/clusterdata.h"
#include "proxmox/pvedata.h"

#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QObject>
#include <QPointer>

#include <functional>
#include <optional>

namespace jarvis::core {
class Clock;
class Ticker;
} // namespace jarvis::core

namespace jarvis::proxmox {
class Client;
struct Error;
} // namespace jarvis::proxmox

namespace jarvis::tools {
class SafetyPolicy;
}

namespace jarvis::realtime {

class EventBus;
class Namespace;
class SioSocket;

// Polls Proxmox on QTimers and pushes the typed snapshots to /cluster: `nodes` + `quorum`, `vms`,
// `storage` (and `temperature` when a source is set). A poll never overlaps its previous run;
// every tick re-sends its snapshot; a new client gets the latest snapshot of every event at once;
// polling pauses while nobody is connected to /cluster and resumes (with an immediate poll) when
// someone connects. Health changes go to /events as `poll` events; node offline, quorum lost,
// storage above 90 % and a failing poll raise alerts that resolve when they clear. Nodes and
// guests carry `protected` as the safety policy (`safety`, not owned, outlives the emitter) says.
// Its timers and time come from `clock` (core::Clock::system() in the service, a ManualClock in
// tests). Owns its timers; main thread.
class ClusterEmitter : public QObject
{
    Q_OBJECT
public:
    enum class Source { Nodes, Vms, Storage };
    Q_ENUM(Source)

    struct Intervals
    {
        int nodesMs = 10000;
        int vmsMs = 15000;
        int storageMs = 30000;
    };

    ClusterEmitter(proxmox::Client *client, Namespace *cluster, EventBus *events,
        const tools::SafetyPolicy *safety, Intervals intervals, QHash<QString, QString> nodeHosts,
        core::Clock *clock, QObject *parent = nullptr);

    // Polls the given sources now (joining a poll already running) and calls `done` after their
    // snapshots were emitted (ok = every source succeeded; error = the first failure).
    void refreshNow(QList<Source> sources, const QObject *context,
        std::function<void(bool ok, const QString &error)> done);

    // Changes the poll intervals (tests use short ones); running timers restart.
    void setIntervals(Intervals intervals);

    // Temperatures come from elsewhere (SSH); they are merged into `nodes` and sent as
    // `temperature`.
    void setTemperatures(const QList<model::TemperatureData> &temperatures);

    bool isPolling() const { return m_active; }
    const QList<model::NodeData> &nodes() const { return m_nodes; }
    const QList<model::VmData> &vms() const { return m_vms; }
    const QList<model::StorageData> &storage() const { return m_storage; }
    std::optional<model::QuorumData> quorum() const { return m_quorum; }
    QDateTime lastPollAt() const { return m_lastPollAt; }
    bool lastPollOk() const;
    int pollCount(Source source) const { return m_polls.value(source).count; }

Q_SIGNALS:
    void pollFinished(jarvis::realtime::ClusterEmitter::Source source, bool ok);

private:
    struct PollState
    {
        bool running = false;
        bool ok = true; // last result
        bool known = false; // at least one result
        int failures = 0; // consecutive
        int count = 0; // polls finished
        QString error;
        QList<std::function<void(bool, const QString &)>> waiters;
        QList<std::function<void(bool, const QString &)>> rerunWaiters; // for a run after this one
    };

    void onClientConnected(SioSocket *socket);
    void updateActivity();
    void poll(Source source);
    void pollNodes();
    void pollVms();
    void pollStorage();
    void finish(Source source, bool ok, const QString &error);
    void emitNodes();
    void emitVms();
    void emitStorage();
    void emitQuorum();
    void checkAlerts();
    void reportHealth(const QString &source, bool ok, const QString &error, PollState &state);
    QJsonArray nodesJson() const;

    proxmox::Client *m_client;
    Namespace *m_cluster;
    EventBus *m_events;
    const tools::SafetyPolicy *m_safety;
    Intervals m_intervals;
    QHash<QString, QString> m_nodeHosts;
    core::Clock *m_clock;
    core::Ticker *m_nodesTimer; // children
    core::Ticker *m_vmsTimer;
    core::Ticker *m_storageTimer;
    bool m_active = false;

    QHash<Source, PollState> m_polls;
    PollState m_quorumState;
    QList<model::NodeData> m_nodes;
    QList<model::VmData> m_vms;
    QList<model::StorageData> m_storage;
    std::optional<model::QuorumData> m_quorum;
    QList<model::TemperatureData> m_temperatures;
    bool m_haveNodes = false, m_haveVms = false, m_haveStorage = false, m_haveTemperatures = false;
    QDateTime m_lastPollAt;
};

} // namespace jarvis::realtime
