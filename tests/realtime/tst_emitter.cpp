// ClusterEmitter end to end: a real jarvisd Application polling the PVE simulator over HTTP, and
// real Socket.IO clients on /cluster and /events. Where timing matters the emitter runs on a
// core::ManualClock: the test advances time and counts polls (no sleeps, no "N ticks within T").
#include "clusterfixture.h"
#include "net/wsdeflate.h"
#include "proxmox/client.h"
#include "rawsioclient.h"

#include "realtime/eventbus.h"
#include "realtime/sioserver.h"

using jarvis::core::ManualClock;
using jarvis::demo::Fault;
using jarvis::demo::FaultRule;
using jarvis::realtime::ClusterEmitter;
using Source = jarvis::realtime::ClusterEmitter::Source;

namespace {
// Short intervals; quorum and node status then follow every `nodes` poll.
ClusterEmitter::Intervals fast(int nodes = 200, int vms = 300, int storage = 400)
{
    return {nodes, vms, storage, nodes, nodes};
}

// Proxmox requests the fixture's jarvisd has sent and not yet seen answered. Counted when a poll
// sends them, so it can be read right after ManualClock::advance(), before any event is handled.
int inFlight(const ClusterFixture &f)
{
    int n = 0;
    for (const jarvis::config::NodeConfig &node : f.config.nodes)
        n += f.app->cluster()->client()->inFlight(node.name);
    return n;
}
} // namespace

class TestEmitter : public QObject
{
    Q_OBJECT

private slots:
    void snapshotShapes();
    void newClientGetsSnapshotAtOnce();
    void intervalsHonouredAndResent();
    void noOverlapUnderSlowProxmox();
    void requestsPerMinute_data();
    void requestsPerMinute();
    void reuseOrFetch();
    void refreshNeverServesOlderData();
    void pausesWithoutClientsAndResumes();
    void refreshWithAck();
    void nodeDownNeverBlanksTheView();
    void pollHealthAndAlerts();
    void nodeOfflineAlertRaisedAndResolved();
    void nodeBackOnlineGetsFreshStatus();
    void rawEventMatchesEncodeEvent();
    void protectedFlags_data();
    void protectedFlags();
    void perMessageDeflateSetting_data();
    void perMessageDeflateSetting();
};

void TestEmitter::snapshotShapes()
{
    ClusterFixture f;
    QVERIFY2(f.started, qPrintable(f.startError));
    f.connect(QStringLiteral("/cluster"));
    QTRY_VERIFY_WITH_TIMEOUT(
        f.count(QStringLiteral("/cluster"), QStringLiteral("storage")) >= 1, 10000);
    QTRY_VERIFY(f.count(QStringLiteral("/cluster"), QStringLiteral("nodes")) >= 1
        && f.count(QStringLiteral("/cluster"), QStringLiteral("vms")) >= 1
        && f.count(QStringLiteral("/cluster"), QStringLiteral("quorum")) >= 1);

    const QJsonArray nodes =
        f.of(QStringLiteral("/cluster"), QStringLiteral("nodes")).last().args.first().toArray();
    QCOMPARE(nodes.size(), 3);
    const QJsonObject node = nodes.first().toObject();
    QCOMPARE(node.value(QStringLiteral("id")).toString(), QStringLiteral("node/pve1"));
    QCOMPARE(node.value(QStringLiteral("name")).toString(), QStringLiteral("pve1"));
    QCOMPARE(node.value(QStringLiteral("host")).toString(), QStringLiteral("10.0.0.1"));
    QCOMPARE(node.value(QStringLiteral("status")).toString(), QStringLiteral("online"));
    QVERIFY(node.value(QStringLiteral("temperatures")).isObject());
    QVERIFY(node.value(QStringLiteral("cpu")).isDouble());
    QCOMPARE(node.value(QStringLiteral("loadavg")).toArray().size(), 3);
    QCOMPARE(node.value(QStringLiteral("protected")), QJsonValue(false));

    const QJsonArray vms =
        f.of(QStringLiteral("/cluster"), QStringLiteral("vms")).last().args.first().toArray();
    QCOMPARE(vms.size(), 12);
    for (const QJsonValue &v : vms) {
        const QJsonObject vm = v.toObject();
        QVERIFY(vm.value(QStringLiteral("vmid")).isDouble());
        QVERIFY(vm.value(QStringLiteral("type")) == QLatin1String("qemu")
            || vm.value(QStringLiteral("type")) == QLatin1String("lxc"));
        QVERIFY(vm.value(QStringLiteral("template")).isBool());
        QCOMPARE(vm.value(QStringLiteral("protected")), QJsonValue(false));
        QVERIFY(vm.value(QStringLiteral("tags")).isArray());
    }
    const QJsonObject quorum =
        f.of(QStringLiteral("/cluster"), QStringLiteral("quorum")).last().args.first().toObject();
    QCOMPARE(quorum.value(QStringLiteral("quorate")).toBool(), true);
    QCOMPARE(quorum.value(QStringLiteral("nodelist")).toArray().size(), 3);
    const QJsonArray storage =
        f.of(QStringLiteral("/cluster"), QStringLiteral("storage")).last().args.first().toArray();
    // local on each node, and the shared "backup" listed once per node as Proxmox does.
    QCOMPARE(storage.size(), 6);
    QCOMPARE(storage.first().toObject().value(QStringLiteral("status")).toString(),
        QStringLiteral("active"));
}

void TestEmitter::newClientGetsSnapshotAtOnce()
{
    ManualClock clock; // never advanced: no tick during the test
    ClusterFixture f(300, {}, {}, &clock);
    QVERIFY(f.started);
    f.connect(QStringLiteral("/cluster"), QStringLiteral("first"));
    QTRY_VERIFY_WITH_TIMEOUT(
        f.count(QStringLiteral("first"), QStringLiteral("storage")) == 1, 10000);
    QTRY_COMPARE(inFlight(f), 0);
    const int requests = f.simulator->totalRequests();
    f.connect(QStringLiteral("/cluster"), QStringLiteral("second"));
    // From the cache, at once: the connection itself sent no Proxmox request, and the clock
    // never moved, so no tick can have brought it.
    QCOMPARE(inFlight(f), 0);
    QTRY_VERIFY_WITH_TIMEOUT(f.count(QStringLiteral("second"), QStringLiteral("nodes")) == 1
            && f.count(QStringLiteral("second"), QStringLiteral("vms")) == 1
            && f.count(QStringLiteral("second"), QStringLiteral("storage")) == 1
            && f.count(QStringLiteral("second"), QStringLiteral("quorum")) == 1,
        10000);
    QCOMPARE(f.simulator->totalRequests(), requests);
}

void TestEmitter::intervalsHonouredAndResent()
{
    ManualClock clock;
    ClusterFixture f(300, {}, {}, &clock);
    QVERIFY(f.started);
    f.emitter()->setIntervals(fast(10000, 250, 10000));
    f.connect(QStringLiteral("/cluster"));
    // The first poll of every source follows the connection at once.
    QTRY_VERIFY_WITH_TIMEOUT(f.emitter()->pollCount(Source::Nodes) == 1
            && f.emitter()->pollCount(Source::Vms) == 1
            && f.emitter()->pollCount(Source::Storage) == 1,
        10000);
    QTRY_COMPARE_WITH_TIMEOUT(f.count(QStringLiteral("/cluster"), QStringLiteral("vms")), 1, 10000);
    // Every 250 ms of the clock one `vms` poll, and not a millisecond earlier.
    for (int tick = 1; tick <= 6; ++tick) {
        QTRY_COMPARE(inFlight(f), 0);
        clock.advance(249);
        QCOMPARE(inFlight(f), 0);
        clock.advance(1);
        QCOMPARE(inFlight(f), 1); // /cluster/resources for `vms`
        QTRY_COMPARE_WITH_TIMEOUT(f.emitter()->pollCount(Source::Vms), 1 + tick, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(
            f.count(QStringLiteral("/cluster"), QStringLiteral("vms")), 1 + tick, 10000);
    }
    QCOMPARE(f.emitter()->pollCount(Source::Nodes), 1);
    QCOMPARE(f.emitter()->pollCount(Source::Storage), 1);
    // Re-sent although nothing changed (no power action in between).
    const auto sent = f.of(QStringLiteral("/cluster"), QStringLiteral("vms"));
    QCOMPARE(sent.last().args.first().toArray().size(), sent.first().args.first().toArray().size());
    // The other sources keep their own (long) interval: no extra storage events.
    QCOMPARE(f.count(QStringLiteral("/cluster"), QStringLiteral("storage")), 1);
}

void TestEmitter::noOverlapUnderSlowProxmox()
{
    ManualClock clock;
    ClusterFixture f(300, {}, {}, &clock);
    QVERIFY(f.started);
    const QString resources = QStringLiteral("cluster/resources");
    f.simulator->injectFault(FaultRule::on(resources, Fault::Kind::Slow, 2000));
    f.emitter()->setIntervals(fast(100, 100, 100));
    f.connect(QStringLiteral("/cluster"));
    // The first poll of the three sources: one shared /cluster/resources, held back.
    QTRY_COMPARE_WITH_TIMEOUT(f.simulator->requestCount(resources), 1, 10000);
    const int before = inFlight(f);
    QVERIFY(before >= 1);
    // Twenty intervals pass while they are held (nothing is handled in between): every tick
    // finds its source still running and sends nothing.
    for (int i = 0; i < 20; ++i)
        clock.advance(100);
    QCOMPARE(inFlight(f), before);
    QTRY_VERIFY_WITH_TIMEOUT(f.emitter()->pollCount(Source::Nodes) == 1
            && f.emitter()->pollCount(Source::Vms) == 1
            && f.emitter()->pollCount(Source::Storage) == 1,
        10000);
    QTRY_COMPARE(inFlight(f), 0);
    QCOMPARE(f.simulator->requestCount(resources), 1); // the missed ticks are not made up
    QCOMPARE(f.count(QStringLiteral("/cluster"), QStringLiteral("vms")), 1);
    // Once idle, the next tick polls again: one /cluster/resources for the three events, and
    // /cluster/status (quorum follows every `nodes` poll at these intervals).
    clock.advance(100);
    QCOMPARE(inFlight(f), 1 + 1);
    QTRY_COMPARE_WITH_TIMEOUT(f.emitter()->pollCount(Source::Vms), 2, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(f.count(QStringLiteral("/cluster"), QStringLiteral("vms")), 2, 10000);
}

// The Proxmox requests of one minute at the default intervals (nodes 10 s, vms 15 s, storage
// 30 s; quorum 30 s and node status 60 s), 3 nodes, per endpoint: one /cluster/resources fetch
// feeds all three events (vms at :15 and :45 reuse the :10 and :40 answers), so 6 fetches, plus
// 2 /cluster/status and one nodes/{node}/status per node. Nothing without a client.
void TestEmitter::requestsPerMinute_data()
{
    QTest::addColumn<bool>("client");
    QTest::addColumn<int>("resources");
    QTest::addColumn<int>("quorum");
    QTest::addColumn<int>("nodeStatus");
    QTest::addRow("one client") << true << 6 << 2 << 3;
    QTest::addRow("no client") << false << 0 << 0 << 0;
}

void TestEmitter::requestsPerMinute()
{
    QFETCH(bool, client);
    QFETCH(int, resources);
    QFETCH(int, quorum);
    QFETCH(int, nodeStatus);
    ManualClock clock;
    ClusterFixture f(300, {}, {}, &clock);
    QVERIFY(f.started);
    QCOMPARE(f.config.intervalNodes, 10);
    QCOMPARE(f.config.intervalVms, 15);
    QCOMPARE(f.config.intervalStorage, 30);
    if (client) {
        f.connect(QStringLiteral("/cluster"));
        QTRY_VERIFY_WITH_TIMEOUT(f.emitter()->pollCount(Source::Nodes) == 1
                && f.emitter()->pollCount(Source::Vms) == 1
                && f.emitter()->pollCount(Source::Storage) == 1,
            10000);
    }
    // Every tick falls on a multiple of 5 s; each step waits until its requests are answered.
    auto minute = [&] {
        for (int step = 0; step < 12; ++step) {
            clock.advance(5000);
            QTRY_COMPARE_WITH_TIMEOUT(inFlight(f), 0, 10000);
        }
    };
    minute(); // the first minute starts with the connection's polls
    f.simulator->resetRequestCounts();
    minute();
    QCOMPARE(f.simulator->requestCount(QStringLiteral("cluster/resources")), resources);
    QCOMPARE(f.simulator->requestCount(QStringLiteral("cluster/status")), quorum);
    QCOMPARE(f.simulator->requestCount(QStringLiteral("nodes/{node}/status")), nodeStatus);
    QCOMPARE(f.simulator->totalRequests(), resources + quorum + nodeStatus);
    QVERIFY(f.simulator->totalRequests() <= 12);
    if (client) {
        // And the events kept their intervals: 6 nodes (each with quorum), 4 vms, 2 storage.
        QCOMPARE(f.emitter()->pollCount(Source::Nodes), 1 + 12);
        QCOMPARE(f.emitter()->pollCount(Source::Vms), 1 + 8);
        QCOMPARE(f.emitter()->pollCount(Source::Storage), 1 + 4);
        QTRY_COMPARE_WITH_TIMEOUT(
            f.count(QStringLiteral("/cluster"), QStringLiteral("quorum")), 1 + 12, 10000);
    }
}

// An event that is due reuses the latest /cluster/resources answer when its fetch started less
// than half of the event's interval ago, joins a fetch in flight, or starts one.
void TestEmitter::reuseOrFetch()
{
    ManualClock clock;
    ClusterFixture f(300, {}, {}, &clock);
    QVERIFY(f.started);
    f.connect(QStringLiteral("/cluster"));
    QTRY_VERIFY_WITH_TIMEOUT(f.emitter()->pollCount(Source::Nodes) == 1
            && f.emitter()->pollCount(Source::Vms) == 1
            && f.emitter()->pollCount(Source::Storage) == 1,
        10000);
    QTRY_COMPARE(inFlight(f), 0);
    QCOMPARE(f.emitter()->resourceFetchCount(), 1); // the three first polls share one fetch

    clock.advance(10000); // nodes: the answer is 10 s old, more than 5 s: a fetch
    QCOMPARE(f.emitter()->resourceFetchCount(), 2);
    QCOMPARE(inFlight(f), 1);
    QTRY_COMPARE_WITH_TIMEOUT(f.emitter()->pollCount(Source::Nodes), 2, 10000);
    QTRY_COMPARE(inFlight(f), 0);

    clock.advance(5000); // vms at 15 s: the 10 s answer is 5 s old, less than 7.5 s: reused
    QCOMPARE(inFlight(f), 0);
    QCOMPARE(f.emitter()->resourceFetchCount(), 2);
    QCOMPARE(f.emitter()->pollCount(Source::Vms), 2); // at once, from the answer at hand
    QTRY_COMPARE_WITH_TIMEOUT(f.count(QStringLiteral("/cluster"), QStringLiteral("vms")), 2, 10000);

    clock.advance(5000); // nodes at 20 s
    QCOMPARE(f.emitter()->resourceFetchCount(), 3);
    QTRY_COMPARE(inFlight(f), 0);
    clock.advance(10000); // 30 s: nodes, vms and storage together: one fetch (+ quorum)
    QCOMPARE(f.emitter()->resourceFetchCount(), 4);
    QCOMPARE(inFlight(f), 2);
    QTRY_VERIFY_WITH_TIMEOUT(f.emitter()->pollCount(Source::Nodes) == 4
            && f.emitter()->pollCount(Source::Vms) == 3
            && f.emitter()->pollCount(Source::Storage) == 2,
        10000);
    QTRY_COMPARE(inFlight(f), 0);
    QCOMPARE(f.simulator->requestCount(QStringLiteral("cluster/resources")), 4);
}

// refreshNow (after tool actions, and the `refresh` request) waits for a fetch that started after
// the call: a fetch already in flight may hold data from before the action.
void TestEmitter::refreshNeverServesOlderData()
{
    ManualClock clock;
    ClusterFixture f(300, {}, {}, &clock);
    QVERIFY(f.started);
    f.connect(QStringLiteral("/cluster"));
    QTRY_VERIFY_WITH_TIMEOUT(f.emitter()->pollCount(Source::Storage) == 1, 10000);
    QTRY_COMPARE(inFlight(f), 0);
    const QString resources = QStringLiteral("cluster/resources");
    const int fault = f.simulator->injectFault(FaultRule::on(resources, Fault::Kind::Slow, 500));

    clock.advance(10000); // the `nodes` poll's fetch is in flight, held by the simulator
    QCOMPARE(f.emitter()->resourceFetchCount(), 2);
    std::optional<int> fetchesAtDone;
    f.emitter()->refreshNow({Source::Vms}, f.emitter(), [&](bool ok, const QString &) {
        QVERIFY(ok);
        fetchesAtDone = f.emitter()->resourceFetchCount();
    });
    QCOMPARE(f.emitter()->resourceFetchCount(), 2); // never two fetches at once
    QTRY_VERIFY_WITH_TIMEOUT(fetchesAtDone.has_value(), 10000);
    QCOMPARE(*fetchesAtDone, 3); // served by a fetch that started after the call
    f.simulator->removeFault(fault);
    QTRY_COMPARE(inFlight(f), 0);
    QCOMPARE(f.simulator->requestCount(resources), 3);

    // With nothing in flight, a refresh fetches at once even though the answer is fresh.
    fetchesAtDone.reset();
    f.emitter()->refreshNow(
        {Source::Nodes, Source::Vms, Source::Storage}, f.emitter(), [&](bool ok, const QString &) {
            QVERIFY(ok);
            fetchesAtDone = f.emitter()->resourceFetchCount();
        });
    QCOMPARE(f.emitter()->resourceFetchCount(), 4);
    QTRY_VERIFY_WITH_TIMEOUT(fetchesAtDone.has_value(), 10000);
    QCOMPARE(*fetchesAtDone, 4); // one fetch for the three
}

void TestEmitter::pausesWithoutClientsAndResumes()
{
    ManualClock clock;
    ClusterFixture f(300, {}, {}, &clock);
    QVERIFY(f.started);
    f.emitter()->setIntervals(fast(150, 150, 150));
    QCOMPARE(clock.activeTickers(), 0); // nobody connected yet: no timer runs at all
    clock.advance(1000);
    QCOMPARE(inFlight(f), 0);
    QCOMPARE(f.simulator->totalRequests(), 0);
    QVERIFY(!f.emitter()->isPolling());

    auto *client = f.connect(QStringLiteral("/cluster"));
    QTRY_VERIFY_WITH_TIMEOUT(f.emitter()->isPolling(), 10000);
    QCOMPARE(clock.activeTickers(), 3);
    QTRY_VERIFY_WITH_TIMEOUT(f.simulator->totalRequests() > 0, 10000); // resumes at once
    client->disconnectFromServer();
    QTRY_VERIFY_WITH_TIMEOUT(!f.emitter()->isPolling(), 10000);
    QCOMPARE(clock.activeTickers(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(inFlight(f), 0, 10000); // a poll already in flight finishes
    const int paused = f.simulator->totalRequests();
    clock.advance(1000);
    QCOMPARE(inFlight(f), 0);
    QCOMPARE(f.simulator->totalRequests(), paused);

    f.connect(QStringLiteral("/cluster"), QStringLiteral("again"));
    QTRY_VERIFY_WITH_TIMEOUT(f.simulator->totalRequests() > paused, 10000);
}

void TestEmitter::refreshWithAck()
{
    ManualClock clock; // never advanced: only the refreshes poll
    ClusterFixture f(300, {}, {}, &clock);
    QVERIFY(f.started);
    auto *client = f.connect(QStringLiteral("/cluster"));
    QTRY_VERIFY_WITH_TIMEOUT(
        f.count(QStringLiteral("/cluster"), QStringLiteral("storage")) == 1, 10000);
    std::optional<jarvis::client::AckResult> ack;
    int vmsAtAck = -1;
    client->emitEvent(
        QStringLiteral("refresh"), {}, {}, client, [&](const jarvis::client::AckResult &r) {
            ack = r;
            vmsAtAck = f.count(QStringLiteral("/cluster"), QStringLiteral("vms"));
        });
    QTRY_VERIFY_WITH_TIMEOUT(ack.has_value(), 10000);
    QVERIFY(ack->ok());
    QCOMPARE(ack->args.first().toObject().value(QStringLiteral("ok")).toBool(), true);
    QCOMPARE(vmsAtAck, 2); // the fresh data arrived before the ack

    client->emitEvent(QStringLiteral("requestRefresh"));
    QTRY_VERIFY_WITH_TIMEOUT(
        f.count(QStringLiteral("/cluster"), QStringLiteral("vms")) == 3, 10000);
}

void TestEmitter::nodeDownNeverBlanksTheView()
{
    ClusterFixture f;
    QVERIFY(f.started);
    f.emitter()->setIntervals(fast(200, 60000, 60000));
    FaultRule rule =
        FaultRule::on(QStringLiteral("nodes/{node}/status"), Fault::Kind::NodeUnreachable);
    rule.node = QStringLiteral("pve2");
    f.simulator->injectFault(rule);
    f.connect(QStringLiteral("/cluster"));
    QTRY_VERIFY_WITH_TIMEOUT(
        f.count(QStringLiteral("/cluster"), QStringLiteral("nodes")) >= 2, 10000);
    const QJsonArray nodes =
        f.of(QStringLiteral("/cluster"), QStringLiteral("nodes")).last().args.first().toArray();
    QCOMPARE(nodes.size(), 3);
}

void TestEmitter::pollHealthAndAlerts()
{
    ManualClock clock;
    ClusterFixture f(300, {}, {}, &clock);
    QVERIFY(f.started);
    f.emitter()->setIntervals(fast(60000, 150, 60000));
    f.connect(QStringLiteral("/events"));
    f.connect(QStringLiteral("/cluster"));
    QTRY_VERIFY_WITH_TIMEOUT(
        f.count(QStringLiteral("/cluster"), QStringLiteral("vms")) == 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(f.emitter()->pollCount(Source::Vms), 1, 10000);
    const int vmsBefore = f.count(QStringLiteral("/cluster"), QStringLiteral("vms"));
    const int fault = f.simulator->injectFault(
        FaultRule::on(QStringLiteral("cluster/resources"), Fault::Kind::ServerError));

    auto pollEvents = [&](bool ok) {
        int n = 0;
        for (const ReceivedEvent &e : f.of(QStringLiteral("/events"), QStringLiteral("event"))) {
            const QJsonObject data =
                e.args.first().toObject().value(QStringLiteral("data")).toObject();
            if (data.value(QStringLiteral("kind")) == QLatin1String("poll")
                && data.value(QStringLiteral("source")) == QLatin1String("vms")
                && data.value(QStringLiteral("ok")).toBool() == ok)
                ++n;
        }
        return n;
    };
    auto alerts = [&](bool resolved) {
        int n = 0;
        for (const ReceivedEvent &e : f.of(QStringLiteral("/events"), QStringLiteral("alert"))) {
            const QJsonObject event = e.args.first().toObject();
            if (event.value(QStringLiteral("data")).toObject().value(QStringLiteral("alertKind"))
                    == QLatin1String("poll_failing")
                && event.contains(QStringLiteral("resolvedAt")) == resolved)
                ++n;
        }
        return n;
    };
    QTRY_COMPARE_WITH_TIMEOUT(pollEvents(true), 1, 10000); // the first poll's health
    // Five failing `vms` polls, one per tick.
    for (int failures = 1; failures <= 5; ++failures) {
        clock.advance(150);
        QTRY_COMPARE_WITH_TIMEOUT(f.emitter()->pollCount(Source::Vms), 1 + failures, 10000);
        QVERIFY(!f.emitter()->lastPollOk());
        if (failures == 1)
            QTRY_COMPARE_WITH_TIMEOUT(pollEvents(false), 1, 10000);
        if (failures == 3) // the third failure in a row raises the alert
            QTRY_COMPARE_WITH_TIMEOUT(alerts(false), 1, 10000);
    }

    f.simulator->removeFault(fault);
    clock.advance(150);
    QTRY_COMPARE_WITH_TIMEOUT(f.emitter()->pollCount(Source::Vms), 7, 10000);
    // The recovery comes after everything the failures sent, on the same sockets: by then a
    // repeated report or alert would have arrived.
    QTRY_COMPARE_WITH_TIMEOUT(pollEvents(true), 2, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(alerts(true), 1, 10000);
    QCOMPARE(pollEvents(false), 1); // a health *change* is reported once
    QCOMPARE(alerts(false), 1); // and the alert is not repeated
    // A failed tick sends nothing on /cluster: only the recovery's `vms` came.
    QTRY_COMPARE_WITH_TIMEOUT(
        f.count(QStringLiteral("/cluster"), QStringLiteral("vms")), vmsBefore + 1, 10000);
    const QJsonObject resolved =
        f.of(QStringLiteral("/events"), QStringLiteral("alert")).last().args.first().toObject();
    QVERIFY(QDateTime::fromString(
        resolved.value(QStringLiteral("resolvedAt")).toString(), Qt::ISODateWithMs)
                .isValid());
    QCOMPARE(resolved.value(QStringLiteral("type")).toString(), QStringLiteral("alert"));
}

void TestEmitter::nodeOfflineAlertRaisedAndResolved()
{
    ClusterFixture f;
    QVERIFY(f.started);
    f.emitter()->setIntervals(fast(150, 60000, 60000));
    f.connect(QStringLiteral("/events"));
    f.connect(QStringLiteral("/cluster"));
    QTRY_VERIFY_WITH_TIMEOUT(
        f.count(QStringLiteral("/cluster"), QStringLiteral("nodes")) >= 1, 10000);
    QVERIFY(f.simulator->setNodeOnline(QStringLiteral("pve2"), false));
    auto nodeAlerts = [&](bool resolved) {
        QList<QJsonObject> out;
        for (const ReceivedEvent &e : f.of(QStringLiteral("/events"), QStringLiteral("alert"))) {
            const QJsonObject event = e.args.first().toObject();
            if (event.value(QStringLiteral("data")).toObject().value(QStringLiteral("alertKind"))
                    == QLatin1String("node_offline")
                && event.value(QStringLiteral("node")) == QLatin1String("pve2")
                && event.contains(QStringLiteral("resolvedAt")) == resolved)
                out.append(event);
        }
        return out;
    };
    QTRY_VERIFY_WITH_TIMEOUT(nodeAlerts(false).size() == 1, 5000);
    QCOMPARE(
        nodeAlerts(false).first().value(QStringLiteral("node")).toString(), QStringLiteral("pve2"));
    QCOMPARE(nodeAlerts(false).first().value(QStringLiteral("severity")).toString(),
        QStringLiteral("critical"));
    // 2 of 3 votes: still quorate, no quorum alert.
    for (const ReceivedEvent &e : f.of(QStringLiteral("/events"), QStringLiteral("alert")))
        QVERIFY(e.args.first()
                    .toObject()
                    .value(QStringLiteral("data"))
                    .toObject()
                    .value(QStringLiteral("alertKind"))
            != QLatin1String("quorum_lost"));
    const QJsonArray nodes =
        f.of(QStringLiteral("/cluster"), QStringLiteral("nodes")).last().args.first().toArray();
    QCOMPARE(nodes.at(1).toObject().value(QStringLiteral("status")).toString(),
        QStringLiteral("offline"));
    QCOMPARE(nodes.at(1).toObject().value(QStringLiteral("cpu")).toDouble(), 0.0);

    // Losing a second node loses quorum.
    QVERIFY(f.simulator->setNodeOnline(QStringLiteral("pve3"), false));
    auto quorumAlerts = [&] {
        int n = 0;
        for (const ReceivedEvent &e : f.of(QStringLiteral("/events"), QStringLiteral("alert")))
            n += e.args.first()
                        .toObject()
                        .value(QStringLiteral("data"))
                        .toObject()
                        .value(QStringLiteral("alertKind"))
                    == QLatin1String("quorum_lost")
                ? 1
                : 0;
        return n;
    };
    QTRY_VERIFY_WITH_TIMEOUT(quorumAlerts() == 1, 5000);
    f.simulator->setNodeOnline(QStringLiteral("pve3"), true);
    QTRY_VERIFY_WITH_TIMEOUT(quorumAlerts() == 2, 5000); // resolved

    QVERIFY(f.simulator->setNodeOnline(QStringLiteral("pve2"), true));
    QTRY_VERIFY_WITH_TIMEOUT(nodeAlerts(true).size() == 1, 5000);
    const QJsonObject raised = nodeAlerts(false).first();
    const QJsonObject cleared = nodeAlerts(true).first();
    QVERIFY(cleared.value(QStringLiteral("id"))
        != raised.value(QStringLiteral("id"))); // unique per message
    QCOMPARE(cleared.value(QStringLiteral("data")).toObject().value(QStringLiteral("alertId")),
        raised.value(QStringLiteral("id")));
    QCOMPARE(raised.value(QStringLiteral("data")).toObject().value(QStringLiteral("alertId")),
        raised.value(QStringLiteral("id")));
}

// A node that was offline comes back rebooted: its status (loadavg) is fetched again at once,
// not shown from before it went down until intervals.nodeStatus has passed.
void TestEmitter::nodeBackOnlineGetsFreshStatus()
{
    ClusterFixture f;
    QVERIFY2(f.started, qPrintable(f.startError));
    ClusterEmitter::Intervals intervals = fast(150, 60000, 60000);
    intervals.nodeStatusMs = 600000;
    f.emitter()->setIntervals(intervals);
    f.connect(QStringLiteral("/cluster"));
    const QString statusPath = QStringLiteral("nodes/{node}/status");
    auto pve2 = [&] {
        const QList<ReceivedEvent> nodes =
            f.of(QStringLiteral("/cluster"), QStringLiteral("nodes"));
        if (nodes.isEmpty())
            return QJsonObject();
        for (const QJsonValue &n : nodes.last().args.first().toArray()) {
            if (n.toObject().value(QStringLiteral("node")) == QLatin1String("pve2"))
                return n.toObject();
        }
        return QJsonObject();
    };
    QTRY_VERIFY_WITH_TIMEOUT(pve2().contains(QStringLiteral("loadavg")), 10000);
    QCOMPARE(f.simulator->requestCount(statusPath), 3); // one per online node
    QVERIFY(f.simulator->setNodeOnline(QStringLiteral("pve2"), false));
    QTRY_COMPARE_WITH_TIMEOUT(
        pve2().value(QStringLiteral("status")).toString(), QStringLiteral("offline"), 10000);
    QVERIFY(!pve2().contains(QStringLiteral("loadavg")));
    QVERIFY(f.simulator->setNodeOnline(QStringLiteral("pve2"), true));
    QTRY_COMPARE_WITH_TIMEOUT(f.simulator->requestCount(statusPath), 4, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(pve2().value(QStringLiteral("status")) == QLatin1String("online")
            && pve2().contains(QStringLiteral("loadavg")),
        10000);
    QCOMPARE(f.simulator->requestCount(statusPath), 4); // the others were not asked again
}

void TestEmitter::rawEventMatchesEncodeEvent()
{
    // `vms` and `storage` go out through encodeEventRaw(): the same bytes encodeEvent() writes
    // from the QJsonValue tree, on any namespace, with and without arguments.
    using jarvis::realtime::encodeEvent;
    using jarvis::realtime::encodeEventRaw;
    using jarvis::realtime::Message;
    ClusterFixture f;
    QVERIFY2(f.started, qPrintable(f.startError));
    f.connect(QStringLiteral("/cluster"));
    QTRY_VERIFY_WITH_TIMEOUT(
        f.count(QStringLiteral("/cluster"), QStringLiteral("storage")) >= 1, 10000);
    const QList<jarvis::model::VmData> vms = f.emitter()->vms();
    const QList<jarvis::model::StorageData> storage = f.emitter()->storage();
    QVERIFY(!vms.isEmpty());
    QVERIFY(!storage.isEmpty());
    QByteArray vmsJson;
    jarvis::model::appendJson(vmsJson, vms);
    QByteArray storageJson;
    jarvis::model::appendJson(storageJson, storage);
    for (const QString &nsp : {QStringLiteral("/cluster"), QStringLiteral("/"), QString()}) {
        QCOMPARE(encodeEventRaw(nsp, QStringLiteral("vms"), vmsJson).text,
            encodeEvent(nsp, QStringLiteral("vms"), Message::of(jarvis::model::toJson(vms))).text);
        QCOMPARE(encodeEventRaw(nsp, QStringLiteral("storage"), storageJson).text,
            encodeEvent(nsp, QStringLiteral("storage"), Message::of(jarvis::model::toJson(storage)))
                .text);
        QCOMPARE(encodeEventRaw(nsp, QStringLiteral("n\u00e9\"w"), QByteArray()).text,
            encodeEvent(nsp, QStringLiteral("n\u00e9\"w"), Message {}).text);
    }
    // What the client received decodes to the emitter's snapshot.
    const QJsonArray received =
        f.of(QStringLiteral("/cluster"), QStringLiteral("vms")).last().args.first().toArray();
    QCOMPARE(received, jarvis::model::toJson(f.emitter()->vms()));
}

// `protected` on every node and guest, from [safety]: a node when it is in protectedNodes
// (matched as the tools match: any case, whitespace ignored), a guest when its vmid is in
// protectedVmids or its node is protected.
void TestEmitter::protectedFlags_data()
{
    QTest::addColumn<QStringList>("nodes");
    QTest::addColumn<QList<int>>("vmids");
    QTest::addColumn<QStringList>("protectedNodes"); // as named on the wire
    QTest::addRow("nothing") << QStringList() << QList<int>() << QStringList();
    QTest::addRow("node, written differently")
        << QStringList {QStringLiteral(" PVE3 ")} << QList<int>()
        << QStringList {QStringLiteral("pve3")};
    QTest::addRow("guest on an unprotected node")
        << QStringList() << QList<int> {101} << QStringList();
    QTest::addRow("both, and an unknown vmid")
        << QStringList {QStringLiteral("pve3"), QStringLiteral("mars")} << QList<int> {101, 4242}
        << QStringList {QStringLiteral("pve3")};
}

void TestEmitter::protectedFlags()
{
    QFETCH(QStringList, nodes);
    QFETCH(QList<int>, vmids);
    QFETCH(QStringList, protectedNodes);
    ClusterFixture f(300, nodes, [&vmids](jarvis::config::Config &c) { c.protectedVmids = vmids; });
    QVERIFY2(f.started, qPrintable(f.startError));
    f.connect(QStringLiteral("/cluster"));
    QTRY_VERIFY_WITH_TIMEOUT(f.count(QStringLiteral("/cluster"), QStringLiteral("nodes")) >= 1
            && f.count(QStringLiteral("/cluster"), QStringLiteral("vms")) >= 1,
        10000);

    const QJsonArray nodeList =
        f.of(QStringLiteral("/cluster"), QStringLiteral("nodes")).last().args.first().toArray();
    QCOMPARE(nodeList.size(), 3);
    for (const QJsonValue &v : nodeList) {
        const QJsonObject node = v.toObject();
        const QString name = node.value(QStringLiteral("node")).toString();
        QCOMPARE(
            node.value(QStringLiteral("protected")), QJsonValue(protectedNodes.contains(name)));
    }
    const QJsonArray vms =
        f.of(QStringLiteral("/cluster"), QStringLiteral("vms")).last().args.first().toArray();
    QCOMPARE(vms.size(), 12);
    int protectedGuests = 0;
    for (const QJsonValue &v : vms) {
        const QJsonObject vm = v.toObject();
        const bool expected = vmids.contains(vm.value(QStringLiteral("vmid")).toInt())
            || protectedNodes.contains(vm.value(QStringLiteral("node")).toString());
        QVERIFY2(vm.value(QStringLiteral("protected")) == QJsonValue(expected),
            qPrintable(QString::number(vm.value(QStringLiteral("vmid")).toInt())));
        protectedGuests += expected ? 1 : 0;
    }
    QCOMPARE(protectedGuests > 0, !nodes.isEmpty() || !vmids.isEmpty());
    // The emitter's own snapshot says the same (what tools and new clients get).
    for (const jarvis::model::VmData &vm : f.emitter()->vms())
        QCOMPARE(vm.isProtected, vmids.contains(vm.vmid) || protectedNodes.contains(vm.node));
}

void TestEmitter::perMessageDeflateSetting_data()
{
    QTest::addColumn<bool>("configured"); // [server] perMessageDeflate
    QTest::addColumn<QByteArray>("offer"); // the client's Sec-WebSocket-Extensions
    QTest::addColumn<bool>("negotiated");
    const QByteArray browser = "permessage-deflate; client_max_window_bits"; // Chrome, Firefox
    const QByteArray npm = "permessage-deflate; client_no_context_takeover; "
                           "server_no_context_takeover"; // a stricter offer
    QTest::addRow("on, browser offer") << true << browser << true;
    QTest::addRow("on, strict offer") << true << npm << true;
    QTest::addRow("on, no offer") << true << QByteArray() << false;
    QTest::addRow("off, browser offer") << false << browser << false;
    QTest::addRow("off, strict offer") << false << npm << false;
    QTest::addRow("off, no offer") << false << QByteArray() << false;
}

// perMessageDeflate=false (PROTOCOL.md section 7) makes the server decline every offer in the
// handshake, and everything still flows: the snapshots to a new client (uncompressed) and an
// acknowledged event both ways. With it on, an offer is accepted and big events come compressed.
void TestEmitter::perMessageDeflateSetting()
{
    QFETCH(bool, configured);
    QFETCH(QByteArray, offer);
    QFETCH(bool, negotiated);
    ManualClock clock;
    ClusterFixture f(
        300, {}, [configured](jarvis::config::Config &c) { c.perMessageDeflate = configured; },
        &clock);
    QVERIFY2(f.started, qPrintable(f.startError));
    f.connect(QStringLiteral("/cluster")); // the first poll, so that a snapshot is cached
    QTRY_VERIFY_WITH_TIMEOUT(f.count(QStringLiteral("/cluster"), QStringLiteral("vms")) == 1
            && f.count(QStringLiteral("/cluster"), QStringLiteral("storage")) == 1,
        10000);

    RawSioClient raw;
    QVERIFY(raw.join(f.app->port(), "/cluster", f.token.toUtf8(),
        offer.isEmpty() ? QByteArray() : "Sec-WebSocket-Extensions: " + offer + "\r\n"));
    QCOMPARE(raw.responseHead.toLower().contains("sec-websocket-extensions: permessage-deflate"),
        negotiated);

    // The cached `vms` snapshot (several KB: compressed when negotiated), then the refresh's
    // fresh one and its ack (the last `vms` before the ack is the emitter's current list).
    raw.emitEvent(R"(7["refresh"])");
    std::optional<QByteArray> vms;
    bool acked = false;
    while (!(vms && acked)) {
        const std::optional<RawSioClient::Frame> frame = raw.nextFrame(10000);
        QVERIFY2(frame, vms ? "no ack" : "no vms");
        QByteArray text = frame->payload;
        if (frame->rsv1()) {
            QVERIFY2(negotiated, "a compressed frame without permessage-deflate");
            jarvis::net::ws::Inflater inflater(15, true);
            text.clear();
            QCOMPARE(int(inflater.inflate(frame->payload, &text, 16 << 20)), 0);
            QCOMPARE(int(inflater.finishMessage(&text, 16 << 20)), 0);
        }
        if (text.startsWith(R"(42/cluster,["vms",)")) {
            QCOMPARE(frame->rsv1(), negotiated); // well over the 1 KiB threshold
            vms = text;
        }
        acked = acked || text.startsWith(R"(43/cluster,7[{"ok":true}])");
    }
    const QJsonArray guests =
        QJsonDocument::fromJson(vms->mid(int(qstrlen("42/cluster,")))).array().at(1).toArray();
    QCOMPARE(guests, jarvis::model::toJson(f.emitter()->vms()));
}

QTEST_GUILESS_MAIN(TestEmitter)
#include "tst_emitter.moc"
