// jarvis-setup (installer/setup) as a child process, against the in-process PVE simulator over
// HTTPS with openssl-made certificates and the built jarvisd (JARVIS_JARVISD): the written
// configuration is accepted by jarvisd --check-config and jarvisd serves live data with it; bad
// answers give a precise message, a non-zero exit and no file (an existing one stays
// byte-identical); the interactive questions over a pipe (a wrong answer is asked again); a re-run
// keeps what it is not asked to change; mode 0640 and the group; --console stores the server,
// the pinned certificate and the token where the console's own code (ConsoleSession, TlsTrust,
// KeychainSecretStore) finds them, and says so when no keychain runs.
#include "consolesession.h"
#include "consolestorage.h"
#include "demo/pvesimulator.h"
#include "secretstore.h"
#include "sshdfixture.h"
#include "tlsfixture.h"
#include "tlstrust.h"

#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

using namespace jarvis;

namespace {

constexpr int Wait = 120000;
const QString AdminPassword = QStringLiteral("correct-horse-battery");

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
    QString all() const { return out + err; }
};

QString me()
{
    const passwd *pw = getpwuid(getuid());
    return pw ? QString::fromLocal8Bit(pw->pw_name) : QString();
}

// The environment without any JARVIS_* (jarvis-setup must not see the test's), plus JARVIS_JARVISD.
QProcessEnvironment cleanEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const QString &key : env.keys()) {
        if (key.startsWith(QLatin1String("JARVIS_")))
            env.remove(key);
    }
    env.insert(QStringLiteral("JARVIS_JARVISD"), qEnvironmentVariable("JARVIS_JARVISD"));
    return env;
}

// jarvis-setup with `args`, `input` on stdin; the event loop runs meanwhile (the simulator
// answers from this process).
Run runSetup(const QStringList &args, const QProcessEnvironment &env, const QByteArray &input = {})
{
    Run r;
    QProcess p;
    QProcessEnvironment childEnv = env;
    // Under the sanitizers (make test-sanitize): jarvis-setup's TLS allocations are unwound
    // slowly (libcrypto has no frame pointers), so LeakSanitizer sees whose they are (OpenSSL's
    // own per-thread state is suppressed by name in tests/sanitizers/lsan.supp). Only this child
    // and its own children: jarvisd, in this process's environment, stays fast.
    if (childEnv.contains(QStringLiteral("ASAN_OPTIONS")))
        childEnv.insert(QStringLiteral("ASAN_OPTIONS"),
            childEnv.value(QStringLiteral("ASAN_OPTIONS"))
                + QStringLiteral(":fast_unwind_on_malloc=0"));
    p.setProcessEnvironment(childEnv);
    p.start(qEnvironmentVariable("JARVIS_SETUP"), args);
    if (!p.waitForStarted(Wait)) {
        r.err = p.errorString();
        return r;
    }
    p.write(input);
    p.closeWriteChannel();
    QSignalSpy finished(&p, &QProcess::finished);
    if (p.state() != QProcess::NotRunning && !finished.wait(Wait)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("jarvis-setup did not finish");
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeAll(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

// A jarvisd started on a configuration file (port 0, the URL read from its first line).
class Jarvisd
{
public:
    ~Jarvisd()
    {
        if (m_process) {
            m_process->terminate();
            if (!m_process->waitForFinished(10000))
                m_process->kill();
            m_process->waitForFinished();
        }
    }
    QUrl start(const QString &config)
    {
        m_process = std::make_unique<QProcess>();
        m_process->setProcessEnvironment(cleanEnvironment());
        QObject::connect(m_process.get(), &QProcess::readyReadStandardOutput, m_process.get(),
            [this] { m_output += m_process->readAllStandardOutput(); });
        m_process->start(qEnvironmentVariable("JARVIS_JARVISD"),
            {QStringLiteral("--config"), config, QStringLiteral("--port"), QStringLiteral("0")});
        static const QRegularExpression listening(QStringLiteral("listening on (https?://\\S+)"));
        QDeadlineTimer deadline(30000);
        while (!deadline.hasExpired() && m_process->state() != QProcess::NotRunning) {
            const auto match = listening.match(QString::fromUtf8(m_output));
            if (match.hasMatch())
                return QUrl(match.captured(1));
            QSignalSpy more(m_process.get(), &QProcess::readyReadStandardOutput);
            more.wait(200);
        }
        qWarning() << "jarvisd did not start:" << m_output << m_process->readAllStandardError();
        return {};
    }

private:
    std::unique_ptr<QProcess> m_process;
    QByteArray m_output;
};

struct HttpAnswer
{
    int status = 0;
    QJsonDocument body;
};

HttpAnswer http(QNetworkAccessManager &nam, const QUrl &base, const QString &path,
    const QByteArray &method, const QJsonObject &body = {}, const QString &token = {})
{
    QUrl url = base;
    url.setPath(path);
    QNetworkRequest req(url);
    req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    if (!token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + token.toUtf8());
    QNetworkReply *reply = method == "POST"
        ? nam.post(req, QJsonDocument(body).toJson(QJsonDocument::Compact))
        : nam.get(req);
    QSignalSpy done(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        done.wait(30000);
    HttpAnswer a;
    a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    a.body = QJsonDocument::fromJson(reply->readAll());
    reply->deleteLater();
    return a;
}

} // namespace

class TstSetup : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void help();
    void nonInteractive();
    void badAnswers_data();
    void badAnswers();
    void caFile();
    void interactive();
    void rerun();
    void sshLogin();
    void console();
    void consoleNoKeychain();

private:
    // The arguments of a good non-interactive run writing `config` (state in `state`).
    QStringList goodArgs(const QString &config, const QString &state) const;
    QProcessEnvironment goodEnv() const;
    // A fresh sub-directory of the temporary one.
    QString newDir(const QString &name);
    // Writes a good configuration for a jarvisd (TLS when `tls`), returns its path.
    QString goodConfig(const QString &name, bool tls);

    QTemporaryDir m_dir;
    std::optional<TlsFixture> m_pveCert;
    std::optional<TlsFixture> m_otherCert;
    std::optional<TlsFixture> m_jarvisdCert;
    std::unique_ptr<demo::PveSimulator> m_sim;
};

void TstSetup::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(!qEnvironmentVariable("JARVIS_SETUP").isEmpty()
            && !qEnvironmentVariable("JARVIS_JARVISD").isEmpty(),
        "run by ctest: JARVIS_SETUP and JARVIS_JARVISD name the built programs");
    m_pveCert = TlsFixture::create(m_dir, QStringLiteral("pve"));
    m_otherCert = TlsFixture::create(m_dir, QStringLiteral("other"));
    m_jarvisdCert = TlsFixture::create(m_dir, QStringLiteral("jarvisd"));
    QVERIFY2(m_pveCert && m_otherCert && m_jarvisdCert, "openssl could not make the certificates");
    m_sim = std::make_unique<demo::PveSimulator>();
    QVERIFY2(m_sim->listen(QHostAddress::LocalHost, 0, m_pveCert->serverConfiguration()) != 0,
        qPrintable(m_sim->errorString()));
    QVERIFY(m_sim->isTls());
}

QString TstSetup::newDir(const QString &name)
{
    const QString path = m_dir.filePath(name);
    QDir(path).removeRecursively();
    QDir().mkpath(path);
    return path;
}

QStringList TstSetup::goodArgs(const QString &config, const QString &state) const
{
    return {QStringLiteral("--non-interactive"), QStringLiteral("--config"), config,
        QStringLiteral("--node"), QStringLiteral("pve1=") + m_sim->baseUrl().toString(),
        QStringLiteral("--token-id"), m_sim->options().tokenId, QStringLiteral("--tls-fingerprint"),
        m_sim->sslFingerprint(), QStringLiteral("--ssh-user"), me(), QStringLiteral("--state-dir"),
        state, QStringLiteral("--service-user"), me()};
}

QProcessEnvironment TstSetup::goodEnv() const
{
    QProcessEnvironment env = cleanEnvironment();
    env.insert(QStringLiteral("JARVIS_PVE_TOKEN_SECRET"), m_sim->options().tokenSecret);
    env.insert(QStringLiteral("JARVIS_ADMIN_PASSWORD"), AdminPassword);
    return env;
}

QString TstSetup::goodConfig(const QString &name, bool tls)
{
    const QString dir = newDir(name);
    const QString config = dir + QStringLiteral("/jarvisd.conf");
    QStringList args = goodArgs(config, dir + QStringLiteral("/state"));
    args << QStringLiteral("--listen") << QStringLiteral("127.0.0.1");
    if (tls)
        args << QStringLiteral("--tls-cert") << m_jarvisdCert->certPath
             << QStringLiteral("--tls-key") << m_jarvisdCert->keyPath;
    const Run r = runSetup(args, goodEnv());
    if (r.exitCode != 0) {
        qWarning() << r.all();
        return {};
    }
    return config;
}

void TstSetup::help()
{
    Run r = runSetup({QStringLiteral("--help")}, cleanEnvironment());
    QCOMPARE(r.exitCode, 0);
    for (const char *word : {"--non-interactive", "--node", "--token-id", "--tls-fingerprint",
             "--ca-file", "--ssh-user", "--no-ssh", "--service-user", "--console",
             "JARVIS_PVE_TOKEN_SECRET", "JARVIS_ADMIN_PASSWORD", "Exit codes"})
        QVERIFY2(r.out.contains(QLatin1String(word)), word);
    r = runSetup({QStringLiteral("--version")}, cleanEnvironment());
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.startsWith(QLatin1String("jarvis-setup ")));
}

void TstSetup::nonInteractive()
{
    const QString dir = newDir(QStringLiteral("good"));
    const QString config = dir + QStringLiteral("/jarvisd.conf");
    const QString state = dir + QStringLiteral("/state");
    const Run r = runSetup(goodArgs(config, state), goodEnv());
    QVERIFY2(r.exitCode == 0, qPrintable(r.all()));
    // What it said: the pveum commands, the check in words, the SSH line.
    QVERIFY2(r.out.contains(QLatin1String("pveum role add JarvisService --privs "
                                          "\"VM.Audit,VM.PowerMgmt,Sys.Audit,Datastore.Audit\"")),
        qPrintable(r.out));
    QVERIFY2(r.out.contains(QStringLiteral("Proxmox VE 8.2.4 answers; the token sees %1 node(s)")
                                .arg(m_sim->cluster().nodeNames().size())),
        qPrintable(r.out));
    QVERIFY2(r.out.contains(QLatin1String("restrict,pty ssh-ed25519 ")), qPrintable(r.out));

    // The file: 0640, our group (the service user's), the secrets as PROTOCOL.md section 7 says.
    struct stat st
    {
    };
    QCOMPARE(::stat(QFile::encodeName(config).constData(), &st), 0);
    QCOMPARE(st.st_mode & 07777, mode_t(0640));
    QCOMPARE(st.st_gid, getgid());
    QCOMPARE(st.st_uid, getuid());
    const QString text = QString::fromUtf8(readAll(config));
    QVERIFY2(QRegularExpression(QStringLiteral("\npasswordHash=pbkdf2-sha256\\$"))
                 .match(text)
                 .hasMatch(),
        qPrintable(text));
    const auto jwt =
        QRegularExpression(QStringLiteral("\njwtSecret=([A-Za-z0-9_-]+)\n")).match(text);
    QVERIFY2(jwt.hasMatch() && jwt.captured(1).size() >= 43, qPrintable(text));
    QVERIFY(text.contains(QLatin1String("tokenSecret=") + m_sim->options().tokenSecret));
    QVERIFY(text.contains(QLatin1String("tlsFingerprint=") + m_sim->sslFingerprint()));
    QVERIFY(!text.contains(AdminPassword));
    // The SSH key: the service user's, 0600, in the state directory.
    const QString key = state + QStringLiteral("/id_ed25519");
    QVERIFY(text.contains(QLatin1String("keyFile=") + key));
    QCOMPARE(::stat(QFile::encodeName(key).constData(), &st), 0);
    QCOMPARE(st.st_mode & 07777, mode_t(0600));
    // No temporary file left behind.
    QCOMPARE(QDir(dir).entryList(QDir::Files | QDir::Hidden), QStringList {"jarvisd.conf"});

    // jarvisd serves live data with it.
    Jarvisd jarvisd;
    const QUrl url = jarvisd.start(config);
    QVERIFY(url.isValid());
    QNetworkAccessManager nam;
    QCOMPARE(http(nam, url, QStringLiteral("/api/health"), "GET").status, 200);
    const HttpAnswer login = http(nam, url, QStringLiteral("/api/auth/login"), "POST",
        {{QStringLiteral("password"), AdminPassword}});
    QCOMPARE(login.status, 200);
    const QString token = login.body.object().value(QLatin1String("token")).toString();
    QVERIFY(!token.isEmpty());
    const HttpAnswer status = http(nam, url, QStringLiteral("/api/tools/execute"), "POST",
        {{QStringLiteral("tool"), QStringLiteral("get_cluster_status")}}, token);
    QVERIFY2(status.status == 200, status.body.toJson());
    const QByteArray result = status.body.toJson(QJsonDocument::Compact);
    for (const QString &node : m_sim->cluster().nodeNames())
        QVERIFY2(result.contains(node.toUtf8()), result);
}

void TstSetup::badAnswers_data()
{
    QTest::addColumn<QStringList>("replace"); // pairs: option, new value ("" drops it)
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<QString>("secret"); // JARVIS_PVE_TOKEN_SECRET ("-" = unset)
    QTest::addColumn<bool>("alsoExisting"); // also against an existing file (kept byte-identical)
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("message"); // a regular expression

    QTest::newRow("wrong token secret")
        << QStringList() << QStringList() << QStringLiteral("00000000-wrong") << true << 1
        << QStringLiteral("pve1 \\(https://127\\.0\\.0\\.1:\\d+\\): token refused \\(401 invalid "
                          "token value!\\)");
    QTest::newRow("unreachable host")
        << QStringList {QStringLiteral("--node"), QStringLiteral("CLOSED")} << QStringList()
        << QString() << true << 1
        << QStringLiteral("pve1 \\(https://127\\.0\\.0\\.1:\\d+\\): host unreachable: "
                          "127\\.0\\.0\\.1:\\d+ \\(Connection refused\\)");
    QTest::newRow("fingerprint mismatch")
        << QStringList {QStringLiteral("--tls-fingerprint"), QStringLiteral("OTHER")}
        << QStringList() << QString() << true << 1
        << QStringLiteral("TLS mismatch: 127\\.0\\.0\\.1:\\d+ presents a certificate with SHA-256 "
                          "fingerprint PVE_FP, not the expected OTHER_FP; nothing was sent");
    QTest::newRow("CA file that does not match")
        << QStringList {QStringLiteral("--tls-fingerprint"), QString()}
        << QStringList {QStringLiteral("--ca-file"), QStringLiteral("OTHER_CA")} << QString()
        << true << 1
        << QStringLiteral("TLS refused: the certificate of 127\\.0\\.0\\.1:\\d+ does not chain to "
                          "the given CA file");
    // Accepted by jarvis-setup, refused by jarvisd --check-config: the temporary file never
    // replaces the old one.
    QTest::newRow("refused by --check-config")
        << QStringList()
        << QStringList {QStringLiteral("--tls-cert"), QStringLiteral("/nonexistent/jarvis.crt"),
               QStringLiteral("--tls-key"), QStringLiteral("/nonexistent/jarvis.key")}
        << QString() << true << 1
        << QStringLiteral("jarvisd --check-config refused the new configuration, so \\S+ was not "
                          "written:\n.*server/tlsCert: .*file does not exist: "
                          "/nonexistent/jarvis.crt");
    QTest::newRow("malformed --node")
        << QStringList {QStringLiteral("--node"), QStringLiteral("pve1")} << QStringList()
        << QString() << true << 2
        << QStringLiteral("--node pve1: expected NAME=URL, e.g. pve1=https://");
    QTest::newRow("node URL not https")
        << QStringList {QStringLiteral("--node"), QStringLiteral("pve1=ftp://127.0.0.1")}
        << QStringList() << QString() << true << 2
        << QStringLiteral("--node pve1=ftp://127.0.0.1: \"ftp://127.0.0.1\" is not an "
                          "https://HOST\\[:PORT\\] URL");
    QTest::newRow("secret as argument")
        << QStringList() << QStringList {QStringLiteral("--token-secret=abc")} << QString() << true
        << 2 << QStringLiteral("refusing --token-secret: secrets are never taken from arguments");
    QTest::newRow("password as argument")
        << QStringList() << QStringList {QStringLiteral("--admin-password"), QStringLiteral("x")}
        << QString() << true << 2 << QStringLiteral("refusing --admin-password: secrets");
    QTest::newRow("secret as a single-dash argument")
        << QStringList() << QStringList {QStringLiteral("-Token-Secret"), QStringLiteral("x")}
        << QString() << true << 2 << QStringLiteral("refusing -Token-Secret: secrets");
    QTest::newRow("missing env secret")
        << QStringList() << QStringList() << QStringLiteral("-") << false << 2
        << QStringLiteral("a new configuration needs JARVIS_PVE_TOKEN_SECRET in the environment");
    QTest::newRow("bad fingerprint text")
        << QStringList {QStringLiteral("--tls-fingerprint"), QStringLiteral("AB:CD")}
        << QStringList() << QString() << true << 2
        << QStringLiteral("--tls-fingerprint AB:CD: not a SHA-256 fingerprint");
    QTest::newRow("no such service user")
        << QStringList {QStringLiteral("--service-user"), QStringLiteral("no-such-user-jarvis")}
        << QStringList() << QString() << true << 2
        << QStringLiteral("user \"no-such-user-jarvis\" does not exist: .*--service-user USER");
}

void TstSetup::badAnswers()
{
    QFETCH(QStringList, replace);
    QFETCH(QStringList, extra);
    QFETCH(QString, secret);
    QFETCH(bool, alsoExisting);
    QFETCH(int, exitCode);
    QFETCH(QString, message);

    // A closed port: listened on, then closed.
    quint16 closedPort = 0;
    {
        QTcpServer s;
        QVERIFY(s.listen(QHostAddress::LocalHost));
        closedPort = s.serverPort();
    }
    const auto substitute = [&](QString v) {
        v.replace(
            QLatin1String("CLOSED"), QStringLiteral("pve1=https://127.0.0.1:%1").arg(closedPort));
        v.replace(QLatin1String("OTHER_CA"), m_otherCert->certPath);
        v.replace(QLatin1String("OTHER_FP"),
            QString::fromLatin1(m_otherCert->sha256().toHex(':').toUpper()));
        v.replace(QLatin1String("OTHER"),
            QString::fromLatin1(m_otherCert->sha256().toHex(':').toUpper()));
        v.replace(QLatin1String("PVE_FP"), m_sim->sslFingerprint());
        return v;
    };
    message = substitute(message);

    for (const bool existing : {false, true}) {
        if (existing && !alsoExisting)
            continue;
        const QString dir = newDir(QStringLiteral("bad"));
        const QString config = dir + QStringLiteral("/jarvisd.conf");
        const QString state = dir + QStringLiteral("/state");
        QByteArray before;
        if (existing) {
            const Run good = runSetup(goodArgs(config, state), goodEnv());
            QVERIFY2(good.exitCode == 0, qPrintable(good.all()));
            before = readAll(config);
        }
        QStringList args = goodArgs(config, state);
        for (qsizetype i = 0; i + 1 < replace.size(); i += 2) {
            const qsizetype at = args.indexOf(replace[i]);
            QVERIFY(at >= 0);
            if (replace[i + 1].isEmpty())
                args.remove(at, 2);
            else
                args[at + 1] = substitute(replace[i + 1]);
        }
        for (const QString &e : extra)
            args << substitute(e);
        QProcessEnvironment env = goodEnv();
        if (secret == QLatin1String("-"))
            env.remove(QStringLiteral("JARVIS_PVE_TOKEN_SECRET"));
        else if (!secret.isEmpty())
            env.insert(QStringLiteral("JARVIS_PVE_TOKEN_SECRET"), secret);

        const Run r = runSetup(args, env);
        QVERIFY2(r.exitCode == exitCode,
            qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(r.all())));
        QVERIFY2(QRegularExpression(message).match(r.err).hasMatch(),
            qPrintable(QStringLiteral("expected /%1/ in stderr:\n%2").arg(message, r.err)));
        if (existing) {
            QCOMPARE(readAll(config), before);
        } else {
            QVERIFY2(!QFileInfo::exists(config), "a file was written");
            QVERIFY2(!QFileInfo::exists(state + QStringLiteral("/id_ed25519")),
                "an SSH key was left behind");
        }
        QCOMPARE(QDir(dir).entryList(QDir::Files | QDir::Hidden),
            existing ? QStringList {"jarvisd.conf"} : QStringList());
    }
}

void TstSetup::caFile()
{
    // The simulator's self-signed certificate is its own CA: the chain is verified, no pin.
    const QString dir = newDir(QStringLiteral("ca"));
    const QString config = dir + QStringLiteral("/jarvisd.conf");
    QStringList args = goodArgs(config, dir + QStringLiteral("/state"));
    args.remove(args.indexOf(QStringLiteral("--tls-fingerprint")), 2);
    args.remove(args.indexOf(QStringLiteral("--ssh-user")), 2);
    args << QStringLiteral("--ca-file") << m_pveCert->certPath << QStringLiteral("--no-ssh");
    const Run r = runSetup(args, goodEnv());
    QVERIFY2(r.exitCode == 0, qPrintable(r.all()));
    QVERIFY2(r.out.contains(QLatin1String("the certificate chains to ") + m_pveCert->certPath),
        qPrintable(r.out));
    const QString text = QString::fromUtf8(readAll(config));
    QVERIFY(text.contains(QLatin1String("caFile=") + m_pveCert->certPath));
    QVERIFY(!text.contains(QLatin1String("tlsFingerprint")));
    QVERIFY2(!text.contains(QLatin1String("[ssh]")), qPrintable(text));
}

void TstSetup::interactive()
{
    const QString dir = newDir(QStringLiteral("interactive"));
    const QString config = dir + QStringLiteral("/jarvisd.conf");
    const QString url = m_sim->baseUrl().toString();
    // One line per question, in order; two wrong answers that are asked again.
    const QStringList answers = {
        QStringLiteral("pve1"), // nodes: wrong (no URL) ...
        QStringLiteral("pve1=") + url, // ... asked again
        m_sim->options().tokenId, // token ID
        m_sim->options().tokenSecret, // its secret
        QString(), // CA file: default "-", check the fingerprint
        QStringLiteral("-"), // no SSH
        QString(), // admin user: admin
        QStringLiteral("short"), // password: too short ...
        AdminPassword, AdminPassword, // ... asked again, twice
        QString(), // jarvisd TLS certificate: "-"
        QString(), // port: 8080
        QStringLiteral("y"), // the fingerprint shown is the node's
        QStringLiteral("n"), // do not run systemctl
    };
    QStringList args = {QStringLiteral("--config"), config, QStringLiteral("--service-user"), me(),
        QStringLiteral("--state-dir"), dir + QStringLiteral("/state")};
    const Run r =
        runSetup(args, cleanEnvironment(), answers.join(QLatin1Char('\n')).toUtf8() + '\n');
    QVERIFY2(r.exitCode == 0, qPrintable(r.all()));
    QVERIFY2(
        r.out.contains(QLatin1String("Not accepted: pve1: expected NAME=URL")), qPrintable(r.out));
    QVERIFY2(
        r.out.contains(QLatin1String("Not accepted: at least 8 characters")), qPrintable(r.out));
    QVERIFY2(r.out.contains(m_sim->sslFingerprint()), qPrintable(r.out));
    QVERIFY2(!r.out.contains(m_sim->options().tokenSecret), "the secret was echoed");
    const QString text = QString::fromUtf8(readAll(config));
    QVERIFY2(text.contains(QLatin1String("tlsFingerprint=") + m_sim->sslFingerprint()),
        qPrintable(text));
    QVERIFY(text.contains(QLatin1String("port=8080")));
    QVERIFY(!text.contains(QLatin1String("[ssh]")));

    // Not confirming the certificate writes nothing.
    const QString other = dir + QStringLiteral("/other.conf");
    QStringList refused = answers;
    refused[12] = QStringLiteral("n");
    args[1] = other;
    const Run no =
        runSetup(args, cleanEnvironment(), refused.join(QLatin1Char('\n')).toUtf8() + '\n');
    QCOMPARE(no.exitCode, 1);
    QVERIFY2(
        no.err.contains(QLatin1String("the certificate was not confirmed")), qPrintable(no.err));
    QVERIFY(!QFileInfo::exists(other));
    // stdin ending before the answers do: said, nothing written.
    const Run cut = runSetup(args, cleanEnvironment(), "pve1=" + url.toUtf8() + '\n');
    QCOMPARE(cut.exitCode, 2);
    QVERIFY2(cut.err.contains(QLatin1String("no answer to \"Proxmox API token ID")),
        qPrintable(cut.err));
    QVERIFY(!QFileInfo::exists(other));
}

void TstSetup::rerun()
{
    const QString dir = newDir(QStringLiteral("rerun"));
    const QString config = dir + QStringLiteral("/jarvisd.conf");
    const QString state = dir + QStringLiteral("/state");
    const Run first = runSetup(goodArgs(config, state), goodEnv());
    QVERIFY2(first.exitCode == 0, qPrintable(first.all()));
    // The admin's own edits: comments, an inline comment, keys setup never writes.
    QString edited = QString::fromUtf8(readAll(config));
    edited.replace(QLatin1String("[proxmox]\n"),
        QLatin1String("; Proxmox: the token below is read-only\n[proxmox]\n"));
    edited.replace(
        QLatin1String("\nusername=admin"), QLatin1String("\nusername=admin   ; who logs in"));
    edited.append(
        QLatin1String("\n# tuning\n[intervals]\nnodes=20\n\n[safety]\nprotectedNodes=pve1\n"));
    QVERIFY(writeAll(config, edited.toUtf8()));

    // Asked to change only the admin user name; no secrets in the environment: all else stays.
    const Run again =
        runSetup({QStringLiteral("--non-interactive"), QStringLiteral("--config"), config,
                     QStringLiteral("--admin-user"), QStringLiteral("boss"),
                     QStringLiteral("--service-user"), me(), QStringLiteral("--state-dir"), state},
            cleanEnvironment());
    QVERIFY2(again.exitCode == 0, qPrintable(again.all()));
    QString expected = edited;
    expected.replace(QLatin1String("\nusername=admin   ;"), QLatin1String("\nusername=boss   ;"));
    QCOMPARE(QString::fromUtf8(readAll(config)), expected);
    // The same key, not a new one.
    QVERIFY2(again.out.contains(QLatin1String("SSH key for terminals and temperatures: ") + state
                 + QStringLiteral("/id_ed25519\n")),
        qPrintable(again.out));

    // --no-ssh on a re-run takes [ssh] out, and only that.
    const Run noSsh =
        runSetup({QStringLiteral("--non-interactive"), QStringLiteral("--config"), config,
                     QStringLiteral("--no-ssh"), QStringLiteral("--service-user"), me(),
                     QStringLiteral("--state-dir"), state},
            cleanEnvironment());
    QVERIFY2(noSsh.exitCode == 0, qPrintable(noSsh.all()));
    const QString after = QString::fromUtf8(readAll(config));
    QVERIFY(!after.contains(QLatin1String("[ssh]")));
    QVERIFY(after.contains(QLatin1String("; Proxmox: the token below is read-only\n[proxmox]")));
    QVERIFY(after.contains(QLatin1String("[intervals]\nnodes=20\n")));
}

void TstSetup::sshLogin()
{
    // A real sshd on loopback that accepts its own client key: --test-ssh logs in with the key
    // given (kept, not replaced), as jarvisd will; a key the node refuses writes nothing.
    SshdFixture sshd;
    QVERIFY2(sshd.setUp(), qPrintable(sshd.error()));
    const QString dir = newDir(QStringLiteral("ssh"));
    const QString config = dir + QStringLiteral("/jarvisd.conf");
    const QString state = dir + QStringLiteral("/state");
    QStringList args = goodArgs(config, state);
    args.remove(args.indexOf(QStringLiteral("--ssh-user")), 2);
    args << QStringLiteral("--ssh-user") << demo::LoopbackSshd::user()
         << QStringLiteral("--ssh-port") << QString::number(sshd.port())
         << QStringLiteral("--test-ssh");

    const Run refused = runSetup(
        QStringList(args) << QStringLiteral("--ssh-key") << sshd.otherClientKeyFile(), goodEnv());
    QVERIFY2(refused.exitCode == 1, qPrintable(refused.all()));
    QVERIFY2(refused.err.contains(QStringLiteral("pve1: SSH login as %1@127.0.0.1:%2 failed: ")
                                      .arg(demo::LoopbackSshd::user())
                                      .arg(sshd.port())),
        qPrintable(refused.err));
    QVERIFY(!QFileInfo::exists(config));

    const Run r = runSetup(
        QStringList(args) << QStringLiteral("--ssh-key") << sshd.clientKeyFile(), goodEnv());
    QVERIFY2(r.exitCode == 0, qPrintable(r.all()));
    QVERIFY2(r.out.contains(
                 QStringLiteral("pve1: SSH login as %1 works").arg(demo::LoopbackSshd::user())),
        qPrintable(r.out));
    const QString text = QString::fromUtf8(readAll(config));
    QVERIFY(text.contains(QStringLiteral("sshPort=%1").arg(sshd.port())));
    QVERIFY(text.contains(QLatin1String("keyFile=") + sshd.clientKeyFile()));
    QVERIFY2(QFileInfo(state + QStringLiteral("/known_hosts")).size() > 0, "no host key recorded");
}

void TstSetup::console()
{
    QVERIFY2(qEnvironmentVariable("JARVIS_TEST_KEYRING") == QLatin1String("1"),
        "run under tests/console/with-keyring.sh (ctest tst_setup_console does)");
    const QString config = goodConfig(QStringLiteral("console"), true);
    QVERIFY(!config.isEmpty());
    Jarvisd jarvisd;
    const QUrl url = jarvisd.start(config);
    QCOMPARE(url.scheme(), QStringLiteral("https"));

    const QByteArray answers = "y\n" + AdminPassword.toUtf8() + '\n';
    const Run r =
        runSetup({QStringLiteral("--console"), QStringLiteral("--server"), url.toString()},
            cleanEnvironment(), answers);
    QVERIFY2(r.exitCode == 0, qPrintable(r.all()));
    const QString fingerprint = QString::fromLatin1(m_jarvisdCert->sha256().toHex(':').toUpper());
    QVERIFY2(r.out.contains(fingerprint), qPrintable(r.out)); // shown for the confirmation

    // The console's own reading code finds it all: the last server in its settings, the pin in
    // its file, the token in the keychain, and resumes the session with them.
    namespace storage = console::storage;
    QSettings settings(QLatin1String(storage::Organization), QLatin1String(storage::Application));
    const QString last = settings.value(QLatin1String(storage::LastServerKey)).toString();
    QCOMPARE(last, console::ConsoleSession::normaliseServer(url.toString()).toString());
    console::TlsTrust trust(storage::pinFile());
    QCOMPARE(trust.pin(url), fingerprint);
    console::KeychainSecretStore store;
    console::ConsoleSession session(&store);
    session.setTlsTrust(&trust);
    QSignalSpy loggedIn(&session, &console::ConsoleSession::loggedIn);
    session.resume(last);
    QVERIFY2(loggedIn.wait(30000), qPrintable(session.property("error").toString()));

    // A wrong password stores nothing new and says so.
    const Run wrong =
        runSetup({QStringLiteral("--console"), QStringLiteral("--server"), url.toString()},
            cleanEnvironment(), "not-the-password\n");
    QCOMPARE(wrong.exitCode, 1);
    QVERIFY2(wrong.err.contains(QLatin1String("wrong user name or password; nothing was stored")),
        qPrintable(wrong.err));
}

void TstSetup::consoleNoKeychain()
{
    QVERIFY2(qEnvironmentVariable("JARVIS_TEST_NO_KEYRING") == QLatin1String("1"),
        "run alone with JARVIS_TEST_NO_KEYRING=1 and no D-Bus session (ctest does)");
    const QString config = goodConfig(QStringLiteral("nokeychain"), false);
    QVERIFY(!config.isEmpty());
    Jarvisd jarvisd;
    const QUrl url = jarvisd.start(config);
    QCOMPARE(url.scheme(), QStringLiteral("http"));
    const QString home = newDir(QStringLiteral("nokeychain-home"));
    QProcessEnvironment env = cleanEnvironment();
    env.insert(QStringLiteral("HOME"), home);
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/config"));
    env.insert(QStringLiteral("XDG_DATA_HOME"), home + QStringLiteral("/data"));
    const Run r =
        runSetup({QStringLiteral("--console"), QStringLiteral("--server"), url.toString()}, env,
            AdminPassword.toUtf8() + '\n');
    QVERIFY2(r.exitCode == 3, qPrintable(r.all()));
    QVERIFY2(r.out.contains(QLatin1String("No keychain is running")), qPrintable(r.out));
    QVERIFY2(r.out.contains(QLatin1String("the session token was NOT stored")), qPrintable(r.out));
    // The URL is remembered (not a secret); no token anywhere in the home (JWTs start "eyJ").
    bool sawSettings = false;
    QDirIterator it(home, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString file = it.next();
        const QByteArray bytes = readAll(file);
        QVERIFY2(!bytes.contains("eyJ"), qPrintable(file));
        sawSettings = sawSettings || bytes.contains(url.toString().toUtf8());
    }
    QVERIFY(sawSettings);
}

QTEST_GUILESS_MAIN(TstSetup)
#include "tst_setup.moc"
