#include "jwt.h"

#include "password.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonValue>
#include <QList>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>

#include <cmath>

namespace jarvis::auth {

namespace {

constexpr qsizetype MaxTokenLength = 8192;
constexpr int JtiBytes = 16;
// NumericDate values beyond this (~year 318000) are nonsense and would overflow qint64 maths.
constexpr double MaxNumericDate = 1e13;

constexpr auto UrlOptions = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

QByteArray encodeSegment(const QByteArray &bytes)
{
    return bytes.toBase64(UrlOptions);
}

// base64url without padding, canonical only: rejects '=', '+', '/', any other character,
// impossible lengths and non-zero trailing bits (so a signature has exactly one spelling).
std::optional<QByteArray> decodeSegment(QByteArrayView segment)
{
    if (segment.isEmpty())
        return std::nullopt;
    for (char c : segment) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
            || c == '-' || c == '_';
        if (!ok)
            return std::nullopt;
    }
    const QByteArray bytes = segment.toByteArray();
    auto result =
        QByteArray::fromBase64Encoding(bytes, UrlOptions | QByteArray::AbortOnBase64DecodingErrors);
    if (!result || result.decoded.isEmpty() || encodeSegment(result.decoded) != bytes)
        return std::nullopt;
    return result.decoded;
}

std::optional<QJsonObject> decodeJsonObject(QByteArrayView segment)
{
    const auto bytes = decodeSegment(segment);
    if (!bytes)
        return std::nullopt;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(*bytes, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return std::nullopt;
    return doc.object();
}

QByteArray hmac(const QByteArray &key, QByteArrayView data)
{
    return QMessageAuthenticationCode::hash(data.toByteArray(), key, QCryptographicHash::Sha256);
}

// A NumericDate claim: absent is fine (returns true, *present = false); present must be a finite
// JSON number in a sane range.
bool numericClaim(const QJsonObject &payload, QLatin1String name, double *value, bool *present)
{
    const QJsonValue v = payload.value(name);
    *present = !v.isUndefined();
    if (!*present)
        return true;
    if (!v.isDouble())
        return false;
    *value = v.toDouble();
    return std::isfinite(*value) && std::fabs(*value) <= MaxNumericDate;
}

bool optionalStringClaim(const QJsonObject &payload, QLatin1String name, QString *out)
{
    const QJsonValue v = payload.value(name);
    if (v.isUndefined())
        return true;
    if (!v.isString())
        return false;
    *out = v.toString();
    return true;
}

} // namespace

QString reasonString(TokenError error)
{
    switch (error) {
    case TokenError::None:
        return QString();
    case TokenError::Missing:
        return QStringLiteral("missing");
    case TokenError::Invalid:
        return QStringLiteral("invalid");
    case TokenError::Expired:
        return QStringLiteral("expired");
    }
    return QStringLiteral("invalid");
}

QString JwtSigner::issue(const QString &subject, qint64 lifetimeSeconds, const QDateTime &now) const
{
    QByteArray jti(JtiBytes, Qt::Uninitialized);
    QRandomGenerator::system()->generate(jti.begin(), jti.end());

    const qint64 iat = now.toSecsSinceEpoch();
    const QJsonObject header {{QStringLiteral("alg"), QStringLiteral("HS256")},
        {QStringLiteral("typ"), QStringLiteral("JWT")}};
    const QJsonObject payload {
        {QStringLiteral("sub"), subject},
        {QStringLiteral("iat"), iat},
        {QStringLiteral("exp"), iat + lifetimeSeconds},
        {QStringLiteral("jti"), QString::fromLatin1(encodeSegment(jti))},
    };
    return sign(header, payload);
}

QString JwtSigner::sign(const QJsonObject &header, const QJsonObject &payload) const
{
    const QByteArray input = encodeSegment(QJsonDocument(header).toJson(QJsonDocument::Compact))
        + '.' + encodeSegment(QJsonDocument(payload).toJson(QJsonDocument::Compact));
    return QString::fromLatin1(input + '.' + encodeSegment(hmac(m_key, input)));
}

std::optional<Claims> JwtSigner::verify(
    const QString &token, TokenError *error, const QDateTime &now, qint64 leewaySeconds) const
{
    TokenError ignored = TokenError::None;
    if (!error)
        error = &ignored;
    *error = TokenError::Invalid;

    if (token.isEmpty()) {
        *error = TokenError::Missing;
        return std::nullopt;
    }
    if (token.size() > MaxTokenLength)
        return std::nullopt;
    const QByteArray ascii = token.toLatin1();
    if (QString::fromLatin1(ascii) != token)
        return std::nullopt;

    // Exactly three non-empty segments (decodeSegment rejects empty ones).
    const QList<QByteArray> parts = ascii.split('.');
    if (parts.size() != 3)
        return std::nullopt;

    const auto header = decodeJsonObject(parts[0]);
    if (!header)
        return std::nullopt;
    const QJsonValue alg = header->value(QLatin1String("alg"));
    if (!alg.isString() || alg.toString() != QLatin1String("HS256"))
        return std::nullopt;
    const QJsonValue typ = header->value(QLatin1String("typ"));
    if (!typ.isUndefined() && (!typ.isString() || typ.toString() != QLatin1String("JWT")))
        return std::nullopt;
    if (header->contains(QLatin1String("crit")))
        return std::nullopt;

    const auto signature = decodeSegment(parts[2]);
    if (!signature)
        return std::nullopt;
    const QByteArrayView signingInput = QByteArrayView(ascii).first(ascii.lastIndexOf('.'));
    if (!constantTimeEquals(hmac(m_key, signingInput), *signature))
        return std::nullopt;

    const auto payload = decodeJsonObject(parts[1]);
    if (!payload)
        return std::nullopt;

    double exp = 0, nbf = 0, iat = 0;
    bool hasExp = false, hasNbf = false, hasIat = false;
    if (!numericClaim(*payload, QLatin1String("exp"), &exp, &hasExp) || !hasExp
        || !numericClaim(*payload, QLatin1String("nbf"), &nbf, &hasNbf)
        || !numericClaim(*payload, QLatin1String("iat"), &iat, &hasIat))
        return std::nullopt;

    Claims claims;
    if (!optionalStringClaim(*payload, QLatin1String("sub"), &claims.subject)
        || !optionalStringClaim(*payload, QLatin1String("jti"), &claims.id))
        return std::nullopt;

    const double nowSecs = double(now.toSecsSinceEpoch());
    const double latest = nowSecs + double(qMax<qint64>(0, leewaySeconds));
    if ((hasNbf && nbf > latest) || (hasIat && iat > latest))
        return std::nullopt;

    // Everything else is right: only now does the expiry decide between Expired and valid.
    if (exp <= nowSecs) {
        *error = TokenError::Expired;
        return std::nullopt;
    }

    claims.expiresAt = qint64(std::floor(exp));
    claims.issuedAt = hasIat ? qint64(std::floor(iat)) : 0;
    claims.all = *payload;
    *error = TokenError::None;
    return claims;
}

} // namespace jarvis::auth
