#include "demo/loopbacksshd.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QHostAddress>
#include <QStandardPaths>
#include <QStringList>
#include <QTcpServer>

#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace jarvis::demo {

namespace {

QByteArray publicKey(const QString &privateKeyFile)
{
    QFile file(privateKeyFile + QStringLiteral(".pub"));
    if (!file.open(QIODevice::ReadOnly))
        return QByteArray();
    const QList<QByteArray> parts = file.readAll().trimmed().split(' ');
    return parts.size() >= 2 ? parts[0] + ' ' + parts[1] : QByteArray();
}

int freePort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    return server.serverPort();
}

qint64 parentOf(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray line = stat.readAll();
    const qsizetype close = line.lastIndexOf(')'); // the command name may hold spaces
    const QList<QByteArray> fields = line.mid(close + 2).split(' ');
    return fields.size() > 1 ? fields.at(1).toLongLong() : -1; // state, ppid, ...
}

QList<qint64> descendants(qint64 root)
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

bool isZombie(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return true;
    const QByteArray line = stat.readAll();
    const qsizetype close = line.lastIndexOf(')');
    return line.mid(close + 2, 1) == "Z";
}

} // namespace

LoopbackSshd::LoopbackSshd()
    : LoopbackSshd(Options {})
{ }

LoopbackSshd::LoopbackSshd(Options options)
    : m_options(std::move(options))
{
    if (m_options.directory.isEmpty()) {
        m_temporary = std::make_unique<QTemporaryDir>();
        if (m_temporary->isValid())
            m_directory = m_temporary->path();
    } else {
        m_directory = m_options.directory;
    }
}

LoopbackSshd::~LoopbackSshd()
{
    stop();
}

QString LoopbackSshd::keygenPath()
{
    return QStandardPaths::findExecutable(QStringLiteral("ssh-keygen"));
}

QString LoopbackSshd::sshdPath()
{
    QString path = QStandardPaths::findExecutable(QStringLiteral("sshd"));
    if (path.isEmpty())
        path = QStandardPaths::findExecutable(QStringLiteral("sshd"),
            {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin"),
                QStringLiteral("/usr/local/sbin")});
    return path.isEmpty() ? QString() : QFileInfo(path).absoluteFilePath();
}

bool LoopbackSshd::isAvailable()
{
    return !sshdPath().isEmpty() && !keygenPath().isEmpty();
}

QString LoopbackSshd::user()
{
    const passwd *pw = ::getpwuid(::geteuid());
    return pw ? QString::fromLocal8Bit(pw->pw_name) : QString();
}

QString LoopbackSshd::path(const QString &name) const
{
    return QDir(m_directory).filePath(name);
}

bool LoopbackSshd::setUp()
{
    if (m_directory.isEmpty() || !QDir().mkpath(m_directory))
        return failed(QStringLiteral("no directory for sshd"));
    ::chmod(QFile::encodeName(m_directory).constData(), 0700);
    if (!isAvailable())
        return failed(QStringLiteral("sshd or ssh-keygen missing"));
    // sshd's privilege separation directory; missing in fresh containers.
    if (::geteuid() == 0 && !QDir(QStringLiteral("/run/sshd")).exists()) {
        QDir().mkpath(QStringLiteral("/run/sshd"));
        ::chmod("/run/sshd", 0755);
    }
    if (!keygen(hostKeyFile()) || !keygen(clientKeyFile()))
        return false;
    if (m_options.testKeys
        && (!keygen(otherClientKeyFile()) || !keygen(path(QStringLiteral("other_host_key")))))
        return false;
    const QString authorized = path(QStringLiteral("authorized_keys"));
    QFile::remove(authorized);
    if (!QFile::copy(clientKeyFile() + QStringLiteral(".pub"), authorized))
        return failed(QStringLiteral("cannot write authorized_keys"));
    for (int attempt = 0; attempt < 5; ++attempt) {
        m_port = freePort();
        if (m_port > 0 && writeFiles() && start())
            return true;
    }
    return false;
}

bool LoopbackSshd::start()
{
    stop();
    m_process = std::make_unique<QProcess>();
    m_process->setProgram(sshdPath());
    m_process->setArguments({QStringLiteral("-D"), QStringLiteral("-e"), QStringLiteral("-f"),
        path(QStringLiteral("sshd_config"))});
    m_process->setStandardOutputFile(QProcess::nullDevice());
    m_process->setStandardErrorFile(logFile(), QIODevice::Append);
    // The listener goes when this process goes, however it ends.
    m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
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

void LoopbackSshd::stop()
{
    signalAll(SIGTERM);
}

void LoopbackSshd::kill()
{
    signalAll(SIGKILL);
}

bool LoopbackSshd::isRunning() const
{
    return m_process && m_process->state() == QProcess::Running;
}

qint64 LoopbackSshd::pid() const
{
    return isRunning() ? m_process->processId() : 0;
}

QList<qint64> LoopbackSshd::sessionPids() const
{
    return pid() ? descendants(pid()) : QList<qint64> {};
}

void LoopbackSshd::signalSessions(int sig) const
{
    for (qint64 p : sessionPids())
        ::kill(pid_t(p), sig);
}

QByteArray LoopbackSshd::knownHostsLine(const QString &hostName) const
{
    return knownHostsLineFor(hostName, publicKey(hostKeyFile()));
}

QString LoopbackSshd::writeKnownHosts(const QString &name, const QByteArray &content) const
{
    QFile file(path(name));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return QString();
    file.write(content);
    return file.fileName();
}

QString LoopbackSshd::emptyKnownHostsFile(const QString &name) const
{
    return writeKnownHosts(name, QByteArray());
}

QString LoopbackSshd::wrongKnownHostsFile(const QString &name) const
{
    return writeKnownHosts(
        name, knownHostsLineFor(QString(), publicKey(path(QStringLiteral("other_host_key")))));
}

QByteArray LoopbackSshd::log() const
{
    QFile file(logFile());
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool LoopbackSshd::failed(const QString &message)
{
    m_error = message;
    return false;
}

bool LoopbackSshd::keygen(const QString &file)
{
    if (QFile::exists(file))
        return true;
    QProcess p;
    p.start(keygenPath(),
        {QStringLiteral("-q"), QStringLiteral("-t"), QStringLiteral("ed25519"),
            QStringLiteral("-N"), QString(), QStringLiteral("-C"),
            QStringLiteral("jarvis-loopback"), QStringLiteral("-f"), file});
    if (!p.waitForFinished(30000) || p.exitCode() != 0)
        return failed(QStringLiteral("ssh-keygen failed: ")
            + QString::fromLocal8Bit(p.readAllStandardError()));
    return true;
}

QByteArray LoopbackSshd::knownHostsLineFor(const QString &hostName, const QByteArray &key) const
{
    const QString name = hostName.isEmpty() ? host() : hostName;
    return "[" + name.toUtf8() + "]:" + QByteArray::number(m_port) + ' ' + key + '\n';
}

bool LoopbackSshd::writeFiles()
{
    QFile config(path(QStringLiteral("sshd_config")));
    if (!config.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return failed(QStringLiteral("cannot write sshd_config"));
    const QByteArray d = QFile::encodeName(dir());
    // First: sshd takes the first value it reads for a keyword, so these override the rest.
    config.write(m_options.extraConfig);
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
          "AllowUsers "
        + user().toLocal8Bit()
        + "\n"
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
          "AllowStreamLocalForwarding no\n"
          "AllowAgentForwarding no\n"
          "PermitTunnel no\n"
          "PermitUserEnvironment no\n"
          "MaxSessions 64\n"
          "MaxStartups 100\n"
          "ClientAliveInterval 0\n"
          "LogLevel VERBOSE\n");
    if (m_options.cleanHome) {
        const QString home = path(QStringLiteral("home"));
        if (!QDir().mkpath(home))
            return failed(QStringLiteral("cannot create %1").arg(home));
        config.write("SetEnv HOME=" + QFile::encodeName(home) + "\n");
    }
    config.close();
    QProcess p;
    p.start(keygenPath(),
        {QStringLiteral("-l"), QStringLiteral("-E"), QStringLiteral("sha256"), QStringLiteral("-f"),
            hostKeyFile() + QStringLiteral(".pub")});
    if (!p.waitForFinished(30000) || p.exitCode() != 0)
        return failed(QStringLiteral("ssh-keygen -l failed"));
    const QList<QByteArray> fields = p.readAllStandardOutput().split(' ');
    m_fingerprint = fields.size() > 1 ? QString::fromLatin1(fields.at(1)) : QString();
    return !writeKnownHosts(QStringLiteral("known_hosts"), knownHostsLine()).isEmpty();
}

void LoopbackSshd::signalAll(int sig)
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

} // namespace jarvis::demo
