#pragma once

#include "model/clusterdata.h"
#include "proxmox/pvedata.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QObject>
#include <QPointer>

#include <functional>
#include <map>
#include <optional>

namespace jarvis::core {
class Clock;
class Ticker;
} // namespace jarvis::core

namespace jarvis::proxmox {
class Client;
struct Error;
template<typename T> struct Result;
} // namespace jarvis::proxmox

namespace jarvis::tools {
class SafetyPolicy;
}

namespace jarvis::realtime {

class EventBus;
class Namespace;
class SioSocket;

// Sets each guest's `protected` flag as `safety` says, writing only where it differs (so that a
// list shared with the Proxmox answer it came from is copied only when a flag changes).
void markProtectedGuests(QList<model::VmData> &vms, const tools::SafetyPolicy &safety);

// Polls Proxmox on timers and pushes the typed snapshots to /cluster: `nodes` + `quorum`, `vms`,
// `storage` (and `temperature` when a source is set). One data path: the three events read one
// shared /cluster/resources answer. When an event is due it reuses the latest answer if that
// fetch started less than half of the event's interval ago, joins the fetch in flight, or starts
// one (never two at once); refreshNow() always waits for a fetch that started after the call.
// /cluster/status (quorum) and nodes/{node}/status (loadavg, which resources lack) have their own
// slower cadences, checked when `nodes` is due; `quorum` goes with every `nodes`, from the latest
// answer. A poll never overlaps its previous run;
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
        int quorumMs = 30000; // /cluster/status, fetched with a `nodes` poll when this old
        int nodeStatusMs = 60000; // nodes/{node}/status (loadavg), likewise
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

    // Someone besides /cluster reads the snapshots (an MCP subscription): polling goes on while
    // true, as it does while a client is connected to /cluster.
    void setWatched(bool watched);
    // The JSON text of the latest `nodes`, `vms`, `storage` or `quorum` event, as /cluster
    // clients get it; nullopt before the first (or for another name).
    std::optional<QByteArray> eventJson(const QString &event);
    // Keeps polling while nobody is connected to /cluster (the history needs every poll).
    void setKeepPolling(bool keep);

    bool isPolling() const { return m_active; }
    const QList<model::NodeData> &nodes() const { return m_nodes; }
    const QList<model::VmData> &vms() const { return m_vms; }
    const QList<model::StorageData> &storage() const { return m_storage; }
    std::optional<model::QuorumData> quorum() const { return m_quorum; }
    const QList<model::TemperatureData> &temperatures() const { return m_temperatures; }
    QDateTime lastPollAt() const { return m_lastPollAt; }
    bool lastPollOk() const;
    int pollCount(Source source) const { return m_polls.value(source).count; }
    // /cluster/resources fetches started (shared by the three events).
    int resourceFetchCount() const { return m_resources.fetches; }

Q_SIGNALS:
    // `seconds`: from the poll's start to its snapshot being emitted (steady clock: a
    // measurement for the metrics, not the emitter's time).
    void pollFinished(jarvis::realtime::ClusterEmitter::Source source, bool ok, double seconds);
    // `nodes` (Source::Nodes) or `vms` (Source::Vms) were applied and sent, from the
    // /cluster/resources answer whose fetch started at fetchedAtMs (Unix ms, the emitter's
    // clock); an answer reused by a later poll reports the same time again.
    void snapshotApplied(jarvis::realtime::ClusterEmitter::Source source, qint64 fetchedAtMs);

private:
    struct PollState
    {
        bool running = false;
        bool ok = true; // last result
        bool known = false; // at least one result
        int failures = 0; // consecutive
        int count = 0; // polls finished
        QElapsedTimer started; // the running poll's start
        QString error;
        QList<std::function<void(bool, const QString &)>> waiters;
        QList<std::function<void(bool, const QString &)>> rerunWaiters; // for a run after this one
    };

    // One Proxmox answer shared by its users: the latest value, when the fetch that got it
    // started, and the callbacks waiting for the fetch in flight (or for one after it). Never
    // two fetches at once.
    template<typename T> struct Shared
    {
        using Callback = std::function<void(const proxmox::Result<T> &)>;
        using Start = std::function<void(Callback)>; // issues the request, calls back once

        std::optional<T> latest;
        qint64 latestAtMs = 0; // when the fetch that brought `latest` started
        qint64 attemptAtMs = -1; // when the last fetch started (-1: never)
        bool running = false;
        QList<Callback> waiters; // for the fetch in flight
        QList<Callback> nextWaiters; // for a fetch that starts after the one in flight
        int fetches = 0;

        // The latest value if its fetch started less than maxAgeMs before nowMs (maxAgeMs <= 0:
        // never), else the fetch in flight, else a new fetch. With `freshAfter` (a value of
        // `fetches` taken earlier) only a fetch that started after that one will do.
        void get(qint64 nowMs, qint64 maxAgeMs, std::optional<int> freshAfter, Callback done,
            const Start &start, const std::function<qint64()> &clock);
        void run(qint64 nowMs, const Start &start, const std::function<qint64()> &clock);
    };

    void onClientConnected(SioSocket *socket);
    void updateActivity();
    qint64 nowMs() const;
    // What a refresh waits for: fetches that start after these (values of Shared::fetches).
    struct Freshness
    {
        int resources = 0;
        int quorum = 0;
    };
    Freshness freshFromNow() const { return {m_resources.fetches, m_quorumFetch.fetches}; }
    // The latest /cluster/resources answer if its fetch started less than maxAgeMs ago, else the
    // fetch in flight, else a new one (with `fresh`: only a fetch started after fresh->resources).
    void withResources(qint64 maxAgeMs, const Freshness *fresh,
        std::function<void(const proxmox::Result<proxmox::ClusterResources> &)> done);
    void fetchQuorum(const Freshness *fresh, std::function<void()> done);
    void fetchNodeStatus(const QString &node, std::function<void()> done);
    void forgetNodeStatusOfNodesNotOnline(const QList<model::NodeData> &nodes);
    bool due(qint64 attemptAtMs, int cadenceMs) const;
    void poll(Source source, const Freshness *fresh = nullptr);
    void pollNodes(const Freshness *fresh);
    void applyNodes(const proxmox::ClusterResources &resources);
    void applyVms(const proxmox::ClusterResources &resources, qint64 fetchedAtMs);
    void applyStorage(const proxmox::ClusterResources &resources);
    void finish(Source source, bool ok, const QString &error);
    void emitNodes();
    void emitVms();
    void emitStorage();
    // The one `vms` (and `storage`) encoder: the JSON text of the current list, written once per
    // poll and sent to every client, new ones included.
    const QByteArray &vmsJson();
    const QByteArray &storageJson();
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
    bool m_watched = false; // an MCP subscription reads the snapshots
    bool m_keepPolling = false; // the history needs every poll

    QHash<Source, PollState> m_polls;
    PollState m_quorumState;
    Shared<proxmox::ClusterResources> m_resources;
    Shared<model::QuorumData> m_quorumFetch;
    std::map<QString, Shared<proxmox::NodeStatus>> m_nodeStatus; // stable addresses
    QByteArray m_vmsJson, m_storageJson; // empty = not written yet for the current list
    QList<model::NodeData> m_nodes;
    QList<model::VmData> m_vms;
    QList<model::StorageData> m_storage;
    std::optional<model::QuorumData> m_quorum;
    QList<model::TemperatureData> m_temperatures;
    bool m_haveNodes = false, m_haveVms = false, m_haveStorage = false, m_haveTemperatures = false;
    QDateTime m_lastPollAt;
};

} // namespace jarvis::realtime
