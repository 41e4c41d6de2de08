// libssh on the Qt event loop (Connection, ShellChannel, ExecChannel, Pool), against a real OpenSSH
// sshd on a loopback port (SshdFixture), plus the UTF-8 splitter the terminal layer uses.

#include "core/clock.h"
#include "processmemory.h"
#include "sanitizer.h"
#include "ssh/connection.h"
#include "ssh/logging.h"
#include "ssh/pool.h"
#include "ssh/utf8splitter.h"
#include "sshdfixture.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QHostInfo>
#include <QLoggingCategory>
#include <QPointer>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>
#include <QTimer>

#include <climits>
#include <deque>
#include <memory>
#include <optional>

#include <signal.h>
#include <sys/resource.h>

using namespace jarvis::ssh;
using jarvis::core::ManualClock;

namespace {

constexpr int ConnectWaitMs = 20000;

using jarvis::test::seqBytes;

// VmRSS in KiB, all of it or only what is in use (tests/support/processmemory.h); -1 when
// /proc/self/status cannot be read (the memory test fails then).
qint64 rssKiB()
{
    const qint64 bytes = jarvis::test::residentBytes();
    return bytes < 0 ? -1 : bytes / 1024;
}

qint64 liveRssKiB()
{
    const qint64 bytes = jarvis::test::liveResidentBytes();
    return bytes < 0 ? -1 : bytes / 1024;
}

qint64 cpuMs()
{
    rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000
        + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
}

QString commOf(qint64 pid)
{
    QFile comm(QStringLiteral("/proc/%1/comm").arg(pid));
    return comm.open(QIODevice::ReadOnly) ? QString::fromLatin1(comm.readAll().trimmed())
                                          : QString();
}

ShellOptions sized(int cols, int rows)
{
    ShellOptions options;
    options.cols = cols;
    options.rows = rows;
    return options;
}

bool isValidUtf8(const QByteArray &bytes)
{
    return QString::fromUtf8(bytes).toUtf8() == bytes;
}

struct Attempt
{
    std::unique_ptr<Connection> connection;
    std::optional<Error> error;
    qint64 elapsedMs = 0;
    bool connected() const { return connection && connection->isConnected(); }
};

Attempt connectNow(const ConnectionOptions &options, int timeoutMs = ConnectWaitMs)
{
    Attempt attempt;
    attempt.connection = std::make_unique<Connection>(options);
    QSignalSpy ok(attempt.connection.get(), &Connection::connected);
    QSignalSpy failed(attempt.connection.get(), &Connection::errorOccurred);
    QElapsedTimer timer;
    timer.start();
    attempt.connection->connectToHost();
    (void)QTest::qWaitFor([&] { return ok.count() + failed.count() > 0; }, timeoutMs);
    attempt.elapsedMs = timer.elapsed();
    if (!failed.isEmpty())
        attempt.error = failed.first().first().value<Error>();
    return attempt;
}

std::optional<Result<ExecResult>> execNow(Connection &connection, const QString &command,
    const ExecOptions &options = {}, int waitMs = 30000)
{
    QObject context; // the callback can never outlive this function
    std::optional<Result<ExecResult>> out;
    connection.exec(command, options, &context, [&out](const Result<ExecResult> &r) { out = r; });
    (void)QTest::qWaitFor([&] { return out.has_value(); }, waitMs);
    return out;
}

Result<Connection *> acquireNow(Pool &pool, const QString &node, int waitMs = ConnectWaitMs)
{
    QObject context;
    std::optional<Result<Connection *>> out;
    pool.acquire(node, &context, [&out](const Result<Connection *> &r) { out = r; });
    if (!QTest::qWaitFor([&] { return out.has_value(); }, waitMs))
        return Result<Connection *>::failure(
            {Error::Kind::Timeout, QStringLiteral("test: no answer")});
    return *out;
}

// Records what a shell channel reports.
struct ShellProbe
{
    QByteArray output;
    QList<QByteArray> chunks;
    bool opened = false;
    int exitStatus = INT_MIN;
    std::optional<Error> error;

    void watch(ShellChannel *shell)
    {
        QObject::connect(shell, &ShellChannel::opened, shell, [this] { opened = true; });
        QObject::connect(shell, &ShellChannel::dataReceived, shell, [this](const QByteArray &data) {
            output += data;
            chunks.append(data);
        });
        QObject::connect(
            shell, &ShellChannel::closed, shell, [this](int status) { exitStatus = status; });
        QObject::connect(
            shell, &ShellChannel::errorOccurred, shell, [this](const Error &e) { error = e; });
    }
    bool ended() const { return exitStatus != INT_MIN || error.has_value(); }
};

} // namespace

class TestSsh : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void utf8SplitterEverySplitPoint_data();
    void utf8SplitterEverySplitPoint();
    void utf8SplitterInvalidBytes_data();
    void utf8SplitterInvalidBytes();

    void prefersAesGcm();
    void libsshLogFollowsTheRules_data();
    void libsshLogFollowsTheRules();
    void exec_data();
    void exec();
    void execTruncatesAtBound();
    void execTimeout();
    void shellRoundTripAndExitStatus();
    void shellResize();
    void shellResizeAndInputBeforeOpen();
    void utf8SplitAcrossReads();
    void largeInputIsQueuedAndComplete();
    void oneConnectionForShellsAndExec();
    void resizeStormAndBulkInputSpareOtherChannels_data();
    void resizeStormAndBulkInputSpareOtherChannels();

    void hostKeys_data();
    void hostKeys();
    void trustOnFirstUseThenStrict();
    void hostKeyLookupUsesConfiguredName();
    void authErrors_data();
    void authErrors();
    void connectErrors_data();
    void connectErrors();
    void poolErrors();

    void keepaliveDetectsFrozenServer();
    void connectDeadline();
    void serverKilledMidSession();

    void flowControlBoundsMemory();
    void pausedChannelDoesNotStallOthers();
    void eventLoopKeepsTurning_data();
    void eventLoopKeepsTurning();

private:
    ConnectionOptions options() const { return options(*m_sshd); }
    static ConnectionOptions options(const SshdFixture &sshd);
    PoolOptions poolOptions() const;

    std::unique_ptr<SshdFixture> m_sshd;
};

ConnectionOptions TestSsh::options(const SshdFixture &sshd)
{
    ConnectionOptions o;
    o.host = sshd.host();
    o.port = sshd.port();
    o.user = SshdFixture::user();
    o.keyFile = sshd.clientKeyFile();
    o.knownHostsFile = sshd.knownHostsFile();
    return o;
}

PoolOptions TestSsh::poolOptions() const
{
    PoolOptions o;
    o.user = SshdFixture::user();
    o.keyFile = m_sshd->clientKeyFile();
    o.knownHostsFile = m_sshd->knownHostsFile();
    return o;
}

void TestSsh::initTestCase()
{
    if (!SshdFixture::isAvailable())
        QFAIL("OpenSSH sshd or ssh-keygen is missing: make deps installs openssh-server");
    m_sshd = std::make_unique<SshdFixture>();
    QVERIFY2(m_sshd->setUp(), qPrintable(m_sshd->error()));
    qInfo("sshd %lld on 127.0.0.1:%d, host key %s", m_sshd->pid(), m_sshd->port(),
        qPrintable(m_sshd->hostKeyFingerprint()));
}

// ---- Utf8Splitter ----------------------------------------------------------------------------

void TestSsh::utf8SplitterEverySplitPoint_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addRow("2-byte") << QByteArray("h\xc3\xa9llo");
    QTest::addRow("3-byte") << QByteArray("\xe2\x82\xac uro");
    QTest::addRow("4-byte") << QByteArray("\xf0\x9f\x98\x80!");
    QTest::addRow("only multi-byte") << QByteArray("\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9");
    QTest::addRow("mixed") << QByteArray(
        "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac b");
}

// Every way of cutting the text in three pieces gives complete characters only, and all bytes.
void TestSsh::utf8SplitterEverySplitPoint()
{
    QFETCH(QByteArray, text);
    for (qsizetype i = 0; i <= text.size(); ++i) {
        for (qsizetype j = i; j <= text.size(); ++j) {
            Utf8Splitter splitter;
            QByteArray joined;
            for (const QByteArray &piece : {text.left(i), text.mid(i, j - i), text.mid(j)}) {
                const QByteArray out = splitter.feed(piece);
                QVERIFY2(
                    isValidUtf8(out), qPrintable(QStringLiteral("cut at %1/%2").arg(i).arg(j)));
                joined += out;
            }
            QCOMPARE(splitter.pendingSize(), 0);
            QCOMPARE(joined, text);
        }
    }
    Utf8Splitter byByte;
    QByteArray joined;
    for (char c : text)
        joined += byByte.feed(QByteArray(1, c));
    QCOMPARE(joined, text);
}

void TestSsh::utf8SplitterInvalidBytes_data()
{
    QTest::addColumn<QByteArrayList>("pieces");
    QTest::addColumn<QByteArrayList>("outputs");
    QTest::addColumn<QByteArray>("flushed");
    QTest::addRow("stray continuation byte passes at once") << QByteArrayList {"a\x80"
                                                                               "b"}
                                                            << QByteArrayList {"a\x80"
                                                                               "b"}
                                                            << QByteArray();
    QTest::addRow("four continuation bytes") << QByteArrayList {"\x80\x80\x80\x80"}
                                             << QByteArrayList {"\x80\x80\x80\x80"} << QByteArray();
    QTest::addRow("invalid lead FF")
        << QByteArrayList {"x\xff"} << QByteArrayList {"x\xff"} << QByteArray();
    QTest::addRow("over-long lead C0")
        << QByteArrayList {"\xc0"} << QByteArrayList {"\xc0"} << QByteArray();
    QTest::addRow("over-long E0 80")
        << QByteArrayList {"x\xe0\x80"} << QByteArrayList {"x\xe0\x80"} << QByteArray();
    QTest::addRow("surrogate ED A0")
        << QByteArrayList {"\xed\xa0"} << QByteArrayList {"\xed\xa0"} << QByteArray();
    QTest::addRow("above U+10FFFF F4 90")
        << QByteArrayList {"\xf4\x90"} << QByteArrayList {"\xf4\x90"} << QByteArray();
    QTest::addRow("truncated sequence, then ASCII") << QByteArrayList {"ab\xe2\x82", "c"}
                                                    << QByteArrayList {"ab",
                                                           "\xe2\x82"
                                                           "c"}
                                                    << QByteArray();
    QTest::addRow("lead held until the stream ends")
        << QByteArrayList {"ok\xf0\x9f"} << QByteArrayList {"ok"} << QByteArray("\xf0\x9f");
}

// Bytes that can never become a valid character are passed through for the decoder to replace
// (QString::fromUtf8 makes them U+FFFD); only a possibly-valid incomplete tail is held back.
void TestSsh::utf8SplitterInvalidBytes()
{
    QFETCH(QByteArrayList, pieces);
    QFETCH(QByteArrayList, outputs);
    QFETCH(QByteArray, flushed);
    Utf8Splitter splitter;
    QByteArrayList got;
    for (const QByteArray &piece : pieces)
        got.append(splitter.feed(piece));
    QCOMPARE(got, outputs);
    QCOMPARE(splitter.flush(), flushed);
    QCOMPARE(splitter.pendingSize(), 0);
}

// ---- exec ------------------------------------------------------------------------------------

void TestSsh::exec_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QByteArray>("stdOut");
    QTest::addColumn<QByteArray>("stdErr");
    QTest::addColumn<QString>("exitSignal");
    QTest::addRow("true") << "true" << 0 << QByteArray() << QByteArray() << QString();
    QTest::addRow("false") << "false" << 1 << QByteArray() << QByteArray() << QString();
    QTest::addRow("exit 7") << "exit 7" << 7 << QByteArray() << QByteArray() << QString();
    QTest::addRow("stdout and stderr") << "echo out; echo err >&2; exit 2" << 2
                                       << QByteArray("out\n") << QByteArray("err\n") << QString();
    QTest::addRow("binary output")
        << "printf 'a\\000b\\377'" << 0 << QByteArray("a\0b\xff", 4) << QByteArray() << QString();
    QTest::addRow("no input (EOF at start)")
        << "cat; echo done" << 0 << QByteArray("done\n") << QByteArray() << QString();
    QTest::addRow("killed by a signal")
        << "kill -TERM $$" << 128 + SIGTERM << QByteArray() << QByteArray() << "TERM";
}

// AES-GCM is offered first (fast with AES-NI for streaming terminals), and OpenSSH takes the
// client's first choice it supports.
void TestSsh::prefersAesGcm()
{
    Attempt a = connectNow(options());
    QVERIFY2(a.connected(), qPrintable(a.error ? a.error->message : QStringLiteral("no answer")));
    QCOMPARE(a.connection->cipherIn(), QStringLiteral("aes128-gcm@openssh.com"));
    QCOMPARE(a.connection->cipherOut(), QStringLiteral("aes128-gcm@openssh.com"));
    // What the terminal benchmark hands plain ssh: the same MAC (AEAD here) and key exchange.
    QCOMPARE(a.connection->macOut(), QStringLiteral("aead-gcm"));
    QVERIFY2(!a.connection->keyExchange().isEmpty(), "no key exchange named");
}

namespace {
// Messages of one logging category, collected while it lives (the previous handler still runs).
class CategoryLog
{
public:
    explicit CategoryLog(const char *category)
    {
        s_category = category;
        s_lines.clear();
        s_previous = qInstallMessageHandler(&CategoryLog::handle);
    }
    ~CategoryLog() { qInstallMessageHandler(s_previous); }
    QList<QPair<QtMsgType, QString>> lines() const { return s_lines; }

private:
    static void handle(QtMsgType type, const QMessageLogContext &context, const QString &text)
    {
        if (context.category && qstrcmp(context.category, s_category) == 0)
            s_lines.append({type, text});
        if (s_previous)
            s_previous(type, context, text);
    }
    static inline const char *s_category = nullptr;
    static inline QList<QPair<QtMsgType, QString>> s_lines;
    static inline QtMessageHandler s_previous = nullptr;
};
} // namespace

void TestSsh::libsshLogFollowsTheRules_data()
{
    QTest::addColumn<bool>("debug"); // the category's debug output on
    QTest::newRow("default: nothing") << false;
    QTest::newRow("debug on") << true;
}

// libssh's own log goes to the category jarvis.ssh.libssh as it is set when a session starts:
// nothing by default, packet by packet (types and sizes) with debug on, never what the channel
// carries. (Set on the category itself: QT_LOGGING_RULES, which ctest sets, outranks
// setFilterRules().)
void TestSsh::libsshLogFollowsTheRules()
{
    QFETCH(bool, debug);
    auto &category = const_cast<QLoggingCategory &>(lcLibssh());
    const auto restore = qScopeGuard([&category] {
        for (const QtMsgType type : {QtDebugMsg, QtInfoMsg, QtWarningMsg})
            category.setEnabled(type, false);
    });
    category.setEnabled(QtDebugMsg, debug);
    category.setEnabled(QtInfoMsg, false);
    category.setEnabled(QtWarningMsg, false);
    CategoryLog log("jarvis.ssh.libssh");
    Attempt a = connectNow(options());
    QVERIFY2(a.connected(), qPrintable(a.error ? a.error->message : QStringLiteral("no answer")));
    const QByteArray marker =
        "marker-" + QByteArray::number(QRandomGenerator::global()->generate());
    const auto result =
        execNow(*a.connection, QStringLiteral("echo ") + QString::fromLatin1(marker));
    QVERIFY(result && result->ok());
    QCOMPARE(result->value->stdOut, marker + '\n');
    for (const auto &line : log.lines())
        QVERIFY2(!line.second.contains(QString::fromLatin1(marker)), qPrintable(line.second));
    if (debug) {
        QVERIFY2(log.lines().size() > 10, qPrintable(QString::number(log.lines().size())));
        const auto sawPacket = std::any_of(log.lines().cbegin(), log.lines().cend(),
            [](const auto &line) { return line.second.contains(QLatin1String("packet")); });
        QVERIFY(sawPacket);
    } else {
        QCOMPARE(log.lines().size(), 0);
    }
}

void TestSsh::exec()
{
    QFETCH(QString, command);
    QFETCH(int, exitCode);
    QFETCH(QByteArray, stdOut);
    QFETCH(QByteArray, stdErr);
    QFETCH(QString, exitSignal);
    Attempt a = connectNow(options());
    QVERIFY2(a.connected(), qPrintable(a.error ? a.error->message : QStringLiteral("no answer")));
    const auto result = execNow(*a.connection, command);
    QVERIFY(result.has_value());
    QVERIFY2(result->ok(), qPrintable(result->error.message));
    QCOMPARE(result->value->exitCode, exitCode);
    QCOMPARE(result->value->stdOut, stdOut);
    QCOMPARE(result->value->stdErr, stdErr);
    QCOMPARE(result->value->exitSignal, exitSignal);
    QVERIFY(!result->value->truncated);
    QCOMPARE(a.connection->channelCount(), 0);
}

void TestSsh::execTruncatesAtBound()
{
    Attempt a = connectNow(options());
    QVERIFY(a.connected());
    ExecOptions options;
    options.maxOutputBytes = 1024 * 1024;
    const auto result =
        execNow(*a.connection, QStringLiteral("head -c 2000000 /dev/zero; echo done >&2"), options);
    QVERIFY(result && result->ok());
    QCOMPARE(result->value->exitCode, 0); // read to the end, so the command finished normally
    QVERIFY(result->value->truncated);
    QCOMPARE(result->value->stdOut.size(), 1024 * 1024);
    QCOMPARE(result->value->stdOut.count('\0'), 1024 * 1024);
    QCOMPARE(result->value->stdErr, QByteArray("done\n"));
}

void TestSsh::execTimeout()
{
    ManualClock clock; // the exec timeout runs on the connection's clock
    ConnectionOptions o = this->options();
    o.clock = &clock;
    Attempt a = connectNow(o);
    QVERIFY(a.connected());
    ExecOptions options;
    options.timeoutMs = 300;
    QObject context;
    std::optional<Result<ExecResult>> result;
    a.connection->exec(QStringLiteral("sleep 30"), options, &context,
        [&result](const Result<ExecResult> &r) { result = r; });
    // The command is running (its process exists) and has not timed out at 299 ms.
    QTRY_VERIFY_WITH_TIMEOUT(
        [this] {
            for (qint64 pid : m_sshd->sessionPids()) {
                if (commOf(pid) == QLatin1String("sleep"))
                    return true;
            }
            return false;
        }(),
        10000);
    clock.advance(299);
    QCoreApplication::processEvents();
    QVERIFY(!result.has_value());
    clock.advance(1);
    QTRY_VERIFY(result.has_value());
    QVERIFY(!result->ok());
    QCOMPARE(int(result->error.kind), int(Error::Kind::Timeout));
    QVERIFY2(result->error.message.contains(QLatin1String("timed out after 300 ms")),
        qPrintable(result->error.message));
    // The command is asked to stop (a "signal" request, then the channel closes). OpenSSH only
    // honours signal requests in privilege-separated sessions, which root logins are not.
    if (SshdFixture::user() == QLatin1String("root")) {
        QTRY_VERIFY(m_sshd->log().contains("session signalling requires privilege separation"));
        for (qint64 pid : m_sshd->sessionPids()) { // or it outlives the session
            if (commOf(pid) == QLatin1String("sleep"))
                ::kill(pid_t(pid), SIGKILL);
        }
    } else {
        QTRY_VERIFY_WITH_TIMEOUT(
            [this] {
                for (qint64 pid : m_sshd->sessionPids()) {
                    if (commOf(pid) == QLatin1String("sleep"))
                        return false;
                }
                return true;
            }(),
            5000);
    }
    QVERIFY(a.connection->isConnected());
    const auto after = execNow(*a.connection, QStringLiteral("echo still-here"));
    QVERIFY(after && after->ok());
    QCOMPARE(after->value->stdOut, QByteArray("still-here\n"));
}

// ---- shells ----------------------------------------------------------------------------------

void TestSsh::shellRoundTripAndExitStatus()
{
    Attempt a = connectNow(options());
    QVERIFY(a.connected());
    ShellProbe probe;
    std::unique_ptr<ShellChannel> shell(a.connection->openShell());
    probe.watch(shell.get());
    QTRY_VERIFY_WITH_TIMEOUT(probe.opened, 10000);
    QVERIFY(shell->isOpen());
    // The PTY echoes the input; only the shell's output has the computed text.
    shell->write("echo hel''lo-$((40+2))\n");
    QTRY_VERIFY_WITH_TIMEOUT(probe.output.contains("hello-42"), 10000);
    shell->write("echo $TERM\n");
    QTRY_VERIFY_WITH_TIMEOUT(probe.output.contains("xterm-256color"), 10000); // not in the echo
    shell->write("exit 3\n");
    QTRY_VERIFY_WITH_TIMEOUT(probe.ended(), 10000);
    QVERIFY2(!probe.error, qPrintable(probe.error ? probe.error->message : QString()));
    QCOMPARE(probe.exitStatus, 3);
    QCOMPARE(shell->state(), Channel::State::Closed);
    QVERIFY(a.connection->isConnected()); // a channel ending never ends the connection
}

void TestSsh::shellResize()
{
    Attempt a = connectNow(options());
    QVERIFY(a.connected());
    ShellProbe probe;
    std::unique_ptr<ShellChannel> shell(a.connection->openShell(sized(80, 24)));
    probe.watch(shell.get());
    QTRY_VERIFY_WITH_TIMEOUT(probe.opened, 10000);
    shell->write("stty size\n");
    QTRY_VERIFY_WITH_TIMEOUT(probe.output.contains("24 80"), 10000);
    shell->resize(100, 37);
    QCOMPARE(shell->cols(), 100);
    shell->write("stty size\n");
    QTRY_VERIFY_WITH_TIMEOUT(probe.output.contains("37 100"), 10000);
}

void TestSsh::shellResizeAndInputBeforeOpen()
{
    Attempt a = connectNow(options());
    QVERIFY(a.connected());
    ShellProbe probe;
    std::unique_ptr<ShellChannel> shell(a.connection->openShell(sized(80, 24)));
    probe.watch(shell.get());
    shell->resize(120, 40); // before the PTY request went out
    shell->write("stty size\n");
    QVERIFY(!probe.opened);
    QTRY_VERIFY_WITH_TIMEOUT(probe.output.contains("40 120"), 10000);

    // Resizes all through the opening (before, and while, the PTY request is in flight): the
    // last one wins once the shell is open.
    ShellProbe second;
    std::unique_ptr<ShellChannel> other(a.connection->openShell(sized(80, 24)));
    second.watch(other.get());
    QElapsedTimer timer;
    timer.start();
    int resizes = 0;
    while (!second.opened && !second.ended() && timer.elapsed() < 10000) {
        other->resize(91, 31);
        other->resize(90, 30);
        ++resizes;
        QTest::qWait(1);
    }
    QVERIFY(second.opened);
    other->write("stty size\n");
    QTRY_VERIFY_WITH_TIMEOUT(second.output.contains("30 90"), 10000);
    QVERIFY(resizes > 0);
}

void TestSsh::utf8SplitAcrossReads()
{
    Attempt a = connectNow(options());
    QVERIFY(a.connected());
    ShellOptions options;
    options.pty = false;
    // The euro sign (E2 82 AC) leaves the server in two writes, 300 ms apart.
    options.command = QStringLiteral("printf 'A\\342'; sleep 0.3; printf '\\202\\254B\\n'");
    ShellProbe probe;
    std::unique_ptr<ShellChannel> shell(a.connection->openShell(options));
    probe.watch(shell.get());
    QTRY_VERIFY_WITH_TIMEOUT(probe.ended(), 10000);
    QCOMPARE(probe.exitStatus, 0);
    QVERIFY2(probe.chunks.size() >= 2, qPrintable(QString::number(probe.chunks.size())));
    QVERIFY(probe.chunks.first().endsWith('\xe2')); // the raw channel does split the character

    Utf8Splitter splitter;
    QString text;
    for (const QByteArray &chunk : std::as_const(probe.chunks)) {
        const QByteArray piece = splitter.feed(chunk);
        QVERIFY(isValidUtf8(piece));
        text += QString::fromUtf8(piece);
    }
    QCOMPARE(splitter.pendingSize(), 0);
    QCOMPARE(text,
        QString::fromUtf8("A\xe2\x82\xac"
                          "B\n"));
}

// 8 MiB of input is more than the remote window (2 MB for OpenSSH sessions): the rest waits in
// the channel's queue and goes out as the window grows; EOF follows the last byte.
void TestSsh::largeInputIsQueuedAndComplete()
{
    Attempt a = connectNow(options());
    QVERIFY(a.connected());
    QByteArray input(8 * 1024 * 1024, Qt::Uninitialized);
    for (qsizetype i = 0; i < input.size(); ++i)
        input[i] = char((i * 7) ^ (i >> 13));
    ShellOptions so;
    so.pty = false;
    so.command = QStringLiteral("sha256sum");
    ShellProbe probe;
    std::unique_ptr<ShellChannel> shell(a.connection->openShell(so));
    probe.watch(shell.get());
    shell->write(input);
    shell->closeWriteChannel();
    shell->write("ignored after EOF");
    qsizetype maxQueuedWhileOpen = 0;
    QTimer sampler;
    sampler.setInterval(1);
    connect(&sampler, &QTimer::timeout, this, [&] {
        if (shell->isOpen())
            maxQueuedWhileOpen = qMax(maxQueuedWhileOpen, shell->bytesToWrite());
    });
    sampler.start();
    QTRY_VERIFY_WITH_TIMEOUT(probe.ended(), 30000);
    QVERIFY2(!probe.error, qPrintable(probe.error ? probe.error->message : QString()));
    QCOMPARE(probe.exitStatus, 0);
    QCOMPARE(shell->bytesToWrite(), 0);
    const QByteArray digest = QCryptographicHash::hash(input, QCryptographicHash::Sha256).toHex();
    QCOMPARE(probe.output, digest + "  -\n");
    qInfo("8 MiB written; up to %lld bytes seen waiting for the remote window",
        qint64(maxQueuedWhileOpen));
}

void TestSsh::resizeStormAndBulkInputSpareOtherChannels_data()
{
    QTest::addColumn<qint64>("total"); // bytes of input
    QTest::addColumn<QByteArray>("sshdConfig"); // empty: the suite's sshd; else a server of its own
    QTest::newRow("50 MiB") << 50LL * 1024 * 1024 << QByteArray();
    // sshd starts a key exchange after every MiB in either direction (OpenSSH's default is 1 GiB
    // for chacha20-poly1305 and 64 GiB for AES-GCM): channel data, window adjusts, window-changes
    // and keepalives (one a second here) then wait in libssh's queue while the keys change
    // (LogLevel DEBUG1 lets the test count the exchanges in sshd's log).
    QTest::newRow("16 MiB, sshd rekeys every MiB")
        << 16LL * 1024 * 1024 << QByteArray("RekeyLimit 1M\nLogLevel DEBUG1\n");
}

// Issue 4 at the SSH layer: one shell gets its whole input queued at once (so its remote window
// is used up again and again) and a resize on every turn of the loop, while a second shell on the
// same connection echoes numbered lines and commands run on exec channels. Every byte arrives in
// order, the storm's last size is the one in force, and the other channels and the connection
// are unharmed. The first version of the SSH layer (resize, input and keepalive written to libssh
// from the callers' handlers) passes this too, with and without rekeying: see ARCHITECTURE.md's
// libssh trap for what was ruled out as the cause of the "Packet len too high".
void TestSsh::resizeStormAndBulkInputSpareOtherChannels()
{
    QFETCH(qint64, total);
    QFETCH(QByteArray, sshdConfig);
    std::unique_ptr<SshdFixture> own;
    if (!sshdConfig.isEmpty()) {
        own = std::make_unique<SshdFixture>(sshdConfig);
        QVERIFY2(own->setUp(), qPrintable(own->error()));
    }
    const SshdFixture &sshd = own ? *own : *m_sshd;
    const int keyExchangesBefore = sshd.logCount("SSH2_MSG_NEWKEYS received");
    ConnectionOptions o = options(sshd);
    if (own)
        o.keepaliveMs = 1000; // keepalive requests go out during the storm and the rekeys too
    Attempt a = connectNow(o);
    QVERIFY(a.connected());
    ShellProbe bulk;
    std::unique_ptr<ShellChannel> shellA(a.connection->openShell(sized(80, 24)));
    bulk.watch(shellA.get());
    ShellProbe echo;
    std::unique_ptr<ShellChannel> shellB(a.connection->openShell(sized(80, 24)));
    echo.watch(shellB.get());
    QTRY_VERIFY_WITH_TIMEOUT(bulk.opened && echo.opened, 10000);
    shellA->write("stty raw -echo; echo A''-READY; head -c " + QByteArray::number(total)
        + " | sha256sum; stty sane; stty size; echo A''-ALIVE\n");
    QTRY_VERIFY_WITH_TIMEOUT(bulk.output.contains("A-READY"), 10000);

    QByteArray input(total, Qt::Uninitialized);
    for (qsizetype i = 0; i < input.size(); ++i)
        input[i] = char('a' + (i * 7 + (i >> 12)) % 26);
    shellA->write(input);
    int echoed = 0;
    int execs = 0;
    int execsOk = 0;
    int turn = 0;
    QObject context;
    shellB->write("echo B''-1.\n");
    QElapsedTimer clock;
    clock.start();
    // The storm goes on until the input is through and the other shell has answered at least
    // once (a short run on a loaded machine can end before its first echo comes back).
    while ((!bulk.output.contains("A-ALIVE") || echoed == 0) && !bulk.ended() && !echo.ended()
        && clock.elapsed() < 120000) {
        ++turn;
        shellA->resize(80 + turn % 17, 24 + turn % 9);
        if (echo.output.contains("B-" + QByteArray::number(echoed + 1) + '.')) {
            ++echoed;
            shellB->write("echo B''-" + QByteArray::number(echoed + 1) + ".\n");
        }
        if (execs == execsOk && turn % 20 == 0) {
            ++execs;
            a.connection->exec(
                QStringLiteral("echo exec-ok"), {}, &context, [&](const Result<ExecResult> &r) {
                    execsOk += r.ok() && r.value->stdOut == "exec-ok\n" ? 1 : 0;
                });
        }
        QTest::qWait(1);
    }
    shellA->resize(123, 45);
    QVERIFY2(!bulk.error, qPrintable(bulk.error ? bulk.error->message : QString()));
    QVERIFY2(!echo.error, qPrintable(echo.error ? echo.error->message : QString()));
    QVERIFY2(bulk.output.contains("A-ALIVE"), bulk.output.right(300).constData());
    const QByteArray digest = QCryptographicHash::hash(input, QCryptographicHash::Sha256).toHex();
    QVERIFY(bulk.output.contains(digest));
    const int before = echoed;
    QTRY_VERIFY_WITH_TIMEOUT(
        echo.output.contains("B-" + QByteArray::number(before + 1) + '.'), 10000);
    QTRY_COMPARE_WITH_TIMEOUT(execsOk, execs, 10000);
    QVERIFY(echoed > 0);
    QVERIFY(execs > 0);
    shellA->write("stty size\n");
    QTRY_VERIFY_WITH_TIMEOUT(bulk.output.contains("45 123"), 10000);
    QVERIFY(a.connection->isConnected());
    QCOMPARE(a.connection->channelCount(), 2);
    const int keyExchanges = sshd.logCount("SSH2_MSG_NEWKEYS received") - keyExchangesBefore;
    if (own) // the first exchange is the one at login; the rest are rekeys
        QVERIFY2(
            keyExchanges > total / (4 * 1024 * 1024), qPrintable(QString::number(keyExchanges)));
    qInfo("%lld MiB in %lld ms with %d resizes; the other shell echoed %d lines, %d execs ran%s",
        total >> 20, clock.elapsed(), turn, echoed, execs,
        own ? qPrintable(QStringLiteral(", %1 key exchanges").arg(keyExchanges)) : "");
}

// Two shells and an exec to one node share one SSH connection: sshd logs one login.
void TestSsh::oneConnectionForShellsAndExec()
{
    const int loginsBefore = m_sshd->acceptedLogins();
    Pool pool(poolOptions(), {{QStringLiteral("Local"), m_sshd->host(), m_sshd->port()}});
    const Result<Connection *> acquired = acquireNow(pool, QStringLiteral("LOCAL")); // any case
    QVERIFY2(acquired.ok(), qPrintable(acquired.error.message));
    Connection *connection = *acquired.value;
    QCOMPARE(pool.connectedNodes(), QStringList {QStringLiteral("Local")});

    ShellProbe probeA, probeB;
    auto *shellA = connection->openShell({}, this);
    auto *shellB = connection->openShell({}, this);
    probeA.watch(shellA);
    probeB.watch(shellB);
    QObject context;
    std::optional<Result<ExecResult>> execResult;
    pool.exec(QStringLiteral("local"), QStringLiteral("echo from-exec"), {}, &context,
        [&](const Result<ExecResult> &r) { execResult = r; });
    shellA->write("echo shell-$((1+1))-a\n");
    shellB->write("echo shell-$((1+2))-b\n");
    QTRY_VERIFY_WITH_TIMEOUT(probeA.output.contains("shell-2-a"), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(probeB.output.contains("shell-3-b"), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(execResult.has_value(), 10000);
    QVERIFY(execResult->ok());
    QCOMPARE(execResult->value->stdOut, QByteArray("from-exec\n"));
    QCOMPARE(connection->channelCount(), 2);

    // Closing a shell keeps the connection; the other shell still works.
    delete shellA;
    QCOMPARE(connection->channelCount(), 1);
    shellB->write("echo still-$((2+2))\n");
    QTRY_VERIFY_WITH_TIMEOUT(probeB.output.contains("still-4"), 10000);
    QVERIFY(connection->isConnected());

    // The next shell reuses the pooled connection.
    const Result<Connection *> again = acquireNow(pool, QStringLiteral("local"));
    QVERIFY(again.ok());
    QCOMPARE(*again.value, connection);
    ShellProbe probeC;
    std::unique_ptr<ShellChannel> shellC(connection->openShell());
    probeC.watch(shellC.get());
    shellC->write("echo third-$((3*3))\n");
    QTRY_VERIFY_WITH_TIMEOUT(probeC.output.contains("third-9"), 10000);
    shellB->close();
    QVERIFY(!probeB.ended()); // closing locally emits nothing

    QCOMPARE(m_sshd->acceptedLogins() - loginsBefore, 1);
    delete shellB;
}

// ---- host keys, authentication, connect errors ------------------------------------------------

void TestSsh::hostKeys_data()
{
    QTest::addColumn<bool>("strict");
    QTest::addColumn<QString>("knownHosts"); // right | empty | missing | wrong
    QTest::addColumn<bool>("accepted");
    QTest::addColumn<QString>("messagePart");
    QTest::addRow("strict, known key") << true << "right" << true << QString();
    QTest::addRow("strict, unknown key (empty file)") << true << "empty" << false << "not known";
    QTest::addRow("strict, unknown key (no file)") << true << "missing" << false << "not known";
    QTest::addRow("strict, changed key") << true << "wrong" << false << "CHANGED";
    QTest::addRow("trust on first use, changed key") << false << "wrong" << false << "CHANGED";
    QTest::addRow("trust on first use, known key") << false << "right" << true << QString();
}

void TestSsh::hostKeys()
{
    QFETCH(bool, strict);
    QFETCH(QString, knownHosts);
    QFETCH(bool, accepted);
    QFETCH(QString, messagePart);
    ConnectionOptions o = options();
    o.strictHostKeys = strict;
    if (knownHosts == QLatin1String("empty"))
        o.knownHostsFile = m_sshd->emptyKnownHostsFile();
    else if (knownHosts == QLatin1String("missing"))
        o.knownHostsFile = m_sshd->path(QStringLiteral("no-such-known-hosts"));
    else if (knownHosts == QLatin1String("wrong"))
        o.knownHostsFile = m_sshd->wrongKnownHostsFile();
    QFile file(o.knownHostsFile);
    const QByteArray before = file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    file.close();

    const int loginsBefore = m_sshd->acceptedLogins();
    Attempt a = connectNow(o);
    if (accepted) {
        QVERIFY2(a.connected(), qPrintable(a.error ? a.error->message : QString()));
        QCOMPARE(a.connection->hostKeyFingerprint(), m_sshd->hostKeyFingerprint());
        return;
    }
    QVERIFY(a.error.has_value());
    QCOMPARE(int(a.error->kind), int(Error::Kind::HostKey));
    QVERIFY2(a.error->message.contains(m_sshd->hostKeyFingerprint()), qPrintable(a.error->message));
    QVERIFY2(a.error->message.contains(messagePart), qPrintable(a.error->message));
    QCOMPARE(a.connection->state(), Connection::State::Disconnected);
    qInfo("%s", qPrintable(a.error->message));
    // Refused before authentication, and the file was left alone.
    QCOMPARE(m_sshd->acceptedLogins(), loginsBefore);
    QFile again(o.knownHostsFile);
    QCOMPARE(again.open(QIODevice::ReadOnly) ? again.readAll() : QByteArray(), before);
}

void TestSsh::trustOnFirstUseThenStrict()
{
    ConnectionOptions o = options();
    o.knownHostsFile = m_sshd->path(QStringLiteral("tofu/known_hosts")); // neither file nor folder
    o.strictHostKeys = false;
    Attempt first = connectNow(o);
    QVERIFY2(first.connected(), qPrintable(first.error ? first.error->message : QString()));
    QFile file(o.knownHostsFile);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray recorded = file.readAll();
    file.close();
    QCOMPARE(recorded, m_sshd->knownHostsLine());

    // From now on the key is known: strict mode accepts it, and a second first use adds nothing.
    o.strictHostKeys = true;
    Attempt strict = connectNow(o);
    QVERIFY2(strict.connected(), qPrintable(strict.error ? strict.error->message : QString()));
    o.strictHostKeys = false;
    Attempt again = connectNow(o);
    QVERIFY(again.connected());
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), recorded);
}

// known_hosts is matched under the configured host name (and port), not the address it resolved to.
void TestSsh::hostKeyLookupUsesConfiguredName()
{
    if (QHostInfo::fromName(QStringLiteral("localhost")).addresses().isEmpty())
        QSKIP("localhost does not resolve here");
    ConnectionOptions o = options();
    o.knownHostsFile = m_sshd->writeKnownHosts(
        QStringLiteral("known_hosts.byname"), m_sshd->knownHostsLine(QStringLiteral("localhost")));
    o.host = QStringLiteral("localhost"); // may resolve to ::1 first: the next address is tried
    Attempt byName = connectNow(o);
    QVERIFY2(byName.connected(), qPrintable(byName.error ? byName.error->message : QString()));
    QCOMPARE(byName.connection->peerAddress(), QHostAddress(QHostAddress::LocalHost));

    o.host = QStringLiteral("127.0.0.1");
    Attempt byAddress = connectNow(o);
    QVERIFY(byAddress.error.has_value());
    QCOMPARE(int(byAddress.error->kind), int(Error::Kind::HostKey));
}

void TestSsh::authErrors_data()
{
    QTest::addColumn<QString>("key"); // other | missing | garbage
    QTest::addColumn<QString>("messagePart");
    QTest::addRow("key not authorized") << "other"
                                        << "refused the key";
    QTest::addRow("no key file") << "missing"
                                 << "no such file";
    QTest::addRow("not a key") << "garbage"
                               << "not an unencrypted private key";
}

void TestSsh::authErrors()
{
    QFETCH(QString, key);
    QFETCH(QString, messagePart);
    ConnectionOptions o = options();
    if (key == QLatin1String("other")) {
        o.keyFile = m_sshd->otherClientKeyFile();
    } else if (key == QLatin1String("missing")) {
        o.keyFile = m_sshd->path(QStringLiteral("no-such-key"));
    } else {
        o.keyFile = m_sshd->path(QStringLiteral("garbage_key"));
        QFile garbage(o.keyFile);
        QVERIFY(garbage.open(QIODevice::WriteOnly));
        garbage.write(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nnonsense\n-----END OPENSSH PRIVATE KEY-----\n");
    }
    Attempt a = connectNow(o);
    QVERIFY(a.error.has_value());
    QCOMPARE(int(a.error->kind), int(Error::Kind::Auth));
    QVERIFY2(a.error->message.contains(messagePart), qPrintable(a.error->message));
    qInfo("%s", qPrintable(a.error->message));
}

void TestSsh::connectErrors_data()
{
    QTest::addColumn<QString>("host");
    QTest::addColumn<QString>("port"); // closed | silent | sshd
    QTest::addColumn<int>("timeoutMs");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("message"); // a part of the error's message
    // A refused connection fails as Connect (not by running into the 10 s deadline), a name that
    // does not resolve as Resolve, a server that never speaks by the (short) deadline.
    QTest::addRow("nobody listening")
        << "127.0.0.1"
        << "closed" << 10000 << int(Error::Kind::Connect) << QString();
    QTest::addRow("unresolvable host") << "no-such-host.invalid"
                                       << "sshd" << 15000 << int(Error::Kind::Resolve) << QString();
    QTest::addRow("server never answers")
        << "127.0.0.1"
        << "silent" << 500 << int(Error::Kind::Timeout) << QStringLiteral("timed out after 500 ms");
}

void TestSsh::connectErrors()
{
    QFETCH(QString, host);
    QFETCH(QString, port);
    QFETCH(int, timeoutMs);
    QFETCH(int, kind);
    QFETCH(QString, message);
    QTcpServer silent; // accepts (the kernel does) and never says a word
    ConnectionOptions o = options();
    o.host = host;
    o.connectTimeoutMs = timeoutMs;
    if (port == QLatin1String("silent")) {
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        o.port = silent.serverPort();
    } else if (port == QLatin1String("closed")) {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        o.port = probe.serverPort();
        probe.close();
    }
    Attempt a = connectNow(o);
    QVERIFY(a.error.has_value());
    QCOMPARE(int(a.error->kind), kind);
    QVERIFY2(a.error->message.contains(message), qPrintable(a.error->message));
    QCOMPARE(a.connection->state(), Connection::State::Disconnected);
    qInfo("%s (%lld ms)", qPrintable(a.error->message), a.elapsedMs);
}

void TestSsh::poolErrors()
{
    Pool pool(poolOptions(), {{QStringLiteral("pve1"), m_sshd->host(), m_sshd->port()}});
    const Result<Connection *> unknown = acquireNow(pool, QStringLiteral("nope"));
    QVERIFY(!unknown.ok());
    QCOMPARE(int(unknown.error.kind), int(Error::Kind::NotConfigured));
    QCOMPARE(unknown.error.message, QStringLiteral("unknown node: nope"));
    QVERIFY(pool.hasNode(QStringLiteral("PVE1")));
    QCOMPARE(pool.target(QStringLiteral("Pve1"))->port, m_sshd->port());

    Pool unconfigured(PoolOptions {}, {});
    QVERIFY(!unconfigured.isConfigured());
    const Result<Connection *> none = acquireNow(unconfigured, QStringLiteral("pve1"));
    QVERIFY(!none.ok());
    QCOMPARE(none.error.message, QStringLiteral("SSH is not configured for this node"));

    // An exec on an unknown node reports the same error through the exec callback.
    QObject context;
    std::optional<Result<ExecResult>> result;
    pool.exec(QStringLiteral("nope"), QStringLiteral("true"), {}, &context,
        [&](const Result<ExecResult> &r) { result = r; });
    QTRY_VERIFY(result.has_value());
    QCOMPARE(int(result->error.kind), int(Error::Kind::NotConfigured));
}

// ---- dead servers ----------------------------------------------------------------------------

// A server that stops answering while TCP stays up (processes frozen; the kernel still
// acknowledges) is found by the SSH keepalive: three intervals of silence.
void TestSsh::keepaliveDetectsFrozenServer()
{
    ManualClock clock; // keepalive interval and silence, stepped here
    ConnectionOptions o = options();
    o.keepaliveMs = 200;
    o.clock = &clock;
    Attempt a = connectNow(o);
    QVERIFY(a.connected());
    ShellProbe probe;
    std::unique_ptr<ShellChannel> shell(a.connection->openShell());
    probe.watch(shell.get());
    QTRY_VERIFY_WITH_TIMEOUT(probe.opened, 10000);
    // Idle but alive: every keepalive is answered, so ten intervals (three of silence count as
    // dropped) pass without a drop; and nothing spins: a keepalive takes a few pump passes (the
    // timer's, the answer's), not thousands (a write notifier left enabled fires on every turn
    // of the event loop).
    QSignalSpy dropped(a.connection.get(), &Connection::disconnected);
    constexpr quint64 Keepalives = 10;
    constexpr quint64 MaxPumpsPerKeepalive = 8;
    const quint64 keepalivesBefore = a.connection->keepalivesSent();
    const quint64 pumpsBefore = a.connection->pumpCount();
    const qint64 cpuBefore = cpuMs();
    quint64 bytesAtLastTick = 0;
    for (quint64 i = 1; i <= Keepalives; ++i) {
        const quint64 received = a.connection->bytesReceived();
        bytesAtLastTick = received; // reads happen in the event loop, never inside advance()
        clock.advance(200);
        QTRY_COMPARE_WITH_TIMEOUT(a.connection->keepalivesSent(), keepalivesBefore + i, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(a.connection->bytesReceived() > received, 10000); // answered
        QCOMPARE(dropped.count(), 0);
    }
    const quint64 pumps = a.connection->pumpCount() - pumpsBefore;
    QVERIFY2(pumps <= Keepalives * MaxPumpsPerKeepalive,
        qPrintable(QStringLiteral("%1 pump passes for %2 keepalives").arg(pumps).arg(Keepalives)));
    qInfo("idle, %llu keepalives: %llu pump passes, %lld ms CPU", Keepalives, pumps,
        cpuMs() - cpuBefore);

    // Frozen: a keepalive tick that finds bytes read since the previous tick counts as an
    // answer; three intervals after the last such tick, and not one step earlier, the connection
    // counts as dropped. What the server wrote just before it froze (the shell's prompt, the
    // last answer) may still be read after the freeze, so the test counts exactly as the
    // connection does: bytesReceived() just before advance() is what the tick sees, since bytes
    // are only read in the event loop.
    m_sshd->signalSessions(SIGSTOP);
    int ticksSinceAnswer = 0;
    int ticks = 0;
    while (dropped.isEmpty() && ticks < 20) {
        const quint64 bytes = a.connection->bytesReceived();
        ticksSinceAnswer = bytes != bytesAtLastTick ? 0 : ticksSinceAnswer + 1;
        bytesAtLastTick = bytes;
        clock.advance(200);
        ++ticks;
        if (ticksSinceAnswer < 3) {
            QCOMPARE(dropped.count(), 0);
            QCoreApplication::processEvents(); // what came in is read (now or at a later tick)
        }
    }
    QCOMPARE(ticksSinceAnswer, 3);
    QCOMPARE(dropped.count(), 1);
    m_sshd->signalSessions(SIGCONT);
    const Error reason = dropped.first().first().value<Error>();
    QCOMPARE(int(reason.kind), int(Error::Kind::Dropped));
    QVERIFY2(
        reason.message.contains(QLatin1String("no answer for 600 ms")), qPrintable(reason.message));
    QVERIFY(probe.error.has_value());
    QCOMPARE(int(probe.error->kind), int(Error::Kind::Dropped));
}

// The connect deadline runs on the connection's clock: a server that accepts TCP and never
// speaks fails the attempt exactly when the deadline passes.
void TestSsh::connectDeadline()
{
    QTcpServer silent; // accepts (the kernel does) and never says a word
    QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
    ManualClock clock;
    ConnectionOptions o = options();
    o.port = silent.serverPort();
    o.connectTimeoutMs = 500;
    o.clock = &clock;
    Connection connection(o);
    QSignalSpy failed(&connection, &Connection::errorOccurred);
    connection.connectToHost();
    QTRY_VERIFY_WITH_TIMEOUT(silent.hasPendingConnections(), 10000);
    QCOMPARE(connection.state(), Connection::State::Connecting);
    clock.advance(499);
    QCoreApplication::processEvents();
    QCOMPARE(failed.count(), 0);
    QCOMPARE(connection.state(), Connection::State::Connecting);
    clock.advance(1);
    QCOMPARE(failed.count(), 1);
    const Error error = failed.first().first().value<Error>();
    QCOMPARE(int(error.kind), int(Error::Kind::Timeout));
    QVERIFY2(
        error.message.contains(QLatin1String("timed out after 500 ms")), qPrintable(error.message));
    QCOMPARE(connection.state(), Connection::State::Disconnected);
}

void TestSsh::serverKilledMidSession()
{
    PoolOptions po = poolOptions();
    po.backoffInitialMs = 1000;
    Pool pool(po, {{QStringLiteral("local"), m_sshd->host(), m_sshd->port()}});
    const int loginsBefore = m_sshd->acceptedLogins();
    const Result<Connection *> acquired = acquireNow(pool, QStringLiteral("local"));
    QVERIFY(acquired.ok());
    QPointer<Connection> connection = *acquired.value;
    ShellProbe probe;
    std::unique_ptr<ShellChannel> shell(connection->openShell());
    probe.watch(shell.get());
    shell->write("echo up-$((5*5))\n");
    QTRY_VERIFY_WITH_TIMEOUT(probe.output.contains("up-25"), 10000);
    QSignalSpy dropped(connection.data(), &Connection::disconnected);
    QSignalSpy nodeDown(&pool, &Pool::nodeDisconnected);

    m_sshd->kill();
    QTRY_VERIFY_WITH_TIMEOUT(probe.ended(), 5000);
    QVERIFY(probe.error.has_value());
    QCOMPARE(int(probe.error->kind), int(Error::Kind::Dropped));
    QCOMPARE(dropped.count(), 1);
    QCOMPARE(int(dropped.first().first().value<Error>().kind), int(Error::Kind::Dropped));
    QCOMPARE(nodeDown.count(), 1);
    QVERIFY(pool.connectedNodes().isEmpty());
    QTRY_VERIFY(connection.isNull()); // the pool discards a dropped connection
    qInfo("shell: %s", qPrintable(probe.error->message));

    // The next acquire tries at once; nobody listens.
    const Result<Connection *> refused = acquireNow(pool, QStringLiteral("local"));
    QVERIFY(!refused.ok());
    QCOMPARE(int(refused.error.kind), int(Error::Kind::Connect));
    // Right after a failed attempt the node backs off and answers at once.
    const Result<Connection *> backingOff = acquireNow(pool, QStringLiteral("local"));
    QVERIFY(!backingOff.ok());
    QVERIFY2(backingOff.error.message.contains(QLatin1String("next attempt in")),
        qPrintable(backingOff.error.message));

    QVERIFY2(m_sshd->start(), qPrintable(m_sshd->error())); // same port
    QElapsedTimer timer;
    timer.start();
    Result<Connection *> back = Result<Connection *>::failure({});
    QTRY_VERIFY_WITH_TIMEOUT((back = acquireNow(pool, QStringLiteral("local"))).ok(), 10000);
    qInfo("reconnected %lld ms after the restart (backoff 1 s)", timer.elapsed());
    ShellProbe again;
    std::unique_ptr<ShellChannel> shell2((*back.value)->openShell());
    again.watch(shell2.get());
    shell2->write("echo back-$((6*6))\n");
    QTRY_VERIFY_WITH_TIMEOUT(again.output.contains("back-36"), 10000);
    QCOMPARE(m_sshd->acceptedLogins() - loginsBefore, 2);
}

// ---- flow control and the event loop ----------------------------------------------------------

// 205 MB of `seq` to a consumer that buffers at most ~1 MiB: it pauses reading above 1 MiB and
// resumes below 256 KiB. Every line arrives, in order, and what the process holds stays bounded:
// checked exactly as the consumer's queue and the bytes read from the socket but not yet handed
// to it (libssh's buffers, bounded by the SSH window), and as RSS in use, which stays far below
// the 205 MB that a reader ignoring the pause would have to keep.
void TestSsh::flowControlBoundsMemory()
{
    constexpr qint64 Last = 24000000;
    constexpr qsizetype HighWater = 1024 * 1024;
    constexpr qsizetype LowWater = 256 * 1024;
    constexpr qsizetype DrainPerTick = 512 * 1024; // ~100 MB/s at most: slower than the producer
    constexpr qint64 RssBoundKiB = 32 * 1024;
    const qint64 expectedBytes = seqBytes(Last);

    Attempt a = connectNow(options());
    QVERIFY(a.connected());
    ShellOptions so;
    so.pty = false;
    so.command = QStringLiteral("seq 1 %1").arg(Last);
    std::unique_ptr<ShellChannel> stream(a.connection->openShell(so));

    std::deque<QByteArray> queue;
    qsizetype buffered = 0, peakBuffered = 0;
    qint64 received = 0, consumed = 0, next = 1, value = 0;
    int pauses = 0, exitStatus = INT_MIN;
    bool inOrder = true;
    std::optional<Error> error;
    connect(stream.get(), &ShellChannel::dataReceived, this, [&](const QByteArray &data) {
        queue.push_back(data);
        buffered += data.size();
        received += data.size();
        peakBuffered = qMax(peakBuffered, buffered);
        if (buffered > HighWater && !stream->isReadPaused()) {
            stream->setReadPaused(true);
            ++pauses;
        }
    });
    connect(stream.get(), &ShellChannel::closed, this, [&](int status) { exitStatus = status; });
    connect(stream.get(), &ShellChannel::errorOccurred, this, [&](const Error &e) { error = e; });

    const qint64 rssBefore = liveRssKiB();
    QVERIFY2(rssBefore > 0, "cannot read VmRSS from /proc/self/status");
    qint64 rssPeak = rssBefore;
    qint64 rawRssPeak = rssKiB();
    bool rssUnreadable = false;
    // Bytes read from the socket and not yet delivered: payload plus SSH packet overhead.
    const quint64 wireBefore = a.connection->bytesReceived();
    qint64 undeliveredPeak = 0;
    int ticks = 0;
    QTimer drain;
    drain.setInterval(5);
    connect(&drain, &QTimer::timeout, this, [&] {
        // The consumer takes nothing until the first pause, so the pause happens whatever the
        // relative speed of producer and consumer (under a sanitizer the producer can be slower
        // than DrainPerTick); after it, the drain rate decides how often it pauses again.
        qsizetype budget = pauses > 0 ? DrainPerTick : 0;
        while (budget > 0 && !queue.empty()) {
            const QByteArray chunk = std::move(queue.front());
            queue.pop_front();
            for (char c : chunk) { // check every line: 1, 2, 3, ...
                if (c == '\n') {
                    inOrder = inOrder && value == next;
                    ++next;
                    value = 0;
                } else {
                    value = value * 10 + (c - '0');
                }
            }
            buffered -= chunk.size();
            consumed += chunk.size();
            budget -= chunk.size();
        }
        if (stream->isReadPaused() && buffered < LowWater)
            stream->setReadPaused(false);
        undeliveredPeak =
            qMax(undeliveredPeak, qint64(a.connection->bytesReceived() - wireBefore) - received);
        if (++ticks % 4 == 0) { // every 20 ms
            const qint64 raw = rssKiB();
            const qint64 live = liveRssKiB();
            rssUnreadable = rssUnreadable || raw < 0 || live < 0;
            rawRssPeak = qMax(rawRssPeak, raw);
            rssPeak = qMax(rssPeak, live);
        }
    });
    QElapsedTimer timer;
    timer.start();
    drain.start();
    QTRY_VERIFY_WITH_TIMEOUT((exitStatus != INT_MIN && queue.empty()) || error.has_value(), 180000);
    const qint64 elapsed = qMax<qint64>(1, timer.elapsed());
    drain.stop();
    QVERIFY2(!error, qPrintable(error ? error->message : QString()));
    QCOMPARE(exitStatus, 0);
    QCOMPARE(received, expectedBytes);
    QCOMPARE(consumed, expectedBytes);
    QVERIFY(inOrder);
    QCOMPARE(next, Last + 1);
    QVERIFY(pauses > 0);
    qInfo("flow control: %lld bytes in %lld ms (%.1f MB/s), %d pauses, consumer buffer peak %lld "
          "KiB, read but undelivered peak %lld KiB, RSS in use %lld -> peak %lld KiB (+%lld KiB, "
          "bound %lld KiB), RSS with what malloc keeps: peak +%lld KiB",
        received, elapsed, received / 1000.0 / elapsed, pauses, qint64(peakBuffered / 1024),
        undeliveredPeak / 1024, rssBefore, rssPeak, rssPeak - rssBefore, RssBoundKiB,
        rawRssPeak - rssBefore);
    qInfo("wire bytes beyond the payload at the end (SSH packet overhead): %lld KiB",
        (qint64(a.connection->bytesReceived() - wireBefore) - received) / 1024);
    QVERIFY2(!rssUnreadable, "/proc/self/status could not be read while sampling");
    QVERIFY(peakBuffered < HighWater + 512 * 1024); // at most one read budget past the mark
    // libssh 0.10 re-opens the window to 1.28 MB on a read without counting what it still holds;
    // Channel drains it on each read, so libssh's buffer plus the channel's read-ahead stay
    // within about two windows (without that, 19-47 MB here, and most of the RSS growth). Plus
    // the packet overhead on the bytes counted so far (about 0.1 % with OpenSSH's packets).
    QVERIFY2(undeliveredPeak < 4 * 1024 * 1024 + expectedBytes / 100,
        qPrintable(QString::number(undeliveredPeak)));
    QVERIFY(expectedBytes > 3 * RssBoundKiB * 1024); // an unbounded queue would pass the bound
    // RSS is measured in the normal build only: under ASan its quarantine grows it (sanitizer.h).
    if (!jarvis::test::AddressSanitized)
        QVERIFY2(
            rssPeak - rssBefore < RssBoundKiB, qPrintable(QString::number(rssPeak - rssBefore)));
}

// While one channel is paused (and its remote program blocked by the SSH window), another shell
// and an exec on the same connection still get their output.
void TestSsh::pausedChannelDoesNotStallOthers()
{
    constexpr qint64 Total = 50000000;
    Attempt a = connectNow(options());
    QVERIFY(a.connected());
    ShellOptions so;
    so.pty = false;
    so.command = QStringLiteral("head -c %1 /dev/zero").arg(Total);
    std::unique_ptr<ShellChannel> paused(a.connection->openShell(so));
    qint64 received = 0;
    int exitStatus = INT_MIN;
    connect(paused.get(), &ShellChannel::dataReceived, this, [&](const QByteArray &data) {
        received += data.size();
        paused->setReadPaused(true); // stop at the first chunk
    });
    connect(paused.get(), &ShellChannel::closed, this, [&](int status) { exitStatus = status; });
    QTRY_VERIFY_WITH_TIMEOUT(received > 0, 10000);
    const qint64 receivedAtPause = received;
    const quint64 wireAtPause = a.connection->bytesReceived();

    ShellProbe probe;
    std::unique_ptr<ShellChannel> shell(a.connection->openShell());
    probe.watch(shell.get());
    shell->write("echo ping-$((6*7))\n");
    QTRY_VERIFY_WITH_TIMEOUT(probe.output.contains("ping-42"), 10000);
    const auto result = execNow(*a.connection, QStringLiteral("echo exec-while-paused"));
    QVERIFY(result && result->ok());
    QCOMPARE(result->value->stdOut, QByteArray("exec-while-paused\n"));

    // Twenty more round trips on the same connection (each one a command the server runs and
    // answers after whatever it had queued before): the paused channel is not read, and the
    // server sends at most about one window (libssh's 1.28 MB) more, instead of the whole 50 MB.
    quint64 wire = 0;
    for (int i = 0; i < 20; ++i) {
        probe.output.clear();
        shell->write("echo round-$((" + QByteArray::number(i) + "+1000))\n");
        QTRY_VERIFY_WITH_TIMEOUT(
            probe.output.contains("round-" + QByteArray::number(i + 1000)), 10000);
        wire = a.connection->bytesReceived() - wireAtPause;
        QVERIFY2(wire < 4 * 1024 * 1024, qPrintable(QString::number(wire)));
    }
    QCOMPARE(received, receivedAtPause);
    qInfo("while paused: %llu bytes more arrived on the wire (window-bound)", wire);

    connect(paused.get(), &ShellChannel::dataReceived, this, [&] { paused->setReadPaused(false); });
    paused->setReadPaused(false);
    QTRY_VERIFY_WITH_TIMEOUT(exitStatus != INT_MIN, 60000);
    QCOMPARE(exitStatus, 0);
    QCOMPARE(received, Total);
}

void TestSsh::eventLoopKeepsTurning_data()
{
    QTest::addColumn<bool>("pty");
    QTest::addRow("PTY, like a terminal") << true;
    QTest::addRow("pipes") << false;
}

// A channel streaming at full speed (100 MB) never stalls the event loop: the connection reads
// a bounded amount per pass and returns to the loop, so a zero-interval timer (which fires once per
// turn of the loop) fires between every few reads. Checked as bytes delivered between two turns,
// which does not depend on the machine's speed or load; the worst gap in milliseconds between
// turns and the throughput are printed, not checked.
void TestSsh::eventLoopKeepsTurning()
{
    QFETCH(bool, pty);
    constexpr qint64 Total = 100000000;
    // A pump pass hands out at most 256 KiB per stream, and Qt runs a few passes in one turn at
    // most (the read notifier's, the pump timer's, each at most once per due timer): 16 MiB
    // leaves room; a loop that read to the end would pass 100 MB in one turn.
    constexpr qint64 MaxBytesPerTurn = 16 * 1024 * 1024;
    Attempt a = connectNow(options());
    QVERIFY(a.connected());
    ShellOptions so;
    so.pty = pty;
    so.command = QStringLiteral("head -c %1 /dev/zero").arg(Total);
    std::unique_ptr<ShellChannel> stream(a.connection->openShell(so));
    qint64 received = 0;
    qint64 sinceTurn = 0;
    qint64 worstTurnBytes = 0;
    int exitStatus = INT_MIN;
    connect(stream.get(), &ShellChannel::dataReceived, this, [&](const QByteArray &data) {
        received += data.size();
        sinceTurn += data.size();
        worstTurnBytes = qMax(worstTurnBytes, sinceTurn);
    });
    connect(stream.get(), &ShellChannel::closed, this, [&](int status) { exitStatus = status; });

    QElapsedTimer sinceTick, total;
    qint64 worstGap = 0;
    int ticks = 0;
    QTimer turn;
    turn.setInterval(0);
    connect(&turn, &QTimer::timeout, this, [&] {
        sinceTurn = 0;
        if (ticks++ > 0)
            worstGap = qMax(worstGap, sinceTick.elapsed());
        sinceTick.start();
    });
    QTRY_VERIFY_WITH_TIMEOUT(stream->isOpen() || exitStatus != INT_MIN, 10000);
    total.start();
    turn.start();
    QTRY_VERIFY_WITH_TIMEOUT(exitStatus != INT_MIN, 180000);
    turn.stop();
    const qint64 elapsed = qMax<qint64>(1, total.elapsed());
    QCOMPARE(exitStatus, 0);
    QCOMPARE(received, Total);
    qInfo("%s: %lld bytes in %lld ms (%.1f MB/s); %d turns of the loop, at most %lld bytes in "
          "one, worst gap %lld ms",
        pty ? "PTY" : "pipes", received, elapsed, received / 1000.0 / elapsed, ticks,
        worstTurnBytes, worstGap);
    QVERIFY2(worstTurnBytes <= MaxBytesPerTurn, qPrintable(QString::number(worstTurnBytes)));
}

QTEST_GUILESS_MAIN(TestSsh)
#include "tst_ssh.moc"
