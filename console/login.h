#pragma once

#include <QString>
#include <QUrl>

class QNetworkAccessManager;
class QNetworkReply;

namespace jarvis::console {

// POST /api/auth/login (PROTOCOL.md section 2), for the console's session and for
// `jarvis-setup --console`: one request and one reading of its answer.
//
// Posts {password[, username]} as JSON to `server`'s /api/auth/login through `nam` (whose TLS
// trust the caller has set: only a pinned or system-trusted certificate gets the password), with
// a transfer timeout of `timeoutMs` (0: none). The caller owns the reply.
QNetworkReply *postLogin(QNetworkAccessManager *nam, const QUrl &server, const QString &password,
    const QString &user = {}, int timeoutMs = 0);

// A finished login reply, read.
struct LoginAnswer
{
    int status = 0; // HTTP status; 0 when no answer came (refused, TLS, timeout)
    QString token; // the JWT on success (status 200 with a string token), else empty
    QString failure; // empty on success, else why, lower case: "wrong user name or password",
                     // "too many attempts, try again in N s", "cannot connect: <error>",
                     // "HTTP <status> <error>"
    bool ok() const { return !token.isEmpty(); }
};
LoginAnswer readLoginAnswer(QNetworkReply *reply);

} // namespace jarvis::console
