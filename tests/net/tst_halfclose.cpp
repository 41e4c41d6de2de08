// net::HalfClose, the one way both WebSocket transports end a connection, on 127.0.0.1: our last
// bytes reach a peer that is still sending, followed by the end of the stream (not a reset that
// would discard them), and the connection goes once the peer closes too, or at the deadline.
#include "net/bytestream.h"
#include "net/halfclose.h"

#include <QCoreApplication>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <fcntl.h>

using namespace jarvis::net;

namespace {

// A connected pair: `client`, and the accepted `server` socket.
struct Pair
{
    QTcpServer listener;
    QTcpSocket client;
    QPointer<QTcpSocket> server;

    bool open()
    {
        if (!listener.listen(QHostAddress::LocalHost, 0))
            return false;
        client.connectToHost(QHostAddress::LocalHost, listener.serverPort());
        if (!client.waitForConnected(5000) || !listener.waitForNewConnection(5000))
            return false;
        server = listener.nextPendingConnection();
        return server != nullptr;
    }
};

// The server side on its own descriptor, as RawWsTransport::accept() moves it to an FdStream.
FdStream *takeStream(QTcpSocket *socket)
{
    const int fd = ::fcntl(int(socket->socketDescriptor()), F_DUPFD_CLOEXEC, 0);
    socket->abort(); // closes Qt's descriptor only; the connection stays
    delete socket;
    return fd < 0 ? nullptr : new FdStream(fd);
}

// Reads from `client` until the peer ends the stream: what arrived before the end.
bool readToEnd(QTcpSocket &client, QByteArray *received, int timeoutMs = 30000)
{
    return QTest::qWaitFor(
        [&] {
            *received += client.readAll();
            return client.state() == QAbstractSocket::UnconnectedState;
        },
        timeoutMs);
}

} // namespace

class TestHalfClose : public QObject
{
    Q_OBJECT
private slots:
    void lastBytesArriveWhilePeerSends();
    void deadlineEndsSilentPeer();
    void afterSocketClosesWaitsForTheWriter();
};

void TestHalfClose::lastBytesArriveWhilePeerSends()
{
    Pair pair;
    QVERIFY(pair.open());
    FdStream *stream = takeStream(pair.server);
    QVERIFY(stream);
    // The peer sends what we will never read: closing with it unread would reset the connection.
    pair.client.write(QByteArray(256 * 1024, 'x'));
    QTRY_COMPARE(pair.client.bytesToWrite(), 0);

    QObject owner;
    stream->write("last words");
    auto *halfClose = new HalfClose(stream, 60000, &owner);
    QSignalSpy finished(halfClose, &HalfClose::finished);

    // The peer gets our bytes, then a clean end of stream, although it kept sending.
    QByteArray received;
    pair.client.write(QByteArray(64 * 1024, 'y'));
    QVERIFY(QTest::qWaitFor(
        [&] {
            received += pair.client.readAll();
            return received == "last words";
        },
        30000));
    QVERIFY(readToEnd(pair.client, &received));
    QCOMPARE(received, QByteArray("last words"));
    // QTcpSocket closes its side when it reads the end: the connection is gone, finished().
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
    QVERIFY(halfClose->isFinished());
    QVERIFY(!stream->isOpen());
}

void TestHalfClose::deadlineEndsSilentPeer()
{
    Pair pair;
    QVERIFY(pair.open());
    FdStream *stream = takeStream(pair.server);
    QVERIFY(stream);
    // A raw peer that never reads the end nor closes: only the deadline ends it.
    const int peer = ::fcntl(int(pair.client.socketDescriptor()), F_DUPFD_CLOEXEC, 0);
    QVERIFY(peer >= 0);
    pair.client.abort();
    QPointer<HalfClose> halfClose = new HalfClose(stream, 100); // no parent: deletes itself
    QSignalSpy finished(halfClose.data(), &HalfClose::finished);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(halfClose.isNull(), 30000);
    ::close(peer);
}

void TestHalfClose::afterSocketClosesWaitsForTheWriter()
{
    Pair pair;
    QVERIFY(pair.open());
    // Qt still holds most of a large answer when the half-close is set up (as QWebSocket does
    // with its close frame): our side may be shut only once Qt has written it all.
    const QByteArray answer(8 * 1024 * 1024, 'a');
    pair.server->write(answer);
    QVERIFY(pair.server->bytesToWrite() > 0);
    const int fd = ::fcntl(int(pair.server->socketDescriptor()), F_DUPFD_CLOEXEC, 0);
    QVERIFY(fd >= 0);
    HalfClose::afterSocketCloses(pair.server, fd, 60000);
    pair.server->disconnectFromHost(); // Qt closes its descriptor once everything is written
    pair.client.write(QByteArray(64 * 1024, 'y')); // and the peer still sends

    QByteArray received;
    QVERIFY(readToEnd(pair.client, &received));
    QCOMPARE(received.size(), answer.size());
    QCOMPARE(received, answer);
    // The peer closed too: the HalfClose (a child of the application until then) is gone.
    QTRY_VERIFY_WITH_TIMEOUT(
        QCoreApplication::instance()->findChildren<HalfClose *>().isEmpty(), 30000);
}

QTEST_GUILESS_MAIN(TestHalfClose)
#include "tst_halfclose.moc"
