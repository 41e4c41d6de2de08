// SecretStore: the in-memory store, the system keychain through QtKeychain against a real
// gnome-keyring (this test runs under dbus-run-session with an unlocked keyring, see
// with-keyring.sh), and the "no keychain" path (no D-Bus session at all).
#include "secretstore.h"

#include <QTest>

#include <qt6keychain/keychain.h>

#include <optional>

using namespace jarvis::console;
using Status = SecretStore::Status;

class TestSecretStore : public QObject
{
    Q_OBJECT

private:
    SecretStore::Result call(const std::function<void(SecretStore::Callback)> &start)
    {
        std::optional<SecretStore::Result> result;
        start([&result](const SecretStore::Result &r) { result = r; });
        [&] { QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 20000); }();
        return result.value_or(SecretStore::Result {});
    }
    void roundTrip(SecretStore &store);

private Q_SLOTS:
    void keychainResult_data();
    void keychainResult();
    void memory();
    void keychain();
    void noKeychain();
};

// Write, read back, overwrite, remove, read a missing key, remove a missing key.
void TestSecretStore::roundTrip(SecretStore &store)
{
    const QString key = QStringLiteral("https://127.0.0.1:8443 admin");
    const QString secret = QStringLiteral("pässwörd with spaces \" and 'quotes'");
    auto r = call([&](auto done) { store.write(key, secret, this, done); });
    QVERIFY2(r.ok(), qPrintable(r.message));
    r = call([&](auto done) { store.read(key, this, done); });
    QVERIFY2(r.ok(), qPrintable(r.message));
    QCOMPARE(r.secret, secret);
    r = call([&](auto done) { store.write(key, QStringLiteral("second"), this, done); });
    QVERIFY2(r.ok(), qPrintable(r.message));
    r = call([&](auto done) { store.read(key, this, done); });
    QCOMPARE(r.secret, QStringLiteral("second"));
    r = call([&](auto done) { store.remove(key, this, done); });
    QVERIFY2(r.ok(), qPrintable(r.message));
    r = call([&](auto done) { store.read(key, this, done); });
    QCOMPARE(r.status, Status::NotFound);
    QVERIFY(r.secret.isEmpty());
    r = call([&](auto done) { store.remove(key, this, done); });
    QCOMPARE(r.status, Status::Ok);
}

void TestSecretStore::memory()
{
    MemorySecretStore store;
    roundTrip(store);
    // A callback whose context is gone is never called.
    bool called = false;
    {
        QObject context;
        store.write(QStringLiteral("k"), QStringLiteral("v"), &context,
            [&called](const SecretStore::Result &) { called = true; });
    }
    const auto r = call([&](auto done) { store.read(QStringLiteral("k"), this, done); });
    QCOMPARE(r.secret, QStringLiteral("v"));
    QVERIFY(!called);
}

// How QtKeychain's answers read: only "no service there" becomes NoKeychain; other failures
// (a timeout, a dismissed prompt) stay Failed with their words.
void TestSecretStore::keychainResult_data()
{
    QTest::addColumn<int>("error");
    QTest::addColumn<QString>("why");
    QTest::addColumn<bool>("removing");
    QTest::addColumn<Status>("status");
    const int other = QKeychain::OtherError;
    QTest::newRow("ok") << int(QKeychain::NoError) << QString() << false << Status::Ok;
    QTest::newRow("not found") << int(QKeychain::EntryNotFound) << QString() << false
                               << Status::NotFound;
    QTest::newRow("not found, removing")
        << int(QKeychain::EntryNotFound) << QString() << true << Status::Ok;
    QTest::newRow("no backend") << int(QKeychain::NoBackendAvailable) << QString() << false
                                << Status::NoKeychain;
    QTest::newRow("denied by user")
        << int(QKeychain::AccessDeniedByUser) << QString() << false << Status::Denied;
    QTest::newRow("no session bus")
        << other << QStringLiteral("Could not connect: No such file or directory") << false
        << Status::NoKeychain;
    QTest::newRow("service not provided")
        << other
        << QStringLiteral("The name org.freedesktop.secrets was not provided by any .service files")
        << false << Status::NoKeychain;
    QTest::newRow("service unknown")
        << other << QStringLiteral("org.freedesktop.DBus.Error.ServiceUnknown: no such name")
        << false << Status::NoKeychain;
    QTest::newRow("timeout stays failed")
        << other
        << QStringLiteral("org.freedesktop.DBus.Error.NoReply: Did not receive a reply (D-Bus)")
        << false << Status::Failed;
    QTest::newRow("prompt dismissed stays failed")
        << other << QStringLiteral("Prompt dismissed by the user") << false << Status::Failed;
}

void TestSecretStore::keychainResult()
{
    QFETCH(int, error);
    QFETCH(QString, why);
    QFETCH(bool, removing);
    QFETCH(Status, status);
    const SecretStore::Result r = jarvis::console::keychainResult(error, why, removing);
    QCOMPARE(r.status, status);
    if (status == Status::NoKeychain)
        QVERIFY2(r.message.contains(QLatin1String("no keychain")), qPrintable(r.message));
    if (status == Status::Failed)
        QVERIFY2(r.message.contains(why), qPrintable(r.message));
}

// The real Secret Service: with-keyring.sh starts a D-Bus session and an unlocked gnome-keyring,
// and sets JARVIS_TEST_KEYRING=1; without it this test fails (a missing part is a failure).
void TestSecretStore::keychain()
{
    QVERIFY2(qEnvironmentVariable("JARVIS_TEST_KEYRING") == QLatin1String("1"),
        "run through tests/console/with-keyring.sh (dbus-run-session + gnome-keyring)");
    KeychainSecretStore store(QStringLiteral("jarvis-console-test"));
    roundTrip(store);
}

// No D-Bus session bus at all (ctest's tst_secretstore_nokeychain runs this function alone with
// JARVIS_TEST_NO_KEYRING=1 and a bus address that leads nowhere): the store says there is no
// keychain, in words, and stores nothing.
void TestSecretStore::noKeychain()
{
    QVERIFY2(qEnvironmentVariable("JARVIS_TEST_NO_KEYRING") == QLatin1String("1"),
        "run alone with JARVIS_TEST_NO_KEYRING=1 and no D-Bus session (ctest does)");
    KeychainSecretStore store(QStringLiteral("jarvis-console-test-nobus"));
    auto r =
        call([&](auto done) { store.write(QStringLiteral("k"), QStringLiteral("v"), this, done); });
    QVERIFY2(r.status == Status::NoKeychain, qPrintable(r.message));
    QVERIFY2(r.message.contains(QLatin1String("no keychain")), qPrintable(r.message));
    r = call([&](auto done) { store.read(QStringLiteral("k"), this, done); });
    QVERIFY2(r.status == Status::NoKeychain, qPrintable(r.message));
}

QTEST_GUILESS_MAIN(TestSecretStore)
#include "tst_secretstore.moc"
