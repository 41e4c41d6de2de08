#include "history/recorder.h"

#include "core/clock.h"
#include "proxmox/client.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSaveFile>

#include <algorithm>

Q_LOGGING_CATEGORY(lcHistory, "jarvis.history")

namespace jarvis::history {

namespace {
constexpr int HourStepS = 60; // Proxmox's hour RRD; a day answer's step is read from its points
constexpr int DayStepS = 1800;

// The step of an rrddata answer: the smallest gap between its points.
int stepOf(const QList<proxmox::RrdPoint> &points, int fallback)
{
    qint64 step = 0;
    for (qsizetype i = 1; i < points.size(); ++i) {
        const qint64 gap = points[i].time - points[i - 1].time;
        if (gap > 0 && (step == 0 || gap < step))
            step = gap;
    }
    return step > 0 && step <= 86400 ? int(step) : fallback;
}
} // namespace

bool writeFileAtomically(const QString &path, const QByteArray &bytes, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        *error = file.errorString();
        return false;
    }
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    if (file.write(bytes) != bytes.size()) {
        *error = file.errorString();
        file.cancelWriting();
        return false;
    }
    if (!file.commit()) { // flushes, fsyncs and renames
        *error = file.errorString();
        return false;
    }
    return true;
}

Recorder::Recorder(proxmox::Client *client, Options options, core::Clock *clock, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_options(std::move(options))
    , m_clock(core::Clock::orSystem(clock))
    , m_store(m_options.store)
    , m_saveTimer(m_clock->createTicker(this))
{
    m_options.backfillInFlight = std::max(1, m_options.backfillInFlight);
    m_writer.setMaxThreadCount(1);
    m_saveTimer->setInterval(std::max(1000, m_options.saveIntervalMs));
    connect(m_saveTimer, &core::Ticker::timeout, this, &Recorder::saveInBackground);
}

Recorder::~Recorder()
{
    shutdown();
}

qint64 Recorder::nowMs() const
{
    return m_clock->now().toMSecsSinceEpoch();
}

void Recorder::start()
{
    if (m_options.file.isEmpty())
        return;
    QFile file(m_options.file);
    if (file.exists()) {
        if (!file.open(QIODevice::ReadOnly)) {
            qCWarning(lcHistory).noquote() << "history file" << m_options.file
                                           << "ignored: cannot read it:" << file.errorString();
        } else {
            QString why;
            if (m_store.load(file.readAll(), &why, nowMs())) {
                qCInfo(lcHistory).noquote()
                    << "history: read" << m_options.file << "(" << m_store.nodeCount() << "nodes,"
                    << m_store.guestCount() << "guests)";
            } else {
                qCWarning(lcHistory).noquote()
                    << "history file" << m_options.file << "ignored:" << why;
            }
        }
    }
    m_saveTimer->start();
}

void Recorder::shutdown()
{
    if (m_shutDown)
        return;
    m_shutDown = true;
    m_saveTimer->stop();
    m_saveJob.reset();
    m_queue.clear();
    m_writer.waitForDone();
    if (!m_options.file.isEmpty()) {
        QString error;
        if (!saveNow(&error))
            qCWarning(lcHistory).noquote()
                << "history: cannot write" << m_options.file << ":" << error;
    }
}

bool Recorder::saveNow(QString *error)
{
    if (m_options.file.isEmpty()) {
        *error = QStringLiteral("no history file is configured");
        return false;
    }
    m_writer.waitForDone();
    const bool ok = writeFileAtomically(m_options.file, m_store.save(), error);
    Q_EMIT saved(ok);
    return ok;
}

void Recorder::saveInBackground()
{
    if (m_options.file.isEmpty() || m_saveJob || m_writer.activeThreadCount() > 0)
        return; // the previous save is still going: the next tick writes newer data
    m_saveRetries = 0;
    m_saveJob = m_store.beginSave();
    saveStep();
}

// The image is built on the event loop a few hundred guests a turn (a copy of their rings),
// so that no turn holds the loop for long; a poll recorded in between makes it start again
// (at most 3 times a tick). The disk write and fsync happen on the writer thread.
void Recorder::saveStep()
{
    if (!m_saveJob || m_shutDown)
        return;
    constexpr int GuestsPerTurn = 250;
    switch (m_store.continueSave(*m_saveJob, GuestsPerTurn)) {
    case Store::SaveStep::More:
        QMetaObject::invokeMethod(this, &Recorder::saveStep, Qt::QueuedConnection);
        return;
    case Store::SaveStep::Changed:
        if (++m_saveRetries > 3) {
            m_saveJob.reset(); // busy: the next tick tries again
            return;
        }
        m_saveJob = m_store.beginSave();
        QMetaObject::invokeMethod(this, &Recorder::saveStep, Qt::QueuedConnection);
        return;
    case Store::SaveStep::Done:
        break;
    }
    const QByteArray image = m_saveJob->take();
    m_saveJob.reset();
    const QString path = m_options.file;
    // The worker never outlives the recorder (shutdown() waits for it); a queued report to a
    // recorder deleted meanwhile is dropped by Qt.
    m_writer.start([this, image, path] {
        QString error;
        const bool ok = writeFileAtomically(path, image, &error);
        QMetaObject::invokeMethod(
            this,
            [this, ok, error, path] {
                if (!ok)
                    qCWarning(lcHistory).noquote()
                        << "history: cannot write" << path << ":" << error;
                Q_EMIT saved(ok);
            },
            Qt::QueuedConnection);
    });
}

void Recorder::recordNodes(qint64 atMs, const QList<model::NodeData> &nodes,
    const QList<model::TemperatureData> &temperatures)
{
    QHash<QString, double> hottest;
    for (const model::TemperatureData &t : temperatures) {
        if (t.zones.isEmpty())
            continue;
        hottest.insert(t.node, *std::max_element(t.zones.cbegin(), t.zones.cend()));
    }
    const quint64 stepsBack = m_store.clockStepsBack();
    m_store.recordNodes(atMs, nodes, hottest);
    warnIfSteppedBack(stepsBack, atMs);
    if (!m_nodesBackfilled && m_options.backfill && !m_shutDown) {
        m_nodesBackfilled = true;
        enqueue(m_store.nodes());
    }
}

void Recorder::recordGuests(qint64 atMs, const QList<model::VmData> &vms)
{
    const quint64 stepsBack = m_store.clockStepsBack();
    m_store.recordGuests(atMs, vms);
    warnIfSteppedBack(stepsBack, atMs);
    if (!m_guestsBackfilled && m_options.backfill && !m_shutDown) {
        m_guestsBackfilled = true;
        enqueue(m_store.guests());
    }
}

void Recorder::warnIfSteppedBack(quint64 before, qint64 atMs) const
{
    if (m_store.clockStepsBack() != before) {
        qCWarning(lcHistory).noquote()
            << "history: the clock went back; what it held after"
            << QDateTime::fromMSecsSinceEpoch(atMs, Qt::UTC).toString(Qt::ISODate) << "is dropped";
    }
}

std::optional<Series> Recorder::series(const QString &id, Range range) const
{
    return m_store.series(id, range, nowMs());
}

QList<Series> Recorder::nodeSeries(Range range) const
{
    return m_store.nodeSeries(range, nowMs());
}

// --- backfill ------------------------------------------------------------------------------------

void Recorder::enqueue(const QList<EntityRef> &entities)
{
    if (!m_client)
        return;
    if (!entities.isEmpty())
        qCInfo(lcHistory) << "history: backfilling" << entities.size()
                          << (entities.first().vmid ? "guests" : "nodes") << "from rrddata";
    for (const EntityRef &e : entities)
        m_queue.push_back({e, proxmox::RrdTimeframe::Hour});
    m_stats.queued = int(m_queue.size());
    pump();
}

void Recorder::pump()
{
    while (m_stats.inFlight < m_options.backfillInFlight && !m_queue.empty()) {
        const Job job = m_queue.front();
        m_queue.pop_front();
        ++m_stats.inFlight;
        auto done = [this, job](
                        const proxmox::Result<QList<proxmox::RrdPoint>> &r) { finishJob(job, r); };
        if (job.entity.vmid == 0)
            m_client->nodeRrdData(job.entity.node, job.timeframe, this, done);
        else
            m_client->guestRrdData(
                job.entity.node, job.entity.kind, job.entity.vmid, job.timeframe, this, done);
    }
    m_stats.queued = int(m_queue.size());
}

void Recorder::finishJob(const Job &job, const proxmox::Result<QList<proxmox::RrdPoint>> &r)
{
    --m_stats.inFlight;
    const bool hour = job.timeframe == proxmox::RrdTimeframe::Hour;
    if (r.ok()) {
        ++m_stats.done;
        m_store.backfill(
            job.entity.id, stepOf(*r.value, hour ? HourStepS : DayStepS), *r.value, nowMs());
    } else {
        ++m_stats.failed;
        const QString what =
            QStringLiteral("%1 (%2): %3")
                .arg(job.entity.id, hour ? QStringLiteral("hour") : QStringLiteral("day"),
                    r.error.message);
        if (m_firstFailure.isEmpty()) {
            m_firstFailure = what;
            qCWarning(lcHistory).noquote() << "history: backfill failed for" << what
                                           << "(live data fill the rings; further "
                                              "failures are counted and summed up at the end)";
        } else {
            qCDebug(lcHistory).noquote() << "history: backfill failed for" << what;
        }
    }
    // The day's 30-minute points fill only minutes the hour's 1-minute points left empty, so
    // they come second.
    if (hour && !m_shutDown)
        m_queue.push_back({job.entity, proxmox::RrdTimeframe::Day});
    pump();
    if (m_queue.empty() && m_stats.inFlight == 0) {
        if (m_stats.failed > 0)
            qCWarning(lcHistory).noquote()
                << "history: backfill done," << m_stats.failed << "of"
                << (m_stats.done + m_stats.failed) << "requests failed; first:" << m_firstFailure;
        else
            qCInfo(lcHistory) << "history: backfill done," << m_stats.done << "requests";
        Q_EMIT backfillFinished(m_stats.done, m_stats.failed);
    }
}

} // namespace jarvis::history
