#pragma once

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QPointer>

#include <functional>
#include <memory>

namespace jarvis::core {

// A timer behind an interface, so that the timed parts (the cluster emitter, the temperature
// poller, the SSH connection, the Socket.IO client, the memory trimmer) can be stepped by hand in
// tests instead of waiting on real time. Semantics follow QTimer: start() (re)starts, the next
// timeout is one interval later; setInterval() on an active ticker restarts it; a single-shot
// ticker stops before its timeout is emitted.
class Ticker : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    virtual void setInterval(int ms) = 0;
    virtual int interval() const = 0;
    virtual void setSingleShot(bool singleShot) = 0;
    virtual bool isSingleShot() const = 0;
    virtual void start() = 0;
    virtual void stop() = 0;
    virtual bool isActive() const = 0;

    // QTimer::start(ms): the interval, then start().
    void startIn(int ms)
    {
        setInterval(ms);
        start();
    }

Q_SIGNALS:
    void timeout();
};

// Where the time and the tickers come from. The service uses Clock::system() (QDateTime,
// QElapsedTimer and QTimer), handed in through the composition root (app::Application); tests
// hand in a ManualClock. shared/ (the client needs it too), so the service and the console use
// one clock.
class Clock
{
public:
    virtual ~Clock() = default;
    virtual QDateTime now() const = 0; // UTC
    // Milliseconds that never go back (deadlines and elapsed times; not a date).
    virtual qint64 monotonicMs() const = 0;
    virtual Ticker *createTicker(QObject *parent) = 0;

    // QTimer::singleShot(ms, context, fn) on this clock: `fn` runs once, `ms` from now, unless
    // `context` is destroyed first.
    void callLater(int ms, QObject *context, std::function<void()> fn);

    static Clock *system(); // the real one, lives as long as the process
    static Clock *orSystem(Clock *clock) { return clock ? clock : system(); }
};

// Time that moves only when advance() is called: a test steps it, due tickers fire at once, in
// the order of their deadlines, each as often as it is due. Main thread.
class ManualClock : public Clock
{
public:
    explicit ManualClock(QDateTime start = QDateTime::fromSecsSinceEpoch(1750000000, Qt::UTC));
    ~ManualClock() override;

    QDateTime now() const override;
    qint64 monotonicMs() const override;
    Ticker *createTicker(QObject *parent) override;

    // Moves the time forward by `ms` and fires what becomes due on the way.
    void advance(int ms);
    // Tickers started and not stopped (a paused poller has none).
    int activeTickers() const;

    struct State;

private:
    std::shared_ptr<State> m_state;
};

} // namespace jarvis::core
