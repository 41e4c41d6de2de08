#include "setup.h"

#include "core/configsyntax.h"
#include "inidocument.h"
#include "prompter.h"
#include "pveprobe.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryFile>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace jarvis::setup {

namespace {

using core::isValidNodeName;
using core::isValidTokenId;

const QString NodePrefix = QStringLiteral("node.");
constexpr int JwtSecretBytes = 32; // 43 base64url characters
constexpr int MinJwtSecretLength = 43;

// Arguments that would carry a secret: refused, whatever their spelling.
const QStringList SecretOptions = {QStringLiteral("token-secret"),
    QStringLiteral("pve-token-secret"), QStringLiteral("tokenSecret"), QStringLiteral("secret"),
    QStringLiteral("password"), QStringLiteral("admin-password"), QStringLiteral("passwordHash"),
    QStringLiteral("password-hash"), QStringLiteral("jwt-secret"), QStringLiteral("jwtSecret")};

[[noreturn]] void usageError(const QString &message)
{
    throw SetupError {message, 2};
}

bool isValidUserName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z_][A-Za-z0-9._-]*\\$?$"));
    return re.match(name).hasMatch();
}

struct NodeSpec
{
    QString name;
    QUrl apiUrl; // https://host:port
};

// "NAME=URL" -> the node; the reason otherwise.
std::optional<NodeSpec> parseNode(const QString &text, QString *why)
{
    const qsizetype eq = text.indexOf(QLatin1Char('='));
    if (eq <= 0) {
        *why = QStringLiteral("expected NAME=URL, e.g. pve1=https://192.168.1.10:8006");
        return std::nullopt;
    }
    NodeSpec node;
    node.name = text.left(eq).trimmed();
    if (!isValidNodeName(node.name)) {
        *why = QStringLiteral("the node name \"%1\" must be letters, digits, '.', '_' or '-'")
                   .arg(node.name);
        return std::nullopt;
    }
    QString urlText = text.mid(eq + 1).trimmed();
    if (!urlText.contains(QLatin1String("://")))
        urlText.prepend(QLatin1String("https://"));
    const QUrl url(urlText, QUrl::StrictMode);
    if (!url.isValid() || url.scheme() != QLatin1String("https") || url.host().isEmpty()
        || !url.userInfo().isEmpty() || url.hasQuery() || url.hasFragment()
        || (!url.path().isEmpty() && url.path() != QLatin1String("/"))) {
        *why = QStringLiteral("\"%1\" is not an https://HOST[:PORT] URL (the Proxmox API, port "
                              "8006 by default)")
                   .arg(text.mid(eq + 1).trimmed());
        return std::nullopt;
    }
    node.apiUrl.setScheme(QStringLiteral("https"));
    node.apiUrl.setHost(url.host());
    node.apiUrl.setPort(url.port(8006));
    return node;
}

// jarvisd: $JARVIS_JARVISD, else next to jarvis-setup, else on PATH, else /usr/bin/jarvisd.
QString jarvisdPath()
{
    const QString env = qEnvironmentVariable("JARVIS_JARVISD");
    if (!env.isEmpty())
        return env;
    const QString beside = QCoreApplication::applicationDirPath() + QStringLiteral("/jarvisd");
    if (QFileInfo(beside).isExecutable())
        return beside;
    const QString onPath = QStandardPaths::findExecutable(QStringLiteral("jarvisd"));
    return onPath.isEmpty() ? QStringLiteral("/usr/bin/jarvisd") : onPath;
}

// jarvisd as a child, with an argument list and an environment without JARVIS_* (so that it
// judges the file alone). Returns {exit code, stdout}; a SetupError when it does not run.
std::pair<int, QString> runJarvisd(
    const QStringList &arguments, const QByteArray &input, int timeoutMs)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const QString &key : env.keys()) {
        if (key.startsWith(QLatin1String("JARVIS_")))
            env.remove(key);
    }
    p.setProcessEnvironment(env);
    const QString program = jarvisdPath();
    p.start(program, arguments);
    if (!p.waitForStarted(timeoutMs))
        throw SetupError {QStringLiteral("cannot run %1: %2 (set JARVIS_JARVISD or install "
                                         "jarvisd)")
                              .arg(program, p.errorString())};
    p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        throw SetupError {QStringLiteral("%1 %2 did not finish within %3 s")
                              .arg(program, arguments.join(QLatin1Char(' ')))
                              .arg(timeoutMs / 1000)};
    }
    if (p.exitStatus() != QProcess::NormalExit)
        throw SetupError {QStringLiteral("%1 %2 crashed").arg(program, arguments.first())};
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput())};
}

QString hashPassword(const QString &password)
{
    if (password.contains(QLatin1Char('\n')) || password.contains(QLatin1Char('\r')))
        usageError(QStringLiteral("the admin password must be one line"));
    const auto [code, out] =
        runJarvisd({QStringLiteral("--hash-password")}, password.toUtf8() + '\n', 120000);
    const QString hash = out.trimmed();
    if (code != 0 || hash.isEmpty() || !IniDocument::isWritableValue(hash))
        throw SetupError {QStringLiteral("jarvisd --hash-password failed (exit %1)").arg(code)};
    return hash;
}

QString newJwtSecret()
{
    QByteArray bytes(JwtSecretBytes, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(
        reinterpret_cast<quint32 *>(bytes.data()), JwtSecretBytes / int(sizeof(quint32)));
    return QString::fromLatin1(
        bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

struct Account
{
    uid_t uid = 0;
    gid_t gid = 0;
    QString group;
};

Account serviceAccount(const QString &user)
{
    const passwd *pw = getpwnam(user.toLocal8Bit().constData());
    if (!pw)
        usageError(QStringLiteral("user \"%1\" does not exist: the jarvis-service package "
                                  "creates the user jarvis; elsewhere name the account jarvisd "
                                  "runs as with --service-user USER")
                       .arg(user));
    Account a;
    a.uid = pw->pw_uid;
    a.gid = pw->pw_gid;
    const group *gr = getgrgid(pw->pw_gid);
    a.group = gr ? QString::fromLocal8Bit(gr->gr_name) : QString::number(pw->pw_gid);
    return a;
}

// ---- what the run decided -------------------------------------------------------------------

struct Plan
{
    QList<NodeSpec> nodes; // given (--node or answers)
    QString tokenId;
    QString tokenSecret; // empty: keep the file's
    QString fingerprint; // for every given node
    QString sshPort; // for every given node
    QString caFile;
    std::optional<QString> sshUser; // nullopt: keep [ssh] as it is
    bool noSsh = false;
    QString adminUser;
    QString adminPassword; // empty: keep the file's hash
    std::optional<QString> listen;
    std::optional<QString> port;
    std::optional<QString> tlsCert;
    std::optional<QString> tlsKey;
};

void setChecked(IniDocument &doc, const QString &group, const QString &key, const QString &value,
    const QString &what)
{
    if (!IniDocument::isWritableValue(value))
        usageError(QStringLiteral("%1 cannot be written to the configuration file (control "
                                  "characters, surrounding spaces or \" ;\"): %2")
                       .arg(what, value));
    doc.set(group, key, value);
}

QString absolute(const QString &path)
{
    return path.isEmpty() ? path : QFileInfo(path).absoluteFilePath();
}

// The changes the plan asks for, onto the existing file's lines.
void applyPlan(const Plan &plan, const Options &o, IniDocument &doc, const QString &keyFile)
{
    const bool fresh = !doc.hasGroup(QStringLiteral("proxmox"));
    // [server]
    if (plan.tlsCert)
        setChecked(doc, QStringLiteral("server"), QStringLiteral("tlsCert"), *plan.tlsCert,
            QStringLiteral("--tls-cert"));
    if (plan.tlsKey)
        setChecked(doc, QStringLiteral("server"), QStringLiteral("tlsKey"), *plan.tlsKey,
            QStringLiteral("--tls-key"));
    if (plan.listen)
        setChecked(doc, QStringLiteral("server"), QStringLiteral("listen"), *plan.listen,
            QStringLiteral("--listen"));
    else if (!doc.value(QStringLiteral("server"), QStringLiteral("listen"))) {
        // Without TLS, only this host: a password must not cross the network in clear.
        const bool tls = !doc.value(QStringLiteral("server"), QStringLiteral("tlsCert"))
                              .value_or(QString())
                              .isEmpty();
        doc.set(QStringLiteral("server"), QStringLiteral("listen"),
            tls ? QStringLiteral("0.0.0.0") : QStringLiteral("127.0.0.1"));
    }
    if (plan.port)
        setChecked(doc, QStringLiteral("server"), QStringLiteral("port"), *plan.port,
            QStringLiteral("--port"));

    // [auth]
    if (!plan.adminUser.isEmpty())
        setChecked(doc, QStringLiteral("auth"), QStringLiteral("username"), plan.adminUser,
            QStringLiteral("the admin user name"));
    else if (!doc.value(QStringLiteral("auth"), QStringLiteral("username")))
        doc.set(QStringLiteral("auth"), QStringLiteral("username"), QStringLiteral("admin"));
    if (!plan.adminPassword.isEmpty())
        doc.set(QStringLiteral("auth"), QStringLiteral("passwordHash"),
            hashPassword(plan.adminPassword));
    const QString jwt =
        doc.value(QStringLiteral("auth"), QStringLiteral("jwtSecret")).value_or(QString());
    if (o.newJwtSecret || jwt.size() < MinJwtSecretLength)
        doc.set(QStringLiteral("auth"), QStringLiteral("jwtSecret"), newJwtSecret());

    // [proxmox]
    if (!plan.tokenId.isEmpty())
        doc.set(QStringLiteral("proxmox"), QStringLiteral("tokenId"), plan.tokenId);
    if (!plan.tokenSecret.isEmpty())
        setChecked(doc, QStringLiteral("proxmox"), QStringLiteral("tokenSecret"), plan.tokenSecret,
            QStringLiteral("JARVIS_PVE_TOKEN_SECRET"));
    if (!plan.caFile.isEmpty())
        setChecked(doc, QStringLiteral("proxmox"), QStringLiteral("caFile"), absolute(plan.caFile),
            QStringLiteral("--ca-file"));
    if (fresh && !doc.value(QStringLiteral("proxmox"), QStringLiteral("insecure")))
        doc.set(QStringLiteral("proxmox"), QStringLiteral("insecure"), QStringLiteral("false"));

    // [node.NAME]
    for (const NodeSpec &n : plan.nodes) {
        const QString group = NodePrefix + n.name;
        doc.set(group, QStringLiteral("host"), n.apiUrl.host());
        doc.set(group, QStringLiteral("apiUrl"), n.apiUrl.toString());
        if (!plan.sshPort.isEmpty())
            doc.set(group, QStringLiteral("sshPort"), plan.sshPort);
        if (!plan.fingerprint.isEmpty())
            doc.set(group, QStringLiteral("tlsFingerprint"), plan.fingerprint);
        else if (!plan.caFile.isEmpty())
            doc.remove(group, QStringLiteral("tlsFingerprint")); // the CA decides
    }
    // A CA file for everything: per-node pins no longer given stay only where they were asked.
    if (!plan.caFile.isEmpty())
        doc.remove(QStringLiteral("proxmox"), QStringLiteral("tlsFingerprint"));

    // [ssh]
    if (plan.noSsh) {
        doc.removeGroup(QStringLiteral("ssh"));
    } else if (plan.sshUser) {
        setChecked(doc, QStringLiteral("ssh"), QStringLiteral("user"), *plan.sshUser,
            QStringLiteral("the SSH user"));
        doc.set(QStringLiteral("ssh"), QStringLiteral("keyFile"), keyFile);
        if (!doc.value(QStringLiteral("ssh"), QStringLiteral("knownHostsFile")))
            doc.set(QStringLiteral("ssh"), QStringLiteral("knownHostsFile"),
                QDir(absolute(o.stateDir)).filePath(QStringLiteral("known_hosts")));
        if (!doc.value(QStringLiteral("ssh"), QStringLiteral("strictHostKeys")))
            doc.set(QStringLiteral("ssh"), QStringLiteral("strictHostKeys"),
                QStringLiteral("false")); // trust on first use, then strict
    }

    // [audit] where the state is, when that is not jarvisd's default.
    if (!doc.hasGroup(QStringLiteral("audit"))
        && absolute(o.stateDir) != QLatin1String("/var/lib/jarvis"))
        doc.set(QStringLiteral("audit"), QStringLiteral("file"),
            QDir(absolute(o.stateDir)).filePath(QStringLiteral("audit.jsonl")));
}

// ---- the checks against Proxmox ---------------------------------------------------------------

struct NodeCheck
{
    QString name;
    QUrl apiUrl;
    PveTls tls;
    QString tlsSource; // how the certificate is trusted, in words
};

QList<QSslCertificate> loadCaFile(const QString &file)
{
    if (!QFileInfo(file).isFile())
        usageError(QStringLiteral("--ca-file %1: no such file").arg(file));
    const QList<QSslCertificate> certs = QSslCertificate::fromPath(file, QSsl::Pem);
    if (certs.isEmpty())
        usageError(QStringLiteral("--ca-file %1: no PEM certificate in it").arg(file));
    return certs;
}

// What jarvisd will do with each [node.NAME] of the file: its API URL and how it trusts it.
QList<NodeCheck> checksOf(const IniDocument &doc)
{
    QList<NodeCheck> out;
    const QString globalPin =
        doc.value(QStringLiteral("proxmox"), QStringLiteral("tlsFingerprint")).value_or(QString());
    const QString caFile =
        doc.value(QStringLiteral("proxmox"), QStringLiteral("caFile")).value_or(QString());
    for (const QString &group : doc.groups()) {
        if (!group.startsWith(NodePrefix))
            continue;
        NodeCheck c;
        c.name = group.mid(NodePrefix.size());
        const QString host = doc.value(group, QStringLiteral("host")).value_or(QString());
        const QString api = doc.value(group, QStringLiteral("apiUrl")).value_or(QString());
        c.apiUrl = api.isEmpty() ? QUrl(QStringLiteral("https://%1:8006").arg(host)) : QUrl(api);
        const QString pin = doc.value(group, QStringLiteral("tlsFingerprint")).value_or(QString());
        if (!pin.isEmpty() || !globalPin.isEmpty()) {
            c.tls.fingerprint = normaliseFingerprint(pin.isEmpty() ? globalPin : pin);
            c.tlsSource = QStringLiteral("the certificate matches the pinned fingerprint");
        } else if (!caFile.isEmpty()) {
            c.tls.caCertificates = loadCaFile(caFile);
            c.tlsSource = QStringLiteral("the certificate chains to %1").arg(caFile);
        } else {
            c.tlsSource = QStringLiteral("the certificate chains to a system CA");
        }
        out << c;
    }
    return out;
}

// ---- the SSH key ------------------------------------------------------------------------------

struct SshKey
{
    QString file;
    QString publicKey; // "ssh-ed25519 AAAA... comment"
    bool created = false;
};

// A directory of the service user's (0750), made when missing; an existing one is left as it is.
void ensureDirectory(const QString &dir, const Account &owner)
{
    if (QFileInfo(dir).isDir())
        return;
    if (!QDir().mkpath(dir) || ::chmod(QFile::encodeName(dir).constData(), 0750) != 0)
        throw SetupError {QStringLiteral("cannot create the directory %1").arg(dir)};
    if (geteuid() == 0 && ::chown(QFile::encodeName(dir).constData(), owner.uid, owner.gid) != 0)
        throw SetupError {QStringLiteral("cannot give %1 to the service user: %2")
                              .arg(dir, QString::fromLocal8Bit(std::strerror(errno)))};
}

SshKey ensureSshKey(const QString &file, const Account &owner, int timeoutMs)
{
    SshKey key;
    key.file = file;
    ensureDirectory(QFileInfo(file).absolutePath(), owner);
    if (!QFileInfo::exists(file)) {
        QProcess keygen;
        keygen.start(QStringLiteral("ssh-keygen"),
            {QStringLiteral("-q"), QStringLiteral("-t"), QStringLiteral("ed25519"),
                QStringLiteral("-N"), QString(), QStringLiteral("-C"),
                QStringLiteral("jarvis@") + QHostInfo::localHostName(), QStringLiteral("-f"),
                file});
        if (!keygen.waitForFinished(timeoutMs) || keygen.exitStatus() != QProcess::NormalExit
            || keygen.exitCode() != 0)
            throw SetupError {
                QStringLiteral("ssh-keygen could not create %1: %2")
                    .arg(file,
                        QString::fromLocal8Bit(keygen.readAllStandardError()).trimmed()
                            + keygen.errorString())};
        key.created = true;
    }
    // Owned by the service user, 0600 (ssh-keygen writes 0600 already).
    for (const QString &f : {file, file + QStringLiteral(".pub")}) {
        if (!QFileInfo::exists(f))
            continue;
        const QByteArray path = QFile::encodeName(f);
        if (geteuid() == 0 && ::chown(path.constData(), owner.uid, owner.gid) != 0)
            throw SetupError {QStringLiteral("cannot give %1 to the service user: %2")
                                  .arg(f, QString::fromLocal8Bit(std::strerror(errno)))};
        if (f == file && ::chmod(path.constData(), 0600) != 0)
            throw SetupError {QStringLiteral("cannot make %1 mode 0600").arg(f)};
    }
    QProcess pub;
    pub.start(QStringLiteral("ssh-keygen"), {QStringLiteral("-y"), QStringLiteral("-f"), file});
    if (!pub.waitForFinished(timeoutMs) || pub.exitCode() != 0)
        throw SetupError {
            QStringLiteral("%1 is not a readable private key without a passphrase: "
                           "%2")
                .arg(file, QString::fromLocal8Bit(pub.readAllStandardError()).trimmed())};
    key.publicKey = QString::fromLatin1(pub.readAllStandardOutput()).trimmed();
    return key;
}

// The line for the node's authorized_keys: no forwarding, no agent, no X11 (restrict), but a
// PTY for the terminals (pty); only from the given addresses when --ssh-from says so.
QString authorizedKeysLine(const SshKey &key, const QString &from)
{
    QString options = QStringLiteral("restrict,pty");
    if (!from.isEmpty())
        options = QStringLiteral("from=\"%1\",").arg(from) + options;
    return options + QLatin1Char(' ') + key.publicKey;
}

void printSshInstructions(
    const SshKey &key, const QString &user, const QString &from, const QList<NodeCheck> &nodes)
{
    const QString home =
        user == QLatin1String("root") ? QStringLiteral("/root") : QStringLiteral("~") + user;
    say(QStringLiteral("SSH key for terminals and temperatures: %1%2")
            .arg(key.file, key.created ? QStringLiteral(" (new)") : QString()));
    say(QStringLiteral("  public key: %1").arg(key.publicKey));
    say(QStringLiteral("  On each node (%1), add this one line to %2/.ssh/authorized_keys:")
            .arg(std::accumulate(nodes.cbegin(), nodes.cend(), QStringList(),
                     [](QStringList l, const NodeCheck &n) { return l << n.name; })
                     .join(QStringLiteral(", ")),
                home));
    say(QStringLiteral("  %1").arg(authorizedKeysLine(key, from)));
}

// `ssh -o BatchMode=yes` with the key, as jarvisd would log in; true when it did.
bool testSshLogin(const SshKey &key, const QString &user, const QString &host, int port,
    const QString &knownHosts, int timeoutMs, QString *why)
{
    QProcess ssh;
    ssh.start(QStringLiteral("ssh"),
        {QStringLiteral("-o"), QStringLiteral("BatchMode=yes"), QStringLiteral("-o"),
            QStringLiteral("IdentitiesOnly=yes"), QStringLiteral("-o"),
            QStringLiteral("StrictHostKeyChecking=accept-new"), QStringLiteral("-o"),
            QStringLiteral("UserKnownHostsFile=") + knownHosts, QStringLiteral("-o"),
            QStringLiteral("ConnectTimeout=%1").arg(qMax(1, timeoutMs / 1000)),
            QStringLiteral("-i"), key.file, QStringLiteral("-p"), QString::number(port),
            QStringLiteral("-l"), user, QStringLiteral("--"), host, QStringLiteral("true")});
    if (!ssh.waitForFinished(timeoutMs + 5000)) {
        ssh.kill();
        ssh.waitForFinished();
        *why = QStringLiteral("no answer");
        return false;
    }
    *why = QString::fromLocal8Bit(ssh.readAllStandardError()).trimmed();
    return ssh.exitStatus() == QProcess::NormalExit && ssh.exitCode() == 0;
}

// ---- writing ----------------------------------------------------------------------------------

// Atomically: a temporary file in the same directory (0640, owner root or the caller, group the
// service user's), fsync, `jarvisd --check-config` on it, and only then rename() over `path`.
// On any problem the temporary file is removed and `path` is untouched.
void writeConfig(const QString &path, const QByteArray &text, const Account &owner, int timeoutMs)
{
    const QFileInfo info(path);
    const QString dir = info.absolutePath();
    if (!QFileInfo(dir).isDir() && !QDir().mkpath(dir))
        throw SetupError {QStringLiteral("cannot create the directory %1").arg(dir)};
    QTemporaryFile tmp(dir + QStringLiteral("/.") + info.fileName() + QStringLiteral(".XXXXXX"));
    if (!tmp.open())
        throw SetupError {QStringLiteral("cannot write in %1: %2").arg(dir, tmp.errorString())};
    const int fd = tmp.handle();
    const uid_t uid = geteuid() == 0 ? 0 : uid_t(-1);
    if (::fchmod(fd, 0640) != 0 || ::fchown(fd, uid, owner.gid) != 0)
        throw SetupError {
            QStringLiteral("cannot make %1 mode 0640 with group %2: %3 (run as "
                           "root, or choose another --service-user)")
                .arg(path, owner.group, QString::fromLocal8Bit(std::strerror(errno)))};
    if (tmp.write(text) != text.size() || !tmp.flush() || ::fsync(fd) != 0)
        throw SetupError {QStringLiteral("cannot write %1: %2").arg(path, tmp.errorString())};
    tmp.close();

    const auto [code, out] =
        runJarvisd({QStringLiteral("--check-config"), QStringLiteral("--config"), tmp.fileName()},
            {}, timeoutMs);
    if (code != 0) {
        QString problems = out.trimmed();
        problems.replace(tmp.fileName(), path);
        throw SetupError {QStringLiteral("jarvisd --check-config refused the new configuration, "
                                         "so %1 was not written:\n%2")
                              .arg(path, problems)};
    }
    if (::rename(QFile::encodeName(tmp.fileName()).constData(), QFile::encodeName(path).constData())
        != 0)
        throw SetupError {QStringLiteral("cannot replace %1: %2")
                              .arg(path, QString::fromLocal8Bit(std::strerror(errno)))};
    tmp.setAutoRemove(false);
    const int dfd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

// ---- the two ways of asking -------------------------------------------------------------------

QString envSecret(const char *name)
{
    return qEnvironmentVariable(name);
}

Plan planFromArguments(const Options &o, const IniDocument &existing)
{
    Plan plan;
    const bool fresh = !existing.hasGroup(QStringLiteral("proxmox"));
    for (const QString &n : o.nodes) {
        QString why;
        const auto node = parseNode(n, &why);
        if (!node)
            usageError(QStringLiteral("--node %1: %2").arg(n, why));
        plan.nodes << *node;
    }
    if (!o.tlsFingerprint.isEmpty() && !o.caFile.isEmpty())
        usageError(QStringLiteral("give either --tls-fingerprint or --ca-file, not both"));
    if (!o.tlsFingerprint.isEmpty()) {
        plan.fingerprint = normaliseFingerprint(o.tlsFingerprint);
        if (plan.fingerprint.isEmpty())
            usageError(QStringLiteral("--tls-fingerprint %1: not a SHA-256 fingerprint (32 hex "
                                      "bytes, e.g. AB:CD:...; see the node's Certificates page)")
                           .arg(o.tlsFingerprint));
    }
    if (!o.caFile.isEmpty()) {
        loadCaFile(o.caFile);
        plan.caFile = o.caFile;
    }
    if (!plan.nodes.isEmpty() && plan.fingerprint.isEmpty() && plan.caFile.isEmpty())
        usageError(QStringLiteral("--node needs --tls-fingerprint SHA256 or --ca-file FILE: how "
                                  "the Proxmox certificate is trusted"));
    plan.tokenId = o.tokenId;
    if (!plan.tokenId.isEmpty() && !isValidTokenId(plan.tokenId))
        usageError(QStringLiteral("--token-id %1: must be USER@REALM!TOKENID, e.g. "
                                  "jarvis@pve!jarvis")
                       .arg(plan.tokenId));
    plan.tokenSecret = envSecret("JARVIS_PVE_TOKEN_SECRET");
    plan.adminPassword = envSecret("JARVIS_ADMIN_PASSWORD");
    if (fresh) {
        QStringList missing;
        if (plan.nodes.isEmpty())
            missing << QStringLiteral("--node NAME=URL");
        if (plan.tokenId.isEmpty())
            missing << QStringLiteral("--token-id ID");
        if (plan.fingerprint.isEmpty() && plan.caFile.isEmpty())
            missing << QStringLiteral("--tls-fingerprint SHA256 or --ca-file FILE");
        if (plan.tokenSecret.isEmpty())
            missing << QStringLiteral("JARVIS_PVE_TOKEN_SECRET in the environment");
        if (plan.adminPassword.isEmpty()
            && !existing.value(QStringLiteral("auth"), QStringLiteral("passwordHash")))
            missing << QStringLiteral("JARVIS_ADMIN_PASSWORD in the environment");
        if (!missing.isEmpty())
            usageError(QStringLiteral("a new configuration needs %1")
                           .arg(missing.join(QStringLiteral(", "))));
    }
    if (o.noSsh && !o.sshUser.isEmpty())
        usageError(QStringLiteral("give either --ssh-user or --no-ssh, not both"));
    plan.noSsh = o.noSsh;
    if (!o.sshUser.isEmpty()) {
        if (!isValidUserName(o.sshUser))
            usageError(QStringLiteral("--ssh-user %1: not a user name").arg(o.sshUser));
        plan.sshUser = o.sshUser;
    } else if (!o.noSsh && !existing.hasGroup(QStringLiteral("ssh"))) {
        plan.sshUser = QStringLiteral("root");
    } else if (!o.noSsh) {
        plan.sshUser = existing.value(QStringLiteral("ssh"), QStringLiteral("user"))
                           .value_or(QStringLiteral("root"));
    }
    plan.adminUser = o.adminUser;
    plan.sshPort = o.sshPort;
    if (!o.listen.isEmpty())
        plan.listen = o.listen;
    if (!o.port.isEmpty())
        plan.port = o.port;
    if (!o.tlsCert.isEmpty())
        plan.tlsCert = absolute(o.tlsCert);
    if (!o.tlsKey.isEmpty())
        plan.tlsKey = absolute(o.tlsKey);
    return plan;
}

Plan planFromAnswers(const Options &o, const IniDocument &existing, Prompter &ask)
{
    Plan plan;
    say(QStringLiteral("jarvis-setup: the configuration of jarvisd in %1%2")
            .arg(o.config,
                existing.isEmpty() ? QString()
                                   : QStringLiteral(" (it exists: what you keep stays as it is)")));
    say(QString());

    // Nodes
    QStringList current;
    for (const QString &g : existing.groups()) {
        if (g.startsWith(NodePrefix)) {
            const QString api =
                existing.value(g, QStringLiteral("apiUrl"))
                    .value_or(QStringLiteral("https://")
                        + existing.value(g, QStringLiteral("host")).value_or(QString())
                        + QStringLiteral(":8006"));
            current << g.mid(NodePrefix.size()) + QLatin1Char('=') + api;
        }
    }
    const QString nodes =
        ask.ask(QStringLiteral("Proxmox nodes, NAME=URL separated by spaces (e.g. "
                               "pve1=https://192.168.1.10:8006)"),
            current.join(QLatin1Char(' ')), [&plan](const QString &a) {
                plan.nodes.clear();
                const QStringList items = a.split(QLatin1Char(' '), Qt::SkipEmptyParts);
                if (items.isEmpty())
                    return QStringLiteral("at least one node is needed");
                for (const QString &item : items) {
                    QString why;
                    const auto node = parseNode(item, &why);
                    if (!node)
                        return QStringLiteral("%1: %2").arg(item, why);
                    plan.nodes << *node;
                }
                return QString();
            });
    Q_UNUSED(nodes);

    // Token
    const QString currentToken =
        existing.value(QStringLiteral("proxmox"), QStringLiteral("tokenId"))
            .value_or(QStringLiteral("jarvis@pve!jarvis"));
    plan.tokenId = ask.ask(QStringLiteral("Proxmox API token ID (USER@REALM!TOKENID)"),
        currentToken, [](const QString &a) {
            return isValidTokenId(a) ? QString()
                                     : QStringLiteral("must be USER@REALM!TOKENID, e.g. "
                                                      "jarvis@pve!jarvis");
        });
    say(QStringLiteral("To create a least-privilege role and this token, run on one Proxmox node "
                       "(as root):"));
    for (const QString &line : pveumCommands(plan.tokenId).split(QLatin1Char('\n')))
        say(QStringLiteral("  ") + line);
    say(QStringLiteral("The last but one prints the token's secret once."));
    const bool haveSecret =
        existing.value(QStringLiteral("proxmox"), QStringLiteral("tokenSecret")).has_value()
        && plan.tokenId == currentToken;
    plan.tokenSecret = ask.askSecret(QStringLiteral("API token secret"), haveSecret);

    // TLS
    plan.caFile = ask.ask(QStringLiteral("CA file that signed the Proxmox certificates (e.g. a "
                                         "copy of /etc/pve/pve-root-ca.pem; \"-\": check each "
                                         "node's certificate fingerprint instead)"),
        existing.value(QStringLiteral("proxmox"), QStringLiteral("caFile"))
            .value_or(QStringLiteral("-")),
        [](const QString &a) {
            if (a == QLatin1String("-"))
                return QString();
            if (!QFileInfo(a).isFile())
                return QStringLiteral("no such file: %1").arg(a);
            if (QSslCertificate::fromPath(a, QSsl::Pem).isEmpty())
                return QStringLiteral("no PEM certificate in %1").arg(a);
            return QString();
        });
    if (plan.caFile == QLatin1String("-"))
        plan.caFile.clear();

    // SSH
    const QString sshUser = ask.ask(
        QStringLiteral("SSH user on the nodes for terminals and temperatures (\"-\": no SSH)"),
        existing.hasGroup(QStringLiteral("ssh")) || existing.isEmpty()
            ? existing.value(QStringLiteral("ssh"), QStringLiteral("user"))
                  .value_or(QStringLiteral("root"))
            : QStringLiteral("-"),
        [](const QString &a) {
            return a == QLatin1String("-") || isValidUserName(a)
                ? QString()
                : QStringLiteral("not a user name");
        });
    plan.noSsh = sshUser == QLatin1String("-");
    if (!plan.noSsh)
        plan.sshUser = sshUser;

    // Admin
    plan.adminUser = ask.ask(QStringLiteral("Admin user name for the dashboard and console"),
        existing.value(QStringLiteral("auth"), QStringLiteral("username"))
            .value_or(QStringLiteral("admin")),
        [](const QString &a) {
            return isValidUserName(a) ? QString() : QStringLiteral("letters, digits, . _ - only");
        });
    const bool haveHash =
        existing.value(QStringLiteral("auth"), QStringLiteral("passwordHash")).has_value();
    for (;;) {
        plan.adminPassword = ask.askSecret(QStringLiteral("Admin password"), haveHash);
        if (plan.adminPassword.isEmpty())
            break;
        if (plan.adminPassword.size() < 8) {
            say(QStringLiteral("  Not accepted: at least 8 characters. Please answer again."));
            continue;
        }
        if (ask.askSecret(QStringLiteral("The same password again"), false) == plan.adminPassword)
            break;
        say(QStringLiteral("  Not accepted: the two passwords differ. Please answer again."));
    }

    // jarvisd's own TLS
    const auto fileOrEmpty = [](const QString &a) {
        return a == QLatin1String("-") || QFileInfo(a).isFile()
            ? QString()
            : QStringLiteral("no such file: %1").arg(a);
    };
    const QString cert = ask.ask(QStringLiteral("TLS certificate for jarvisd (PEM; \"-\": plain "
                                                "HTTP on this host only)"),
        existing.value(QStringLiteral("server"), QStringLiteral("tlsCert"))
            .value_or(QStringLiteral("-")),
        fileOrEmpty);
    if (cert != QLatin1String("-")) {
        plan.tlsCert = absolute(cert);
        plan.tlsKey = absolute(ask.ask(QStringLiteral("Its private key (PEM)"),
            existing.value(QStringLiteral("server"), QStringLiteral("tlsKey")).value_or(QString()),
            [](const QString &a) {
                return QFileInfo(a).isFile() ? QString()
                                             : QStringLiteral("no such file: %1").arg(a);
            }));
    }
    plan.port = ask.ask(QStringLiteral("Port jarvisd listens on"),
        existing.value(QStringLiteral("server"), QStringLiteral("port"))
            .value_or(plan.tlsCert ? QStringLiteral("8443") : QStringLiteral("8080")),
        [](const QString &a) {
            bool ok = false;
            const int p = a.toInt(&ok);
            return ok && p > 0 && p < 65536 ? QString()
                                            : QStringLiteral("a number from 1 to 65535");
        });
    if (!o.listen.isEmpty())
        plan.listen = o.listen;
    return plan;
}

} // namespace

// ---- the command line -------------------------------------------------------------------------

std::optional<Options> parseOptions(const QStringList &arguments)
{
    for (const QString &arg : arguments.mid(1)) {
        const QString name = arg.section(QLatin1Char('='), 0, 0);
        QString bare = name;
        while (bare.startsWith(QLatin1Char('-')))
            bare.remove(0, 1);
        for (const QString &secret : SecretOptions) {
            if (name.startsWith(QLatin1Char('-')) && bare.compare(secret, Qt::CaseInsensitive) == 0)
                usageError(
                    QStringLiteral("refusing %1: secrets are never taken from arguments "
                                   "(any user can read them in the process list); set "
                                   "JARVIS_PVE_TOKEN_SECRET and JARVIS_ADMIN_PASSWORD in the "
                                   "environment, or answer the questions")
                        .arg(name));
        }
    }
    QCommandLineParser p;
    p.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    p.setApplicationDescription(QStringLiteral(
        "First-run setup of Jarvis: writes jarvisd's configuration (docs/PROTOCOL.md section 7)\n"
        "after checking each Proxmox node with the API token, creates the SSH key, hashes the\n"
        "admin password and has jarvisd check the file before it replaces the old one. Re-running\n"
        "it edits the file and keeps what it is not asked to change.\n"
        "With --console: stores the desktop console's server, pinned certificate and token.\n\n"
        "Secrets come from the environment, never from arguments:\n"
        "  JARVIS_PVE_TOKEN_SECRET  the Proxmox API token's secret\n"
        "  JARVIS_ADMIN_PASSWORD    the admin password (hashed with jarvisd --hash-password)\n"
        "  JARVIS_CONSOLE_PASSWORD  the admin password, for --console --non-interactive\n"
        "  JARVIS_JARVISD           the jarvisd to run (default: next to jarvis-setup, PATH)\n\n"
        "Exit codes: 0 written and accepted by jarvisd --check-config; 1 a check failed\n"
        "(Proxmox, TLS, SSH, the file); 2 a wrong argument or answer; 3 --console without a\n"
        "keychain (the URL and pin stored, the token not). Nothing is written unless the exit\n"
        "code is 0 (or 3).\n\n"
        "  jarvis-setup [--config FILE]     (interactive)\n"
        "  jarvis-setup --non-interactive --config FILE --node NAME=URL [--node ...]\n"
        "               --token-id ID (--tls-fingerprint SHA256 | --ca-file FILE)\n"
        "               [--ssh-user USER | --no-ssh] [more options below]\n"
        "  jarvis-setup --console [--server URL]"));
    p.addHelpOption();
    p.addVersionOption();
    const QCommandLineOption nonInteractive(QStringLiteral("non-interactive"),
        QStringLiteral("Ask nothing: everything from the options and the environment."));
    const QCommandLineOption config(QStringLiteral("config"),
        QStringLiteral("The configuration file (default /etc/jarvis/jarvisd.conf)."),
        QStringLiteral("FILE"));
    const QCommandLineOption node(QStringLiteral("node"),
        QStringLiteral("A Proxmox node and its API URL, e.g. pve1=https://192.168.1.10:8006 "
                       "(repeat for each node)."),
        QStringLiteral("NAME=URL"));
    const QCommandLineOption tokenId(QStringLiteral("token-id"),
        QStringLiteral("The API token, USER@REALM!TOKENID (its secret: JARVIS_PVE_TOKEN_SECRET)."),
        QStringLiteral("ID"));
    const QCommandLineOption fingerprint(QStringLiteral("tls-fingerprint"),
        QStringLiteral("The SHA-256 fingerprint of every --node's certificate."),
        QStringLiteral("SHA256"));
    const QCommandLineOption caFile(QStringLiteral("ca-file"),
        QStringLiteral("Trust the nodes' certificates that chain to this CA instead "
                       "(pve-root-ca.pem)."),
        QStringLiteral("FILE"));
    const QCommandLineOption sshUser(QStringLiteral("ssh-user"),
        QStringLiteral("SSH user on the nodes (default root; an existing [ssh] is kept)."),
        QStringLiteral("USER"));
    const QCommandLineOption noSsh(
        QStringLiteral("no-ssh"), QStringLiteral("No SSH: no terminals and temperatures."));
    const QCommandLineOption sshKey(QStringLiteral("ssh-key"),
        QStringLiteral("The SSH private key (default STATE_DIR/id_ed25519; made when missing)."),
        QStringLiteral("FILE"));
    const QCommandLineOption sshFrom(QStringLiteral("ssh-from"),
        QStringLiteral("Addresses jarvisd connects from, for the key's from=\"...\" option."),
        QStringLiteral("PATTERNS"));
    const QCommandLineOption sshPort(QStringLiteral("ssh-port"),
        QStringLiteral("SSH port of every --node (default 22)."), QStringLiteral("N"));
    const QCommandLineOption testSsh(QStringLiteral("test-ssh"),
        QStringLiteral("Log in to each node with the key (ssh -o BatchMode=yes) before writing."));
    const QCommandLineOption adminUser(QStringLiteral("admin-user"),
        QStringLiteral("The admin user name (default admin)."), QStringLiteral("NAME"));
    const QCommandLineOption listen(QStringLiteral("listen"),
        QStringLiteral("Address jarvisd listens on (default 0.0.0.0 with TLS, else 127.0.0.1)."),
        QStringLiteral("ADDR"));
    const QCommandLineOption port(QStringLiteral("port"),
        QStringLiteral("Port jarvisd listens on (default 8443 with TLS, else 8080)."),
        QStringLiteral("N"));
    const QCommandLineOption tlsCert(QStringLiteral("tls-cert"),
        QStringLiteral("jarvisd's own TLS certificate (PEM)."), QStringLiteral("FILE"));
    const QCommandLineOption tlsKey(QStringLiteral("tls-key"),
        QStringLiteral("Its private key (PEM)."), QStringLiteral("FILE"));
    const QCommandLineOption stateDir(QStringLiteral("state-dir"),
        QStringLiteral("jarvisd's state directory (default /var/lib/jarvis): SSH key, "
                       "known_hosts, audit log."),
        QStringLiteral("DIR"));
    const QCommandLineOption serviceUser(QStringLiteral("service-user"),
        QStringLiteral("The account jarvisd runs as (default jarvis, made by the package): the "
                       "file's group is its group, the SSH key is its own."),
        QStringLiteral("USER"));
    const QCommandLineOption newJwt(QStringLiteral("new-jwt-secret"),
        QStringLiteral("Make a new JWT secret (logs every session out); kept otherwise."));
    const QCommandLineOption enableNow(QStringLiteral("enable-now"),
        QStringLiteral("After writing, run systemctl enable --now jarvisd (asked when "
                       "interactive)."));
    const QCommandLineOption timeout(QStringLiteral("timeout"),
        QStringLiteral("Seconds to wait for each network answer (default 10)."),
        QStringLiteral("SECONDS"));
    const QCommandLineOption console(QStringLiteral("console"),
        QStringLiteral("Set up the desktop console of this user instead (asks the server URL "
                       "and password)."));
    const QCommandLineOption server(QStringLiteral("server"),
        QStringLiteral("With --console: jarvisd's URL, e.g. https://jarvis.lan:8443."),
        QStringLiteral("URL"));
    p.addOptions({nonInteractive, config, node, tokenId, fingerprint, caFile, sshUser, noSsh,
        sshKey, sshFrom, sshPort, testSsh, adminUser, listen, port, tlsCert, tlsKey, stateDir,
        serviceUser, newJwt, enableNow, timeout, console, server});
    if (!p.parse(arguments))
        usageError(p.errorText());
    if (!p.positionalArguments().isEmpty())
        usageError(QStringLiteral("unexpected argument: %1").arg(p.positionalArguments().first()));
    if (p.isSet(QStringLiteral("help"))) {
        say(p.helpText());
        return std::nullopt;
    }
    if (p.isSet(QStringLiteral("version"))) {
        say(QStringLiteral("jarvis-setup %1").arg(QCoreApplication::applicationVersion()));
        return std::nullopt;
    }
    Options o;
    o.nonInteractive = p.isSet(nonInteractive);
    o.console = p.isSet(console);
    if (p.isSet(config))
        o.config = p.value(config);
    o.nodes = p.values(node);
    o.tokenId = p.value(tokenId);
    o.tlsFingerprint = p.value(fingerprint);
    o.caFile = p.value(caFile);
    o.sshUser = p.value(sshUser);
    o.noSsh = p.isSet(noSsh);
    o.sshKey = p.value(sshKey);
    o.sshFrom = p.value(sshFrom);
    o.sshPort = p.value(sshPort);
    o.testSsh = p.isSet(testSsh);
    o.adminUser = p.value(adminUser);
    o.listen = p.value(listen);
    o.port = p.value(port);
    o.tlsCert = p.value(tlsCert);
    o.tlsKey = p.value(tlsKey);
    if (p.isSet(stateDir))
        o.stateDir = p.value(stateDir);
    if (p.isSet(serviceUser))
        o.serviceUser = p.value(serviceUser);
    o.newJwtSecret = p.isSet(newJwt);
    o.enableNow = p.isSet(enableNow);
    o.server = p.value(server);
    if (p.isSet(timeout)) {
        bool ok = false;
        o.timeoutSeconds = p.value(timeout).toInt(&ok);
        if (!ok || o.timeoutSeconds < 1 || o.timeoutSeconds > 600)
            usageError(QStringLiteral("--timeout needs a number of seconds from 1 to 600"));
    }
    if (!o.port.isEmpty()) {
        bool ok = false;
        const int n = o.port.toInt(&ok);
        if (!ok || n < 1 || n > 65535)
            usageError(QStringLiteral("--port needs a number from 1 to 65535"));
    }
    if (!o.sshPort.isEmpty()) {
        bool ok = false;
        const int n = o.sshPort.toInt(&ok);
        if (!ok || n < 1 || n > 65535)
            usageError(QStringLiteral("--ssh-port needs a number from 1 to 65535"));
    }
    if (o.tlsCert.isEmpty() != o.tlsKey.isEmpty())
        usageError(QStringLiteral("give both --tls-cert and --tls-key, or neither"));
    if (!o.sshFrom.isEmpty() && !IniDocument::isWritableValue(o.sshFrom))
        usageError(QStringLiteral("--ssh-from: not a pattern list"));
    if (o.sshFrom.contains(QLatin1Char('"')) || o.sshFrom.contains(QLatin1Char(' ')))
        usageError(QStringLiteral("--ssh-from: comma-separated addresses or patterns, no spaces "
                                  "or quotes"));
    return o;
}

// ---- the server side --------------------------------------------------------------------------

int runServerSetup(const Options &o)
{
    const int timeoutMs = o.timeoutSeconds * 1000;
    const Account account = serviceAccount(o.serviceUser);

    IniDocument existing;
    if (QFileInfo::exists(o.config)) {
        QFile f(o.config);
        if (!f.open(QIODevice::ReadOnly))
            throw SetupError {QStringLiteral("cannot read %1: %2").arg(o.config, f.errorString())};
        existing = IniDocument(QString::fromUtf8(f.readAll()));
    }

    Prompter prompter;
    const Plan plan =
        o.nonInteractive ? planFromArguments(o, existing) : planFromAnswers(o, existing, prompter);

    QString keyFile = o.sshKey;
    if (keyFile.isEmpty())
        keyFile = existing.value(QStringLiteral("ssh"), QStringLiteral("keyFile"))
                      .value_or(QDir(o.stateDir).filePath(QStringLiteral("id_ed25519")));
    keyFile = absolute(keyFile);

    IniDocument doc = existing;
    applyPlan(plan, o, doc, keyFile);

    // Every node of the file, as jarvisd will see it.
    QList<NodeCheck> checks = checksOf(doc);
    if (checks.isEmpty())
        usageError(QStringLiteral("no node: give at least one --node NAME=URL"));
    const QString tokenId =
        doc.value(QStringLiteral("proxmox"), QStringLiteral("tokenId")).value_or(QString());
    const QString tokenSecret =
        doc.value(QStringLiteral("proxmox"), QStringLiteral("tokenSecret")).value_or(QString());
    if (tokenId.isEmpty() || tokenSecret.isEmpty())
        usageError(QStringLiteral("no API token: give --token-id and JARVIS_PVE_TOKEN_SECRET"));

    if (o.nonInteractive) {
        say(QStringLiteral("The least-privilege role and token for %1 (run on one node as root "
                           "if not done yet):")
                .arg(tokenId));
        for (const QString &line : pveumCommands(tokenId).split(QLatin1Char('\n')))
            say(QStringLiteral("  ") + line);
    }

    QStringList failures;
    for (NodeCheck &c : checks) {
        const QString where = QStringLiteral("%1 (%2)").arg(c.name, c.apiUrl.toString());
        if (!o.nonInteractive && c.tls.fingerprint.isEmpty() && c.tls.caCertificates.isEmpty()) {
            // Show the certificate; pin it only when the user recognises it.
            const PresentedCertificate presented = fetchCertificate(c.apiUrl, timeoutMs);
            if (!presented.error.isEmpty()) {
                failures << QStringLiteral("%1: host unreachable: %2").arg(where, presented.error);
                say(QStringLiteral("%1: host unreachable: %2").arg(where, presented.error));
                continue;
            }
            say(QStringLiteral(
                "%1 presents a certificate for \"%2\" with SHA-256 fingerprint\n  %3")
                    .arg(where, presented.certificate.subjectDisplayName(), presented.fingerprint));
            if (!prompter.confirm(QStringLiteral("Is this the fingerprint the node shows (web UI: "
                                                 "node > System > Certificates, or `pvenode cert "
                                                 "info`)?"),
                    false))
                throw SetupError {QStringLiteral("%1: the certificate was not confirmed; nothing "
                                                 "was written")
                                      .arg(where)};
            c.tls.fingerprint = presented.fingerprint;
            c.tlsSource = QStringLiteral("the certificate matches the fingerprint you confirmed");
            doc.set(NodePrefix + c.name, QStringLiteral("tlsFingerprint"), presented.fingerprint);
        }
        const PveReport report = testConnectivity(c.apiUrl, tokenId, tokenSecret, c.tls, timeoutMs);
        if (report.ok) {
            say(QStringLiteral("%1: OK: %2; %3").arg(where, c.tlsSource, report.summary()));
        } else {
            say(QStringLiteral("%1: FAILED: %2").arg(where, report.problem));
            failures << QStringLiteral("%1: %2").arg(where, report.problem);
        }
    }
    if (!failures.isEmpty())
        throw SetupError {QStringLiteral("the Proxmox check failed, so %1 was not written:\n%2")
                              .arg(o.config, failures.join(QLatin1Char('\n')))};

    // SSH
    std::optional<SshKey> key;
    if (doc.hasGroup(QStringLiteral("ssh"))) {
        ensureDirectory(absolute(o.stateDir), account); // known_hosts, audit log
        key = ensureSshKey(
            doc.value(QStringLiteral("ssh"), QStringLiteral("keyFile")).value_or(keyFile), account,
            timeoutMs);
        const QString user = doc.value(QStringLiteral("ssh"), QStringLiteral("user"))
                                 .value_or(QStringLiteral("root"));
        printSshInstructions(*key, user, o.sshFrom, checks);
        bool test = o.testSsh;
        if (!o.nonInteractive)
            test = prompter.confirm(
                QStringLiteral("Test the SSH login on each node now (add the line first)?"), false);
        if (test) {
            const QString knownHosts =
                doc.value(QStringLiteral("ssh"), QStringLiteral("knownHostsFile"))
                    .value_or(QString());
            for (const NodeCheck &c : std::as_const(checks)) {
                const QString host = doc.value(NodePrefix + c.name, QStringLiteral("host"))
                                         .value_or(c.apiUrl.host());
                const int port = doc.value(NodePrefix + c.name, QStringLiteral("sshPort"))
                                     .value_or(QStringLiteral("22"))
                                     .toInt();
                QString why;
                if (testSshLogin(*key, user, host, port, knownHosts, timeoutMs, &why)) {
                    say(QStringLiteral("%1: SSH login as %2 works (host key recorded in %3)")
                            .arg(c.name, user, knownHosts));
                    if (geteuid() == 0)
                        (void)::chown(QFile::encodeName(knownHosts).constData(), account.uid,
                            account.gid); // jarvisd adds the next ones
                } else {
                    if (key->created)
                        QFile::remove(key->file), QFile::remove(key->file + QStringLiteral(".pub"));
                    throw SetupError {QStringLiteral("%1: SSH login as %2@%3:%4 failed: %5; "
                                                     "nothing was written")
                                          .arg(c.name, user, host)
                                          .arg(port)
                                          .arg(why)};
                }
            }
        }
    }

    try {
        writeConfig(o.config, doc.text().toUtf8(), account, timeoutMs);
    } catch (const SetupError &) {
        if (key && key->created) {
            QFile::remove(key->file);
            QFile::remove(key->file + QStringLiteral(".pub"));
        }
        throw;
    }
    say(QStringLiteral("Wrote %1 (mode 0640, group %2); jarvisd --check-config accepts it.")
            .arg(o.config, account.group));

    bool enable = o.enableNow;
    if (!o.nonInteractive)
        enable = prompter.confirm(
            QStringLiteral("Enable and start jarvisd now (systemctl enable --now jarvisd)?"), true);
    if (enable) {
        QProcess systemctl;
        systemctl.start(QStringLiteral("systemctl"),
            {QStringLiteral("enable"), QStringLiteral("--now"), QStringLiteral("jarvisd")});
        if (!systemctl.waitForFinished(120000) || systemctl.exitCode() != 0)
            throw SetupError {
                QStringLiteral("the configuration is written, but systemctl enable "
                               "--now jarvisd failed: %1")
                    .arg(QString::fromLocal8Bit(systemctl.readAllStandardError()).trimmed()
                        + systemctl.errorString())};
        say(QStringLiteral("jarvisd is enabled and running."));
    } else if (!o.nonInteractive) {
        say(QStringLiteral("Start it later with: systemctl enable --now jarvisd"));
    }
    return 0;
}

} // namespace jarvis::setup
