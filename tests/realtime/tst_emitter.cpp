// ClusterEmitter end to end: a real jarvisd Application polling the PVE simulator over HTTP, and
// real Socket.IO clients on /cluster and /events (short intervals; no sleeps as assertions).
#include "clusterfixture.h"

#include "realtime/eventbus.h"
#include "realtime/sioserver.h"

using jarvis::demo::Fault;
using jarvis::demo::FaultRule;
using jarvis::realtime::ClusterEmitter;

namespace {
ClusterEmitter::Intervals fast(int nodes = 200, int vms = 300, int storage = 400)
{
    return {nodes, vms, storage};
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
    void pausesWithoutClientsAndResumes();
    void refreshWithAck();
    void nodeDownNeverBlanksTheView();
    void pollHealthAndAlerts();
    void nodeOfflineAlertRaisedAndResolved();
    void rawEventMatchesEncodeEvent();
    void protectedFlags_data();
    void protectedFlags();
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
    ClusterFixture f;
    QVERIFY(f.started);
    f.emitter()->setIntervals(fast(60000, 60000, 60000)); // no tick during the test
    f.connect(QStringLiteral("/cluster"), QStringLiteral("first"));
    QTRY_VERIFY_WITH_TIMEOUT(
        f.count(QStringLiteral("first"), QStringLiteral("storage")) == 1, 10000);
    const int requests = f.simulator->totalRequests();
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    f.connect(QStringLiteral("/cluster"), QStringLiteral("second"));
    QTRY_VERIFY_WITH_TIMEOUT(f.count(QStringLiteral("second"), QStringLiteral("nodes")) == 1
            && f.count(QStringLiteral("second"), QStringLiteral("vms")) == 1
            && f.count(QStringLiteral("second"), QStringLiteral("storage")) == 1
            && f.count(QStringLiteral("second"), QStringLiteral("quorum")) == 1,
        2000);
    // From the cache: no Proxmox request was needed, and it came at once.
    QCOMPARE(f.simulator->totalRequests(), requests);
    QVERIFY(f.of(QStringLiteral("second"), QStringLiteral("vms")).first().atMs - before < 2000);
}

void TestEmitter::intervalsHonouredAndResent()
{
    ClusterFixture f;
    QVERIFY(f.started);
    f.emitter()->setIntervals(fast(10000, 250, 10000));
    f.connect(QStringLiteral("/cluster"));
    QTRY_VERIFY_WITH_TIMEOUT(
        f.count(QStringLiteral("/cluster"), QStringLiteral("vms")) >= 1, 10000);
    const int start = f.count(QStringLiteral("/cluster"), QStringLiteral("vms"));
    QTest::qWait(1600);
    const int ticks = f.count(QStringLiteral("/cluster"), QStringLiteral("vms")) - start;
    // 1600 ms at 250 ms: about 6; loose bounds for a loaded CI machine.
    QVERIFY2(ticks >= 3 && ticks <= 8, qPrintable(QString::number(ticks)));
    // Re-sent although nothing changed (no power action in between).
    const auto sent = f.of(QStringLiteral("/cluster"), QStringLiteral("vms"));
    QCOMPARE(sent.last().args.first().toArray().size(), sent.first().args.first().toArray().size());
    // The other sources keep their own (long) interval: no extra storage events.
    QCOMPARE(f.count(QStringLiteral("/cluster"), QStringLiteral("storage")), 1);
}

void TestEmitter::noOverlapUnderSlowProxmox()
{
    ClusterFixture f;
    QVERIFY(f.started);
    f.simulator->injectFault(
        FaultRule::on(QStringLiteral("cluster/resources"), Fault::Kind::Slow, 600));
    f.emitter()->setIntervals(fast(100, 100, 100));
    f.connect(QStringLiteral("/cluster"));
    QElapsedTimer clock;
    clock.start();
    QTest::qWait(2000);
    const double elapsed = double(clock.elapsed());
    // Each source has at most one request in flight: at most elapsed/600 + 1 each, three sources.
    const int requests = f.simulator->requestCount(QStringLiteral("cluster/resources"));
    const int bound = 3 * (int(elapsed / 600) + 2);
    QVERIFY2(
        requests <= bound, qPrintable(QStringLiteral("%1 requests > %2").arg(requests).arg(bound)));
    QVERIFY(requests >= 3);
    QTRY_VERIFY_WITH_TIMEOUT(f.count(QStringLiteral("/cluster"), QStringLiteral("vms")) >= 2, 5000);
}

void TestEmitter::pausesWithoutClientsAndResumes()
{
    ClusterFixture f;
    QVERIFY(f.started);
    f.emitter()->setIntervals(fast(150, 150, 150));
    QTest::qWait(500);
    QCOMPARE(f.simulator->totalRequests(), 0); // nobody connected yet: no polling at all
    QVERIFY(!f.emitter()->isPolling());

    auto *client = f.connect(QStringLiteral("/cluster"));
    QTRY_VERIFY_WITH_TIMEOUT(f.emitter()->isPolling(), 3000);
    QTRY_VERIFY_WITH_TIMEOUT(f.simulator->totalRequests() > 0, 3000); // resumes at once
    client->disconnectFromServer();
    QTRY_VERIFY_WITH_TIMEOUT(!f.emitter()->isPolling(), 3000);
    QTest::qWait(300); // let a poll already in flight finish
    const int paused = f.simulator->totalRequests();
    QTest::qWait(800);
    QCOMPARE(f.simulator->totalRequests(), paused);

    f.connect(QStringLiteral("/cluster"), QStringLiteral("again"));
    QTRY_VERIFY_WITH_TIMEOUT(f.simulator->totalRequests() > paused, 1000);
}

void TestEmitter::refreshWithAck()
{
    ClusterFixture f;
    QVERIFY(f.started);
    f.emitter()->setIntervals(fast(60000, 60000, 60000));
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
    ClusterFixture f;
    QVERIFY(f.started);
    f.emitter()->setIntervals(fast(60000, 150, 60000));
    f.connect(QStringLiteral("/events"));
    f.connect(QStringLiteral("/cluster"));
    QTRY_VERIFY_WITH_TIMEOUT(
        f.count(QStringLiteral("/cluster"), QStringLiteral("vms")) >= 1, 10000);
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
    QTRY_VERIFY_WITH_TIMEOUT(pollEvents(false) == 1, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(alerts(false) >= 1, 5000); // after 3 failures in a row
    QTest::qWait(500);
    QCOMPARE(pollEvents(false), 1); // a health *change* is reported once
    QCOMPARE(alerts(false), 1); // and the alert is not repeated
    // A failed tick sends nothing on /cluster.
    const int vmsDuringFault = f.count(QStringLiteral("/cluster"), QStringLiteral("vms"));
    QVERIFY(vmsDuringFault <= vmsBefore + 1);

    f.simulator->removeFault(fault);
    QTRY_VERIFY_WITH_TIMEOUT(pollEvents(true) >= 1, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(alerts(true) == 1, 5000);
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
            encodeEvent(nsp, QStringLiteral("vms"), Message {{jarvis::model::toJson(vms)}, {}})
                .text);
        QCOMPARE(encodeEventRaw(nsp, QStringLiteral("storage"), storageJson).text,
            encodeEvent(
                nsp, QStringLiteral("storage"), Message {{jarvis::model::toJson(storage)}, {}})
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

QTEST_GUILESS_MAIN(TestEmitter)
#include "tst_emitter.moc"
