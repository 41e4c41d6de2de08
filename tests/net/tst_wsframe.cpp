// The RFC 6455 frame decoder and encoder: every rule the npm `ws` server enforces, as tables,
// each fed all at once, byte by byte and in odd-sized chunks.
#include "net/wsframe.h"
#include "wstestutil.h"

#include <QTest>

using namespace jarvis::net::ws;
using namespace wstest;

namespace {
QByteArray bytes(std::initializer_list<int> values)
{
    QByteArray out;
    for (int v : values)
        out += char(uchar(v));
    return out;
}

QByteArray be16(int v)
{
    return bytes({(v >> 8) & 0xFF, v & 0xFF});
}

DecoderOptions options(qint64 maxPayload = 1000, bool deflate = false)
{
    DecoderOptions o;
    o.maxPayload = maxPayload;
    o.deflate = deflate;
    return o;
}

const qsizetype Chunks[] = {0, 1, 2, 3, 5, 7, 13, 64, 4096};
} // namespace

class TestWsFrame : public QObject
{
    Q_OBJECT

private slots:
    void decode_data();
    void decode();
    void closeCodes_data();
    void closeCodes();
    void utf8_data();
    void utf8();
    void utf8AgainstQt();
    void failFastOnInvalidPrefix();
    void lengthCheckedBeforeBuffering();
    void largeMessages();
    void consumesUpToMessageEnd();
    void errorIsFinal();
    void encodeFrames_data();
    void encodeFrames();
    void encodeCloseFrames();
    void isValidCloseCodeTable();
};

void TestWsFrame::decode_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<qint64>("maxPayload");
    QTest::addColumn<bool>("deflate");
    QTest::addColumn<QStringList>("expected");

    auto row = [](const char *name, const QByteArray &input, const QStringList &expected,
                   qint64 maxPayload = 1000, bool deflate = false) {
        QTest::newRow(name) << input << maxPayload << deflate << expected;
    };

    // Valid data messages.
    row("text", text("hello"), {"text:hello"});
    row("empty text", text(""), {"text:"});
    row("binary", binary(bytes({0, 1, 2, 0xff})), {"binary:000102ff"});
    row("empty binary", binary({}), {"binary:"});
    row("zero mask", frame(0x81, "abc", 0), {"text:abc"});
    row("mask ff", frame(0x81, "abcdefghij", 0xffffffff), {"text:abcdefghij"});
    row("two messages", text("a") + binary("b"), {"text:a", "binary:62"});
    row("125 bytes", text(QByteArray(125, 'x')), {"text:125#xxxxxxxxxxxxxxxx"});
    row("16-bit length 126", text(QByteArray(126, 'y')), {"text:126#yyyyyyyyyyyyyyyy"});
    row("16-bit length 65535", binary(QByteArray(65535, 'z')),
        {"binary:65535#7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a"}, 100000);
    row("64-bit length 65536", binary(QByteArray(65536, 'z')),
        {"binary:65536#7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a"}, 100000);
    // Non-minimal lengths are accepted, as ws does.
    row("16-bit form for 5 bytes", frame(0x81, "hello", 1, 16), {"text:hello"});
    row("64-bit form for 5 bytes", frame(0x81, "hello", 1, 64), {"text:hello"});

    // Fragmentation.
    row("fragmented text", text("he", false) + continuation("ll", false) + continuation("o", true),
        {"text:hello"});
    row("fragmented binary", binary("\x01", false) + continuation("\x02", true), {"binary:0102"});
    row("empty fragments", text("", false) + continuation("", false) + continuation("", true),
        {"text:"});
    row("ping inside fragmented", text("ab", false) + frame(0x89, "p") + continuation("cd", true),
        {"ping:70", "text:abcd"});
    row("pong inside fragmented", binary("ab", false) + frame(0x8A, "") + continuation("cd", true),
        {"pong:", "binary:61626364"});
    row("close inside fragmented", text("ab", false) + closeFrame(1000, "bye"), {"close:1000:bye"});
    row("message after fragmented", text("a", false) + continuation("b", true) + text("c"),
        {"text:ab", "text:c"});

    // Control frames.
    row("ping", frame(0x89, "hi"), {"ping:6869"});
    row("ping 125", frame(0x89, QByteArray(125, 'p')),
        {"ping:" + QString(QByteArray(125, 'p').toHex())});
    row("pong", frame(0x8A, "x"), {"pong:78"});
    row("close empty", frame(0x88, ""), {"close:1005:"});
    row("close code only", closeFrame(1000), {"close:1000:"});
    row("close reason", closeFrame(1001, "going"), {"close:1001:going"});
    row("close utf8 reason", closeFrame(4000, "\xc3\xa9t\xc3\xa9"), {"close:4000:\u00e9t\u00e9"});
    row("after close ignored", closeFrame(1000) + text("x") + bytes({0xff, 0xff}), {"close:1000:"});

    // ws rules: 1002.
    row("unmasked", frame(0x81, "hi", 0, 0, false), {"error:1002"});
    row("unmasked empty", frame(0x81, "", 0, 0, false), {"error:1002"});
    row("unmasked ping", frame(0x89, "", 0, 0, false), {"error:1002"});
    row("rsv1 without deflate", frame(0xC1, "hi"), {"error:1002"});
    row("rsv2", frame(0xA1, "hi"), {"error:1002"});
    row("rsv3", frame(0x91, "hi"), {"error:1002"});
    row("rsv2 with deflate", frame(0xA1, "hi"), {"error:1002"}, 1000, true);
    row("rsv1 on continuation", text("a", false) + frame(0x40 | 0x80, "b"), {"error:1002"}, 1000,
        true);
    row("rsv1 on ping", frame(0xC9, ""), {"error:1002"}, 1000, true);
    for (int op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
        const QByteArray name = "opcode " + QByteArray::number(op);
        QTest::newRow(name.constData())
            << frame(quint8(0x80 | op), "") << qint64(1000) << false << QStringList {"error:1002"};
    }
    row("continuation first", continuation("x", true), {"error:1002"});
    row("continuation after finished", text("a") + continuation("x", true),
        {"text:a", "error:1002"});
    row("text while fragmented", text("a", false) + text("b"), {"error:1002"});
    row("binary while fragmented", text("a", false) + binary("b"), {"error:1002"});
    row("ping without fin", frame(0x09, ""), {"error:1002"});
    row("pong without fin", frame(0x0A, ""), {"error:1002"});
    row("close without fin", frame(0x08, ""), {"error:1002"});
    row("ping 126", frame(0x89, QByteArray(126, 'p')), {"error:1002"});
    row("ping length via 16-bit", frame(0x89, "abc", 1, 16), {"error:1002"});
    row("close 1 byte", frame(0x88, "\x03"), {"error:1002"});
    row("64-bit msb", bytes({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4}), {"error:1002"});

    // Payload limits: 1009.
    row("exactly max", binary(QByteArray(100, 'a')),
        {"binary:100#61616161616161616161616161616161"}, 100);
    row("over max", binary(QByteArray(101, 'a')), {"error:1009"}, 100);
    row("over max across fragments",
        binary(QByteArray(60, 'a'), false) + continuation(QByteArray(41, 'b'), true),
        {"error:1009"}, 100);
    row("max across fragments",
        binary(QByteArray(60, 'a'), false) + frame(0x89, QByteArray(120, 'p'))
            + continuation(QByteArray(40, 'b'), true),
        {"ping:" + QString(QByteArray(120, 'p').toHex()),
            "binary:100#61616161616161616161616161616161"},
        100);
    row("limit per message", binary(QByteArray(80, 'a')) + binary(QByteArray(80, 'b')),
        {"binary:80#61616161616161616161616161616161",
            "binary:80#62626262626262626262626262626262"},
        100);
    row("huge 64-bit length", bytes({0x82, 0xFF, 0x00, 0, 0, 0x10, 0, 0, 0, 0}), {"error:1009"});
    row("control frames do not count", frame(0x89, QByteArray(100, 'p')),
        {"ping:" + QString(QByteArray(100, 'p').toHex())}, 10);

    // UTF-8: 1007.
    row("text invalid", text("\xff"), {"error:1007"});
    row("text overlong", text("\xc0\xaf"), {"error:1007"});
    row("text surrogate", text("\xed\xa0\x80"), {"error:1007"});
    row("text above max", text("\xf4\x90\x80\x80"), {"error:1007"});
    row("text truncated", text("a\xe2\x82"), {"error:1007"});
    row("text split valid", text("\xe2", false) + continuation("\x82\xac", true), {"text:\u20ac"});
    row("emoji over 3 fragments",
        text("\xf0\x9f", false) + continuation("\x98", false) + continuation("\x80!", true),
        {"text:\U0001F600!"});
    row("split with ping between",
        text("\xe2\x82", false) + frame(0x89, "") + continuation("\xac", true),
        {"ping:", "text:\u20ac"});
    row("split truncated", text("\xe2", false) + continuation("\x82", true), {"error:1007"});
    row("split invalid continuation", text("\xe2", false) + continuation("a", true),
        {"error:1007"});
    row("binary not validated", binary("\xff\xfe"), {"binary:fffe"});
    row("close reason invalid", closeFrame(1000, "\xff"), {"error:1007"});
    row("close reason truncated", closeFrame(1000, "\xe2\x82"), {"error:1007"});
}

void TestWsFrame::decode()
{
    QFETCH(QByteArray, input);
    QFETCH(qint64, maxPayload);
    QFETCH(bool, deflate);
    QFETCH(QStringList, expected);
    for (qsizetype chunk : Chunks) {
        const QStringList events = run(input, options(maxPayload, deflate), chunk);
        QVERIFY2(events == expected,
            qPrintable(QStringLiteral("chunk %1: got %2").arg(chunk).arg(events.join(u" | "))));
    }
}

void TestWsFrame::closeCodes_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<bool>("valid");
    for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
             3999, 4000, 4999})
        QTest::addRow("%d", code) << code << true;
    for (int code : {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1999, 2000, 2999, 5000, 65535})
        QTest::addRow("%d", code) << code << false;
}

void TestWsFrame::closeCodes()
{
    QFETCH(int, code);
    QFETCH(bool, valid);
    QCOMPARE(isValidCloseCode(code), valid);
    const QStringList events = run(frame(0x88, be16(code) + "r"), options());
    QCOMPARE(events,
        QStringList {
            valid ? QStringLiteral("close:%1:r").arg(code) : QStringLiteral("error:1002")});
}

void TestWsFrame::utf8_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<bool>("validPrefix"); // could still become valid with more bytes
    auto row = [](const char *name, const QByteArray &input, bool valid, bool prefix) {
        QTest::newRow(name) << input << valid << prefix;
    };
    row("empty", "", true, true);
    row("ascii", "hello world, long enough for the fast path", true, true);
    row("2-byte", "\xc2\x80\xdf\xbf", true, true);
    row("3-byte", "\xe0\xa0\x80\xef\xbf\xbf", true, true);
    row("4-byte", "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", true, true);
    row("bom", "\xef\xbb\xbf", true, true);
    row("U+FFFD", "\xef\xbf\xbd", true, true);
    row("last before surrogates", "\xed\x9f\xbf", true, true);
    row("first after surrogates", "\xee\x80\x80", true, true);
    row("c0", "\xc0\x80", false, false);
    row("c1", "\xc1\xbf", false, false);
    row("overlong 3", "\xe0\x9f\xbf", false, false);
    row("overlong 4", "\xf0\x8f\xbf\xbf", false, false);
    row("surrogate high", "\xed\xa0\x80", false, false);
    row("surrogate low", "\xed\xbf\xbf", false, false);
    row("above 10ffff", "\xf4\x90\x80\x80", false, false);
    row("f5", "\xf5\x80\x80\x80", false, false);
    row("ff", "\xff", false, false);
    row("lone continuation", "\x80", false, false);
    row("truncated 2", "\xc2", false, true);
    row("truncated 3", "\xe2\x82", false, true);
    row("truncated 4", "\xf0\x9f\x98", false, true);
    row("ascii then bad", "0123456789abcdef\x80", false, false);
    row("bad in second word",
        "01234567\xc3\xa9"
        "0123456\xfe",
        false, false);
}

void TestWsFrame::utf8()
{
    QFETCH(QByteArray, input);
    QFETCH(bool, valid);
    QFETCH(bool, validPrefix);
    QCOMPARE(isValidUtf8(input), valid);
    // Incremental, byte by byte.
    Utf8Validator validator;
    bool ok = true;
    for (char c : input)
        ok = validator.feed(&c, 1) && ok;
    QCOMPARE(ok, validPrefix);
    QCOMPARE(validator.isComplete(), valid);
}

void TestWsFrame::utf8AgainstQt()
{
    // Qt's decoder replaces anything invalid, so valid UTF-8 is exactly what round-trips.
    quint32 seed = 12345;
    auto next = [&seed] {
        seed = seed * 1103515245 + 12345;
        return seed >> 16;
    };
    const uchar interesting[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1,
        0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff};
    for (int round = 0; round < 20000; ++round) {
        QByteArray input;
        const int length = int(next() % 8);
        for (int i = 0; i < length; ++i)
            input += char(interesting[next() % sizeof interesting]);
        const bool roundTrips = QString::fromUtf8(input).toUtf8() == input;
        QVERIFY2(isValidUtf8(input) == roundTrips, input.toHex().constData());
    }
}

void TestWsFrame::failFastOnInvalidPrefix()
{
    // The first fragment of an unfinished message already holds an impossible byte: the
    // decoder reports 1007 without waiting for the rest.
    FrameDecoder decoder(options());
    const QByteArray input = text("ok \xff and more", false);
    qsizetype used = 0;
    QCOMPARE(decoder.decode(input, &used), FrameDecoder::Result::Error);
    QCOMPARE(decoder.errorCode(), 1007);

    // Within a frame, too: the header promises 500 bytes, 10 arrive, one is bad.
    FrameDecoder partial(options());
    const QByteArray big = text(QByteArray("abc\xc0") + QByteArray(496, 'x'));
    QCOMPARE(partial.decode(big.left(2 + 2 + 4 + 10), &used), FrameDecoder::Result::Error);
    QCOMPARE(partial.errorCode(), 1007);
}

void TestWsFrame::lengthCheckedBeforeBuffering()
{
    FrameDecoder decoder(options(1000));
    // Header of a 1 GB binary frame, no payload yet.
    const QByteArray header = bytes({0x82, 0xFF, 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4});
    qsizetype used = 0;
    QCOMPARE(decoder.decode(header.left(10), &used), FrameDecoder::Result::Error);
    QCOMPARE(decoder.errorCode(), 1009);
    QCOMPARE(decoder.bufferedBytes(), 0);

    // Within the limit, a header promising much reserves nothing before the bytes come.
    FrameDecoder lazy(options(10'000'000));
    const QByteArray promise = bytes({0x82, 0xFF, 0, 0, 0, 0, 0, 0x90, 0, 0, 1, 2, 3, 4});
    QCOMPARE(lazy.decode(promise, &used), FrameDecoder::Result::NeedMore);
    QCOMPARE(lazy.bufferedBytes(), 0);
}

void TestWsFrame::largeMessages()
{
    QByteArray payload(300000, Qt::Uninitialized);
    for (qsizetype i = 0; i < payload.size(); ++i)
        payload[i] = char('a' + i % 26);
    const QByteArray input = text(payload.left(100000), false) + frame(0x89, "x")
        + continuation(payload.mid(100000), true);
    for (qsizetype chunk : {qsizetype(0), qsizetype(1000), qsizetype(16384), qsizetype(99999)}) {
        FrameDecoder decoder(options(300000));
        QList<DecodedMessage> messages;
        qsizetype pos = 0;
        while (pos < input.size()) {
            const qsizetype piece = chunk ? std::min(chunk, input.size() - pos) : input.size();
            qsizetype offset = 0;
            while (offset < piece) {
                qsizetype used = 0;
                const auto result =
                    decoder.decode(input.constData() + pos + offset, piece - offset, &used);
                offset += used;
                QVERIFY(result != FrameDecoder::Result::Error);
                if (result == FrameDecoder::Result::Message)
                    messages << decoder.takeMessage();
            }
            pos += piece;
        }
        QCOMPARE(messages.size(), 2);
        QCOMPARE(messages[0].opcode, Opcode::Ping);
        QCOMPARE(messages[1].opcode, Opcode::Text);
        QVERIFY(messages[1].payload == payload);
    }
}

void TestWsFrame::consumesUpToMessageEnd()
{
    FrameDecoder decoder(options());
    const QByteArray first = text("one");
    const QByteArray input = first + text("two");
    qsizetype used = 0;
    QCOMPARE(decoder.decode(input, &used), FrameDecoder::Result::Message);
    QCOMPARE(used, first.size());
    QCOMPARE(decoder.takeMessage().payload, QByteArray("one"));
    QCOMPARE(decoder.decode(input.mid(used), &used), FrameDecoder::Result::Message);
    QCOMPARE(decoder.takeMessage().payload, QByteArray("two"));
}

void TestWsFrame::errorIsFinal()
{
    FrameDecoder decoder(options());
    qsizetype used = 0;
    QCOMPARE(decoder.decode(frame(0x81, "x", 0, 0, false), &used), FrameDecoder::Result::Error);
    QCOMPARE(decoder.errorReason(), QStringLiteral("MASK must be set"));
    QCOMPARE(decoder.decode(text("fine"), &used), FrameDecoder::Result::Error);
    QCOMPARE(used, 0);
}

void TestWsFrame::encodeFrames_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<QByteArray>("header");
    QTest::newRow("0") << 0 << bytes({0x81, 0});
    QTest::newRow("125") << 125 << bytes({0x81, 125});
    QTest::newRow("126") << 126 << bytes({0x81, 126, 0, 126});
    QTest::newRow("65535") << 65535 << bytes({0x81, 126, 0xff, 0xff});
    QTest::newRow("65536") << 65536 << bytes({0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0});
    QTest::newRow("1000000") << 1000000 << bytes({0x81, 127, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x40});
}

void TestWsFrame::encodeFrames()
{
    QFETCH(int, size);
    QFETCH(QByteArray, header);
    const QByteArray payload(size, 'q');
    const QByteArray encoded = encodeFrame(Opcode::Text, payload);
    QCOMPARE(encoded.left(header.size()), header);
    QCOMPARE(serverFrameHeaderSize(size), header.size());
    QVERIFY(encoded.mid(header.size()) == payload);
    QCOMPARE(uchar(encodeFrame(Opcode::Binary, payload, false, true)[0]), uchar(0x42));
}

void TestWsFrame::encodeCloseFrames()
{
    QCOMPARE(encodeCloseFrame(1000), bytes({0x88, 2, 0x03, 0xe8}));
    QCOMPARE(encodeCloseFrame(1005), bytes({0x88, 0}));
    QCOMPARE(encodeCloseFrame(0), bytes({0x88, 0}));
    QCOMPARE(encodeCloseFrame(4001, "bye"), bytes({0x88, 5, 0x0f, 0xa1, 'b', 'y', 'e'}));
    // Reasons are cut to 123 bytes at a character boundary.
    const QByteArray euros = QString(60, QChar(0x20AC)).toUtf8(); // 180 bytes
    const QByteArray cut = encodeCloseFrame(1000, euros);
    QCOMPARE(cut.size(), 2 + 2 + 123);
    QVERIFY(isValidUtf8(cut.mid(4)));
    const QByteArray cutOdd = encodeCloseFrame(1000, "x" + euros);
    QCOMPARE(cutOdd.size(), 2 + 2 + 121);
    QVERIFY(isValidUtf8(cutOdd.mid(4)));
}

void TestWsFrame::isValidCloseCodeTable()
{
    int valid = 0;
    for (int code = 0; code < 70000; ++code)
        valid += isValidCloseCode(code);
    QCOMPARE(valid, 12 + 2000);
}

QTEST_GUILESS_MAIN(TestWsFrame)
#include "tst_wsframe.moc"
