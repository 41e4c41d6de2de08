#include "core/clock.h"

#include <QElapsedTimer>
#include <QTimer>

#include <limits>

namespace jarvis::core {

namespace {

class SystemTicker : public Ticker
{
public:
    explicit SystemTicker(QObject *parent)
        : Ticker(parent)
    {
        // Precise: deadlines (SSH connect, exec, keepalive) and poll ticks may not be 5 % late.
        m_timer.setTimerType(Qt::PreciseTimer);
        connect(&m_timer, &QTimer::timeout, this, &Ticker::timeout);
    }
    void setInterval(int ms) override { m_timer.setInterval(ms); }
    int interval() const override { return m_timer.interval(); }
    void setSingleShot(bool singleShot) override { m_timer.setSingleShot(singleShot); }
    bool isSingleShot() const override { return m_timer.isSingleShot(); }
    void start() override { m_timer.start(); }
    void stop() override { m_timer.stop(); }
    bool isActive() const override { return m_timer.isActive(); }

private:
    QTimer m_timer;
};

class SystemClock : public Clock
{
public:
    QDateTime now() const override { return QDateTime::currentDateTimeUtc(); }
    qint64 monotonicMs() const override
    {
        QElapsedTimer timer;
        timer.start();
        return timer.msecsSinceReference();
    }
    Ticker *createTicker(QObject *parent) override { return new SystemTicker(parent); }
};

} // namespace

void Clock::callLater(int ms, QObject *context, std::function<void()> fn)
{
    Ticker *ticker = createTicker(context);
    ticker->setSingleShot(true);
    QObject::connect(ticker, &Ticker::timeout, ticker, [ticker, fn = std::move(fn)] {
        ticker->deleteLater();
        fn();
    });
    ticker->startIn(ms);
}

Clock *Clock::system()
{
    static SystemClock clock;
    return &clock;
}

class ManualTicker;

struct ManualClock::State
{
    qint64 nowMs = 0;
    quint64 nextOrder = 0; // ties between equal deadlines go to the ticker started first
    QList<QPointer<ManualTicker>> tickers;
};

class ManualTicker : public Ticker
{
public:
    ManualTicker(std::shared_ptr<ManualClock::State> state, QObject *parent)
        : Ticker(parent)
        , m_state(std::move(state))
    { }
    void setInterval(int ms) override
    {
        m_interval = ms;
        if (m_active)
            start();
    }
    int interval() const override { return m_interval; }
    void setSingleShot(bool singleShot) override { m_singleShot = singleShot; }
    bool isSingleShot() const override { return m_singleShot; }
    void start() override
    {
        m_active = true;
        m_due = m_state->nowMs + qMax(1, m_interval);
        m_order = m_state->nextOrder++;
    }
    void stop() override { m_active = false; }
    bool isActive() const override { return m_active; }

    // Called by ManualClock::advance.
    qint64 due() const { return m_due; }
    quint64 order() const { return m_order; }
    void fire()
    {
        if (m_singleShot)
            m_active = false;
        else
            m_due += qMax(1, m_interval);
        Q_EMIT timeout();
    }

private:
    std::shared_ptr<ManualClock::State> m_state;
    int m_interval = 0;
    bool m_singleShot = false;
    bool m_active = false;
    qint64 m_due = 0;
    quint64 m_order = 0;
};

ManualClock::ManualClock(QDateTime start)
    : m_state(std::make_shared<State>())
{
    m_state->nowMs = start.toMSecsSinceEpoch();
}

ManualClock::~ManualClock() = default;

QDateTime ManualClock::now() const
{
    return QDateTime::fromMSecsSinceEpoch(m_state->nowMs, Qt::UTC);
}

qint64 ManualClock::monotonicMs() const
{
    return m_state->nowMs;
}

Ticker *ManualClock::createTicker(QObject *parent)
{
    auto *ticker = new ManualTicker(m_state, parent);
    m_state->tickers.append(ticker);
    return ticker;
}

void ManualClock::advance(int ms)
{
    const qint64 target = m_state->nowMs + qMax(0, ms);
    for (;;) {
        m_state->tickers.removeIf([](const QPointer<ManualTicker> &t) { return t.isNull(); });
        ManualTicker *next = nullptr;
        for (const QPointer<ManualTicker> &t : std::as_const(m_state->tickers)) {
            if (!t || !t->isActive() || t->due() > target)
                continue;
            if (!next || t->due() < next->due()
                || (t->due() == next->due() && t->order() < next->order()))
                next = t;
        }
        if (!next)
            break;
        m_state->nowMs = next->due();
        next->fire(); // may start, stop or delete tickers, this one included
    }
    m_state->nowMs = target;
}

int ManualClock::activeTickers() const
{
    int n = 0;
    for (const QPointer<ManualTicker> &t : std::as_const(m_state->tickers))
        n += (t && t->isActive()) ? 1 : 0;
    return n;
}

} // namespace jarvis::core
