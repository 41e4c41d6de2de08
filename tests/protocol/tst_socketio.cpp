// Socket.IO v5 codec: encoding (byte for byte as socket.io-parser writes it), decoding, the
// binary reassembler, malformed input and a randomized robustness run.

#include "protocol/engineio.h"
#include "protocol/socketio.h"

#include "hostileinput.h"
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>

#include <QTest>

using jarvis::sio::Decoded;
using jarvis::sio::DecodeError;
using jarvis::sio::Packet;
using jarvis::sio::PacketType;
using jarvis::sio::Reassembler;

Q_DECLARE_METATYPE(jarvis::sio::Packet)

namespace jarvis::sio {
// Readable QCOMPARE failures (found by ADL).
char *toString(const Packet &packet)
{
    QByteArray text = "Packet(type=" + QByteArray::number(int(packet.type))
        + ", nsp=" + packet.nsp.toUtf8()
        + ", id=" + (packet.id ? QByteArray::number(*packet.id) : "none") + ", data="
        + (packet.data.isUndefined()
                ? QByteArray("undefined")
                : QJsonDocument(QJsonArray {packet.data}).toJson(QJsonDocument::Compact))
        + ", attachments=" + QByteArray::number(packet.attachments.size()) + ")";
    return qstrdup(text.constData());
}
} // namespace jarvis::sio

namespace {

// JSON text of any type (scalars too) -> value; a broken literal in a test is a bug in the test.
QJsonValue js(const char *text)
{
    QJsonParseError error;
    const QJsonDocument document =
        QJsonDocument::fromJson(QByteArray("[") + text + QByteArray("]"), &error);
    if (error.error != QJsonParseError::NoError || document.array().size() != 1)
        qFatal("bad JSON literal in test: %s", text);
    return document.array().first();
}

Packet makePacket(PacketType type, const char *nsp = "/", std::optional<qint64> id = {},
    const char *json = nullptr, QList<QByteArray> attachments = {})
{
    Packet packet;
    packet.type = type;
    packet.nsp = QString::fromUtf8(nsp);
    packet.id = id;
    packet.data = json ? js(json) : QJsonValue(QJsonValue::Undefined);
    packet.attachments = std::move(attachments);
    return packet;
}

// What a packet looks like after encode + decode + reassembly.
Packet normalized(Packet packet)
{
    const bool binary = !packet.attachments.isEmpty();
    if (packet.type == PacketType::BinaryEvent)
        packet.type = PacketType::Event;
    if (packet.type == PacketType::BinaryAck)
        packet.type = PacketType::Ack;
    if (packet.data.isNull())
        packet.data = QJsonValue(QJsonValue::Undefined);
    if (packet.nsp.isEmpty())
        packet.nsp = QStringLiteral("/");
    if (!binary && packet.type != PacketType::Event && packet.type != PacketType::Ack)
        packet.attachments.clear();
    return packet;
}

const char *const Ph0 = R"({"_placeholder":true,"num":0})";

} // namespace

class TestSocketIo : public QObject
{
    Q_OBJECT

private slots:
    void encode_data();
    void encode();
    void roundTrip_data();
    void roundTrip();
    void decode_data();
    void decode();
    void decodeMaxAttachments();
    void malformed_data();
    void malformed();
    void reassembler_data();
    void reassembler();
    void reassemblerLimitAndReset();
    void placeholders();
    void overEngineIo_data();
    void overEngineIo();
    void randomized();
};

void TestSocketIo::encode_data()
{
    QTest::addColumn<Packet>("packet");
    QTest::addColumn<QByteArray>("expected");

    // Expected texts are what socket.io-parser 4.2.x's Encoder writes for the same packet.
    QTest::newRow("connect") << makePacket(PacketType::Connect) << QByteArray("0");
    QTest::newRow("connect ns") << makePacket(PacketType::Connect, "/ns") << QByteArray("0/ns,");
    QTest::newRow("connect empty nsp") << makePacket(PacketType::Connect, "") << QByteArray("0");
    QTest::newRow("connect auth") << makePacket(PacketType::Connect, "/", {}, R"({"token":"abc"})")
                                  << QByteArray(R"(0{"token":"abc"})");
    QTest::newRow("connect sid") << makePacket(PacketType::Connect, "/", {}, R"({"sid":"x"})")
                                 << QByteArray(R"(0{"sid":"x"})");
    QTest::newRow("connect ns sid") << makePacket(PacketType::Connect, "/admin", {},
        R"({"sid":"x"})") << QByteArray(R"(0/admin,{"sid":"x"})");
    QTest::newRow("disconnect") << makePacket(PacketType::Disconnect) << QByteArray("1");
    QTest::newRow("disconnect ns")
        << makePacket(PacketType::Disconnect, "/ns") << QByteArray("1/ns,");
    QTest::newRow("disconnect null data")
        << makePacket(PacketType::Disconnect, "/", {}, "null") << QByteArray("1");
    QTest::newRow("event") << makePacket(PacketType::Event, "/", {}, R"(["hello"])")
                           << QByteArray(R"(2["hello"])");
    QTest::newRow("event args") << makePacket(
        PacketType::Event, "/", {}, R"(["hello",1,"two",{"three":3}])")
                                << QByteArray(R"(2["hello",1,"two",{"three":3}])");
    QTest::newRow("event ns id") << makePacket(PacketType::Event, "/cluster", 12,
        R"(["nodes",{"a":1}])") << QByteArray(R"(2/cluster,12["nodes",{"a":1}])");
    QTest::newRow("event id 0") << makePacket(PacketType::Event, "/", 0, R"(["a"])")
                                << QByteArray(R"(20["a"])");
    QTest::newRow("event max id") << makePacket(PacketType::Event, "/", 9007199254740991LL,
        R"(["a"])") << QByteArray(R"(29007199254740991["a"])");
    QTest::newRow("event unicode ns") << makePacket(PacketType::Event, "/\xc3\xb1", {}, R"(["x"])")
                                      << QByteArray("2/\xc3\xb1,[\"x\"]");
    QTest::newRow("event unicode")
        << makePacket(PacketType::Event, "/", {}, "[\"h\xc3\xa9llo\",\"\xf0\x9f\x98\x80\"]")
        << QByteArray("2[\"h\xc3\xa9llo\",\"\xf0\x9f\x98\x80\"]");
    QTest::newRow("event escapes")
        << makePacket(PacketType::Event, "/", {},
               R"(["a\"b\\c\n\t\u0001\u001f\u007f\b\f\r\/\u2028\ud800x\udc00"])")
        << QByteArray(
               "2[\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\x7f\\b\\f\\r/\xe2\x80\xa8\\ud800x\\udc00\"]");
    QTest::newRow("event numbers")
        << makePacket(PacketType::Event, "/", {},
               "[\"n\",1e21,1e-7,0.000001,1e20,123.456,-0,5e-324,1.7976931348623157e308,"
               "0.30000000000000004,9007199254740992,-1.5e-10,1e100,123e-20,100,0.5,-42]")
        << QByteArray("2[\"n\",1e+21,1e-7,0.000001,100000000000000000000,123.456,0,5e-324,"
                      "1.7976931348623157e+308,0.30000000000000004,9007199254740992,-1.5e-10,"
                      "1e+100,1.23e-18,100,0.5,-42]");
    QTest::newRow("event literals")
        << makePacket(
               PacketType::Event, "/", {}, R"(["t",true,false,null,[],{},[[]],{"a":{"b":[null]}}])")
        << QByteArray(R"(2["t",true,false,null,[],{},[[]],{"a":{"b":[null]}}])");
    QTest::newRow("ack empty") << makePacket(PacketType::Ack, "/", 1, "[]") << QByteArray("31[]");
    QTest::newRow("ack ns") << makePacket(PacketType::Ack, "/ns", 5, R"(["ok",{"ok":true}])")
                            << QByteArray(R"(3/ns,5["ok",{"ok":true}])");
    QTest::newRow("connect_error")
        << makePacket(PacketType::ConnectError, "/", {}, R"({"message":"Invalid namespace"})")
        << QByteArray(R"(4{"message":"Invalid namespace"})");
    QTest::newRow("connect_error ns data")
        << makePacket(PacketType::ConnectError, "/ns", {},
               R"({"message":"unauthorized","data":{"reason":"missing"}})")
        << QByteArray(R"(4/ns,{"data":{"reason":"missing"},"message":"unauthorized"})");
    QTest::newRow("connect_error string")
        << makePacket(PacketType::ConnectError, "/", {}, R"("bad")") << QByteArray(R"(4"bad")");
    QTest::newRow("binary event") << makePacket(PacketType::Event, "/ns", {},
        R"(["ev",{"_placeholder":true,"num":0}])", {QByteArray("\x01\x02", 2)})
                                  << QByteArray(R"(51-/ns,["ev",{"_placeholder":true,"num":0}])");
    QTest::newRow("binary event typed") << makePacket(PacketType::BinaryEvent, "/", {},
        R"(["ev",{"_placeholder":true,"num":0}])", {QByteArray("x")})
                                        << QByteArray(R"(51-["ev",{"_placeholder":true,"num":0}])");
    QTest::newRow("binary ack")
        << makePacket(PacketType::Ack, "/", 7,
               R"([{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
               {QByteArray("\x01", 1), QByteArray("\x02", 1)})
        << QByteArray(R"(62-7[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
    QTest::newRow("binary ack ns nested")
        << makePacket(PacketType::BinaryAck, "/files", 3,
               R"([{"a":{"_placeholder":true,"num":1},"b":[{"_placeholder":true,"num":0}]}])",
               {QByteArray(), QByteArray(1000, '\0')})
        << QByteArray(
               R"(62-/files,3[{"a":{"_placeholder":true,"num":1},"b":[{"_placeholder":true,"num":0}]}])");
    QTest::newRow("binary type without attachments")
        << makePacket(PacketType::BinaryEvent, "/", {}, R"(["a"])") << QByteArray(R"(2["a"])");
    QTest::newRow("binary ack type without attachments")
        << makePacket(PacketType::BinaryAck, "/", 2, "[]") << QByteArray("32[]");
}

void TestSocketIo::encode()
{
    QFETCH(Packet, packet);
    QFETCH(QByteArray, expected);
    QCOMPARE(jarvis::sio::encode(packet), expected);
}

void TestSocketIo::roundTrip_data()
{
    encode_data();
}

void TestSocketIo::roundTrip()
{
    QFETCH(Packet, packet);
    QFETCH(QByteArray, expected);
    const Packet want = normalized(packet);

    Reassembler reassembler;
    const QByteArray text = jarvis::sio::encode(packet);
    if (want.attachments.isEmpty()) {
        QCOMPARE(reassembler.addText(text), Reassembler::Status::Complete);
        // decode() alone gives the same for a non-binary packet
        DecodeError error;
        const std::optional<Decoded> decoded = jarvis::sio::decode(text, &error);
        QVERIFY2(decoded, qPrintable(error.message));
        QCOMPARE(decoded->expectedAttachments, 0);
        QCOMPARE(decoded->packet, want);
    } else {
        QCOMPARE(reassembler.addText(text), Reassembler::Status::NeedMore);
        for (qsizetype i = 0; i < want.attachments.size(); ++i) {
            const bool last = i + 1 == want.attachments.size();
            QCOMPARE(reassembler.addBinary(want.attachments[i]),
                last ? Reassembler::Status::Complete : Reassembler::Status::NeedMore);
        }
    }
    QCOMPARE(reassembler.take(), want);
    // and the re-encoded text is stable
    Packet again = want;
    QCOMPARE(jarvis::sio::encode(again), expected);
}

void TestSocketIo::decode_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<Packet>("expected");
    QTest::addColumn<int>("attachments");

    QTest::newRow("connect") << QByteArray("0") << makePacket(PacketType::Connect) << 0;
    QTest::newRow("connect ns comma")
        << QByteArray("0/ns,") << makePacket(PacketType::Connect, "/ns") << 0;
    QTest::newRow("connect ns no comma")
        << QByteArray("0/ns") << makePacket(PacketType::Connect, "/ns") << 0;
    QTest::newRow("connect explicit root")
        << QByteArray("0/,{}") << makePacket(PacketType::Connect, "/", {}, "{}") << 0;
    QTest::newRow("connect auth") << QByteArray(R"(0/cluster,{"token":"t"})")
                                  << makePacket(
                                         PacketType::Connect, "/cluster", {}, R"({"token":"t"})")
                                  << 0;
    QTest::newRow("disconnect") << QByteArray("1") << makePacket(PacketType::Disconnect) << 0;
    QTest::newRow("disconnect ns")
        << QByteArray("1/terminal,") << makePacket(PacketType::Disconnect, "/terminal") << 0;
    QTest::newRow("event") << QByteArray(R"(2["a",1,{"b":[true,null]}])")
                           << makePacket(PacketType::Event, "/", {}, R"(["a",1,{"b":[true,null]}])")
                           << 0;
    QTest::newRow("event ns id") << QByteArray(R"(2/cluster,12["refresh"])")
                                 << makePacket(PacketType::Event, "/cluster", 12, R"(["refresh"])")
                                 << 0;
    QTest::newRow("event leading zero id")
        << QByteArray(R"(2007["a"])") << makePacket(PacketType::Event, "/", 7, R"(["a"])") << 0;
    QTest::newRow("event max id") << QByteArray(R"(29007199254740991["a"])")
                                  << makePacket(
                                         PacketType::Event, "/", 9007199254740991LL, R"(["a"])")
                                  << 0;
    QTest::newRow("event inner whitespace")
        << QByteArray("2[ \"a\" ,\n1 ] ") << makePacket(PacketType::Event, "/", {}, R"(["a",1])")
        << 0;
    QTest::newRow("event escaped NUL")
        << QByteArray(R"(2["a\u0000b"])")
        << makePacket(PacketType::Event, "/", {}, R"(["a\u0000b"])") << 0;
    QTest::newRow("event non-reserved name")
        << QByteArray(R"(2["connected"])")
        << makePacket(PacketType::Event, "/", {}, R"(["connected"])") << 0;
    QTest::newRow("event placeholder in plain event left alone")
        << QByteArray(R"(2["a",{"_placeholder":true,"num":5}])")
        << makePacket(PacketType::Event, "/", {}, R"(["a",{"_placeholder":true,"num":5}])") << 0;
    QTest::newRow("ack") << QByteArray("3/ns,0[]") << makePacket(PacketType::Ack, "/ns", 0, "[]")
                         << 0;
    QTest::newRow("connect_error object")
        << QByteArray(R"(4/cluster,{"message":"unauthorized","data":{"reason":"expired"}})")
        << makePacket(PacketType::ConnectError, "/cluster", {},
               R"({"message":"unauthorized","data":{"reason":"expired"}})")
        << 0;
    QTest::newRow("connect_error string")
        << QByteArray(R"(4"nope")") << makePacket(PacketType::ConnectError, "/", {}, R"("nope")")
        << 0;
    QTest::newRow("binary event") << QByteArray(R"(51-["up",{"_placeholder":true,"num":0}])")
                                  << makePacket(PacketType::BinaryEvent, "/", {},
                                         R"(["up",{"_placeholder":true,"num":0}])")
                                  << 1;
    QTest::newRow("binary event ns id")
        << QByteArray(
               R"(52-/ns,3["up",{"_placeholder":true,"num":1},[{"_placeholder":true,"num":0}]])")
        << makePacket(PacketType::BinaryEvent, "/ns", 3,
               R"(["up",{"_placeholder":true,"num":1},[{"_placeholder":true,"num":0}]])")
        << 2;
    QTest::newRow("binary ack") << QByteArray(R"(61-/ns,9[{"_placeholder":true,"num":0}])")
                                << makePacket(PacketType::BinaryAck, "/ns", 9,
                                       R"([{"_placeholder":true,"num":0}])")
                                << 1;
    QTest::newRow("binary placeholder extra keys")
        << QByteArray(R"(51-["a",{"num":0,"_placeholder":true,"x":1}])")
        << makePacket(
               PacketType::BinaryEvent, "/", {}, R"(["a",{"num":0,"_placeholder":true,"x":1}])")
        << 1;
    QTest::newRow("binary placeholder num 0.0")
        << QByteArray(R"(51-["a",{"_placeholder":true,"num":0.0}])")
        << makePacket(PacketType::BinaryEvent, "/", {}, R"(["a",{"_placeholder":true,"num":0}])")
        << 1;

    QByteArray ten = R"(510-["a")";
    for (int i = 0; i < 10; ++i)
        ten += R"(,{"_placeholder":true,"num":)" + QByteArray::number(i) + "}";
    ten += "]";
    QTest::newRow("binary ten attachments")
        << ten << makePacket(PacketType::BinaryEvent, "/", {}, ten.mid(4).constData()) << 10;
}

void TestSocketIo::decode()
{
    QFETCH(QByteArray, text);
    QFETCH(Packet, expected);
    QFETCH(int, attachments);

    DecodeError error;
    const std::optional<Decoded> decoded = jarvis::sio::decode(text, &error);
    QVERIFY2(decoded, qPrintable(error.message));
    QCOMPARE(decoded->packet, expected);
    QCOMPARE(decoded->expectedAttachments, attachments);
    QVERIFY(decoded->packet.attachments.isEmpty());
}

void TestSocketIo::decodeMaxAttachments()
{
    const QByteArray three =
        R"(53-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}])";
    DecodeError error;
    QVERIFY(!jarvis::sio::decode(three, &error, 2));
    QVERIFY(!error.message.isEmpty());
    const std::optional<Decoded> decoded = jarvis::sio::decode(three, nullptr, 3);
    QVERIFY(decoded);
    QCOMPARE(decoded->expectedAttachments, 3);
    QVERIFY(!jarvis::sio::decode(three, nullptr, 0));
    QVERIFY(!jarvis::sio::decode(three, nullptr, -1));
}

void TestSocketIo::malformed_data()
{
    QTest::addColumn<QByteArray>("text");

    QTest::newRow("empty") << QByteArray();
    QTest::newRow("unknown type 7") << QByteArray(R"(7["a"])");
    QTest::newRow("unknown type 9") << QByteArray("9");
    QTest::newRow("unknown type letter") << QByteArray(R"(x["a"])");
    QTest::newRow("unknown type space") << QByteArray(R"( 2["a"])");
    QTest::newRow("unknown type NUL") << QByteArray("\0"
                                                    "2[\"a\"]",
        7);
    QTest::newRow("unknown type non-ascii") << QByteArray("\xc3\xa9");
    // EVENT
    QTest::newRow("event without data") << QByteArray("2");
    QTest::newRow("event ns without data") << QByteArray("2/ns,");
    QTest::newRow("event object") << QByteArray(R"(2{"a":1})");
    QTest::newRow("event string") << QByteArray(R"(2"a")");
    QTest::newRow("event null") << QByteArray("2null");
    QTest::newRow("event empty array") << QByteArray("2[]");
    QTest::newRow("event name number") << QByteArray("2[1]");
    QTest::newRow("event name null") << QByteArray("2[null]");
    QTest::newRow("event name object") << QByteArray(R"(2[{"a":1}])");
    QTest::newRow("event name array") << QByteArray(R"(2[["a"]])");
    QTest::newRow("reserved connect") << QByteArray(R"(2["connect"])");
    QTest::newRow("reserved connect_error") << QByteArray(R"(2["connect_error",1])");
    QTest::newRow("reserved disconnect") << QByteArray(R"(2/ns,["disconnect"])");
    QTest::newRow("reserved disconnecting") << QByteArray(R"(2["disconnecting"])");
    QTest::newRow("reserved newListener") << QByteArray(R"(21["newListener"])");
    QTest::newRow("reserved removeListener") << QByteArray(R"(2["removeListener"])");
    // CONNECT / DISCONNECT / CONNECT_ERROR
    QTest::newRow("connect array") << QByteArray(R"(0["a"])");
    QTest::newRow("connect string") << QByteArray(R"(0"tok")");
    QTest::newRow("connect null") << QByteArray("0null");
    QTest::newRow("connect with id") << QByteArray("012{}");
    QTest::newRow("disconnect with data") << QByteArray("1{}");
    QTest::newRow("disconnect ns with data") << QByteArray("1/ns,[]");
    QTest::newRow("disconnect with id") << QByteArray("1/ns,5");
    QTest::newRow("connect_error without data") << QByteArray("4");
    QTest::newRow("connect_error array") << QByteArray(R"(4["a"])");
    QTest::newRow("connect_error bool") << QByteArray("4true");
    QTest::newRow("connect_error with id") << QByteArray(R"(45"x")");
    // ACK
    QTest::newRow("ack without id") << QByteArray(R"(3["x"])");
    QTest::newRow("ack ns without id") << QByteArray("3/ns,[]");
    QTest::newRow("ack object") << QByteArray(R"(31{"a":1})");
    QTest::newRow("ack without data") << QByteArray("31");
    QTest::newRow("ack id 2^53") << QByteArray("39007199254740992[]");
    QTest::newRow("ack id huge") << QByteArray("3999999999999999999999999999999[]");
    QTest::newRow("event id 2^53") << QByteArray(R"(2/ns,9007199254740992["a"])");
    // JSON
    QTest::newRow("truncated JSON") << QByteArray(R"(2["a")");
    QTest::newRow("not JSON") << QByteArray("2hello");
    QTest::newRow("single quotes") << QByteArray("2['a']");
    QTest::newRow("trailing garbage") << QByteArray(R"(2["a"]x)");
    QTest::newRow("trailing second value") << QByteArray(R"(2["a"],["b"])");
    QTest::newRow("two objects") << QByteArray("0{}{}");
    QTest::newRow("trailing comma") << QByteArray(R"(2["a",])");
    QTest::newRow("whitespace before data") << QByteArray(R"(2 ["a"])");
    QTest::newRow("raw newline in string") << QByteArray("2[\"a\nb\"]");
    QTest::newRow("raw NUL in string") << QByteArray("2[\"a\0b\"]", 8);
    QTest::newRow("NUL after data") << QByteArray("2[\"a\"]\0", 7);
    QTest::newRow("unknown escape") << QByteArray(R"(2["a\q"])");
    QTest::newRow("escaped NUL byte") << QByteArray("2[\"\\\0\"]", 7);
    QTest::newRow("short unicode escape") << QByteArray(R"(2["\u12"])");
    QTest::newRow("number without fraction digits") << QByteArray(R"(2["a",1.])");
    QTest::newRow("number without integer part") << QByteArray(R"(2["a",.5])");
    QTest::newRow("number leading zero") << QByteArray(R"(2["a",01])");
    QTest::newRow("number plus sign") << QByteArray(R"(2["a",+1])");
    QTest::newRow("number bare exponent") << QByteArray(R"(2["a",1e])");
    QTest::newRow("literal prefix") << QByteArray(R"(2["a",tru])");
    QTest::newRow("unquoted key") << QByteArray(R"(0{a:1})");
    QTest::newRow("missing colon") << QByteArray(R"(0{"a" 1})");
    QTest::newRow("NaN") << QByteArray(R"(2["a",NaN])");
    QTest::newRow("number overflow") << QByteArray(R"(2["a",1e999])");
    QTest::newRow("too deep") << QByteArray(
        "2[\"a\"," + QByteArray(5000, '[') + QByteArray(5000, ']') + "]");
    // namespace
    QTest::newRow("namespace without slash") << QByteArray(R"(2ns,["a"])");
    QTest::newRow("namespace without comma") << QByteArray(R"(2/ns["a"])");
    QTest::newRow("namespace too long") << QByteArray("2/" + QByteArray(300, 'n') + ",[\"a\"]");
    QTest::newRow("namespace control char") << QByteArray("2/n\x01s,[\"a\"]");
    QTest::newRow("namespace DEL") << QByteArray("0/n\x7f");
    // UTF-8
    QTest::newRow("invalid UTF-8") << QByteArray("2[\"\xff\"]");
    QTest::newRow("truncated UTF-8") << QByteArray("2[\"\xe2\x82\"]");
    QTest::newRow("truncated UTF-8 at end") << QByteArray("2[\"a\"]\xe2\x82");
    QTest::newRow("overlong UTF-8") << QByteArray("2[\"\xc0\xaf\"]");
    QTest::newRow("UTF-8 surrogate") << QByteArray("2[\"\xed\xa0\x80\"]");
    QTest::newRow("UTF-8 above U+10FFFF") << QByteArray("2[\"\xf4\x90\x80\x80\"]");
    QTest::newRow("invalid UTF-8 in namespace") << QByteArray("0/\xfe,");
    // attachments
    QTest::newRow("attachments empty count")
        << QByteArray(R"(5-["a",{"_placeholder":true,"num":0}])");
    QTest::newRow("attachments letter") << QByteArray(R"(5a-["a",{"_placeholder":true,"num":0}])");
    QTest::newRow("attachments huge") << QByteArray(R"(599999999999-["a"])");
    QTest::newRow("attachments hostile") << QByteArray("59999999-");
    QTest::newRow("attachments over limit")
        << QByteArray(R"(511-["a",{"_placeholder":true,"num":0}])");
    QTest::newRow("attachments zero") << QByteArray(R"(50-["a"])");
    QTest::newRow("attachments missing dash")
        << QByteArray(R"(51["a",{"_placeholder":true,"num":0}])");
    QTest::newRow("attachments only type") << QByteArray("5");
    QTest::newRow("attachments only count") << QByteArray("51");
    QTest::newRow("attachments negative") << QByteArray(R"(5-1-["a"])");
    QTest::newRow("binary ack attachments missing") << QByteArray("6-1[]");
    QTest::newRow("binary ack without id") << QByteArray(R"(61-[{"_placeholder":true,"num":0}])");
    QTest::newRow("binary event reserved")
        << QByteArray(R"(51-["connect",{"_placeholder":true,"num":0}])");
    QTest::newRow("binary without placeholder") << QByteArray(R"(51-["a"])");
    QTest::newRow("placeholder num out of range")
        << QByteArray(R"(51-["a",{"_placeholder":true,"num":1}])");
    QTest::newRow("placeholder num negative")
        << QByteArray(R"(51-["a",{"_placeholder":true,"num":-1}])");
    QTest::newRow("placeholder num fraction")
        << QByteArray(R"(52-["a",{"_placeholder":true,"num":0.5},{"_placeholder":true,"num":1}])");
    QTest::newRow("placeholder num string")
        << QByteArray(R"(51-["a",{"_placeholder":true,"num":"0"}])");
    QTest::newRow("placeholder num missing") << QByteArray(R"(51-["a",{"_placeholder":true}])");
    QTest::newRow("placeholder duplicated")
        << QByteArray(R"(52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}])");
    QTest::newRow("placeholders fewer than attachments")
        << QByteArray(R"(53-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":2}])");
}

void TestSocketIo::malformed()
{
    QFETCH(QByteArray, text);
    DecodeError error;
    const std::optional<Decoded> decoded = jarvis::sio::decode(text, &error);
    QVERIFY2(!decoded, decoded ? toString(decoded->packet) : "");
    QVERIFY(!error.message.isEmpty());
    QVERIFY(!jarvis::sio::decode(text, nullptr)); // no error sink: same answer, no crash

    // the reassembler reports it too, and stays usable
    Reassembler reassembler;
    QCOMPARE(reassembler.addText(text), Reassembler::Status::Error);
    QVERIFY(!reassembler.errorString().isEmpty());
    QCOMPARE(reassembler.addText(R"(2["ok"])"), Reassembler::Status::Complete);
    QCOMPARE(reassembler.take(), makePacket(PacketType::Event, "/", {}, R"(["ok"])"));
}

void TestSocketIo::reassembler_data()
{
    // Each step is 't' + a text message or 'b' + a binary message; statuses has one letter per
    // step: N(eedMore), C(omplete), E(rror). `expected` is the packet of the last Complete.
    QTest::addColumn<QByteArrayList>("steps");
    QTest::addColumn<QByteArray>("statuses");
    QTest::addColumn<Packet>("expected");

    const Packet none;
    QTest::newRow("plain event") << QByteArrayList {R"(t2/ns,["a"])"} << QByteArray("C")
                                 << makePacket(PacketType::Event, "/ns", {}, R"(["a"])");
    QTest::newRow("one attachment")
        << QByteArrayList {R"(t51-["up",{"_placeholder":true,"num":0}])",
               QByteArray("b\x00\x01", 3)}
        << QByteArray("NC")
        << makePacket(PacketType::Event, "/", {}, R"(["up",{"_placeholder":true,"num":0}])",
               {QByteArray("\x00\x01", 2)});
    QTest::newRow("three attachments nested")
        << QByteArrayList {R"(t53-/ns,9["up",{"x":[{"_placeholder":true,"num":1}],"y":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":2}])",
               "bzero", "bone", "b"}
        << QByteArray("NNNC")
        << makePacket(PacketType::Event, "/ns", 9,
               R"(["up",{"x":[{"_placeholder":true,"num":1}],"y":{"_placeholder":true,"num":0}},{"_placeholder":true,"num":2}])",
               {"zero", "one", ""});
    QTest::newRow("binary ack") << QByteArrayList {R"(t61-/ns,4[{"_placeholder":true,"num":0}])",
        "b\xff\xfe"} << QByteArray("NC")
                                << makePacket(PacketType::Ack, "/ns", 4,
                                       R"([{"_placeholder":true,"num":0}])", {"\xff\xfe"});
    QTest::newRow("sequence")
        << QByteArrayList {R"(t51-["a",{"_placeholder":true,"num":0}])", "bA", R"(t2["plain"])",
               R"(t52-["b",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}])", "bfirst",
               "bsecond"}
        << QByteArray("NCCNNC")
        << makePacket(PacketType::Event, "/", {},
               R"(["b",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}])",
               {"first", "second"});
    QTest::newRow("unexpected binary") << QByteArrayList {"bstray"} << QByteArray("E") << none;
    QTest::newRow("binary after complete")
        << QByteArrayList {R"(t51-["a",{"_placeholder":true,"num":0}])", "bA", "bextra"}
        << QByteArray("NCE")
        << makePacket(PacketType::Event, "/", {}, R"(["a",{"_placeholder":true,"num":0}])", {"A"});
    QTest::newRow("text while pending")
        << QByteArrayList {R"(t52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
               "bA", R"(t2["b"])"}
        << QByteArray("NNE") << none;
    QTest::newRow("recovers after unexpected binary") << QByteArrayList {"bstray",
        R"(t2["a"])"} << QByteArray("EC") << makePacket(PacketType::Event, "/", {}, R"(["a"])");
    QTest::newRow("recovers after text while pending") << QByteArrayList {
        R"(t51-["a",{"_placeholder":true,"num":0}])", R"(t2["b"])", R"(t2["c"])",
        "bstray"} << QByteArray("NECE") << makePacket(PacketType::Event, "/", {}, R"(["c"])");
    QTest::newRow("placeholder out of range")
        << QByteArrayList {R"(t51-["a",{"_placeholder":true,"num":3}])", "bA"} << QByteArray("EE")
        << none;
    QTest::newRow("placeholder duplicated")
        << QByteArrayList {R"(t52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}])"}
        << QByteArray("E") << none;
    QTest::newRow("placeholder missing")
        << QByteArrayList {R"(t52-["a",{"_placeholder":true,"num":0}])"} << QByteArray("E") << none;
    QTest::newRow("too many attachments")
        << QByteArrayList {R"(t511-["a"])", "bA"} << QByteArray("EE") << none;
    QTest::newRow("malformed text") << QByteArrayList {"t2[", R"(t2["ok"])"} << QByteArray("EC")
                                    << makePacket(PacketType::Event, "/", {}, R"(["ok"])");
}

void TestSocketIo::reassembler()
{
    QFETCH(QByteArrayList, steps);
    QFETCH(QByteArray, statuses);
    QFETCH(Packet, expected);
    QCOMPARE(steps.size(), statuses.size());

    Reassembler reassembler;
    Packet last;
    for (qsizetype i = 0; i < steps.size(); ++i) {
        const QByteArray message = steps[i].mid(1);
        const Reassembler::Status status = steps[i].startsWith('t')
            ? reassembler.addText(message)
            : reassembler.addBinary(message);
        const char want = statuses[i];
        const Reassembler::Status wantStatus = want == 'N' ? Reassembler::Status::NeedMore
            : want == 'C'                                  ? Reassembler::Status::Complete
                                                           : Reassembler::Status::Error;
        QVERIFY2(status == wantStatus,
            qPrintable(QStringLiteral("step %1: got status %2, want %3 (%4)")
                           .arg(i)
                           .arg(int(status))
                           .arg(QLatin1Char(want))
                           .arg(reassembler.errorString())));
        if (status == Reassembler::Status::Error)
            QVERIFY(!reassembler.errorString().isEmpty());
        if (status == Reassembler::Status::Complete)
            last = reassembler.take();
    }
    if (statuses.contains('C'))
        QCOMPARE(last, expected);
}

void TestSocketIo::reassemblerLimitAndReset()
{
    const QByteArray three =
        R"(53-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}])";
    Reassembler limited(2);
    QCOMPARE(limited.addText(three), Reassembler::Status::Error);
    QVERIFY(limited.errorString().contains(QLatin1StringView("attachments")));

    Reassembler reassembler(3);
    QCOMPARE(reassembler.addText(three), Reassembler::Status::NeedMore);
    QCOMPARE(reassembler.addBinary("x"), Reassembler::Status::NeedMore);
    reassembler.reset();
    QVERIFY(reassembler.errorString().isEmpty());
    // the half-built packet is gone: binary is unexpected, text is fine
    QCOMPARE(reassembler.addBinary("y"), Reassembler::Status::Error);
    QCOMPARE(reassembler.addText(R"(3/ns,1["done"])"), Reassembler::Status::Complete);
    QCOMPARE(reassembler.take(), makePacket(PacketType::Ack, "/ns", 1, R"(["done"])"));
    // take() empties it
    QCOMPARE(reassembler.take(), Packet());
}

void TestSocketIo::placeholders()
{
    QCOMPARE(jarvis::sio::placeholder(0), js(Ph0).toObject());
    QCOMPARE(jarvis::sio::placeholder(3), js(R"({"_placeholder":true,"num":3})").toObject());

    const QList<QByteArray> blobs {"zero", "one"};
    QCOMPARE(jarvis::sio::attachmentFor(jarvis::sio::placeholder(1), blobs), QByteArray("one"));
    QCOMPARE(jarvis::sio::attachmentFor(js(R"({"_placeholder":true,"num":0.0})"), blobs),
        QByteArray("zero"));
    QVERIFY(!jarvis::sio::attachmentFor(jarvis::sio::placeholder(2), blobs));
    QVERIFY(!jarvis::sio::attachmentFor(jarvis::sio::placeholder(-1), blobs));
    QVERIFY(!jarvis::sio::attachmentFor(jarvis::sio::placeholder(0), {}));
    QVERIFY(!jarvis::sio::attachmentFor(js(R"({"_placeholder":false,"num":0})"), blobs));
    QVERIFY(!jarvis::sio::attachmentFor(js(R"({"_placeholder":"true","num":0})"), blobs));
    QVERIFY(!jarvis::sio::attachmentFor(js(R"({"_placeholder":true,"num":0.5})"), blobs));
    QVERIFY(!jarvis::sio::attachmentFor(js(R"({"_placeholder":true})"), blobs));
    QVERIFY(!jarvis::sio::attachmentFor(js(R"([0])"), blobs));
    QVERIFY(!jarvis::sio::attachmentFor(js("0"), blobs));

    // building a binary event from placeholders and reading it back
    Packet packet;
    packet.type = PacketType::Event;
    packet.nsp = QStringLiteral("/files");
    packet.data = QJsonArray {QStringLiteral("upload"), jarvis::sio::placeholder(0),
        QJsonObject {{QStringLiteral("thumb"), jarvis::sio::placeholder(1)}}};
    packet.attachments = {QByteArray("\x89PNG", 4), QByteArray(3, '\0')};
    const QByteArray text = jarvis::sio::encode(packet);
    QCOMPARE(text,
        QByteArray(R"(52-/files,["upload",{"_placeholder":true,"num":0},)"
                   R"({"thumb":{"_placeholder":true,"num":1}}])"));
    Reassembler reassembler;
    QCOMPARE(reassembler.addText(text), Reassembler::Status::NeedMore);
    QCOMPARE(reassembler.addBinary(packet.attachments[0]), Reassembler::Status::NeedMore);
    QCOMPARE(reassembler.addBinary(packet.attachments[1]), Reassembler::Status::Complete);
    const Packet got = reassembler.take();
    QCOMPARE(got, packet);
    const QJsonArray args = got.data.toArray();
    QCOMPARE(jarvis::sio::attachmentFor(args[1], got.attachments), QByteArray("\x89PNG", 4));
    QCOMPARE(jarvis::sio::attachmentFor(
                 args[2].toObject().value(QLatin1StringView("thumb")), got.attachments),
        QByteArray(3, '\0'));
}

void TestSocketIo::overEngineIo_data()
{
    QTest::addColumn<Packet>("packet");
    QTest::addColumn<QByteArray>("frame");

    QTest::newRow("server connect ns") << makePacket(PacketType::Connect, "/custom", {},
        R"({"sid":"abc"})") << QByteArray(R"(40/custom,{"sid":"abc"})");
    QTest::newRow("connect root") << makePacket(PacketType::Connect) << QByteArray("40");
    QTest::newRow("connect_error")
        << makePacket(PacketType::ConnectError, "/", {}, R"({"message":"Invalid namespace"})")
        << QByteArray(R"(44{"message":"Invalid namespace"})");
    QTest::newRow("disconnect ns")
        << makePacket(PacketType::Disconnect, "/ns") << QByteArray("41/ns,");
    QTest::newRow("binary event") << makePacket(
        PacketType::Event, "/ns", {}, R"(["ev",{"_placeholder":true,"num":0}])", {"blob"})
                                  << QByteArray(R"(451-/ns,["ev",{"_placeholder":true,"num":0}])");
}

void TestSocketIo::overEngineIo()
{
    QFETCH(Packet, packet);
    QFETCH(QByteArray, frame);

    jarvis::eio::Packet message;
    message.type = jarvis::eio::PacketType::Message;
    message.data = jarvis::sio::encode(packet);
    QCOMPARE(jarvis::eio::encodeText(message), frame);

    // and back: engine.io frame -> socket.io text (+ binary frames) -> packet
    const std::optional<jarvis::eio::Packet> eioPacket = jarvis::eio::decodeText(frame);
    QVERIFY(eioPacket);
    QCOMPARE(eioPacket->type, jarvis::eio::PacketType::Message);
    Reassembler reassembler;
    Reassembler::Status status = reassembler.addText(eioPacket->data);
    for (const QByteArray &blob : packet.attachments) {
        QCOMPARE(status, Reassembler::Status::NeedMore);
        const jarvis::eio::Packet binary = jarvis::eio::binaryMessage(blob);
        QVERIFY(binary.binary);
        status = reassembler.addBinary(binary.data);
    }
    QCOMPARE(status, Reassembler::Status::Complete);
    QCOMPARE(reassembler.take(), normalized(packet));
}

void TestSocketIo::randomized()
{
    QRandomGenerator random(0x5eed1234u);
    static const char alphabet[] = "0123456789-/,[]{}\":_placeholdernumtrue \\u\x1e\x00\xff\xc3";
    const QList<QByteArray> seeds {
        R"(2/cluster,12["nodes",{"a":1}])",
        R"(0{"sid":"x"})",
        R"(51-/ns,["ev",{"_placeholder":true,"num":0}])",
        R"(62-7[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
        R"(4{"message":"Invalid namespace"})",
        "1/ns,",
        R"(3/ns,5["ok",{"ok":true}])",
        "2[\"h\xc3\xa9\",1.5e-7,-0,null,[[{}]]]",
    };

    int decodedCount = 0;
    Reassembler reassembler;
    HostileInput hostile(
        random.generate(), QByteArray(alphabet, int(sizeof alphabet) - 1), seeds, 48);
    for (int round = 0; round < 6000; ++round) {
        const QByteArray input = hostile.next(round);

        DecodeError error;
        const std::optional<Decoded> decoded =
            jarvis::sio::decode(input, &error, int(random.bounded(12)));
        if (decoded) {
            ++decodedCount;
            // whatever decodes re-encodes to something that decodes to the same packet
            Packet packet = decoded->packet;
            for (int i = 0; i < decoded->expectedAttachments; ++i)
                packet.attachments.append(QByteArray::number(i));
            const std::optional<Decoded> again =
                jarvis::sio::decode(jarvis::sio::encode(packet), nullptr, 11);
            QVERIFY2(again, qPrintable(QString::fromUtf8(input.toPercentEncoding())));
            QCOMPARE(again->packet, decoded->packet);
            QCOMPARE(again->expectedAttachments, decoded->expectedAttachments);
        } else {
            QVERIFY(!error.message.isEmpty());
        }

        // the same bytes as text or binary into a long-lived reassembler
        const Reassembler::Status status =
            random.bounded(3) == 0 ? reassembler.addBinary(input) : reassembler.addText(input);
        if (status == Reassembler::Status::Error)
            QVERIFY(!reassembler.errorString().isEmpty());
        if (status == Reassembler::Status::Complete)
            reassembler.take();
    }
    QVERIFY(decodedCount > 0);
}

QTEST_GUILESS_MAIN(TestSocketIo)
#include "tst_socketio.moc"
