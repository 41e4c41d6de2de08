#pragma once

#include <QByteArray>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QProcess>
#include <QSet>
#include <QStandardPaths>
#include <QString>
#include <QStringList>
#include <QTcpServer>
#include <QTemporaryDir>

#include <memory>

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

// A real OpenSSH server for tests: `/usr/sbin/sshd -D -e -f <generated config>` on 127.0.0.1 and
// a free port, running as the current user (root may log in with a key), with a generated ed25519
// host key and client key pair in a temporary directory, public key authentication only, and its
// log (LogLevel VERBOSE, one "Accepted publickey" line per login) in a file the test can read.
// Also writes known_hosts files: the right one, an empty one, and one with a changed key.
// stop()/kill() end the listener and every process it started (per-connection sshd processes and
// the shells under them), by PID; the destructor stops everything. Setup waits for ssh-keygen and
// for sshd to listen (test harness code, not the code under test).
class SshdFixture
{
public:
    SshdFixture() = default;
    SshdFixture(const SshdFixture &) = delete;
    SshdFixture &operator=(const SshdFixture &) = delete;
    ~SshdFixture() { stop(); }

    static QString sshdPath() { return QStringLiteral("/usr/sbin/sshd"); }
    static bool isAvailable() { return QFile::exists(sshdPath()) && !keygenPath().isEmpty(); }

    // Keys, config, then start() on a free port. False (see error()) if anything fails.
    bool setUp()
    {
        if (!m_dir.isValid())
            return failed(QStringLiteral("no temporary directory"));
        if (!isAvailable())
            return failed(QStringLiteral("sshd or ssh-keygen missing"));
        // sshd's privilege separation directory; missing in fresh containers.
        if (::geteuid() == 0 && !QDir(QStringLiteral("/run/sshd")).exists()) {
            QDir().mkpath(QStringLiteral("/run/sshd"));
            ::chmod("/run/sshd", 0755);
        }
        if (!keygen(hostKeyFile()) || !keygen(clientKeyFile()) || !keygen(otherClientKeyFile())
            || !keygen(path(QStringLiteral("other_host_key"))))
            return false;
        if (!copy(
                clientKeyFile() + QStringLiteral(".pub"), path(QStringLiteral("authorized_keys"))))
            return failed(QStringLiteral("cannot write authorized_keys"));
        for (int attempt = 0; attempt < 5; ++attempt) {
            m_port = freePort();
            if (m_port > 0 && writeFiles() && start())
                return true;
        }
        return false;
    }

    // (Re)starts sshd on the same port; waits until it listens.
    bool start()
    {
        stop();
        m_process = std::make_unique<QProcess>();
        m_process->setProgram(sshdPath());
        m_process->setArguments({QStringLiteral("-D"), QStringLiteral("-e"), QStringLiteral("-f"),
            path(QStringLiteral("sshd_config"))});
        m_process->setStandardOutputFile(QProcess::nullDevice());
        m_process->setStandardErrorFile(logFile(), QIODevice::Append);
        const qsizetype logStart = log().size();
        m_process->start();
        if (!m_process->waitForStarted(10000))
            return failed(QStringLiteral("sshd did not start: ") + m_process->errorString());
        const QByteArray ready = "Server listening on 127.0.0.1 port " + QByteArray::number(m_port);
        QDeadlineTimer deadline(10000);
        while (!deadline.hasExpired()) {
            if (log().mid(logStart).contains(ready))
                return true;
            if (m_process->waitForFinished(20)) // returns early only if sshd exited
                return failed(
                    QStringLiteral("sshd exited: ") + QString::fromLocal8Bit(log().mid(logStart)));
        }
        return failed(QStringLiteral("sshd did not listen within 10 s"));
    }

    // SIGTERM to the listener and everything under it, then wait for all of them.
    void stop() { signalAll(SIGTERM); }
    // SIGKILL to the listener and every session process: the server vanishes mid-session.
    void kill() { signalAll(SIGKILL); }

    bool isRunning() const { return m_process && m_process->state() == QProcess::Running; }
    qint64 pid() const { return isRunning() ? m_process->processId() : 0; }
    // The per-connection sshd processes and their children (shells, commands).
    QList<qint64> sessionPids() const { return pid() ? descendants(pid()) : QList<qint64> {}; }
    // E.g. SIGSTOP to freeze every session (the kernel still acknowledges TCP), SIGCONT after.
    void signalSessions(int sig) const
    {
        for (qint64 p : sessionPids())
            ::kill(pid_t(p), sig);
    }

    QString error() const { return m_error; }
    QString host() const { return QStringLiteral("127.0.0.1"); }
    int port() const { return m_port; }
    static QString user()
    {
        const passwd *pw = ::getpwuid(::geteuid());
        return pw ? QString::fromLocal8Bit(pw->pw_name) : QString();
    }
    QString dir() const { return m_dir.path(); }
    QString path(const QString &name) const { return m_dir.filePath(name); }

    QString hostKeyFile() const { return path(QStringLiteral("ssh_host_ed25519_key")); }
    QString clientKeyFile() const { return path(QStringLiteral("client_key")); }
    // A valid key the server does not accept.
    QString otherClientKeyFile() const { return path(QStringLiteral("other_client_key")); }
    // "SHA256:..." of the host key, as ssh-keygen -l prints it.
    QString hostKeyFingerprint() const { return m_fingerprint; }

    // "[127.0.0.1]:PORT ssh-ed25519 AAAA..." (or under `hostName`).
    QByteArray knownHostsLine(const QString &hostName = QString()) const
    {
        return knownHostsLineFor(hostName, publicKey(hostKeyFile()));
    }
    QString knownHostsFile() const { return path(QStringLiteral("known_hosts")); }
    // Fresh copies a test may modify.
    QString writeKnownHosts(const QString &name, const QByteArray &content) const
    {
        QFile file(path(name));
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return QString();
        file.write(content);
        return file.fileName();
    }
    QString emptyKnownHostsFile(const QString &name = QStringLiteral("known_hosts.empty")) const
    {
        return writeKnownHosts(name, QByteArray());
    }
    // The right host and port, another ed25519 key: a changed host key.
    QString wrongKnownHostsFile(const QString &name = QStringLiteral("known_hosts.wrong")) const
    {
        return writeKnownHosts(
            name, knownHostsLineFor(QString(), publicKey(path(QStringLiteral("other_host_key")))));
    }

    QString logFile() const { return path(QStringLiteral("sshd.log")); }
    QByteArray log() const
    {
        QFile file(logFile());
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }
    int logCount(const QByteArray &needle) const { return int(log().count(needle)); }
    int acceptedLogins() const { return logCount("Accepted publickey for "); }

private:
    static QString keygenPath()
    {
        return QStandardPaths::findExecutable(QStringLiteral("ssh-keygen"));
    }

    bool failed(const QString &message)
    {
        m_error = message;
        return false;
    }

    bool keygen(const QString &file)
    {
        if (QFile::exists(file))
            return true;
        QProcess p;
        p.start(keygenPath(),
            {QStringLiteral("-q"), QStringLiteral("-t"), QStringLiteral("ed25519"),
                QStringLiteral("-N"), QString(), QStringLiteral("-C"),
                QStringLiteral("jarvis-test"), QStringLiteral("-f"), file});
        if (!p.waitForFinished(30000) || p.exitCode() != 0)
            return failed(QStringLiteral("ssh-keygen failed: ")
                + QString::fromLocal8Bit(p.readAllStandardError()));
        return true;
    }

    bool copy(const QString &from, const QString &to)
    {
        QFile::remove(to);
        return QFile::copy(from, to);
    }

    static QByteArray publicKey(const QString &privateKeyFile)
    {
        QFile file(privateKeyFile + QStringLiteral(".pub"));
        if (!file.open(QIODevice::ReadOnly))
            return QByteArray();
        const QList<QByteArray> parts = file.readAll().trimmed().split(' ');
        return parts.size() >= 2 ? parts[0] + ' ' + parts[1] : QByteArray();
    }

    QByteArray knownHostsLineFor(const QString &hostName, const QByteArray &key) const
    {
        const QString name = hostName.isEmpty() ? host() : hostName;
        return "[" + name.toUtf8() + "]:" + QByteArray::number(m_port) + ' ' + key + '\n';
    }

    static int freePort()
    {
        QTcpServer server;
        if (!server.listen(QHostAddress::LocalHost, 0))
            return 0;
        return server.serverPort();
    }

    bool writeFiles()
    {
        QFile config(path(QStringLiteral("sshd_config")));
        if (!config.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return failed(QStringLiteral("cannot write sshd_config"));
        const QByteArray d = QFile::encodeName(dir());
        config.write("Port " + QByteArray::number(m_port)
            + "\n"
              "ListenAddress 127.0.0.1\n"
              "HostKey "
            + QFile::encodeName(hostKeyFile())
            + "\n"
              "PidFile "
            + d
            + "/sshd.pid\n"
              "AuthorizedKeysFile "
            + d
            + "/authorized_keys\n"
              "StrictModes no\n"
              "UsePAM no\n"
              "PubkeyAuthentication yes\n"
              "PasswordAuthentication no\n"
              "KbdInteractiveAuthentication no\n"
              "PermitRootLogin prohibit-password\n"
              "PrintMotd no\n"
              "PrintLastLog no\n"
              "UseDNS no\n"
              "X11Forwarding no\n"
              "AllowTcpForwarding no\n"
              "AllowAgentForwarding no\n"
              "MaxSessions 64\n"
              "MaxStartups 100\n"
              "ClientAliveInterval 0\n"
              "LogLevel VERBOSE\n");
        config.close();
        QProcess p;
        p.start(keygenPath(),
            {QStringLiteral("-l"), QStringLiteral("-E"), QStringLiteral("sha256"),
                QStringLiteral("-f"), hostKeyFile() + QStringLiteral(".pub")});
        if (!p.waitForFinished(30000) || p.exitCode() != 0)
            return failed(QStringLiteral("ssh-keygen -l failed"));
        const QList<QByteArray> fields = p.readAllStandardOutput().split(' ');
        m_fingerprint = fields.size() > 1 ? QString::fromLatin1(fields.at(1)) : QString();
        return !writeKnownHosts(QStringLiteral("known_hosts"), knownHostsLine()).isEmpty();
    }

    static qint64 parentOf(qint64 pid)
    {
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            return -1;
        const QByteArray line = stat.readAll();
        const qsizetype close = line.lastIndexOf(')'); // the command name may hold spaces
        const QList<QByteArray> fields = line.mid(close + 2).split(' ');
        return fields.size() > 1 ? fields.at(1).toLongLong() : -1; // state, ppid, ...
    }

    static QList<qint64> descendants(qint64 root)
    {
        QHash<qint64, QList<qint64>> children;
        const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
        for (const QString &entry : entries) {
            bool ok = false;
            const qint64 pid = entry.toLongLong(&ok);
            if (ok)
                children[parentOf(pid)].append(pid);
        }
        QList<qint64> result;
        QList<qint64> queue {root};
        while (!queue.isEmpty()) {
            for (qint64 child : children.value(queue.takeFirst())) {
                result.append(child);
                queue.append(child);
            }
        }
        return result;
    }

    void signalAll(int sig)
    {
        if (!m_process)
            return;
        QList<qint64> all;
        if (m_process->state() == QProcess::Running) {
            all = descendants(m_process->processId());
            for (qint64 p : all) {
                ::kill(pid_t(p), SIGCONT); // a frozen session could not die otherwise
                ::kill(pid_t(p), sig);
            }
            ::kill(pid_t(m_process->processId()), sig);
            m_process->waitForFinished(10000);
        }
        QDeadlineTimer deadline(5000);
        for (qint64 p : all) {
            while (::kill(pid_t(p), 0) == 0 && parentOf(p) != -1 && !deadline.hasExpired()) {
                if (isZombie(p))
                    break;
                ::usleep(10000);
            }
            if (::kill(pid_t(p), 0) == 0 && !isZombie(p))
                ::kill(pid_t(p), SIGKILL);
        }
        m_process.reset();
    }

    static bool isZombie(qint64 pid)
    {
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            return true;
        const QByteArray line = stat.readAll();
        const qsizetype close = line.lastIndexOf(')');
        return line.mid(close + 2, 1) == "Z";
    }

    QTemporaryDir m_dir;
    std::unique_ptr<QProcess> m_process;
    int m_port = 0;
    QString m_fingerprint;
    QString m_error;
};
