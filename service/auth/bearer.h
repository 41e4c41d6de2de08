#pragma once

#include "auth/jwt.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonValue>

#include <optional>

namespace jarvis::auth {

// A token as a client presented it (PROTOCOL.md section 2), and where: the REST API's
// `Authorization: Bearer <token>` header, or the `auth` payload of a Socket.IO CONNECT packet
// (`{"token": "<jwt>"}`).
struct PresentedToken
{
    enum class From { AuthorizationHeader, ConnectAuth };

    From from = From::AuthorizationHeader;
    QByteArray header; // From::AuthorizationHeader: the header's value (empty when absent)
    QJsonValue auth; // From::ConnectAuth: the CONNECT packet's auth payload (undefined if none)

    static PresentedToken authorizationHeader(const QByteArray &value)
    {
        return {From::AuthorizationHeader, value, {}};
    }
    static PresentedToken connectAuth(const QJsonValue &auth)
    {
        return {From::ConnectAuth, {}, auth};
    }
};

// The token of an `Authorization` header value "Bearer <token>": the scheme case-insensitive
// (RFC 9110 section 11.1), the whitespace around either dropped. Empty when the value is not that
// (absent, another scheme, no token). The one parser of the header, for JWTs and API keys alike.
QByteArray bearerToken(const QByteArray &authorization);

// The one bearer-token check, for REST and Socket.IO alike: takes the token from where
// `presented` says it is and verifies it with `jwt` (JwtSigner::verify: HS256 only, signature
// compared in constant time, `exp` required). Returns the claims, or nullopt with `*error`:
//   Missing - no token: no Authorization header, a scheme other than Bearer (case-insensitive),
//             an empty token; no auth object, no `token` member, `token` null or "";
//   Invalid - a `token` that is not a string (a number, an object...), or a token that fails
//             verification (malformed, an `alg` other than HS256 such as "none", a bad
//             signature, not yet valid);
//   Expired - a good signature whose `exp` has passed.
// `*error` is TokenError::None on success; its wire reason is reasonString().
std::optional<Claims> checkBearer(const JwtSigner &jwt, const PresentedToken &presented,
    TokenError *error, const QDateTime &now = QDateTime::currentDateTimeUtc());

} // namespace jarvis::auth
