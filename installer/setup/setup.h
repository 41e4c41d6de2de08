#pragma once

#include <QString>
#include <QStringList>

#include <optional>

namespace jarvis::setup {

// The command line of jarvis-setup (docs/PROTOCOL.md section 7, "jarvis-setup").
struct Options
{
    bool nonInteractive = false;
    bool console = false;
    QString config = QStringLiteral("/etc/jarvis/jarvisd.conf");
    QStringList nodes; // NAME=URL
    QString tokenId;
    QString tlsFingerprint;
    QString caFile;
    QString sshUser;
    bool noSsh = false;
    QString sshKey; // default: <state dir>/id_ed25519
    QString sshFrom; // from="..." on the authorized_keys line
    QString sshPort; // for every --node
    bool testSsh = false;
    QString adminUser;
    QString listen;
    QString port;
    QString tlsCert;
    QString tlsKey;
    QString stateDir = QStringLiteral("/var/lib/jarvis");
    QString serviceUser = QStringLiteral("jarvis");
    bool newJwtSecret = false;
    bool enableNow = false;
    int timeoutSeconds = 10;
    QString server; // --console
};

// Parses argv; a SetupError (exit 2) for anything wrong, including a secret given as an argument.
// nullopt after --help / --version (printed).
std::optional<Options> parseOptions(const QStringList &arguments);

// The server side: jarvisd's configuration (interactive or not). Returns the exit code.
int runServerSetup(const Options &options);
// The admin workstation: the console's server, pinned certificate and token. Exit code.
int runConsoleSetup(const Options &options);

} // namespace jarvis::setup
