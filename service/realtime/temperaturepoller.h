#pragma once

#include "model/clusterdata.h"

#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QMap>
#include <QObject>
#include <QString>
#include <QStringList>

namespace jarvis::core {
class Clock;
class Ticker;
} // namespace jarvis::core
namespace jarvis::ssh {
class Pool;
}

namespace jarvis::realtime {

class ClusterEmitter;
class EventBus;

// Reads node temperatures over SSH for /cluster. Every `intervalMs`, while someone is connected
// to /cluster (ClusterEmitter::isPolling(); the first round starts as soon as the emitter resumes
// polling), it runs `command` on every configured node through the ssh::Pool, one exec channel
// per node, never starting a node again while its previous run is still going. Outputs are
// parsed with ssh::parseTemperatures (thermal-zone lines or `sensors -j` JSON). When every node
// of a round has answered, the nodes with a fresh reading (and those still running from an
// earlier round, with their last one) go to ClusterEmitter::setTemperatures, which sends
// `temperature` and merges them into `nodes`; failing nodes are left out. A node's health change
// (first failure, recovery) is published on /events as `poll` {source: "temperature", ok, error?}
// with the node set. A node whose hottest sensor is above highCelsius (85 °C) raises
// `temperature_high` (key "temperature_high:<node>"), resolved once it is at or below
// clearCelsius (80 °C; the gap keeps a sensor hovering at the limit from flapping).
// The command is the administrator's ([temperature] command=, or ssh::defaultTemperatureCommand()
// when empty); nothing from a client ever reaches it. Without SSH configured it does nothing and
// says so once. Its timer comes from `clock` (core::Clock::system() when null). Main thread.
class TemperaturePoller : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QString command; // empty = ssh::defaultTemperatureCommand()
        int intervalMs = 30000;
        double highCelsius = 85.0;
        double clearCelsius = 80.0;
    };

    TemperaturePoller(ssh::Pool *pool, ClusterEmitter *emitter, EventBus *events, Options options,
        core::Clock *clock = nullptr, QObject *parent = nullptr);

    bool isEnabled() const { return m_enabled; } // SSH is configured
    QString command() const { return m_command; }
    int intervalMs() const { return m_options.intervalMs; }
    // Changes the interval (tests use short ones); a running timer restarts.
    void setInterval(int intervalMs);
    // Starts a round now for every idle node (whether or not anyone is connected).
    void pollNow();

    const QList<model::TemperatureData> &temperatures() const { return m_emitted; }
    int roundCount() const { return m_rounds; }
    // A round was started and some of its nodes have not answered yet.
    bool isRoundRunning() const { return m_pending > 0; }

Q_SIGNALS:
    // After a round's temperatures were handed to the emitter; `seconds` from its start (steady
    // clock: a measurement for the metrics).
    void roundFinished(int ok, int failed, double seconds);

private:
    struct NodeState
    {
        bool running = false;
        bool healthKnown = false;
        bool healthy = true;
        bool haveReading = false;
        QMap<QString, double> zones;
    };

    void onTick();
    void startRound();
    void onResult(
        const QString &node, bool ok, const QMap<QString, double> &zones, const QString &error);
    void finishRound();
    void reportHealth(const QString &node, NodeState &state, bool ok, const QString &error);
    void checkAlert(const QString &node, const QMap<QString, double> &zones);

    ssh::Pool *m_pool;
    ClusterEmitter *m_emitter;
    EventBus *m_events;
    Options m_options;
    QString m_command;
    bool m_enabled = false;
    bool m_active = false; // the emitter was polling at the last look
    core::Ticker *m_timer; // child
    QStringList m_nodes; // as configured
    QHash<QString, NodeState> m_state;
    int m_pending = 0; // nodes of the current round still running
    int m_roundOk = 0;
    int m_roundFailed = 0;
    QElapsedTimer m_roundStarted;
    int m_rounds = 0;
    QList<model::TemperatureData> m_emitted;
};

} // namespace jarvis::realtime
