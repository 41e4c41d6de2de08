// When MemoryTrimmer gives freed memory back (malloc_trim after many sessions ended): not per
// release, not below the threshold, once after the releases stop (debounced), at the latest
// maxDelayMs after it became due even while releases keep coming; and a real Application notes
// every ended Engine.IO session.
#include "app/application.h"
#include "app/memorytrimmer.h"

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
    app::MemoryTrimmer trimmer({10, 0, 0}, [&] { ++trims; });
    trimmer.noteRelease(9);
    QVERIFY(!trimmer.isPending()); // no timer runs: nothing can happen later either
    QCoreApplication::processEvents();
    QCOMPARE(trims, 0);
    QCOMPARE(trimmer.releasesSinceTrim(), 9);
}

void TestMemoryTrimmer::debouncedOnceAfterTheLastRelease()
{
    int trims = 0;
    app::MemoryTrimmer trimmer({10, 20, 60000}, [&] { ++trims; });
    for (int i = 0; i < 25; ++i)
        trimmer.noteRelease();
    QVERIFY(trimmer.isPending());
    QCOMPARE(trims, 0); // never from inside a release
    QTRY_COMPARE(trims, 1);
    QVERIFY(!trimmer.isPending());
    QCOMPARE(trimmer.releasesSinceTrim(), 0);
    QCOMPARE(trimmer.trims(), 1);
    // The count starts again.
    trimmer.noteRelease(9);
    QVERIFY(!trimmer.isPending());
    trimmer.noteRelease();
    QVERIFY(trimmer.isPending());
    QTRY_COMPARE(trims, 2);
}

void TestMemoryTrimmer::steadyReleasesTrimByTheDeadline()
{
    // The quiet period never comes (a release every turn of the loop), the deadline does.
    int trims = 0;
    app::MemoryTrimmer trimmer({1, 60000, 50}, [&] { ++trims; });
    while (trims == 0) {
        trimmer.noteRelease();
        QTest::qWait(1);
    }
    QCOMPARE(trims, 1);
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
