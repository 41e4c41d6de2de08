// A client that stops reading while a namespace broadcasts, on a real Application over 127.0.0.1:
// snapshots (Delivery::Latest) are skipped for it once 4 MiB wait for it, reliable events queue
// up to 64 MiB and then the server closes its session; a client that reads gets every event; the
// server's queue for the slow client stays bounded all along.
#include "app/application.h"
#include "rawsioclient.h"
#include "realtime/enginesocket.h"
#include "realtime/sioserver.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QTcpSocket>
#include <QTest>

using namespace jarvis;

namespace {

const QString Nsp = QStringLiteral("/slow");

} // namespace

class TestSlowConsumer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void snapshotsSkippedThenReliableCloses();
};

void TestSlowConsumer::snapshotsSkippedThenReliableCloses()
{
    config::Config config;
    config.listen = QStringLiteral("127.0.0.1");
    config.port = 0;
    config.jwtSecret = "slow-consumer-secret-slow-consumer-secret-0123456789";
    // Neither client answers pings (drain() only reads): with the default heartbeat (25 s + 20 s)
    // a run slower than 45 s (a loaded machine, the sanitizer build) lost both sessions to the
    // ping timeout instead of the slow one to its queue. Heartbeats are not under test here.
    config.pingInterval = 600000;
    config.pingTimeout = 600000;
    app::Application application(config);
    QString error;
    QVERIFY2(application.start(&error), qPrintable(error));
    realtime::Namespace *nsp = application.addProtectedNamespace(Nsp);
    const QString token = application.jwt().issue(QStringLiteral("tester"), 3600);

    RawSioClient slow;
    RawSioClient reader;
    QVERIFY(slow.join(application.port(), Nsp.toUtf8(), token.toUtf8()));
    QVERIFY(reader.join(application.port(), Nsp.toUtf8(), token.toUtf8()));
    QTRY_COMPARE(nsp->sockets().size(), 2);
    realtime::EngineSocket *slowEngine = nullptr;
    for (realtime::SioSocket *socket : nsp->sockets()) {
        // The slow client joined first.
        if (!slowEngine)
            slowEngine = socket->engine();
    }
    QVERIFY(slowEngine);
    QPointer<realtime::EngineSocket> slowSession(slowEngine);
    slow.socket.setReadBufferSize(1); // stops reading: the kernel buffers fill, then ours

    const QString megabyte(1024 * 1024, QLatin1Char('x'));
    const realtime::Message message {QJsonArray {megabyte}, {}};
    constexpr qint64 SnapshotLimit = 4 * 1024 * 1024;
    constexpr qint64 ReliableLimit = 64 * 1024 * 1024;
    constexpr qint64 Slack = 2 * 1024 * 1024; // one message and its framing

    // Snapshots: once 4 MiB wait for the slow client, it is skipped; the reader gets them all.
    qint64 worst = 0;
    int sent = 0;
    for (int i = 0; i < 40; ++i) {
        nsp->broadcast(QStringLiteral("vms"), message, realtime::Namespace::Delivery::Latest);
        ++sent;
        // Through the QPointer: a session closed early (it used to be, by the ping timeout) must
        // fail the test, not leave a dangling pointer.
        QVERIFY2(slowSession, "the slow client's session closed while only snapshots were sent");
        worst = qMax(worst, slowSession->pendingBytes());
        for (int k = 0; k < 5; ++k) {
            QTest::qWait(1);
            reader.drain();
        }
    }
    QVERIFY2(nsp->skippedSnapshots() > 0, "no snapshot was skipped for the slow client");
    QVERIFY2(worst <= SnapshotLimit + Slack, qPrintable(QString::number(worst)));
    QVERIFY(slowSession); // still connected: skipping is all that happens to it

    // Reliable events: queued for it until 64 MiB, then its session is closed.
    for (int i = 0; i < 120 && slowSession && slowSession->isAlive(); ++i) {
        nsp->broadcast(QStringLiteral("event"), message);
        ++sent;
        if (slowSession)
            worst = qMax(worst, slowSession->pendingBytes());
        for (int k = 0; k < 5; ++k) {
            QTest::qWait(1);
            reader.drain();
        }
    }
    QTRY_COMPARE(nsp->sockets().size(), 1);
    QVERIFY2(worst <= ReliableLimit + Slack, qPrintable(QString::number(worst)));
    QVERIFY2(worst > SnapshotLimit, "the reliable queue never grew past the snapshot limit");

    // The reader got every event, snapshots included (each carries the whole megabyte).
    const qint64 expected = qint64(sent) * megabyte.size();
    QDeadlineTimer deadline(30000);
    while (reader.total < expected && !deadline.hasExpired()) {
        QTest::qWait(5);
        reader.drain();
    }
    QVERIFY2(reader.total >= expected,
        qPrintable(QStringLiteral("%1 of %2 bytes").arg(reader.total).arg(expected)));
    QCOMPARE(nsp->sockets().size(), 1);
}

QTEST_MAIN(TestSlowConsumer)

#include "tst_slowconsumer.moc"
