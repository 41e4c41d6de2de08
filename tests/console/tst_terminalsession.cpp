// TerminalSession end to end: a real jarvisd (ClusterFixture, in this process) whose nodes' SSH
// points at a real OpenSSH sshd on loopback (SshdFixture, the fixture tst_terminal uses), and a
// TerminalItem showing the shell. Every wait is on an observable condition.
#include "clusterfixture.h"
#include "sshdfixture.h"

#include "terminalitem.h"
#include "terminalsession.h"

#include <QGuiApplication>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using jarvis::console::TerminalItem;
using jarvis::console::TerminalSession;

namespace {
constexpr int SshWaitMs = 20000;

// The screen and its scrollback as text, one line each.
QString screenText(const TerminalItem &item)
{
    QStringList lines;
    const auto &s = item.screen();
    for (int row = -s.scrollbackSize(); row < s.rows(); ++row)
        lines << s.lineText(row);
    return lines.join(QLatin1Char('\n'));
}
} // namespace

class TestTerminalSession : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void openEchoExit();
    void resizeReachesThePty();
    void largePasteIsChunked();
    void unknownNode();
    void badToken();
    void closeEndsTheShell();

private:
    void setTerminalSize(int cols, int rows);
    bool openOn(const QString &node);

    SshdFixture m_sshd;
    std::unique_ptr<ClusterFixture> m_cluster;
    std::unique_ptr<TerminalItem> m_item;
    std::unique_ptr<TerminalSession> m_session;
};

void TestTerminalSession::initTestCase()
{
    if (!SshdFixture::isAvailable())
        QFAIL("OpenSSH sshd or ssh-keygen is missing: make deps installs openssh-server");
    QVERIFY2(m_sshd.setUp(), qPrintable(m_sshd.error()));
}

void TestTerminalSession::init()
{
    QVERIFY(m_sshd.isRunning() || m_sshd.start());
    m_cluster = std::make_unique<ClusterFixture>(300, QStringList {}, [this](auto &c) {
        c.sshConfigured = true;
        c.sshUser = SshdFixture::user();
        c.sshKeyFile = m_sshd.clientKeyFile();
        c.sshKnownHostsFile = m_sshd.knownHostsFile();
        c.strictHostKeys = true;
        for (auto &node : c.nodes) {
            node.host = m_sshd.host();
            node.sshPort = m_sshd.port();
        }
    });
    QVERIFY2(m_cluster->started, qPrintable(m_cluster->startError));
    m_item = std::make_unique<TerminalItem>();
    setTerminalSize(80, 24);
    m_session = std::make_unique<TerminalSession>();
    m_session->setTerminal(m_item.get());
}

void TestTerminalSession::cleanup()
{
    m_session.reset();
    m_item.reset();
    m_cluster.reset();
}

void TestTerminalSession::setTerminalSize(int cols, int rows)
{
    const QSizeF cell = m_item->cellSize();
    m_item->setSize(QSizeF(cols * cell.width() + 1, rows * cell.height() + 1));
    QCOMPARE(m_item->cols(), cols);
    QCOMPARE(m_item->rows(), rows);
}

bool TestTerminalSession::openOn(const QString &node)
{
    QSignalSpy opened(m_session.get(), &TerminalSession::opened);
    m_session->open(m_cluster->baseUrl(), m_cluster->token, node);
    if (m_session->state() != QLatin1String("connecting"))
        return false;
    return QTest::qWaitFor(
               [&] { return m_session->state() != QLatin1String("connecting"); }, SshWaitMs)
        && m_session->state() == QLatin1String("open") && opened.size() == 1;
}

void TestTerminalSession::openEchoExit()
{
    QSignalSpy exited(m_session.get(), &TerminalSession::exited);
    QVERIFY2(openOn(QStringLiteral("pve1")), qPrintable(m_session->errorText()));
    QCOMPARE(m_session->node(), QStringLiteral("pve1"));
    QCOMPARE(m_session->host(), QStringLiteral("127.0.0.1"));
    // Typed on the item's keyboard: what the shell prints lands in the cells.
    for (const QChar c : QStringLiteral("echo hel\"\"lo-$((6*7))")) {
        QKeyEvent key(QEvent::KeyPress, 0, Qt::NoModifier, QString(c));
        QCoreApplication::sendEvent(m_item.get(), &key);
    }
    QKeyEvent enter(QEvent::KeyPress, Qt::Key_Return, Qt::NoModifier, QStringLiteral("\r"));
    QCoreApplication::sendEvent(m_item.get(), &enter);
    QTRY_VERIFY_WITH_TIMEOUT(screenText(*m_item).contains(QStringLiteral("\nhello-42")), SshWaitMs);
    // Colours from the shell reach the cells too.
    m_session->sendInput("printf 'x\\033[31mRED\\033[0m\\n'\r");
    QTRY_VERIFY_WITH_TIMEOUT(screenText(*m_item).contains(QStringLiteral("\nxRED")), SshWaitMs);
    const auto &s = m_item->screen();
    bool red = false;
    for (int row = 0; row < s.rows() && !red; ++row) {
        if (s.lineText(row) == QLatin1String("xRED"))
            red = !s.cell(row, 1).defaultFg && s.cell(row, 1).fg == qRgb(0xcd, 0, 0);
    }
    QVERIFY(red);

    m_session->sendInput("exit 3\r");
    QTRY_COMPARE_WITH_TIMEOUT(m_session->state(), QStringLiteral("exited"), SshWaitMs);
    QCOMPARE(m_session->exitCode(), 3);
    QCOMPARE(exited.size(), 1);
    QCOMPARE(exited.at(0).at(0).toInt(), 3);
    QCOMPARE(m_session->errorText(), QString());
}

void TestTerminalSession::resizeReachesThePty()
{
    setTerminalSize(90, 20);
    QVERIFY2(openOn(QStringLiteral("pve2")), qPrintable(m_session->errorText()));
    m_session->sendInput("stty size\r");
    QTRY_VERIFY_WITH_TIMEOUT(screenText(*m_item).contains(QStringLiteral("\n20 90")), SshWaitMs);
    QCOMPARE(m_session->sentSize(), QSize(90, 20));
    // Several sizes within one frame: one `resize`, the last size, sent before the next key.
    QSignalSpy sent(m_session.get(), &TerminalSession::sentSizeChanged);
    setTerminalSize(100, 30);
    setTerminalSize(70, 25);
    setTerminalSize(132, 43);
    QCOMPARE(sent.size(), 0);
    m_session->sendInput("stty size\r");
    QCOMPARE(sent.size(), 1);
    QCOMPARE(m_session->sentSize(), QSize(132, 43));
    QTRY_VERIFY_WITH_TIMEOUT(screenText(*m_item).contains(QStringLiteral("\n43 132")), SshWaitMs);
    // And later, on its own, after the frame.
    setTerminalSize(60, 15);
    QTRY_COMPARE(m_session->sentSize(), QSize(60, 15));
    QCOMPARE(sent.size(), 2);
    m_session->sendInput("stty size\r");
    QTRY_VERIFY2_WITH_TIMEOUT(screenText(*m_item).contains(QStringLiteral("\n15 60")),
        qPrintable(screenText(*m_item)), SshWaitMs);
    QCOMPARE(m_session->errorText(), QString());
}

// A paste far larger than the server takes in one message (64 KiB) arrives whole: sent in pieces
// and paced. The shell counts what it got.
void TestTerminalSession::largePasteIsChunked()
{
    QSignalSpy warnings(m_session.get(), &TerminalSession::warning);
    QVERIFY2(openOn(QStringLiteral("pve1")), qPrintable(m_session->errorText()));
    m_session->sendInput("stty -echo; wc -c; stty echo\r");
    // Lines shorter than the tty's canonical line limit (4096); "\n" is sent as Enter ("\r"),
    // which the tty turns back into "\n".
    const QString line = QString(99, QLatin1Char('a')) + QLatin1Char('\n');
    QString text;
    for (int i = 0; i < 3000; ++i)
        text += line;
    QTRY_VERIFY_WITH_TIMEOUT(screenText(*m_item).contains(QStringLiteral("wc -c")), SshWaitMs);
    m_item->paste(text); // 300000 bytes
    m_session->sendInput("\x04");
    QTRY_VERIFY_WITH_TIMEOUT(screenText(*m_item).contains(QStringLiteral("\n300000")), SshWaitMs);
    QCOMPARE(warnings.size(), 0);
    QCOMPARE(m_session->errorText(), QString());
    QCOMPARE(m_session->queuedInput(), 0);
}

void TestTerminalSession::unknownNode()
{
    QSignalSpy failed(m_session.get(), &TerminalSession::failed);
    QVERIFY(!openOn(QStringLiteral("nope")));
    QCOMPARE(m_session->state(), QStringLiteral("failed"));
    QCOMPARE(failed.size(), 1);
    QCOMPARE(failed.at(0).at(0).toString(), QStringLiteral("unknown node: nope"));
    QCOMPARE(m_session->errorText(), QStringLiteral("unknown node: nope"));
    // Input after the end goes nowhere and breaks nothing.
    m_session->sendInput("ls\r");
    QCOMPARE(m_session->queuedInput(), 0);
}

void TestTerminalSession::badToken()
{
    QSignalSpy failed(m_session.get(), &TerminalSession::failed);
    m_session->open(m_cluster->baseUrl(), QStringLiteral("not-a-token"), QStringLiteral("pve1"));
    QTRY_COMPARE_WITH_TIMEOUT(m_session->state(), QStringLiteral("failed"), SshWaitMs);
    QCOMPARE(failed.size(), 1);
    QVERIFY2(m_session->errorText().contains(QStringLiteral("unauthorized")),
        qPrintable(m_session->errorText()));
}

void TestTerminalSession::closeEndsTheShell()
{
    QVERIFY2(openOn(QStringLiteral("pve1")), qPrintable(m_session->errorText()));
    m_session->close();
    QCOMPARE(m_session->state(), QStringLiteral("idle"));
    // Opening again gives a new shell.
    QVERIFY2(openOn(QStringLiteral("pve1")), qPrintable(m_session->errorText()));
    m_session->sendInput("echo again-$((1+1))\r");
    QTRY_VERIFY_WITH_TIMEOUT(screenText(*m_item).contains(QStringLiteral("\nagain-2")), SshWaitMs);
}

int main(int argc, char **argv)
{
    qputenv("QT_QUICK_BACKEND", "software");
    QGuiApplication app(argc, argv);
    TestTerminalSession test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_terminalsession.moc"
