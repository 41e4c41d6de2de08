#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QString>

#include <optional>

// JWT (RFC 7519) with HS256 only, written on QMessageAuthenticationCode. Every other `alg`,
// including "none", is rejected.
namespace jarvis::auth {

struct Claims
{
    QString subject; // sub
    qint64 issuedAt = 0; // iat, seconds since epoch
    qint64 expiresAt = 0; // exp
    QString id; // jti
    QJsonObject all; // every claim as received
};

enum class TokenError {
    None,
    Missing, // empty token
    Invalid, // malformed, wrong alg, bad signature, not yet valid (nbf / iat in the future)...
    Expired, // signature right but exp has passed
};

// "missing" | "invalid" | "expired" (the wire reasons of PROTOCOL.md section 2).
QString reasonString(TokenError error);

class JwtSigner
{
public:
    explicit JwtSigner(QByteArray key)
        : m_key(std::move(key))
    { }

    // Issues a token for `subject` valid `lifetimeSeconds` from `now` with a random jti.
    QString issue(const QString &subject, qint64 lifetimeSeconds,
        const QDateTime &now = QDateTime::currentDateTimeUtc()) const;

    // Verifies signature (constant-time), header (`alg` must be exactly "HS256", `typ` if present
    // must be "JWT"), claims (`exp` required and numeric; `nbf`/`iat` must not be in the future
    // beyond `leewaySeconds`). Returns claims on success; sets `error` otherwise.
    std::optional<Claims> verify(const QString &token, TokenError *error,
        const QDateTime &now = QDateTime::currentDateTimeUtc(), qint64 leewaySeconds = 30) const;

    // Low-level: signs an arbitrary header and payload (tests use it to forge tokens).
    QString sign(const QJsonObject &header, const QJsonObject &payload) const;

private:
    QByteArray m_key;
};

} // namespace jarvis::auth
