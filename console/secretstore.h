#pragma once

#include <QHash>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

namespace jarvis::console {

// Where the console keeps what it remembers (the password or the token of a server): the system
// keychain through QtKeychain, or memory in tests. Asynchronous (a keychain may ask the user);
// callbacks run on the main thread and only while `context` lives. Secrets are never written in
// plain text and never logged.
class SecretStore : public QObject
{
    Q_OBJECT
public:
    enum class Status {
        Ok,
        NotFound, // nothing stored under that key
        NoKeychain, // no keychain service is running: offer not to remember
        Denied, // the keychain refused (locked, or the user said no)
        Failed, // anything else; `message` says what
    };
    Q_ENUM(Status)

    struct Result
    {
        Status status = Status::Failed;
        QString secret; // read: the secret when Ok
        QString message; // one line for the user when not Ok
        bool ok() const { return status == Status::Ok; }
    };
    using Callback = std::function<void(const Result &)>;

    using QObject::QObject;

    virtual void write(
        const QString &key, const QString &secret, const QObject *context, Callback done) = 0;
    virtual void read(const QString &key, const QObject *context, Callback done) = 0;
    // Removing a key that is not there is Ok.
    virtual void remove(const QString &key, const QObject *context, Callback done) = 0;
};

// In memory, for tests and for "do not remember" (gone with the process).
class MemorySecretStore final : public SecretStore
{
    Q_OBJECT
public:
    using SecretStore::SecretStore;
    void write(
        const QString &key, const QString &secret, const QObject *context, Callback done) override;
    void read(const QString &key, const QObject *context, Callback done) override;
    void remove(const QString &key, const QObject *context, Callback done) override;

private:
    QHash<QString, QString> m_secrets;
};

// The system keychain (the freedesktop Secret Service on Linux: gnome-keyring, KWallet) through
// QtKeychain, under the service name `service`. Never falls back to a plain-text file: without a
// keychain the answer is NoKeychain.
class KeychainSecretStore final : public SecretStore
{
    Q_OBJECT
public:
    explicit KeychainSecretStore(
        QString service = QStringLiteral("jarvis-console"), QObject *parent = nullptr);
    void write(
        const QString &key, const QString &secret, const QObject *context, Callback done) override;
    void read(const QString &key, const QObject *context, Callback done) override;
    void remove(const QString &key, const QObject *context, Callback done) override;

private:
    QString m_service;
};

// How a QtKeychain job's end (its QKeychain::Error code and errorString()) reads to the console;
// `removing`: a missing entry is then Ok. Exposed for tests.
SecretStore::Result keychainResult(int error, const QString &errorString, bool removing);

} // namespace jarvis::console
