#include "realtime/temperaturepoller.h"

#include "core/clock.h"
#include "realtime/clusteremitter.h"
#include "realtime/eventbus.h"
#include "ssh/pool.h"
#include "ssh/temperature.h"

#include <QJsonObject>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcTemperature, "jarvis.temperature")

namespace jarvis::realtime {

namespace {

// The first line of `text`, at most 200 characters, for messages.
QString firstLine(const QByteArray &text)
{
    const QString line = QString::fromUtf8(text.trimmed().split('\n').value(0)).trimmed();
    return line.size() > 200 ? line.left(200) + QStringLiteral("...") : line;
}

QString celsiusText(double celsius)
{
    return QString::number(celsius, 'f', 1) + QStringLiteral(" °C");
}

} // namespace

TemperaturePoller::TemperaturePoller(ssh::Pool *pool, ClusterEmitter *emitter, EventBus *events,
    Options options, core::Clock *clock, QObject *parent)
    : QObject(parent)
    , m_pool(pool)
    , m_emitter(emitter)
    , m_events(events)
    , m_options(std::move(options))
    , m_command(m_options.command.trimmed().isEmpty() ? ssh::defaultTemperatureCommand()
                                                      : m_options.command)
    , m_timer((clock ? clock : core::Clock::system())->createTicker(this))
{
    m_enabled = m_pool && m_pool->isConfigured();
    if (!m_enabled) {
        qCInfo(lcTemperature) << "SSH is not configured: node temperatures are off";
        return;
    }
    m_nodes = m_pool->nodeNames();
    for (const QString &node : std::as_const(m_nodes))
        m_state.insert(node, NodeState {});
    m_timer->setInterval(qMax(100, m_options.intervalMs));
    connect(m_timer, &core::Ticker::timeout, this, &TemperaturePoller::onTick);
    m_timer->start();
    // The emitter resumes polling (with an immediate poll) when someone connects to /cluster;
    // temperatures follow at once instead of a whole interval later.
    connect(m_emitter, &ClusterEmitter::pollFinished, this, [this] {
        if (m_active || !m_emitter->isPolling())
            return;
        m_active = true;
        m_timer->start(); // the next round one interval from now
        startRound();
    });
    qCInfo(lcTemperature).noquote()
        << "reading temperatures of" << m_nodes.size() << "node(s) every" << m_timer->interval()
        << "ms with"
        << (m_options.command.trimmed().isEmpty() ? QStringLiteral("the default command")
                                                  : QStringLiteral("the configured command"));
}

void TemperaturePoller::setInterval(int intervalMs)
{
    m_options.intervalMs = intervalMs;
    m_timer->setInterval(qMax(100, intervalMs));
    if (m_enabled)
        m_timer->start();
}

void TemperaturePoller::pollNow()
{
    if (m_enabled)
        startRound();
}

void TemperaturePoller::onTick()
{
    m_active = m_emitter->isPolling();
    if (m_active)
        startRound();
}

void TemperaturePoller::startRound()
{
    if (m_pending > 0)
        return; // the current round is still waiting for a node; its idle nodes rejoin later
    m_roundOk = 0;
    m_roundFailed = 0;
    m_roundStarted.start();
    ssh::ExecOptions options;
    options.timeoutMs = qBound(5000, m_options.intervalMs, 60000);
    options.maxOutputBytes = 256 * 1024;
    for (const QString &node : std::as_const(m_nodes)) {
        NodeState &state = m_state[node];
        if (state.running) // never overlaps this node's previous run
            continue;
        state.running = true;
        ++m_pending;
        m_pool->exec(node, m_command, options, this,
            [this, node](const ssh::Result<ssh::ExecResult> &result) {
                if (!result.ok()) {
                    onResult(node, false, {}, result.error.message);
                    return;
                }
                const ssh::ExecResult &exec = *result.value;
                if (exec.exitCode != 0) {
                    const QString detail = firstLine(exec.stdErr).isEmpty()
                        ? firstLine(exec.stdOut)
                        : firstLine(exec.stdErr);
                    onResult(node, false, {},
                        QStringLiteral("temperature command exited with %1%2")
                            .arg(exec.exitSignal.isEmpty()
                                    ? QString::number(exec.exitCode)
                                    : QStringLiteral("signal ") + exec.exitSignal,
                                detail.isEmpty() ? QString() : QStringLiteral(": ") + detail));
                    return;
                }
                const std::optional<QMap<QString, double>> zones =
                    ssh::parseTemperatures(exec.stdOut);
                if (!zones) {
                    onResult(node, false, {},
                        QStringLiteral("temperature output not understood: ")
                            + firstLine(exec.stdOut));
                    return;
                }
                onResult(node, true, *zones, QString());
            });
    }
}

void TemperaturePoller::onResult(
    const QString &node, bool ok, const QMap<QString, double> &zones, const QString &error)
{
    NodeState &state = m_state[node];
    state.running = false;
    state.haveReading = ok;
    state.zones = ok ? zones : QMap<QString, double> {};
    if (ok) {
        ++m_roundOk;
        checkAlert(node, zones);
    } else {
        ++m_roundFailed;
        qCDebug(lcTemperature).noquote() << node << error;
    }
    reportHealth(node, state, ok, error);
    if (m_pending > 0 && --m_pending == 0)
        finishRound();
}

void TemperaturePoller::finishRound()
{
    m_emitted.clear();
    for (const QString &node : std::as_const(m_nodes)) {
        const NodeState &state = m_state.value(node);
        if (state.haveReading)
            m_emitted.append({node, state.zones});
    }
    m_emitter->setTemperatures(m_emitted);
    ++m_rounds;
    Q_EMIT roundFinished(m_roundOk, m_roundFailed, double(m_roundStarted.nsecsElapsed()) / 1e9);
}

void TemperaturePoller::reportHealth(
    const QString &node, NodeState &state, bool ok, const QString &error)
{
    const bool first = !state.healthKnown;
    const bool changed = first || state.healthy != ok;
    state.healthKnown = true;
    state.healthy = ok;
    if (!changed)
        return;
    if (ok)
        qCInfo(lcTemperature).noquote()
            << node << (first ? "temperatures are read" : "temperatures are read again");
    else
        qCWarning(lcTemperature).noquote() << node << "temperatures unavailable:" << error;
    QJsonObject data {{QStringLiteral("kind"), QStringLiteral("poll")},
        {QStringLiteral("source"), QStringLiteral("temperature")}, {QStringLiteral("ok"), ok}};
    if (!ok)
        data.insert(QStringLiteral("error"), QStringLiteral("%1: %2").arg(node, error));
    m_events->publish(QStringLiteral("status"),
        ok ? EventBus::Severity::Info : EventBus::Severity::Warning,
        ok ? QStringLiteral("Poll healthy") : QStringLiteral("Poll failing"),
        ok ? QStringLiteral("temperature poll of %1 succeeded").arg(node)
           : QStringLiteral("temperature poll of %1 failed: %2").arg(node, error),
        data, node);
}

void TemperaturePoller::checkAlert(const QString &node, const QMap<QString, double> &zones)
{
    if (zones.isEmpty())
        return;
    auto hottest = zones.cbegin();
    for (auto it = zones.cbegin(); it != zones.cend(); ++it) {
        if (it.value() > hottest.value())
            hottest = it;
    }
    const QString key = QStringLiteral("temperature_high:") + node;
    if (hottest.value() > m_options.highCelsius) {
        m_events->raiseAlert(key, QStringLiteral("temperature_high"), EventBus::Severity::Critical,
            QStringLiteral("Temperature high"),
            QStringLiteral("%1: %2 at %3 (limit %4)")
                .arg(node, hottest.key(), celsiusText(hottest.value()),
                    celsiusText(m_options.highCelsius)),
            node,
            QJsonObject {{QStringLiteral("sensor"), hottest.key()},
                {QStringLiteral("celsius"), hottest.value()},
                {QStringLiteral("threshold"), m_options.highCelsius}});
    } else if (hottest.value() <= m_options.clearCelsius) {
        m_events->resolveAlert(key,
            QStringLiteral("%1: hottest sensor %2 at %3")
                .arg(node, hottest.key(), celsiusText(hottest.value())));
    }
}

} // namespace jarvis::realtime
