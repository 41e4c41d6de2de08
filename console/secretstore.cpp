#include "secretstore.h"

#include <QPointer>
#include <QTimer>

#include <qt6keychain/keychain.h>

namespace jarvis::console {

namespace {

// Answers on a later event-loop turn, like the keychain does, and only while `context` lives.
void answerLater(const QObject *context, SecretStore::Callback done, SecretStore::Result result)
{
    QPointer<const QObject> guard(context);
    QTimer::singleShot(0, [guard, done = std::move(done), result = std::move(result)] {
        if (guard)
            done(result);
    });
}

SecretStore::Result fromJob(const QKeychain::Job &job, bool removing)
{
    return keychainResult(job.error(), job.errorString(), removing);
}

} // namespace

SecretStore::Result keychainResult(int error, const QString &why, bool removing)
{
    SecretStore::Result r;
    switch (QKeychain::Error(error)) {
    case QKeychain::NoError:
        r.status = SecretStore::Status::Ok;
        return r;
    case QKeychain::EntryNotFound:
        r.status = removing ? SecretStore::Status::Ok : SecretStore::Status::NotFound;
        if (!removing)
            r.message = QStringLiteral("nothing is stored in the keychain for this server");
        return r;
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
        r.status = SecretStore::Status::NoKeychain;
        break;
    case QKeychain::AccessDeniedByUser:
    case QKeychain::AccessDenied:
        r.status = SecretStore::Status::Denied;
        break;
    default: // CouldNotDeleteEntry, OtherError, anything newer
        r.status = SecretStore::Status::Failed;
        break;
    }
    // QtKeychain reports a missing Secret Service as OtherError; only the words of libsecret and
    // D-Bus tell: no session bus at all, or no program that provides the service. Anything else
    // (a timeout, a dismissed prompt) stays Failed.
    static const QLatin1String noServiceSigns[] = {QLatin1String("Could not connect"),
        QLatin1String("org.freedesktop.DBus.Error.NoServer"),
        QLatin1String("org.freedesktop.DBus.Error.ServiceUnknown"),
        QLatin1String("was not provided by any .service files")};
    if (r.status == SecretStore::Status::Failed) {
        for (const QLatin1String sign : noServiceSigns) {
            if (why.contains(sign))
                r.status = SecretStore::Status::NoKeychain;
        }
    }
    r.message = r.status == SecretStore::Status::NoKeychain
        ? QStringLiteral("no keychain is running (%1): the console cannot remember secrets here")
              .arg(why)
        : QStringLiteral("keychain: %1").arg(why);
    return r;
}

namespace {

template<typename JobType>
JobType *startJob(const QString &service, const QString &key, const QObject *context,
    SecretStore::Callback done, bool removing,
    std::function<void(JobType *, SecretStore::Result &)> extra = {})
{
    auto *job = new JobType(service); // deletes itself when finished (autoDelete)
    job->setInsecureFallback(false);
    job->setKey(key);
    QPointer<const QObject> guard(context);
    QObject::connect(job, &QKeychain::Job::finished, job,
        [guard, done = std::move(done), removing, extra](QKeychain::Job *finished) {
            if (!guard)
                return;
            SecretStore::Result r = fromJob(*finished, removing);
            if (extra && r.ok())
                extra(static_cast<JobType *>(finished), r);
            done(r);
        });
    return job;
}

} // namespace

void MemorySecretStore::write(
    const QString &key, const QString &secret, const QObject *context, Callback done)
{
    m_secrets.insert(key, secret);
    answerLater(context, std::move(done), Result {Status::Ok, {}, {}});
}

void MemorySecretStore::read(const QString &key, const QObject *context, Callback done)
{
    const auto it = m_secrets.constFind(key);
    answerLater(context, std::move(done),
        it == m_secrets.cend()
            ? Result {Status::NotFound, {}, QStringLiteral("nothing is stored for this server")}
            : Result {Status::Ok, *it, {}});
}

void MemorySecretStore::remove(const QString &key, const QObject *context, Callback done)
{
    m_secrets.remove(key);
    answerLater(context, std::move(done), Result {Status::Ok, {}, {}});
}

KeychainSecretStore::KeychainSecretStore(QString service, QObject *parent)
    : SecretStore(parent)
    , m_service(std::move(service))
{ }

void KeychainSecretStore::write(
    const QString &key, const QString &secret, const QObject *context, Callback done)
{
    auto *job =
        startJob<QKeychain::WritePasswordJob>(m_service, key, context, std::move(done), false);
    job->setTextData(secret);
    job->start();
}

void KeychainSecretStore::read(const QString &key, const QObject *context, Callback done)
{
    startJob<QKeychain::ReadPasswordJob>(m_service, key, context, std::move(done), false,
        [](QKeychain::ReadPasswordJob *job, Result &r) { r.secret = job->textData(); })
        ->start();
}

void KeychainSecretStore::remove(const QString &key, const QObject *context, Callback done)
{
    startJob<QKeychain::DeletePasswordJob>(m_service, key, context, std::move(done), true)->start();
}

} // namespace jarvis::console
