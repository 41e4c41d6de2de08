// proxmox::Client against the PVE simulator over real HTTP(S): typed calls, the fault matrix,
// failover to the next node, backoff and recovery, TLS pinning, per-node concurrency.
#include "demo/pvesimulator.h"
#include "proxmox/client.h"
#include "tlsfixture.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

#include <algorithm>

using namespace jarvis;
using proxmox::Error;
using Kind = demo::Fault::Kind;

Q_DECLARE_METATYPE(demo::Fault::Kind)
Q_DECLARE_METATYPE(proxmox::Error::Kind)

namespace {
template<typename T>
std::optional<proxmox::Result<T>> waitFor(
    std::function<void(std::function<void(const proxmox::Result<T> &)>)> call,
    int timeoutMs = 10000)
{
    std::optional<proxmox::Result<T>> result;
    call([&result](const proxmox::Result<T> &r) { result = r; });
    QDeadlineTimer deadline(timeoutMs);
    while (!result && !deadline.hasExpired())
        QTest::qWait(5);
    return result;
}

quint16 closedPort()
{
    QTcpServer server;
    server.listen(QHostAddress::LocalHost, 0);
    return server.serverPort(); // closed again when `server` goes
}
} // namespace

class TestProxmoxClient : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void typedCalls();
    void guestActionAndTask();
    void faultMatrix_data();
    void faultMatrix();
    void failoverAndRecovery();
    void serverErrorAboutOneGuestStaysOnItsNode();
    void postIsNotRetriedAfterTimeout();
    void tlsPinning_data();
    void tlsPinning();
    void inFlightLimit();
    void contextDestroyedMeansNoCallback();
    void endpointTemplates_data();
    void endpointTemplates();
    void requestsReported();

private:
    proxmox::ClientOptions options(int timeoutMs = 2000) const;
    proxmox::ApiNode apiNode(
        const QString &name, const demo::PveSimulator &sim, QByteArray pin = {}) const
    {
        return {name, sim.baseUrl(), std::move(pin)};
    }

    std::unique_ptr<demo::PveSimulator> m_sim;
    QTemporaryDir m_dir;
};

proxmox::ClientOptions TestProxmoxClient::options(int timeoutMs) const
{
    proxmox::ClientOptions o;
    o.tokenId = m_sim->options().tokenId;
    o.tokenSecret = m_sim->options().tokenSecret;
    o.transferTimeoutMs = timeoutMs;
    o.backoffInitialMs = 200;
    o.backoffMaxMs = 1000;
    return o;
}

void TestProxmoxClient::initTestCase()
{
    demo::PveSimulator::Options o;
    o.cluster.taskDurationMs = 200;
    m_sim = std::make_unique<demo::PveSimulator>(o);
    QVERIFY2(m_sim->listen(), qPrintable(m_sim->errorString()));
}

void TestProxmoxClient::typedCalls()
{
    proxmox::Client client(options(), {apiNode(QStringLiteral("pve1"), *m_sim)});
    const auto resources =
        waitFor<proxmox::ClusterResources>([&](auto done) { client.clusterResources(this, done); });
    QVERIFY(resources && resources->ok());
    QCOMPARE(resources->value->nodes.size(), 3);
    QCOMPARE(resources->value->vms.size(), 12);
    QVERIFY(resources->value->storage.size() >= 4);
    // Sorted as the emitter sends them: nodes by name, guests by vmid, storage by id.
    QVERIFY(std::is_sorted(resources->value->nodes.cbegin(), resources->value->nodes.cend(),
        [](const model::NodeData &a, const model::NodeData &b) { return a.node < b.node; }));
    QVERIFY(std::is_sorted(resources->value->vms.cbegin(), resources->value->vms.cend(),
        [](const model::VmData &a, const model::VmData &b) { return a.vmid < b.vmid; }));
    QVERIFY(std::is_sorted(resources->value->storage.cbegin(), resources->value->storage.cend(),
        [](const model::StorageData &a, const model::StorageData &b) { return a.id < b.id; }));
    proxmox::ClusterResources shuffled = *resources->value;
    std::reverse(shuffled.vms.begin(), shuffled.vms.end());
    std::reverse(shuffled.storage.begin(), shuffled.storage.end());
    proxmox::sortResources(shuffled);
    QCOMPARE(shuffled.vms, resources->value->vms);
    QCOMPARE(shuffled.storage, resources->value->storage);
    const auto quorum =
        waitFor<model::QuorumData>([&](auto done) { client.clusterStatus(this, done); });
    QVERIFY(quorum && quorum->ok());
    QVERIFY(quorum->value->quorate);
    QCOMPARE(quorum->value->nodelist.size(), 3);
    const auto status = waitFor<proxmox::NodeStatus>(
        [&](auto done) { client.nodeStatus(QStringLiteral("pve1"), this, done); });
    QVERIFY(status && status->ok());
    QVERIFY(status->value->loadavg);
    QCOMPARE(status->value->loadavg->size(), 3);
    QVERIFY(status->value->uptime && *status->value->uptime > 0);
    QVERIFY(status->value->maxmem && *status->value->maxmem > 0);
    QVERIFY(client.isReachable());
    QVERIFY(client.lastSuccessAt().isValid());
}

void TestProxmoxClient::guestActionAndTask()
{
    proxmox::Client client(options(), {apiNode(QStringLiteral("pve1"), *m_sim)});
    const auto resources =
        waitFor<proxmox::ClusterResources>([&](auto done) { client.clusterResources(this, done); });
    QVERIFY(resources && resources->ok());
    const model::VmData vm = resources->value->vms.first();
    const QString action =
        vm.status == QLatin1String("running") ? QStringLiteral("stop") : QStringLiteral("start");
    const auto upid = waitFor<QString>(
        [&](auto done) { client.guestAction(vm.node, vm.kind, vm.vmid, action, this, done); });
    QVERIFY(upid && upid->ok());
    QVERIFY(upid->value->startsWith(QStringLiteral("UPID:")));
    std::optional<proxmox::TaskStatus> task;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        const auto t = waitFor<proxmox::TaskStatus>(
            [&](auto done) { client.taskStatus(vm.node, *upid->value, this, done); });
        task = t && t->ok() ? t->value : std::nullopt;
        return task && task->status == QLatin1String("stopped");
    }()),
        5000);
    QVERIFY(task->succeeded());
    QCOMPARE(task->node, vm.node);
    QVERIFY(!task->user.isEmpty());
    QVERIFY(task->starttime > 0);

    // The node's task list, typed the same way: the finished task, stopped with its exit status.
    const auto tasks = waitFor<QList<proxmox::TaskStatus>>(
        [&](auto done) { client.recentTasks(vm.node, this, done); });
    QVERIFY(tasks && tasks->ok());
    const auto listed = std::find_if(tasks->value->begin(), tasks->value->end(),
        [&](const proxmox::TaskStatus &t) { return t.upid == *upid->value; });
    QVERIFY(listed != tasks->value->end());
    QCOMPARE(listed->status, QStringLiteral("stopped"));
    QCOMPARE(listed->exitstatus, task->exitstatus);
    QVERIFY(listed->succeeded());
    QVERIFY(listed->endtime >= listed->starttime);
    const QJsonObject json = proxmox::toJson(*listed);
    QCOMPARE(json.value(QStringLiteral("upid")).toString(), *upid->value);
    QCOMPARE(json.value(QStringLiteral("status")).toString(), QStringLiteral("stopped"));

    // A guest on the wrong node: Proxmox refuses, either at once (500) or in the task it starts.
    const QString wrongNode =
        vm.node == QLatin1String("pve1") ? QStringLiteral("pve2") : QStringLiteral("pve1");
    const auto wrong = waitFor<QString>([&](auto done) {
        client.guestAction(wrongNode, vm.kind, vm.vmid, QStringLiteral("start"), this, done);
    });
    QVERIFY(wrong);
    if (!wrong->ok()) {
        QCOMPARE(wrong->error.kind, Error::Kind::Server);
        QVERIFY2(wrong->error.message.contains(QStringLiteral("does not exist")),
            qPrintable(wrong->error.message));
    } else {
        std::optional<proxmox::TaskStatus> failed;
        QTRY_VERIFY_WITH_TIMEOUT(([&] {
            const auto t = waitFor<proxmox::TaskStatus>(
                [&](auto done) { client.taskStatus(wrongNode, *wrong->value, this, done); });
            failed = t && t->ok() ? t->value : std::nullopt;
            return failed && failed->status == QLatin1String("stopped");
        }()),
            5000);
        QVERIFY(!failed->succeeded());
        QVERIFY2(failed->exitstatus.contains(QStringLiteral("does not exist")),
            qPrintable(failed->exitstatus));
    }
}

void TestProxmoxClient::faultMatrix_data()
{
    QTest::addColumn<demo::Fault::Kind>("fault");
    QTest::addColumn<proxmox::Error::Kind>("expected");
    QTest::addColumn<int>("httpStatus");
    QTest::addRow("500") << Kind::ServerError << Error::Kind::Server << 500;
    QTest::addRow("595 node offline")
        << Kind::NodeUnreachable << Error::Kind::NodeUnreachable << 595;
    QTest::addRow("596 connection timed out")
        << Kind::ConnectionTimeout << Error::Kind::NodeUnreachable << 596;
    QTest::addRow("timeout") << Kind::Hang << Error::Kind::Timeout << 0;
    QTest::addRow("garbage body") << Kind::Garbage << Error::Kind::BadResponse << 200;
    QTest::addRow("wrong shape") << Kind::WrongShape << Error::Kind::BadResponse << 200;
    QTest::addRow("truncated") << Kind::Truncated << Error::Kind::BadResponse << 200;
    QTest::addRow("401") << Kind::Unauthorized << Error::Kind::Unauthorized << 401;
}

void TestProxmoxClient::faultMatrix()
{
    QFETCH(demo::Fault::Kind, fault);
    QFETCH(proxmox::Error::Kind, expected);
    QFETCH(int, httpStatus);
    m_sim->clearFaults();
    const int id = m_sim->injectFault(
        demo::FaultRule::on(QString::fromLatin1(demo::endpoint::ClusterResources), fault));
    proxmox::Client client(options(400), {apiNode(QStringLiteral("pve1"), *m_sim)});
    QSignalSpy health(&client, &proxmox::Client::nodeHealthChanged);
    QSignalSpy requests(&client, &proxmox::Client::requestFinished);
    const auto r =
        waitFor<proxmox::ClusterResources>([&](auto done) { client.clusterResources(this, done); });
    QVERIFY(r);
    QVERIFY(!r->ok());
    QCOMPARE(r->error.kind, expected);
    QCOMPARE(r->error.httpStatus, httpStatus);
    // The metrics hear of the attempt with the same status (0: no HTTP answer).
    QCOMPARE(requests.size(), 1);
    QCOMPARE(requests.first().at(0).toString(), QStringLiteral("/cluster/resources"));
    QCOMPARE(requests.first().at(1).toInt(), httpStatus);
    QCOMPARE(r->error.node, QStringLiteral("pve1"));
    QVERIFY(!r->error.message.isEmpty());
    QVERIFY2(r->error.message.contains(QStringLiteral("pve1")), qPrintable(r->error.message));

    // Other endpoints of the same node keep working while one is broken.
    const auto quorum =
        waitFor<model::QuorumData>([&](auto done) { client.clusterStatus(this, done); });
    QVERIFY(quorum && quorum->ok());

    // Recovery once the fault ends (after the backoff).
    m_sim->removeFault(id);
    std::optional<proxmox::Result<proxmox::ClusterResources>> again;
    QTRY_VERIFY_WITH_TIMEOUT((again = waitFor<proxmox::ClusterResources>(
                                  [&](auto done) { client.clusterResources(this, done); }),
                                 again && again->ok()),
        5000);
}

void TestProxmoxClient::failoverAndRecovery()
{
    m_sim->clearFaults();
    // pve1's API is down (nothing listens); pve2's answers.
    const proxmox::ApiNode dead {
        QStringLiteral("pve1"), QUrl(QStringLiteral("http://127.0.0.1:%1").arg(closedPort())), {}};
    proxmox::Client client(options(), {dead, apiNode(QStringLiteral("pve2"), *m_sim)});
    QSignalSpy health(&client, &proxmox::Client::nodeHealthChanged);
    const auto r =
        waitFor<proxmox::ClusterResources>([&](auto done) { client.clusterResources(this, done); });
    QVERIFY(r && r->ok());
    QCOMPARE(r->value->vms.size(), 12);
    QCOMPARE(health.count(), 1);
    QCOMPARE(health.first().at(0).toString(), QStringLiteral("pve1"));
    QCOMPARE(health.first().at(1).toBool(), false);

    // While pve1 is in backoff, calls go straight to pve2.
    const int before = m_sim->totalRequests();
    const auto second =
        waitFor<model::QuorumData>([&](auto done) { client.clusterStatus(this, done); });
    QVERIFY(second && second->ok());
    QCOMPARE(m_sim->totalRequests(), before + 1);

    // A 500 on one node fails over too (idempotent GET).
    m_sim->injectFault(
        demo::FaultRule::on(QString::fromLatin1(demo::endpoint::ClusterStatus), Kind::ServerError));
    proxmox::Client twoSims(
        options(), {apiNode(QStringLiteral("a"), *m_sim), apiNode(QStringLiteral("b"), *m_sim)});
    const auto failed =
        waitFor<model::QuorumData>([&](auto done) { twoSims.clusterStatus(this, done); });
    QVERIFY(failed && !failed->ok()); // both are the same faulty server: the last error is reported
    QCOMPARE(failed->error.node, QStringLiteral("b"));
    m_sim->clearFaults();
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        const auto ok =
            waitFor<model::QuorumData>([&](auto done) { twoSims.clusterStatus(this, done); });
        return ok && ok->ok();
    }()),
        5000);
}

// Proxmox's 500 about one guest's data (here its RRD file) says nothing about the API node:
// no failover to the other node (it would proxy to the same place), no backoff, no health change.
void TestProxmoxClient::serverErrorAboutOneGuestStaysOnItsNode()
{
    m_sim->clearFaults();
    m_sim->injectFault(
        demo::FaultRule::on(QString::fromLatin1(demo::endpoint::RrdData), Kind::ServerError));
    proxmox::Client client(
        options(), {apiNode(QStringLiteral("a"), *m_sim), apiNode(QStringLiteral("b"), *m_sim)});
    QSignalSpy health(&client, &proxmox::Client::nodeHealthChanged);
    const int before = m_sim->totalRequests();
    const auto rrd = waitFor<QList<proxmox::RrdPoint>>([&](auto done) {
        client.guestRrdData(QStringLiteral("pve1"), model::VmData::Kind::Qemu, 100,
            proxmox::RrdTimeframe::Hour, this, done);
    });
    QVERIFY(rrd && !rrd->ok());
    QCOMPARE(rrd->error.kind, Error::Kind::Server);
    QCOMPARE(rrd->error.httpStatus, 500);
    QCOMPARE(rrd->error.node, QStringLiteral("a"));
    QCOMPARE(m_sim->totalRequests(), before + 1); // b was not asked
    // The node's own rrddata too.
    const auto nodeRrd = waitFor<QList<proxmox::RrdPoint>>([&](auto done) {
        client.nodeRrdData(QStringLiteral("pve1"), proxmox::RrdTimeframe::Day, this, done);
    });
    QVERIFY(nodeRrd && !nodeRrd->ok());
    QCOMPARE(nodeRrd->error.node, QStringLiteral("a"));
    QCOMPARE(m_sim->totalRequests(), before + 2);
    // a is not in backoff: the next call goes to it first, and it was never reported unhealthy.
    const auto status = waitFor<QJsonValue>(
        [&](auto done) { client.get(QStringLiteral("/cluster/status"), this, done); });
    QVERIFY(status && status->ok());
    QCOMPARE(status->error.node, QStringLiteral("a")); // which node answered
    QCOMPARE(health.count(), 0);
    m_sim->clearFaults();
}

void TestProxmoxClient::postIsNotRetriedAfterTimeout()
{
    m_sim->clearFaults();
    m_sim->injectFault(demo::FaultRule::on(QStringLiteral("status/start"), Kind::Hang));
    proxmox::Client client(
        options(300), {apiNode(QStringLiteral("a"), *m_sim), apiNode(QStringLiteral("b"), *m_sim)});
    const int before = m_sim->requestCount(QString::fromLatin1(demo::endpoint::Power));
    const auto r = waitFor<QString>([&](auto done) {
        client.guestAction(QStringLiteral("pve1"), model::VmData::Kind::Qemu, 100,
            QStringLiteral("start"), this, done);
    });
    QVERIFY(r && !r->ok());
    QCOMPARE(r->error.kind, Error::Kind::Timeout);
    // The action may have happened: it must not be sent a second time.
    QCOMPARE(m_sim->requestCount(QString::fromLatin1(demo::endpoint::Power)), before + 1);
    m_sim->clearFaults();
}

void TestProxmoxClient::tlsPinning_data()
{
    QTest::addColumn<int>(
        "mode"); // 0 right pin, 1 wrong pin, 2 no pin no CA, 3 insecure, 4 CA file
    QTest::addColumn<bool>("ok");
    QTest::addRow("pinned fingerprint") << 0 << true;
    QTest::addRow("fingerprint mismatch") << 1 << false;
    QTest::addRow("unknown certificate") << 2 << false;
    QTest::addRow("insecure") << 3 << true;
    QTest::addRow("trusted CA") << 4 << true;
}

void TestProxmoxClient::tlsPinning()
{
    QFETCH(int, mode);
    QFETCH(bool, ok);
    const auto tls = TlsFixture::create(m_dir);
    QVERIFY2(tls, "openssl could not make a certificate");
    demo::PveSimulator sim;
    QVERIFY(sim.listen(QHostAddress::LocalHost, 0, tls->serverConfiguration()));
    QVERIFY(sim.isTls());
    QCOMPARE(proxmox::parseFingerprint(sim.sslFingerprint()), tls->sha256());

    proxmox::ClientOptions o = options();
    QByteArray pin;
    if (mode == 0)
        pin = tls->sha256();
    if (mode == 1)
        pin = QByteArray(32, '\x42');
    if (mode == 3)
        o.insecure = true;
    if (mode == 4)
        o.caCertificates = {tls->certificate};
    proxmox::Client client(o, {proxmox::ApiNode {QStringLiteral("pve1"), sim.baseUrl(), pin}});
    const auto r = waitFor<model::QuorumData>([&](auto done) { client.clusterStatus(this, done); });
    QVERIFY(r);
    QCOMPARE(r->ok(), ok);
    if (!ok) {
        QCOMPARE(r->error.kind, Error::Kind::Tls);
        if (mode == 1)
            QVERIFY2(r->error.message.contains(QStringLiteral("fingerprint")),
                qPrintable(r->error.message));
    }
}

void TestProxmoxClient::inFlightLimit()
{
    m_sim->clearFaults();
    m_sim->injectFault(
        demo::FaultRule::on(QString::fromLatin1(demo::endpoint::ClusterStatus), Kind::Slow, 300));
    proxmox::ClientOptions o = options();
    o.maxInFlightPerNode = 4;
    proxmox::Client client(o, {apiNode(QStringLiteral("pve1"), *m_sim)});
    int done = 0;
    int maxSeen = 0;
    for (int i = 0; i < 10; ++i)
        client.clusterStatus(this, [&done](const proxmox::Result<model::QuorumData> &) { ++done; });
    QTRY_VERIFY_WITH_TIMEOUT(
        (maxSeen = qMax(maxSeen, client.inFlight(QStringLiteral("pve1"))), done == 10), 10000);
    QCOMPARE(maxSeen, 4);
    QCOMPARE(client.inFlight(QStringLiteral("pve1")), 0);
    m_sim->clearFaults();
}

void TestProxmoxClient::contextDestroyedMeansNoCallback()
{
    proxmox::Client client(options(), {apiNode(QStringLiteral("pve1"), *m_sim)});
    bool called = false;
    {
        QObject context;
        client.clusterStatus(
            &context, [&called](const proxmox::Result<model::QuorumData> &) { called = true; });
        QCOMPARE(client.inFlight(QStringLiteral("pve1")), 1);
    }
    // The request ends (answered or dropped; the callback would run with it), without a call.
    QTRY_COMPARE(client.inFlight(QStringLiteral("pve1")), 0);
    QVERIFY(!called);
}

void TestProxmoxClient::endpointTemplates_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("endpoint");
    const auto row = [](const char *path, const char *endpoint) {
        QTest::newRow(path) << QString::fromUtf8(path) << QString::fromUtf8(endpoint);
    };
    row("/cluster/resources", "/cluster/resources");
    row("/cluster/resources?type=vm", "/cluster/resources");
    row("/cluster/status", "/cluster/status");
    row("/cluster/tasks", "/cluster/tasks");
    row("/nodes/pve1/status", "/nodes/{node}/status");
    row("/nodes/pve%20x/status", "/nodes/{node}/status");
    row("/nodes/pve1/tasks", "/nodes/{node}/tasks");
    row("/nodes/pve1/qemu/100/status/start", "/nodes/{node}/qemu/{vmid}/status/start");
    row("/nodes/pve1/lxc/200/status/shutdown", "/nodes/{node}/lxc/{vmid}/status/shutdown");
    row("/nodes/pve1/qemu/100/status/current", "/nodes/{node}/qemu/{vmid}/status/current");
    row("/nodes/pve1/qemu/100/status/x%22y", "/nodes/{node}/qemu/{vmid}/status/{action}");
    row("/nodes/pve1/tasks/UPID:pve1:0000A1B2:0001:6500:qmstart:100:root@pam:/status",
        "/nodes/{node}/tasks/{upid}/status");
    row("/nodes/pve1/qemu/100/rrddata?timeframe=hour", "/nodes/{node}/qemu/{vmid}/rrddata");
    row("/nodes/pve1/storage/local/content", "/nodes/{node}/storage/{storage}/content");
    row("/pools/12345", "/pools/{id}");
    row("/access/Weird Name", "/access/{other}");
    row("", "/");
    row("//cluster//status/", "/cluster/status");
}

// A bounded label: vmids, UPIDs, node and storage names never appear.
void TestProxmoxClient::endpointTemplates()
{
    QFETCH(QString, path);
    QFETCH(QString, endpoint);
    QCOMPARE(proxmox::endpointTemplate(path), endpoint);
}

// Every attempt is reported, a failover's too, before the caller's callback runs.
void TestProxmoxClient::requestsReported()
{
    m_sim->clearFaults();
    const proxmox::ApiNode dead {
        QStringLiteral("pve1"), QUrl(QStringLiteral("http://127.0.0.1:%1").arg(closedPort())), {}};
    proxmox::Client client(options(), {dead, apiNode(QStringLiteral("pve2"), *m_sim)});
    QSignalSpy requests(&client, &proxmox::Client::requestFinished);
    qsizetype reportedAtCallback = -1;
    const auto status = waitFor<proxmox::NodeStatus>([&](auto done) {
        client.nodeStatus(
            QStringLiteral("pve1"), this, [&, done](const proxmox::Result<proxmox::NodeStatus> &r) {
                reportedAtCallback = requests.size();
                done(r);
            });
    });
    QVERIFY(status && status->ok());
    QCOMPARE(reportedAtCallback, 2);
    QCOMPARE(requests.at(0).at(0).toString(), QStringLiteral("/nodes/{node}/status"));
    QCOMPARE(requests.at(0).at(1).toInt(), 0); // refused: no HTTP answer
    QCOMPARE(requests.at(1).at(0).toString(), QStringLiteral("/nodes/{node}/status"));
    QCOMPARE(requests.at(1).at(1).toInt(), 200);
    QVERIFY(requests.at(1).at(2).toDouble() >= 0);
}

QTEST_GUILESS_MAIN(TestProxmoxClient)
#include "tst_proxmoxclient.moc"
