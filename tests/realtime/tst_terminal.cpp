// /terminal end to end: a real jarvisd Application whose SSH pool points at a real OpenSSH sshd on
// loopback (SshdFixture), driven by real Socket.IO clients (client::SocketIoClient). Every wait is
// a QTRY_* or QTest::qWaitFor on an observable event; nothing sleeps as an assertion.
#include "processmemory.h"
#include "rawsioclient.h"
#include "sanitizer.h"
#include "sshdfixture.h"

#include "app/application.h"
#include "app/clusterservices.h"
#include "client/socketioclient.h"
#include "demo/pvesimulator.h"
#include "realtime/terminalhandler.h"
#include "ssh/pool.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <cmath>
#include <functional>
#include <memory>

using jarvis::client::AckResult;
using jarvis::client::SocketIoClient;

namespace {
constexpr int SshWaitMs = 20000;

// Memory: the test process hosts jarvisd.
using jarvis::test::liveResidentBytes;
using jarvis::test::seqBytes; // through a PTY every "\n" becomes "\r\n": add the lines

bool processExists(qint64 pid)
{
    return pid > 0 && QFile::exists(QStringLiteral("/proc/%1").arg(pid));
}

// One Socket.IO client on /terminal and what it received.
struct Terminal
{
    std::unique_ptr<SocketIoClient> client;
    QList<QPair<QString, QJsonArray>> events;
    QString output; // every `data` string, concatenated (unless onData is set)
    int dataEvents = 0;
    int replacementChars = 0; // U+FFFD seen in `data`: a character split across events
    std::function<void(const QString &)> onData; // replaces appending to `output`
    std::optional<AckResult> ack; // of the last start

    int count(const QString &event) const
    {
        int n = 0;
        for (const auto &e : events)
            n += e.first == event ? 1 : 0;
        return n;
    }
    QJsonValue last(const QString &event) const
    {
        for (qsizetype i = events.size() - 1; i >= 0; --i) {
            if (events.at(i).first == event)
                return events.at(i).second.at(0);
        }
        return QJsonValue(QJsonValue::Undefined);
    }
    void start(const QJsonObject &payload)
    {
        ack.reset();
        client->emitEvent(QStringLiteral("start"), QJsonArray {payload}, {}, client.get(),
            [this](const AckResult &result) { ack = result; });
    }
    void type(const QString &text) { client->emitEvent(QStringLiteral("data"), {text}); }
    void resize(int cols, int rows)
    {
        client->emitEvent(QStringLiteral("resize"),
            {QJsonObject {{QStringLiteral("cols"), cols}, {QStringLiteral("rows"), rows}}});
    }
};
} // namespace

class TestTerminal : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void startEchoExit();
    void resizeAndStty();
    void resizeAndInputBeforeReady();
    void badSizesRefused_data();
    void badSizesRefused();
    void protectedNodeRefused_data();
    void protectedNodeRefused();
    void auditOpenedAndClosedOnce_data();
    void auditOpenedAndClosedOnce();
    void unknownNodeAndBadInput();
    void sshNotConfigured();
    void secondStartClosesFirst();
    void twoTerminalsShareOneConnection();
    void disconnectClosesOnlyTheShell();
    void utf8NeverSplit();
    void invalidUtf8Replaced();
    void outputUncompressedForDeflateClients();
    void flowControlBoundsMemory();
    void resizeStormAndPasteSpareOtherTerminals();
    void sshdKilledThenReconnects();

private:
    bool startApplication(bool sshConfigured, const QStringList &protectedNodes = {});
    // The audit log's terminal entries written since `from` (a byte offset of the file).
    QList<QJsonObject> terminalAudit(qint64 from) const;
    qint64 auditSize() const { return QFileInfo(auditPath()).size(); }
    QString auditPath() const { return m_dir.filePath(QStringLiteral("audit.jsonl")); }
    Terminal *connectTerminal();
    bool waitReady(Terminal *t);
    // The PID of `t`'s shell (prints it with `echo`).
    qint64 shellPid(Terminal *t);
    jarvis::ssh::Pool *pool() const { return m_app->cluster()->sshPool(); }
    jarvis::realtime::TerminalHandler *handler() const
    {
        return m_app->cluster()->findChild<jarvis::realtime::TerminalHandler *>();
    }

    SshdFixture m_sshd;
    std::unique_ptr<jarvis::demo::PveSimulator> m_simulator;
    QTemporaryDir m_dir;
    std::unique_ptr<jarvis::app::Application> m_app;
    QString m_token;
    std::vector<std::unique_ptr<Terminal>> m_terminals;
    int m_loginsBefore = 0;
    int m_pidMarks = 0;
};

void TestTerminal::initTestCase()
{
    if (!SshdFixture::isAvailable())
        QFAIL("OpenSSH sshd or ssh-keygen is missing: make deps installs openssh-server");
    QVERIFY2(m_sshd.setUp(), qPrintable(m_sshd.error()));
    m_simulator = std::make_unique<jarvis::demo::PveSimulator>();
    QVERIFY(m_simulator->listen() != 0);
}

void TestTerminal::init()
{
    QVERIFY(m_sshd.isRunning() || m_sshd.start());
    QVERIFY(startApplication(true));
    m_loginsBefore = m_sshd.acceptedLogins();
}

bool TestTerminal::startApplication(bool sshConfigured, const QStringList &protectedNodes)
{
    m_terminals.clear();
    m_app.reset();
    jarvis::config::Config c;
    c.listen = QStringLiteral("127.0.0.1");
    c.port = 0;
    c.jwtSecret = QByteArrayLiteral("terminal-secret-terminal-secret-terminal-secret-01");
    c.adminPassword = QStringLiteral("pw");
    c.tokenId = jarvis::demo::PveSimulator::Options().tokenId;
    c.tokenSecret = jarvis::demo::PveSimulator::Options().tokenSecret;
    c.auditFile = auditPath();
    c.protectedNodes = protectedNodes;
    c.sshConfigured = sshConfigured;
    c.sshUser = SshdFixture::user();
    c.sshKeyFile = m_sshd.clientKeyFile();
    c.sshKnownHostsFile = m_sshd.knownHostsFile();
    c.strictHostKeys = true;
    for (int i = 1; i <= 2; ++i) {
        jarvis::config::NodeConfig node;
        node.name = QStringLiteral("pve%1").arg(i);
        node.host = m_sshd.host();
        node.sshPort = m_sshd.port();
        node.apiUrl = m_simulator->baseUrl();
        c.nodes.append(node);
    }
    m_app = std::make_unique<jarvis::app::Application>(c);
    QString error;
    if (!m_app->start(&error)) {
        qWarning() << "application did not start:" << error;
        return false;
    }
    m_token = m_app->jwt().issue(QStringLiteral("admin"), 600);
    return handler() != nullptr;
}

QList<QJsonObject> TestTerminal::terminalAudit(qint64 from) const
{
    QList<QJsonObject> entries;
    QFile file(auditPath());
    if (!file.open(QIODevice::ReadOnly) || !file.seek(from))
        return entries;
    for (const QByteArray &line : file.readAll().split('\n')) {
        const QJsonObject entry = QJsonDocument::fromJson(line).object();
        if (entry.value(QStringLiteral("tool")) == QLatin1String("terminal"))
            entries.append(entry);
    }
    return entries;
}

void TestTerminal::cleanup()
{
    m_terminals.clear();
    m_app.reset();
}

Terminal *TestTerminal::connectTerminal()
{
    auto terminal = std::make_unique<Terminal>();
    Terminal *t = terminal.get();
    t->client = std::make_unique<SocketIoClient>();
    QObject::connect(t->client.get(), &SocketIoClient::eventReceived, t->client.get(),
        [t](const QString &event, const QJsonArray &args, const QList<QByteArray> &) {
            if (event == QLatin1String("data")) {
                const QString text = args.at(0).toString();
                ++t->dataEvents;
                t->replacementChars += int(text.count(QChar::ReplacementCharacter));
                if (t->onData)
                    t->onData(text);
                else
                    t->output += text;
                return;
            }
            t->events.append({event, args});
        });
    QSignalSpy connected(t->client.get(), &SocketIoClient::connected);
    t->client->connectToServer(QUrl(m_app->url()), QStringLiteral("/terminal"),
        QJsonObject {{QStringLiteral("token"), m_token}});
    if (connected.isEmpty() && !connected.wait(10000))
        return nullptr;
    m_terminals.push_back(std::move(terminal));
    return t;
}

bool TestTerminal::waitReady(Terminal *t)
{
    return QTest::qWaitFor(
               [t] {
                   return t->count(QStringLiteral("ready")) > 0
                       || t->count(QStringLiteral("error")) > 0;
               },
               SshWaitMs)
        && t->count(QStringLiteral("ready")) > 0;
}

qint64 TestTerminal::shellPid(Terminal *t)
{
    const QString mark = QStringLiteral("PIDMARK%1").arg(++m_pidMarks);
    // The echoed command line holds "$$", only the output holds the number.
    t->type(QStringLiteral("echo %1=$$\n").arg(mark));
    const QRegularExpression re(mark + QStringLiteral("=(\\d+)"));
    QRegularExpressionMatch match;
    if (!QTest::qWaitFor([&] { return (match = re.match(t->output)).hasMatch(); }, SshWaitMs))
        return -1;
    return match.captured(1).toLongLong();
}

void TestTerminal::startEchoExit()
{
    Terminal *t = connectTerminal();
    QVERIFY(t);
    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("PVE1")}}); // any case
    QVERIFY2(waitReady(t), qPrintable(t->last(QStringLiteral("error")).toString()));
    QCOMPARE(t->last(QStringLiteral("ready")).toObject(),
        (QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")},
            {QStringLiteral("host"), QStringLiteral("127.0.0.1")}}));
    QTRY_VERIFY(t->ack.has_value());
    QVERIFY(t->ack->ok());
    QCOMPARE(t->ack->args.at(0).toObject(), (QJsonObject {{QStringLiteral("ok"), true}}));

    t->type(QStringLiteral("echo hel\"\"lo-round-trip\n"));
    QTRY_VERIFY_WITH_TIMEOUT(t->output.contains(QStringLiteral("hello-round-trip")), SshWaitMs);

    t->type(QStringLiteral("exit 3\n"));
    QTRY_COMPARE_WITH_TIMEOUT(t->count(QStringLiteral("exit")), 1, SshWaitMs);
    QCOMPARE(t->last(QStringLiteral("exit")).toObject(),
        (QJsonObject {
            {QStringLiteral("code"), 3}, {QStringLiteral("node"), QStringLiteral("pve1")}}));
    QCOMPARE(t->count(QStringLiteral("error")), 0);
    QCOMPARE(handler()->activeSessionCount(), 0);
    // The shell ended, the pooled connection did not.
    QCOMPARE(pool()->connectedNodes(), QStringList {QStringLiteral("pve1")});
}

void TestTerminal::resizeAndStty()
{
    Terminal *t = connectTerminal();
    QVERIFY(t);
    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")},
        {QStringLiteral("cols"), 90}, {QStringLiteral("rows"), 20}});
    QVERIFY(waitReady(t));
    t->type(QStringLiteral("stty size\n"));
    QTRY_VERIFY_WITH_TIMEOUT(t->output.contains(QStringLiteral("20 90")), SshWaitMs);
    t->resize(132, 43);
    t->type(QStringLiteral("stty size\n"));
    QTRY_VERIFY_WITH_TIMEOUT(t->output.contains(QStringLiteral("43 132")), SshWaitMs);
    // The range's ends are sizes like any other.
    t->resize(1000, 1);
    t->type(QStringLiteral("stty size\n"));
    QTRY_VERIFY_WITH_TIMEOUT(t->output.contains(QStringLiteral("1 1000")), SshWaitMs);
    QCOMPARE(t->count(QStringLiteral("error")), 0);
}

// Issue 11: a size that is not an integer in 1..1000 (or is missing) is refused with an `error`
// naming the range, never clamped: nothing is applied and the session goes on. `start` with such
// a size is refused before anything is opened.
void TestTerminal::badSizesRefused_data()
{
    QTest::addColumn<QString>("event");
    QTest::addColumn<QJsonArray>("args");
    const auto size = [](const QJsonValue &cols, const QJsonValue &rows) {
        QJsonObject o;
        if (!cols.isUndefined())
            o.insert(QStringLiteral("cols"), cols);
        if (!rows.isUndefined())
            o.insert(QStringLiteral("rows"), rows);
        return o;
    };
    const QJsonValue none(QJsonValue::Undefined);
    const QList<std::pair<const char *, QJsonObject>> sizes {
        {"cols 0", size(0, 30)},
        {"rows 0", size(100, 0)},
        {"cols 1001", size(1001, 30)},
        {"rows 1001", size(100, 1001)},
        {"both far out", size(5000, 0)},
        {"negative", size(-80, -24)},
        {"minus one", size(100, -1)},
        {"fraction", size(100.5, 30)},
        {"just over", size(1000.0001, 30)},
        {"just under", size(0.9999, 30)},
        {"huge", size(1e300, 30)},
        {"int overflow", size(4294967376.0, 30)},
        {"negative zero", size(-0.0, 30)},
        {"NaN", size(qQNaN(), 30)},
        {"infinity", size(100, qInf())},
        {"numeric strings", size(QStringLiteral("100"), QStringLiteral("30"))},
        {"string", size(QStringLiteral("wide"), 30)},
        {"null", size(QJsonValue::Null, 30)},
        {"bool", size(true, 30)},
        {"array", size(QJsonArray {100}, 30)},
        {"object", size(QJsonObject {{QStringLiteral("n"), 100}}, 30)},
        {"cols missing", size(none, 30)},
        {"rows missing", size(100, none)},
        {"both missing", QJsonObject {}},
    };
    for (const auto &[name, payload] : sizes) {
        QTest::addRow("resize %s", name) << QStringLiteral("resize") << QJsonArray {payload};
        if (payload.isEmpty() || payload.value(QStringLiteral("rows")).isUndefined()
            || payload.value(QStringLiteral("cols")).isUndefined()
            || payload.value(QStringLiteral("cols")).isNull()
            || !std::isfinite(payload.value(QStringLiteral("cols")).toDouble(0))
            || !std::isfinite(payload.value(QStringLiteral("rows")).toDouble(0)))
            continue; // start's sizes are optional: absent or null (as JSON carries NaN) is 80x24
        QJsonObject start = payload;
        start.insert(QStringLiteral("node"), QStringLiteral("pve1"));
        QTest::addRow("start %s", name) << QStringLiteral("start") << QJsonArray {start};
    }
    QTest::addRow("resize not an object")
        << QStringLiteral("resize") << QJsonArray {QStringLiteral("100x30")};
    QTest::addRow("resize array") << QStringLiteral("resize") << QJsonArray {QJsonArray {100, 30}};
    QTest::addRow("resize number") << QStringLiteral("resize") << QJsonArray {100};
    QTest::addRow("resize no argument") << QStringLiteral("resize") << QJsonArray {};
}

void TestTerminal::badSizesRefused()
{
    QFETCH(QString, event);
    QFETCH(QJsonArray, args);
    Terminal *t = connectTerminal();
    QVERIFY(t);
    if (event == QLatin1String("start")) {
        t->ack.reset();
        t->client->emitEvent(QStringLiteral("start"), args, {}, t->client.get(),
            [t](const AckResult &result) { t->ack = result; });
        QTRY_COMPARE(t->count(QStringLiteral("error")), 1);
        QCOMPARE(t->last(QStringLiteral("error")).toString(),
            QStringLiteral("start: cols and rows must be integers in 1..1000"));
        QTRY_VERIFY(t->ack.has_value());
        QCOMPARE(t->ack->args.at(0).toObject(),
            (QJsonObject {{QStringLiteral("ok"), false},
                {QStringLiteral("error"),
                    QStringLiteral("start: cols and rows must be integers in 1..1000")}}));
        QCOMPARE(t->count(QStringLiteral("ready")), 0);
        QCOMPARE(m_sshd.acceptedLogins(), m_loginsBefore);
        return;
    }
    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")},
        {QStringLiteral("cols"), 90}, {QStringLiteral("rows"), 20}});
    QVERIFY(waitReady(t));
    t->client->emitEvent(QStringLiteral("resize"), args);
    QTRY_COMPARE(t->count(QStringLiteral("error")), 1);
    QCOMPARE(t->last(QStringLiteral("error")).toString(),
        QStringLiteral("resize: cols and rows must be integers in 1..1000"));
    // Nothing applied, and the shell goes on.
    t->type(QStringLiteral("stty size; echo SIZE\"\"-END\n"));
    QTRY_VERIFY_WITH_TIMEOUT(t->output.contains(QStringLiteral("SIZE-END")), SshWaitMs);
    QVERIFY2(t->output.contains(QStringLiteral("20 90\r\nSIZE-END")), qPrintable(t->output));
    QCOMPARE(t->count(QStringLiteral("exit")), 0);
    QCOMPARE(t->count(QStringLiteral("error")), 1);
}

void TestTerminal::resizeAndInputBeforeReady()
{
    Terminal *t = connectTerminal();
    QVERIFY(t);
    // Everything in one go, without waiting for `ready`, as clients do.
    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve2")}});
    t->resize(101, 33);
    t->type(QStringLiteral("echo pre\"\"ready; "));
    t->type(QStringLiteral("stty size\n"));
    QVERIFY(waitReady(t));
    QTRY_VERIFY_WITH_TIMEOUT(t->output.contains(QStringLiteral("preready")), SshWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(t->output.contains(QStringLiteral("33 101")), SshWaitMs);
    QCOMPARE(t->count(QStringLiteral("error")), 0);
}

// Issue 3: a protected node (safety.protectedNodes, matched like the tools' policy: any case,
// surrounding whitespace on either side) gets no terminal. The start is answered {ok:false,
// error} with the `error` event, nothing is attempted over SSH, and the refusal is audited.
void TestTerminal::protectedNodeRefused_data()
{
    QTest::addColumn<QString>("node");
    QTest::addRow("as configured") << QStringLiteral("pve2");
    QTest::addRow("upper case") << QStringLiteral("PVE2");
    QTest::addRow("mixed case") << QStringLiteral("pVe2");
    QTest::addRow("spaces") << QStringLiteral("  pve2 ");
    QTest::addRow("tab and newline") << QStringLiteral("\tPvE2\n");
    QTest::addRow("no-break space") << QStringLiteral("\u00a0pve2\u00a0");
}

void TestTerminal::protectedNodeRefused()
{
    QFETCH(QString, node);
    QVERIFY(startApplication(true, {QStringLiteral(" PVE2  ")}));
    const qint64 auditFrom = auditSize();
    const int connectionsBefore = m_sshd.logCount("Connection from ");
    Terminal *t = connectTerminal();
    QVERIFY(t);
    const QString refusal = QStringLiteral("node pve2 is protected: terminals are refused");
    t->start(QJsonObject {{QStringLiteral("node"), node}});
    QTRY_COMPARE(t->count(QStringLiteral("error")), 1);
    QCOMPARE(t->last(QStringLiteral("error")).toString(), refusal);
    QTRY_VERIFY(t->ack.has_value());
    QCOMPARE(t->ack->args.at(0).toObject(),
        (QJsonObject {{QStringLiteral("ok"), false}, {QStringLiteral("error"), refusal}}));
    // Input and resizes after the refusal reach nothing.
    t->type(QStringLiteral("id\n"));
    t->resize(100, 30);

    // The same client still gets a terminal on a node that is not protected, on its own
    // connection: the protected node never had one, nor a connection attempt.
    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    QTRY_COMPARE_WITH_TIMEOUT(t->count(QStringLiteral("ready")), 1, SshWaitMs);
    QCOMPARE(t->count(QStringLiteral("error")), 1);
    QCOMPARE(m_sshd.logCount("Connection from "), connectionsBefore + 1);
    QCOMPARE(pool()->findChildren<jarvis::ssh::Connection *>().size(), 1);
    QVERIFY(!pool()->connection(QStringLiteral("pve2")));
    QCOMPARE(pool()->connectedNodes(), QStringList {QStringLiteral("pve1")});

    const QList<QJsonObject> audit = terminalAudit(auditFrom);
    QVERIFY(!audit.isEmpty());
    const QJsonObject refused = audit.first();
    QCOMPARE(refused.value(QStringLiteral("status")).toString(), QStringLiteral("refused"));
    QCOMPARE(refused.value(QStringLiteral("node")).toString(), QStringLiteral("pve2"));
    QCOMPARE(refused.value(QStringLiteral("args")).toObject().value(QStringLiteral("node")),
        QJsonValue(node));
    QCOMPARE(refused.value(QStringLiteral("user")).toString(), QStringLiteral("admin"));
    QCOMPARE(
        refused.value(QStringLiteral("remoteAddress")).toString(), QStringLiteral("127.0.0.1"));
    QCOMPARE(refused.value(QStringLiteral("error")).toString(), refusal);
    QVERIFY(!refused.value(QStringLiteral("id")).toString().isEmpty());
    QVERIFY(!refused.value(QStringLiteral("at")).toString().isEmpty());
    QCOMPARE(audit.size(), 2); // and pve1's `opened`
    QCOMPARE(audit.at(1).value(QStringLiteral("status")).toString(), QStringLiteral("opened"));
}

// Every terminal is audited once opened and once closed (same id), whichever way it ends: the
// shell exits, the client disconnects, a new start replaces it, the SSH connection fails, or the
// server shuts down. A start that never opens is one `failed` entry.
void TestTerminal::auditOpenedAndClosedOnce_data()
{
    QTest::addColumn<QString>("end");
    QTest::addRow("exit") << QStringLiteral("exit");
    QTest::addRow("disconnect") << QStringLiteral("disconnect");
    QTest::addRow("replaced") << QStringLiteral("replaced");
    QTest::addRow("ssh error") << QStringLiteral("error");
    QTest::addRow("shutdown") << QStringLiteral("shutdown");
    QTest::addRow("never opened") << QStringLiteral("failed");
}

void TestTerminal::auditOpenedAndClosedOnce()
{
    QFETCH(QString, end);
    const qint64 auditFrom = auditSize();
    Terminal *t = connectTerminal();
    QVERIFY(t);
    if (end == QLatin1String("failed")) {
        m_sshd.stop();
        t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
        QTRY_COMPARE_WITH_TIMEOUT(t->count(QStringLiteral("error")), 1, SshWaitMs);
        m_app.reset();
        const QList<QJsonObject> audit = terminalAudit(auditFrom);
        QCOMPARE(audit.size(), 1);
        QCOMPARE(
            audit.first().value(QStringLiteral("status")).toString(), QStringLiteral("failed"));
        QCOMPARE(audit.first().value(QStringLiteral("error")).toString(),
            t->last(QStringLiteral("error")).toString());
        QCOMPARE(audit.first().value(QStringLiteral("node")).toString(), QStringLiteral("pve1"));
        return;
    }
    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")},
        {QStringLiteral("cols"), 90}, {QStringLiteral("rows"), 20}});
    QVERIFY(waitReady(t));
    const QString typed = QStringLiteral("echo AUD\"\"IT-MARK\n");
    t->type(typed);
    QTRY_VERIFY_WITH_TIMEOUT(t->output.contains(QStringLiteral("AUDIT-MARK")), SshWaitMs);
    qint64 bytesIn = typed.size();
    const QString outputSeen = t->output; // of this session
    std::optional<int> exitCode;
    if (end == QLatin1String("exit")) {
        t->type(QStringLiteral("exit 3\n"));
        bytesIn += 7;
        exitCode = 3;
        QTRY_COMPARE_WITH_TIMEOUT(t->count(QStringLiteral("exit")), 1, SshWaitMs);
    } else if (end == QLatin1String("disconnect")) {
        t->client->disconnectFromServer();
        QTRY_COMPARE(handler()->sessionCount(), 0);
    } else if (end == QLatin1String("replaced")) {
        t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
        QTRY_COMPARE_WITH_TIMEOUT(t->count(QStringLiteral("ready")), 2, SshWaitMs);
    } else if (end == QLatin1String("error")) {
        m_sshd.kill();
        QTRY_COMPARE_WITH_TIMEOUT(t->count(QStringLiteral("error")), 1, SshWaitMs);
    }
    m_app.reset(); // shutdown: closes what is still open, exactly once

    QList<QJsonObject> audit = terminalAudit(auditFrom);
    if (end == QLatin1String("replaced")) {
        // The replacement is a session of its own, closed by the shutdown.
        QCOMPARE(audit.size(), 4);
        QCOMPARE(
            audit.at(3).value(QStringLiteral("reason")).toString(), QStringLiteral("shutdown"));
        audit.remove(2, 2);
    }
    QCOMPARE(audit.size(), 2);
    const QJsonObject opened = audit.at(0);
    const QJsonObject closed = audit.at(1);
    QCOMPARE(opened.value(QStringLiteral("status")).toString(), QStringLiteral("opened"));
    QCOMPARE(opened.value(QStringLiteral("node")).toString(), QStringLiteral("pve1"));
    QCOMPARE(opened.value(QStringLiteral("user")).toString(), QStringLiteral("admin"));
    QCOMPARE(opened.value(QStringLiteral("remoteAddress")).toString(), QStringLiteral("127.0.0.1"));
    QCOMPARE(opened.value(QStringLiteral("args")).toObject(),
        (QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")},
            {QStringLiteral("cols"), 90}, {QStringLiteral("rows"), 20}}));
    QCOMPARE(closed.value(QStringLiteral("status")).toString(), QStringLiteral("closed"));
    QCOMPARE(closed.value(QStringLiteral("id")), opened.value(QStringLiteral("id")));
    QCOMPARE(closed.value(QStringLiteral("reason")).toString(), end);
    QCOMPARE(closed.value(QStringLiteral("exitCode")),
        exitCode ? QJsonValue(*exitCode) : QJsonValue(QJsonValue::Null));
    QVERIFY(closed.value(QStringLiteral("durationMs")).toDouble() >= 0);
    QCOMPARE(closed.value(QStringLiteral("bytesIn")).toInteger(), bytesIn);
    QVERIFY(
        closed.value(QStringLiteral("bytesOut")).toInteger() >= qint64(outputSeen.toUtf8().size()));
    QVERIFY(closed.value(QStringLiteral("bytesOut")).toInteger() > 0);
    if (end == QLatin1String("error"))
        QVERIFY(!closed.value(QStringLiteral("error")).toString().isEmpty());
}

void TestTerminal::unknownNodeAndBadInput()
{
    Terminal *t = connectTerminal();
    QVERIFY(t);
    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("nope")}});
    QTRY_COMPARE(t->count(QStringLiteral("error")), 1);
    QCOMPARE(t->last(QStringLiteral("error")).toString(), QStringLiteral("unknown node: nope"));
    QTRY_VERIFY(t->ack.has_value());
    QCOMPARE(t->ack->args.at(0).toObject(),
        (QJsonObject {{QStringLiteral("ok"), false},
            {QStringLiteral("error"), QStringLiteral("unknown node: nope")}}));

    t->start(QJsonObject {{QStringLiteral("cols"), 80}});
    QTRY_COMPARE(t->count(QStringLiteral("error")), 2);
    QTRY_VERIFY(t->ack.has_value());
    QCOMPARE(t->ack->args.at(0).toObject().value(QStringLiteral("ok")), QJsonValue(false));

    // `data` must be a string, and one message is capped.
    t->client->emitEvent(QStringLiteral("data"), {QJsonObject {{QStringLiteral("x"), 1}}});
    QTRY_COMPARE(t->count(QStringLiteral("error")), 3);
    QVERIFY(t->last(QStringLiteral("error")).toString().contains(QStringLiteral("string")));
    t->type(QString(70000, QLatin1Char('x')));
    QTRY_COMPARE(t->count(QStringLiteral("error")), 4);
    QCOMPARE(t->count(QStringLiteral("ready")), 0);
    QCOMPARE(m_sshd.acceptedLogins(), m_loginsBefore); // nothing connected
}

void TestTerminal::sshNotConfigured()
{
    QVERIFY(startApplication(false));
    Terminal *t = connectTerminal();
    QVERIFY(t);
    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    QTRY_COMPARE(t->count(QStringLiteral("error")), 1);
    QVERIFY2(t->last(QStringLiteral("error")).toString().contains(QStringLiteral("not configured")),
        qPrintable(t->last(QStringLiteral("error")).toString()));
    QTRY_VERIFY(t->ack.has_value());
    QCOMPARE(t->ack->args.at(0).toObject().value(QStringLiteral("ok")), QJsonValue(false));
    // An unknown node is still named as such.
    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("nope")}});
    QTRY_COMPARE(t->count(QStringLiteral("error")), 2);
    QCOMPARE(t->last(QStringLiteral("error")).toString(), QStringLiteral("unknown node: nope"));
    QCOMPARE(m_sshd.acceptedLogins(), m_loginsBefore);
}

void TestTerminal::secondStartClosesFirst()
{
    Terminal *t = connectTerminal();
    QVERIFY(t);
    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    QVERIFY(waitReady(t));
    const qint64 first = shellPid(t);
    QVERIFY(processExists(first));

    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    QTRY_COMPARE_WITH_TIMEOUT(t->count(QStringLiteral("ready")), 2, SshWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!processExists(first), SshWaitMs);
    const qint64 second = shellPid(t);
    QVERIFY(processExists(second));
    QVERIFY(second != first);
    QCOMPARE(handler()->activeSessionCount(), 1);
    QCOMPARE(m_sshd.acceptedLogins(), m_loginsBefore + 1);
}

void TestTerminal::twoTerminalsShareOneConnection()
{
    Terminal *a = connectTerminal();
    Terminal *b = connectTerminal();
    QVERIFY(a && b);
    a->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    b->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    QVERIFY(waitReady(a));
    QVERIFY(waitReady(b));
    QCOMPARE(m_sshd.acceptedLogins(), m_loginsBefore + 1);
    jarvis::ssh::Connection *connection = pool()->connection(QStringLiteral("pve1"));
    QVERIFY(connection);
    QCOMPARE(connection->channelCount(), 2);

    a->type(QStringLiteral("exit\n"));
    QTRY_COMPARE_WITH_TIMEOUT(a->count(QStringLiteral("exit")), 1, SshWaitMs);
    QCOMPARE(a->last(QStringLiteral("exit")).toObject().value(QStringLiteral("code")).toInt(), 0);
    // The other terminal still works, on the same connection.
    b->type(QStringLiteral("echo still\"\"alive\n"));
    QTRY_VERIFY_WITH_TIMEOUT(b->output.contains(QStringLiteral("stillalive")), SshWaitMs);
    QCOMPARE(pool()->connection(QStringLiteral("pve1")), connection);
    QTRY_COMPARE(connection->channelCount(), 1);

    // The next start reuses it.
    a->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    QTRY_COMPARE_WITH_TIMEOUT(a->count(QStringLiteral("ready")), 2, SshWaitMs);
    QCOMPARE(m_sshd.acceptedLogins(), m_loginsBefore + 1);
}

void TestTerminal::disconnectClosesOnlyTheShell()
{
    Terminal *t = connectTerminal();
    QVERIFY(t);
    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    QVERIFY(waitReady(t));
    const qint64 pid = shellPid(t);
    QVERIFY(processExists(pid));
    jarvis::ssh::Connection *connection = pool()->connection(QStringLiteral("pve1"));
    QVERIFY(connection);

    t->client->disconnectFromServer();
    QTRY_VERIFY_WITH_TIMEOUT(!processExists(pid), SshWaitMs);
    QTRY_COMPARE(handler()->sessionCount(), 0);
    QCOMPARE(pool()->connection(QStringLiteral("pve1")), connection);
    QVERIFY(connection->isConnected());
    QTRY_COMPARE(connection->channelCount(), 0);

    Terminal *again = connectTerminal();
    QVERIFY(again);
    again->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    QVERIFY(waitReady(again));
    QCOMPARE(pool()->connection(QStringLiteral("pve1")), connection);
    QCOMPARE(m_sshd.acceptedLogins(), m_loginsBefore + 1);
}

void TestTerminal::utf8NeverSplit()
{
    Terminal *t = connectTerminal();
    QVERIFY(t);
    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    QVERIFY(waitReady(t));
    // Typed as ASCII (octal escapes): only the output holds the multi-byte characters.
    const QString line = QStringLiteral("h\u00e9llo\u2192\u20ac\U0001D11E");
    constexpr int Repeats = 20000;
    t->type(QStringLiteral("i=0; while [ $i -lt %1 ]; do printf "
                           "'h\\303\\251llo\\342\\206\\222\\342\\202\\254\\360\\235\\204\\236\\n'; "
                           "i=$((i+1)); done; echo UTF\"\"-END\n")
                .arg(Repeats));
    QTRY_VERIFY_WITH_TIMEOUT(t->output.contains(QStringLiteral("UTF-END")), 60000);
    QCOMPARE(t->replacementChars, 0);
    QCOMPARE(int(t->output.count(line)), Repeats);
    qInfo("UTF-8: %d bytes of output in %d data events, no character split",
        int(t->output.toUtf8().size()), t->dataEvents);
}

// Bytes that are not UTF-8 reach the client as U+FFFD, and the valid text around them intact.
void TestTerminal::invalidUtf8Replaced()
{
    Terminal *t = connectTerminal();
    QVERIFY(t);
    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    QVERIFY(waitReady(t));
    t->type(QStringLiteral("printf 'BAD<\\377\\300\\257>\\303\\251\\n'; echo BAD\"\"-END\n"));
    QTRY_VERIFY_WITH_TIMEOUT(t->output.contains(QStringLiteral("BAD-END")), SshWaitMs);
    const QString expected =
        QStringLiteral("BAD<") + QString::fromUtf8("\xff\xc0\xaf") + QStringLiteral(">\u00e9");
    QVERIFY2(t->output.contains(expected), qPrintable(t->output.right(200)));
    QVERIFY(t->output.contains(QChar(QChar::ReplacementCharacter)));
}

// A client that negotiated permessage-deflate (as every browser does) still gets terminal output
// uncompressed: compressing each chunk of a fast stream costs more CPU than the whole rest of the
// path.
void TestTerminal::outputUncompressedForDeflateClients()
{
    RawSioClient client;
    QVERIFY(client.join(m_app->port(), "/terminal", m_token.toUtf8(),
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"));
    QVERIFY2(client.responseHead.contains("permessage-deflate"), client.responseHead.constData());
    client.emitEvent(R"(["start",{"node":"pve1"}])");
    bool ready = false;
    while (!ready) {
        const std::optional<RawSioClient::Frame> frame = client.nextFrame(SshWaitMs);
        QVERIFY(frame);
        ready = !frame->rsv1() && frame->payload.startsWith(R"(42/terminal,["ready")");
    }
    // 4000 characters of output in one line, typed as a short command.
    client.emitEvent(R"(["data","printf '%04000d\\n' 7; echo LONG''-END\r"])");
    qsizetype largest = 0;
    bool end = false;
    while (!end) {
        const std::optional<RawSioClient::Frame> frame = client.nextFrame(SshWaitMs);
        QVERIFY(frame);
        QVERIFY2(!frame->rsv1(), "a data event came compressed");
        if (!frame->payload.startsWith(R"(42/terminal,["data",)"))
            continue; // a ping
        largest = qMax(largest, frame->payload.size());
        end = frame->payload.contains("LONG-END");
    }
    QVERIFY2(largest > 1024, qPrintable(QString::number(largest))); // over the compress threshold
}

void TestTerminal::flowControlBoundsMemory()
{
    Terminal *t = connectTerminal();
    Terminal *other = connectTerminal(); // same node, so the same SSH connection
    QVERIFY(t && other);
    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    other->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    QVERIFY(waitReady(t));
    QVERIFY(waitReady(other));
    QTRY_VERIFY_WITH_TIMEOUT(t->dataEvents > 0, SshWaitMs); // the prompt

    // Checks every line in order as it streams, without keeping the output. About 150 MB through
    // the PTY: a jarvisd that queued the output instead of pausing would hold far more than the
    // RSS bound below (and its backlog would pass the high watermark many times over).
    constexpr qint64 Lines = 15000000;
    constexpr qint64 RssBound = 32LL * 1024 * 1024;
    const qint64 outputBytes = seqBytes(Lines) + Lines;
    QVERIFY(outputBytes > 3 * RssBound);
    qint64 next = 1;
    qint64 bytes = 0;
    int disorder = 0;
    bool done = false;
    QString partial;
    const auto detach = qScopeGuard([t] { t->onData = nullptr; }); // it refers to this frame
    t->onData = [&](const QString &text) {
        bytes += text.size();
        partial += text;
        qsizetype from = 0;
        for (qsizetype nl = partial.indexOf(QLatin1Char('\n')); nl >= 0;
             nl = partial.indexOf(QLatin1Char('\n'), from)) {
            QStringView line = QStringView(partial).mid(from, nl - from);
            if (line.endsWith(QLatin1Char('\r')))
                line.chop(1);
            // What follows a carriage return (bash ends bracketed paste with "ESC[?2004l\r").
            line = line.mid(line.lastIndexOf(QLatin1Char('\r')) + 1);
            from = nl + 1;
            if (line == QLatin1String("SEQ-END")) {
                done = true;
                continue;
            }
            bool isNumber = false;
            const qint64 n = line.toLongLong(&isNumber);
            if (!isNumber || next > Lines)
                continue; // the prompt, the echoed command line
            if (n != next) {
                if (disorder == 0)
                    qWarning() << "out of order:" << line << "expected" << next;
                ++disorder;
            }
            next = n + 1;
        }
        partial.remove(0, from);
    };

    const qint64 rssBefore = liveResidentBytes();
    QVERIFY2(rssBefore > 0, "cannot read VmRSS from /proc/self/status");
    qint64 rssPeak = rssBefore;
    bool rssUnreadable = false;
    QTimer sampler;
    sampler.setInterval(20);
    QObject::connect(&sampler, &QTimer::timeout, [&] {
        const qint64 rss = liveResidentBytes();
        rssUnreadable = rssUnreadable || rss < 0;
        rssPeak = qMax(rssPeak, rss);
    });
    sampler.start();
    const quint64 pausesBefore = handler()->pauseCount();

    // A client that stops reading: its TCP socket's readyRead is held back and Qt's buffer is
    // capped, so the kernel buffers fill and jarvisd's unsent bytes for it grow.
    auto *tcp = t->client->findChild<QAbstractSocket *>();
    QVERIFY(tcp);
    tcp->setReadBufferSize(64 * 1024);
    tcp->blockSignals(true);
    QElapsedTimer clock;
    clock.start();
    t->type(QStringLiteral("seq 1 %1; echo SEQ\"\"-END\n").arg(Lines));
    QTRY_VERIFY_WITH_TIMEOUT(handler()->pauseCount() > pausesBefore, 30000);
    const qint64 pausedAfterMs = clock.elapsed();
    // Stay stalled through twenty round trips of the other terminal on the same SSH connection
    // (each answer comes behind whatever the server had sent before it): the remote program is
    // stopped by the SSH window meanwhile, so nothing piles up in jarvisd.
    for (int i = 0; i < 20; ++i) {
        const QByteArray mark = "stalled-" + QByteArray::number(i + 1000);
        other->type(QStringLiteral("echo stalled-$((%1+1000))\n").arg(i));
        QTRY_VERIFY_WITH_TIMEOUT(other->output.contains(QString::fromLatin1(mark)), SshWaitMs);
    }
    const qint64 rssStalled = liveResidentBytes();
    QVERIFY(!done);
    // The deterministic bound: the stalled client's unsent bytes (jarvisd's queue for it).
    QVERIFY2(handler()->maxBacklog() < 2 * handler()->limits().highWatermark,
        qPrintable(QStringLiteral("backlog %1 bytes while stalled").arg(handler()->maxBacklog())));
    tcp->blockSignals(false);
    tcp->setReadBufferSize(0);
    QMetaObject::invokeMethod(tcp, "readyRead", Qt::QueuedConnection);
    QTRY_VERIFY_WITH_TIMEOUT(done, 120000);
    const qint64 elapsed = qMax<qint64>(1, clock.elapsed());
    sampler.stop();
    rssPeak = qMax(rssPeak, liveResidentBytes());

    QCOMPARE(disorder, 0);
    QCOMPARE(next, Lines + 1);
    QCOMPARE(t->replacementChars, 0);
    const qint64 growth = rssPeak - rssBefore;
    qInfo(
        "flow control: %lld chars in %lld ms (%.1f MB/s, 20 round trips stalled), %d data events, "
        "first pause after %lld ms, %llu pauses, max backlog %lld bytes, RSS %lld MiB -> "
        "%lld MiB stalled -> peak %lld MiB (growth %lld MiB)",
        bytes, elapsed, double(bytes) / 1e6 / (double(elapsed) / 1000.0), t->dataEvents,
        pausedAfterMs, handler()->pauseCount() - pausesBefore, handler()->maxBacklog(),
        rssBefore >> 20, rssStalled >> 20, rssPeak >> 20, growth >> 20);
    QVERIFY2(!rssUnreadable, "/proc/self/status could not be read while sampling");
    QVERIFY(bytes >= outputBytes); // the lines are checked above; this is the volume
    // RSS is measured in the normal build only: under ASan its quarantine grows it (sanitizer.h).
    if (!jarvis::test::AddressSanitized)
        QVERIFY2(
            growth < RssBound, qPrintable(QStringLiteral("RSS grew by %1 MiB").arg(growth >> 20)));
    // Paused as soon as the backlog passed the high watermark: by at most one read (ReadBudget).
    QVERIFY(handler()->maxBacklog() > handler()->limits().highWatermark);
    QVERIFY(handler()->maxBacklog() < 2 * handler()->limits().highWatermark);
}

// Issue 4: one terminal's resize storm and fast 50 MB paste must not break the node's shared SSH
// connection. A second terminal on the same node keeps echoing throughout, with its shell (same
// PID) and the connection (same login) intact; the first terminal's program receives every byte
// of every message that was not refused, in order, and its shell answers afterwards.
void TestTerminal::resizeStormAndPasteSpareOtherTerminals()
{
    Terminal *a = connectTerminal();
    Terminal *b = connectTerminal();
    QVERIFY(a && b);
    a->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    b->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    QVERIFY(waitReady(a));
    QVERIFY(waitReady(b));
    const qint64 pidB = shellPid(b);
    QVERIFY(processExists(pidB));
    jarvis::ssh::Connection *connection = pool()->connection(QStringLiteral("pve1"));
    QVERIFY(connection);
    const int logins = m_sshd.acceptedLogins();

    // a: a program that counts what it reads until a sentinel line (no echo, no line limit) and
    // reports its progress every 256 KiB.
    a->type(QStringLiteral("stty -echo -icanon; echo A\"\"-READY; awk '/^PASTE-END$/ "
                           "{ print \"A\" \"-GOT\", n; exit } { n += length($0) + 1; if (n >= m) { "
                           "print \"A\" \"-AT\", n; fflush(); m = n + 262144 } }'; "
                           "stty sane; echo A\"\"-ALIVE\n"));
    QTRY_VERIFY_WITH_TIMEOUT(a->output.contains(QStringLiteral("A-READY")), SshWaitMs);

    // b echoes a numbered line, waits for it, and echoes the next, all along.
    int echoed = 0;
    int echoedDuringPaste = 0;
    bool pasting = true;
    auto echoNext = [b, &echoed] { b->type(QStringLiteral("echo B\"\"-%1.\n").arg(echoed + 1)); };
    QTimer echoer;
    echoer.setInterval(5);
    QObject::connect(&echoer, &QTimer::timeout, [&] {
        if (b->output.contains(QStringLiteral("B-%1.").arg(echoed + 1))) {
            ++echoed;
            echoedDuringPaste += pasting ? 1 : 0;
            echoNext();
        }
    });
    echoNext();
    echoer.start();

    // The storm: many resizes, then 50 MiB of lines in 32 KiB messages, sent as fast as the
    // remote takes them (at most 3 MiB ahead of what the program reported it read, so the SSH
    // window is used up over and over), with a resize every 64 messages.
    for (int i = 0; i < 40; ++i)
        a->resize(80 + i % 7, 24 + i % 5);
    constexpr int ChunkBytes = 32 * 1024;
    constexpr int Chunks = 50 * 1024 * 1024 / ChunkBytes;
    constexpr qint64 Ahead = 3 * 1024 * 1024;
    const QString line = QString(63, QLatin1Char('x')) + QLatin1Char('\n');
    QString chunk;
    for (int i = 0; i < ChunkBytes / line.size(); ++i)
        chunk += line;
    QCOMPARE(chunk.size(), ChunkBytes);
    const QRegularExpression at(QStringLiteral("A-AT (\\d+)"));
    auto reported = [&] {
        qint64 last = 0;
        for (auto it = at.globalMatch(a->output); it.hasNext();)
            last = it.next().captured(1).toLongLong();
        return last;
    };
    auto broken = [&] {
        return a->count(QStringLiteral("exit")) + b->count(QStringLiteral("exit"))
                + b->count(QStringLiteral("error"))
            > 0
            || (a->count(QStringLiteral("error")) > 0
                && !a->last(QStringLiteral("error"))
                        .toString()
                        .startsWith(QStringLiteral("input dropped")));
    };
    for (int sent = 0; sent < Chunks && !broken(); ++sent) {
        if (!QTest::qWaitFor(
                [&] { return qint64(sent) * ChunkBytes - reported() <= Ahead || broken(); },
                SshWaitMs))
            break;
        a->type(chunk);
        if (sent % 64 == 0)
            a->resize(100 + sent % 13, 30 + sent % 11);
    }
    a->type(QStringLiteral("\nPASTE-END\n"));

    const QRegularExpression got(QStringLiteral("A-GOT (\\d+)"));
    QRegularExpressionMatch match;
    QTRY_VERIFY_WITH_TIMEOUT((match = got.match(a->output)).hasMatch()
            || a->count(QStringLiteral("exit")) > 0 || b->count(QStringLiteral("exit")) > 0
            || a->last(QStringLiteral("error")).toString().contains(QStringLiteral("lost")),
        180000);
    pasting = false;
    QVERIFY2(match.hasMatch(),
        qPrintable(QStringLiteral("a: %1 / b: %2")
                       .arg(a->last(QStringLiteral("error")).toString(),
                           b->last(QStringLiteral("error")).toString())));
    // Only whole messages the remote had no room for are refused, each with an `error`.
    int refused = 0;
    for (const auto &e : std::as_const(a->events)) {
        if (e.first == QLatin1String("error")) {
            QCOMPARE(e.second.at(0).toString(),
                QStringLiteral("input dropped: the shell is not reading its input"));
            ++refused;
        }
    }
    QCOMPARE(match.captured(1).toLongLong(), qint64(Chunks - refused) * ChunkBytes + 1);
    QTRY_VERIFY_WITH_TIMEOUT(a->output.contains(QStringLiteral("A-ALIVE")), SshWaitMs);

    // b kept echoing and still does, on the same shell and the same connection.
    const int before = echoed;
    QTRY_VERIFY_WITH_TIMEOUT(echoed >= before + 3, SshWaitMs);
    echoer.stop();
    QVERIFY(echoedDuringPaste > 0);
    QCOMPARE(shellPid(b), pidB);
    QCOMPARE(b->count(QStringLiteral("error")), 0);
    QCOMPARE(b->count(QStringLiteral("exit")), 0);
    QCOMPARE(pool()->connection(QStringLiteral("pve1")), connection);
    QCOMPARE(m_sshd.acceptedLogins(), logins);
    qInfo("paste: %d of %d messages refused; b echoed %d lines during the paste", refused, Chunks,
        echoedDuringPaste);
}

void TestTerminal::sshdKilledThenReconnects()
{
    Terminal *t = connectTerminal();
    QVERIFY(t);
    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    QVERIFY(waitReady(t));
    m_sshd.kill();
    QTRY_VERIFY_WITH_TIMEOUT(
        t->count(QStringLiteral("exit")) + t->count(QStringLiteral("error")) > 0, SshWaitMs);
    if (t->count(QStringLiteral("error")) > 0)
        QVERIFY(!t->last(QStringLiteral("error")).toString().isEmpty());
    QCOMPARE(handler()->activeSessionCount(), 0);

    QVERIFY2(m_sshd.start(), qPrintable(m_sshd.error()));
    const int logins = m_sshd.acceptedLogins();
    t->start(QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}});
    QTRY_COMPARE_WITH_TIMEOUT(t->count(QStringLiteral("ready")), 2, SshWaitMs);
    QCOMPARE(m_sshd.acceptedLogins(), logins + 1);
    t->type(QStringLiteral("echo re\"\"connected\n"));
    QTRY_VERIFY_WITH_TIMEOUT(t->output.contains(QStringLiteral("reconnected")), SshWaitMs);
}

QTEST_MAIN(TestTerminal)
#include "tst_terminal.moc"
