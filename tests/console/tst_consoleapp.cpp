// The console end to end against `jarvisd --demo` on a free port (real sockets on 127.0.0.1):
// ConsoleSession's login (wrong password, server down, an expired remembered token, a server that
// came back with another secret), the window (Main.qml with the real models) showing the demo's
// nodes and guests, a guest stopped through the confirmation dialog, and the `jarvis-console`
// binary's --screenshot (PNG kept in <build>/tests/console/artifacts; exit 1 with one line when
// it cannot log in or connect).
// Env (set by ctest): JARVISD, JARVIS_CONSOLE, JARVIS_CONSOLE_ARTIFACTS.
#include "consolewindow.h"
#include "core/clock.h"
#include "terminal/terminalitem.h"
#include "terminal/terminalsession.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QProcess>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickWindow>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>
#include <QtQml/qqmlextensionplugin.h>

#include <cmath>
#include <memory>
#include <optional>

Q_IMPORT_QML_PLUGIN(Jarvis_ConsolePlugin)

using namespace jarvis::console;

namespace {

const QString DemoPassword = QStringLiteral("jarvis-demo");
constexpr int WaitMs = 20000;

// jarvisd --demo on `port` (0: a free one), with a known JWT secret.
class Demo
{
public:
    explicit Demo(const QByteArray &secret)
        : m_secret(secret)
    { }
    ~Demo() { stop(); }

    bool start(int port = 0)
    {
        m_process = std::make_unique<QProcess>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("JARVIS_JWT_SECRET"), QString::fromLatin1(m_secret));
        env.remove(QStringLiteral("JARVIS_ADMIN_PASSWORD"));
        env.remove(QStringLiteral("JARVIS_PORT"));
        m_process->setProcessEnvironment(env);
        m_process->setProcessChannelMode(QProcess::SeparateChannels);
        m_out.clear();
        QObject::connect(m_process.get(), &QProcess::readyReadStandardOutput, m_process.get(),
            [this] { m_out += m_process->readAllStandardOutput(); });
        QObject::connect(m_process.get(), &QProcess::readyReadStandardError, m_process.get(),
            [this] { m_process->readAllStandardError(); });
        m_process->start(qEnvironmentVariable("JARVISD"),
            {QStringLiteral("--demo"), QStringLiteral("--port"), QString::number(port)});
        const QRegularExpression listening(QStringLiteral("jarvisd: listening on (\\S+)"));
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < WaitMs && m_process->state() != QProcess::NotRunning) {
            const auto m = listening.match(QString::fromUtf8(m_out));
            if (m.hasMatch()) {
                url = QUrl(m.captured(1));
                url.setPath(QString());
                return true;
            }
            QTest::qWait(20); // waits on the event loop for the process's output
        }
        return false;
    }

    void stop()
    {
        if (!m_process)
            return;
        if (m_process->state() != QProcess::NotRunning) {
            m_process->terminate();
            if (!m_process->waitForFinished(10000))
                m_process->kill();
        }
        m_process.reset();
    }

    QUrl url;

private:
    QByteArray m_secret;
    std::unique_ptr<QProcess> m_process;
    QByteArray m_out;
};

QByteArray base64url(const QByteArray &b)
{
    return b.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// A JWT HS256 as jarvisd issues it (PROTOCOL.md section 2), expiring at `exp`.
QString forgeToken(const QByteArray &secret, qint64 exp)
{
    const QByteArray header = base64url(R"({"alg":"HS256","typ":"JWT"})");
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const QByteArray payload = base64url(QJsonDocument(
        QJsonObject {{"sub", "admin"}, {"iat", now - 100000}, {"exp", exp},
            {"jti", "consoleapp-test"}}).toJson(QJsonDocument::Compact));
    const QByteArray signingInput = header + '.' + payload;
    const QByteArray sig =
        QMessageAuthenticationCode::hash(signingInput, secret, QCryptographicHash::Sha256);
    return QString::fromLatin1(signingInput + '.' + base64url(sig));
}

int freePort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}

QString artifactsDir()
{
    QString dir = qEnvironmentVariable("JARVIS_CONSOLE_ARTIFACTS");
    if (dir.isEmpty())
        dir = QDir::currentPath() + QStringLiteral("/artifacts");
    QDir().mkpath(dir);
    return dir;
}

// Runs jarvis-console to its end (at most 30 s), offscreen, with the password.
RunResult runConsole(const QStringList &args, const QString &password)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("JARVIS_CONSOLE_PASSWORD"), password);
    return runConsole(args, env);
}

} // namespace

class TestConsoleApp : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void normaliseServer_data();
    void normaliseServer();
    void toolFor();
    void actionFailureText();
    void wrongPassword();
    void serverDown();
    void expiredRememberedToken();
    void rememberedTokenResumes();
    void windowShowsDemoAndStopsThroughDialog();
    void sparklinesFullAtOnce();
    void guestHistoryWithAck();
    void terminalRunsACommand();
    void serverBackWithAnotherSecret();
    void liveChangesAtOnce();
    void screenshot();
    void screenshotWrongPassword();
    void screenshotServerDown();

private:
    void waitForBackfill();

    const QByteArray m_secret =
        QByteArrayLiteral("consoleapp-test-secret-0123456789abcdefghijklmno");
    std::unique_ptr<Demo> m_demo;
};

void TestConsoleApp::initTestCase()
{
    QVERIFY2(!qEnvironmentVariable("JARVISD").isEmpty(), "JARVISD names the jarvisd to test");
    m_demo = std::make_unique<Demo>(m_secret);
    QVERIFY2(m_demo->start(), "jarvisd --demo starts");
}

void TestConsoleApp::normaliseServer_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("expected");
    QTest::newRow("host:port") << "127.0.0.1:8080"
                               << "http://127.0.0.1:8080";
    QTest::newRow("http") << "http://jarvis.lan:8080/"
                          << "http://jarvis.lan:8080";
    QTest::newRow("https, spaces") << "  https://JARVIS.lan  "
                                   << "https://jarvis.lan";
    QTest::newRow("ipv6") << "http://[::1]:8080"
                          << "http://[::1]:8080";
    QTest::newRow("empty") << ""
                           << "";
    QTest::newRow("path") << "http://h/api"
                          << "";
    QTest::newRow("query") << "http://h/?x=1"
                           << "";
    QTest::newRow("user info") << "http://u:p@h"
                               << "";
    QTest::newRow("ws scheme") << "ws://h:8080"
                               << "";
    QTest::newRow("no host") << "http://"
                             << "";
}

void TestConsoleApp::normaliseServer()
{
    QFETCH(QString, input);
    QFETCH(QString, expected);
    QCOMPARE(ConsoleSession::normaliseServer(input).toString(), expected);
}

void TestConsoleApp::toolFor()
{
    QCOMPARE(ConsoleSession::toolFor("stop", "lxc"), QStringLiteral("stop_container"));
    QCOMPARE(ConsoleSession::toolFor("start", "qemu"), QStringLiteral("start_vm"));
    QCOMPARE(ConsoleSession::toolFor("restart", "qemu"), QStringLiteral("restart_vm"));
    QCOMPARE(ConsoleSession::toolFor("shutdown", "lxc"), QStringLiteral("shutdown_container"));
}

void TestConsoleApp::actionFailureText()
{
    const QJsonObject body {{"error", "guest 101 is protected"}};
    QCOMPARE(ConsoleSession::actionFailureText("Stop db (101)", 403, body, {}),
        QStringLiteral(
            "Stop db (101) failed: refused by the safety policy: guest 101 is protected"));
    QCOMPARE(
        ConsoleSession::actionFailureText("Stop db (101)", 502, {{"error", "task failed"}}, {}),
        QStringLiteral("Stop db (101) failed: Proxmox reported an error: task failed"));
    QCOMPARE(ConsoleSession::actionFailureText("Start db (101)", 0, {}, "Connection refused"),
        QStringLiteral(
            "Start db (101) failed: the server could not be reached (Connection refused)"));
}

void TestConsoleApp::wrongPassword()
{
    MemorySecretStore store;
    ConsoleSession session(&store);
    QSignalSpy failed(&session, &ConsoleSession::loginFailed);
    session.login(m_demo->url.toString(), QStringLiteral("not-the-password"), false);
    QCOMPARE(session.state(), QStringLiteral("loggingIn"));
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, WaitMs);
    QCOMPARE(session.errorText(), QStringLiteral("Wrong user name or password"));
    QCOMPARE(session.state(), QStringLiteral("connect"));
}

void TestConsoleApp::serverDown()
{
    MemorySecretStore store;
    ConsoleSession session(&store);
    QSignalSpy failed(&session, &ConsoleSession::loginFailed);
    const QString url = QStringLiteral("http://127.0.0.1:%1").arg(freePort());
    session.login(url, DemoPassword, false);
    QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, WaitMs);
    QVERIFY2(session.errorText().startsWith(QStringLiteral("Cannot connect to ") + url),
        qPrintable(session.errorText()));
    QCOMPARE(session.state(), QStringLiteral("connect"));
}

void TestConsoleApp::expiredRememberedToken()
{
    MemorySecretStore store;
    const QString server = m_demo->url.toString();
    bool written = false;
    store.write(QStringLiteral("token:") + server,
        forgeToken(m_secret, QDateTime::currentSecsSinceEpoch() - 60), this,
        [&written](const SecretStore::Result &r) { written = r.ok(); });
    QTRY_VERIFY(written);
    ConsoleSession session(&store);
    session.resume(server);
    QTRY_COMPARE_WITH_TIMEOUT(
        session.errorText(), QStringLiteral("Your session has expired. Log in again."), WaitMs);
    QCOMPARE(session.state(), QStringLiteral("connect"));
    // The expired token is forgotten.
    bool gone = false;
    store.read(QStringLiteral("token:") + server, this, [&gone](const SecretStore::Result &r) {
        gone = r.status == SecretStore::Status::NotFound;
    });
    QTRY_VERIFY(gone);
}

void TestConsoleApp::rememberedTokenResumes()
{
    MemorySecretStore store;
    const QString server = m_demo->url.toString();
    {
        ConsoleSession first(&store);
        first.login(server, DemoPassword, true);
        QTRY_COMPARE_WITH_TIMEOUT(first.state(), QStringLiteral("connected"), WaitMs);
        bool stored = false;
        store.read(QStringLiteral("token:") + server, this,
            [&stored, &first](
                const SecretStore::Result &r) { stored = r.ok() && r.secret == first.token(); });
        QTRY_VERIFY(stored);
    }
    ConsoleSession second(&store);
    second.resume(server);
    QTRY_VERIFY_WITH_TIMEOUT(second.hasSnapshot(), WaitMs);
    QVERIFY(second.isLive());
    second.logout();
    bool gone = false;
    store.read(QStringLiteral("token:") + server, this, [&gone](const SecretStore::Result &r) {
        gone = r.status == SecretStore::Status::NotFound;
    });
    QTRY_VERIFY(gone);
}

// jarvisd's rrddata backfill runs in the background after its first polls: waits until its history
// of every online node spans half an hour (asked again at each `nodes`).
void TestConsoleApp::waitForBackfill()
{
    MemorySecretStore store;
    ConsoleState probe(&store);
    probe.session.login(m_demo->url.toString(), DemoPassword, false);
    QTRY_VERIFY_WITH_TIMEOUT(probe.session.hasSnapshot(), WaitMs);
    QSignalSpy answers(&probe.session, &ConsoleSession::historyAnswered);
    QSignalSpy nodes(&probe.session, &ConsoleSession::nodesReceived);
    QDeadlineTimer deadline(30000);
    for (;;) {
        int full = 0;
        for (int row = 0; row < probe.nodes.rowCount(); ++row) {
            const QModelIndex at = probe.nodes.index(row);
            if (!probe.nodes.data(at, NodeListModel::OnlineRole).toBool())
                continue;
            const QString node = probe.nodes.data(at, NodeListModel::NameRole).toString();
            answers.clear();
            probe.session.requestHistory(QStringLiteral("node/") + node, QStringLiteral("hour"));
            QTRY_COMPARE_WITH_TIMEOUT(answers.count(), 1, WaitMs);
            const QVariantList t = answers.at(0).at(3).toMap().value(QStringLiteral("t")).toList();
            full +=
                !t.isEmpty() && t.constLast().toLongLong() - t.constFirst().toLongLong() >= 1800;
        }
        if (full == probe.nodes.onlineCount())
            break;
        QVERIFY2(!deadline.hasExpired(), "jarvisd's history is backfilled within 30 s");
        nodes.clear();
        QTRY_VERIFY_WITH_TIMEOUT(nodes.count() > 0, WaitMs);
    }
}

// The `history` event seeds every node's sparklines right after the first snapshots: an hour
// of samples at once, not the one sample a fresh connection has; a reconnect (jarvisd's next
// history) replaces them rather than doubling them.
void TestConsoleApp::sparklinesFullAtOnce()
{
    waitForBackfill();
    if (QTest::currentTestFailed())
        return;
    MemorySecretStore store;
    ConsoleState state(&store);
    QSignalSpy history(&state.session, &ConsoleSession::historyReceived);
    QElapsedTimer since;
    since.start();
    state.session.login(m_demo->url.toString(), DemoPassword, false);
    QTRY_VERIFY_WITH_TIMEOUT(state.session.hasSnapshot(), WaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(history.count(), 1, WaitMs);
    QVERIFY(state.nodes.rowCount() >= 3);
    const auto span = [&](int row) {
        const QVariantList t =
            state.nodes.data(state.nodes.index(row), NodeListModel::HistoryTimesRole).toList();
        return t.isEmpty() ? qint64(0) : t.constLast().toLongLong() - t.constFirst().toLongLong();
    };
    const auto samples = [&](int row) {
        return state.nodes.data(state.nodes.index(row), NodeListModel::CpuHistoryRole)
            .toList()
            .size();
    };
    for (int row = 0; row < state.nodes.rowCount(); ++row) {
        if (!state.nodes.data(state.nodes.index(row), NodeListModel::OnlineRole).toBool())
            continue;
        QVERIFY2(samples(row) >= 30, qPrintable(QString::number(samples(row))));
        QVERIFY2(span(row) >= 1800, qPrintable(QString::number(span(row))));
        QVERIFY(span(row) <= NodeListModel::HistorySeconds);
        QVERIFY2(
            span(row) > 10 * (since.elapsed() / 1000 + 30), "far more than the time since login");
        QCOMPARE(
            state.nodes.data(state.nodes.index(row), NodeListModel::MemHistoryRole).toList().size(),
            samples(row));
    }
    // Logged in again (a reconnect's snapshots and history): the same amount, not twice it.
    const int before = samples(0);
    state.session.logout();
    state.session.login(m_demo->url.toString(), DemoPassword, false);
    QTRY_VERIFY_WITH_TIMEOUT(state.session.hasSnapshot(), WaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(history.count(), 2, WaitMs);
    QVERIFY2(samples(0) <= before + 3 && samples(0) >= before - 3,
        qPrintable(QStringLiteral("%1 then %2").arg(before).arg(samples(0))));
}

// A guest's history asked with ack: the hour, the day (more samples), an unknown guest refused
// in words.
void TestConsoleApp::guestHistoryWithAck()
{
    MemorySecretStore store;
    ConsoleSession session(&store);
    session.login(m_demo->url.toString(), DemoPassword, false);
    QTRY_VERIFY_WITH_TIMEOUT(session.hasSnapshot(), WaitMs);
    QSignalSpy answered(&session, &ConsoleSession::historyAnswered);
    QTRY_VERIFY_WITH_TIMEOUT(session.isConnected(), WaitMs);

    session.requestHistory(QStringLiteral("qemu/101"), QStringLiteral("hour"));
    QTRY_COMPARE_WITH_TIMEOUT(answered.count(), 1, WaitMs);
    QList<QVariant> a = answered.takeFirst();
    QCOMPARE(a.at(0).toString(), QStringLiteral("qemu/101"));
    QCOMPARE(a.at(1).toString(), QStringLiteral("hour"));
    QVERIFY2(a.at(2).toBool(), qPrintable(a.at(4).toString()));
    const QVariantMap hour = a.at(3).toMap();
    const int hourSamples = int(hour.value(QStringLiteral("t")).toList().size());
    QVERIFY2(hourSamples >= 30, qPrintable(QString::number(hourSamples)));
    for (const char *column : {"cpu", "mem", "netin", "netout", "diskread", "diskwrite"})
        QCOMPARE(hour.value(QString::fromLatin1(column)).toList().size(), hourSamples);

    session.requestHistory(QStringLiteral("qemu/101"), QStringLiteral("day"));
    QTRY_COMPARE_WITH_TIMEOUT(answered.count(), 1, WaitMs);
    a = answered.takeFirst();
    QVERIFY2(a.at(2).toBool(), qPrintable(a.at(4).toString()));
    const QVariantList dayT = a.at(3).toMap().value(QStringLiteral("t")).toList();
    QVERIFY2(dayT.size() > hourSamples, qPrintable(QString::number(dayT.size())));
    QVERIFY(dayT.constLast().toLongLong() - dayT.constFirst().toLongLong() > 3600);

    session.requestHistory(QStringLiteral("qemu/999999"), QStringLiteral("hour"));
    QTRY_COMPARE_WITH_TIMEOUT(answered.count(), 1, WaitMs);
    a = answered.takeFirst();
    QCOMPARE(a.at(2).toBool(), false);
    QVERIFY(!a.at(4).toString().isEmpty());
}

void TestConsoleApp::windowShowsDemoAndStopsThroughDialog()
{
    ConsoleWindow w;
    QVERIFY(w.load());
    ConsoleState &state = w.state;
    QQuickWindow *window = w.window;

    state.session.login(m_demo->url.toString(), DemoPassword, false);
    QTRY_VERIFY_WITH_TIMEOUT(state.session.hasSnapshot(), WaitMs);
    QCOMPARE(state.nodes.rowCount(), 3); // the demo's default cluster
    QCOMPARE(state.guests.rowCount(), 12);
    // The node filter's names are the node model's, sorted.
    QStringList names;
    for (int row = 0; row < state.nodes.rowCount(); ++row)
        names.append(state.nodes.data(state.nodes.index(row), NodeListModel::NameRole).toString());
    names.sort();
    QCOMPARE(state.session.nodeNames(), names);
    for (const QString &node : state.session.terminalNodes())
        QVERIFY(names.contains(node));
    QTRY_VERIFY(state.session.isLive());

    // A running guest that may be stopped (not protected, not locked).
    int vmid = -1;
    QVariantMap guest;
    for (int row = 0; row < state.guests.rowCount() && vmid < 0; ++row) {
        const int id =
            state.guests.data(state.guests.index(row), state.guests.roleNames().key("vmid"))
                .toInt();
        const QVariantMap g = state.guests.get(id);
        if (g.value("canStop").toBool() && g.value("status") == QLatin1String("running")) {
            vmid = id;
            guest = g;
        }
    }
    QVERIFY2(vmid > 0, "the demo has a running guest that may be stopped");

    // Only that guest in the table, then its Stop button, the dialog naming it, Stop.
    auto *search = window->findChild<QQuickItem *>(QStringLiteral("guestSearch"));
    QVERIFY(search);
    search->setProperty("text", QString::number(vmid));
    QQuickItem *stop = nullptr;
    QTRY_VERIFY((stop = visibleChild(window, QStringLiteral("action-stop-%1").arg(vmid)))
        && stop->isEnabled());
    QTest::mouseClick(window, Qt::LeftButton, {}, centre(stop).toPoint());
    QObject *dialog = window->findChild<QObject *>(QStringLiteral("confirmDialog"));
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->property("opened").toBool());
    QCOMPARE(dialog->property("question").toString(),
        QStringLiteral("Stop %1 (%2) on %3?")
            .arg(guest.value("name").toString())
            .arg(vmid)
            .arg(guest.value("node").toString()));
    QQuickItem *accept = nullptr;
    QTRY_VERIFY((accept = window->findChild<QQuickItem *>(QStringLiteral("confirmAccept")))
        && accept->isVisible());
    QTest::mouseClick(window, Qt::LeftButton, {}, centre(accept).toPoint());
    QTRY_VERIFY(state.session.pending().contains(QString::number(vmid))
        || state.guests.get(vmid).value("status") == QLatin1String("stopped"));
    QTRY_COMPARE_WITH_TIMEOUT(
        state.guests.get(vmid).value("status").toString(), QStringLiteral("stopped"), WaitMs);
    auto *statusText = visibleChild(window, QStringLiteral("status-%1").arg(vmid));
    QVERIFY(statusText);
    QTRY_COMPARE(statusText->property("text").toString(), QStringLiteral("stopped"));
    QVERIFY2(state.session.actionError().isEmpty(), qPrintable(state.session.actionError()));
}

void TestConsoleApp::terminalRunsACommand()
{
    ConsoleWindow w;
    QVERIFY(w.load());
    w.state.session.login(m_demo->url.toString(), DemoPassword, false);
    QTRY_VERIFY_WITH_TIMEOUT(w.state.session.hasSnapshot(), WaitMs);
    QVERIFY2(!w.state.session.terminalNodes().isEmpty(), "an online node that is not protected");

    // The Terminal view, the first node offered, Open.
    QObject *views = w.window->findChild<QObject *>(QStringLiteral("views"));
    QObject *loader = w.window->findChild<QObject *>(QStringLiteral("terminalPage"));
    QVERIFY(views && loader);
    loader->setProperty("wanted", true);
    views->setProperty("currentIndex", 1);
    TerminalSession *session = nullptr;
    QQuickItem *open = nullptr;
    QTRY_VERIFY(
        (session = w.window->findChild<TerminalSession *>(QStringLiteral("terminalSession")))
        && (open = w.window->findChild<QQuickItem *>(QStringLiteral("terminalOpen")))
        && open->isVisible() && open->isEnabled());
    auto *screen = w.window->findChild<TerminalItem *>(QStringLiteral("terminalItem"));
    QVERIFY(screen);
    QTest::mouseClick(w.window, Qt::LeftButton, {}, centre(open).toPoint());
    QTRY_COMPARE_WITH_TIMEOUT(session->state(), QStringLiteral("open"), WaitMs);
    QCOMPARE(session->node(), w.state.session.terminalNodes().constFirst());

    // Typed into the item; the shell's arithmetic, so the answer is not the echo of the keys.
    QTRY_VERIFY(screen->hasActiveFocus());
    const int a = 1234, b = 4321;
    const QByteArray command = QStringLiteral("echo jarvis-$((%1+%2))").arg(a).arg(b).toLatin1();
    for (const char c : command)
        QTest::keyClick(w.window, c);
    QTest::keyClick(w.window, Qt::Key_Return);
    const QString expected = QStringLiteral("jarvis-%1").arg(a + b);
    auto screenHas = [screen, &expected] {
        for (int row = 0; row < screen->rows(); ++row) {
            if (screen->screen().lineText(row).contains(expected))
                return true;
        }
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(screenHas(), WaitMs);
    session->close();
}

void TestConsoleApp::serverBackWithAnotherSecret()
{
    // Its own jarvisd, so the others' keep running.
    Demo demo(m_secret);
    QVERIFY(demo.start());
    const int port = demo.url.port();
    MemorySecretStore store;
    ConsoleSession session(&store);
    session.setReconnectDelays(100, 500);
    session.login(demo.url.toString(), DemoPassword, false);
    QTRY_VERIFY_WITH_TIMEOUT(session.hasSnapshot(), WaitMs);
    QVERIFY(!session.isReconnecting());

    demo.stop();
    QTRY_VERIFY_WITH_TIMEOUT(session.isReconnecting(), WaitMs);
    QVERIFY(session.reconnectText().startsWith(QStringLiteral("Reconnecting…")));
    QVERIFY(!session.isLive());
    QCOMPARE(session.state(), QStringLiteral("connected")); // still trying

    // Back on the same port, signing with another secret: the token is refused at CONNECT.
    Demo again(QByteArrayLiteral("another-secret-for-the-restarted-jarvisd-0123456789"));
    QVERIFY(again.start(port));
    QTRY_COMPARE_WITH_TIMEOUT(session.state(), QStringLiteral("connect"), WaitMs);
    QCOMPARE(session.errorText(),
        QStringLiteral("Your session is no longer valid (the server may have restarted). Log in "
                       "again."));
}

// The header's connected/Live follow the /cluster connection at once: notified when it connects
// (before the first snapshot arrives) and when it drops, not at the next tick of the age. The
// session's clock is a ManualClock that never moves, so no tick ever comes.
void TestConsoleApp::liveChangesAtOnce()
{
    Demo demo(m_secret);
    QVERIFY(demo.start());
    jarvis::core::ManualClock clock;
    MemorySecretStore store;
    ConsoleSession session(&store, &clock, nullptr);
    session.setReconnectDelays(100, 500);
    // What the last liveChanged told a binding.
    bool notifiedConnected = false;
    bool notifiedLive = false;
    std::optional<bool> connectedAtFirstData; // what was notified when the first data came
    connect(&session, &ConsoleSession::liveChanged, this, [&] {
        notifiedConnected = session.isConnected();
        notifiedLive = session.isLive();
    });
    auto firstData = [&] {
        if (!connectedAtFirstData)
            connectedAtFirstData = notifiedConnected;
    };
    connect(&session, &ConsoleSession::nodesReceived, this, firstData);
    connect(&session, &ConsoleSession::vmsReceived, this, firstData);
    connect(&session, &ConsoleSession::storageReceived, this, firstData);
    connect(&session, &ConsoleSession::temperaturesReceived, this, firstData);
    connect(&session, &ConsoleSession::quorumChanged, this, [&] {
        if (session.isConnected())
            firstData();
    });
    session.login(demo.url.toString(), DemoPassword, false);
    QTRY_VERIFY_WITH_TIMEOUT(session.hasSnapshot(), WaitMs);
    QVERIFY(connectedAtFirstData.has_value());
    QVERIFY2(*connectedAtFirstData, "connected was notified when /cluster connected");
    QVERIFY(session.isLive());
    QVERIFY(notifiedLive);
    QCOMPARE(session.ageSeconds(), 0);

    demo.stop();
    QTRY_VERIFY_WITH_TIMEOUT(!notifiedConnected && !notifiedLive, WaitMs);
    QVERIFY(!session.isConnected());
    QVERIFY(!session.isLive());
    QVERIFY(session.isReconnecting());
}

void TestConsoleApp::screenshot()
{
    waitForBackfill(); // the picture shows the sparklines' hour
    if (QTest::currentTestFailed())
        return;
    const QString file = artifactsDir() + QStringLiteral("/console.png");
    QFile::remove(file);
    const RunResult r = runConsole(
        {QStringLiteral("--server"), m_demo->url.toString(), QStringLiteral("--screenshot"), file},
        DemoPassword);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QImage image(file);
    QVERIFY2(!image.isNull(), "a PNG was written");
    QCOMPARE(image.size(), QSize(1280, 800));
    // The memory sparklines (#a371f7, the only violet in the node cards across the top) are full
    // lines, an hour from jarvisd's history: violet in hundreds of pixel columns, not the dot or
    // two of a fresh connection's own samples.
    const QColor violet(0xa3, 0x71, 0xf7);
    int columns = 0;
    for (int x = 0; x < image.width(); ++x) {
        for (int y = 40; y < 260; ++y) {
            const QColor c = image.pixelColor(x, y);
            if (std::abs(c.red() - violet.red()) + std::abs(c.green() - violet.green())
                    + std::abs(c.blue() - violet.blue())
                < 60) {
                ++columns;
                break;
            }
        }
    }
    QVERIFY2(columns >= 300, qPrintable(QStringLiteral("violet in %1 columns").arg(columns)));
    qInfo("screenshot: %s in %lld ms, memory sparklines in %d pixel columns", qPrintable(file),
        r.elapsedMs, columns);
}

void TestConsoleApp::screenshotWrongPassword()
{
    const RunResult r = runConsole(
        {QStringLiteral("--server"), m_demo->url.toString(), QStringLiteral("--screenshot"),
            artifactsDir() + QStringLiteral("/never.png")},
        QStringLiteral("wrong"));
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY2(r.err.contains("cannot log in to") && r.err.contains("Wrong user name or password"),
        r.err.constData());
    QVERIFY(!QFile::exists(artifactsDir() + QStringLiteral("/never.png")));
}

void TestConsoleApp::screenshotServerDown()
{
    const QString url = QStringLiteral("http://127.0.0.1:%1").arg(freePort());
    const RunResult r = runConsole({QStringLiteral("--server"), url, QStringLiteral("--screenshot"),
                                       artifactsDir() + QStringLiteral("/never.png")},
        DemoPassword);
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY2(
        r.err.startsWith("jarvis-console: cannot log in to " + url.toUtf8()), r.err.constData());
    qInfo("server down: exit 1 after %lld ms: %s", r.elapsedMs, r.err.trimmed().constData());
}

QTEST_MAIN(TestConsoleApp)
#include "tst_consoleapp.moc"
