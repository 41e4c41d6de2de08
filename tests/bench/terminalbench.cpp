// The terminal benchmark (issue 5, docs/PERFORMANCE.md): throughput of `cat` of a big file
// through PTY -> SSH -> server -> Socket.IO client, and keystroke echo latency, measured by one
// real Socket.IO client (client::SocketIoClient) against any server speaking PROTOCOL.md's
// /terminal: jarvisd's Application (--serve, this executable) or tests/bench/terminal-node.mjs.
// tests/bench/run-terminal.sh drives it, next to plain `ssh -tt` (terminal-ssh.py).
//
//   jarvis-bench-terminal --serve
//       a loopback sshd (LoopbackSshd) and the jarvisd Application whose nodes pve1..3 all map to
//       it; prints key=value lines (url, token, pid, sshd_port, key, known_hosts, user, and the
//       cipher, mac and kex that jarvisd's own SSH session to pve1 negotiated, so plain ssh can be
//       run with the same), then serves until killed.
//   jarvis-bench-terminal --url URL [--token T] --file F --bytes N --server-pid PID
//                         [--samples 500] [--node pve1]
//       one terminal: `cat F` timed until a sentinel, then `cat >/dev/null` and one keystroke at a
//       time timed until its echo; prints one result line of key=value pairs.

#include "app/application.h"
#include "app/clusterservices.h"
#include "app/runner.h"
#include "client/socketioclient.h"
#include "config/config.h"
#include "demo/loopbacksshd.h"
#include "demo/pvesimulator.h"
#include "ssh/pool.h"

#include "benchutil.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QSocketNotifier>
#include <QTemporaryDir>
#include <QTimer>

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <vector>

using namespace jarvis;

namespace {
// utime + stime of another process (its own threads, not its children), from /proc/PID/stat.
double processCpuSeconds(qint64 pid)
{
    QFile file(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray stat = file.readAll();
    // Fields after the command name, which is in parentheses and may contain spaces.
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return -1;
    // Field 3 is state; utime and stime are fields 14 and 15 of the whole line.
    const double ticks = double(sysconf(_SC_CLK_TCK));
    return (fields.at(11).toDouble() + fields.at(12).toDouble()) / ticks;
}

// SIGTERM/SIGINT end --serve through the event loop, so the destructors stop sshd and remove the
// temporary directories.
int g_signalFds[2] = {-1, -1};

void onSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(g_signalFds[0], &byte, 1);
}

void quitOnSignals()
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFds) != 0)
        return;
    auto *notifier =
        new QSocketNotifier(g_signalFds[1], QSocketNotifier::Read, QCoreApplication::instance());
    QObject::connect(notifier, &QSocketNotifier::activated, [] { QCoreApplication::quit(); });
    struct sigaction action
    {
    };
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
}

QString option(const QStringList &args, const QString &name, const QString &fallback = {})
{
    const qsizetype i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args.at(i + 1) : fallback;
}

int serve()
{
    quitOnSignals();
    demo::LoopbackSshd::Options sshdOptions;
    sshdOptions.cleanHome = true; // the same shell start on every machine
    auto sshd = std::make_unique<demo::LoopbackSshd>(sshdOptions);
    if (!demo::LoopbackSshd::isAvailable() || !sshd->setUp()) {
        std::fprintf(stderr, "terminal bench: no loopback sshd: %s\n", qPrintable(sshd->error()));
        return 1;
    }
    demo::PveSimulator::Options o;
    demo::PveSimulator sim(o);
    if (!sim.listen()) {
        std::fprintf(stderr, "terminal bench: simulator: %s\n", qPrintable(sim.errorString()));
        return 1;
    }
    QTemporaryDir dir;
    config::Config c;
    c.listen = QStringLiteral("127.0.0.1");
    c.port = 0;
    c.jwtSecret = "bench-secret-bench-secret-bench-secret-bench-secret";
    c.adminPassword = QStringLiteral("x");
    c.tokenId = o.tokenId;
    c.tokenSecret = o.tokenSecret;
    c.auditFile = dir.filePath(QStringLiteral("audit.jsonl"));
    c.sshConfigured = true;
    c.sshUser = demo::LoopbackSshd::user();
    c.sshKeyFile = sshd->clientKeyFile();
    c.sshKnownHostsFile = sshd->knownHostsFile();
    c.strictHostKeys = true;
    for (int i = 1; i <= 3; ++i)
        c.nodes.append(
            {QStringLiteral("pve%1").arg(i), sshd->host(), sim.baseUrl(), sshd->port(), {}});
    app::Application application(c);
    QString error;
    if (!application.start(&error)) {
        std::fprintf(stderr, "terminal bench: %s\n", qPrintable(error));
        return 1;
    }
    // What jarvisd's session negotiates (the pool's connection to pve1, the one terminals use).
    std::optional<ssh::Result<ssh::Connection *>> session;
    QObject context;
    application.cluster()->sshPool()->acquire(QStringLiteral("pve1"), &context,
        [&session](const ssh::Result<ssh::Connection *> &r) { session = r; });
    QElapsedTimer waited;
    waited.start();
    while (!session && waited.elapsed() < 30000)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
    if (!session || !session->ok()) {
        std::fprintf(stderr, "terminal bench: no SSH session to pve1: %s\n",
            session ? qPrintable(session->error.message) : "timed out");
        return 1;
    }
    const ssh::Connection *connection = *session->value;
    std::printf("cipher=%s\nmac=%s\nkex=%s\n", qPrintable(connection->cipherOut()),
        qPrintable(connection->macOut()), qPrintable(connection->keyExchange()));
    std::printf("url=%s\ntoken=%s\npid=%lld\nsshd_port=%d\nkey=%s\nknown_hosts=%s\nuser=%s\n"
                "ready=1\n",
        qPrintable(application.url()),
        qPrintable(application.jwt().issue(QStringLiteral("bench"), 3600)),
        static_cast<long long>(::getpid()), sshd->port(), qPrintable(sshd->clientKeyFile()),
        qPrintable(sshd->knownHostsFile()), qPrintable(demo::LoopbackSshd::user()));
    std::fflush(stdout);
    return QCoreApplication::exec();
}

// One terminal session, driven by its events (no polling: the echo timing is not quantised).
class Driver : public QObject
{
public:
    struct Options
    {
        QUrl url;
        QString token;
        QString node = QStringLiteral("pve1");
        QString file;
        qint64 bytes = 0;
        qint64 serverPid = 0;
        int samples = 500;
    };

    explicit Driver(Options options)
        : m_o(std::move(options))
    {
        m_client.setConnectTimeout(10000);
        m_client.on(QStringLiteral("ready"), this,
            [this](const QJsonArray &, const QList<QByteArray> &, const AckResponder &) {
                // Let the shell print its prompt, then start.
                QTimer::singleShot(700, this, [this] { startThroughput(); });
            });
        m_client.on(QStringLiteral("data"), this,
            [this](const QJsonArray &args, const QList<QByteArray> &, const AckResponder &) {
                onData(args.at(0).toString());
            });
        m_client.on(QStringLiteral("error"), this,
            [this](const QJsonArray &args, const QList<QByteArray> &, const AckResponder &) {
                fail(QStringLiteral("server error: %1").arg(args.at(0).toString()));
            });
        m_client.on(QStringLiteral("exit"), this,
            [this](const QJsonArray &, const QList<QByteArray> &, const AckResponder &) {
                if (m_phase != Phase::Exiting)
                    fail(QStringLiteral("the shell exited early"));
                else
                    finish();
            });
        connect(&m_client, &client::SocketIoClient::connected, this, [this] {
            m_client.emitEvent(QStringLiteral("start"),
                {QJsonObject {{QStringLiteral("node"), m_o.node}, {QStringLiteral("cols"), 200},
                    {QStringLiteral("rows"), 50}}});
        });
        connect(&m_client, &client::SocketIoClient::connectError, this,
            [this](const QString &message) { fail(QStringLiteral("connect: %1").arg(message)); });
        m_deadline.setSingleShot(true);
        connect(&m_deadline, &QTimer::timeout, this, [this] { fail(QStringLiteral("timeout")); });
        m_deadline.start(300000);
    }

    void run()
    {
        QJsonObject auth;
        if (!m_o.token.isEmpty())
            auth.insert(QStringLiteral("token"), m_o.token);
        m_client.connectToServer(m_o.url, QStringLiteral("/terminal"), auth);
    }

    int status() const { return m_status; }

private:
    using AckResponder = client::AckResponder;
    enum class Phase { Connecting, Throughput, EchoSetup, Echo, Exiting, Done };

    void send(const QString &text) { m_client.emitEvent(QStringLiteral("data"), {text}); }

    void startThroughput()
    {
        m_phase = Phase::Throughput;
        m_received = 0;
        m_tail.clear();
        m_serverCpu0 = processCpuSeconds(m_o.serverPid);
        m_clientCpu0 = bench::selfCpuSeconds();
        m_timer.start();
        // The typed line contains __EN''D__; only the shell's output contains __END__.
        send(QStringLiteral("cat '%1'; echo __EN''D__\r").arg(m_o.file));
    }

    void onData(const QString &text)
    {
        switch (m_phase) {
        case Phase::Throughput: {
            m_received += text.size(); // ASCII output: characters = bytes
            ++m_events;
            m_tail += text.right(64);
            if (m_tail.contains(QLatin1String("__END__"))) {
                m_seconds = double(m_timer.nsecsElapsed()) / 1e9;
                m_serverCpu = processCpuSeconds(m_o.serverPid) - m_serverCpu0;
                m_clientCpu = bench::selfCpuSeconds() - m_clientCpu0;
                m_phase = Phase::EchoSetup;
                send(QStringLiteral("cat >/dev/null\r"));
                QTimer::singleShot(500, this, [this] {
                    m_phase = Phase::Echo;
                    nextKey();
                });
            } else {
                m_tail = m_tail.right(64);
            }
            break;
        }
        case Phase::Echo:
            if (m_waiting && text.contains(QLatin1Char('x'))) {
                const double ms = double(m_timer.nsecsElapsed()) / 1e6;
                m_waiting = false;
                if (m_warmup > 0)
                    --m_warmup;
                else
                    m_latencies.push_back(ms);
                if (int(m_latencies.size()) >= m_o.samples) {
                    m_phase = Phase::Exiting;
                    send(QStringLiteral("\x03"));
                    QTimer::singleShot(200, this, [this] { send(QStringLiteral("exit\r")); });
                    QTimer::singleShot(3000, this, [this] { finish(); });
                } else {
                    // A short pause, like a fast typist, so samples do not queue behind each other.
                    QTimer::singleShot(2, this, [this] { nextKey(); });
                }
            }
            break;
        default:
            break;
        }
    }

    void nextKey()
    {
        if (m_phase != Phase::Echo)
            return;
        m_waiting = true;
        m_timer.start();
        send(QStringLiteral("x"));
    }

    void finish()
    {
        if (m_phase == Phase::Done)
            return;
        m_phase = Phase::Done;
        std::vector<double> sorted = m_latencies;
        std::sort(sorted.begin(), sorted.end());
        const auto pct = [&](double p) {
            if (sorted.empty())
                return -1.0;
            return sorted[std::min(sorted.size() - 1, size_t(p * double(sorted.size())))];
        };
        const double mb = double(m_o.bytes) / 1e6;
        std::printf("mbps=%.1f seconds=%.3f received=%lld server_cpu_per_100mb=%.3f "
                    "client_cpu_per_100mb=%.3f echo_p50_ms=%.3f echo_p99_ms=%.3f samples=%zu "
                    "bytes_per_event=%lld\n",
            mb / m_seconds, m_seconds, static_cast<long long>(m_received), m_serverCpu * 100.0 / mb,
            m_clientCpu * 100.0 / mb, pct(0.50), pct(0.99), sorted.size(),
            static_cast<long long>(m_received / std::max<qint64>(1, m_events)));
        std::fflush(stdout);
        m_client.disconnectFromServer();
        QCoreApplication::exit(m_status);
    }

    void fail(const QString &message)
    {
        if (m_phase == Phase::Done)
            return;
        std::fprintf(stderr, "terminal bench: %s\n", qPrintable(message));
        m_status = 1;
        m_phase = Phase::Done;
        QCoreApplication::exit(1);
    }

    Options m_o;
    client::SocketIoClient m_client;
    QTimer m_deadline;
    QElapsedTimer m_timer;
    Phase m_phase = Phase::Connecting;
    qint64 m_received = 0;
    qint64 m_events = 0;
    QString m_tail;
    double m_seconds = 0;
    double m_serverCpu0 = 0, m_serverCpu = 0, m_clientCpu0 = 0, m_clientCpu = 0;
    bool m_waiting = false;
    int m_warmup = 20;
    std::vector<double> m_latencies;
    int m_status = 0;
};
} // namespace

int main(int argc, char **argv)
{
    app::prepareProcess();
    QCoreApplication qapp(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    if (args.contains(QStringLiteral("--serve")))
        return serve();
    Driver::Options o;
    o.url = QUrl(option(args, QStringLiteral("--url")));
    o.token = option(args, QStringLiteral("--token"));
    o.node = option(args, QStringLiteral("--node"), o.node);
    o.file = option(args, QStringLiteral("--file"));
    o.bytes = option(args, QStringLiteral("--bytes"), QStringLiteral("0")).toLongLong();
    o.serverPid = option(args, QStringLiteral("--server-pid"), QStringLiteral("0")).toLongLong();
    o.samples = option(args, QStringLiteral("--samples"), QStringLiteral("500")).toInt();
    if (!o.url.isValid() || o.file.isEmpty() || o.bytes <= 0 || o.serverPid <= 0) {
        std::fprintf(stderr,
            "usage: jarvis-bench-terminal --serve | --url URL [--token T] --file F --bytes N "
            "--server-pid PID [--samples N] [--node NAME]\n");
        return 2;
    }
    Driver driver(o);
    QTimer::singleShot(0, &driver, [&driver] { driver.run(); });
    const int rc = QCoreApplication::exec();
    return rc != 0 ? rc : driver.status();
}
