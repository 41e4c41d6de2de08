// Password hashes, constant-time comparison, JWT issue/verify and the login throttle.

#include "auth/apikey.h"
#include "auth/bearer.h"
#include "auth/jwt.h"
#include "auth/loginthrottle.h"
#include "auth/password.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QRegularExpression>
#include <QTest>

using namespace jarvis::auth;

Q_DECLARE_METATYPE(jarvis::auth::TokenError)
Q_DECLARE_METATYPE(jarvis::auth::PresentedToken)

namespace {

const QByteArray Key = "test-key-0123456789-0123456789-0123456789-abcdef";
const QDateTime Now = QDateTime::fromSecsSinceEpoch(1700000000, Qt::UTC);
const qint64 NowSecs = 1700000000;

QByteArray b64url(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// A token from raw segments, correctly signed over exactly those segments: whatever it is
// rejected for, it is not the signature.
QString rawToken(
    const QByteArray &headerSegment, const QByteArray &payloadSegment, const QByteArray &key = Key)
{
    const QByteArray input = headerSegment + '.' + payloadSegment;
    return QString::fromLatin1(input + '.'
        + b64url(QMessageAuthenticationCode::hash(input, key, QCryptographicHash::Sha256)));
}

QString tokenFromJson(const QByteArray &headerJson, const QByteArray &payloadJson)
{
    return rawToken(b64url(headerJson), b64url(payloadJson));
}

QJsonObject hs256Header()
{
    return {{QStringLiteral("alg"), QStringLiteral("HS256")},
        {QStringLiteral("typ"), QStringLiteral("JWT")}};
}

QJsonObject claims(qint64 exp)
{
    return {{QStringLiteral("sub"), QStringLiteral("admin")}, {QStringLiteral("iat"), NowSecs - 10},
        {QStringLiteral("exp"), exp}, {QStringLiteral("jti"), QStringLiteral("abc")}};
}

QJsonObject with(QJsonObject o, const QString &key, const QJsonValue &value)
{
    if (value.isUndefined())
        o.remove(key);
    else
        o.insert(key, value);
    return o;
}

QString segment(const QString &token, int index)
{
    return token.split(QLatin1Char('.')).value(index);
}

} // namespace

class TestAuth : public QObject
{
    Q_OBJECT

private slots:
    void passwordRoundTrip_data();
    void passwordRoundTrip();
    void passwordKnownVector_data();
    void passwordKnownVector();
    void saltIsRandom();
    void malformedHashes_data();
    void malformedHashes();
    void constantTimeEquals_data();
    void constantTimeEquals();

    void verify_data();
    void verify();
    void issuedClaims();
    void externalToken();
    void nullErrorPointer();
    void reasonString_data();
    void reasonString();
    void bearerCheck_data();
    void bearerCheck();

    void throttleBlocksAfterMaxFailures();
    void throttleWindowSlides();
    void throttleSuccessResets();
    void throttleAddressesIndependent();
    void throttleBoundedMemory();
    void throttlePrunesStaleEntries();

    void apiKeyRoundTrip();
    void apiKeyList_data();
    void apiKeyList();
};

// ---- Passwords ----------------------------------------------------------------------------

void TestAuth::passwordRoundTrip_data()
{
    QTest::addColumn<QString>("password");
    QTest::addColumn<int>("iterations");
    QTest::addRow("ascii") << QStringLiteral("correct horse battery staple") << 1000;
    QTest::addRow("empty") << QString() << 1000;
    QTest::addRow("unicode") << QStringLiteral("pässwörd ✓ 密码") << 1000;
    QTest::addRow("dollar and equals") << QStringLiteral("a$b=c$$==") << 1000;
    QTest::addRow("long") << QString(2000, QLatin1Char('x')) << 1000;
    QTest::addRow("odd iterations") << QStringLiteral("pw") << 1234;
    QTest::addRow("default 600000") << QStringLiteral("secret") << DefaultPbkdf2Iterations;
}

void TestAuth::passwordRoundTrip()
{
    QFETCH(QString, password);
    QFETCH(int, iterations);

    const QString encoded = hashPassword(password, iterations);
    static const QRegularExpression format(
        QStringLiteral("^pbkdf2-sha256\\$(\\d+)\\$([A-Za-z0-9+/]{22}==)\\$([A-Za-z0-9+/]{43}=)$"));
    const auto match = format.match(encoded);
    QVERIFY2(match.hasMatch(), qPrintable(encoded));
    QCOMPARE(match.captured(1).toInt(), iterations);
    QCOMPARE(QByteArray::fromBase64(match.captured(2).toLatin1()).size(), 16);
    QCOMPARE(QByteArray::fromBase64(match.captured(3).toLatin1()).size(), 32);

    QString why;
    QVERIFY2(isValidPasswordHash(encoded, &why), qPrintable(why));
    QVERIFY(verifyPassword(password, encoded));
    QVERIFY(!verifyPassword(password + QLatin1Char('x'), encoded));
    if (iterations > 1000)
        return; // each derivation of the default count takes about 0.1 s
    QVERIFY(!verifyPassword(QStringLiteral("wrong"), encoded));
    if (!password.isEmpty())
        QVERIFY(!verifyPassword(password.chopped(1), encoded));
}

void TestAuth::passwordKnownVector_data()
{
    QTest::addColumn<QString>("password");
    QTest::addColumn<QString>("encoded");
    // Python: base64 of hashlib.pbkdf2_hmac('sha256', password.encode(), salt, iterations, 32).
    QTest::newRow("utf-8") << QStringLiteral("pässwörd")
                           << QStringLiteral("pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg==$"
                                             "Kfxd4gVEVJAUWyEM9/KuB1B0aQFq+qVyrFi44QnyZ4k=");
    QTest::newRow("empty") << QString()
                           << QStringLiteral("pbkdf2-sha256$1000$c2FsdHNhbHQ=$"
                                             "PgZh7gahAL7ZcynQb3HBarjKdqFLfcH+atPymuPv/9s=");
    // HMAC's key is the password up to SHA-256's 64-byte block, its hash beyond.
    QTest::newRow("64-byte key") << QString(64, QLatin1Char('a'))
                                 << QStringLiteral("pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg==$"
                                                   "33mUhwB/hSOVj9X595WG+wPSLeiMvE21B4+obPxoq60=");
    QTest::newRow("65-byte key") << QString(65, QLatin1Char('b'))
                                 << QStringLiteral("pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg==$"
                                                   "dFXi5hW31DWP/h17YqFoj8Ep9Tw46Ha3qgIhAkl4TwA=");
    QTest::newRow("360-byte key, 32-byte salt")
        << QStringLiteral("ключ-").repeated(40)
        << QStringLiteral("pbkdf2-sha256$2000$AP8A/wD/AP8A/wD/AP8A/wD/AP8A/wD/AP8A/wD/AP8=$"
                          "NPZPXK8Yuc7UEF0mBGvTWV80wptqrga6QuyMCurGuAA=");
    QTest::newRow("4096 iterations")
        << QStringLiteral("password")
        << QStringLiteral("pbkdf2-sha256$4096$c2FsdFNBTFRzYWx0U0FMVA==$"
                          "kVD6NM4ljz+g9JUH5Fappxkk9oLULzZIKyYYhI/Tjlo=");
}

void TestAuth::passwordKnownVector()
{
    QFETCH(QString, password);
    QFETCH(QString, encoded);
    QVERIFY(isValidPasswordHash(encoded));
    QVERIFY(verifyPassword(password, encoded));
    QVERIFY(!verifyPassword(password + QLatin1Char('x'), encoded));
    if (!password.isEmpty())
        QVERIFY(!verifyPassword(password.chopped(1), encoded));
}

void TestAuth::saltIsRandom()
{
    const QString a = hashPassword(QStringLiteral("same"), 1000);
    const QString b = hashPassword(QStringLiteral("same"), 1000);
    QVERIFY(a != b);
    QVERIFY(a.section(QLatin1Char('$'), 2, 2) != b.section(QLatin1Char('$'), 2, 2));
}

void TestAuth::malformedHashes_data()
{
    QTest::addColumn<QString>("encoded");
    const QString salt = QStringLiteral("MDEyMzQ1Njc4OWFiY2RlZg==");
    const QString hash = QStringLiteral("Kfxd4gVEVJAUWyEM9/KuB1B0aQFq+qVyrFi44QnyZ4k=");
    const auto make = [&](const QString &scheme, const QString &iter, const QString &s,
                          const QString &h) {
        return QStringList {scheme, iter, s, h}.join(u'$');
    };
    const QString scheme = QStringLiteral("pbkdf2-sha256");

    QTest::addRow("empty") << QString();
    QTest::addRow("plain text") << QStringLiteral("hunter2");
    QTest::addRow("three parts") << QStringList {scheme, QStringLiteral("1000"), salt}.join(u'$');
    QTest::addRow("five parts") << make(scheme, QStringLiteral("1000"), salt, hash)
            + QStringLiteral("$x");
    QTest::addRow("other scheme") << make(
        QStringLiteral("pbkdf2-sha512"), QStringLiteral("1000"), salt, hash);
    QTest::addRow("upper-case scheme")
        << make(QStringLiteral("PBKDF2-SHA256"), QStringLiteral("1000"), salt, hash);
    QTest::addRow("bcrypt") << QStringLiteral(
        "$2b$12$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
    QTest::addRow("iterations 999") << make(scheme, QStringLiteral("999"), salt, hash);
    QTest::addRow("iterations 0") << make(scheme, QStringLiteral("0"), salt, hash);
    QTest::addRow("iterations 10000001") << make(scheme, QStringLiteral("10000001"), salt, hash);
    QTest::addRow("iterations huge")
        << make(scheme, QStringLiteral("99999999999999999999"), salt, hash);
    QTest::addRow("iterations negative") << make(scheme, QStringLiteral("-1000"), salt, hash);
    QTest::addRow("iterations plus sign") << make(scheme, QStringLiteral("+1000"), salt, hash);
    QTest::addRow("iterations space") << make(scheme, QStringLiteral(" 1000"), salt, hash);
    QTest::addRow("iterations text") << make(scheme, QStringLiteral("many"), salt, hash);
    QTest::addRow("iterations empty") << make(scheme, QString(), salt, hash);
    QTest::addRow("salt empty") << make(scheme, QStringLiteral("1000"), QString(), hash);
    QTest::addRow("salt not base64")
        << make(scheme, QStringLiteral("1000"), QStringLiteral("!!!!????"), hash);
    QTest::addRow("salt base64url")
        << make(scheme, QStringLiteral("1000"), QStringLiteral("-_-_-_-_-_-_"), hash);
    QTest::addRow("salt missing padding")
        << make(scheme, QStringLiteral("1000"), QStringLiteral("MDEyMzQ1Njc4OWFiY2RlZg"), hash);
    QTest::addRow("salt too short")
        << make(scheme, QStringLiteral("1000"), QStringLiteral("YWJj"), hash);
    QTest::addRow("hash empty") << make(scheme, QStringLiteral("1000"), salt, QString());
    QTest::addRow("hash 31 bytes") << make(
        scheme, QStringLiteral("1000"), salt, QString::fromLatin1(QByteArray(31, 'a').toBase64()));
    QTest::addRow("hash 33 bytes") << make(
        scheme, QStringLiteral("1000"), salt, QString::fromLatin1(QByteArray(33, 'a').toBase64()));
    QTest::addRow("hash non-canonical") << make(scheme, QStringLiteral("1000"), salt,
        QStringLiteral("Kfxd4gVEVJAUWyEM9/KuB1B0aQFq+qVyrFi44QnyZ4l="));
    QTest::addRow("hash trailing space") << make(scheme, QStringLiteral("1000"), salt, hash + u' ');
    QTest::addRow("hash non-ascii") << make(scheme, QStringLiteral("1000"), salt,
        QStringLiteral("Kfxd4gVEVJAUWyEM9/KuB1B0aQFq+qVyrFi44QnyZ4é="));
}

void TestAuth::malformedHashes()
{
    QFETCH(QString, encoded);
    QString why;
    QVERIFY(!isValidPasswordHash(encoded, &why));
    QVERIFY(!why.isEmpty());
    QVERIFY(!isValidPasswordHash(encoded)); // null `why` is fine
    QVERIFY(!verifyPassword(QStringLiteral("pässwörd"), encoded));
}

void TestAuth::constantTimeEquals_data()
{
    QTest::addColumn<QByteArray>("a");
    QTest::addColumn<QByteArray>("b");
    QTest::addColumn<bool>("equal");
    QTest::addRow("both empty") << QByteArray() << QByteArray() << true;
    QTest::addRow("equal") << QByteArray("secret") << QByteArray("secret") << true;
    QTest::addRow("equal binary") << QByteArray("\0\x01\xff", 3) << QByteArray("\0\x01\xff", 3)
                                  << true;
    QTest::addRow("first byte differs") << QByteArray("secret") << QByteArray("Secret") << false;
    QTest::addRow("last byte differs") << QByteArray("secret") << QByteArray("secreT") << false;
    QTest::addRow("one bit differs") << QByteArray("\x80", 1) << QByteArray("\0", 1) << false;
    QTest::addRow("prefix") << QByteArray("secre") << QByteArray("secret") << false;
    QTest::addRow("longer") << QByteArray("secret\0", 7) << QByteArray("secret") << false;
    QTest::addRow("empty vs one") << QByteArray() << QByteArray("a") << false;
    QTest::addRow("empty vs nul") << QByteArray() << QByteArray("\0", 1) << false;
    QTest::addRow("lengths differ by 256") << QByteArray(1, '\0') << QByteArray(257, '\0') << false;
}

void TestAuth::constantTimeEquals()
{
    QFETCH(QByteArray, a);
    QFETCH(QByteArray, b);
    QFETCH(bool, equal);
    QCOMPARE(jarvis::auth::constantTimeEquals(a, b), equal);
    QCOMPARE(jarvis::auth::constantTimeEquals(b, a), equal);
}

// ---- JWT ----------------------------------------------------------------------------------

void TestAuth::verify_data()
{
    QTest::addColumn<QString>("token");
    QTest::addColumn<TokenError>("expected");

    const JwtSigner signer(Key);
    const QString valid = signer.issue(QStringLiteral("admin"), 3600, Now);
    const QJsonObject header = hs256Header();
    const QJsonObject good = claims(NowSecs + 3600);

    QTest::addRow("valid") << valid << TokenError::None;
    QTest::addRow("valid without typ")
        << signer.sign({{QStringLiteral("alg"), QStringLiteral("HS256")}}, good)
        << TokenError::None;
    QTest::addRow("valid minimal claims")
        << signer.sign(header, {{QStringLiteral("exp"), NowSecs + 1}}) << TokenError::None;
    QTest::addRow("valid fractional exp")
        << signer.sign(header, with(good, QStringLiteral("exp"), double(NowSecs) + 0.5))
        << TokenError::None;
    QTest::addRow("nbf within leeway")
        << signer.sign(header, with(good, QStringLiteral("nbf"), NowSecs + 30)) << TokenError::None;
    QTest::addRow("iat within leeway")
        << signer.sign(header, with(good, QStringLiteral("iat"), NowSecs + 30)) << TokenError::None;

    // Missing
    QTest::addRow("empty") << QString() << TokenError::Missing;

    // Signature and key
    {
        QStringList parts = valid.split(u'.');
        parts[1] = QString::fromLatin1(
            b64url(json(with(good, QStringLiteral("sub"), QStringLiteral("root")))));
        QTest::addRow("tampered payload") << parts.join(u'.') << TokenError::Invalid;
    }
    {
        QStringList parts = valid.split(u'.');
        parts[2][0] = parts[2][0] == u'A' ? u'B' : u'A';
        QTest::addRow("tampered signature") << parts.join(u'.') << TokenError::Invalid;
        QStringList truncated = valid.split(u'.');
        truncated[2].chop(4);
        QTest::addRow("truncated signature") << truncated.join(u'.') << TokenError::Invalid;
    }
    {
        // The last character of a 32-byte base64url value carries 2 unused bits: setting them
        // decodes to the same bytes, but the spelling is not canonical.
        static const QString alphabet =
            QStringLiteral("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
        QStringList parts = valid.split(u'.');
        QChar &last = parts[2][parts[2].size() - 1];
        last = alphabet.at(alphabet.indexOf(last) + 1);
        QTest::addRow("non-canonical signature") << parts.join(u'.') << TokenError::Invalid;
    }
    QTest::addRow("wrong key") << JwtSigner("another-key-0123456789-0123456789-0123456789")
                                      .issue(QStringLiteral("admin"), 3600, Now)
                               << TokenError::Invalid;
    QTest::addRow("empty key") << JwtSigner(QByteArray()).issue(QStringLiteral("admin"), 3600, Now)
                               << TokenError::Invalid;

    // Header
    QTest::addRow("alg none unsigned") << QString(
        segment(signer.sign({{QStringLiteral("alg"), QStringLiteral("none")}}, good), 0) + u'.'
        + segment(valid, 1) + u'.') << TokenError::Invalid;
    QTest::addRow("alg none signed")
        << signer.sign({{QStringLiteral("alg"), QStringLiteral("none")}}, good)
        << TokenError::Invalid;
    QTest::addRow("alg none two segments") << QString(
        segment(signer.sign({{QStringLiteral("alg"), QStringLiteral("none")}}, good), 0) + u'.'
        + segment(valid, 1)) << TokenError::Invalid;
    QTest::addRow("alg HS512") << signer.sign(
        with(header, QStringLiteral("alg"), QStringLiteral("HS512")), good)
                               << TokenError::Invalid;
    QTest::addRow("alg RS256") << signer.sign(
        with(header, QStringLiteral("alg"), QStringLiteral("RS256")), good)
                               << TokenError::Invalid;
    QTest::addRow("alg missing") << signer.sign(
        with(header, QStringLiteral("alg"), QJsonValue::Undefined), good)
                                 << TokenError::Invalid;
    QTest::addRow("alg lowercase")
        << signer.sign(with(header, QStringLiteral("alg"), QStringLiteral("hs256")), good)
        << TokenError::Invalid;
    QTest::addRow("alg with space")
        << signer.sign(with(header, QStringLiteral("alg"), QStringLiteral("HS256 ")), good)
        << TokenError::Invalid;
    QTest::addRow("alg not a string")
        << signer.sign(with(header, QStringLiteral("alg"), 256), good) << TokenError::Invalid;
    QTest::addRow("alg array") << signer.sign(
        with(header, QStringLiteral("alg"), QJsonArray {QStringLiteral("HS256")}), good)
                               << TokenError::Invalid;
    QTest::addRow("typ not JWT") << signer.sign(
        with(header, QStringLiteral("typ"), QStringLiteral("JWS")), good)
                                 << TokenError::Invalid;
    QTest::addRow("crit header") << signer.sign(
        with(header, QStringLiteral("crit"), QJsonArray {QStringLiteral("exp")}), good)
                                 << TokenError::Invalid;
    QTest::addRow("header not JSON")
        << tokenFromJson("not json", json(good)) << TokenError::Invalid;
    QTest::addRow("header is an array")
        << tokenFromJson(R"(["HS256"])", json(good)) << TokenError::Invalid;
    QTest::addRow("header is a string")
        << tokenFromJson(R"("HS256")", json(good)) << TokenError::Invalid;
    QTest::addRow("header trailing garbage")
        << tokenFromJson(R"({"alg":"HS256"}x)", json(good)) << TokenError::Invalid;

    // Payload and claims
    QTest::addRow("payload not JSON")
        << tokenFromJson(json(header), "exp=1") << TokenError::Invalid;
    QTest::addRow("payload is an array")
        << tokenFromJson(json(header), "[1,2]") << TokenError::Invalid;
    QTest::addRow("payload null") << tokenFromJson(json(header), "null") << TokenError::Invalid;
    QTest::addRow("exp missing") << signer.sign(
        header, with(good, QStringLiteral("exp"), QJsonValue::Undefined))
                                 << TokenError::Invalid;
    QTest::addRow("exp a string") << signer.sign(
        header, with(good, QStringLiteral("exp"), QString::number(NowSecs + 3600)))
                                  << TokenError::Invalid;
    QTest::addRow("exp null") << signer.sign(
        header, with(good, QStringLiteral("exp"), QJsonValue::Null))
                              << TokenError::Invalid;
    QTest::addRow("exp bool") << signer.sign(header, with(good, QStringLiteral("exp"), true))
                              << TokenError::Invalid;
    QTest::addRow("exp absurd") << signer.sign(header, with(good, QStringLiteral("exp"), 1e300))
                                << TokenError::Invalid;
    QTest::addRow("sub not a string")
        << signer.sign(header, with(good, QStringLiteral("sub"), 42)) << TokenError::Invalid;
    QTest::addRow("nbf a string") << signer.sign(
        header, with(good, QStringLiteral("nbf"), QStringLiteral("0")))
                                  << TokenError::Invalid;
    QTest::addRow("not yet valid (nbf)")
        << signer.sign(header, with(good, QStringLiteral("nbf"), NowSecs + 3600))
        << TokenError::Invalid;
    QTest::addRow("iat in the future")
        << signer.sign(header, with(good, QStringLiteral("iat"), NowSecs + 3600))
        << TokenError::Invalid;
    QTest::addRow("iat a string") << signer.sign(
        header, with(good, QStringLiteral("iat"), QStringLiteral("now")))
                                  << TokenError::Invalid;

    // Expired only when everything else is right
    QTest::addRow("expired") << signer.issue(QStringLiteral("admin"), 3600, Now.addSecs(-7200))
                             << TokenError::Expired;
    QTest::addRow("exp equals now")
        << signer.sign(header, with(good, QStringLiteral("exp"), NowSecs)) << TokenError::Expired;
    QTest::addRow("expired, fractional")
        << signer.sign(header, with(good, QStringLiteral("exp"), double(NowSecs) - 0.5))
        << TokenError::Expired;
    QTest::addRow("expired, wrong key")
        << JwtSigner("another-key-0123456789-0123456789-0123456789")
               .issue(QStringLiteral("admin"), 3600, Now.addSecs(-7200))
        << TokenError::Invalid;
    QTest::addRow("expired, alg HS512") << signer.sign(
        with(header, QStringLiteral("alg"), QStringLiteral("HS512")), claims(NowSecs - 100))
                                        << TokenError::Invalid;
    QTest::addRow("expired, nbf in the future")
        << signer.sign(header, with(claims(NowSecs - 100), QStringLiteral("nbf"), NowSecs + 3600))
        << TokenError::Invalid;
    {
        QStringList parts =
            signer.issue(QStringLiteral("admin"), 3600, Now.addSecs(-7200)).split(u'.');
        parts[2][0] = parts[2][0] == u'A' ? u'B' : u'A';
        QTest::addRow("expired, tampered signature") << parts.join(u'.') << TokenError::Invalid;
    }

    // Structure and encoding
    QTest::addRow("garbage") << QStringLiteral("not a token") << TokenError::Invalid;
    QTest::addRow("dots only") << QStringLiteral("..") << TokenError::Invalid;
    QTest::addRow("bearer prefix left on")
        << QString(QStringLiteral("Bearer ") + valid) << TokenError::Invalid;
    QTest::addRow("trailing newline") << QString(valid + u'\n') << TokenError::Invalid;
    QTest::addRow("one segment") << segment(valid, 0) << TokenError::Invalid;
    QTest::addRow("two segments") << QString(segment(valid, 0) + u'.' + segment(valid, 1))
                                  << TokenError::Invalid;
    QTest::addRow("four segments")
        << QString(valid + u'.' + segment(valid, 2)) << TokenError::Invalid;
    QTest::addRow("trailing dot") << QString(valid + u'.') << TokenError::Invalid;
    QTest::addRow("empty header segment")
        << QString(u'.' + segment(valid, 1) + u'.' + segment(valid, 2)) << TokenError::Invalid;
    QTest::addRow("empty payload segment")
        << rawToken(b64url(json(header)), QByteArray()) << TokenError::Invalid;
    {
        // Payloads whose encodings need padding / produce '+' and '/' in standard base64; each
        // signed over exactly the segments used, so only the encoding is wrong.
        const QJsonObject padded = with(good, QStringLiteral("x"), QStringLiteral("a"));
        QByteArray seg = json(padded).toBase64(QByteArray::Base64UrlEncoding);
        if (!seg.endsWith('='))
            seg = json(with(padded, QStringLiteral("x"), QStringLiteral("ab")))
                      .toBase64(QByteArray::Base64UrlEncoding);
        QVERIFY(seg.endsWith('='));
        QTest::addRow("padding chars")
            << rawToken(b64url(json(header)), seg) << TokenError::Invalid;
        QTest::addRow("padding on signature")
            << QString(valid + QStringLiteral("=")) << TokenError::Invalid;

        const QByteArray standard =
            json(with(good, QStringLiteral("x"), QStringLiteral("\u00ff\u00fe>>>???~~~")))
                .toBase64(QByteArray::OmitTrailingEquals);
        QVERIFY(standard.contains('+') || standard.contains('/'));
        QTest::addRow("standard base64 chars")
            << rawToken(b64url(json(header)), standard) << TokenError::Invalid;
        QTest::addRow("invalid chars")
            << rawToken(b64url(json(header)), b64url(json(good)) + "*") << TokenError::Invalid;
        QTest::addRow("space inside")
            << rawToken(b64url(json(header)), b64url(json(good)).insert(4, ' '))
            << TokenError::Invalid;
        QTest::addRow("non-ascii")
            << QString(valid).insert(5, QChar(0x00e9)) << TokenError::Invalid;
        QTest::addRow("impossible length")
            << rawToken(b64url(json(header)), b64url(json(good)) + "A") << TokenError::Invalid;
    }
    QTest::addRow("oversized") << signer.sign(
        header, with(good, QStringLiteral("pad"), QString(9000, u'x')))
                               << TokenError::Invalid;
    QTest::addRow("just under the cap")
        << signer.sign(header, with(good, QStringLiteral("pad"), QString(5000, u'x')))
        << TokenError::None;
}

void TestAuth::verify()
{
    QFETCH(QString, token);
    QFETCH(TokenError, expected);

    const JwtSigner signer(Key);
    TokenError error = TokenError::None;
    const auto result = signer.verify(token, &error, Now);
    QCOMPARE(error, expected);
    QCOMPARE(result.has_value(), expected == TokenError::None);
}

void TestAuth::issuedClaims()
{
    const JwtSigner signer(Key);
    const QString token = signer.issue(QStringLiteral("admin"), 86400, Now);
    QVERIFY(!token.contains(u'='));

    const QJsonObject header = QJsonDocument::fromJson(
        QByteArray::fromBase64(segment(token, 0).toLatin1(), QByteArray::Base64UrlEncoding))
                                   .object();
    QCOMPARE(header.value(QStringLiteral("alg")).toString(), QStringLiteral("HS256"));
    QCOMPARE(header.value(QStringLiteral("typ")).toString(), QStringLiteral("JWT"));

    TokenError error = TokenError::Invalid;
    const auto claims = signer.verify(token, &error, Now);
    QVERIFY(claims);
    QCOMPARE(error, TokenError::None);
    QCOMPARE(claims->subject, QStringLiteral("admin"));
    QCOMPARE(claims->issuedAt, NowSecs);
    QCOMPARE(claims->expiresAt, NowSecs + 86400);
    QCOMPARE(claims->id.size(), 22); // 16 random bytes, base64url without padding
    QVERIFY(QRegularExpression(QStringLiteral("^[A-Za-z0-9_-]{22}$")).match(claims->id).hasMatch());
    QCOMPARE(claims->all.value(QStringLiteral("sub")).toString(), QStringLiteral("admin"));
    QCOMPARE(claims->all.keys(),
        (QStringList {QStringLiteral("exp"), QStringLiteral("iat"), QStringLiteral("jti"),
            QStringLiteral("sub")}));

    const auto other =
        signer.verify(signer.issue(QStringLiteral("admin"), 86400, Now), &error, Now);
    QVERIFY(other);
    QVERIFY(other->id != claims->id);

    // Valid up to the last second, expired from exp on.
    QVERIFY(signer.verify(token, &error, Now.addSecs(86399)));
    QVERIFY(!signer.verify(token, &error, Now.addSecs(86400)));
    QCOMPARE(error, TokenError::Expired);
    // Issued "in the future" beyond the leeway when the verifier's clock is behind.
    QVERIFY(!signer.verify(token, &error, Now.addSecs(-31)));
    QCOMPARE(error, TokenError::Invalid);
    QVERIFY(signer.verify(token, &error, Now.addSecs(-30)));
    QVERIFY(!signer.verify(token, &error, Now.addSecs(-5), 0));
    QCOMPARE(error, TokenError::Invalid);
}

void TestAuth::externalToken()
{
    // Python: hmac/hashlib/base64 over {"alg":"HS256","typ":"JWT"} and a fixed payload.
    const JwtSigner signer("external-key-0123456789-0123456789-0123456789");
    const QString token = QStringLiteral(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
        "eyJzdWIiOiJhZG1pbiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwLCJqdGkiOiJhYmMifQ."
        "ek3ty-D8oZY1MdJDHIy05jbt4P75FNXH32m7DlQDfIc");
    TokenError error = TokenError::Invalid;
    const auto claims = signer.verify(token, &error, Now);
    QVERIFY(claims);
    QCOMPARE(claims->subject, QStringLiteral("admin"));
    QCOMPARE(claims->id, QStringLiteral("abc"));
    QCOMPARE(claims->expiresAt, NowSecs + 3600);
}

void TestAuth::nullErrorPointer()
{
    const JwtSigner signer(Key);
    QVERIFY(signer.verify(signer.issue(QStringLiteral("admin"), 60, Now), nullptr, Now));
    QVERIFY(!signer.verify(QStringLiteral("x.y.z"), nullptr, Now));
    QVERIFY(!signer.verify(QString(), nullptr, Now));
}

void TestAuth::reasonString_data()
{
    QTest::addColumn<TokenError>("error");
    QTest::addColumn<QString>("reason");
    QTest::addRow("none") << TokenError::None << QString();
    QTest::addRow("missing") << TokenError::Missing << QStringLiteral("missing");
    QTest::addRow("invalid") << TokenError::Invalid << QStringLiteral("invalid");
    QTest::addRow("expired") << TokenError::Expired << QStringLiteral("expired");
}

void TestAuth::reasonString()
{
    QFETCH(TokenError, error);
    QFETCH(QString, reason);
    QCOMPARE(jarvis::auth::reasonString(error), reason);
}

// ---- Login throttle -----------------------------------------------------------------------

// The one bearer check (auth/bearer.h) that REST (Authorization header) and Socket.IO (CONNECT
// auth.token) share: each case from both places, with the outcomes each had before they shared it.
void TestAuth::bearerCheck_data()
{
    QTest::addColumn<PresentedToken>("presented");
    QTest::addColumn<TokenError>("expected");

    const JwtSigner signer(Key);
    const QString good = signer.issue(QStringLiteral("admin"), 3600, Now);
    const QString expired = signer.sign(hs256Header(), claims(NowSecs - 1));
    QStringList tampered = good.split(u'.');
    tampered[2][0] = tampered[2][0] == u'A' ? u'B' : u'A';
    const QString badSignature = tampered.join(u'.');
    const QString wrongKey = JwtSigner("another-key-0123456789-0123456789-0123456789")
                                 .issue(QStringLiteral("admin"), 3600, Now);
    const QString algNone = QString::fromLatin1(
        b64url(R"({"alg":"none","typ":"JWT"})") + '.' + b64url(json(claims(NowSecs + 3600))) + '.');
    const QString algNoneSigned = tokenFromJson(R"({"alg":"none"})", json(claims(NowSecs + 3600)));

    auto rest = [](const QByteArray &header) {
        return PresentedToken::authorizationHeader(header);
    };
    auto bearer = [&](const QString &token) { return rest("Bearer " + token.toLatin1()); };
    auto connect = [](const QJsonValue &auth) { return PresentedToken::connectAuth(auth); };
    auto withToken = [&](const QJsonValue &token) {
        return connect(QJsonObject {{QStringLiteral("token"), token}});
    };

    // REST: Authorization header.
    QTest::addRow("rest good") << bearer(good) << TokenError::None;
    QTest::addRow("rest scheme lower case")
        << rest("bearer " + good.toLatin1()) << TokenError::None;
    QTest::addRow("rest scheme upper case")
        << rest("BEARER " + good.toLatin1()) << TokenError::None;
    QTest::addRow("rest token padded")
        << rest("Bearer   " + good.toLatin1() + "  ") << TokenError::None;
    QTest::addRow("rest header padded")
        << rest(" \tBearer " + good.toLatin1() + "\t") << TokenError::None;
    QTest::addRow("rest missing header") << rest(QByteArray()) << TokenError::Missing;
    QTest::addRow("rest scheme only") << rest("Bearer") << TokenError::Missing;
    QTest::addRow("rest scheme and space") << rest("Bearer ") << TokenError::Missing;
    QTest::addRow("rest empty token") << rest("Bearer    ") << TokenError::Missing;
    QTest::addRow("rest wrong scheme") << rest("Basic YWRtaW46YWRtaW4=") << TokenError::Missing;
    QTest::addRow("rest token without scheme") << rest(good.toLatin1()) << TokenError::Missing;
    QTest::addRow("rest no space after scheme")
        << rest("Bearer:" + good.toLatin1()) << TokenError::Missing;
    QTest::addRow("rest bad signature") << bearer(badSignature) << TokenError::Invalid;
    QTest::addRow("rest other key") << bearer(wrongKey) << TokenError::Invalid;
    QTest::addRow("rest expired") << bearer(expired) << TokenError::Expired;
    QTest::addRow("rest alg none") << bearer(algNone) << TokenError::Invalid;
    QTest::addRow("rest alg none signed") << bearer(algNoneSigned) << TokenError::Invalid;
    QTest::addRow("rest garbage") << bearer(QStringLiteral("not.a.jwt")) << TokenError::Invalid;

    // Socket.IO: the CONNECT packet's auth payload.
    QTest::addRow("connect good") << withToken(good) << TokenError::None;
    QTest::addRow("connect no auth") << connect(QJsonValue::Undefined) << TokenError::Missing;
    QTest::addRow("connect auth null") << connect(QJsonValue::Null) << TokenError::Missing;
    QTest::addRow("connect auth empty object") << connect(QJsonObject()) << TokenError::Missing;
    QTest::addRow("connect auth a string") << connect(good) << TokenError::Missing;
    QTest::addRow("connect auth an array") << connect(QJsonArray {good}) << TokenError::Missing;
    QTest::addRow("connect token null") << withToken(QJsonValue::Null) << TokenError::Missing;
    QTest::addRow("connect token empty") << withToken(QString()) << TokenError::Missing;
    QTest::addRow("connect token a number") << withToken(42) << TokenError::Invalid;
    QTest::addRow("connect token false") << withToken(false) << TokenError::Invalid;
    QTest::addRow("connect token an object") << withToken(QJsonObject()) << TokenError::Invalid;
    QTest::addRow("connect token an array") << withToken(QJsonArray {good}) << TokenError::Invalid;
    QTest::addRow("connect token with scheme")
        << withToken(QStringLiteral("Bearer ") + good) << TokenError::Invalid;
    QTest::addRow("connect bad signature") << withToken(badSignature) << TokenError::Invalid;
    QTest::addRow("connect other key") << withToken(wrongKey) << TokenError::Invalid;
    QTest::addRow("connect expired") << withToken(expired) << TokenError::Expired;
    QTest::addRow("connect alg none") << withToken(algNone) << TokenError::Invalid;
    QTest::addRow("connect alg none signed") << withToken(algNoneSigned) << TokenError::Invalid;
    QTest::addRow("connect garbage")
        << withToken(QStringLiteral("not.a.jwt")) << TokenError::Invalid;
}

void TestAuth::bearerCheck()
{
    QFETCH(PresentedToken, presented);
    QFETCH(TokenError, expected);

    const JwtSigner signer(Key);
    TokenError error = TokenError::Invalid;
    const auto result = checkBearer(signer, presented, &error, Now);
    QCOMPARE(error, expected);
    QCOMPARE(result.has_value(), expected == TokenError::None);
    if (result)
        QCOMPARE(result->subject, QStringLiteral("admin"));
    // A null error pointer is allowed and changes nothing.
    QCOMPARE(checkBearer(signer, presented, nullptr, Now).has_value(), result.has_value());
}

void TestAuth::throttleBlocksAfterMaxFailures()
{
    LoginThrottle throttle(5, 60000);
    const QString ip = QStringLiteral("192.0.2.1");
    for (int i = 0; i < 4; ++i) {
        throttle.recordFailure(ip, i * 1000);
        QCOMPARE(throttle.retryAfter(ip, i * 1000), 0);
    }
    throttle.recordFailure(ip, 4000);
    // Refused until the first failure (t=0) leaves the 60 s window.
    QCOMPARE(throttle.retryAfter(ip, 4000), 56);
    QCOMPARE(throttle.retryAfter(ip, 4500), 56); // 55.5 s rounds up
    QCOMPARE(throttle.retryAfter(ip, 30000), 30);
    QCOMPARE(throttle.retryAfter(ip, 59001), 1);
    QCOMPARE(throttle.retryAfter(ip, 59999), 1);
    QCOMPARE(throttle.retryAfter(ip, 60000), 0);
}

void TestAuth::throttleWindowSlides()
{
    LoginThrottle throttle(5, 60000);
    const QString ip = QStringLiteral("192.0.2.2");
    throttle.recordFailure(ip, 0);
    for (int i = 0; i < 4; ++i)
        throttle.recordFailure(ip, 50000 + i * 1000);
    QCOMPARE(throttle.retryAfter(ip, 53000), 7);
    QCOMPARE(throttle.retryAfter(ip, 60000), 0); // the t=0 failure has left the window

    // One more failure: five inside the window again, now counted from t=50000.
    throttle.recordFailure(ip, 60000);
    QCOMPARE(throttle.retryAfter(ip, 60000), 50);
    QCOMPARE(throttle.retryAfter(ip, 110000), 0);

    // Failures spread wider than the window never block.
    LoginThrottle slow(5, 60000);
    for (int i = 0; i < 20; ++i) {
        slow.recordFailure(ip, qint64(i) * 15001);
        QCOMPARE(slow.retryAfter(ip, qint64(i) * 15001), 0);
    }
}

void TestAuth::throttleSuccessResets()
{
    LoginThrottle throttle(5, 60000);
    const QString ip = QStringLiteral("2001:db8::1");
    for (int i = 0; i < 5; ++i)
        throttle.recordFailure(ip, 1000);
    QVERIFY(throttle.retryAfter(ip, 1000) > 0);
    throttle.recordSuccess(ip);
    QCOMPARE(throttle.retryAfter(ip, 1000), 0);
    QCOMPARE(throttle.trackedCount(), 0);
    for (int i = 0; i < 4; ++i)
        throttle.recordFailure(ip, 2000);
    QCOMPARE(throttle.retryAfter(ip, 2000), 0);
    throttle.recordFailure(ip, 2000);
    QCOMPARE(throttle.retryAfter(ip, 2000), 60);
    throttle.recordSuccess(QStringLiteral("unknown")); // harmless
}

void TestAuth::throttleAddressesIndependent()
{
    LoginThrottle throttle(3, 10000);
    for (int i = 0; i < 3; ++i)
        throttle.recordFailure(QStringLiteral("a"), 0);
    throttle.recordFailure(QStringLiteral("b"), 0);
    QCOMPARE(throttle.retryAfter(QStringLiteral("a"), 0), 10);
    QCOMPARE(throttle.retryAfter(QStringLiteral("b"), 0), 0);
    QCOMPARE(throttle.retryAfter(QStringLiteral("c"), 0), 0);
}

void TestAuth::throttleBoundedMemory()
{
    LoginThrottle throttle(1, 60000, 100);
    for (int i = 0; i < 10000; ++i) {
        throttle.recordFailure(QStringLiteral("10.0.%1.%2").arg(i / 256).arg(i % 256), i);
        QVERIFY(throttle.trackedCount() <= 100);
    }
    QCOMPARE(throttle.trackedCount(), 100);
    // The newest 100 addresses are still refused; older ones were dropped first.
    for (int i = 9900; i < 10000; ++i)
        QVERIFY(
            throttle.retryAfter(QStringLiteral("10.0.%1.%2").arg(i / 256).arg(i % 256), 10000) > 0);
    QCOMPARE(throttle.retryAfter(QStringLiteral("10.0.0.0"), 10000), 0);
    QCOMPARE(throttle.retryAfter(QStringLiteral("10.0.38.171"), 10000), 0); // i = 9899

    // Many failures from one address keep a bounded list (and the right answer).
    LoginThrottle one(5, 60000);
    for (int i = 0; i < 100000; ++i)
        one.recordFailure(QStringLiteral("x"), i / 10);
    QCOMPARE(one.trackedCount(), 1);
    QCOMPARE(one.retryAfter(QStringLiteral("x"), 9999), 60);
}

void TestAuth::throttlePrunesStaleEntries()
{
    LoginThrottle throttle(5, 1000, 10);
    for (int i = 0; i < 10; ++i)
        throttle.recordFailure(QString::number(i), 0);
    QCOMPARE(throttle.trackedCount(), 10);
    // All ten are stale by t=5000: a new address prunes them instead of evicting live ones.
    throttle.recordFailure(QStringLiteral("new"), 5000);
    QCOMPARE(throttle.trackedCount(), 1);
}

QTEST_GUILESS_MAIN(TestAuth)
#include "tst_auth.moc"

void TestAuth::apiKeyRoundTrip()
{
    const QString a = newApiKey();
    const QString b = newApiKey();
    QVERIFY(a.startsWith(QLatin1String("jk_")));
    QCOMPARE(a.size(), 3 + 43);
    QVERIFY(a != b);
    QList<ApiKey> keys;
    QString why;
    QVERIFY2(parseApiKeys(apiKeyEntry(QStringLiteral("claude"), a) + QStringLiteral(" , ")
                     + apiKeyEntry(QStringLiteral("ops.bot"), b),
                 &keys, &why),
        qPrintable(why));
    QCOMPARE(keys.size(), 2);
    const ApiKey *m = matchApiKey(a.toUtf8(), keys);
    QVERIFY(m);
    QCOMPARE(m->name, QStringLiteral("claude"));
    m = matchApiKey(b.toUtf8(), keys);
    QVERIFY(m);
    QCOMPARE(m->name, QStringLiteral("ops.bot"));
    QVERIFY(!matchApiKey(a.toUtf8().chopped(1), keys));
    QVERIFY(!matchApiKey(QByteArray(), keys));
    QVERIFY(!matchApiKey(a.toUtf8(), {}));
    // The hash is SHA-256 of the key's bytes, hex, lowercase (a known vector).
    QCOMPARE(apiKeyHash(QStringLiteral("abc")),
        QStringLiteral("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

void TestAuth::apiKeyList_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("count"); // -1: rejected
    QTest::addColumn<QString>("whyContains");
    const QString h = QStringLiteral("sha256:") + QString(64, QLatin1Char('a'));
    QTest::newRow("empty") << QString() << 0 << QString();
    QTest::newRow("blank") << QStringLiteral("   ") << 0 << QString();
    QTest::newRow("one") << (QStringLiteral("a:") + h) << 1 << QString();
    QTest::newRow("upper hex") << (QStringLiteral("a:sha256:") + QString(64, QLatin1Char('F'))) << 1
                               << QString();
    QTest::newRow("two") << (QStringLiteral("a:") + h + QStringLiteral(",b:") + h) << 2
                         << QString();
    QTest::newRow("no name") << (QStringLiteral(":") + h) << -1 << QStringLiteral("entry 1");
    QTest::newRow("bad name") << (QStringLiteral("a b:") + h) << -1 << QStringLiteral("NAME");
    QTest::newRow("duplicate name") << (QStringLiteral("a:") + h + QStringLiteral(",a:") + h) << -1
                                    << QStringLiteral("entry 2 (a): the name is used twice");
    QTest::newRow("clear key") << QStringLiteral("a:jk_secretsecret") << -1
                               << QStringLiteral("sha256:<64 hex digits>");
    QTest::newRow("short hash") << QStringLiteral("a:sha256:abcd") << -1
                                << QStringLiteral("64 hex");
    QTest::newRow("not hex") << (QStringLiteral("a:sha256:") + QString(64, QLatin1Char('g'))) << -1
                             << QStringLiteral("64 hex");
    QTest::newRow("other algorithm") << (QStringLiteral("a:md5:") + QString(32, QLatin1Char('a')))
                                     << -1 << QStringLiteral("sha256:");
    QTest::newRow("empty entry") << (QStringLiteral("a:") + h + QStringLiteral(",,")) << -1
                                 << QStringLiteral("entry 2");
    QTest::newRow("name too long") << (QString(65, QLatin1Char('n')) + QLatin1Char(':') + h) << -1
                                   << QStringLiteral("entry 1:");
}

void TestAuth::apiKeyList()
{
    QFETCH(QString, text);
    QFETCH(int, count);
    QFETCH(QString, whyContains);
    QList<ApiKey> keys;
    QString why;
    const bool ok = parseApiKeys(text, &keys, &why);
    QCOMPARE(ok, count >= 0);
    QCOMPARE(keys.size(), qMax(count, 0));
    if (!ok) {
        QVERIFY2(why.contains(whyContains), qPrintable(why));
        QVERIFY2(!why.contains(QLatin1String("jk_secret")), qPrintable(why));
    }
}
