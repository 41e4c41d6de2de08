// permessage-deflate: compression of server messages, inflation of client messages through the
// frame decoder (context takeover, window bits, bombs, corrupt data), PreparedMessage, and the
// Sec-WebSocket-Extensions negotiation table.
#include "net/preparedmessage.h"
#include "net/wsdeflate.h"
#include "net/wsframe.h"
#include "net/wshandshake.h"
#include "wstestutil.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QTest>

using jarvis::net::HeaderList;
using namespace jarvis::net::ws;
using namespace wstest;

namespace {

DecoderOptions deflateOptions(
    qint64 maxPayload = 1000000, int windowBits = 15, bool noContextTakeover = false)
{
    DecoderOptions o;
    o.maxPayload = maxPayload;
    o.deflate = true;
    o.inflateWindowBits = windowBits;
    o.clientNoContextTakeover = noContextTakeover;
    return o;
}

// A compressed (RSV1) client message, optionally split into `fragments` frames.
QByteArray compressedMessage(quint8 opcode, const QByteArray &compressed, int fragments = 1)
{
    QByteArray out;
    const qsizetype step = std::max<qsizetype>(1, compressed.size() / fragments);
    qsizetype pos = 0;
    for (int i = 0; i < fragments; ++i) {
        const bool last = i == fragments - 1;
        const QByteArray part = last ? compressed.mid(pos) : compressed.mid(pos, step);
        pos += part.size();
        quint8 b0 = i == 0 ? quint8(opcode | 0x40) : 0x00;
        if (last)
            b0 |= 0x80;
        out += frame(b0, part, 0x01020304u * quint32(i + 1));
    }
    return out;
}

// A JSON document like a Jarvis "vms" event, about `targetSize` bytes.
QByteArray vmsJson(qsizetype targetSize)
{
    QRandomGenerator random(42);
    QByteArray json = "{\"type\":\"vms\",\"vms\":[";
    const char *states[] = {"running", "stopped", "paused", "migrating"};
    for (int i = 0; json.size() < targetSize; ++i) {
        if (i)
            json += ',';
        json += "{\"id\":\"" + QByteArray::number(random.generate64(), 16) + "-"
            + QByteArray::number(i) + "\",\"name\":\"vm-" + QByteArray::number(i)
            + "\",\"state\":\"" + states[random.bounded(4)]
            + "\",\"cpu\":" + QByteArray::number(random.bounded(10000) / 100.0)
            + ",\"memory\":" + QByteArray::number(quint64(random.bounded(1, 64)) * 1073741824ull)
            + ",\"host\":\"node-" + QByteArray::number(random.bounded(8))
            + "\",\"uptime\":" + QByteArray::number(random.bounded(10000000))
            + ",\"tags\":[\"prod\",\"zone-" + QByteArray::number(random.bounded(3)) + "\"]}";
    }
    json += "]}";
    return json;
}

QByteArray inflateAll(const QByteArray &compressed, qint64 maxSize = 100'000'000)
{
    Inflater inflater;
    QByteArray out;
    if (inflater.inflate(compressed, &out, maxSize) != Inflater::Status::Ok)
        return "<inflate error>";
    if (inflater.finishMessage(&out, maxSize) != Inflater::Status::Ok)
        return "<finish error>";
    return out;
}

} // namespace

class TestWsDeflate : public QObject
{
    Q_OBJECT

private slots:
    void roundTrip_data();
    void roundTrip();
    void serverMessagesAreIndependent();
    void decodeCompressed_data();
    void decodeCompressed();
    void contextTakeover();
    void noContextTakeoverReleasesStream();
    void windowBits();
    void finalBlockFromClient();
    void bombCappedByMaxPayload();
    void bombAcrossFragments();
    void inflaterCapacityStaysBounded();
    void corruptData_data();
    void corruptData();
    void invalidUtf8AfterInflation();
    void preparedMessageBuiltOnce();
    void preparedMessageIncompressible();
    void negotiation_data();
    void negotiation();
    void parseExtensionsTable_data();
    void parseExtensionsTable();
    void measureLevels();
};

void TestWsDeflate::roundTrip_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("one byte") << QByteArray("x");
    QTest::newRow("text") << QByteArray("hello hello hello hello");
    QTest::newRow("json 60k") << vmsJson(60000);
    QByteArray random(300000, Qt::Uninitialized);
    QRandomGenerator(7).fillRange(reinterpret_cast<quint32 *>(random.data()), random.size() / 4);
    QTest::newRow("random 300k") << random;
    QTest::newRow("zeros 2M") << QByteArray(2'000'000, '\0');
}

void TestWsDeflate::roundTrip()
{
    QFETCH(QByteArray, payload);
    for (int level : {0, 1, 6, 9}) {
        Deflater deflater(level);
        const QByteArray compressed = deflater.compressMessage(payload);
        QVERIFY(!compressed.isNull());
        QVERIFY(!compressed.endsWith(QByteArray("\x00\x00\xff\xff", 4)) || compressed.size() < 4);
        QVERIFY2(inflateAll(compressed) == payload, qPrintable(QString::number(level)));

        // And through the decoder, as a client would send it (same format both ways).
        const QStringList events =
            run(compressedMessage(0x2, compressed, 3), deflateOptions(10'000'000), 4096);
        QCOMPARE(events.size(), 1);
        QVERIFY(events[0].startsWith(u"binary:"));
    }
}

void TestWsDeflate::serverMessagesAreIndependent()
{
    // server_no_context_takeover: the same message compresses to the same bytes every time, and
    // each one inflates on a fresh stream.
    Deflater deflater(6);
    const QByteArray json = vmsJson(5000);
    const QByteArray a = deflater.compressMessage(json);
    const QByteArray b = deflater.compressMessage(json);
    QCOMPARE(a, b);
    QCOMPARE(inflateAll(b), json);
    QCOMPARE(&Deflater::shared(3), &Deflater::shared(3));
    QCOMPARE(Deflater::shared(42).level(), 9);
}

void TestWsDeflate::decodeCompressed_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QStringList>("expected");
    ClientDeflater deflater(15, 6);
    const QByteArray hello = deflater.compress("hello", true);
    QTest::newRow("text") << compressedMessage(0x1, hello) << QStringList {"text:hello"};
    QTest::newRow("binary") << compressedMessage(0x2, deflater.compress("\x01\x02", true))
                            << QStringList {"binary:0102"};
    QTest::newRow("fragmented") << compressedMessage(
        0x1, deflater.compress(QByteArray(5000, 'a'), true), 4)
                                << QStringList {"text:5000#aaaaaaaaaaaaaaaa"};
    QTest::newRow("one byte fragments")
        << compressedMessage(0x1, hello, int(hello.size())) << QStringList {"text:hello"};
    QTest::newRow("empty via 00") << compressedMessage(0x1, QByteArray(1, '\0'))
                                  << QStringList {"text:"};
    QTest::newRow("empty payload") << compressedMessage(0x1, QByteArray()) << QStringList {"text:"};
    QTest::newRow("uncompressed still fine") << text("plain") << QStringList {"text:plain"};
    QTest::newRow("mixed") << text("a") + compressedMessage(0x1, hello) + binary("b")
                           << QStringList {"text:a", "text:hello", "binary:62"};
    QTest::newRow("ping inside compressed") << frame(0x41, hello.left(3)) + frame(0x89, "p")
            + frame(0x80, hello.mid(3)) << QStringList {"ping:70", "text:hello"};
    QTest::newRow("rsv1 on continuation")
        << frame(0x41, hello.left(3)) + frame(0xC0, hello.mid(3)) << QStringList {"error:1002"};
    QTest::newRow("rsv1 on close") << frame(0xC8, "") << QStringList {"error:1002"};
    QTest::newRow("rsv1 on pong") << frame(0xCA, "") << QStringList {"error:1002"};
}

void TestWsDeflate::decodeCompressed()
{
    QFETCH(QByteArray, input);
    QFETCH(QStringList, expected);
    for (qsizetype chunk : {qsizetype(0), qsizetype(1), qsizetype(3), qsizetype(100)})
        QCOMPARE(run(input, deflateOptions(), chunk), expected);
}

void TestWsDeflate::contextTakeover()
{
    // The client keeps its window: the second and third messages refer back to the first.
    const QByteArray m1 = vmsJson(3000);
    const QByteArray m2 = m1.left(2000) + "changed" + m1.mid(2000);
    const QByteArray m3 = m1;
    ClientDeflater client;
    const QByteArray c1 = client.compress(m1);
    const QByteArray c2 = client.compress(m2);
    const QByteArray c3 = client.compress(m3);
    QVERIFY(c3.size() < c1.size() / 4); // really uses the previous messages
    const QByteArray input =
        compressedMessage(0x1, c1) + compressedMessage(0x1, c2, 2) + compressedMessage(0x1, c3);
    const QStringList events = run(input, deflateOptions(), 7);
    QCOMPARE(events.size(), 3);
    QCOMPARE(
        events[0], QStringLiteral("text:%1#%2").arg(m1.size()).arg(QString::fromUtf8(m1.left(16))));
    QCOMPARE(
        events[1], QStringLiteral("text:%1#%2").arg(m2.size()).arg(QString::fromUtf8(m2.left(16))));

    // Had we negotiated client_no_context_takeover, the same bytes could not be inflated: the
    // back references point into a window we dropped. ws reports that as 1007.
    const QStringList broken = run(input, deflateOptions(1000000, 15, true), 7);
    QCOMPARE(broken.last(), QStringLiteral("error:1007"));

    // A client that resets after every message works with both settings.
    ClientDeflater resetting;
    const QByteArray independent = compressedMessage(0x1, resetting.compress(m1, true))
        + compressedMessage(0x1, resetting.compress(m3, true));
    QCOMPARE(run(independent, deflateOptions(1000000, 15, true)).size(), 2);
    QCOMPARE(run(independent, deflateOptions(1000000, 15, false)).size(), 2);
}

void TestWsDeflate::noContextTakeoverReleasesStream()
{
    Inflater kept(15, false);
    Inflater released(15, true);
    ClientDeflater client;
    const QByteArray compressed = client.compress("some text", true);
    for (Inflater *inflater : {&kept, &released}) {
        QByteArray out;
        QCOMPARE(inflater->inflate(compressed, &out, 1000), Inflater::Status::Ok);
        QCOMPARE(inflater->finishMessage(&out, 1000), Inflater::Status::Ok);
        QCOMPARE(out, QByteArray("some text"));
    }
    QVERIFY(kept.hasStream());
    QVERIFY(!released.hasStream());
}

void TestWsDeflate::windowBits()
{
    // A client that honours client_max_window_bits=9 inflates fine with a 9-bit window.
    const QByteArray payload = vmsJson(20000);
    ClientDeflater small(9);
    const QStringList events =
        run(compressedMessage(0x1, small.compress(payload)), deflateOptions(1000000, 9));
    QCOMPARE(events.size(), 1);
    QVERIFY(!events[0].startsWith(u"error"));

    // 8 is inflated with 9 (zlib's deflate never makes 256-byte windows).
    ClientDeflater nine(9);
    QCOMPARE(
        run(compressedMessage(0x1, nine.compress(payload)), deflateOptions(1000000, 8)).size(), 1);
}

void TestWsDeflate::finalBlockFromClient()
{
    // A client may end each message with a final block (BFINAL) instead of a sync flush, as
    // some implementations do; the next message then starts a new stream.
    z_stream z {};
    deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    QByteArray in = "final block message";
    QByteArray out(256, '\0');
    z.next_in = reinterpret_cast<Bytef *>(in.data());
    z.avail_in = uInt(in.size());
    z.next_out = reinterpret_cast<Bytef *>(out.data());
    z.avail_out = uInt(out.size());
    QCOMPARE(deflate(&z, Z_FINISH), Z_STREAM_END);
    out.truncate(out.size() - z.avail_out);
    deflateEnd(&z);
    ClientDeflater client;
    const QByteArray input =
        compressedMessage(0x1, out) + compressedMessage(0x1, client.compress("next"));
    QCOMPARE(run(input, deflateOptions()), (QStringList {"text:final block message", "text:next"}));
    // Bytes after the final block are ignored, as ws ignores them.
    const QByteArray trailing =
        compressedMessage(0x1, out + "junk") + compressedMessage(0x1, client.compress("more"));
    QCOMPARE(run(trailing, deflateOptions(), 3),
        (QStringList {"text:final block message", "text:more"}));
}

void TestWsDeflate::bombCappedByMaxPayload()
{
    // 100 MB of zeros deflate to ~100 KB: under maxPayload on the wire, far over it inflated.
    const QByteArray zeros(100'000'000, '\0');
    const QByteArray bomb = Deflater(9).compressMessage(zeros);
    QVERIFY(bomb.size() < 200'000);
    const QByteArray input = compressedMessage(0x2, bomb);

    FrameDecoder decoder(deflateOptions(1'000'000));
    qsizetype used = 0;
    QCOMPARE(decoder.decode(input, &used), FrameDecoder::Result::Error);
    QCOMPARE(decoder.errorCode(), 1009);
    QCOMPARE(decoder.bufferedBytes(), 0);

    // Exactly at the limit is fine.
    const QByteArray atLimit = Deflater(9).compressMessage(QByteArray(1'000'000, '\0'));
    QCOMPARE(run(compressedMessage(0x2, atLimit), deflateOptions(1'000'000)).size(), 1);
    QVERIFY(
        !run(compressedMessage(0x2, atLimit), deflateOptions(1'000'000))[0].startsWith(u"error"));
    QCOMPARE(
        run(compressedMessage(0x2, atLimit), deflateOptions(999'999)), QStringList {"error:1009"});
}

void TestWsDeflate::bombAcrossFragments()
{
    const QByteArray bomb = Deflater(9).compressMessage(QByteArray(5'000'000, 'a'));
    QCOMPARE(run(compressedMessage(0x1, bomb, 50), deflateOptions(1'000'000), 333),
        QStringList {"error:1009"});
}

void TestWsDeflate::inflaterCapacityStaysBounded()
{
    const QByteArray bomb = Deflater(9).compressMessage(QByteArray(100'000'000, '\0'));
    for (qint64 maxSize : {qint64(1), qint64(1000), qint64(65536), qint64(1'000'000)}) {
        Inflater inflater;
        QByteArray out;
        QCOMPARE(inflater.inflate(bomb, &out, maxSize), Inflater::Status::TooBig);
        QVERIFY2(out.size() <= maxSize + 1, qPrintable(QString::number(out.size())));
        // Never allocated much more than the cap (QByteArray rounds allocations a little).
        QVERIFY2(out.capacity() <= std::max<qint64>(maxSize + 1, 16384) + 64,
            qPrintable(QString::number(out.capacity())));
    }
}

void TestWsDeflate::corruptData_data()
{
    QTest::addColumn<QByteArray>("compressed");
    QTest::newRow("reserved block type") << QByteArray("\x07\x00", 2);
    QTest::newRow("bad stored length") << QByteArray("\x00\x05\x00\x00\x00", 5);
    QTest::newRow("garbage") << QByteArray("\xff\xff\xff\xff\xff\xff", 6);
    ClientDeflater client;
    client.compress("abcdefghijklmnopqrstuvwxyz");
    // Refers back into the first message, which this stream never saw.
    QTest::newRow("distance too far back") << client.compress("abcdefghijklmnopqrstuvwxyz");
}

void TestWsDeflate::corruptData()
{
    // ws reports a zlib error while inflating as 1007 (invalid frame payload data).
    QFETCH(QByteArray, compressed);
    QCOMPARE(run(compressedMessage(0x2, compressed), deflateOptions()), QStringList {"error:1007"});
    FrameDecoder decoder(deflateOptions());
    qsizetype used = 0;
    QCOMPARE(
        decoder.decode(compressedMessage(0x2, compressed), &used), FrameDecoder::Result::Error);
    QVERIFY(!decoder.errorReason().isEmpty());
}

void TestWsDeflate::invalidUtf8AfterInflation()
{
    ClientDeflater client;
    QCOMPARE(run(compressedMessage(0x1, client.compress("ok \xff", true)), deflateOptions()),
        QStringList {"error:1007"});
    // Truncated sequence at the end of the inflated text.
    QCOMPARE(run(compressedMessage(0x1, client.compress("ok \xe2\x82", true)), deflateOptions()),
        QStringList {"error:1007"});
    // Invalid text that also inflates beyond maxPayload: 1007 however the input is split (the
    // inflated bytes are validated before the size verdict; found by fuzz_wsframe).
    const QByteArray both =
        compressedMessage(0x1, client.compress("\xff" + QByteArray(300, 'a'), true));
    for (qsizetype chunk : {qsizetype(0), qsizetype(1), qsizetype(5)})
        QCOMPARE(run(both, deflateOptions(125), chunk), QStringList {"error:1007"});
    // Fail fast: the first fragment inflates to an invalid prefix; no need for the rest.
    const QByteArray bad = client.compress(QByteArray("\xc0") + QByteArray(1000, 'a'), true);
    FrameDecoder decoder(deflateOptions());
    qsizetype used = 0;
    QCOMPARE(decoder.decode(frame(0x41, bad), &used), FrameDecoder::Result::Error);
    QCOMPARE(decoder.errorCode(), 1007);
}

void TestWsDeflate::preparedMessageBuiltOnce()
{
    const QByteArray json = vmsJson(60000);
    const auto message = PreparedMessage::text(json, 1);
    QCOMPARE(message->framesBuilt(), 0);
    const QByteArray &plain = message->frame(false);
    const QByteArray &deflated = message->frame(true);
    QCOMPARE(message->framesBuilt(), 2);
    for (int i = 0; i < 100; ++i) {
        QCOMPARE(message->frame(false).constData(), plain.constData());
        QCOMPARE(message->frame(true).constData(), deflated.constData());
    }
    QCOMPARE(message->framesBuilt(), 2);
    QCOMPARE(plain, encodeFrame(Opcode::Text, json));
    QVERIFY(deflated.size() < plain.size() / 2);
    QCOMPARE(uchar(deflated[0]), uchar(0xC1)); // FIN | RSV1 | text
    // The deflated frame's payload inflates back to the JSON.
    const qsizetype header = serverFrameHeaderSize(deflated.size() - 4);
    QCOMPARE(inflateAll(deflated.mid(header)), json);
}

void TestWsDeflate::preparedMessageIncompressible()
{
    QByteArray random(5000, Qt::Uninitialized);
    QRandomGenerator(9).fillRange(reinterpret_cast<quint32 *>(random.data()), random.size() / 4);
    const auto message = PreparedMessage::binary(random);
    // Compression does not pay: the "deflated" frame is the plain one, shared.
    QCOMPARE(message->frame(true).constData(), message->frame(false).constData());
    QCOMPARE(message->framesBuilt(), 1);
}

void TestWsDeflate::negotiation_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<int>("policyBits");
    QTest::addColumn<bool>("policyNoContext");
    QTest::addColumn<bool>("policyEnabled");
    QTest::addColumn<QByteArray>("response"); // empty: not negotiated
    QTest::addColumn<int>("inflateBits");
    QTest::addColumn<bool>("noContext");

    auto row = [](const char *name, const QByteArray &header, const QByteArray &response,
                   int inflateBits = 15, bool noContext = false, int policyBits = 15,
                   bool policyNoContext = false, bool enabled = true) {
        QTest::newRow(name) << header << policyBits << policyNoContext << enabled << response
                            << inflateBits << noContext;
    };
    const QByteArray base = "permessage-deflate; server_no_context_takeover";
    row("none", "", "");
    row("other extension", "x-webkit-deflate-frame", "");
    row("plain", "permessage-deflate", base);
    row("disabled", "permessage-deflate", "", 15, false, 15, false, false);
    row("chrome", "permessage-deflate; client_max_window_bits", base);
    row("ws client", "permessage-deflate; client_max_window_bits", base);
    row("client bits value", "permessage-deflate; client_max_window_bits=10",
        base + "; client_max_window_bits=10", 10);
    row("client bits quoted", "permessage-deflate; client_max_window_bits=\"12\"",
        base + "; client_max_window_bits=12", 12);
    row("policy bits, bare offer", "permessage-deflate; client_max_window_bits",
        base + "; client_max_window_bits=11", 11, false, 11);
    row("policy bits, smaller offer", "permessage-deflate; client_max_window_bits=9",
        base + "; client_max_window_bits=9", 9, false, 11);
    row("policy bits, larger offer", "permessage-deflate; client_max_window_bits=14",
        base + "; client_max_window_bits=11", 11, false, 11);
    row("policy bits, no client param", "permessage-deflate", base, 15, false, 11);
    row("client no context", "permessage-deflate; client_no_context_takeover",
        base + "; client_no_context_takeover", 15, true);
    row("policy no context", "permessage-deflate", base + "; client_no_context_takeover", 15, true,
        15, true);
    row("server no context offered", "permessage-deflate; server_no_context_takeover", base);
    row("server bits 15", "permessage-deflate; server_max_window_bits=15",
        base + "; server_max_window_bits=15");
    row("server bits 10 declined", "permessage-deflate; server_max_window_bits=10", "");
    row("server bits 10 then plain",
        "permessage-deflate; server_max_window_bits=10, permessage-deflate", base);
    row("all params",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=15; client_max_window_bits=15",
        base + "; server_max_window_bits=15; client_no_context_takeover; client_max_window_bits=15",
        15, true);
    row("unknown param skipped",
        "permessage-deflate; foo=1, permessage-deflate; client_max_window_bits=9",
        base + "; client_max_window_bits=9", 9);
    row("duplicate param skipped",
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover, "
        "permessage-deflate",
        base);
    row("bits out of range", "permessage-deflate; client_max_window_bits=16", "");
    row("bits 7", "permessage-deflate; client_max_window_bits=7, permessage-deflate", base);
    row("bits not a number", "permessage-deflate; client_max_window_bits=ab", "");
    row("bits signed", "permessage-deflate; client_max_window_bits=+9", "");
    row("server bits without value", "permessage-deflate; server_max_window_bits", "");
    row("no context with value", "permessage-deflate; server_no_context_takeover=1", "");
    row("other first", "foo; bar=1, permessage-deflate; client_max_window_bits", base);
    row("case-insensitive name", "PerMessage-Deflate", base);
    row("spaces and tabs", "permessage-deflate ;\tclient_max_window_bits = 10 ",
        base + "; client_max_window_bits=10", 10);
    row("syntax error: empty", ",", "");
    row("syntax error: bad char", "permessage-deflate; client_max_window_bits=1@", "");
    row("syntax error: unterminated quote", "permessage-deflate; client_max_window_bits=\"10", "");
    row("syntax error: trailing comma", "permessage-deflate,", "");
}

void TestWsDeflate::negotiation()
{
    QFETCH(QByteArray, header);
    QFETCH(int, policyBits);
    QFETCH(bool, policyNoContext);
    QFETCH(bool, policyEnabled);
    QFETCH(QByteArray, response);
    QFETCH(int, inflateBits);
    QFETCH(bool, noContext);
    DeflatePolicy policy;
    policy.enabled = policyEnabled;
    policy.clientMaxWindowBits = policyBits;
    policy.clientNoContextTakeover = policyNoContext;
    const DeflateParams params = negotiateDeflate(header, policy);
    QCOMPARE(params.response, response);
    QCOMPARE(params.enabled, !response.isEmpty());
    if (params.enabled) {
        QCOMPARE(params.clientMaxWindowBits, inflateBits);
        QCOMPARE(params.clientNoContextTakeover, noContext);
    }

    // Through the whole handshake too.
    const HeaderList headers = {{"upgrade", "websocket"}, {"connection", "Upgrade"},
        {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="}, {"sec-websocket-version", "13"},
        {"sec-websocket-extensions", header}};
    const HandshakeResult result = processHandshake("GET", "HTTP/1.1", headers, policy);
    QCOMPARE(result.status, 101);
    QCOMPARE(result.response.contains("Sec-WebSocket-Extensions: " + response + "\r\n"),
        !response.isEmpty());
    QCOMPARE(result.response.contains("Sec-WebSocket-Extensions"), !response.isEmpty());
}

void TestWsDeflate::parseExtensionsTable_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QString>("parsed"); // name(param=value,param)|... or "invalid"
    QTest::newRow("single") << QByteArray("foo") << "foo()";
    QTest::newRow("params") << QByteArray("foo; a; b=1") << "foo(a,b=1)";
    QTest::newRow("two offers") << QByteArray("foo; a, bar; b=2") << "foo(a)|bar(b=2)";
    QTest::newRow("same twice") << QByteArray("foo, foo; x") << "foo()|foo(x)";
    QTest::newRow("quoted") << QByteArray("foo; b=\"10\"") << "foo(b=10)";
    QTest::newRow("quoted escape") << QByteArray("foo; b=\"1\\0\"") << "foo(b=10)";
    QTest::newRow("quoted empty") << QByteArray("foo; b=\"\"") << "invalid";
    QTest::newRow("quoted space") << QByteArray("foo; b=\"1 0\"") << "invalid";
    QTest::newRow("whitespace") << QByteArray("  foo ;  a = 1 ,\tbar ") << "foo(a=1)|bar()";
    QTest::newRow("empty") << QByteArray("") << "invalid";
    QTest::newRow("lone semicolon") << QByteArray("foo;") << "invalid";
    QTest::newRow("missing value") << QByteArray("foo; a=") << "invalid";
    QTest::newRow("double comma") << QByteArray("foo,,bar") << "invalid";
    QTest::newRow("bad token") << QByteArray("fo{o") << "invalid";
}

void TestWsDeflate::parseExtensionsTable()
{
    QFETCH(QByteArray, header);
    QFETCH(QString, parsed);
    const auto offers = parseExtensions(header);
    if (!offers) {
        QCOMPARE(QStringLiteral("invalid"), parsed);
        return;
    }
    QStringList described;
    for (const ExtensionOffer &offer : *offers) {
        QStringList params;
        for (const ExtensionParam &param : offer.params)
            params << QString::fromLatin1(
                param.name + (param.value ? "=" + *param.value : QByteArray()));
        described << QString::fromLatin1(offer.name) + '(' + params.join(',') + ')';
    }
    QCOMPARE(described.join('|'), parsed);
}

void TestWsDeflate::measureLevels()
{
    // For the report: bytes and time to compress a ~60 KB vms event at levels 1 and 6.
    const QByteArray json = vmsJson(61000);
    for (int level : {1, 6, 9}) {
        Deflater deflater(level);
        QByteArray compressed;
        QElapsedTimer timer;
        timer.start();
        const int rounds = 200;
        for (int i = 0; i < rounds; ++i)
            compressed = deflater.compressMessage(json);
        const double ms = double(timer.nsecsElapsed()) / 1e6 / rounds;
        QElapsedTimer inflateTimer;
        inflateTimer.start();
        for (int i = 0; i < rounds; ++i)
            QCOMPARE(inflateAll(compressed).size(), json.size());
        const double inflateMs = double(inflateTimer.nsecsElapsed()) / 1e6 / rounds;
        qInfo("level %d: %lld -> %lld bytes (%.2fx), deflate %.3f ms, inflate %.3f ms", level,
            qint64(json.size()), qint64(compressed.size()), double(json.size()) / compressed.size(),
            ms, inflateMs);
    }
}

QTEST_GUILESS_MAIN(TestWsDeflate)
#include "tst_wsdeflate.moc"
