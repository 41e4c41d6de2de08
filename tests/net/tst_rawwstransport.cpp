// RawWsTransport end to end on 127.0.0.1: a QTcpServer hands accepted sockets to
// RawWsTransport::accept(); QWebSocket clients (no compression) and hand-made raw clients
// (fragments, bad frames, permessage-deflate) talk to it.
#include "net/rawwstransport.h"
#include "net/wsdeflate.h"
#include "tlsfixture.h"
#include "wstestutil.h"

#include <QPointer>
#include <QSignalSpy>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketServer>

#include <sys/socket.h>

#include <memory>

using namespace jarvis::net;
using namespace jarvis::net::ws;

namespace {

// Accepts connections, waits for the request head (as the front door would peek it) and hands
// the socket over. Echoes what arrives unless told not to.
class Server : public QObject
{
    Q_OBJECT
public:
    // With `tls`, a QSslServer: sockets come after their TLS handshake.
    explicit Server(
        const RawWsTransport::Options &options = {}, const QSslConfiguration *tls = nullptr)
        : m_options(options)
        , m_server(tls ? new QSslServer(this) : new QTcpServer(this))
        , m_scheme(tls ? QStringLiteral("wss") : QStringLiteral("ws"))
    {
        if (tls)
            static_cast<QSslServer *>(m_server)->setSslConfiguration(*tls);
        connect(m_server, &QTcpServer::pendingConnectionAvailable, this, [this] {
            while (QTcpSocket *socket = m_server->nextPendingConnection())
                waitForHead(socket);
        });
        m_server->listen(QHostAddress::LocalHost, 0);
    }

    quint16 port() const { return m_server->serverPort(); }
    QUrl url(const QString &path = QStringLiteral("/")) const
    {
        return QUrl(QStringLiteral("%1://127.0.0.1:%2%3").arg(m_scheme).arg(port()).arg(path));
    }

    bool echo = true;
    QList<QPointer<RawWsTransport>> transports;
    QStringList acceptErrors;
    QHash<RawWsTransport *, int> closedCount;
    int totalClosed = 0;
    QStringList received;

    RawWsTransport *last() const
    {
        return transports.isEmpty() ? nullptr : transports.last().data();
    }

private:
    void waitForHead(QTcpSocket *socket)
    {
        auto tryAccept = [this, socket] {
            if (!socket->peek(65536).contains("\r\n\r\n"))
                return;
            disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
            QString error;
            RawWsTransport *transport = RawWsTransport::accept(socket, m_options, &error, this);
            if (!transport) {
                acceptErrors << error;
                return;
            }
            transports << transport;
            connect(transport, &WsTransport::textReceived, this,
                [this, transport](const QByteArray &m) {
                    received << QString::fromUtf8(m.left(100));
                    if (echo)
                        transport->sendText(m);
                });
            connect(transport, &WsTransport::binaryReceived, this,
                [this, transport](const QByteArray &m) {
                    received << QStringLiteral("binary:%1").arg(m.size());
                    if (echo)
                        transport->sendBinary(m);
                });
            connect(transport, &WsTransport::closed, this, [this, transport] {
                ++closedCount[transport];
                ++totalClosed;
                transport->deleteLater();
            });
        };
        connect(socket, &QTcpSocket::readyRead, this, tryAccept);
        tryAccept();
    }

    RawWsTransport::Options m_options;
    QTcpServer *m_server; // child
    QString m_scheme;
};

struct ServerFrame
{
    quint8 b0 = 0;
    QByteArray payload;
    bool valid = false;
    int opcode() const { return b0 & 0x0F; }
    bool rsv1() const { return b0 & 0x40; }
    int closeCode() const
    {
        return payload.size() >= 2 ? (uchar(payload[0]) << 8) | uchar(payload[1]) : 1005;
    }
};

// A client written by hand, for what QWebSocket cannot do.
class RawClient
{
public:
    bool upgrade(
        quint16 port, const QByteArray &extraHeaders = {}, const QByteArray &afterHead = {})
    {
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (!socket.waitForConnected(5000))
            return false;
        socket.write("GET /raw?k=v HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n"
            + extraHeaders + "\r\n" + afterHead);
        if (!QTest::qWaitFor([this] { return pullHead(); }, 5000))
            return false;
        return responseHead.startsWith("HTTP/1.1 101 ");
    }

    bool pullHead()
    {
        buffer += socket.readAll();
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return false;
        responseHead = buffer.left(end + 4);
        buffer.remove(0, end + 4);
        return true;
    }

    void send(const QByteArray &bytes)
    {
        socket.write(bytes);
        socket.flush();
    }

    // Waits for the next complete server frame (which must be unmasked).
    ServerFrame next(int timeoutMs = 5000)
    {
        ServerFrame frame;
        (void)QTest::qWaitFor(
            [&] {
                buffer += socket.readAll();
                return parse(&frame);
            },
            timeoutMs);
        return frame;
    }

    bool waitDisconnected(int timeoutMs = 5000)
    {
        return QTest::qWaitFor(
            [this] {
                buffer += socket.readAll();
                return socket.state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs);
    }

    QTcpSocket socket;
    QByteArray buffer;
    QByteArray responseHead;

private:
    bool parse(ServerFrame *frame)
    {
        if (buffer.size() < 2)
            return false;
        const quint8 b1 = uchar(buffer[1]);
        if (b1 & 0x80)
            return true; // masked server frame: invalid, leave frame.valid false
        qsizetype header = 2;
        quint64 length = b1 & 0x7F;
        if (length == 126) {
            if (buffer.size() < 4)
                return false;
            length = (quint64(uchar(buffer[2])) << 8) | uchar(buffer[3]);
            header = 4;
        } else if (length == 127) {
            if (buffer.size() < 10)
                return false;
            length = 0;
            for (int i = 0; i < 8; ++i)
                length = (length << 8) | uchar(buffer[2 + i]);
            header = 10;
        }
        if (quint64(buffer.size()) < header + length)
            return false;
        frame->b0 = uchar(buffer[0]);
        frame->payload = buffer.mid(header, qsizetype(length));
        frame->valid = true;
        buffer.remove(0, header + qsizetype(length));
        return true;
    }
};

QByteArray inflateMessage(const QByteArray &compressed)
{
    Inflater inflater;
    QByteArray out;
    if (inflater.inflate(compressed, &out, 100'000'000) != Inflater::Status::Ok
        || inflater.finishMessage(&out, 100'000'000) != Inflater::Status::Ok)
        return "<inflate error>";
    return out;
}

} // namespace

// A full WebSocket handshake with `server` on a new connection: the event loop has turned enough
// for everything that reached the server's sockets before to be processed. Tests wait on this
// instead of sleeping when they check that something did NOT happen.
bool roundTrip(Server &server)
{
    const qsizetype before = server.transports.size();
    RawClient probe;
    return probe.upgrade(server.port())
        && QTest::qWaitFor([&] { return server.transports.size() > before; }, 10000);
}

class TestRawWsTransport : public QObject
{
    Q_OBJECT

private slots:
    void echoText();
    void echoBinaryAndUtf8();
    void echoLargeFragmentedByQWebSocket();
    void oversizedClosesWith1009();
    void protocolErrors_data();
    void protocolErrors();
    void pingPong();
    void clientCloseHandshake();
    void rawCloseEcho_data();
    void rawCloseEcho();
    void serverCloseHandshake();
    void closeTimeout();
    void peerVanishes();
    void fragmentedFromRawClient();
    void framesPipelinedWithHead();
    void handshakeRefused_data();
    void handshakeRefused();
    void deflateEcho();
    void deflateBombFromClient();
    void uncompressedTextWithDeflate();
    void sendPreparedToManyClients();
    void pendingBytes();
    void peerVanishesWithQueuedBytes();
    void halfCloseDrainsQueuedBytes();
    void overTls();
    void requestDetails();
    void pingFloodNeverRead();
    void outboundCapCloses();
    void qtTransportOutboundCap_data();
    void qtTransportOutboundCap();
};

void TestRawWsTransport::echoText()
{
    Server server;
    QWebSocket client;
    QSignalSpy messages(&client, &QWebSocket::textMessageReceived);
    client.open(server.url());
    QTRY_COMPARE(client.state(), QAbstractSocket::ConnectedState);
    client.sendTextMessage(QStringLiteral("hello"));
    QTRY_COMPARE(messages.size(), 1);
    QCOMPARE(messages[0][0].toString(), QStringLiteral("hello"));
    QVERIFY(server.last());
    QVERIFY(!server.last()->deflateNegotiated());
}

void TestRawWsTransport::echoBinaryAndUtf8()
{
    Server server;
    QWebSocket client;
    QSignalSpy texts(&client, &QWebSocket::textMessageReceived);
    QSignalSpy binaries(&client, &QWebSocket::binaryMessageReceived);
    client.open(server.url());
    QTRY_COMPARE(client.state(), QAbstractSocket::ConnectedState);
    const QString unicode = QStringLiteral("h\u00e9llo \u20ac \U0001F600");
    const QByteArray binary("\x00\x01\xff\xfe", 4);
    client.sendTextMessage(unicode);
    client.sendBinaryMessage(binary);
    client.sendTextMessage(QString());
    QTRY_COMPARE(texts.size(), 2);
    QTRY_COMPARE(binaries.size(), 1);
    QCOMPARE(texts[0][0].toString(), unicode);
    QCOMPARE(texts[1][0].toString(), QString());
    QCOMPARE(binaries[0][0].toByteArray(), binary);
}

void TestRawWsTransport::echoLargeFragmentedByQWebSocket()
{
    Server server;
    QWebSocket client;
    client.setOutgoingFrameSize(100000); // QWebSocket fragments; the server reassembles
    QSignalSpy texts(&client, &QWebSocket::textMessageReceived);
    client.open(server.url());
    QTRY_COMPARE(client.state(), QAbstractSocket::ConnectedState);
    QString big;
    for (int i = 0; big.size() < 700000; ++i)
        big += QStringLiteral("{\"i\":%1,\"s\":\"\u00e9\u20ac\"},").arg(i);
    client.sendTextMessage(big);
    QTRY_COMPARE_WITH_TIMEOUT(texts.size(), 1, 10000);
    QCOMPARE(texts[0][0].toString(), big);
}

void TestRawWsTransport::oversizedClosesWith1009()
{
    Server server;
    QWebSocket client;
    QSignalSpy disconnected(&client, &QWebSocket::disconnected);
    client.open(server.url());
    QTRY_COMPARE(client.state(), QAbstractSocket::ConnectedState);
    client.sendBinaryMessage(QByteArray(2'000'000, 'x'));
    QTRY_COMPARE_WITH_TIMEOUT(disconnected.size(), 1, 10000);
    QCOMPARE(int(client.closeCode()), 1009);
    QTRY_COMPARE(server.totalClosed, 1);
}

void TestRawWsTransport::protocolErrors_data()
{
    QTest::addColumn<QByteArray>("frames");
    QTest::addColumn<int>("code");
    QTest::newRow("invalid utf-8") << wstest::text("bad \xff") << 1007;
    QTest::newRow("unmasked") << wstest::frame(0x81, "hi", 0, 0, false) << 1002;
    QTest::newRow("rsv1 without deflate") << wstest::frame(0xC1, "hi") << 1002;
    QTest::newRow("opcode 3") << wstest::frame(0x83, "") << 1002;
    QTest::newRow("continuation first") << wstest::continuation("x", true) << 1002;
    QTest::newRow("bad close code") << wstest::closeFrame(1005) << 1002;
    QTest::newRow("too long") << wstest::frame(0x82, QByteArray(1000001, 'x')) << 1009;
}

void TestRawWsTransport::protocolErrors()
{
    QFETCH(QByteArray, frames);
    QFETCH(int, code);
    Server server;
    RawClient client;
    QVERIFY(client.upgrade(server.port()));
    client.send(wstest::text("fine") + frames + wstest::text("never seen"));
    ServerFrame echo = client.next();
    QCOMPARE(echo.payload, QByteArray("fine"));
    ServerFrame close = client.next();
    QVERIFY(close.valid);
    QCOMPARE(close.opcode(), 0x8);
    QCOMPARE(close.closeCode(), code);
    QVERIFY(client.waitDisconnected()); // the server closes TCP after failing the connection
    QTRY_COMPARE(server.totalClosed, 1);
    QCOMPARE(server.received, QStringList {"fine"});
}

void TestRawWsTransport::pingPong()
{
    Server server;
    RawClient client;
    QVERIFY(client.upgrade(server.port()));
    client.send(
        wstest::frame(0x89, "abc") + wstest::frame(0x8A, "ignored") + wstest::frame(0x89, ""));
    ServerFrame pong = client.next();
    QCOMPARE(pong.opcode(), 0xA);
    QCOMPARE(pong.payload, QByteArray("abc"));
    pong = client.next();
    QCOMPARE(pong.opcode(), 0xA);
    QCOMPARE(pong.payload, QByteArray());

    QWebSocket qt;
    QSignalSpy pongs(&qt, &QWebSocket::pong);
    qt.open(server.url());
    QTRY_COMPARE(qt.state(), QAbstractSocket::ConnectedState);
    qt.ping("payload");
    QTRY_COMPARE(pongs.size(), 1);
    QCOMPARE(pongs[0][1].toByteArray(), QByteArray("payload"));
}

void TestRawWsTransport::clientCloseHandshake()
{
    Server server;
    QWebSocket client;
    QSignalSpy disconnected(&client, &QWebSocket::disconnected);
    client.open(server.url());
    QTRY_COMPARE(client.state(), QAbstractSocket::ConnectedState);
    QTRY_COMPARE(server.transports.size(), 1);
    RawWsTransport *transport = server.last();
    client.close(QWebSocketProtocol::CloseCodeGoingAway, QStringLiteral("bye"));
    QTRY_COMPARE(disconnected.size(), 1);
    QTRY_COMPARE(server.totalClosed, 1);
    QCOMPARE(server.closedCount.value(transport), 1);
    QCOMPARE(int(client.closeCode()), 1001);
    QVERIFY(roundTrip(server));
    QCOMPARE(server.closedCount.value(transport), 1); // closed() once
}

void TestRawWsTransport::rawCloseEcho_data()
{
    QTest::addColumn<QByteArray>("close");
    QTest::addColumn<int>("echoed");
    QTest::newRow("4001") << wstest::closeFrame(4001, "reason") << 4001;
    QTest::newRow("1000") << wstest::closeFrame(1000) << 1000;
    QTest::newRow("empty -> 1000") << wstest::frame(0x88, "") << 1000;
}

void TestRawWsTransport::rawCloseEcho()
{
    QFETCH(QByteArray, close);
    QFETCH(int, echoed);
    Server server;
    RawClient client;
    QVERIFY(client.upgrade(server.port()));
    client.send(close + wstest::text("after close, ignored"));
    const ServerFrame reply = client.next();
    QCOMPARE(reply.opcode(), 0x8);
    QCOMPARE(reply.closeCode(), echoed);
    QVERIFY(client.waitDisconnected());
    QVERIFY(client.buffer.isEmpty()); // nothing after the close frame
    QTRY_COMPARE(server.totalClosed, 1);
    QVERIFY(server.received.isEmpty());
}

void TestRawWsTransport::serverCloseHandshake()
{
    Server server;
    QWebSocket client;
    QSignalSpy disconnected(&client, &QWebSocket::disconnected);
    client.open(server.url());
    QTRY_COMPARE(server.transports.size(), 1);
    QTRY_COMPARE(client.state(), QAbstractSocket::ConnectedState);
    RawWsTransport *transport = server.last();
    transport->close(4000, QStringLiteral("server says bye"));
    transport->sendText("dropped: after close"); // no data after our close frame
    transport->close(1000, QString()); // second close ignored
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(int(client.closeCode()), 4000);
    QCOMPARE(client.closeReason(), QStringLiteral("server says bye"));
    QTRY_COMPARE(server.totalClosed, 1);
}

void TestRawWsTransport::closeTimeout()
{
    RawWsTransport::Options options;
    options.closeTimeoutMs = 300;
    Server server(options);
    RawClient client;
    QVERIFY(client.upgrade(server.port()));
    QTRY_COMPARE(server.transports.size(), 1);
    QElapsedTimer timer;
    timer.start();
    server.last()->close(1001, QStringLiteral("going away"));
    const ServerFrame close = client.next();
    QCOMPARE(close.closeCode(), 1001);
    // The client never answers: the server aborts after the timeout (nothing else would end the
    // connection: without the timeout the wait below fails).
    QVERIFY(client.waitDisconnected(10000));
    QTRY_COMPARE(server.totalClosed, 1);
    qInfo("aborted %lld ms after the close frame (timeout 300 ms)", timer.elapsed());
}

void TestRawWsTransport::peerVanishes()
{
    Server server;
    RawClient client;
    QVERIFY(client.upgrade(server.port()));
    QTRY_COMPARE(server.transports.size(), 1);
    client.send(wstest::text("half a frame").left(5)); // and then gone
    client.socket.abort();
    QTRY_COMPARE(server.totalClosed, 1);
}

void TestRawWsTransport::fragmentedFromRawClient()
{
    Server server;
    RawClient client;
    QVERIFY(client.upgrade(server.port()));
    const QByteArray frames = wstest::text("fra", false) + wstest::frame(0x89, "x")
        + wstest::continuation("gme\xe2\x82", false) + wstest::continuation("\xacnt", true);
    // Byte by byte, to exercise the incremental decoder through the socket.
    for (char c : frames) {
        client.send(QByteArray(1, c));
        QTest::qWait(0);
    }
    ServerFrame pong = client.next();
    QCOMPARE(pong.opcode(), 0xA);
    ServerFrame echo = client.next();
    QCOMPARE(echo.opcode(), 0x1);
    QCOMPARE(echo.payload, QByteArray("fragme\xe2\x82\xacnt"));
}

void TestRawWsTransport::framesPipelinedWithHead()
{
    Server server;
    RawClient client;
    QVERIFY(client.upgrade(server.port(), {}, wstest::text("early") + wstest::binary("bird")));
    ServerFrame first = client.next();
    ServerFrame second = client.next();
    QCOMPARE(first.payload, QByteArray("early"));
    QCOMPARE(second.payload, QByteArray("bird"));
}

void TestRawWsTransport::handshakeRefused_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("mustContain");
    const QByteArray good = "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    QTest::newRow("version 12") << "GET / HTTP/1.1\r\n" + good + "Sec-WebSocket-Version: 12\r\n\r\n"
                                << 426 << QByteArray("Sec-WebSocket-Version: 13\r\n");
    QTest::newRow("no version") << "GET / HTTP/1.1\r\n" + good + "\r\n"
                                << 426 << QByteArray("Sec-WebSocket-Version: 13\r\n");
    QTest::newRow("post") << "POST / HTTP/1.1\r\n" + good + "Sec-WebSocket-Version: 13\r\n\r\n"
                          << 405 << QByteArray("Allow: GET\r\n");
    QTest::newRow("bad key") << QByteArray(
        "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: short==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                             << 400 << QByteArray("Connection: close\r\n");
    QTest::newRow("no upgrade") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                              "Sec-WebSocket-Version: 13\r\n\r\n")
                                << 400 << QByteArray("Invalid Upgrade header");
    QTest::newRow("malformed") << QByteArray("GET /\r\n\r\n") << 400 << QByteArray("malformed");
    // The head is parsed by net::parseHead, the front door's strict parser (Host required).
    QTest::newRow("no host") << QByteArray("GET / HTTP/1.1\r\nUpgrade: websocket\r\n"
                                           "Connection: Upgrade\r\n"
                                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                           "Sec-WebSocket-Version: 13\r\n\r\n")
                             << 400 << QByteArray("no Host");
    QTest::newRow("http/2.0") << QByteArray("GET / HTTP/2.0\r\nHost: x\r\n\r\n") << 505
                              << QByteArray("not supported");
}

void TestRawWsTransport::handshakeRefused()
{
    QFETCH(QByteArray, head);
    QFETCH(int, status);
    QFETCH(QByteArray, mustContain);
    Server server;
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, server.port());
    QVERIFY(socket.waitForConnected(5000));
    socket.write(head);
    QByteArray response;
    QVERIFY(QTest::qWaitFor(
        [&] {
            response += socket.readAll();
            return socket.state() == QAbstractSocket::UnconnectedState;
        },
        5000));
    response += socket.readAll();
    QVERIFY2(
        response.startsWith("HTTP/1.1 " + QByteArray::number(status) + ' '), response.constData());
    QVERIFY2(response.contains(mustContain), response.constData());
    QCOMPARE(server.acceptErrors.size(), 1);
    QVERIFY(server.transports.isEmpty());
}

void TestRawWsTransport::deflateEcho()
{
    Server server;
    RawClient client;
    QVERIFY(client.upgrade(
        server.port(), "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"));
    QVERIFY2(client.responseHead.contains(
                 "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"),
        client.responseHead.constData());
    QTRY_COMPARE(server.transports.size(), 1);
    QVERIFY(server.last()->deflateNegotiated());

    // A compressed message from the client, echoed compressed (above the threshold)...
    QByteArray json;
    while (json.size() < 20000)
        json += "{\"vm\":\"vm-" + QByteArray::number(json.size()) + "\",\"state\":\"running\"},";
    wstest::ClientDeflater deflater;
    const QByteArray compressed = deflater.compress(json);
    client.send(wstest::frame(0xC1, compressed));
    ServerFrame echo = client.next();
    QCOMPARE(echo.opcode(), 0x1);
    QVERIFY(echo.rsv1());
    QVERIFY(echo.payload.size() < json.size() / 3);
    QCOMPARE(inflateMessage(echo.payload), json);

    // ... a small one comes back plain.
    client.send(wstest::frame(0xC1, deflater.compress("tiny")));
    echo = client.next();
    QVERIFY(!echo.rsv1());
    QCOMPARE(echo.payload, QByteArray("tiny"));

    // Context takeover on the client side works across messages (the deflater kept its window).
    client.send(wstest::frame(0xC1, deflater.compress(json)));
    echo = client.next();
    QCOMPARE(inflateMessage(echo.payload), json);
}

// With permessage-deflate negotiated, sendTextUncompressed() still sends a plain frame (RSV1
// clear), while sendText() compresses the same payload.
void TestRawWsTransport::uncompressedTextWithDeflate()
{
    Server server;
    server.echo = false;
    RawClient client;
    QVERIFY(client.upgrade(
        server.port(), "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"));
    QTRY_COMPARE(server.transports.size(), 1);
    RawWsTransport *transport = server.last();
    QVERIFY(transport->deflateNegotiated());
    const QByteArray output = QByteArray("terminal output line\r\n").repeated(1000);
    transport->sendTextUncompressed(output);
    ServerFrame plain = client.next();
    QCOMPARE(plain.opcode(), 0x1);
    QVERIFY(!plain.rsv1());
    QCOMPARE(plain.payload, output);
    transport->sendText(output);
    ServerFrame compressed = client.next();
    QVERIFY(compressed.rsv1());
    QCOMPARE(inflateMessage(compressed.payload), output);
}

void TestRawWsTransport::deflateBombFromClient()
{
    Server server;
    RawClient client;
    QVERIFY(client.upgrade(server.port(), "Sec-WebSocket-Extensions: permessage-deflate\r\n"));
    const QByteArray bomb = Deflater(9).compressMessage(QByteArray(50'000'000, 'a'));
    client.send(wstest::frame(0xC2, bomb));
    const ServerFrame close = client.next();
    QCOMPARE(close.opcode(), 0x8);
    QCOMPARE(close.closeCode(), 1009);
    QVERIFY(client.waitDisconnected());
}

void TestRawWsTransport::sendPreparedToManyClients()
{
    Server server;
    server.echo = false;
    // 30 QWebSocket clients (no compression) and 20 raw clients that negotiate deflate.
    std::vector<std::unique_ptr<QWebSocket>> qtClients;
    std::vector<std::unique_ptr<QSignalSpy>> spies;
    for (int i = 0; i < 30; ++i) {
        auto client = std::make_unique<QWebSocket>();
        spies.push_back(
            std::make_unique<QSignalSpy>(client.get(), &QWebSocket::textMessageReceived));
        client->open(server.url());
        qtClients.push_back(std::move(client));
    }
    std::vector<std::unique_ptr<RawClient>> rawClients;
    for (int i = 0; i < 20; ++i) {
        rawClients.push_back(std::make_unique<RawClient>());
        QVERIFY(rawClients.back()->upgrade(
            server.port(), "Sec-WebSocket-Extensions: permessage-deflate\r\n"));
    }
    QTRY_COMPARE(server.transports.size(), 50);
    for (const auto &client : qtClients)
        QTRY_COMPARE(client->state(), QAbstractSocket::ConnectedState);

    QByteArray json = "[";
    for (int i = 0; json.size() < 60000; ++i)
        json +=
            "{\"id\":" + QByteArray::number(i) + ",\"name\":\"vm-" + QByteArray::number(i) + "\"},";
    json += "{}]";
    const auto message = PreparedMessage::text(json);
    for (const auto &transport : server.transports)
        transport->sendPrepared(message);
    QCOMPARE(message->framesBuilt(), 2); // one plain, one deflated, for 50 sockets
    const QByteArray &plain = message->frame(false);
    const QByteArray &deflated = message->frame(true);
    for (int i = 0; i < 10; ++i) {
        QCOMPARE(message->frame(false).constData(), plain.constData());
        QCOMPARE(message->frame(true).constData(), deflated.constData());
    }
    QCOMPARE(message->framesBuilt(), 2);

    for (const auto &spy : spies) {
        QTRY_COMPARE(spy->size(), 1);
        QCOMPARE(spy->at(0).at(0).toString().toUtf8(), json);
    }
    for (const auto &client : rawClients) {
        const ServerFrame frame = client->next();
        QVERIFY(frame.rsv1());
        QCOMPARE(inflateMessage(frame.payload), json);
    }
}

void TestRawWsTransport::pendingBytes()
{
    RawWsTransport::Options options;
    options.permessageDeflate = false;
    Server server(options);
    server.echo = false;
    RawClient client;
    QVERIFY(client.upgrade(server.port()));
    QTRY_COMPARE(server.transports.size(), 1);
    RawWsTransport *transport = server.last();
    QCOMPARE(transport->pendingBytes(), 0);
    client.socket.setReadBufferSize(1); // the client stops reading
    transport->sendBinary(QByteArray(64'000'000, 'x'));
    QVERIFY(transport->pendingBytes() > 0);
}

// Megabytes queued for a client that stopped reading, then the client is gone: the transport
// closes once and frees the queue.
void TestRawWsTransport::peerVanishesWithQueuedBytes()
{
    RawWsTransport::Options options;
    options.permessageDeflate = false;
    Server server(options);
    server.echo = false;
    RawClient client;
    QVERIFY(client.upgrade(server.port()));
    QTRY_COMPARE(server.transports.size(), 1);
    QPointer<RawWsTransport> transport = server.last();
    RawWsTransport *const key = transport; // closedCount's key, still valid once it is deleted
    client.socket.setReadBufferSize(1);
    const QByteArray frame(1'000'000, 'y');
    for (int i = 0; i < 32; ++i)
        transport->sendBinary(frame);
    QVERIFY(transport->pendingBytes() > 1'000'000);
    client.socket.abort();
    QTRY_COMPARE(server.totalClosed, 1);
    QTRY_VERIFY(transport.isNull()); // deleted after closed()
    QVERIFY(roundTrip(server));
    QCOMPARE(server.closedCount.value(key), 1); // closed() once (the probe's own close is not it)
}

// Over TLS the transport keeps the QSslSocket (SocketStream): echo both ways, a large message,
// and the close handshake.
// The client sends its close frame and ends its side (TCP half-close) while megabytes still wait
// for it on the server: what the server owes it (the data, then its close frame) still arrives
// before the connection ends.
void TestRawWsTransport::halfCloseDrainsQueuedBytes()
{
    RawWsTransport::Options options;
    options.permessageDeflate = false;
    Server server(options);
    server.echo = false;
    RawClient client;
    QVERIFY(client.upgrade(server.port()));
    QTRY_COMPARE(server.transports.size(), 1);
    RawWsTransport *transport = server.last();
    client.socket.setReadBufferSize(1); // stops reading
    QByteArray big(32'000'000, 'h');
    big[0] = 'A';
    big[big.size() - 1] = 'Z';
    transport->sendBinary(big);
    QVERIFY(transport->pendingBytes() > 0);
    client.send(wstest::closeFrame(1000));
    QCOMPARE(::shutdown(int(client.socket.socketDescriptor()), SHUT_WR), 0);
    // The server reads the close frame (it leaves the open state) and the end of the input.
    QTRY_VERIFY(!transport->isOpen());
    QVERIFY(roundTrip(server));
    // Still sending. (Only this transport counts: roundTrip's probe closes when it likes.)
    QCOMPARE(server.closedCount.value(transport), 0);
    client.socket.setReadBufferSize(0);
    const ServerFrame data = client.next(20000);
    QVERIFY(data.valid);
    QCOMPARE(data.opcode(), 0x2);
    QCOMPARE(data.payload.size(), big.size());
    QVERIFY(data.payload == big);
    const ServerFrame close = client.next();
    QVERIFY(close.valid);
    QCOMPARE(close.opcode(), 0x8);
    QCOMPARE(close.closeCode(), 1000);
    QTRY_COMPARE(server.closedCount.value(transport), 1);
}

void TestRawWsTransport::overTls()
{
    QTemporaryDir dir;
    const std::optional<TlsFixture> tls = TlsFixture::create(dir);
    QVERIFY2(tls, "openssl could not make a certificate");
    QSslConfiguration serverTls = QSslConfiguration::defaultConfiguration();
    serverTls.setLocalCertificate(tls->certificate);
    serverTls.setPrivateKey(tls->key);
    Server server({}, &serverTls);
    QWebSocket client;
    QSslConfiguration clientTls = QSslConfiguration::defaultConfiguration();
    clientTls.setCaCertificates({tls->certificate});
    client.setSslConfiguration(clientTls);
    QSignalSpy texts(&client, &QWebSocket::textMessageReceived);
    QSignalSpy binaries(&client, &QWebSocket::binaryMessageReceived);
    client.open(server.url());
    QTRY_COMPARE(client.state(), QAbstractSocket::ConnectedState);
    QTRY_COMPARE(server.transports.size(), 1);
    QVERIFY(!server.last()->ownsDescriptor());
    client.sendTextMessage(QStringLiteral("secret h\u00e9llo"));
    QTRY_COMPARE(texts.size(), 1);
    QCOMPARE(texts[0][0].toString(), QStringLiteral("secret h\u00e9llo"));
    const QByteArray big(900'000, 'z');
    client.sendBinaryMessage(big);
    QTRY_COMPARE(binaries.size(), 1);
    QCOMPARE(binaries[0][0].toByteArray(), big);
    // Over the limit: closed with 1009, as on plain TCP (this used to recurse through
    // QSslSocket::flush() emitting readyRead inside the close frame's write).
    QSignalSpy disconnected(&client, &QWebSocket::disconnected);
    client.sendBinaryMessage(QByteArray(3'000'000, 'q'));
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(int(client.closeCode()), 1009);
    QTRY_COMPARE(server.totalClosed, 1);
}

void TestRawWsTransport::requestDetails()
{
    Server server;
    QWebSocket client;
    QNetworkRequest request(server.url(QStringLiteral("/socket.io/?EIO=4&transport=websocket")));
    request.setRawHeader("X-Custom", "value 1");
    client.open(request);
    QTRY_COMPARE(server.transports.size(), 1);
    RawWsTransport *transport = server.last();
    QCOMPARE(transport->requestUrl().path(), QStringLiteral("/socket.io/"));
    QCOMPARE(transport->requestUrl().query(), QStringLiteral("EIO=4&transport=websocket"));
    // A plain TCP connection runs on its own descriptor (no QIODevice buffers kept per idle
    // connection).
    QVERIFY(transport->ownsDescriptor());
    // And it works both ways.
    QSignalSpy texts(&client, &QWebSocket::textMessageReceived);
    transport->sendText("hello");
    QTRY_COMPARE(texts.size(), 1);
    QCOMPARE(texts.at(0).at(0).toString(), QStringLiteral("hello"));
}

namespace {
// Makes `socket` a client that does not read: Qt reads no more than one byte into its buffer
// (the kernel's buffers still take several megabytes first).
void stopReading(QTcpSocket &socket)
{
    socket.setReadBufferSize(1);
}

// A masked ping frame whose payload is `i`, padded to the 125 bytes a control frame can carry.
QByteArray pingFrame(int i)
{
    return wstest::frame(0x89, QByteArray::number(i).rightJustified(125, '.'));
}
} // namespace

// RFC 6455 section 5.5.3: a client that pings and never reads gets a pong for the latest
// unanswered ping only. What waits for it stays at most one pong, not one pong per ping, and
// once it reads, the last pong it gets answers its last ping.
void TestRawWsTransport::pingFloodNeverRead()
{
    RawWsTransport::Options options;
    options.permessageDeflate = false;
    Server server(options);
    server.echo = false;
    RawClient client;
    QVERIFY(client.upgrade(server.port()));
    QTRY_COMPARE(server.transports.size(), 1);
    QPointer<RawWsTransport> transport = server.last();
    stopReading(client.socket);

    constexpr int Pings = 150000; // 19 MB of pongs: more than the kernel buffers take
    qint64 worst = 0;
    for (int i = 0; i < Pings;) {
        QByteArray batch;
        for (int k = 0; k < 1000 && i < Pings; ++k, ++i)
            batch += pingFrame(i);
        client.socket.write(batch);
        while (client.socket.bytesToWrite() > 1'000'000) {
            QTest::qWait(1);
            QVERIFY(transport);
            worst = qMax(worst, transport->pendingBytes());
        }
    }
    QTRY_COMPARE(client.socket.bytesToWrite(), 0);
    QVERIFY(transport);
    // Every ping has reached the server once the next frame comes back (a pong is owed).
    client.send(wstest::text("last"));
    QTRY_COMPARE(server.received.size(), 1);
    worst = qMax(worst, transport->pendingBytes());
    QVERIFY2(worst <= 2 * 127, qPrintable(QString::number(worst)));

    client.socket.setReadBufferSize(0);
    QByteArray lastPong;
    int pongs = 0;
    const QByteArray want = QByteArray::number(Pings - 1).rightJustified(125, '.');
    while (lastPong != want) {
        const ServerFrame frame = client.next(10000);
        QVERIFY2(frame.valid, qPrintable(QStringLiteral("after %1 pongs").arg(pongs)));
        QCOMPARE(frame.opcode(), 0xA);
        lastPong = frame.payload;
        ++pongs;
    }
    QVERIFY2(pongs < Pings, qPrintable(QString::number(pongs)));
    QVERIFY(transport && transport->isOpen());
}

// A client that never reads while the server sends it large messages: once more than
// maxOutboundBytes wait for it, the connection is dropped (closed() once), not left to grow.
void TestRawWsTransport::outboundCapCloses()
{
    RawWsTransport::Options options;
    options.permessageDeflate = false;
    options.maxOutboundBytes = 1024 * 1024;
    Server server(options);
    server.echo = false;
    RawClient client;
    QVERIFY(client.upgrade(server.port()));
    QTRY_COMPARE(server.transports.size(), 1);
    QPointer<RawWsTransport> transport = server.last();
    stopReading(client.socket);
    const QByteArray message(64 * 1024, 'z');
    qint64 worst = 0;
    int sent = 0;
    for (; sent < 2000 && transport && transport->isOpen(); ++sent) {
        transport->sendBinary(message);
        worst = qMax(worst, transport->pendingBytes());
        QTest::qWait(0);
    }
    QVERIFY2(sent < 2000, "the connection was never closed");
    QVERIFY2(worst <= options.maxOutboundBytes, qPrintable(QString::number(worst)));
    QTRY_COMPARE(server.totalClosed, 1);
    client.socket.setReadBufferSize(0);
    QVERIFY(client.waitDisconnected(10000));
}

void TestRawWsTransport::qtTransportOutboundCap_data()
{
    QTest::addColumn<bool>("pings"); // the client pings; otherwise the server sends data
    QTest::newRow("ping flood") << true;
    QTest::newRow("large data") << false;
}

// The QtWebSockets transport (JARVIS_WS_TRANSPORT=qt) answers every ping itself; its queue is
// bounded by the same cap: past it, the connection is dropped.
void TestRawWsTransport::qtTransportOutboundCap()
{
    QFETCH(bool, pings);
    // As jarvisd does it: accepted TCP sockets handed to a QWebSocketServer.
    QTcpServer tcpServer;
    QVERIFY(tcpServer.listen(QHostAddress::LocalHost, 0));
    QWebSocketServer wsServer(QStringLiteral("test"), QWebSocketServer::NonSecureMode);
    QPointer<QTcpSocket> connection;
    connect(&tcpServer, &QTcpServer::pendingConnectionAvailable, this, [&] {
        connection = tcpServer.nextPendingConnection();
        wsServer.handleConnection(connection);
    });
    constexpr qint64 Cap = 512 * 1024;
    std::unique_ptr<QtWsTransport> transport;
    int closed = 0;
    connect(&wsServer, &QWebSocketServer::newConnection, this, [&] {
        transport = std::make_unique<QtWsTransport>(
            std::unique_ptr<QWebSocket>(wsServer.nextPendingConnection()), connection, 1000000,
            nullptr, Cap);
        connect(transport.get(), &WsTransport::closed, this, [&] { ++closed; });
    });
    RawClient client;
    client.socket.connectToHost(QHostAddress::LocalHost, tcpServer.serverPort());
    QVERIFY(client.socket.waitForConnected(5000));
    client.socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n");
    QVERIFY(QTest::qWaitFor([&] { return client.pullHead(); }, 5000));
    QTRY_VERIFY(transport);
    stopReading(client.socket);
    qint64 worst = 0;
    for (int round = 0; round < 400 && closed == 0; ++round) {
        if (pings) {
            QByteArray batch;
            for (int k = 0; k < 1000; ++k)
                batch += pingFrame(k);
            client.socket.write(batch);
        } else {
            transport->sendBinary(QByteArray(64 * 1024, 'q'));
        }
        QTest::qWait(1);
        worst = qMax(worst, transport->pendingBytes());
    }
    QTRY_COMPARE(closed, 1);
    QVERIFY2(worst <= Cap + 64 * 1024 + 256 * 1024, qPrintable(QString::number(worst)));
}

QTEST_MAIN(TestRawWsTransport)
#include "tst_rawwstransport.moc"
