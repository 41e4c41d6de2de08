// jarvisd as a process: command line, --check-config, --hash-password, signals and exit codes.
#include "auth/apikey.h"
#include "auth/password.h"

#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <unistd.h>

namespace {
const QString Jarvisd = QStringLiteral(JARVISD_PATH);

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

Run runJarvisd(const QStringList &args, const QByteArray &input = {},
    const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    QProcess process;
    process.setProcessEnvironment(env);
    process.start(Jarvisd, args);
    if (!process.waitForStarted(10000))
        return {};
    if (!input.isNull()) {
        process.write(input);
        process.closeWriteChannel();
    }
    process.waitForFinished(60000);
    return {process.exitCode(), QString::fromUtf8(process.readAllStandardOutput()),
        QString::fromUtf8(process.readAllStandardError())};
}

QProcessEnvironment cleanEnv()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"JARVIS_CONFIG", "JARVIS_PORT", "JARVIS_LISTEN",
             "JARVIS_ADMIN_PASSWORD", "JARVIS_JWT_SECRET", "JARVIS_PVE_TOKEN_SECRET"})
        env.remove(QLatin1String(name));
    return env;
}

const char *const GoodConfig = R"([server]
listen=127.0.0.1
port=0

[auth]
passwordHash=%1
jwtSecret=0123456789abcdef0123456789abcdef0123456789abcdef

[proxmox]
tokenId=root@pam!jarvis
tokenSecret=00000000-0000-0000-0000-000000000000
insecure=true

[node.pve1]
host=127.0.0.1
)";
} // namespace

class TestCli : public QObject
{
    Q_OBJECT

private slots:
    void version();
    void help();
    void badOption_data();
    void badOption();
    void hashPassword();
    void newApiKey();
    void checkConfigOk();
    void checkConfigProblems();
    void checkConfigMissingFile();
    void sigtermStopsCleanly_data();
    void sigtermStopsCleanly();
    void portInUse();
    void demoStateIsPrivatePerRun();
    void webRootNotADirectory();
    void webRootServesTheDirectory();

private:
    QString writeConfig(const QString &text);
    QTemporaryDir m_dir;
};

QString TestCli::writeConfig(const QString &text)
{
    static int counter = 0;
    const QString path = m_dir.filePath(QStringLiteral("jarvisd-%1.conf").arg(++counter));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    file.write(text.toUtf8());
    return path;
}

void TestCli::version()
{
    const Run r = runJarvisd({QStringLiteral("--version")});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.trimmed(), QStringLiteral("jarvisd " JARVIS_VERSION));
}

void TestCli::help()
{
    const Run r = runJarvisd({QStringLiteral("--help")});
    QCOMPARE(r.exitCode, 0);
    for (const char *option :
        {"--config", "--demo", "--listen", "--port", "--web-root", "--mcp-stdio", "--check-config",
            "--hash-password", "--new-api-key", "--version", "--help"})
        QVERIFY2(r.out.contains(QLatin1String(option)), option);
}

void TestCli::badOption_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addRow("unknown") << QStringList {QStringLiteral("--frobnicate")};
    QTest::addRow("port text") << QStringList {QStringLiteral("--port"), QStringLiteral("eighty")};
    QTest::addRow("port range") << QStringList {QStringLiteral("--port=70000")};
    QTest::addRow("config missing value") << QStringList {QStringLiteral("--config")};
    QTest::addRow("web-root missing value") << QStringList {QStringLiteral("--web-root")};
    QTest::addRow("web-root empty") << QStringList {QStringLiteral("--web-root=")};
    QTest::addRow("mcp-stdio with a value") << QStringList {QStringLiteral("--mcp-stdio=yes")};
    QTest::addRow("new-api-key missing name") << QStringList {QStringLiteral("--new-api-key")};
    QTest::addRow("new-api-key bad name") << QStringList {QStringLiteral("--new-api-key=a b")};
}

void TestCli::badOption()
{
    QFETCH(QStringList, args);
    const Run r = runJarvisd(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.err.contains(QStringLiteral("Usage")));
}

void TestCli::hashPassword()
{
    const Run r = runJarvisd({QStringLiteral("--hash-password")}, "s3cret pass\n");
    QCOMPARE(r.exitCode, 0);
    const QString hash = r.out.trimmed();
    QVERIFY2(hash.startsWith(QStringLiteral("pbkdf2-sha256$600000$")), qPrintable(hash));
    QVERIFY(jarvis::auth::verifyPassword(QStringLiteral("s3cret pass"), hash));
    QVERIFY(!jarvis::auth::verifyPassword(QStringLiteral("s3cret pas"), hash));
    QCOMPARE(runJarvisd({QStringLiteral("--hash-password")}, "").exitCode, 2);
}

void TestCli::newApiKey()
{
    const Run r = runJarvisd({QStringLiteral("--new-api-key"), QStringLiteral("assistant")});
    QCOMPARE(r.exitCode, 0);
    const QStringList lines = r.out.trimmed().split(QLatin1Char('\n'));
    QCOMPARE(lines.size(), 2);
    QList<jarvis::auth::ApiKey> keys;
    QString why;
    QVERIFY2(jarvis::auth::parseApiKeys(lines.at(1), &keys, &why), qPrintable(why));
    QCOMPARE(keys.size(), 1);
    QCOMPARE(keys.at(0).name, QStringLiteral("assistant"));
    QVERIFY(!lines.at(1).contains(lines.at(0))); // the entry holds the hash, never the key
    QVERIFY(jarvis::auth::matchApiKey(lines.at(0).toUtf8(), keys));
}

void TestCli::checkConfigOk()
{
    const QString path =
        writeConfig(QString::fromLatin1(GoodConfig)
                        .arg(jarvis::auth::hashPassword(QStringLiteral("pw"), 1000)));
    const Run r = runJarvisd(
        {QStringLiteral("--config"), path, QStringLiteral("--check-config")}, {}, cleanEnv());
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
}

void TestCli::checkConfigProblems()
{
    const QString path = writeConfig(
        QStringLiteral("[server]\nport=eighty\nbogus=1\n\n[auth]\njwtSecret=tinysecretvalue\n"));
    const Run r = runJarvisd(
        {QStringLiteral("--config"), path, QStringLiteral("--check-config")}, {}, cleanEnv());
    QCOMPARE(r.exitCode, 2);
    const QStringList lines = r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QVERIFY2(lines.size() >= 4, qPrintable(r.out));
    for (const QString &line : lines)
        QVERIFY2(line.startsWith(path + QStringLiteral(": ")), qPrintable(line));
    QVERIFY(r.out.contains(QStringLiteral("server/port")));
    QVERIFY(r.out.contains(QStringLiteral("server/bogus")));
    QVERIFY(r.out.contains(QStringLiteral("auth/jwtSecret")));
    QVERIFY(r.out.contains(QStringLiteral("proxmox")));
    QVERIFY(!r.out.contains(QStringLiteral("tinysecretvalue"))); // secrets are never echoed

    // Without --check-config the service refuses to start with the same exit code.
    const Run start = runJarvisd({QStringLiteral("--config"), path}, {}, cleanEnv());
    QCOMPARE(start.exitCode, 2);
}

void TestCli::checkConfigMissingFile()
{
    const Run r =
        runJarvisd({QStringLiteral("--config"), m_dir.filePath(QStringLiteral("absent.conf")),
                       QStringLiteral("--check-config")},
            {}, cleanEnv());
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.out.contains(QStringLiteral("absent.conf")));
}

void TestCli::sigtermStopsCleanly_data()
{
    QTest::addColumn<int>("signal");
    QTest::addRow("SIGTERM") << int(SIGTERM);
    QTest::addRow("SIGINT") << int(SIGINT);
}

void TestCli::sigtermStopsCleanly()
{
    QFETCH(int, signal);
    QProcess process;
    process.setProcessEnvironment(cleanEnv());
    process.start(
        Jarvisd, {QStringLiteral("--demo"), QStringLiteral("--port"), QStringLiteral("0")});
    QVERIFY(process.waitForStarted(10000));
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT(
        (out += process.readAllStandardOutput()).contains("password jarvis-demo\n"), 10000);
    // The first line names the URL; the second tells a newcomer where to go and how to log in.
    const QStringList lines = QString::fromUtf8(out).split(QLatin1Char('\n'));
    const QRegularExpressionMatch m =
        QRegularExpression(QStringLiteral("^jarvisd: listening on (http://127.0.0.1:\\d+)$"))
            .match(lines.value(0));
    QVERIFY2(m.hasMatch(), out.constData());
    QCOMPARE(lines.value(1),
        QStringLiteral("open %1/ and log in with user admin, password jarvis-demo")
            .arg(m.captured(1)));
    ::kill(pid_t(process.processId()), signal);
    QVERIFY(process.waitForFinished(10000));
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 0);
}

void TestCli::portInUse()
{
    QProcess first;
    first.setProcessEnvironment(cleanEnv());
    first.start(Jarvisd, {QStringLiteral("--demo"), QStringLiteral("--port"), QStringLiteral("0")});
    QVERIFY(first.waitForStarted(10000));
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += first.readAllStandardOutput()).contains("\n"), 10000);
    const QRegularExpressionMatch m =
        QRegularExpression(QStringLiteral(":(\\d+)\\n")).match(QString::fromUtf8(out));
    QVERIFY(m.hasMatch());
    const Run second = runJarvisd(
        {QStringLiteral("--demo"), QStringLiteral("--port"), m.captured(1)}, {}, cleanEnv());
    QCOMPARE(second.exitCode, 1);
    QVERIFY2(second.err.contains(QStringLiteral("cannot listen")), qPrintable(second.err));
    first.terminate();
    QVERIFY(first.waitForFinished(10000));
}

void TestCli::demoStateIsPrivatePerRun()
{
    // Two demos at once: each has its own state directory (0700, owner only), named on stderr,
    // and each removes its own when it stops.
    QProcess first, second;
    QStringList dirs;
    for (QProcess *p : {&first, &second}) {
        p->setProcessEnvironment(cleanEnv());
        p->start(
            Jarvisd, {QStringLiteral("--demo"), QStringLiteral("--port"), QStringLiteral("0")});
        QVERIFY(p->waitForStarted(10000));
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT(
            (out += p->readAllStandardOutput()).contains("listening on http://127.0.0.1:"), 10000);
        const QString err = QString::fromUtf8(p->readAllStandardError());
        const QRegularExpressionMatch m =
            QRegularExpression(QStringLiteral("state directory (\\S+) ")).match(err);
        QVERIFY2(m.hasMatch(), qPrintable(err));
        dirs.append(m.captured(1));
    }
    QVERIFY(dirs.at(0) != dirs.at(1));
    for (const QString &dir : std::as_const(dirs)) {
        const QFileInfo info(dir);
        QVERIFY(info.isDir());
        QCOMPARE(info.permissions()
                & ~(QFileDevice::ReadUser | QFileDevice::WriteUser | QFileDevice::ExeUser),
            QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
        QCOMPARE(info.ownerId(), ::getuid());
    }
    for (QProcess *p : {&first, &second}) {
        ::kill(pid_t(p->processId()), SIGTERM);
        QVERIFY(p->waitForFinished(10000));
        QCOMPARE(p->exitCode(), 0);
    }
    for (const QString &dir : std::as_const(dirs))
        QVERIFY2(!QFileInfo::exists(dir), qPrintable(dir));
}

void TestCli::webRootNotADirectory()
{
    const QString file = writeConfig(QStringLiteral("not a directory"));
    for (const QString &root : {m_dir.filePath(QStringLiteral("no-such-dir")), file}) {
        const Run r = runJarvisd({QStringLiteral("--demo"), QStringLiteral("--port"),
                                     QStringLiteral("0"), QStringLiteral("--web-root"), root},
            {}, cleanEnv());
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--web-root: %1 is not a directory").arg(root)),
            qPrintable(r.err));
        QVERIFY(r.out.isEmpty()); // it never listened
    }
}

void TestCli::webRootServesTheDirectory()
{
    QTemporaryDir web;
    QVERIFY(web.isValid());
    QFile index(web.filePath(QStringLiteral("index.html")));
    QVERIFY(index.open(QIODevice::WriteOnly));
    index.write("<!doctype html><p>served from --web-root</p>");
    index.close();

    QProcess process;
    process.setProcessEnvironment(cleanEnv());
    process.start(Jarvisd,
        {QStringLiteral("--demo"), QStringLiteral("--port"), QStringLiteral("0"),
            QStringLiteral("--web-root"), web.path()});
    QVERIFY(process.waitForStarted(10000));
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += process.readAllStandardOutput()).contains("\n"), 10000);
    const QRegularExpressionMatch m =
        QRegularExpression(QStringLiteral("^jarvisd: listening on http://127.0.0.1:(\\d+)\n"))
            .match(QString::fromUtf8(out));
    QVERIFY2(m.hasMatch(), out.constData());

    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, quint16(m.captured(1).toUInt()));
    QVERIFY(socket.waitForConnected(5000));
    socket.write("GET /some/client/route HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QByteArray reply;
    QTRY_VERIFY_WITH_TIMEOUT((reply += socket.readAll()).contains("</p>"), 10000);
    QVERIFY2(reply.startsWith("HTTP/1.1 200"), reply.constData());
    QVERIFY(reply.contains("served from --web-root"));
    QVERIFY(reply.contains("Cache-Control: no-cache"));

    ::kill(pid_t(process.processId()), SIGTERM);
    QVERIFY(process.waitForFinished(10000));
    QCOMPARE(process.exitCode(), 0);
    QVERIFY(process.readAllStandardError().contains("serving the dashboard from"));
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
