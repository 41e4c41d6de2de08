// GET /metrics end to end: a whole jarvisd (Application) in the test process, pointed at the PVE
// simulator over real HTTP and at a real OpenSSH sshd on loopback (SshdFixture), scraped over a
// real socket, and every scrape read by the reference parser (Python's
// prometheus_client.parser, tests/metrics/parse_metrics.py). Each counter is checked to move when
// the matching thing happens: a tool call, a failed login, a /cluster client, a poll, a
// terminal. Then who may read it: loopback only without a token, the bearer key with one.
#include "clusterfixture.h"
#include "httpexchange.h"
#include "sshdfixture.h"

#include "auth/apikey.h"
#include "http/metricsendpoint.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTcpServer>

#include <functional>
#include <optional>

using Labels = QMap<QString, QString>;
using jarvis::http::MetricsEndpoint;

namespace {
constexpr int SshWaitMs = 20000;

struct Scrape
{
    int status = 0;
    QByteArray contentType;
    QByteArray contentLength;
    QByteArray allow;
    QByteArray body;
};

// The samples of one scrape as the reference parser read them.
struct Samples
{
    QJsonArray list;
    QString error; // the parser's complaint, if any

    // The sum of the samples called `name` whose labels include `labels`; nullopt when none.
    std::optional<double> value(const QString &name, const Labels &labels = {}) const
    {
        std::optional<double> sum;
        for (const QJsonValue &v : list) {
            const QJsonObject s = v.toObject();
            if (s.value(QStringLiteral("name")).toString() != name)
                continue;
            const QJsonObject have = s.value(QStringLiteral("labels")).toObject();
            bool match = true;
            for (auto it = labels.cbegin(); it != labels.cend(); ++it)
                match = match && have.value(it.key()).toString() == it.value();
            if (match)
                sum = sum.value_or(0) + s.value(QStringLiteral("value")).toDouble();
        }
        return sum;
    }
    double valueOr0(const QString &name, const Labels &labels = {}) const
    {
        return value(name, labels).value_or(0);
    }
    QSet<QString> families() const
    {
        QSet<QString> names;
        for (const QJsonValue &v : list)
            names.insert(v.toObject().value(QStringLiteral("family")).toString());
        return names;
    }
};

Samples parse(const QByteArray &text)
{
    Samples samples;
    QProcess python;
    python.start(QStringLiteral(JARVIS_PYTHON), {QStringLiteral(METRICS_PARSER)});
    QSignalSpy finished(&python, &QProcess::finished);
    python.write(text);
    python.closeWriteChannel();
    if (!finished.wait(60000)) {
        samples.error = QStringLiteral("the parser did not finish");
        python.kill();
        return samples;
    }
    if (python.exitStatus() != QProcess::NormalExit || python.exitCode() != 0) {
        samples.error = QString::fromUtf8(python.readAllStandardError());
        return samples;
    }
    QJsonParseError error;
    samples.list = QJsonDocument::fromJson(python.readAllStandardOutput(), &error).array();
    if (error.error != QJsonParseError::NoError)
        samples.error = error.errorString();
    return samples;
}

// A port on 127.0.0.1 where nothing listens (for a node whose SSH connection must fail).
quint16 closedPort()
{
    QTcpServer server;
    server.listen(QHostAddress::LocalHost, 0);
    return server.serverPort();
}

QString sha256Entry(const QString &name, const QString &key)
{
    return jarvis::auth::apiKeyEntry(name, key);
}
} // namespace

class TestMetricsE2e : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void parsesWithEveryFamily();
    void headAndOtherMethods();
    void toolCallsCounted();
    void failedAndThrottledLoginsCounted();
    void clusterClientsPollsAndBroadcasts();
    void terminalsCounted();
    void pollFailuresCounted(); // last of these: leaves the Proxmox client backing off

    void loopbackPeer_data();
    void loopbackPeer();
    void loopbackHost_data();
    void loopbackHost();
    void accessRule_data();
    void accessRule();
    void reboundNameRefused();
    void tokenRequired_data();
    void tokenRequired();

private:
    Scrape scrape(
        const QUrl &base, const QByteArray &authorization = {}, const QByteArray &method = "GET");
    Samples scrapeParsed(const ClusterFixture *cluster = nullptr); // default: m_cluster
    // Scrapes until `condition` holds (or `timeoutMs` of wall time pass: QTRY_* counts only its
    // own steps, not the scrape and the parser in between) and returns the last scrape.
    Samples scrapeUntil(
        const std::function<bool(const Samples &)> &condition, int timeoutMs = 20000);

    // pve1 and pve2 on m_sshd, pve3 on a closed port.
    std::function<void(jarvis::config::Config &)> sshNodes();

    SshdFixture m_sshd;
    quint16 m_refusedPort = 0;
    std::unique_ptr<ClusterFixture> m_cluster; // sshNodes(), pve2 protected
    QString m_key; // one of m_guarded's [metrics] token keys
    std::unique_ptr<ClusterFixture> m_guarded; // with [metrics] token
    QNetworkAccessManager m_nam;
};

void TestMetricsE2e::initTestCase()
{
    if (!SshdFixture::isAvailable())
        QFAIL("OpenSSH sshd or ssh-keygen is missing: make deps installs openssh-server");
    QVERIFY2(m_sshd.setUp(), qPrintable(m_sshd.error()));
    QVERIFY2(QFile::exists(QStringLiteral(JARVIS_PYTHON)),
        "python3 is missing: scripts/install-deps.sh installs python3-prometheus-client");
    m_refusedPort = closedPort();
    m_cluster =
        std::make_unique<ClusterFixture>(300, QStringList {QStringLiteral("pve2")}, sshNodes());
    QVERIFY2(m_cluster->started, qPrintable(m_cluster->startError));

    m_key = jarvis::auth::newApiKey();
    m_guarded =
        std::make_unique<ClusterFixture>(300, QStringList {}, [this](jarvis::config::Config &c) {
            QVERIFY(jarvis::auth::parseApiKeys(sha256Entry(QStringLiteral("prometheus"), m_key)
                    + QStringLiteral(", ")
                    + sha256Entry(QStringLiteral("backup"), QStringLiteral("jk_second-key")),
                &c.metricsTokens));
        });
    QVERIFY2(m_guarded->started, qPrintable(m_guarded->startError));
}

std::function<void(jarvis::config::Config &)> TestMetricsE2e::sshNodes()
{
    return [this](jarvis::config::Config &c) {
        c.sshConfigured = true;
        c.sshUser = SshdFixture::user();
        c.sshKeyFile = m_sshd.clientKeyFile();
        c.sshKnownHostsFile = m_sshd.knownHostsFile();
        c.strictHostKeys = true;
        for (jarvis::config::NodeConfig &node : c.nodes) {
            node.host = m_sshd.host();
            node.sshPort = node.name == QLatin1String("pve3") ? m_refusedPort : m_sshd.port();
        }
    };
}

void TestMetricsE2e::cleanupTestCase()
{
    m_cluster.reset();
    m_guarded.reset();
}

Scrape TestMetricsE2e::scrape(
    const QUrl &base, const QByteArray &authorization, const QByteArray &method)
{
    QNetworkRequest request(base.resolved(QUrl(QStringLiteral("/metrics"))));
    if (!authorization.isEmpty())
        request.setRawHeader("Authorization", authorization);
    // HEAD through head(): a custom "HEAD" verb makes QNetworkAccessManager wait for the body
    // that Content-Length announces, until the server's idle timeout.
    QNetworkReply *reply =
        method == "HEAD" ? m_nam.head(request) : m_nam.sendCustomRequest(request, method);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished() && !finished.wait(30000)) {
        reply->abort();
        reply->deleteLater();
        return Scrape {-1, {}, {}, {}, "no answer within 30 s"};
    }
    Scrape s {reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
        reply->rawHeader("Content-Type"), reply->rawHeader("Content-Length"),
        reply->rawHeader("Allow"), reply->readAll()};
    reply->deleteLater();
    return s;
}

Samples TestMetricsE2e::scrapeParsed(const ClusterFixture *cluster)
{
    const Scrape s = scrape((cluster ? cluster : m_cluster.get())->baseUrl());
    if (s.status != 200)
        return Samples {{}, QStringLiteral("GET /metrics answered %1").arg(s.status)};
    return parse(s.body);
}

Samples TestMetricsE2e::scrapeUntil(
    const std::function<bool(const Samples &)> &condition, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    Samples samples = scrapeParsed();
    while (!condition(samples) && !deadline.hasExpired()) {
        QTest::qWait(50);
        samples = scrapeParsed();
    }
    return samples;
}

void TestMetricsE2e::parsesWithEveryFamily()
{
    const Scrape s = scrape(m_cluster->baseUrl());
    QCOMPARE(s.status, 200);
    QCOMPARE(s.contentType, QByteArray("text/plain; version=0.0.4; charset=utf-8"));
    QCOMPARE(s.contentLength.toLongLong(), s.body.size());
    const Samples samples = parse(s.body);
    QVERIFY2(samples.error.isEmpty(), qPrintable(samples.error));
    // Every family of PROTOCOL.md section 4 is declared (parsers report a family once it has a
    // HELP or TYPE line, samples or not).
    QStringList declared;
    for (const QByteArray &line : s.body.split('\n')) {
        if (line.startsWith("# TYPE "))
            declared << QString::fromLatin1(line.split(' ').at(2));
    }
    for (const char *name :
        {"jarvis_build_info", "jarvis_poll_duration_seconds", "jarvis_poll_failures_total",
            "jarvis_proxmox_requests_total", "jarvis_proxmox_request_duration_seconds",
            "jarvis_socketio_clients", "jarvis_broadcasts_total", "jarvis_broadcast_bytes_total",
            "jarvis_snapshots_skipped_total", "jarvis_tool_executions_total",
            "jarvis_tool_duration_seconds", "jarvis_ssh_connections",
            "jarvis_ssh_connect_failures_total", "jarvis_terminal_sessions",
            "jarvis_terminal_sessions_total", "jarvis_login_failures_total",
            "jarvis_login_throttled_total", "jarvis_process_resident_memory_bytes",
            "jarvis_process_virtual_memory_bytes", "jarvis_process_cpu_seconds_total",
            "jarvis_process_open_fds", "jarvis_process_max_fds",
            "jarvis_process_start_time_seconds"})
        QVERIFY2(declared.contains(QLatin1String(name)), name);
    for (const QString &name : declared)
        QVERIFY2(name.startsWith(QLatin1String("jarvis_")), qPrintable(name));

    QCOMPARE(samples.value(QStringLiteral("jarvis_build_info"),
                 {{QStringLiteral("version"), QStringLiteral(JARVIS_VERSION)}}),
        1.0);
    QVERIFY(samples.valueOr0(QStringLiteral("jarvis_process_resident_memory_bytes")) > 1e6);
    QVERIFY(samples.valueOr0(QStringLiteral("jarvis_process_open_fds")) > 3);
    QVERIFY(samples.valueOr0(QStringLiteral("jarvis_process_cpu_seconds_total")) > 0);
    QVERIFY(samples.valueOr0(QStringLiteral("jarvis_process_start_time_seconds")) > 1.6e9);
    // The fixed namespaces are there from the start, with nobody connected to /events.
    QCOMPARE(samples.value(QStringLiteral("jarvis_socketio_clients"),
                 {{QStringLiteral("namespace"), QStringLiteral("/events")}}),
        0.0);
    // Poll sources and SSH nodes are resolved up front: 0 before anything happened.
    for (const char *source : {"nodes", "vms", "storage", "temperature"}) {
        QVERIFY2(samples
                     .value(QStringLiteral("jarvis_poll_failures_total"),
                         {{QStringLiteral("source"), QLatin1String(source)}})
                     .has_value(),
            source);
    }
    QVERIFY(samples
                .value(QStringLiteral("jarvis_ssh_connect_failures_total"),
                    {{QStringLiteral("node"), QStringLiteral("pve3")}})
                .has_value());
}

void TestMetricsE2e::headAndOtherMethods()
{
    const Scrape get = scrape(m_cluster->baseUrl());
    const Scrape head = scrape(m_cluster->baseUrl(), {}, "HEAD");
    QCOMPARE(head.status, 200);
    QCOMPARE(head.contentType, get.contentType);
    QVERIFY(head.contentLength.toLongLong() > 0);
    QVERIFY(head.body.isEmpty());
    for (const QByteArray method : {"POST", "PUT", "DELETE"}) {
        const Scrape other = scrape(m_cluster->baseUrl(), {}, method);
        QCOMPARE(other.status, 405);
        QVERIFY2(other.allow.contains("GET"), other.allow.constData());
    }
}

void TestMetricsE2e::toolCallsCounted()
{
    const Labels succeeded {{QStringLiteral("tool"), QStringLiteral("get_cluster_status")},
        {QStringLiteral("tier"), QStringLiteral("GREEN")},
        {QStringLiteral("outcome"), QStringLiteral("succeeded")}};
    const Labels blocked {{QStringLiteral("tool"), QStringLiteral("delete_vm")},
        {QStringLiteral("tier"), QStringLiteral("BLACK")},
        {QStringLiteral("outcome"), QStringLiteral("blocked")}};
    const Labels invalid {{QStringLiteral("tool"), QStringLiteral("get_node_status")},
        {QStringLiteral("outcome"), QStringLiteral("invalid")}};
    const QString total = QStringLiteral("jarvis_tool_executions_total");
    const QString durations = QStringLiteral("jarvis_tool_duration_seconds_count");
    const Samples before = scrapeParsed();
    QVERIFY2(before.error.isEmpty(), qPrintable(before.error));

    auto r = m_cluster->rest("POST", QStringLiteral("/api/tools/execute"),
        {{QStringLiteral("tool"), QStringLiteral("get_cluster_status")}});
    QCOMPARE(r.status, 200);
    r = m_cluster->rest("POST", QStringLiteral("/api/tools/execute"),
        {{QStringLiteral("tool"), QStringLiteral("delete_vm")},
            {QStringLiteral("args"),
                QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")},
                    {QStringLiteral("vmid"), 100}}}});
    QCOMPARE(r.status, 403);
    r = m_cluster->rest("POST", QStringLiteral("/api/tools/execute"),
        {{QStringLiteral("tool"), QStringLiteral("get_node_status")},
            {QStringLiteral("args"), QJsonObject {{QStringLiteral("node"), 42}}}});
    QCOMPARE(r.status, 400);
    // An unknown tool is no label value (the name comes from the caller).
    r = m_cluster->rest("POST", QStringLiteral("/api/tools/execute"),
        {{QStringLiteral("tool"), QStringLiteral("no_such_tool_\"\n")}});
    QCOMPARE(r.status, 404);

    const Samples after = scrapeParsed();
    QVERIFY2(after.error.isEmpty(), qPrintable(after.error));
    QCOMPARE(after.valueOr0(total, succeeded) - before.valueOr0(total, succeeded), 1.0);
    QCOMPARE(after.valueOr0(total, blocked) - before.valueOr0(total, blocked), 1.0);
    QCOMPARE(after.valueOr0(total, invalid) - before.valueOr0(total, invalid), 1.0);
    QCOMPARE(after.valueOr0(total) - before.valueOr0(total), 3.0);
    const Labels tool {{QStringLiteral("tool"), QStringLiteral("get_cluster_status")}};
    QCOMPARE(after.valueOr0(durations, tool) - before.valueOr0(durations, tool), 1.0);
    QCOMPARE(after.valueOr0(durations) - before.valueOr0(durations), 1.0); // blocked never ran
}

void TestMetricsE2e::failedAndThrottledLoginsCounted()
{
    const QString failures = QStringLiteral("jarvis_login_failures_total");
    const QString throttled = QStringLiteral("jarvis_login_throttled_total");
    const Samples before = scrapeParsed();
    QVERIFY2(before.error.isEmpty(), qPrintable(before.error));

    const auto login = [this](const QString &password) {
        return m_cluster->rest("POST", QStringLiteral("/api/auth/login"),
            {{QStringLiteral("username"), QStringLiteral("admin")},
                {QStringLiteral("password"), password}});
    };
    QCOMPARE(login(QStringLiteral("wrong")).status, 401);
    Samples after = scrapeParsed();
    QCOMPARE(after.valueOr0(failures) - before.valueOr0(failures), 1.0);
    QCOMPARE(after.valueOr0(throttled) - before.valueOr0(throttled), 0.0);

    // Fail until the address is throttled: that answer is no failure (nothing was checked).
    int failed = 1;
    int status = 401;
    while (status == 401 && failed < 20) {
        status = login(QStringLiteral("wrong")).status;
        failed += status == 401 ? 1 : 0;
    }
    QCOMPARE(status, 429);
    after = scrapeParsed();
    QCOMPARE(after.valueOr0(failures) - before.valueOr0(failures), double(failed));
    QCOMPARE(after.valueOr0(throttled) - before.valueOr0(throttled), 1.0);
}

void TestMetricsE2e::clusterClientsPollsAndBroadcasts()
{
    const Labels cluster {{QStringLiteral("namespace"), QStringLiteral("/cluster")}};
    const Labels vms {{QStringLiteral("source"), QStringLiteral("vms")}};
    const Labels vmsEvent {{QStringLiteral("namespace"), QStringLiteral("/cluster")},
        {QStringLiteral("event"), QStringLiteral("vms")}};
    const Labels resources {{QStringLiteral("endpoint"), QStringLiteral("/cluster/resources")},
        {QStringLiteral("status"), QStringLiteral("200")}};
    const QString clients = QStringLiteral("jarvis_socketio_clients");
    const QString polls = QStringLiteral("jarvis_poll_duration_seconds_count");
    const QString requests = QStringLiteral("jarvis_proxmox_requests_total");
    const Samples before = scrapeParsed();
    QVERIFY2(before.error.isEmpty(), qPrintable(before.error));
    QCOMPARE(before.value(clients, cluster), 0.0);

    // A /cluster client: the emitter resumes polling at once and sends it the snapshots.
    const int vmsBefore = m_cluster->count(QStringLiteral("/cluster"), QStringLiteral("vms"));
    jarvis::client::SocketIoClient *client = m_cluster->connect(QStringLiteral("/cluster"));
    QVERIFY(client->isConnected());
    QTRY_VERIFY_WITH_TIMEOUT(
        m_cluster->count(QStringLiteral("/cluster"), QStringLiteral("vms")) > vmsBefore, 20000);
    // The poll's histogram moves when its snapshot has been sent (the emitter's signal comes
    // right after): scrape until it shows.
    const auto pollCounted = [&](const Samples &now) {
        return now.valueOr0(polls, vms) > before.valueOr0(polls, vms);
    };
    Samples during = scrapeUntil(pollCounted);
    QVERIFY(pollCounted(during));
    QVERIFY2(during.error.isEmpty(), qPrintable(during.error));
    QCOMPARE(during.value(clients, cluster), 1.0);
    QVERIFY(during.valueOr0(requests, resources) > before.valueOr0(requests, resources));
    QVERIFY(during.valueOr0(QStringLiteral("jarvis_proxmox_request_duration_seconds_count"),
                {{QStringLiteral("endpoint"), QStringLiteral("/cluster/resources")}})
        > 0);
    // Broadcast counters move on the next `vms` poll (the first snapshot went to the new client
    // alone, not as a broadcast).
    m_cluster->emitter()->setIntervals({200, 200, 200, 30000, 60000});
    const QString broadcasts = QStringLiteral("jarvis_broadcasts_total");
    const auto broadcastCounted = [&](const Samples &now) {
        return now.valueOr0(broadcasts, vmsEvent) > before.valueOr0(broadcasts, vmsEvent);
    };
    during = scrapeUntil(broadcastCounted);
    QVERIFY(broadcastCounted(during));
    QVERIFY(during.valueOr0(QStringLiteral("jarvis_broadcast_bytes_total"), vmsEvent)
        > before.valueOr0(QStringLiteral("jarvis_broadcast_bytes_total"), vmsEvent));
    QVERIFY(during.value(QStringLiteral("jarvis_snapshots_skipped_total"), vmsEvent).has_value());
    // No poll so far failed against the simulator.
    QCOMPARE(during.valueOr0(QStringLiteral("jarvis_poll_failures_total"), vms), 0.0);

    // It leaves: the gauge falls back.
    client->disconnectFromServer();
    const auto left = [&](const Samples &now) { return now.value(clients, cluster) == 0.0; };
    QVERIFY(left(scrapeUntil(left)));
    m_cluster->emitter()->setIntervals({});
}

void TestMetricsE2e::terminalsCounted()
{
    const QString opened = QStringLiteral("jarvis_terminal_sessions_total");
    const Labels openedL {{QStringLiteral("result"), QStringLiteral("opened")}};
    const Labels refusedL {{QStringLiteral("result"), QStringLiteral("refused")}};
    const Labels failedL {{QStringLiteral("result"), QStringLiteral("failed")}};
    const Labels pve3 {{QStringLiteral("node"), QStringLiteral("pve3")}};
    const QString failures = QStringLiteral("jarvis_ssh_connect_failures_total");
    // A jarvisd of its own on a clock that stands still: nothing polls and no temperature round
    // runs, so the pool never tried pve3 before, and is not backing off from an earlier failure
    // (the shared fixture's pool may be: its temperature rounds try pve3 too, and during the
    // backoff an acquire() fails at once without an attempt to count).
    jarvis::core::ManualClock clock;
    ClusterFixture cluster(300, QStringList {QStringLiteral("pve2")}, sshNodes(), &clock);
    QVERIFY2(cluster.started, qPrintable(cluster.startError));
    const Samples before = scrapeParsed(&cluster);
    QVERIFY2(before.error.isEmpty(), qPrintable(before.error));
    QCOMPARE(before.value(QStringLiteral("jarvis_terminal_sessions")), 0.0);

    jarvis::client::SocketIoClient *terminal = cluster.connect(QStringLiteral("/terminal"));
    QVERIFY(terminal->isConnected());
    const auto count = [&cluster](const QString &event) {
        return cluster.count(QStringLiteral("/terminal"), event);
    };
    const auto start = [terminal](const QString &node) {
        terminal->emitEvent(
            QStringLiteral("start"), QJsonArray {QJsonObject {{QStringLiteral("node"), node}}});
    };

    // A shell on pve1: open while it runs.
    start(QStringLiteral("pve1"));
    QTRY_COMPARE_WITH_TIMEOUT(count(QStringLiteral("ready")), 1, SshWaitMs);
    Samples during = scrapeParsed(&cluster);
    QVERIFY2(during.error.isEmpty(), qPrintable(during.error));
    QCOMPARE(during.value(QStringLiteral("jarvis_terminal_sessions")), 1.0);
    QCOMPARE(during.valueOr0(opened, openedL) - before.valueOr0(opened, openedL), 1.0);
    QVERIFY(during.valueOr0(QStringLiteral("jarvis_ssh_connections")) >= 1);

    // pve2 is protected: refused before anything is opened (the pve1 shell is closed first).
    const int errorsBefore = count(QStringLiteral("error"));
    start(QStringLiteral("pve2"));
    QTRY_COMPARE_WITH_TIMEOUT(count(QStringLiteral("error")), errorsBefore + 1, SshWaitMs);
    during = scrapeParsed(&cluster);
    QCOMPARE(during.valueOr0(opened, refusedL) - before.valueOr0(opened, refusedL), 1.0);
    QCOMPARE(during.value(QStringLiteral("jarvis_terminal_sessions")), 0.0);

    // pve3's sshd port is closed: accepted, never opened, and the pool's attempt failed.
    start(QStringLiteral("pve3"));
    QTRY_COMPARE_WITH_TIMEOUT(count(QStringLiteral("error")), errorsBefore + 2, SshWaitMs);
    during = scrapeParsed(&cluster);
    QCOMPARE(during.valueOr0(opened, failedL) - before.valueOr0(opened, failedL), 1.0);
    QCOMPARE(during.valueOr0(failures, pve3) - before.valueOr0(failures, pve3), 1.0);
    QCOMPARE(during.valueOr0(opened, openedL) - before.valueOr0(opened, openedL), 1.0);
    terminal->disconnectFromServer();
}

void TestMetricsE2e::pollFailuresCounted()
{
    const Labels vms {{QStringLiteral("source"), QStringLiteral("vms")}};
    const Labels failed {{QStringLiteral("endpoint"), QStringLiteral("/cluster/resources")},
        {QStringLiteral("status"), QStringLiteral("500")}};
    const QString failures = QStringLiteral("jarvis_poll_failures_total");
    const QString requests = QStringLiteral("jarvis_proxmox_requests_total");
    const Samples before = scrapeParsed();
    QVERIFY2(before.error.isEmpty(), qPrintable(before.error));
    const int fault = m_cluster->simulator->injectFault(
        jarvis::demo::FaultRule::on(QString::fromLatin1(jarvis::demo::endpoint::ClusterResources),
            jarvis::demo::Fault::Kind::ServerError));
    jarvis::client::SocketIoClient *client = m_cluster->connect(QStringLiteral("/cluster"));
    QVERIFY(client->isConnected());
    m_cluster->emitter()->setIntervals({200, 200, 200, 30000, 60000});
    const auto failureCounted = [&](const Samples &now) {
        return now.valueOr0(failures, vms) > before.valueOr0(failures, vms);
    };
    const Samples during = scrapeUntil(failureCounted);
    QVERIFY(failureCounted(during));
    QVERIFY(during.valueOr0(requests, failed) > before.valueOr0(requests, failed));
    // A failed poll is timed too.
    QVERIFY(during.valueOr0(QStringLiteral("jarvis_poll_duration_seconds_count"), vms)
        > before.valueOr0(QStringLiteral("jarvis_poll_duration_seconds_count"), vms));
    m_cluster->simulator->removeFault(fault);
    client->disconnectFromServer();
    m_cluster->emitter()->setIntervals({});
}

void TestMetricsE2e::loopbackPeer_data()
{
    QTest::addColumn<QString>("address");
    QTest::addColumn<bool>("loopback");
    QTest::newRow("127.0.0.1") << QStringLiteral("127.0.0.1") << true;
    QTest::newRow("127.5.6.7") << QStringLiteral("127.5.6.7") << true;
    QTest::newRow("::1") << QStringLiteral("::1") << true;
    QTest::newRow("mapped 127.0.0.1") << QStringLiteral("::ffff:127.0.0.1") << true;
    QTest::newRow("mapped 127.9.9.9") << QStringLiteral("::ffff:127.9.9.9") << true;
    QTest::newRow("10.0.0.1") << QStringLiteral("10.0.0.1") << false;
    QTest::newRow("192.0.2.2") << QStringLiteral("192.0.2.2") << false;
    QTest::newRow("mapped 10.0.0.1") << QStringLiteral("::ffff:10.0.0.1") << false;
    QTest::newRow("mapped 128.0.0.1") << QStringLiteral("::ffff:128.0.0.1") << false;
    QTest::newRow("compatible ::127.0.0.1") << QStringLiteral("::127.0.0.1") << false;
    QTest::newRow("0.0.0.0") << QStringLiteral("0.0.0.0") << false;
    QTest::newRow("::") << QStringLiteral("::") << false;
    QTest::newRow("fe80::1") << QStringLiteral("fe80::1") << false;
    QTest::newRow("fd00::2") << QStringLiteral("fd00::2") << false;
    QTest::newRow("::2") << QStringLiteral("::2") << false;
    QTest::newRow("none") << QString() << false;
}

void TestMetricsE2e::loopbackPeer()
{
    QFETCH(QString, address);
    QFETCH(bool, loopback);
    QCOMPARE(jarvis::http::isLoopbackPeer(QHostAddress(address)), loopback);
}

void TestMetricsE2e::loopbackHost_data()
{
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<bool>("loopback");
    QTest::newRow("none") << QByteArray() << true;
    QTest::newRow("localhost") << QByteArray("localhost") << true;
    QTest::newRow("LocalHost:9100") << QByteArray("LocalHost:9100") << true;
    QTest::newRow("127.0.0.1:8080") << QByteArray("127.0.0.1:8080") << true;
    QTest::newRow("127.1.2.3") << QByteArray("127.1.2.3") << true;
    QTest::newRow("[::1]:8080") << QByteArray("[::1]:8080") << true;
    QTest::newRow("[::1]") << QByteArray("[::1]") << true;
    QTest::newRow("[::ffff:127.0.0.1]:1") << QByteArray("[::ffff:127.0.0.1]:1") << true;
    QTest::newRow("rebound name") << QByteArray("evil.example:8080") << false;
    QTest::newRow("localhost.evil.example") << QByteArray("localhost.evil.example") << false;
    QTest::newRow("127.0.0.1.evil.example") << QByteArray("127.0.0.1.evil.example") << false;
    QTest::newRow("LAN address") << QByteArray("192.0.2.2:8080") << false;
    QTest::newRow("bare ::1") << QByteArray("::1") << false;
    QTest::newRow("[::1]junk") << QByteArray("[::1]junk") << false;
    QTest::newRow("[::1") << QByteArray("[::1") << false;
    QTest::newRow("[fd00::2]:80") << QByteArray("[fd00::2]:80") << false;
}

void TestMetricsE2e::loopbackHost()
{
    QFETCH(QByteArray, host);
    QFETCH(bool, loopback);
    QCOMPARE(jarvis::http::isLoopbackHost(host), loopback);
}

void TestMetricsE2e::accessRule_data()
{
    QTest::addColumn<bool>("withToken");
    QTest::addColumn<QByteArray>("authorization");
    QTest::addColumn<QString>("peer");
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<int>("verdict");
    const QByteArray key = "jk_right-key";
    const QByteArray local = "127.0.0.1:8080";
    const QByteArray lan = "192.0.2.2:8080";
    const int ok = int(MetricsEndpoint::Verdict::Allowed);
    const int unauthorized = int(MetricsEndpoint::Verdict::Unauthorized);
    const int forbidden = int(MetricsEndpoint::Verdict::Forbidden);
    QTest::newRow("no token, loopback") << false << QByteArray() << "127.0.0.1" << local << ok;
    QTest::newRow("no token, mapped loopback")
        << false << QByteArray() << "::ffff:127.0.0.1" << local << ok;
    QTest::newRow("no token, ::1")
        << false << QByteArray() << "::1" << QByteArray("[::1]:80") << ok;
    QTest::newRow("no token, localhost")
        << false << QByteArray() << "127.0.0.1" << QByteArray("localhost:8080") << ok;
    // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1.
    QTest::newRow("no token, loopback under a foreign name")
        << false << QByteArray() << "127.0.0.1" << QByteArray("evil.example:8080") << forbidden;
    QTest::newRow("no token, remote") << false << QByteArray() << "192.0.2.2" << lan << forbidden;
    QTest::newRow("no token, remote naming localhost")
        << false << QByteArray() << "192.0.2.2" << QByteArray("localhost") << forbidden;
    QTest::newRow("no token, mapped remote")
        << false << QByteArray() << "::ffff:192.0.2.2" << lan << forbidden;
    QTest::newRow("no token, remote with a key")
        << false << "Bearer " + key << "192.0.2.2" << lan << forbidden;
    QTest::newRow("token, loopback without key")
        << true << QByteArray() << "127.0.0.1" << local << unauthorized;
    QTest::newRow("token, right key, remote")
        << true << "Bearer " + key << "192.0.2.2" << lan << ok;
    QTest::newRow("token, right key, any name")
        << true << "Bearer " + key << "127.0.0.1" << QByteArray("jarvis.lan") << ok;
    QTest::newRow("token, scheme case-insensitive")
        << true << "bEARER " + key << "::1" << local << ok;
    QTest::newRow("token, wrong key")
        << true << QByteArray("Bearer jk_wrong") << "127.0.0.1" << local << unauthorized;
    QTest::newRow("token, key as Basic")
        << true << "Basic " + key << "127.0.0.1" << local << unauthorized;
    QTest::newRow("token, bare key") << true << key << "127.0.0.1" << local << unauthorized;
    QTest::newRow("token, empty bearer")
        << true << QByteArray("Bearer ") << "127.0.0.1" << local << unauthorized;
    QTest::newRow("token, key with suffix") << true << "Bearer " + key + "x"
                                            << "127.0.0.1" << local << unauthorized;
}

void TestMetricsE2e::accessRule()
{
    QFETCH(bool, withToken);
    QFETCH(QByteArray, authorization);
    QFETCH(QString, peer);
    QFETCH(QByteArray, host);
    QFETCH(int, verdict);
    QList<jarvis::auth::ApiKey> keys;
    if (withToken)
        QVERIFY(jarvis::auth::parseApiKeys(
            sha256Entry(QStringLiteral("prometheus"), QStringLiteral("jk_right-key")), &keys));
    QCOMPARE(int(MetricsEndpoint::check(keys, authorization, QHostAddress(peer), host)), verdict);
}

// Over a real socket: the same loopback peer, once under a foreign Host.
void TestMetricsE2e::reboundNameRefused()
{
    const quint16 port = quint16(m_cluster->baseUrl().port());
    const auto get = [port](const QByteArray &host) {
        const jarvis::test::Exchange e = jarvis::test::exchange(
            port, "GET /metrics HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
        const QList<jarvis::test::RawResponse> responses = jarvis::test::splitResponses(e.received);
        return responses.isEmpty() ? jarvis::test::RawResponse {} : responses.first();
    };
    const jarvis::test::RawResponse local = get("127.0.0.1:" + QByteArray::number(port));
    QCOMPARE(local.status, 200);
    QVERIFY(local.body.contains("jarvis_build_info"));
    const jarvis::test::RawResponse rebound = get("evil.example:" + QByteArray::number(port));
    QCOMPARE(rebound.status, 403);
    QVERIFY(!rebound.body.contains("jarvis_"));
}

void TestMetricsE2e::tokenRequired_data()
{
    QTest::addColumn<QByteArray>("authorization");
    QTest::addColumn<int>("status");
    const QByteArray key = m_key.toLatin1();
    QTest::newRow("missing") << QByteArray() << 401;
    QTest::newRow("wrong") << ("Bearer " + jarvis::auth::newApiKey().toLatin1()) << 401;
    QTest::newRow("the hash itself")
        << ("Bearer " + jarvis::auth::apiKeyHash(m_key).toLatin1()) << 401;
    QTest::newRow("basic") << ("Basic " + key) << 401;
    QTest::newRow("bare key") << key << 401;
    QTest::newRow("right") << ("Bearer " + key) << 200;
    QTest::newRow("right, padded") << ("Bearer   " + key + "  ") << 200;
    QTest::newRow("the other key") << QByteArray("Bearer jk_second-key") << 200;
}

// [metrics] token configured: the key is needed, from loopback too.
void TestMetricsE2e::tokenRequired()
{
    QFETCH(QByteArray, authorization);
    QFETCH(int, status);
    const Scrape s = scrape(m_guarded->baseUrl(), authorization);
    QCOMPARE(s.status, status);
    if (status == 200) {
        const Samples samples = parse(s.body);
        QVERIFY2(samples.error.isEmpty(), qPrintable(samples.error));
        QVERIFY(samples.value(QStringLiteral("jarvis_build_info")).has_value());
    } else {
        QCOMPARE(s.contentType, QByteArray("application/json"));
        QVERIFY(!s.body.contains("jarvis_"));
    }
}

QTEST_MAIN(TestMetricsE2e)
#include "tst_metrics_e2e.moc"
