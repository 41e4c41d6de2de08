#pragma once

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QPointer>

#include <memory>

namespace jarvis::core {

// A repeating timer behind an interface, so that the timed parts of the service (the cluster
// emitter, the temperature poller) can be stepped by hand in tests instead of waiting on real
// time. Semantics follow QTimer: start() (re)starts, the next timeout is one interval later;
// setInterval() on an active ticker restarts it.
class Ticker : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    virtual void setInterval(int ms) = 0;
    virtual int interval() const = 0;
    virtual void start() = 0;
    virtual void stop() = 0;
    virtual bool isActive() const = 0;

Q_SIGNALS:
    void timeout();
};

// Where the time and the tickers come from. The service uses Clock::system() (QDateTime and
// QTimer), handed in through the composition root (app::Application); tests hand in a
// ManualClock.
class Clock
{
public:
    virtual ~Clock() = default;
    virtual QDateTime now() const = 0; // UTC
    virtual Ticker *createTicker(QObject *parent) = 0;

    static Clock *system(); // the real one, lives as long as the process
};

// Time that moves only when advance() is called: a test steps it, due tickers fire at once, in
// the order of their deadlines, each as often as it is due. Main thread.
class ManualClock : public Clock
{
public:
    explicit ManualClock(QDateTime start = QDateTime::fromSecsSinceEpoch(1750000000, Qt::UTC));
    ~ManualClock() override;

    QDateTime now() const override;
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
