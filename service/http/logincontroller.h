#pragma once

#include "auth/jwt.h"
#include "auth/loginthrottle.h"
#include "http/httpapi.h"

#include <QObject>
#include <QString>

namespace jarvis::http {

// POST /api/auth/login: checks the credentials (PBKDF2 off the event loop, on the global thread
// pool), throttles failures per client address, and issues a JWT. Main thread.
class LoginController : public QObject
{
    Q_OBJECT
public:
    struct Credentials
    {
        QString username;
        QString passwordHash; // used when adminPassword is empty
        QString adminPassword; // plain (from the environment)
    };

    LoginController(Credentials credentials, const auth::JwtSigner *jwt, qint64 tokenLifetime,
        QObject *parent = nullptr);

    void handle(const QHttpServerRequest &request, QHttpServerResponder &&responder,
        const RequestContext &context);

    // All time, for the metrics: logins refused for wrong credentials (401), and attempts
    // answered 429 before the credentials were checked (throttled address or too many checks in
    // flight).
    quint64 failures() const { return m_failures; }
    quint64 throttled() const { return m_throttled; }

private:
    void finish(bool ok, const QString &address,
        const std::shared_ptr<QHttpServerResponder> &responder, const RequestContext &context);

    Credentials m_credentials;
    const auth::JwtSigner *m_jwt;
    qint64 m_tokenLifetime;
    auth::LoginThrottle m_throttle;
    int m_inFlight = 0;
    quint64 m_failures = 0;
    quint64 m_throttled = 0;
};

} // namespace jarvis::http
