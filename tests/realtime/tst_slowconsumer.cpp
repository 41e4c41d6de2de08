// A client that stops reading while a namespace broadcasts, on a real Application over 127.0.0.1:
// snapshots (Delivery::Latest) are skipped for it once 4 MiB wait for it, reliable events queue
// up to 64 MiB and then the server closes its session; a client that reads gets every event; the
// server's queue for the slow client stays bounded all along.
#include "app/application.h"
#include "rawsioclient.h"
#include "realtime/engineserver.h"
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
    void pingFloodBeforeAuth_data();
    void pingFloodBeforeAuth();
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

void TestSlowConsumer::pingFloodBeforeAuth_data()
{
    QTest::addColumn<bool>("engineIo"); // Engine.IO ping packets; otherwise WebSocket ping frames
    QTest::addColumn<int>("size"); // of each ping's data
    QTest::addColumn<int>("pings");
    // 19 to 36 MB of pongs: more than the kernel buffers take.
    QTest::newRow("websocket ping frames") << false << 120 << 150000;
    QTest::newRow("engine.io ping packets") << true << 120 << 150000;
    QTest::newRow("engine.io pings with large data") << true << 60000 << 600;
}

// A client that opens a WebSocket, never authenticates, pings as fast as it can and never reads:
// only its latest unanswered ping is answered, so what the server queues for it stays a pong or
// two; its last ping still gets its pong once it reads; a reader on the same server is served
// all along.
void TestSlowConsumer::pingFloodBeforeAuth()
{
    QFETCH(bool, engineIo);
    QFETCH(int, size);
    QFETCH(int, pings);
    config::Config config;
    config.listen = QStringLiteral("127.0.0.1");
    config.port = 0;
    config.jwtSecret = "slow-consumer-secret-slow-consumer-secret-0123456789";
    app::Application application(config);
    QString error;
    QVERIFY2(application.start(&error), qPrintable(error));
    realtime::Namespace *nsp = application.addProtectedNamespace(Nsp);
    const QString token = application.jwt().issue(QStringLiteral("tester"), 3600);
    RawSioClient reader;
    QVERIFY(reader.join(application.port(), Nsp.toUtf8(), token.toUtf8()));
    QTRY_COMPARE(nsp->sockets().size(), 1);
    realtime::EngineSocket *readerEngine = nsp->sockets().first()->engine();

    // The flooder: the upgrade and the open packet, nothing more.
    QTcpSocket flooder;
    flooder.connectToHost(QHostAddress::LocalHost, application.port());
    QVERIFY(flooder.waitForConnected(5000));
    flooder.write(
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    QByteArray got;
    QVERIFY(QTest::qWaitFor(
        [&] {
            got += flooder.readAll();
            return got.contains("\"sid\"");
        },
        10000));
    auto *engineServer = application.findChild<realtime::EngineServer *>();
    QVERIFY(engineServer);
    QPointer<realtime::EngineSocket> flood;
    for (realtime::EngineSocket *session : engineServer->findChildren<realtime::EngineSocket *>()) {
        if (session != readerEngine)
            flood = session;
    }
    QVERIFY(flood);
    flooder.setReadBufferSize(1); // stops reading

    auto payload = [&](int i) { return QByteArray::number(i).rightJustified(size, '.'); };
    auto frame = [&](int i) {
        return engineIo ? wstest::text('2' + payload(i)) : wstest::frame(0x89, payload(i));
    };
    const int Pings = pings;
    qint64 worst = 0;
    for (int i = 0; i < Pings;) {
        QByteArray batch;
        for (int k = 0; k < 1000 && i < Pings && batch.size() < 1'000'000; ++k, ++i)
            batch += frame(i);
        flooder.write(batch);
        while (flooder.bytesToWrite() > 1'000'000) {
            QTest::qWait(1);
            QVERIFY(flood);
            worst = qMax(worst, flood->pendingBytes());
            reader.drain();
        }
    }
    QTRY_COMPARE(flooder.bytesToWrite(), 0);

    // The reader is served while the flooder waits.
    reader.total = 0;
    nsp->broadcast(QStringLiteral("vms"), realtime::Message::of(QStringLiteral("still here")));
    QTRY_VERIFY(reader.drain() > 0 || reader.total > 0);

    // Now the flooder reads: the last thing it gets is the pong for its last ping.
    const QByteArray last = engineIo ? '3' + payload(Pings - 1) : payload(Pings - 1);
    flooder.setReadBufferSize(0);
    QByteArray stream;
    QByteArray lastPayload;
    int pongs = 0;
    QDeadlineTimer deadline(30000);
    while (lastPayload != last && !deadline.hasExpired()) {
        QVERIFY(flood);
        worst = qMax(worst, flood->pendingBytes());
        QTest::qWait(1);
        stream += flooder.readAll();
        while (stream.size() >= 2) { // unmasked server frames under 64 KiB
            const int length = quint8(stream[1]) & 0x7F;
            const int header = length == 126 ? 4 : 2;
            const int size = length == 126 ? (quint8(stream[2]) << 8 | quint8(stream[3])) : length;
            if (stream.size() < header + size)
                break;
            lastPayload = stream.mid(header, size);
            stream.remove(0, header + size);
            ++pongs;
        }
    }
    QCOMPARE(lastPayload, last);
    QVERIFY2(pongs < Pings / 2, qPrintable(QString::number(pongs)));
    QVERIFY2(worst <= 2 * (size + 16), qPrintable(QString::number(worst)));
    QVERIFY(flood && flood->isAlive());
}

QTEST_MAIN(TestSlowConsumer)

#include "tst_slowconsumer.moc"
