// The clock every timed part takes (shared/core/clock.h): ManualClock, which the tests of those
// parts step by hand, behaves like QTimer on real time (order, repeats, single shots, restarts,
// tickers stopped or deleted from a handler), and the system clock is the real one.
#include "core/clock.h"

#include <QPointer>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace jarvis::core;

class TestClock : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void firesInDeadlineOrder();
    void repeatsAsOftenAsDue();
    void singleShotFiresOnce();
    void setIntervalRestartsFromNow();
    void tiesGoToTheTickerStartedFirst();
    void stopFromAnotherHandler();
    void deleteFromAHandler();
    void restartFromItsOwnHandler();
    void zeroIntervalDoesNotSpin();
    void callLaterOnceAndOnlyWhileTheContextLives();
    void activeTickers();
    void systemClock();
};

namespace {
// Each timeout appends "<name>@<ms since the start>" to `log`.
Ticker *logged(ManualClock &clock, QObject *parent, const QString &name, int intervalMs,
    QStringList *log, qint64 startMs, bool singleShot = false)
{
    Ticker *t = clock.createTicker(parent);
    t->setSingleShot(singleShot);
    QObject::connect(t, &Ticker::timeout, parent, [&clock, name, log, startMs] {
        log->append(QStringLiteral("%1@%2").arg(name).arg(clock.monotonicMs() - startMs));
    });
    t->startIn(intervalMs);
    return t;
}
} // namespace

void TestClock::firesInDeadlineOrder()
{
    ManualClock clock;
    QObject owner;
    QStringList log;
    const qint64 start = clock.monotonicMs();
    const QDateTime startDate = clock.now();
    logged(clock, &owner, "c", 30, &log, start, true);
    logged(clock, &owner, "a", 10, &log, start, true);
    logged(clock, &owner, "b", 20, &log, start, true);
    clock.advance(25);
    QCOMPARE(log, QStringList({"a@10", "b@20"}));
    QCOMPARE(clock.monotonicMs() - start, 25); // the target, not the last deadline
    QCOMPARE(clock.now(), startDate.addMSecs(25));
    QCOMPARE(clock.now().timeSpec(), Qt::UTC);
    clock.advance(5);
    QCOMPARE(log, QStringList({"a@10", "b@20", "c@30"}));
}

void TestClock::repeatsAsOftenAsDue()
{
    ManualClock clock;
    QObject owner;
    QStringList log;
    const qint64 start = clock.monotonicMs();
    logged(clock, &owner, "r", 10, &log, start);
    logged(clock, &owner, "s", 25, &log, start);
    clock.advance(55);
    QCOMPARE(log, QStringList({"r@10", "r@20", "s@25", "r@30", "r@40", "r@50", "s@50"}));
}

void TestClock::singleShotFiresOnce()
{
    ManualClock clock;
    QObject owner;
    QStringList log;
    Ticker *t = logged(clock, &owner, "once", 10, &log, clock.monotonicMs(), true);
    QVERIFY(t->isActive());
    clock.advance(100);
    QCOMPARE(log, QStringList({"once@10"}));
    QVERIFY(!t->isActive()); // already inactive inside the handler, as QTimer
    t->start(); // again, from now
    clock.advance(9);
    QCOMPARE(log.size(), 1);
    clock.advance(1);
    QCOMPARE(log, QStringList({"once@10", "once@110"}));
}

void TestClock::setIntervalRestartsFromNow()
{
    ManualClock clock;
    QObject owner;
    QStringList log;
    const qint64 start = clock.monotonicMs();
    Ticker *t = logged(clock, &owner, "t", 10, &log, start);
    clock.advance(7);
    t->setInterval(10); // active: restarts, next at 17
    clock.advance(5);
    QVERIFY(log.isEmpty());
    clock.advance(5);
    QCOMPARE(log, QStringList({"t@17"}));
    t->stop();
    t->setInterval(3); // inactive: stays stopped
    clock.advance(100);
    QCOMPARE(log.size(), 1);
    QCOMPARE(t->interval(), 3);
}

void TestClock::tiesGoToTheTickerStartedFirst()
{
    ManualClock clock;
    QObject owner;
    QStringList log;
    const qint64 start = clock.monotonicMs();
    logged(clock, &owner, "first", 10, &log, start, true);
    logged(clock, &owner, "second", 10, &log, start, true);
    clock.advance(10);
    QCOMPARE(log, QStringList({"first@10", "second@10"}));
}

void TestClock::stopFromAnotherHandler()
{
    ManualClock clock;
    QObject owner;
    QStringList log;
    const qint64 start = clock.monotonicMs();
    Ticker *stopper = logged(clock, &owner, "stopper", 10, &log, start, true);
    Ticker *victim = logged(clock, &owner, "victim", 10, &log, start);
    connect(stopper, &Ticker::timeout, victim, &Ticker::stop);
    clock.advance(50);
    QCOMPARE(log, QStringList({"stopper@10"}));
}

void TestClock::deleteFromAHandler()
{
    ManualClock clock;
    QObject owner;
    QStringList log;
    const qint64 start = clock.monotonicMs();
    Ticker *killer = logged(clock, &owner, "killer", 10, &log, start);
    QPointer<Ticker> victim = logged(clock, &owner, "victim", 10, &log, start);
    connect(killer, &Ticker::timeout, &owner, [&] {
        delete victim.data();
        delete killer; // itself, from its own handler
    });
    clock.advance(50);
    QCOMPARE(log, QStringList({"killer@10"}));
    QVERIFY(victim.isNull());
    QCOMPARE(clock.activeTickers(), 0);
}

void TestClock::restartFromItsOwnHandler()
{
    ManualClock clock;
    QObject owner;
    QStringList log;
    const qint64 start = clock.monotonicMs();
    Ticker *t = logged(clock, &owner, "t", 10, &log, start);
    int fired = 0;
    connect(t, &Ticker::timeout, &owner, [&] {
        if (++fired == 1)
            t->startIn(15); // the next one 15 after this one, not 10
    });
    clock.advance(45);
    QCOMPARE(log, QStringList({"t@10", "t@25", "t@40"}));
}

void TestClock::zeroIntervalDoesNotSpin()
{
    // QTimer(0) fires once per event-loop pass; here once per millisecond of advance().
    ManualClock clock;
    QObject owner;
    QStringList log;
    logged(clock, &owner, "z", 0, &log, clock.monotonicMs());
    clock.advance(3);
    QCOMPARE(log, QStringList({"z@1", "z@2", "z@3"}));
}

void TestClock::callLaterOnceAndOnlyWhileTheContextLives()
{
    ManualClock clock;
    int calls = 0;
    QObject context;
    clock.callLater(20, &context, [&] { ++calls; });
    clock.advance(19);
    QCOMPARE(calls, 0);
    clock.advance(100);
    QCOMPARE(calls, 1);
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete); // its ticker
    QCOMPARE(clock.activeTickers(), 0);

    auto gone = std::make_unique<QObject>();
    clock.callLater(20, gone.get(), [&] { ++calls; });
    gone.reset();
    clock.advance(100);
    QCOMPARE(calls, 1);
}

void TestClock::activeTickers()
{
    ManualClock clock;
    QObject owner;
    QCOMPARE(clock.activeTickers(), 0);
    Ticker *a = clock.createTicker(&owner);
    Ticker *b = clock.createTicker(&owner);
    QCOMPARE(clock.activeTickers(), 0); // created, not started
    a->startIn(10);
    b->startIn(10);
    QCOMPARE(clock.activeTickers(), 2);
    b->stop();
    QCOMPARE(clock.activeTickers(), 1);
    delete a;
    QCOMPARE(clock.activeTickers(), 0);
}

void TestClock::systemClock()
{
    Clock *clock = Clock::system();
    QCOMPARE(Clock::orSystem(nullptr), clock);
    ManualClock manual;
    QCOMPARE(Clock::orSystem(&manual), &manual);
    QCOMPARE(clock->now().timeSpec(), Qt::UTC);
    QVERIFY(qAbs(clock->now().msecsTo(QDateTime::currentDateTimeUtc())) < 60000);
    const qint64 before = clock->monotonicMs();
    QObject owner;
    Ticker *t = clock->createTicker(&owner);
    t->setSingleShot(true);
    QVERIFY(t->isSingleShot());
    QSignalSpy fired(t, &Ticker::timeout);
    t->startIn(20);
    QVERIFY(t->isActive());
    QVERIFY(fired.wait(10000));
    QCOMPARE(fired.size(), 1);
    QVERIFY(!t->isActive());
    QVERIFY(clock->monotonicMs() - before >= 20); // never early
    bool called = false;
    clock->callLater(1, &owner, [&] { called = true; });
    QTRY_VERIFY_WITH_TIMEOUT(called, 10000);
}

QTEST_GUILESS_MAIN(TestClock)
#include "tst_clock.moc"
