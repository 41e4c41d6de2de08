// The strict JSON reader (shared/protocol/jsonreader.h): what JSON.parse accepts, decoded to the
// same QJsonValue QJsonDocument gives (but for a string's leading U+FEFF, which JSON.parse keeps
// and QJsonDocument drops), and everything else refused with a message.
#include "jsonsame.h"
#include "protocol/jsonreader.h"
#include "protocol/jsonwriter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

using namespace jarvis;

namespace {

// What QJsonDocument makes of one value (it only takes containers at the top).
QJsonValue viaQt(const QByteArray &text)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson("[" + text + "]", &error);
    if (error.error != QJsonParseError::NoError || document.array().size() != 1)
        return QJsonValue(QJsonValue::Undefined);
    return document.array().first();
}

bool same(const QJsonValue &a, const QJsonValue &b)
{
    return jarvis::test::jsonSame(a, b, jarvis::test::JsonCompare::Exact);
}

QByteArray randomString(QRandomGenerator &random)
{
    static const char *const pieces[] = {"a", "Z", "0", " ", "\\\"", "\\\\", "\\/", "\\b", "\\f",
        "\\n", "\\r", "\\t", "\\u0000", "\\u001f", "\\u00e9", "\\uD83D\\uDE00", "\\ud800",
        "\\uDC00", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\x7f", "abcdefghijklmnop"};
    QByteArray out = "\"";
    const int n = int(random.bounded(40));
    for (int i = 0; i < n; ++i)
        out += pieces[random.bounded(int(std::size(pieces)))];
    return out + "\"";
}

QByteArray randomValue(QRandomGenerator &random, int depth)
{
    static const char *const numbers[] = {"0", "-0", "1", "-1", "42", "0.5", "-0.25", "1e3", "1E-3",
        "2.5e+10", "123456789012345678", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "1.0", "100.000", "3.141592653589793", "1e308", "5e-324",
        "12345678901234567890123", "0.1", "1.7976931348623157e308"};
    const int kind = int(random.bounded(depth > 4 ? 5 : 7));
    switch (kind) {
    case 0:
        return numbers[random.bounded(int(std::size(numbers)))];
    case 1:
    case 2:
        return randomString(random);
    case 3:
        return random.bounded(2) ? "true" : "false";
    case 4:
        return "null";
    case 5: {
        QByteArray out = "[";
        const int n = int(random.bounded(5));
        for (int i = 0; i < n; ++i)
            out += (i ? "," : "") + QByteArray(random.bounded(2) ? " " : "")
                + randomValue(random, depth + 1);
        return out + "]";
    }
    default: {
        QByteArray out = "{";
        const int n = int(random.bounded(5));
        for (int i = 0; i < n; ++i)
            out += (i ? ",\n" : "") + randomString(random) + " : " + randomValue(random, depth + 1);
        return out + "}";
    }
    }
}

} // namespace

class TestJsonReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void accepted_data();
    void accepted();
    void rejected_data();
    void rejected();
    void longStrings_data();
    void longStrings();
    void nestingLimit();
    void sameAsQtOnRandomDocuments();
    void utf8Writer_data();
    void utf8Writer();
    void utf8WriterOnRandomBytes();
};

void TestJsonReader::accepted_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QJsonValue>("expected");

    QTest::newRow("zero") << QByteArray("0") << QJsonValue(0);
    QTest::newRow("negative") << QByteArray("-17") << QJsonValue(-17);
    QTest::newRow("fraction") << QByteArray("0.5") << QJsonValue(0.5);
    QTest::newRow("whole fraction is an integer") << QByteArray("2.0") << QJsonValue(2);
    QTest::newRow("exponent") << QByteArray("1e3") << QJsonValue(1000);
    QTest::newRow("negative exponent") << QByteArray("25E-1") << QJsonValue(2.5);
    QTest::newRow("int64 max") << QByteArray("9223372036854775807")
                               << QJsonValue(qint64(9223372036854775807LL));
    QTest::newRow("past int64") << QByteArray("9223372036854775808")
                                << QJsonValue(9223372036854775808.0);
    QTest::newRow("largest double")
        << QByteArray("1.7976931348623157e308") << QJsonValue(1.7976931348623157e308);
    QTest::newRow("true") << QByteArray("true") << QJsonValue(true);
    QTest::newRow("false") << QByteArray("false") << QJsonValue(false);
    QTest::newRow("null") << QByteArray("null") << QJsonValue(QJsonValue::Null);
    QTest::newRow("empty string") << QByteArray(R"("")") << QJsonValue(QString());
    QTest::newRow("short escapes")
        << QByteArray(R"("\"\\\/\b\f\n\r\t")") << QJsonValue(QStringLiteral("\"\\/\b\f\n\r\t"));
    QTest::newRow("unicode escape")
        << QByteArray(R"("caf\u00e9")") << QJsonValue(QStringLiteral("caf\u00e9"));
    QTest::newRow("surrogate pair escape")
        << QByteArray(R"("\uD83D\uDE00")") << QJsonValue(QString::fromUtf8("\xf0\x9f\x98\x80"));
    QTest::newRow("lone surrogate escape")
        << QByteArray(R"("a\ud800b")")
        << QJsonValue(QLatin1String("a") + QChar(char16_t(0xd800)) + QLatin1String("b"));
    QTest::newRow("escaped NUL") << QByteArray(R"("\u0000")") << QJsonValue(QString(QChar(0)));
    QTest::newRow("UTF-8") << QByteArray("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"")
                           << QJsonValue(QString::fromUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
    // QString::fromUtf8 drops a leading byte order mark; inside a JSON string it is a character.
    QTest::newRow("UTF-8 byte order mark starts a string")
        << QByteArray("[\"\xef\xbb\xbf"
                      "0F\", \"\xef\xbb\xbf\"]")
        << QJsonValue(
               QJsonArray {QString(QChar(0xfeff)) + QLatin1String("0F"), QString(QChar(0xfeff))});
    QTest::newRow("UTF-8 byte order mark before an escape") << QByteArray(
        "\"\xef\xbb\xbf\\n\"") << QJsonValue(QString(QChar(0xfeff)) + QLatin1Char('\n'));
    QTest::newRow("DEL is not a control character")
        << QByteArray("\"\x7f\"") << QJsonValue(QStringLiteral("\x7f"));
    QTest::newRow("surrounding whitespace")
        << QByteArray(" \t\r\n[1] \n") << QJsonValue(QJsonArray {1});
    QTest::newRow("empty array") << QByteArray("[]") << QJsonValue(QJsonArray());
    QTest::newRow("empty object") << QByteArray("{ }") << QJsonValue(QJsonObject());
    QTest::newRow("array") << QByteArray(R"([1, "a", [true], {"b": null}])")
                           << QJsonValue(QJsonArray {1, QStringLiteral("a"), QJsonArray {true},
                                  QJsonObject {{QStringLiteral("b"), QJsonValue::Null}}});
    QTest::newRow("repeated key keeps the last")
        << QByteArray(R"({"a":1,"a":2})") << QJsonValue(QJsonObject {{QStringLiteral("a"), 2}});
}

void TestJsonReader::accepted()
{
    QFETCH(QByteArray, text);
    QFETCH(QJsonValue, expected);
    QString error;
    const std::optional<QJsonValue> value = json::read(text, &error);
    QVERIFY2(value, qPrintable(error));
    QVERIFY2(same(*value, expected), qPrintable(QString::fromUtf8(text)));
}

void TestJsonReader::rejected_data()
{
    QTest::addColumn<QByteArray>("text");

    QTest::newRow("empty") << QByteArray();
    QTest::newRow("only whitespace") << QByteArray("  ");
    QTest::newRow("two values") << QByteArray("1 2");
    QTest::newRow("trailing comma array") << QByteArray("[1,]");
    QTest::newRow("trailing comma object") << QByteArray(R"({"a":1,})");
    QTest::newRow("leading comma") << QByteArray("[,1]");
    QTest::newRow("missing comma") << QByteArray("[1 2]");
    QTest::newRow("unterminated array") << QByteArray("[1");
    QTest::newRow("unterminated object") << QByteArray(R"({"a":1)");
    QTest::newRow("unterminated string") << QByteArray(R"("abc)");
    QTest::newRow("unterminated after escape") << QByteArray(R"("abc\)");
    QTest::newRow("unquoted key") << QByteArray("{a:1}");
    QTest::newRow("number key") << QByteArray("{1:1}");
    QTest::newRow("missing colon") << QByteArray(R"({"a" 1})");
    QTest::newRow("missing value") << QByteArray(R"({"a":})");
    QTest::newRow("single quotes") << QByteArray("'a'");
    QTest::newRow("unknown escape") << QByteArray(R"("\q")");
    QTest::newRow("escaped single quote") << QByteArray(R"("\'")");
    QTest::newRow("short unicode escape") << QByteArray(R"("\u12")");
    QTest::newRow("bad hex") << QByteArray(R"("\u12g4")");
    QTest::newRow("raw newline") << QByteArray("\"a\nb\"");
    QTest::newRow("raw tab") << QByteArray("\"a\tb\"");
    QTest::newRow("raw NUL") << QByteArray("\"a\0b\"", 5);
    QTest::newRow("raw control in a long string")
        << QByteArray("\"" + QByteArray(21, 'x') + "\x01" + QByteArray(21, 'x') + "\"");
    QTest::newRow("invalid UTF-8") << QByteArray("\"\xff\"");
    QTest::newRow("truncated UTF-8") << QByteArray("\"\xe2\x82\"");
    QTest::newRow("overlong UTF-8") << QByteArray("\"\xc0\xaf\"");
    QTest::newRow("UTF-8 surrogate") << QByteArray("\"\xed\xa0\x80\"");
    QTest::newRow("UTF-8 above U+10FFFF") << QByteArray("\"\xf4\x90\x80\x80\"");
    QTest::newRow("invalid UTF-8 after a long ASCII run")
        << QByteArray("\"" + QByteArray(37, 'y') + "\xc3\x28\"");
    QTest::newRow("number plus") << QByteArray("+1");
    QTest::newRow("number leading zero") << QByteArray("01");
    QTest::newRow("number no fraction digits") << QByteArray("1.");
    QTest::newRow("number no integer part") << QByteArray(".5");
    QTest::newRow("number bare exponent") << QByteArray("1e");
    QTest::newRow("number exponent sign only") << QByteArray("1e+");
    QTest::newRow("minus alone") << QByteArray("-");
    QTest::newRow("hex number") << QByteArray("0x10");
    QTest::newRow("infinite number") << QByteArray("1e999");
    QTest::newRow("NaN") << QByteArray("NaN");
    QTest::newRow("Infinity") << QByteArray("Infinity");
    QTest::newRow("literal prefix") << QByteArray("tru");
    QTest::newRow("literal capital") << QByteArray("True");
    QTest::newRow("literal suffix") << QByteArray("nullx");
    QTest::newRow("comment") << QByteArray("[1 /* c */]");
    QTest::newRow("BOM") << QByteArray("\xef\xbb\xbf[]");
    QTest::newRow("vertical tab whitespace") << QByteArray("\v[]");
}

void TestJsonReader::rejected()
{
    QFETCH(QByteArray, text);
    QString error;
    QVERIFY(!json::read(text, &error));
    QVERIFY2(error.startsWith(QLatin1String("invalid JSON data: ")), qPrintable(error));
    QVERIFY(!json::read(text)); // no error string wanted
}

// Bulk string decoding: escapes, control characters and multi-byte characters on every offset
// around the 8-byte scan, in strings long enough to take the word-at-a-time path.
void TestJsonReader::longStrings_data()
{
    QTest::addColumn<QString>("text");

    const QString pieces[] = {QStringLiteral("\""), QStringLiteral("\\"), QStringLiteral("\n"),
        QStringLiteral("\x01"), QString::fromUtf8("\xc3\xa9"), QString::fromUtf8("\xe2\x82\xac"),
        QString::fromUtf8("\xf0\x9f\x98\x80"), QString(QChar(0))};
    int row = 0;
    for (const QString &piece : pieces) {
        for (int offset = 0; offset < 40; ++offset) {
            QString text =
                QString(offset, QLatin1Char('a')) + piece + QString(23, QLatin1Char('b'));
            QTest::addRow("piece %d at %d", row, offset) << text;
        }
        ++row;
    }
    QTest::newRow("64 KiB of terminal text")
        << QString::fromLatin1(QByteArray(65536, 'x')).replace(100, 1, QStringLiteral("\r\n"));
}

void TestJsonReader::longStrings()
{
    QFETCH(QString, text);
    QByteArray encoded;
    json::appendJsonString(encoded, text);
    const std::optional<QJsonValue> value = json::read(encoded);
    QVERIFY(value);
    QCOMPARE(value->toString(), text);
}

void TestJsonReader::nestingLimit()
{
    const auto nested = [](int depth) { return QByteArray(depth, '[') + QByteArray(depth, ']'); };
    QVERIFY(json::read(nested(1024)));
    QVERIFY(!json::read(nested(1025)));
    QVERIFY(!json::read(nested(100000)));
    QByteArray objects;
    for (int i = 0; i < 1025; ++i)
        objects += "{\"a\":";
    objects += "1" + QByteArray(1025, '}');
    QString error;
    QVERIFY(!json::read(objects, &error));
    QVERIFY2(error.contains(QLatin1String("nested")), qPrintable(error));
}

// On documents both accept, the reader and QJsonDocument agree on every value.
void TestJsonReader::sameAsQtOnRandomDocuments()
{
    QRandomGenerator random(20261128);
    for (int i = 0; i < 3000; ++i) {
        const QByteArray text = randomValue(random, 0);
        QString error;
        const std::optional<QJsonValue> mine = json::read(text, &error);
        QVERIFY2(mine, qPrintable(error + QLatin1String(": ") + QString::fromUtf8(text)));
        const QJsonValue qt = viaQt(text);
        QVERIFY2(!qt.isUndefined(), text.constData());
        QVERIFY2(same(*mine, qt), text.constData());
    }
}

// appendJsonStringUtf8 writes what appendJsonString writes for the decoded text, and refuses
// (leaving the output alone) what is not valid UTF-8.
void TestJsonReader::utf8Writer_data()
{
    QTest::addColumn<QByteArray>("utf8");
    QTest::addColumn<bool>("valid");

    QTest::newRow("empty") << QByteArray() << true;
    QTest::newRow("ASCII") << QByteArray("hello, world") << true;
    QTest::newRow("every control character") << [] {
        QByteArray all;
        for (int c = 0; c < 0x20; ++c)
            all += char(c);
        return all + "\x7f\"\\/";
    }() << true;
    QTest::newRow("terminal escape sequences") << QByteArray("\x1b[1;32mok\x1b[0m\r\n") << true;
    QTest::newRow("multi-byte") << QByteArray(
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8")
                                << true;
    QTest::newRow("long run then quote") << QByteArray(31, 'a') + "\"" + QByteArray(9, 'b') << true;
    QTest::newRow("invalid byte") << QByteArray("abc\xff") << false;
    QTest::newRow("stray continuation") << QByteArray(20, 'x') + "\x80" << false;
    QTest::newRow("truncated sequence") << QByteArray("\xe2\x82") << false;
    QTest::newRow("encoded surrogate") << QByteArray("\xed\xa0\x80") << false;
    QTest::newRow("overlong") << QByteArray("\xc0\xaf") << false;
}

void TestJsonReader::utf8Writer()
{
    QFETCH(QByteArray, utf8);
    QFETCH(bool, valid);
    QByteArray mine = "prefix";
    QCOMPARE(json::appendJsonStringUtf8(mine, utf8), valid);
    if (!valid) {
        QCOMPARE(mine, QByteArray("prefix"));
        return;
    }
    QByteArray expected = "prefix";
    json::appendJsonString(expected, QString::fromUtf8(utf8));
    QCOMPARE(mine, expected);
    QCOMPARE(json::read(mine.mid(6))->toString(), QString::fromUtf8(utf8));
}

void TestJsonReader::utf8WriterOnRandomBytes()
{
    QRandomGenerator random(4242);
    static const char *const pieces[] = {"a", "0123456789abcdef", "\"", "\\", "\n", "\x01", "\x7f",
        "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xff", "\x80", "\xe2\x82"};
    for (int i = 0; i < 5000; ++i) {
        QByteArray utf8;
        const int n = int(random.bounded(30));
        for (int k = 0; k < n; ++k)
            utf8 += pieces[random.bounded(int(std::size(pieces)))];
        const bool valid = QUtf8StringView(utf8).isValidUtf8();
        QByteArray mine;
        QCOMPARE(json::appendJsonStringUtf8(mine, utf8), valid);
        if (valid) {
            QByteArray expected;
            json::appendJsonString(expected, QString::fromUtf8(utf8));
            QCOMPARE(mine, expected);
        }
    }
}

QTEST_APPLESS_MAIN(TestJsonReader)

#include "tst_jsonreader.moc"
