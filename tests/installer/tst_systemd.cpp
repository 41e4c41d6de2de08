// jarvisd under systemd, without systemd: the test owns the notification socket (a unix datagram
// socket, as the manager's NOTIFY_SOCKET is) and the "journal stream" (a file whose device and
// inode it puts in JOURNAL_STREAM), and checks what jarvisd tells them (app/systemd.h).
#include "httpexchange.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

const QString Jarvisd = QStringLiteral(JARVISD_PATH);

// The manager's end: a bound unix datagram socket; every datagram is one notification.
class NotifySocket
{
public:
    explicit NotifySocket(const QString &path)
        : m_path(path)
    {
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_un address = {};
        address.sun_family = AF_UNIX;
        const QByteArray native = path.toLocal8Bit();
        if (m_fd < 0 || size_t(native.size()) >= sizeof(address.sun_path))
            return;
        std::memcpy(address.sun_path, native.constData(), size_t(native.size()));
        m_bound = ::bind(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) == 0;
    }
    ~NotifySocket()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    bool isBound() const { return m_bound; }
    QString path() const { return m_path; }

    // Reads what has arrived (never blocks) and returns every message so far, in order.
    const QList<QByteArray> &messages()
    {
        char buffer[4096];
        for (;;) {
            const ssize_t n = ::recv(m_fd, buffer, sizeof(buffer), MSG_DONTWAIT);
            if (n < 0)
                break;
            m_messages.append(QByteArray(buffer, n));
        }
        return m_messages;
    }
    int count(const QByteArray &assignment)
    {
        int n = 0;
        for (const QByteArray &message : messages())
            n += message.split('\n').contains(assignment) ? 1 : 0;
        return n;
    }

private:
    QString m_path;
    int m_fd = -1;
    bool m_bound = false;
    QList<QByteArray> m_messages;
};

QProcessEnvironment baseEnv()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM",
             "JARVIS_CONFIG", "JARVIS_PORT", "JARVIS_LISTEN", "JARVIS_ADMIN_PASSWORD"})
        env.remove(QLatin1String(name));
    return env;
}

const QStringList DemoArgs = {
    QStringLiteral("--demo"), QStringLiteral("--port"), QStringLiteral("0")};

} // namespace

class TestSystemd : public QObject
{
    Q_OBJECT
private slots:
    void readyWatchdogStopping();
    void noWatchdogWithoutInterval();
    void journalPriorities_data();
    void journalPriorities();
};

// READY=1 only once the port accepts connections (its status names the URL, which answers at
// once), then WATCHDOG=1 again and again at half of WATCHDOG_USEC, STOPPING=1 on SIGTERM, exit 0.
void TestSystemd::readyWatchdogStopping()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    NotifySocket manager(dir.filePath(QStringLiteral("notify")));
    QVERIFY(manager.isBound());

    QProcess jarvisd;
    QProcessEnvironment env = baseEnv();
    env.insert(QStringLiteral("NOTIFY_SOCKET"), manager.path());
    env.insert(QStringLiteral("WATCHDOG_USEC"), QStringLiteral("200000")); // pings every 100 ms
    jarvisd.setProcessEnvironment(env);
    jarvisd.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    jarvisd.start(Jarvisd, DemoArgs);
    QVERIFY(jarvisd.waitForStarted(10000));

    QTRY_VERIFY_WITH_TIMEOUT(!manager.messages().isEmpty(), 30000);
    // The first message is READY=1 with the URL; nothing (no watchdog ping) comes before it.
    const QByteArray first = manager.messages().constFirst();
    QVERIFY2(first.split('\n').contains("READY=1"), first.constData());
    const QRegularExpressionMatch url =
        QRegularExpression(QStringLiteral("^STATUS=listening on http://127\\.0\\.0\\.1:(\\d+)$"),
            QRegularExpression::MultilineOption)
            .match(QString::fromUtf8(first));
    QVERIFY2(url.hasMatch(), first.constData());
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, quint16(url.captured(1).toUInt()));
    QVERIFY(socket.waitForConnected(5000));
    const auto health = jarvis::test::exchange(quint16(url.captured(1).toUInt()),
        "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    QVERIFY2(health.received.startsWith("HTTP/1.1 200"), health.received.constData());

    // The watchdog: pings keep coming from the event loop.
    QTRY_VERIFY_WITH_TIMEOUT(manager.count("WATCHDOG=1") >= 5, 30000);
    QCOMPARE(manager.count("READY=1"), 1);
    QCOMPARE(manager.count("STOPPING=1"), 0);

    ::kill(pid_t(jarvisd.processId()), SIGTERM);
    QVERIFY(jarvisd.waitForFinished(15000));
    QCOMPARE(jarvisd.exitStatus(), QProcess::NormalExit);
    QCOMPARE(jarvisd.exitCode(), 0);
    QCOMPARE(manager.count("STOPPING=1"), 1);
    QCOMPARE(manager.count("READY=1"), 1);
}

// WATCHDOG_USEC for another process (WATCHDOG_PID) or none at all: READY and STOPPING, no pings.
void TestSystemd::noWatchdogWithoutInterval()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    NotifySocket manager(dir.filePath(QStringLiteral("notify")));
    QVERIFY(manager.isBound());

    QProcess jarvisd;
    QProcessEnvironment env = baseEnv();
    env.insert(QStringLiteral("NOTIFY_SOCKET"), manager.path());
    env.insert(QStringLiteral("WATCHDOG_USEC"), QStringLiteral("1000")); // 1 ms: floods if wrong
    env.insert(QStringLiteral("WATCHDOG_PID"), QString::number(::getpid())); // not jarvisd's
    jarvisd.setProcessEnvironment(env);
    jarvisd.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    jarvisd.start(Jarvisd, DemoArgs);
    QVERIFY(jarvisd.waitForStarted(10000));
    QTRY_VERIFY_WITH_TIMEOUT(manager.count("READY=1") == 1, 30000);
    // One round trip through jarvisd's event loop after READY: a 1 ms timer would have fired.
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT(
        (out += jarvisd.readAllStandardOutput()).contains("listening on"), 10000);
    const QRegularExpressionMatch url =
        QRegularExpression(QStringLiteral("listening on http://127\\.0\\.0\\.1:(\\d+)"))
            .match(QString::fromUtf8(out));
    QVERIFY(url.hasMatch());
    const auto health = jarvis::test::exchange(quint16(url.captured(1).toUInt()),
        "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    QVERIFY(health.received.startsWith("HTTP/1.1 200"));
    ::kill(pid_t(jarvisd.processId()), SIGTERM);
    QVERIFY(jarvisd.waitForFinished(15000));
    QCOMPARE(jarvisd.exitCode(), 0);
    QCOMPARE(manager.count("STOPPING=1"), 1);
    QCOMPARE(manager.count("WATCHDOG=1"), 0);
}

void TestSystemd::journalPriorities_data()
{
    QTest::addColumn<bool>("journal");
    QTest::addRow("stderr is the journal stream") << true;
    QTest::addRow("JOURNAL_STREAM names another stream") << false;
}

// With stderr on the journal stream, Qt messages carry the sd-daemon priority before the
// category ("<6>jarvis.auth: login failed ..."); on any other stderr they are as Qt writes them.
void TestSystemd::journalPriorities()
{
    QFETCH(bool, journal);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString errPath = dir.filePath(QStringLiteral("stderr"));
    {
        QFile create(errPath);
        QVERIFY(create.open(QIODevice::WriteOnly));
    }
    struct stat st = {};
    QCOMPARE(::stat(QFile::encodeName(errPath).constData(), &st), 0);

    QProcess jarvisd;
    QProcessEnvironment env = baseEnv();
    env.insert(QStringLiteral("JOURNAL_STREAM"),
        QStringLiteral("%1:%2")
            .arg(qulonglong(st.st_dev))
            .arg(qulonglong(st.st_ino) + (journal ? 0 : 1)));
    jarvisd.setProcessEnvironment(env);
    jarvisd.setStandardErrorFile(errPath, QIODevice::Append);
    jarvisd.start(Jarvisd, DemoArgs);
    QVERIFY(jarvisd.waitForStarted(10000));
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += jarvisd.readAllStandardOutput()).contains("password"), 30000);
    const QRegularExpressionMatch url =
        QRegularExpression(QStringLiteral("listening on http://127\\.0\\.0\\.1:(\\d+)"))
            .match(QString::fromUtf8(out));
    QVERIFY(url.hasMatch());
    const QByteArray body = R"({"username":"admin","password":"not the password"})";
    const auto login = jarvis::test::exchange(quint16(url.captured(1).toUInt()),
        "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        "Content-Type: application/json\r\nContent-Length: "
            + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QVERIFY2(login.received.startsWith("HTTP/1.1 401"), login.received.constData());
    ::kill(pid_t(jarvisd.processId()), SIGTERM);
    QVERIFY(jarvisd.waitForFinished(15000));
    QCOMPARE(jarvisd.exitCode(), 0);

    QFile err(errPath);
    QVERIFY(err.open(QIODevice::ReadOnly));
    const QByteArray text = err.readAll();
    const QByteArray line =
        journal ? "\n<6>jarvis.auth: login failed from" : "\njarvis.auth: login failed from";
    QVERIFY2(("\n" + text).contains(line), text.constData());
    if (!journal)
        QVERIFY2(!text.contains("\n<"), text.constData());
}

QTEST_GUILESS_MAIN(TestSystemd)
#include "tst_systemd.moc"
