// The opening handshake: request-head parsing, upgrade validation and the 101 response.
#include "net/wshandshake.h"

#include <QTest>

using namespace jarvis::net;
using namespace jarvis::net::ws;

Q_DECLARE_METATYPE(HeaderList)

namespace {
HeaderList goodHeaders()
{
    return {{"host", "example"}, {"upgrade", "websocket"}, {"connection", "Upgrade"},
        {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="}, {"sec-websocket-version", "13"}};
}

HeaderList with(HeaderList headers, const QByteArray &name, const QByteArray &value)
{
    headers.removeIf([&](const auto &h) { return h.first == name; });
    if (!value.isNull())
        headers.append({name, value});
    return headers;
}
} // namespace

class TestWsHandshake : public QObject
{
    Q_OBJECT

private slots:
    void acceptKey();
    void validate_data();
    void validate();
    void response();
    void parseHead_data();
    void parseHead();
};

void TestWsHandshake::acceptKey()
{
    // RFC 6455 section 1.3.
    QCOMPARE(
        computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
}

void TestWsHandshake::validate_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("version");
    QTest::addColumn<HeaderList>("headers");
    QTest::addColumn<int>("status");

    const HeaderList good = goodHeaders();
    QTest::newRow("good") << QByteArray("GET") << QByteArray("HTTP/1.1") << good << 101;
    QTest::newRow("post") << QByteArray("POST") << QByteArray("HTTP/1.1") << good << 405;
    QTest::newRow("lower-case get") << QByteArray("get") << QByteArray("HTTP/1.1") << good << 405;
    QTest::newRow("http/1.0") << QByteArray("GET") << QByteArray("HTTP/1.0") << good << 400;
    QTest::newRow("upgrade case") << QByteArray("GET") << QByteArray("HTTP/1.1")
                                  << with(good, "upgrade", "WebSocket") << 101;
    QTest::newRow("upgrade list") << QByteArray("GET") << QByteArray("HTTP/1.1")
                                  << with(good, "upgrade", "h2c, websocket") << 101;
    QTest::newRow("upgrade other")
        << QByteArray("GET") << QByteArray("HTTP/1.1") << with(good, "upgrade", "h2c") << 400;
    QTest::newRow("no upgrade") << QByteArray("GET") << QByteArray("HTTP/1.1")
                                << with(good, "upgrade", QByteArray()) << 400;
    QTest::newRow("connection list") << QByteArray("GET") << QByteArray("HTTP/1.1")
                                     << with(good, "connection", "keep-alive, Upgrade") << 101;
    QTest::newRow("connection keep-alive") << QByteArray("GET") << QByteArray("HTTP/1.1")
                                           << with(good, "connection", "keep-alive") << 400;
    QTest::newRow("connection split lines")
        << QByteArray("GET") << QByteArray("HTTP/1.1")
        << with(good, "connection", "keep-alive") + HeaderList {{"connection", "upgrade"}} << 101;
    QTest::newRow("no key") << QByteArray("GET") << QByteArray("HTTP/1.1")
                            << with(good, "sec-websocket-key", QByteArray()) << 400;
    QTest::newRow("short key") << QByteArray("GET") << QByteArray("HTTP/1.1")
                               << with(good, "sec-websocket-key", "c2hvcnQ=") << 400;
    QTest::newRow("key 17 bytes") << QByteArray("GET") << QByteArray("HTTP/1.1")
                                  << with(good, "sec-websocket-key", "MTIzNDU2Nzg5MDEyMzQ1Njc=")
                                  << 400;
    QTest::newRow("key bad char") << QByteArray("GET") << QByteArray("HTTP/1.1")
                                  << with(good, "sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ!=")
                                  << 400;
    QTest::newRow("version 8") << QByteArray("GET") << QByteArray("HTTP/1.1")
                               << with(good, "sec-websocket-version", "8") << 426;
    QTest::newRow("version 14") << QByteArray("GET") << QByteArray("HTTP/1.1")
                                << with(good, "sec-websocket-version", "14") << 426;
    QTest::newRow("no version") << QByteArray("GET") << QByteArray("HTTP/1.1")
                                << with(good, "sec-websocket-version", QByteArray()) << 426;
    QTest::newRow("bad extensions ignored")
        << QByteArray("GET") << QByteArray("HTTP/1.1")
        << with(good, "sec-websocket-extensions", "permessage-deflate;;") << 101;
}

void TestWsHandshake::validate()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, version);
    QFETCH(HeaderList, headers);
    QFETCH(int, status);
    const HandshakeResult result = processHandshake(method, version, headers);
    QCOMPARE(result.status, status);
    QCOMPARE(result.ok(), status == 101);
    const QByteArray statusLine = "HTTP/1.1 " + QByteArray::number(status) + ' ';
    QVERIFY(result.response.startsWith(statusLine));
    if (status != 101) {
        QVERIFY(!result.error.isEmpty());
        QVERIFY(result.response.contains("Connection: close\r\n"));
        const qsizetype bodyStart = result.response.indexOf("\r\n\r\n") + 4;
        const QByteArray body = result.response.mid(bodyStart);
        QVERIFY(result.response.contains(
            "Content-Length: " + QByteArray::number(body.size()) + "\r\n"));
    }
    if (status == 426)
        QVERIFY(result.response.contains("\r\nSec-WebSocket-Version: 13\r\n"));
    if (status == 405)
        QVERIFY(result.response.contains("\r\nAllow: GET\r\n"));
}

void TestWsHandshake::response()
{
    HeaderList headers = goodHeaders();
    headers.append(qMakePair(QByteArray("sec-websocket-extensions"),
        QByteArray("permessage-deflate; client_max_window_bits")));
    const HandshakeResult result = processHandshake("GET", "HTTP/1.1", headers);
    QCOMPARE(result.response,
        QByteArray("HTTP/1.1 101 Switching Protocols\r\n"
                   "Upgrade: websocket\r\n"
                   "Connection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                   "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n"
                   "\r\n"));
    QVERIFY(result.deflate.enabled);

    DeflatePolicy off;
    off.enabled = false;
    const HandshakeResult plain = processHandshake("GET", "HTTP/1.1", headers, off);
    QVERIFY(!plain.response.contains("Sec-WebSocket-Extensions"));
    QVERIFY(!plain.deflate.enabled);
    // Subprotocols are not supported: never echoed.
    headers.append(qMakePair(QByteArray("sec-websocket-protocol"), QByteArray("chat")));
    QVERIFY(
        !processHandshake("GET", "HTTP/1.1", headers).response.contains("Sec-WebSocket-Protocol"));
}

// The handshake no longer parses heads: it gets the one the front door parsed with
// net::parseHead. These rows were the handshake parser's; the strict parser refuses what the front
// door always refused before the handshake saw it (a bare LF, no Host), and leaves the size limit
// to its caller (the front door answers 431).
void TestWsHandshake::parseHead_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("headerCount");

    const int complete = int(HeadStatus::Complete);
    const int incomplete = int(HeadStatus::Incomplete);
    const int invalid = int(HeadStatus::Invalid);
    QTest::newRow("simple") << QByteArray("GET /a?b=c HTTP/1.1\r\nHost: x\r\n\r\nrest") << complete
                            << QByteArray("/a?b=c") << 1;
    QTest::newRow("upgrade") << QByteArray("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                           "Connection: Upgrade\r\n\r\n")
                             << complete << QByteArray("/ws") << 3;
    QTest::newRow("bare lf") << QByteArray("GET / HTTP/1.1\nHost: x\nA: b\n\n") << invalid
                             << QByteArray() << 0;
    QTest::newRow("no host") << QByteArray("GET / HTTP/1.1\r\nA: b\r\n\r\n") << invalid
                             << QByteArray() << 0;
    QTest::newRow("incomplete") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\n") << incomplete
                                << QByteArray() << 0;
    QTest::newRow("empty") << QByteArray() << incomplete << QByteArray() << 0;
    QTest::newRow("two spaces") << QByteArray("GET  / HTTP/1.1\r\n\r\n") << invalid << QByteArray()
                                << 0;
    QTest::newRow("no version") << QByteArray("GET /\r\n\r\n") << invalid << QByteArray() << 0;
    QTest::newRow("bad version") << QByteArray("GET / FTP/1\r\n\r\n") << invalid << QByteArray()
                                 << 0;
    QTest::newRow("folding") << QByteArray("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n") << invalid
                             << QByteArray() << 0;
    QTest::newRow("no colon") << QByteArray("GET / HTTP/1.1\r\nAb\r\n\r\n") << invalid
                              << QByteArray() << 0;
    QTest::newRow("space before colon")
        << QByteArray("GET / HTTP/1.1\r\nA : b\r\n\r\n") << invalid << QByteArray() << 0;
    QTest::newRow("control in value")
        << QByteArray("GET / HTTP/1.1\r\nA: b\x01\r\n\r\n") << invalid << QByteArray() << 0;
    QTest::newRow("long, no end yet")
        << "GET / HTTP/1.1\r\nA: " + QByteArray(70000, 'x') << incomplete << QByteArray() << 0;
}

void TestWsHandshake::parseHead()
{
    QFETCH(QByteArray, data);
    QFETCH(int, status);
    QFETCH(QByteArray, target);
    QFETCH(int, headerCount);
    RequestHead head;
    QString error;
    QCOMPARE(int(jarvis::net::parseHead(data, &head, &error)), status);
    if (status == int(HeadStatus::Invalid))
        QVERIFY(!error.isEmpty());
    if (status != int(HeadStatus::Complete))
        return;
    QCOMPARE(head.target, target);
    QCOMPARE(head.headers.size(), headerCount);
    QCOMPARE(head.header("host").isEmpty(), !data.contains("Host"));
    QVERIFY(data.left(head.length).endsWith("\r\n\r\n"));
    // What the handshake sees: the parsed head, as the front door hands it over.
    if (head.isWebSocketUpgrade())
        QCOMPARE(processHandshake(head.method, head.version, head.headers).status, 400);
}

QTEST_GUILESS_MAIN(TestWsHandshake)
#include "tst_wshandshake.moc"
