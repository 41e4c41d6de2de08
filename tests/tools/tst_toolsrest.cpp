// Tools through REST against a real Application and the PVE simulator, observed by real Socket.IO
// clients; and the audit log surviving kill -9 of a real jarvisd process.
#include "clusterfixture.h"
#include "sshdfixture.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <csignal>

using jarvis::demo::Fault;
using jarvis::demo::FaultRule;

namespace {
QJsonObject guestArgs(const QString &node, int vmid)
{
    return {{QStringLiteral("node"), node}, {QStringLiteral("vmid"), vmid}};
}

// The first running qemu guest not on `avoid`.
jarvis::demo::GuestInfo runningVm(jarvis::demo::PveSimulator &sim, const QString &avoid = {})
{
    for (const jarvis::demo::GuestInfo &g : sim.cluster().guests()) {
        if (g.kind == jarvis::demo::GuestKind::Qemu && g.status == QLatin1String("running")
            && g.node != avoid && g.lock.isEmpty())
            return g;
    }
    return {};
}
} // namespace

class TestToolsRest : public QObject
{
    Q_OBJECT

private slots:
    void catalogue();
    void stopVmEmitsFreshDataBeforeAnswering();
    void redNeedsConfirmation();
    void protectedNodeRefused();
    void eventsNameTheirTarget_data();
    void eventsNameTheirTarget();
    void badRequests_data();
    void badRequests();
    void proxmoxFailureIs502();
    void readTools();
    void executeSshOverRealSshd();
    void auditSurvivesKill9();
};

void TestToolsRest::catalogue()
{
    ClusterFixture f;
    QVERIFY(f.started);
    const auto r = f.rest("GET", QStringLiteral("/api/tools"));
    QCOMPARE(r.status, 200);
    QHash<QString, QString> tiers;
    for (const QJsonValue &v : r.json.array())
        tiers.insert(v.toObject().value(QStringLiteral("name")).toString(),
            v.toObject().value(QStringLiteral("tier")).toString());
    const QHash<QString, QString> expected {
        {QStringLiteral("get_cluster_status"), QStringLiteral("GREEN")},
        {QStringLiteral("get_node_status"), QStringLiteral("GREEN")},
        {QStringLiteral("get_vms"), QStringLiteral("GREEN")},
        {QStringLiteral("get_containers"), QStringLiteral("GREEN")},
        {QStringLiteral("get_storage"), QStringLiteral("GREEN")},
        {QStringLiteral("get_cluster_resources"), QStringLiteral("GREEN")},
        {QStringLiteral("get_node_temperature"), QStringLiteral("GREEN")},
        {QStringLiteral("get_recent_tasks"), QStringLiteral("GREEN")},
        {QStringLiteral("get_task_status"), QStringLiteral("GREEN")},
        {QStringLiteral("start_vm"), QStringLiteral("YELLOW")},
        {QStringLiteral("start_container"), QStringLiteral("YELLOW")},
        {QStringLiteral("stop_vm"), QStringLiteral("RED")},
        {QStringLiteral("shutdown_vm"), QStringLiteral("RED")},
        {QStringLiteral("restart_vm"), QStringLiteral("RED")},
        {QStringLiteral("stop_container"), QStringLiteral("RED")},
        {QStringLiteral("shutdown_container"), QStringLiteral("RED")},
        {QStringLiteral("restart_container"), QStringLiteral("RED")},
        {QStringLiteral("execute_ssh"), QStringLiteral("RED")},
        {QStringLiteral("delete_vm"), QStringLiteral("BLACK")},
        {QStringLiteral("delete_container"), QStringLiteral("BLACK")},
        {QStringLiteral("reboot_node"), QStringLiteral("BLACK")},
        {QStringLiteral("shutdown_node"), QStringLiteral("BLACK")}};
    QCOMPARE(tiers, expected);
}

void TestToolsRest::stopVmEmitsFreshDataBeforeAnswering()
{
    ClusterFixture f;
    QVERIFY(f.started);
    f.emitter()->setIntervals({60000, 60000, 60000}); // only the tool's refresh can send `vms`
    f.connect(QStringLiteral("/cluster"));
    f.connect(QStringLiteral("/events"));
    QTRY_VERIFY_WITH_TIMEOUT(
        f.count(QStringLiteral("/cluster"), QStringLiteral("storage")) == 1, 10000);
    const jarvis::demo::GuestInfo vm = runningVm(*f.simulator);
    QVERIFY(vm.vmid > 0);

    // Send the request by hand to see exactly what had arrived when the answer did.
    QNetworkRequest request(QUrl(f.app->url() + QStringLiteral("/api/tools/execute")));
    request.setRawHeader("Authorization", "Bearer " + f.token.toLatin1());
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    const QJsonObject body {{QStringLiteral("tool"), QStringLiteral("stop_vm")},
        {QStringLiteral("args"), guestArgs(vm.node, vm.vmid)}, {QStringLiteral("confirmed"), true}};
    QNetworkReply *reply = f.nam.post(request, QJsonDocument(body).toJson());
    QList<ReceivedEvent> seenAtAnswer;
    connect(reply, &QNetworkReply::finished, this, [&] { seenAtAnswer = f.events; });
    QSignalSpy finished(reply, &QNetworkReply::finished);
    QVERIFY(finished.wait(20000));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    const QJsonObject answer = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    QCOMPARE(answer.value(QStringLiteral("success")).toBool(), true);
    QCOMPARE(answer.value(QStringLiteral("tier")).toString(), QStringLiteral("RED"));
    QVERIFY(answer.value(QStringLiteral("result"))
                .toObject()
                .value(QStringLiteral("upid"))
                .toString()
                .startsWith(QStringLiteral("UPID:")));

    // Before the HTTP answer: a `vms` showing the guest stopped, and a fresh `nodes`.
    bool stoppedSeen = false;
    bool nodesSeen = false;
    for (const ReceivedEvent &e : seenAtAnswer) {
        if (e.client == QLatin1String("/cluster") && e.event == QLatin1String("vms")) {
            for (const QJsonValue &v : e.args.first().toArray()) {
                const QJsonObject g = v.toObject();
                if (g.value(QStringLiteral("vmid")).toInt() == vm.vmid
                    && g.value(QStringLiteral("status")) == QLatin1String("stopped"))
                    stoppedSeen = true;
            }
        }
        if (e.client == QLatin1String("/cluster") && e.event == QLatin1String("nodes"))
            nodesSeen = true;
    }
    QVERIFY2(stoppedSeen, "no `vms` with the guest stopped arrived before the HTTP answer");
    QVERIFY(f.count(QStringLiteral("/cluster"), QStringLiteral("nodes")) >= 2 && nodesSeen);

    // /events: tool started -> task running -> task stopped (OK) -> tool succeeded.
    QStringList steps;
    for (const ReceivedEvent &e : seenAtAnswer) {
        if (e.client != QLatin1String("/events") || e.event != QLatin1String("event"))
            continue;
        const QJsonObject data = e.args.first().toObject().value(QStringLiteral("data")).toObject();
        const QString kind = data.value(QStringLiteral("kind")).toString();
        if (kind == QLatin1String("tool") || kind == QLatin1String("task"))
            steps.append(kind + QLatin1Char(':') + data.value(QStringLiteral("status")).toString());
        if (kind == QLatin1String("task")
            && data.value(QStringLiteral("status")) == QLatin1String("stopped"))
            QCOMPARE(data.value(QStringLiteral("exitstatus")).toString(), QStringLiteral("OK"));
    }
    QTRY_VERIFY_WITH_TIMEOUT(
        f.count(QStringLiteral("/events"), QStringLiteral("event")) >= 4, 5000);
    QVERIFY2(steps.size() >= 3, qPrintable(steps.join(QLatin1Char(' '))));
    QCOMPARE(steps.first(), QStringLiteral("tool:started"));
    QVERIFY(steps.contains(QStringLiteral("task:stopped")));

    // And the audit log has it, completed.
    const auto audit = f.rest("GET", QStringLiteral("/api/audit?limit=5"));
    QCOMPARE(audit.status, 200);
    const QJsonObject entry = audit.json.array().first().toObject();
    QCOMPARE(entry.value(QStringLiteral("tool")).toString(), QStringLiteral("stop_vm"));
    QCOMPARE(entry.value(QStringLiteral("status")).toString(), QStringLiteral("succeeded"));
    QCOMPARE(entry.value(QStringLiteral("confirmed")).toBool(), true);
    QCOMPARE(entry.value(QStringLiteral("user")).toString(), QStringLiteral("admin"));
}

void TestToolsRest::redNeedsConfirmation()
{
    ClusterFixture f;
    QVERIFY(f.started);
    const jarvis::demo::GuestInfo vm = runningVm(*f.simulator);
    const auto blocked = f.rest("POST", QStringLiteral("/api/tools/execute"),
        {{QStringLiteral("tool"), QStringLiteral("shutdown_vm")},
            {QStringLiteral("args"), guestArgs(vm.node, vm.vmid)}});
    QCOMPARE(blocked.status, 403);
    QCOMPARE(blocked.json.object().value(QStringLiteral("blocked")).toBool(), true);
    QCOMPARE(blocked.json.object().value(QStringLiteral("tier")).toString(), QStringLiteral("RED"));
    QCOMPARE(f.simulator->requestCount(QStringLiteral("status/{action}")), 0);

    // `confirmed` inside args, as the original dashboard sends it.
    QJsonObject args = guestArgs(vm.node, vm.vmid);
    args.insert(QStringLiteral("confirmed"), true);
    const auto ok = f.rest("POST", QStringLiteral("/api/tools/execute"),
        {{QStringLiteral("tool"), QStringLiteral("restart_vm")}, {QStringLiteral("args"), args}});
    QCOMPARE(ok.status, 200);
}

void TestToolsRest::protectedNodeRefused()
{
    ClusterFixture f(300, {QStringLiteral("PVE1")});
    QVERIFY(f.started);
    jarvis::demo::GuestInfo onProtected;
    for (const auto &g : f.simulator->cluster().guests()) {
        if (g.node == QLatin1String("pve1") && g.kind == jarvis::demo::GuestKind::Qemu)
            onProtected = g;
    }
    QVERIFY(onProtected.vmid > 0);
    const auto r = f.rest("POST", QStringLiteral("/api/tools/execute"),
        {{QStringLiteral("tool"), QStringLiteral("start_vm")},
            {QStringLiteral("args"), guestArgs(QStringLiteral("pve1"), onProtected.vmid)},
            {QStringLiteral("confirmed"), true}});
    QCOMPARE(r.status, 403);
    QVERIFY(r.json.object()
                .value(QStringLiteral("error"))
                .toString()
                .contains(QStringLiteral("protected")));
    // GREEN tools still work there.
    const auto green = f.rest("POST", QStringLiteral("/api/tools/execute"),
        {{QStringLiteral("tool"), QStringLiteral("get_node_status")},
            {QStringLiteral("args"),
                QJsonObject {{QStringLiteral("node"), QStringLiteral("pve1")}}}});
    QCOMPARE(green.status, 200);
    QCOMPARE(green.json.object()
                 .value(QStringLiteral("result"))
                 .toObject()
                 .value(QStringLiteral("node"))
                 .toString(),
        QStringLiteral("pve1"));
}

// Every `tool` and `task` event on /events names what it is about (data.target): node and vmid
// from the arguments, the guest's name and type from the latest `vms` (the simulator's curated
// guests: 100 web-frontend and 200 pihole on pve1, 105 k8s-worker-1 on pve3).
void TestToolsRest::eventsNameTheirTarget_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QJsonObject>("args");
    QTest::addColumn<bool>("confirmed");
    QTest::addColumn<int>("status");
    QTest::addColumn<QJsonObject>("target");
    QTest::addColumn<QStringList>("steps");
    auto target = [](const QString &node, int vmid, const QString &name, const QString &type) {
        return QJsonObject {{QStringLiteral("node"), node}, {QStringLiteral("vmid"), vmid},
            {QStringLiteral("name"), name}, {QStringLiteral("type"), type}};
    };
    QTest::addRow("guest action and its task")
        << QStringLiteral("stop_vm") << guestArgs(QStringLiteral("pve1"), 100) << true << 200
        << target(
               QStringLiteral("pve1"), 100, QStringLiteral("web-frontend"), QStringLiteral("qemu"))
        << QStringList {QStringLiteral("tool:started"), QStringLiteral("task:stopped"),
               QStringLiteral("tool:succeeded")}; // task:running too, unless the task was quick
    QTest::addRow("blocked container action")
        << QStringLiteral("stop_container") << guestArgs(QStringLiteral("pve1"), 200) << false
        << 403
        << target(QStringLiteral("pve1"), 200, QStringLiteral("pihole"), QStringLiteral("lxc"))
        << QStringList {QStringLiteral("tool:blocked")};
    QTest::addRow("guest on a protected node")
        << QStringLiteral("start_vm") << guestArgs(QStringLiteral("pve3"), 105) << true << 403
        << target(
               QStringLiteral("pve3"), 105, QStringLiteral("k8s-worker-1"), QStringLiteral("qemu"))
        << QStringList {QStringLiteral("tool:blocked")};
    QTest::addRow("node tool") << QStringLiteral("get_node_status")
                               << QJsonObject {{QStringLiteral("node"), QStringLiteral("pve2")}}
                               << false << 200
                               << QJsonObject {{QStringLiteral("node"), QStringLiteral("pve2")}}
                               << QStringList {QStringLiteral("tool:started"),
                                      QStringLiteral("tool:succeeded")};
    QTest::addRow("about nothing in particular")
        << QStringLiteral("get_vms") << QJsonObject() << false << 200 << QJsonObject()
        << QStringList {QStringLiteral("tool:started"), QStringLiteral("tool:succeeded")};
}

void TestToolsRest::eventsNameTheirTarget()
{
    QFETCH(QString, tool);
    QFETCH(QJsonObject, args);
    QFETCH(bool, confirmed);
    QFETCH(int, status);
    QFETCH(QJsonObject, target);
    QFETCH(QStringList, steps);
    ClusterFixture f(300, {QStringLiteral("pve3")});
    QVERIFY2(f.started, qPrintable(f.startError));
    f.connect(QStringLiteral("/cluster")); // polling runs while someone watches: names are known
    f.connect(QStringLiteral("/events"));
    QTRY_VERIFY_WITH_TIMEOUT(
        f.count(QStringLiteral("/cluster"), QStringLiteral("vms")) >= 1, 10000);

    QJsonObject body {{QStringLiteral("tool"), tool}, {QStringLiteral("args"), args}};
    if (confirmed)
        body.insert(QStringLiteral("confirmed"), true);
    QCOMPARE(f.rest("POST", QStringLiteral("/api/tools/execute"), body).status, status);

    // What differs from the expectation ("" once every step arrived, each naming the target).
    auto problems = [&] {
        QStringList seen;
        for (const ReceivedEvent &e : f.of(QStringLiteral("/events"), QStringLiteral("event"))) {
            const QJsonObject data =
                e.args.first().toObject().value(QStringLiteral("data")).toObject();
            const QString kind = data.value(QStringLiteral("kind")).toString();
            if (kind != QLatin1String("tool") && kind != QLatin1String("task"))
                continue;
            const QString step =
                kind + QLatin1Char(':') + data.value(QStringLiteral("status")).toString();
            if (step != QLatin1String("task:running"))
                seen.append(step);
            const QJsonValue got = data.value(QStringLiteral("target"));
            if (!got.isObject() || got.toObject() != target)
                return step + QStringLiteral(" has target ")
                    + QString::fromUtf8(QJsonDocument(
                        QJsonObject {{QStringLiteral("t"),
                            got}}).toJson(QJsonDocument::Compact));
        }
        return seen == steps ? QString() : QStringLiteral("steps: ") + seen.join(QLatin1Char(' '));
    };
    QTRY_COMPARE_WITH_TIMEOUT(problems(), QString(), 10000);
}

void TestToolsRest::badRequests_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");
    QTest::addRow("unknown tool") << QByteArray(R"({"tool":"nuke_cluster"})") << 404
                                  << QStringLiteral("unknown tool");
    QTest::addRow("no tool") << QByteArray(R"({"args":{}})") << 400 << QStringLiteral("'tool'");
    QTest::addRow("tool number") << QByteArray(R"({"tool":5})") << 400 << QStringLiteral("'tool'");
    QTest::addRow("args array") << QByteArray(R"({"tool":"get_vms","args":[]})") << 400
                                << QStringLiteral("'args'");
    QTest::addRow("not json") << QByteArray("tool=get_vms") << 400
                              << QStringLiteral("invalid JSON");
    QTest::addRow("vmid string") << QByteArray(
        R"({"tool":"start_vm","args":{"node":"pve1","vmid":"100"}})")
                                 << 400 << QStringLiteral("'vmid' must be an integer");
    QTest::addRow("missing node") << QByteArray(R"({"tool":"start_vm","args":{"vmid":100}})") << 400
                                  << QStringLiteral("missing required argument 'node'");
    QTest::addRow("wrong node") << QByteArray(
        R"({"tool":"start_vm","args":{"node":"pve9","vmid":100}})")
                                << 400 << QStringLiteral("does not host guest 100");
    QTest::addRow("no such guest")
        << QByteArray(R"({"tool":"start_vm","args":{"node":"pve1","vmid":4242}})") << 400
        << QStringLiteral("does not exist");
    QTest::addRow("vm tool on container")
        << QByteArray(R"({"tool":"start_vm","args":{"node":"pve1","vmid":200}})") << 400
        << QStringLiteral("is a container");
    QTest::addRow("black") << QByteArray(
        R"({"tool":"delete_vm","args":{"node":"pve1","vmid":100},"confirmed":true})")
                           << 403 << QStringLiteral("BLACK");
    QTest::addRow("ssh deny-list") << QByteArray(
        R"({"tool":"execute_ssh","args":{"node":"pve1","command":"rm -rf /"},"confirmed":true})")
                                   << 403 << QStringLiteral("BLACK");
    QTest::addRow("ssh unconfirmed")
        << QByteArray(R"({"tool":"execute_ssh","args":{"node":"pve1","command":"apt upgrade"}})")
        << 403 << QStringLiteral("confirmed");
    QTest::addRow("unknown node") << QByteArray(R"({"tool":"get_vms","args":{"node":"mars"}})")
                                  << 400 << QStringLiteral("unknown node");
}

void TestToolsRest::badRequests()
{
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, error);
    ClusterFixture f;
    QVERIFY(f.started);
    QNetworkRequest request(QUrl(f.app->url() + QStringLiteral("/api/tools/execute")));
    request.setRawHeader("Authorization", "Bearer " + f.token.toLatin1());
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply *reply = f.nam.post(request, body);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    QVERIFY(finished.wait(10000));
    const QJsonObject answer = QJsonDocument::fromJson(reply->readAll()).object();
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), status);
    reply->deleteLater();
    QCOMPARE(answer.value(QStringLiteral("success")).toBool(true), false);
    QVERIFY2(answer.value(QStringLiteral("error")).toString().contains(error),
        qPrintable(answer.value(QStringLiteral("error")).toString()));
}

void TestToolsRest::proxmoxFailureIs502()
{
    ClusterFixture f;
    QVERIFY(f.started);
    f.simulator->injectFault(
        FaultRule::on(QStringLiteral("status/{action}"), Fault::Kind::ServerError));
    const jarvis::demo::GuestInfo vm = runningVm(*f.simulator);
    const auto r = f.rest("POST", QStringLiteral("/api/tools/execute"),
        {{QStringLiteral("tool"), QStringLiteral("stop_vm")},
            {QStringLiteral("args"), guestArgs(vm.node, vm.vmid)},
            {QStringLiteral("confirmed"), true}});
    QCOMPARE(r.status, 502);
    QCOMPARE(r.json.object().value(QStringLiteral("tier")).toString(), QStringLiteral("RED"));
    QVERIFY(r.json.object()
                .value(QStringLiteral("error"))
                .toString()
                .contains(QStringLiteral("HTTP 500")));
    const QJsonObject entry =
        f.rest("GET", QStringLiteral("/api/audit?limit=1")).json.array().first().toObject();
    QCOMPARE(entry.value(QStringLiteral("status")).toString(), QStringLiteral("failed"));
}

void TestToolsRest::readTools()
{
    ClusterFixture f;
    QVERIFY(f.started);
    auto call = [&](const QString &tool, const QJsonObject &args = {}) {
        return f.rest("POST", QStringLiteral("/api/tools/execute"),
            {{QStringLiteral("tool"), tool}, {QStringLiteral("args"), args}});
    };
    const auto vms = call(QStringLiteral("get_vms"));
    QCOMPARE(vms.status, 200);
    QCOMPARE(vms.json.object().value(QStringLiteral("result")).toArray().size(), 8);
    const auto cts =
        call(QStringLiteral("get_containers"), {{QStringLiteral("node"), QStringLiteral("PVE1")}});
    QCOMPARE(cts.status, 200);
    for (const QJsonValue &v : cts.json.object().value(QStringLiteral("result")).toArray())
        QCOMPARE(v.toObject().value(QStringLiteral("type")).toString(), QStringLiteral("lxc"));
    const auto status = call(QStringLiteral("get_cluster_status"));
    QCOMPARE(status.status, 200);
    QVERIFY(status.json.object()
                .value(QStringLiteral("result"))
                .toObject()
                .value(QStringLiteral("quorum"))
                .toObject()
                .value(QStringLiteral("quorate"))
                .toBool());
    QCOMPARE(call(QStringLiteral("get_storage")).status, 200);
    QCOMPARE(call(QStringLiteral("get_cluster_resources")).status, 200);
    QCOMPARE(
        call(QStringLiteral("get_recent_tasks"), {{QStringLiteral("node"), QStringLiteral("pve1")}})
            .status,
        200);
    QCOMPARE(call(QStringLiteral("get_node_temperature"),
                 {{QStringLiteral("node"), QStringLiteral("pve1")}})
                 .status,
        400); // no poll has run yet
    // The audit log records GREEN calls too, newest first.
    const QJsonArray audit = f.rest("GET", QStringLiteral("/api/audit?limit=3")).json.array();
    QCOMPARE(audit.size(), 3);
    QCOMPARE(audit.first().toObject().value(QStringLiteral("tool")).toString(),
        QStringLiteral("get_node_temperature"));
    QCOMPARE(f.rest("GET", QStringLiteral("/api/audit?limit=0")).status, 400);
}

void TestToolsRest::executeSshOverRealSshd()
{
    SshdFixture sshd;
    QVERIFY2(sshd.setUp() && sshd.start(), qPrintable(sshd.error()));
    ClusterFixture f(300, {}, [&sshd](jarvis::config::Config &c) {
        c.sshConfigured = true;
        c.sshUser = SshdFixture::user();
        c.sshKeyFile = sshd.clientKeyFile();
        c.sshKnownHostsFile = sshd.knownHostsFile();
        for (jarvis::config::NodeConfig &node : c.nodes) {
            node.host = sshd.host();
            node.sshPort = sshd.port();
        }
    });
    QVERIFY(f.started);
    auto run = [&](const QString &command, bool confirmed) {
        QJsonObject body {{QStringLiteral("tool"), QStringLiteral("execute_ssh")},
            {QStringLiteral("args"),
                QJsonObject {{QStringLiteral("node"), QStringLiteral("pve2")},
                    {QStringLiteral("command"), command}}}};
        if (confirmed)
            body.insert(QStringLiteral("confirmed"), true);
        return f.rest("POST", QStringLiteral("/api/tools/execute"), body);
    };
    // Read-only: YELLOW, runs without confirmation.
    const auto uptime = run(QStringLiteral("uptime"), false);
    QCOMPARE(uptime.status, 200);
    QCOMPARE(
        uptime.json.object().value(QStringLiteral("tier")).toString(), QStringLiteral("YELLOW"));
    const QJsonObject result = uptime.json.object().value(QStringLiteral("result")).toObject();
    QCOMPARE(result.value(QStringLiteral("exitCode")).toInt(), 0);
    QVERIFY(
        result.value(QStringLiteral("stdout")).toString().contains(QStringLiteral("load average")));
    // Anything else is RED: refused unconfirmed, then run with its real exit status.
    QCOMPARE(run(QStringLiteral("echo hi; exit 3"), false).status, 403);
    const auto three = run(QStringLiteral("echo hi; exit 3"), true);
    QCOMPARE(three.status, 200);
    QCOMPARE(three.json.object()
                 .value(QStringLiteral("result"))
                 .toObject()
                 .value(QStringLiteral("exitCode"))
                 .toInt(),
        3);
    QCOMPARE(three.json.object()
                 .value(QStringLiteral("result"))
                 .toObject()
                 .value(QStringLiteral("stdout"))
                 .toString(),
        QStringLiteral("hi\n"));
    // The policy judges exactly what runs (issue: "uptime\ntouch marker" ran both lines).
    QTemporaryDir scratch;
    const QString marker = scratch.filePath(QStringLiteral("marker"));
    for (const QString &sep : {QStringLiteral("\n"), QStringLiteral("\r\n"), QStringLiteral("\r"),
             QString(QChar(0x2028)), QString(QChar(0))}) {
        const auto refused = run(QStringLiteral("uptime") + sep + QStringLiteral("touch ") + marker,
            true); // even confirmed
        QCOMPARE(refused.status, 400);
        QVERIFY(refused.json.object()
                    .value(QStringLiteral("error"))
                    .toString()
                    .contains(QStringLiteral("control character")));
    }
    QCOMPARE(run(QStringLiteral("uptime; touch ") + marker, false).status, 403);
    // A read-only command goes out as shell-quoted words: nothing in it is expanded remotely.
    const auto quoted = run(QStringLiteral("date -d '$(touch %1)'").arg(marker), false);
    QCOMPARE(quoted.status, 200);
    QCOMPARE(
        quoted.json.object().value(QStringLiteral("tier")).toString(), QStringLiteral("YELLOW"));
    const QJsonObject quotedResult =
        quoted.json.object().value(QStringLiteral("result")).toObject();
    QCOMPARE(quotedResult.value(QStringLiteral("command")).toString(),
        QStringLiteral("'date' '-d' '$(touch %1)'").arg(marker));
    QVERIFY(quotedResult.value(QStringLiteral("exitCode")).toInt() != 0); // date: invalid date
    QVERIFY(!QFile::exists(marker));
    const auto loadavg = run(QStringLiteral("cat /proc//loadavg"), false);
    QCOMPARE(loadavg.status, 200);
    QCOMPARE(loadavg.json.object()
                 .value(QStringLiteral("result"))
                 .toObject()
                 .value(QStringLiteral("command"))
                 .toString(),
        QStringLiteral("'cat' '/proc/loadavg'"));
    QVERIFY(!loadavg.json.object()
                 .value(QStringLiteral("result"))
                 .toObject()
                 .value(QStringLiteral("stdout"))
                 .toString()
                 .isEmpty());
    // `confirmed` false in the body and true inside args: they disagree, nothing runs.
    {
        QJsonObject body {{QStringLiteral("tool"), QStringLiteral("execute_ssh")},
            {QStringLiteral("args"),
                QJsonObject {{QStringLiteral("node"), QStringLiteral("pve2")},
                    {QStringLiteral("command"), QStringLiteral("touch ") + marker},
                    {QStringLiteral("confirmed"), true}}},
            {QStringLiteral("confirmed"), false}};
        QCOMPARE(f.rest("POST", QStringLiteral("/api/tools/execute"), body).status, 400);
    }
    QVERIFY(!QFile::exists(marker));
    // The deny-list never reaches sshd.
    QCOMPARE(run(QStringLiteral("rm -rf /"), true).status, 403);
    // Health lists the node the pool is connected to; one SSH login served both commands.
    const auto health = f.rest("GET", QStringLiteral("/api/health"));
    QCOMPARE(health.json.object()
                 .value(QStringLiteral("ssh"))
                 .toObject()
                 .value(QStringLiteral("connected"))
                 .toArray(),
        QJsonArray {QStringLiteral("pve2")});
    QCOMPARE(sshd.acceptedLogins(), 1);
}

void TestToolsRest::auditSurvivesKill9()
{
    jarvis::demo::PveSimulator::Options o;
    o.cluster.taskDurationMs = 200;
    jarvis::demo::PveSimulator sim(o);
    QVERIFY(sim.listen());
    QTemporaryDir dir;
    const QString auditPath = dir.filePath(QStringLiteral("state/audit.jsonl"));
    const QString configPath = dir.filePath(QStringLiteral("jarvisd.conf"));
    {
        QFile conf(configPath);
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write(QStringLiteral(
            "[server]\nlisten=127.0.0.1\nport=0\n\n[proxmox]\ntokenId=%1\ntokenSecret=%2\n\n"
            "[audit]\nfile=%3\n\n[node.pve1]\nhost=127.0.0.1\napiUrl=%4\n")
                       .arg(o.tokenId, o.tokenSecret, auditPath, sim.baseUrl().toString())
                       .toUtf8());
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("JARVIS_ADMIN_PASSWORD"), QStringLiteral("pw"));
    env.insert(QStringLiteral("JARVIS_JWT_SECRET"), QString::fromLatin1(ClusterFixture::Secret));
    const QString token =
        jarvis::auth::JwtSigner(ClusterFixture::Secret).issue(QStringLiteral("admin"), 600);

    auto start = [&](QProcess &p) -> QString {
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(JARVISD_PATH), {QStringLiteral("--config"), configPath});
        if (!p.waitForStarted(10000))
            return {};
        QByteArray out;
        QDeadlineTimer deadline(15000);
        while (!out.contains('\n') && !deadline.hasExpired()) {
            QTest::qWait(20);
            out += p.readAllStandardOutput();
        }
        const auto m = QRegularExpression(QStringLiteral("listening on (http://\\S+)"))
                           .match(QString::fromUtf8(out));
        return m.hasMatch() ? m.captured(1) : QString();
    };
    QNetworkAccessManager nam;
    auto post = [&](const QString &url, const QJsonObject &body) {
        QNetworkRequest request(QUrl(url + QStringLiteral("/api/tools/execute")));
        request.setRawHeader("Authorization", "Bearer " + token.toLatin1());
        request.setHeader(
            QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        QNetworkReply *reply = nam.post(request, QJsonDocument(body).toJson());
        QSignalSpy finished(reply, &QNetworkReply::finished);
        finished.wait(20000);
        reply->deleteLater();
        return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    };

    QProcess first;
    const QString url = start(first);
    QVERIFY2(!url.isEmpty(), first.readAllStandardError().constData());
    const jarvis::demo::GuestInfo vm = runningVm(sim);
    QCOMPARE(post(url,
                 {{QStringLiteral("tool"), QStringLiteral("stop_vm")},
                     {QStringLiteral("args"), guestArgs(vm.node, vm.vmid)},
                     {QStringLiteral("confirmed"), true}}),
        200);
    QCOMPARE(post(url,
                 {{QStringLiteral("tool"), QStringLiteral("delete_vm")},
                     {QStringLiteral("args"), guestArgs(vm.node, vm.vmid)}}),
        403);
    // A call in flight when jarvisd dies: Proxmox never answers its shutdown.
    sim.injectFault(jarvis::demo::FaultRule::on(
        QStringLiteral("status/shutdown"), jarvis::demo::Fault::Kind::Hang));
    {
        QNetworkRequest request(QUrl(url + QStringLiteral("/api/tools/execute")));
        request.setRawHeader("Authorization", "Bearer " + token.toLatin1());
        request.setHeader(
            QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        const jarvis::demo::GuestInfo running = runningVm(sim); // vm is stopped by now
        QNetworkReply *pending = nam.post(request,
            QJsonDocument(QJsonObject {{QStringLiteral("tool"), QStringLiteral("shutdown_vm")},
                              {QStringLiteral("args"), guestArgs(running.node, running.vmid)},
                              {QStringLiteral("confirmed"), true}})
                .toJson());
        connect(pending, &QNetworkReply::finished, pending, &QObject::deleteLater);
    }
    auto auditText = [&auditPath] {
        QFile file(auditPath);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    };
    QTRY_VERIFY_WITH_TIMEOUT(auditText().contains("\"tool\":\"shutdown_vm\""), 10000);
    ::kill(pid_t(first.processId()), SIGKILL);
    QVERIFY(first.waitForFinished(10000));
    QCOMPARE(first.exitStatus(), QProcess::CrashExit);

    QProcess second;
    const QString url2 = start(second);
    QVERIFY(!url2.isEmpty());
    QNetworkRequest request(QUrl(url2 + QStringLiteral("/api/audit?limit=10")));
    request.setRawHeader("Authorization", "Bearer " + token.toLatin1());
    QNetworkReply *reply = nam.get(request);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    QVERIFY(finished.wait(10000));
    const QJsonArray entries = QJsonDocument::fromJson(reply->readAll()).array();
    reply->deleteLater();
    QCOMPARE(entries.size(), 3);
    QCOMPARE(entries.at(0).toObject().value(QStringLiteral("tool")).toString(),
        QStringLiteral("shutdown_vm"));
    QCOMPARE(entries.at(0).toObject().value(QStringLiteral("status")).toString(),
        QStringLiteral("interrupted"));
    QCOMPARE(entries.at(1).toObject().value(QStringLiteral("tool")).toString(),
        QStringLiteral("delete_vm"));
    QCOMPARE(entries.at(1).toObject().value(QStringLiteral("status")).toString(),
        QStringLiteral("blocked"));
    QCOMPARE(entries.at(2).toObject().value(QStringLiteral("tool")).toString(),
        QStringLiteral("stop_vm"));
    QCOMPARE(entries.at(2).toObject().value(QStringLiteral("status")).toString(),
        QStringLiteral("succeeded"));
    QCOMPARE(auditText().count("\"interrupted\""), 1);
    second.terminate();
    QVERIFY(second.waitForFinished(10000));
    QCOMPARE(second.exitCode(), 0);
}

QTEST_GUILESS_MAIN(TestToolsRest)
#include "tst_toolsrest.moc"
