#pragma once

#include "history/store.h"

#include <QObject>
#include <QPointer>
#include <QThreadPool>

#include <deque>
#include <memory>

namespace jarvis::core {
class Clock;
class Ticker;
} // namespace jarvis::core
namespace jarvis::proxmox {
class Client;
template<typename T> struct Result;
} // namespace jarvis::proxmox

namespace jarvis::history {

// The history service: the Store, fed with every `nodes`/`vms` poll; on the first poll of each,
// a background backfill from Proxmox rrddata (timeframe hour, then day, per node and guest; at
// most `backfillInFlight` requests at a time, so the normal polls keep their share of the
// client's per-node limit); and the store kept in `file` (written every `saveIntervalMs` and at
// shutdown: built on the event loop, written atomically by a worker thread; read at start, where
// a bad file is ignored with one warning). Time comes from `clock`. Main thread.
class Recorder : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        StoreOptions store;
        QString file; // empty: not kept across restarts
        int saveIntervalMs = 300000;
        bool backfill = true;
        int backfillInFlight = 3;
    };

    Recorder(proxmox::Client *client, Options options, core::Clock *clock = nullptr,
        QObject *parent = nullptr);
    ~Recorder() override;

    // Reads the file, if any (a missing one is fine), and starts the periodic save.
    void start();
    // Writes the file now (after any write under way) and stops saving. Idempotent.
    void shutdown();

    // A poll's data, fetched at `atMs` (Unix ms); the same fetch twice is recorded once.
    void recordNodes(qint64 atMs, const QList<model::NodeData> &nodes,
        const QList<model::TemperatureData> &temperatures);
    void recordGuests(qint64 atMs, const QList<model::VmData> &vms);

    std::optional<Series> series(const QString &id, Range range) const;
    QList<Series> nodeSeries(Range range) const;
    const Store &store() const { return m_store; }
    Store &store() { return m_store; }

    struct BackfillStats
    {
        int queued = 0; // requests waiting
        int inFlight = 0;
        int done = 0; // answered and applied
        int failed = 0;
    };
    BackfillStats backfillStats() const { return m_stats; }
    // Writes the file on the event loop (tests, shutdown). False with `error`.
    bool saveNow(QString *error);

Q_SIGNALS:
    // The backfill queue ran empty (every request answered or failed).
    void backfillFinished(int done, int failed);
    void saved(bool ok);

private:
    void warnIfSteppedBack(quint64 before, qint64 atMs) const;
    struct Job
    {
        EntityRef entity;
        proxmox::RrdTimeframe timeframe = proxmox::RrdTimeframe::Hour;
    };
    void enqueue(const QList<EntityRef> &entities);
    void pump();
    void finishJob(const Job &job, const proxmox::Result<QList<proxmox::RrdPoint>> &result);
    void saveInBackground();
    void saveStep();
    qint64 nowMs() const;

    proxmox::Client *m_client;
    Options m_options;
    core::Clock *m_clock;
    Store m_store;
    core::Ticker *m_saveTimer; // child
    std::deque<Job> m_queue;
    BackfillStats m_stats;
    bool m_nodesBackfilled = false;
    bool m_guestsBackfilled = false;
    QString m_firstFailure;
    QThreadPool m_writer; // one thread: the file's writes never overlap
    std::unique_ptr<Store::SaveJob> m_saveJob; // a periodic save being built
    int m_saveRetries = 0;
    bool m_shutDown = false;
};

// Writes `bytes` to `path` atomically (a temporary file in the same directory, fsync, rename),
// mode 0600. False with `error`. Any thread.
bool writeFileAtomically(const QString &path, const QByteArray &bytes, QString *error);

} // namespace jarvis::history
