#pragma once

#include <QByteArray>
#include <QList>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace jarvis::demo {

// A real OpenSSH server on loopback: `sshd -D -e -f <generated config>` on 127.0.0.1
// and a free port, running as the current user, with a generated ed25519 host key and client key
// pair in its own directory. Only the generated client key is accepted (public key authentication
// only, AllowUsers = the current user, no forwarding, no agent, no X11), so logging in gives no
// more than the user who started it already has; root (if it runs as root) may log in with that
// key only. Its log (LogLevel VERBOSE, one "Accepted publickey" line per login) goes to a file.
// Writes known_hosts files for the client: the right one, and on request an empty one and one
// with a changed key. stop()/kill() end the listener and every process it started (per-connection
// sshd processes and the shells under them), by PID; the destructor stops everything, and sshd
// also gets SIGTERM if this process dies. setUp() and start() block (ssh-keygen, waiting for
// sshd to listen): call them before the event loop runs, or from tests. Used by `jarvisd --demo`
// and by the tests (tests/support/sshdfixture.h).
class LoopbackSshd
{
public:
    struct Options
    {
        QString directory; // where keys, config and log go; empty = a temporary one, removed after
        bool testKeys = false; // also a rejected client key and another host key (for tests)
        // Sessions get HOME = an empty directory of ours (sshd's SetEnv), so the user's shell
        // start-up files (~/.bashrc, ~/.profile; Debian's bash reads ~/.bashrc even for commands
        // run by sshd) stay out: tests and benchmarks need a shell that starts the same way on
        // every machine (a `pyenv rehash` in root's ~/.bashrc waits 60 s on a stale lock).
        // The demo turns it on too.
        bool cleanHome = false;
        // More sshd_config lines (e.g. "RekeyLimit 1M\n"), written before the generated ones, so
        // they override them (sshd takes the first value it reads for a keyword).
        QByteArray extraConfig;
    };

    LoopbackSshd();
    explicit LoopbackSshd(Options options);
    LoopbackSshd(const LoopbackSshd &) = delete;
    LoopbackSshd &operator=(const LoopbackSshd &) = delete;
    ~LoopbackSshd();

    // sshd on PATH or in the usual sbin folders (absolute: sshd re-executes itself); empty when
    // there is none.
    static QString sshdPath();
    static QString keygenPath(); // empty when ssh-keygen is not on PATH
    static bool isAvailable(); // sshd and ssh-keygen exist

    // Keys, config, then start() on a free port. False (see error()) if anything fails.
    bool setUp();
    // (Re)starts sshd on the same port; waits until it listens.
    bool start();
    // SIGTERM to the listener and everything under it, then wait for all of them.
    void stop();
    // SIGKILL to the listener and every session process: the server vanishes mid-session.
    void kill();

    bool isRunning() const;
    qint64 pid() const;
    // The per-connection sshd processes and their children (shells, commands).
    QList<qint64> sessionPids() const;
    // E.g. SIGSTOP to freeze every session (the kernel still acknowledges TCP), SIGCONT after.
    void signalSessions(int sig) const;

    QString error() const { return m_error; }
    QString host() const { return QStringLiteral("127.0.0.1"); }
    int port() const { return m_port; }
    static QString user(); // the current user's name
    QString dir() const { return m_directory; }
    QString path(const QString &name) const;

    QString hostKeyFile() const { return path(QStringLiteral("ssh_host_ed25519_key")); }
    QString clientKeyFile() const { return path(QStringLiteral("client_key")); }
    // A valid key the server does not accept (Options::testKeys).
    QString otherClientKeyFile() const { return path(QStringLiteral("other_client_key")); }
    // "SHA256:..." of the host key, as ssh-keygen -l prints it.
    QString hostKeyFingerprint() const { return m_fingerprint; }

    // "[127.0.0.1]:PORT ssh-ed25519 AAAA..." (or under `hostName`).
    QByteArray knownHostsLine(const QString &hostName = QString()) const;
    QString knownHostsFile() const { return path(QStringLiteral("known_hosts")); }
    // Writes `content` to the file `name` in dir(); its path, or empty on failure.
    QString writeKnownHosts(const QString &name, const QByteArray &content) const;
    QString emptyKnownHostsFile(const QString &name = QStringLiteral("known_hosts.empty")) const;
    // The right host and port, another ed25519 key: a changed host key (Options::testKeys).
    QString wrongKnownHostsFile(const QString &name = QStringLiteral("known_hosts.wrong")) const;

    QString logFile() const { return path(QStringLiteral("sshd.log")); }
    QByteArray log() const;
    int logCount(const QByteArray &needle) const { return int(log().count(needle)); }
    int acceptedLogins() const { return logCount("Accepted publickey for "); }

private:
    bool failed(const QString &message);
    bool keygen(const QString &file);
    bool writeFiles();
    void signalAll(int sig);
    QByteArray knownHostsLineFor(const QString &hostName, const QByteArray &key) const;

    Options m_options;
    std::unique_ptr<QTemporaryDir> m_temporary; // when no directory was given
    QString m_directory;
    std::unique_ptr<QProcess> m_process;
    int m_port = 0;
    QString m_fingerprint;
    QString m_error;
};

} // namespace jarvis::demo
