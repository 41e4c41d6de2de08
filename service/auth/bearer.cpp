#include "auth/bearer.h"

#include <QJsonObject>

namespace jarvis::auth {

QByteArray bearerToken(const QByteArray &authorization)
{
    const QByteArray value = authorization.trimmed();
    if (value.size() > 7 && value.left(7).toLower() == "bearer ")
        return value.mid(7).trimmed();
    return {};
}

std::optional<Claims> checkBearer(
    const JwtSigner &jwt, const PresentedToken &presented, TokenError *error, const QDateTime &now)
{
    TokenError local = TokenError::None;
    TokenError &result = error ? *error : local;
    QString token;
    switch (presented.from) {
    case PresentedToken::From::AuthorizationHeader:
        token = QString::fromLatin1(bearerToken(presented.header));
        break;
    case PresentedToken::From::ConnectAuth: {
        const QJsonValue value = presented.auth.toObject().value(QStringLiteral("token"));
        if (value.isString()) {
            token = value.toString();
        } else if (!value.isUndefined() && !value.isNull()) {
            result = TokenError::Invalid; // a number, an object...; an empty string is missing
            return std::nullopt;
        }
        break;
    }
    }
    if (token.isEmpty()) {
        result = TokenError::Missing;
        return std::nullopt;
    }
    result = TokenError::None;
    return jwt.verify(token, &result, now);
}

} // namespace jarvis::auth
