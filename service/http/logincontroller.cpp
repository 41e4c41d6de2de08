#include "http/logincontroller.h"

#include "auth/password.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QHttpServerResponder>
#include <QLoggingCategory>
#include <QPointer>
#include <QThreadPool>

Q_LOGGING_CATEGORY(lcAuth, "jarvis.auth")

namespace jarvis::http {

namespace {
constexpr int MaxInFlight = 8;
constexpr qsizetype MaxFieldLength = 1024;
} // namespace

LoginController::LoginController(
    Credentials credentials, const auth::JwtSigner *jwt, qint64 tokenLifetime, QObject *parent)
    : QObject(parent)
    , m_credentials(std::move(credentials))
    , m_jwt(jwt)
    , m_tokenLifetime(tokenLifetime)
{ }

void LoginController::handle(const QHttpServerRequest &request, QHttpServerResponder &&responder,
    const RequestContext &context)
{
    const auto body = jsonBody(request, responder, context);
    if (!body)
        return;
    const QJsonValue user = body->value(QStringLiteral("username"));
    const QJsonValue password = body->value(QStringLiteral("password"));
    QString problem;
    if (!password.isString() || password.toString().isEmpty())
        problem = QStringLiteral("password must be a non-empty string");
    else if (!user.isUndefined() && !user.isNull() && !user.isString())
        problem = QStringLiteral("username must be a string");
    else if (password.toString().size() > MaxFieldLength || user.toString().size() > MaxFieldLength)
        problem = QStringLiteral("username and password must be at most %1 characters")
                      .arg(MaxFieldLength);
    if (!problem.isEmpty()) {
        writeJson(responder, 400, QJsonDocument(errorBody(problem)), context.cors);
        return;
    }

    const QString address = request.remoteAddress().toString();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    int retryAfter = m_throttle.retryAfter(address, now);
    if (retryAfter == 0 && m_inFlight >= MaxInFlight)
        retryAfter = 1;
    if (retryAfter > 0) {
        ++m_throttled;
        writeJson(responder, 429,
            QJsonDocument(
                QJsonObject {{QStringLiteral("error"), QStringLiteral("too many attempts")},
                    {QStringLiteral("retryAfter"), retryAfter}}),
            context.cors + HeaderList {{"Retry-After", QByteArray::number(retryAfter)}});
        return;
    }

    const QString username = user.isString() ? user.toString() : QStringLiteral("admin");
    const bool userOk =
        auth::constantTimeEquals(username.toUtf8(), m_credentials.username.toUtf8());
    auto shared = std::make_shared<QHttpServerResponder>(std::move(responder));
    if (!m_credentials.adminPassword.isEmpty()) {
        const bool ok = auth::constantTimeEquals(
            password.toString().toUtf8(), m_credentials.adminPassword.toUtf8());
        finish(userOk && ok, address, shared, context);
        return;
    }
    // PBKDF2 with 600000 iterations takes about 0.1 s of CPU: never on the event loop.
    ++m_inFlight;
    QPointer<LoginController> self(this);
    const QString hash = m_credentials.passwordHash;
    const QString plain = password.toString();
    // The responder and the context (a QPointer to the socket) move on to the main thread: the
    // worker keeps no copy, so they are never destroyed off the main thread.
    QThreadPool::globalInstance()->start([self, hash, plain, userOk, address,
                                             shared = std::move(shared),
                                             context = std::move(context)]() mutable {
        const bool ok = auth::verifyPassword(plain, hash);
        QMetaObject::invokeMethod(
            qApp,
            [self, ok, userOk, address, shared = std::move(shared), context = std::move(context)] {
                if (!self)
                    return;
                --self->m_inFlight;
                self->finish(ok && userOk, address, shared, context);
            },
            Qt::QueuedConnection);
    });
}

void LoginController::finish(bool ok, const QString &address,
    const std::shared_ptr<QHttpServerResponder> &responder, const RequestContext &context)
{
    if (!ok) {
        ++m_failures;
        m_throttle.recordFailure(address, QDateTime::currentMSecsSinceEpoch());
        qCInfo(lcAuth) << "login failed from" << address;
        if (context.socket)
            writeJson(*responder, 401,
                QJsonDocument(errorBody(QStringLiteral("invalid credentials"))), context.cors);
        return;
    }
    m_throttle.recordSuccess(address);
    qCInfo(lcAuth) << "login from" << address << "for" << m_credentials.username;
    if (!context.socket)
        return;
    const QString token = m_jwt->issue(m_credentials.username, m_tokenLifetime);
    writeJson(*responder, 200,
        QJsonDocument(QJsonObject {{QStringLiteral("token"), token},
            {QStringLiteral("expiresIn"), double(m_tokenLifetime)}}),
        context.cors);
}

} // namespace jarvis::http
