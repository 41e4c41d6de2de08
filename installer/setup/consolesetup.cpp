// jarvis-setup --console: the admin workstation's console, set up where the console reads it
// (console/consolestorage.h): the server URL in its QSettings, the certificate pinned in its pin
// file (console/tlstrust), the session token in the keychain through its SecretStore.
#include "setup.h"

#include "consolestorage.h"
#include "login.h"
#include "prompter.h"
#include "pveprobe.h"
#include "secretstore.h"
#include "tlstrust.h"

#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSettings>

namespace jarvis::setup {

using console::KeychainSecretStore;
using console::SecretStore;
using console::TlsTrust;
namespace storage = console::storage;

int runConsoleSetup(const Options &o)
{
    Prompter ask;
    QSettings settings(QLatin1String(storage::Organization), QLatin1String(storage::Application));
    const auto validServer = [](const QString &a) {
        return storage::normaliseServer(a).isEmpty()
            ? QStringLiteral("give http(s)://HOST[:PORT], e.g. https://jarvis.lan:8443")
            : QString();
    };
    QString serverText = o.server;
    if (serverText.isEmpty() && o.nonInteractive)
        throw SetupError {QStringLiteral("--console --non-interactive needs --server URL"), 2};
    if (serverText.isEmpty())
        serverText = ask.ask(QStringLiteral("jarvisd's address"),
            settings.value(QLatin1String(storage::LastServerKey)).toString(), validServer);
    if (const QString why = validServer(serverText); !why.isEmpty())
        throw SetupError {QStringLiteral("--server %1: %2").arg(serverText, why), 2};
    const QUrl server = storage::normaliseServer(serverText);

    const QString pinFile = storage::pinFile();
    QDir().mkpath(QFileInfo(pinFile).absolutePath());
    TlsTrust trust(pinFile);
    bool pinned = false; // pinned now, by this run
    if (server.scheme() == QLatin1String("https")) {
        TlsTrust::Probe probe;
        QEventLoop loop;
        trust.probe(
            server, &loop,
            [&](const TlsTrust::Probe &p) {
                probe = p;
                loop.quit();
            },
            o.timeoutSeconds * 1000);
        loop.exec();
        switch (probe.verdict) {
        case TlsTrust::Verdict::SystemTrusted:
        case TlsTrust::Verdict::PinMatches:
            say(probe.message());
            break;
        case TlsTrust::Verdict::FirstUse: {
            say(QStringLiteral(
                "%1 presents a certificate the system does not trust, with SHA-256 "
                "fingerprint\n  %2\n(jarvisd's own certificate: compare with "
                "`openssl x509 -noout -fingerprint -sha256 -in CERT` on the server).")
                    .arg(probe.server, probe.fingerprint));
            bool accept = false;
            if (o.nonInteractive)
                accept = normaliseFingerprint(o.tlsFingerprint) == probe.fingerprint;
            else
                accept = ask.confirm(
                    QStringLiteral("Trust this certificate for %1 and pin it?").arg(probe.server),
                    false);
            if (!accept)
                throw SetupError {o.nonInteractive && !o.tlsFingerprint.isEmpty()
                        ? QStringLiteral("%1 presents %2, not the %3 given with --tls-fingerprint; "
                                         "nothing was stored")
                              .arg(probe.server, probe.fingerprint, o.tlsFingerprint)
                        : QStringLiteral(
                            "the certificate of %1 was not trusted; nothing was stored")
                              .arg(probe.server)};
            QString error;
            if (!trust.setPin(server, probe.fingerprint, &error))
                throw SetupError {QStringLiteral("cannot pin the certificate: %1").arg(error)};
            pinned = true;
            break;
        }
        case TlsTrust::Verdict::Changed:
        case TlsTrust::Verdict::NotEncrypted:
        case TlsTrust::Verdict::Failed:
            throw SetupError {probe.message()};
        }
    } else {
        say(QStringLiteral("Warning: %1 is plain HTTP: the password and the token cross the "
                           "network unencrypted.")
                .arg(server.toString()));
    }
    const auto unpin = [&] {
        if (pinned)
            trust.removePin(server);
    };

    QString password = qEnvironmentVariable("JARVIS_CONSOLE_PASSWORD");
    if (password.isEmpty() && o.nonInteractive) {
        unpin();
        throw SetupError {QStringLiteral("--console --non-interactive needs the password in "
                                         "JARVIS_CONSOLE_PASSWORD"),
            2};
    }
    if (password.isEmpty())
        password =
            ask.askSecret(QStringLiteral("Password of %1 on %2")
                              .arg(o.adminUser.isEmpty() ? QStringLiteral("admin") : o.adminUser,
                                  server.toString()),
                false);

    // POST /api/auth/login through the trust just set: only the pinned or a system-trusted
    // certificate gets the password.
    QNetworkAccessManager nam;
    trust.applyTo(&nam);
    QNetworkReply *reply =
        console::postLogin(&nam, server, password, o.adminUser, o.timeoutSeconds * 1000);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    reply->deleteLater();
    const console::LoginAnswer answer = console::readLoginAnswer(reply);
    if (!answer.ok()) {
        unpin();
        throw SetupError {QStringLiteral("login to %1 failed: %2; nothing was stored")
                              .arg(server.toString(), answer.failure)};
    }
    const QString token = answer.token;
    say(QStringLiteral("Logged in to %1.").arg(server.toString()));

    // The token to the keychain, the URL (not secret) to the console's settings.
    KeychainSecretStore store;
    SecretStore::Result written;
    store.write(storage::tokenKey(server), token, &loop, [&](const SecretStore::Result &r) {
        written = r;
        loop.quit();
    });
    loop.exec();
    settings.setValue(QLatin1String(storage::LastServerKey), server.toString());
    settings.sync();
    if (written.status == SecretStore::Status::NoKeychain) {
        say(QStringLiteral("No keychain is running (%1): the session token was NOT stored (never "
                           "in plain text). The console will open %2 and ask for the password.")
                .arg(written.message, server.toString()));
        return 3;
    }
    if (!written.ok())
        throw SetupError {
            QStringLiteral("the keychain did not store the token: %1").arg(written.message)};
    say(QStringLiteral("The console will open %1 with this session (token in the keychain, "
                       "certificate pinned in %2).")
            .arg(server.toString(), pinFile));
    return 0;
}

} // namespace jarvis::setup
