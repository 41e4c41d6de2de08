// Engine.IO v4 codec: text packets, binary messages, polling payloads, malformed input and a
// randomized robustness run.

#include "protocol/engineio.h"

#include "hostileinput.h"
#include <QRandomGenerator>

#include <QTest>

using jarvis::eio::DecodeError;
using jarvis::eio::Packet;
using jarvis::eio::PacketType;

using PacketList = QList<jarvis::eio::Packet>;

Q_DECLARE_METATYPE(jarvis::eio::Packet)

namespace jarvis::eio {
// Readable QCOMPARE failures (found by ADL).
char *toString(const Packet &packet)
{
    const QByteArray text = "Packet(type=" + QByteArray(1, char(packet.type))
        + (packet.binary ? ", binary=" + packet.data.toHex() : ", text=" + packet.data) + ")";
    return qstrdup(text.constData());
}
} // namespace jarvis::eio

namespace {

Packet text(PacketType type, const QByteArray &data = {})
{
    Packet packet;
    packet.type = type;
    packet.data = data;
    packet.binary = false;
    return packet;
}

Packet binary(const QByteArray &bytes)
{
    return jarvis::eio::binaryMessage(bytes);
}

const QByteArray Sep(1, jarvis::eio::RecordSeparator);

} // namespace

class TestEngineIo : public QObject
{
    Q_OBJECT

private slots:
    void encodeText_data();
    void encodeText();
    void decodeText_data();
    void decodeText();
    void textRoundTrip_data();
    void textRoundTrip();
    void binaryMessage();
    void payload_data();
    void payload();
    void decodePayloadLenient_data();
    void decodePayloadLenient();
    void malformedText_data();
    void malformedText();
    void malformedPayload_data();
    void malformedPayload();
    void payloadLimit();
    void randomized();
};

void TestEngineIo::encodeText_data()
{
    QTest::addColumn<Packet>("packet");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("open")
        << text(PacketType::Open,
               R"({"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})")
        << QByteArray(
               R"(0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})");
    QTest::newRow("close") << text(PacketType::Close) << QByteArray("1");
    QTest::newRow("ping") << text(PacketType::Ping) << QByteArray("2");
    QTest::newRow("ping probe") << text(PacketType::Ping, "probe") << QByteArray("2probe");
    QTest::newRow("pong") << text(PacketType::Pong) << QByteArray("3");
    QTest::newRow("pong probe") << text(PacketType::Pong, "probe") << QByteArray("3probe");
    QTest::newRow("message") << text(PacketType::Message, "hello") << QByteArray("4hello");
    QTest::newRow("message empty") << text(PacketType::Message) << QByteArray("4");
    QTest::newRow("message socket.io") << text(PacketType::Message, R"(2/cluster,["nodes",[]])")
                                       << QByteArray(R"(42/cluster,["nodes",[]])");
    QTest::newRow("message unicode") << text(PacketType::Message, "\xe2\x82\xac\xf0\x9f\x98\x80")
                                     << QByteArray("4\xe2\x82\xac\xf0\x9f\x98\x80");
    QTest::newRow("message NUL") << text(PacketType::Message, QByteArray("a\0b", 3))
                                 << QByteArray("4a\0b", 4);
    QTest::newRow("upgrade") << text(PacketType::Upgrade) << QByteArray("5");
    QTest::newRow("noop") << text(PacketType::Noop) << QByteArray("6");
    QTest::newRow("binary as base64")
        << binary(QByteArray("\x01\x02\x03\x04", 4)) << QByteArray("bAQIDBA==");
    QTest::newRow("binary empty") << binary(QByteArray()) << QByteArray("b");
    QTest::newRow("binary one byte") << binary(QByteArray("\xff", 1)) << QByteArray("b/w==");
    QTest::newRow("binary two bytes") << binary(QByteArray("\xfb\xff", 2)) << QByteArray("b+/8=");
}

void TestEngineIo::encodeText()
{
    QFETCH(Packet, packet);
    QFETCH(QByteArray, expected);
    QCOMPARE(jarvis::eio::encodeText(packet), expected);
    QCOMPARE(jarvis::eio::encodePayloadRecord(packet), expected);
    QCOMPARE(jarvis::eio::encodePayload({packet}), expected);
}

void TestEngineIo::decodeText_data()
{
    QTest::addColumn<QByteArray>("frame");
    QTest::addColumn<Packet>("expected");

    QTest::newRow("open") << QByteArray(R"(0{"sid":"abc"})")
                          << text(PacketType::Open, R"({"sid":"abc"})");
    QTest::newRow("close") << QByteArray("1") << text(PacketType::Close);
    QTest::newRow("ping") << QByteArray("2") << text(PacketType::Ping);
    QTest::newRow("ping probe") << QByteArray("2probe") << text(PacketType::Ping, "probe");
    QTest::newRow("pong probe") << QByteArray("3probe") << text(PacketType::Pong, "probe");
    QTest::newRow("message") << QByteArray("4HelloWorld")
                             << text(PacketType::Message, "HelloWorld");
    QTest::newRow("message empty") << QByteArray("4") << text(PacketType::Message);
    QTest::newRow("message socket.io")
        << QByteArray(R"(451-/ns,["ev",{"_placeholder":true,"num":0}])")
        << text(PacketType::Message, R"(51-/ns,["ev",{"_placeholder":true,"num":0}])");
    QTest::newRow("message unicode") << QByteArray("4\xc3\xa9\xf0\x9f\x98\x80")
                                     << text(PacketType::Message, "\xc3\xa9\xf0\x9f\x98\x80");
    QTest::newRow("message embedded NUL")
        << QByteArray("4a\0b", 4) << text(PacketType::Message, QByteArray("a\0b", 3));
    QTest::newRow("message with separator byte")
        << QByteArray("4a\x1e") << text(PacketType::Message, "a\x1e");
    QTest::newRow("upgrade") << QByteArray("5") << text(PacketType::Upgrade);
    QTest::newRow("noop") << QByteArray("6") << text(PacketType::Noop);
    QTest::newRow("base64 binary")
        << QByteArray("bAQIDBA==") << binary(QByteArray("\x01\x02\x03\x04", 4));
    QTest::newRow("base64 binary empty") << QByteArray("b") << binary(QByteArray());
    QTest::newRow("base64 binary plus and slash")
        << QByteArray("b+/8=") << binary(QByteArray("\xfb\xff", 2));
}

void TestEngineIo::decodeText()
{
    QFETCH(QByteArray, frame);
    QFETCH(Packet, expected);
    DecodeError error;
    const std::optional<Packet> packet = jarvis::eio::decodeText(frame, &error);
    QVERIFY2(packet, qPrintable(error.message));
    QCOMPARE(*packet, expected);
    QVERIFY(jarvis::eio::decodeText(frame)); // without an error sink too
}

void TestEngineIo::textRoundTrip_data()
{
    encodeText_data();
}

void TestEngineIo::textRoundTrip()
{
    QFETCH(Packet, packet);
    QFETCH(QByteArray, expected);
    const std::optional<Packet> decoded = jarvis::eio::decodeText(jarvis::eio::encodeText(packet));
    QVERIFY(decoded);
    QCOMPARE(*decoded, packet);
    QCOMPARE(jarvis::eio::encodeText(*decoded), expected);
}

void TestEngineIo::binaryMessage()
{
    const QByteArray bytes("\x00\x01\xfe\xff", 4);
    const Packet packet = jarvis::eio::binaryMessage(bytes);
    QCOMPARE(packet.type, PacketType::Message);
    QVERIFY(packet.binary);
    QCOMPARE(packet.data, bytes);
    QVERIFY(packet != text(PacketType::Message, bytes));

    // binary frames carry no type prefix, arbitrary bytes are fine
    const QByteArray invalidUtf8("\xc0\xff\xfe", 3);
    QCOMPARE(jarvis::eio::binaryMessage(invalidUtf8).data, invalidUtf8);
    QVERIFY(jarvis::eio::binaryMessage({}).data.isEmpty());
}

void TestEngineIo::payload_data()
{
    QTest::addColumn<PacketList>("packets");
    QTest::addColumn<QByteArray>("body");

    QTest::newRow("single") << PacketList {text(PacketType::Message, "hello")}
                            << QByteArray("4hello");
    QTest::newRow("two texts") << PacketList {text(PacketType::Message, "hello"),
        text(PacketType::Message, "\xe2\x82\xac")}
                               << QByteArray("4hello" + Sep + "4\xe2\x82\xac");
    QTest::newRow("spec example mixed") << PacketList {text(PacketType::Message, "hello"),
        binary(QByteArray("\x01\x02\x03\x04", 4))}
                                        << QByteArray("4hello" + Sep + "bAQIDBA==");
    QTest::newRow("mixed control and messages")
        << PacketList {text(PacketType::Ping), text(PacketType::Message, R"(2["a"])"),
               binary(QByteArray("\xff", 1)), text(PacketType::Noop), binary(QByteArray()),
               text(PacketType::Close)}
        << QByteArray("2" + Sep + R"(42["a"])" + Sep + "b/w==" + Sep + "6" + Sep + "b" + Sep + "1");
    QTest::newRow("socket.io binary event")
        << PacketList {text(PacketType::Message,
                           R"(51-/files,["up",{"_placeholder":true,"num":0}])"),
               binary(QByteArray("PNG\x00\x01", 5))}
        << QByteArray(R"(451-/files,["up",{"_placeholder":true,"num":0}])" + Sep + "bUE5HAAE=");
    QTest::newRow("open then message") << PacketList {text(PacketType::Open, R"({"sid":"x"})"),
        text(PacketType::Message, "0")} << QByteArray(R"(0{"sid":"x"})" + Sep + "40");
}

void TestEngineIo::payload()
{
    QFETCH(PacketList, packets);
    QFETCH(QByteArray, body);

    QCOMPARE(jarvis::eio::encodePayload(packets), body);

    DecodeError error;
    const std::optional<PacketList> decoded = jarvis::eio::decodePayload(body, &error);
    QVERIFY2(decoded, qPrintable(error.message));
    QCOMPARE(*decoded, packets);

    // built from pre-encoded records, the payload is the same
    QByteArrayList records;
    for (const Packet &packet : packets)
        records.append(jarvis::eio::encodePayloadRecord(packet));
    QCOMPARE(records.join(jarvis::eio::RecordSeparator), body);
}

void TestEngineIo::decodePayloadLenient_data()
{
    // Inputs the encoder would not write but that are still valid.
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<PacketList>("expected");

    QTest::newRow("empty messages") << QByteArray(
        "4" + Sep + "4") << PacketList {text(PacketType::Message), text(PacketType::Message)};
    QTest::newRow("embedded NUL") << QByteArray("4\0", 2) + Sep + "3"
                                  << PacketList {text(PacketType::Message, QByteArray(1, '\0')),
                                         text(PacketType::Pong)};
    QTest::newRow("many") << QByteArray("6" + Sep).repeated(99) + "6"
                          << PacketList(100, text(PacketType::Noop));
}

void TestEngineIo::decodePayloadLenient()
{
    QFETCH(QByteArray, body);
    QFETCH(PacketList, expected);
    DecodeError error;
    const std::optional<PacketList> decoded = jarvis::eio::decodePayload(body, &error);
    QVERIFY2(decoded, qPrintable(error.message));
    QCOMPARE(*decoded, expected);
}

void TestEngineIo::malformedText_data()
{
    QTest::addColumn<QByteArray>("frame");

    QTest::newRow("empty") << QByteArray();
    QTest::newRow("unknown type 7") << QByteArray("7");
    QTest::newRow("unknown type 9 with data") << QByteArray("9hello");
    QTest::newRow("unknown type letter") << QByteArray("xhello");
    QTest::newRow("unknown type B") << QByteArray("BAQID");
    QTest::newRow("unknown type NUL") << QByteArray("\0"
                                                    "4",
        2);
    QTest::newRow("unknown type separator") << QByteArray("\x1e"
                                                          "4");
    QTest::newRow("unknown type high byte") << QByteArray("\xff");
    QTest::newRow("unknown type UTF-8 lead") << QByteArray("\xc3\xa9");
    QTest::newRow("invalid UTF-8") << QByteArray("4\xff");
    QTest::newRow("truncated UTF-8") << QByteArray("4\xe2\x82");
    QTest::newRow("truncated 4-byte UTF-8") << QByteArray("4abc\xf0\x9f\x98");
    QTest::newRow("overlong UTF-8") << QByteArray("4\xc0\xaf");
    QTest::newRow("overlong NUL") << QByteArray("4\xc0\x80");
    QTest::newRow("UTF-8 surrogate") << QByteArray("4\xed\xa0\x80");
    QTest::newRow("UTF-8 above U+10FFFF") << QByteArray("4\xf4\x90\x80\x80");
    QTest::newRow("lone continuation byte") << QByteArray("2pro\x80"
                                                          "be");
    QTest::newRow("base64 bad char") << QByteArray("bAQ!DBA==");
    QTest::newRow("base64 bad length") << QByteArray("bAQIDB");
    QTest::newRow("base64 unpadded") << QByteArray("bAQIDBA");
    QTest::newRow("base64 too much padding") << QByteArray("bA===");
    QTest::newRow("base64 padding in the middle") << QByteArray("bAQ==DBA");
    QTest::newRow("base64 only padding") << QByteArray("b====");
    QTest::newRow("base64 url alphabet") << QByteArray("b-_8=");
    QTest::newRow("base64 whitespace") << QByteArray("bAQID BA=");
    QTest::newRow("base64 newline") << QByteArray("bAQIDBA==\n");
}

void TestEngineIo::malformedText()
{
    QFETCH(QByteArray, frame);
    DecodeError error;
    const std::optional<Packet> packet = jarvis::eio::decodeText(frame, &error);
    QVERIFY2(!packet, packet ? toString(*packet) : "");
    QVERIFY(!error.message.isEmpty());
    QVERIFY(!jarvis::eio::decodeText(frame));

    // the same record inside a payload is rejected as well
    DecodeError payloadError;
    QVERIFY(!jarvis::eio::decodePayload("4ok" + Sep + frame, &payloadError));
    QVERIFY(!payloadError.message.isEmpty());
}

void TestEngineIo::malformedPayload_data()
{
    QTest::addColumn<QByteArray>("body");

    QTest::newRow("empty body") << QByteArray();
    QTest::newRow("only separator") << Sep;
    QTest::newRow("leading separator") << QByteArray(Sep + "4a");
    QTest::newRow("trailing separator") << QByteArray("4a" + Sep);
    QTest::newRow("empty record in the middle") << QByteArray("4a" + Sep + Sep + "4b");
    QTest::newRow("unknown type in second record") << QByteArray("4a" + Sep + "8b");
    QTest::newRow("bad base64 record") << QByteArray("4a" + Sep + "b%%%%");
    QTest::newRow("unpadded base64 record") << QByteArray("bAQ" + Sep + "4a");
    QTest::newRow("invalid UTF-8 record") << QByteArray("4a" + Sep + "4\xfe\xff" + Sep + "4c");
    QTest::newRow("truncated UTF-8 at the end") << QByteArray("4a" + Sep + "4\xe2");
    QTest::newRow("UTF-8 split by separator") << QByteArray("4\xe2\x82" + Sep + "\xac");
    QTest::newRow("text after b prefix") << QByteArray("4a" + Sep + "bhello");
}

void TestEngineIo::malformedPayload()
{
    QFETCH(QByteArray, body);
    DecodeError error;
    const std::optional<PacketList> packets = jarvis::eio::decodePayload(body, &error);
    QVERIFY(!packets);
    QVERIFY(!error.message.isEmpty());
    QVERIFY(!jarvis::eio::decodePayload(body));
}

void TestEngineIo::payloadLimit()
{
    const QByteArray three = "4a" + Sep + "4b" + Sep + "4c";
    DecodeError error;
    QVERIFY(!jarvis::eio::decodePayload(three, &error, 2));
    QVERIFY(!error.message.isEmpty());
    const std::optional<PacketList> packets = jarvis::eio::decodePayload(three, &error, 3);
    QVERIFY(packets);
    QCOMPARE(packets->size(), 3);
    QVERIFY(!jarvis::eio::decodePayload("4a", nullptr, 0));

    // a hostile body made only of separators is refused before any record is decoded
    const QByteArray flood(1000000, jarvis::eio::RecordSeparator);
    QVERIFY(!jarvis::eio::decodePayload(flood, &error));
    QVERIFY(!error.message.isEmpty());
}

void TestEngineIo::randomized()
{
    QRandomGenerator random(0xe10e10u);
    static const char alphabet[] = "0123456b789ABCxyz+/=\x1e\x00\xff\xc3\xa9";
    const QList<QByteArray> seeds {
        "4hello",
        "2probe",
        R"(0{"sid":"x","upgrades":[],"pingInterval":25000})",
        "bAQIDBA==",
        "4hello" + Sep + "bAQIDBA==" + Sep + "2" + Sep + "b/w==",
        R"(42/cluster,["nodes",[]])" + Sep + "6",
        "4\xe2\x82\xac",
    };

    int decodedText = 0;
    int decodedPayloads = 0;
    HostileInput hostile(
        random.generate(), QByteArray(alphabet, int(sizeof alphabet) - 1), seeds, 40);
    for (int round = 0; round < 6000; ++round) {
        const QByteArray input = hostile.next(round);

        DecodeError error;
        if (const std::optional<Packet> packet = jarvis::eio::decodeText(input, &error)) {
            ++decodedText;
            // what decodes re-encodes to something that decodes to the same packet
            const std::optional<Packet> again =
                jarvis::eio::decodeText(jarvis::eio::encodeText(*packet));
            QVERIFY(again);
            QCOMPARE(*again, *packet);
        } else {
            QVERIFY(!error.message.isEmpty());
        }

        DecodeError payloadError;
        const int limit = 1 + int(random.bounded(8));
        if (const std::optional<PacketList> packets =
                jarvis::eio::decodePayload(input, &payloadError, limit)) {
            ++decodedPayloads;
            QVERIFY(!packets->isEmpty());
            QVERIFY(packets->size() <= limit);
            bool framable = true; // text containing the separator cannot be re-framed
            for (const Packet &packet : *packets)
                framable = framable && (packet.binary || !packet.data.contains('\x1e'));
            if (framable) {
                const std::optional<PacketList> again = jarvis::eio::decodePayload(
                    jarvis::eio::encodePayload(*packets), nullptr, limit);
                QVERIFY(again);
                QCOMPARE(*again, *packets);
            }
        } else {
            QVERIFY(!payloadError.message.isEmpty());
        }
    }
    QVERIFY(decodedText > 0);
    QVERIFY(decodedPayloads > 0);
}

QTEST_GUILESS_MAIN(TestEngineIo)
#include "tst_engineio.moc"
