// When MemoryTrimmer gives freed memory back (malloc_trim after many sessions ended): not per
// release, not below the threshold, once after the releases stop (debounced), at the latest
// maxDelayMs after it became due even while releases keep coming; and a real Application notes
// every ended Engine.IO session. Time is a core::ManualClock stepped by the test.
#include "app/application.h"
#include "app/memorytrimmer.h"
#include "core/clock.h"

#include <QTcpSocket>
#include <QTest>

using namespace jarvis;

class TestMemoryTrimmer : public QObject
{
    Q_OBJECT

private slots:
    void belowThresholdNeverTrims();
    void debouncedOnceAfterTheLastRelease();
    void steadyReleasesTrimByTheDeadline();
    void applicationNotesEndedSessions();
};

void TestMemoryTrimmer::belowThresholdNeverTrims()
{
    int trims = 0;
    core::ManualClock clock;
    app::MemoryTrimmer trimmer(
        {10, 0, 0}, [&] { ++trims; }, &clock);
    trimmer.noteRelease(9);
    QVERIFY(!trimmer.isPending()); // no timer runs: nothing can happen later either
    QCOMPARE(clock.activeTickers(), 0);
    clock.advance(3600 * 1000);
    QCOMPARE(trims, 0);
    QCOMPARE(trimmer.releasesSinceTrim(), 9);
}

void TestMemoryTrimmer::debouncedOnceAfterTheLastRelease()
{
    int trims = 0;
    core::ManualClock clock;
    app::MemoryTrimmer trimmer(
        {10, 20, 60000}, [&] { ++trims; }, &clock);
    for (int i = 0; i < 25; ++i) {
        trimmer.noteRelease();
        clock.advance(10); // releases 10 ms apart: each one puts the trim off again
    }
    QVERIFY(trimmer.isPending());
    QCOMPARE(trims, 0); // never from inside a release
    clock.advance(9); // 19 ms after the last release
    QCOMPARE(trims, 0);
    clock.advance(1);
    QCOMPARE(trims, 1);
    QVERIFY(!trimmer.isPending());
    QCOMPARE(trimmer.releasesSinceTrim(), 0);
    QCOMPARE(trimmer.trims(), 1);
    // The count starts again.
    trimmer.noteRelease(9);
    QVERIFY(!trimmer.isPending());
    trimmer.noteRelease();
    QVERIFY(trimmer.isPending());
    clock.advance(20);
    QCOMPARE(trims, 2);
    clock.advance(60000);
    QCOMPARE(trims, 2); // once per batch
}

void TestMemoryTrimmer::steadyReleasesTrimByTheDeadline()
{
    // The quiet period never comes (a release every 10 ms), the deadline does: 50 ms after the
    // first release, not later and not before.
    int trims = 0;
    core::ManualClock clock;
    app::MemoryTrimmer trimmer(
        {1, 60000, 50}, [&] { ++trims; }, &clock);
    for (int i = 0; i < 5; ++i) {
        trimmer.noteRelease();
        QCOMPARE(trims, 0);
        clock.advance(10);
    }
    QCOMPARE(trims, 1);
    QVERIFY(!trimmer.isPending());
}

void TestMemoryTrimmer::applicationNotesEndedSessions()
{
    config::Config config;
    config.listen = QStringLiteral("127.0.0.1");
    config.port = 0;
    config.jwtSecret = "memory-trimmer-secret-memory-trimmer-secret-0123456789";
    app::Application application(config);
    QString error;
    QVERIFY2(application.start(&error), qPrintable(error));
    app::MemoryTrimmer *trimmer = application.memoryTrimmer();
    QVERIFY(trimmer);
    const int before = trimmer->releasesSinceTrim();
    for (int i = 0; i < 3; ++i) {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, application.port());
        QVERIFY(socket.waitForConnected(5000));
        socket.write(
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        QByteArray got;
        QVERIFY(QTest::qWaitFor(
            [&] {
                got += socket.readAll();
                return got.contains("\"sid\"");
            },
            10000));
        socket.abort(); // the session ends with its connection
        QTRY_COMPARE(trimmer->releasesSinceTrim(), before + i + 1);
    }
}

QTEST_GUILESS_MAIN(TestMemoryTrimmer)

#include "tst_memorytrimmer.moc"
