// Typed cluster payloads (PROTOCOL.md section 5): every recorded Proxmox answer in the fixtures
// directory, hand-made lenient cases, wrong types everywhere, the strict wire shapes and their
// round trip, and an informational timing for 5000 guests.

#include "hostileinput.h"
#include "model/clusterdata.h"
#include "protocol/socketio.h"
#include "proxmox/pvereader.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QTest>

#include <cmath>
#include <limits>

using namespace jarvis::model;
using namespace jarvis::proxmox;
using namespace Qt::Literals::StringLiterals;

Q_DECLARE_METATYPE(jarvis::model::NodeData)
Q_DECLARE_METATYPE(jarvis::model::VmData)
Q_DECLARE_METATYPE(jarvis::model::StorageData)
Q_DECLARE_METATYPE(jarvis::model::QuorumData)
Q_DECLARE_METATYPE(jarvis::model::TemperatureData)
Q_DECLARE_METATYPE(jarvis::proxmox::TaskStatus)

namespace jarvis::model {
// Readable QCOMPARE failures (found by ADL): the wire JSON of the value.
namespace {
char *jsonString(const QJsonObject &o)
{
    return qstrdup(QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
}
} // namespace
char *toString(const NodeData &v)
{
    return jsonString(toJson(v));
}
char *toString(const VmData &v)
{
    return jsonString(toJson(v));
}
char *toString(const StorageData &v)
{
    return jsonString(toJson(v));
}
char *toString(const QuorumData &v)
{
    return jsonString(toJson(v));
}
char *toString(const TemperatureData &v)
{
    return jsonString(toJson(v));
}
} // namespace jarvis::model

namespace jarvis::proxmox {
char *toString(const TaskStatus &v)
{
    return qstrdup(QJsonDocument(
        QJsonObject {{"upid"_L1, v.upid}, {"node"_L1, v.node}, {"type"_L1, v.type}, {"id"_L1, v.id},
            {"status"_L1, v.status}, {"exitstatus"_L1, v.exitstatus}})
                       .toJson(QJsonDocument::Compact)
                       .constData());
}
} // namespace jarvis::proxmox

namespace {

// JSON text of any type (scalars too) -> value; a broken literal in a test is a bug in the test.
QJsonValue js(const char *text)
{
    QJsonParseError error;
    const QJsonDocument document =
        QJsonDocument::fromJson(QByteArray("[") + text + QByteArray("]"), &error);
    if (error.error != QJsonParseError::NoError || document.array().size() != 1)
        qFatal("bad JSON literal in test: %s", text);
    return document.array().first();
}

QJsonObject obj(const char *text)
{
    return js(text).toObject();
}

QString fixturePath(const QString &name)
{
    return QStringLiteral(JARVIS_FIXTURES_DIR) + u'/' + name;
}

QJsonDocument readFixture(const QString &name)
{
    QFile file(fixturePath(name));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot open fixture %s", qPrintable(name));
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("fixture %s is not JSON: %s", qPrintable(name), qPrintable(error.errorString()));
    return document;
}

QJsonArray fixtureData(const QString &name)
{
    return readFixture(name).object().value("data"_L1).toArray();
}

QStringList sortedKeys(const QJsonObject &o)
{
    QStringList keys = o.keys();
    keys.sort();
    return keys;
}

QByteArray text(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QJsonObject reparse(const QJsonObject &o)
{
    return QJsonDocument::fromJson(text(o)).object();
}

// Feeds one JSON value (and everything inside it) to every parser. Results must survive the wire
// round trip; a failure is recorded in `problems` (QVERIFY cannot be used outside the test body).
struct Exerciser
{
    QStringList problems;
    int parsed = 0;

    template<typename T, typename FromJson>
    void roundTrip(const T &value, FromJson fromJson, const char *what)
    {
        ++parsed;
        const std::optional<T> back = fromJson(reparse(toJson(value)));
        if (!back || !(*back == value))
            problems.append(
                QString::fromLatin1(what) + u": "_s + QString::fromUtf8(text(toJson(value))));
    }

    void run(const QJsonValue &v, int depth = 0)
    {
        if (depth > 32)
            return;
        (void)pveInteger(v);
        (void)pveNumber(v);
        (void)pveBool(v);
        if (v.isObject()) {
            const QJsonObject o = v.toObject();
            if (auto node = nodeFromPve(o))
                roundTrip(*node, nodeFromJson, "node");
            if (auto vm = vmFromPve(o))
                roundTrip(*vm, vmFromJson, "vm");
            if (auto storage = storageFromPve(o))
                roundTrip(*storage, storageFromJson, "storage");
            (void)taskStatusFromPve(o);
            NodeData merged;
            merged.node = u"x"_s;
            mergeNodeStatus(merged, nodeStatusFromPve(o));
            roundTrip(merged, nodeFromJson, "merged node");
            (void)nodeFromJson(o);
            (void)vmFromJson(o);
            (void)storageFromJson(o);
            (void)quorumFromJson(o);
            (void)temperatureFromJson(o);
            for (auto it = o.constBegin(); it != o.constEnd(); ++it)
                run(it.value(), depth + 1);
        } else if (v.isArray()) {
            const QJsonArray a = v.toArray();
            const ClusterResources r = resourcesFromPve(a);
            for (const NodeData &n : r.nodes)
                roundTrip(n, nodeFromJson, "resources node");
            for (const VmData &vm : r.vms)
                roundTrip(vm, vmFromJson, "resources vm");
            for (const StorageData &s : r.storage)
                roundTrip(s, storageFromJson, "resources storage");
            roundTrip(quorumFromPve(a), quorumFromJson, "quorum");
            for (const QJsonValue &item : a)
                run(item, depth + 1);
        }
    }
};

NodeData nodeNamed(const QString &name, const QString &status = u"unknown"_s)
{
    NodeData node;
    node.node = name;
    node.status = status;
    return node;
}

VmData vmOn(int vmid, const QString &node)
{
    VmData vm;
    vm.vmid = vmid;
    vm.node = node;
    return vm;
}

QuorumNode quorumNode(const QString &name, bool online = false)
{
    QuorumNode n;
    n.name = name;
    n.online = online;
    return n;
}

struct ResourceCounts
{
    qsizetype nodes = 0;
    qsizetype vms = 0;
    qsizetype storage = 0;
};

// A /cluster/resources answer: 5000 guests (a third lxc, some tagged/locked), 20 nodes, 60
// storages and some sdn/pool rows, in PVE's own shapes.
QByteArray syntheticClusterResources()
{
    QByteArray body = R"({"data":[)";
    for (int i = 0; i < 5000; ++i) {
        const bool lxc = i % 3 == 0;
        const int vmid = 100 + i;
        body += QByteArray(R"({"id":")") + (lxc ? "lxc/" : "qemu/") + QByteArray::number(vmid)
            + R"(","type":")" + (lxc ? "lxc" : "qemu") + R"(","vmid":)" + QByteArray::number(vmid)
            + R"(,"name":"guest-)" + QByteArray::number(i) + R"(","node":"node)"
            + QByteArray::number(i % 20) + R"(","status":")" + (i % 4 ? "running" : "stopped")
            + R"(","cpu":0.0)" + QByteArray::number(i % 97) + R"(,"maxcpu":4,"mem":)"
            + QByteArray::number(qint64(i) * 1048576) + R"(,"maxmem":8589934592,"disk":0,)"
            + R"("maxdisk":34359738368,"uptime":)" + QByteArray::number(i * 10)
            + R"(,"netin":2456116121,"netout":545248946,"diskread":4510777856,)"
            + R"("diskwrite":6059209728,)" + R"("template":)" + (i % 50 ? "0" : "1")
            + (i % 7 ? QByteArray() : QByteArray(R"(,"tags":"prod;db;backup")"))
            + (i % 100 ? QByteArray() : QByteArray(R"(,"lock":"backup")")) + "},";
    }
    for (int n = 0; n < 20; ++n) {
        body += R"({"id":"node/node)" + QByteArray::number(n) + R"(","type":"node","node":"node)"
            + QByteArray::number(n) + R"(","status":"online","cpu":0.01,"maxcpu":32,"mem":1,)"
            + R"("maxmem":137438953472,"disk":1,"maxdisk":940166742016,"uptime":874373,)"
            + R"("level":"","cgroup-mode":2},)";
        for (const char *storage : {"local", "local-zfs", "ceph"})
            body += R"({"id":"storage/node)" + QByteArray::number(n) + "/" + storage
                + R"(","type":"storage","storage":")" + storage + R"(","node":"node)"
                + QByteArray::number(n) + R"(","plugintype":"dir","status":"available","shared":0,)"
                + R"("content":"images,rootdir","disk":2983723008,"maxdisk":482713534464},)";
        body += R"({"id":"sdn/node)" + QByteArray::number(n)
            + R"(/localnetwork","type":"sdn","sdn":"localnetwork","node":"node)"
            + QByteArray::number(n) + R"(","status":"ok"},)";
    }
    body += R"({"id":"/pool/prod","type":"pool","pool":"prod"}]})";
    return body;
}

// resourcesFromPveJson(body) against Qt's parser + resourcesFromPve: the same accept/reject, the
// same status for the JSON shape, the same values. Fails the current test on a difference.
void compareStreamingWithQt(const QByteArray &body)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    QString error;
    PveBodyStatus status = PveBodyStatus::Ok;
    const std::optional<ClusterResources> streamed = resourcesFromPveJson(body, &error, &status);
    const QByteArray context = "body: " + body.left(300).toPercentEncoding(" {}[]\":,");
    if (parseError.error != QJsonParseError::NoError) {
        QVERIFY2(status == PveBodyStatus::Malformed,
            (context + " (Qt: " + parseError.errorString().toUtf8() + ")").constData());
        QVERIFY(!streamed);
        QVERIFY(!error.isEmpty());
        return;
    }
    QVERIFY2(status != PveBodyStatus::Malformed,
        (context + " (ours: " + error.toUtf8() + ")").constData());
    const QJsonObject object = document.object();
    if (!document.isObject() || !object.contains("data"_L1)) {
        QVERIFY2(status == PveBodyStatus::NoData, context.constData());
        QVERIFY(!streamed);
        return;
    }
    const QJsonValue data = object.value("data"_L1);
    if (!data.isArray()) {
        QVERIFY2(status == PveBodyStatus::DataNotArray, context.constData());
        QVERIFY(!streamed);
        return;
    }
    QVERIFY2(status == PveBodyStatus::Ok, context.constData());
    QVERIFY(streamed);
    QVERIFY(error.isEmpty());
    const ClusterResources expected = resourcesFromPve(data.toArray());
    QVERIFY2(streamed->vms == expected.vms, context.constData());
    QVERIFY2(streamed->nodes == expected.nodes, context.constData());
    QVERIFY2(streamed->storage == expected.storage, context.constData());
}

} // namespace

Q_DECLARE_METATYPE(ResourceCounts)

class TestClusterData : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void taskListRows_data();
    void taskListRows();
    // recorded Proxmox answers
    void fixtureDirectoryHasTheKnownFiles();
    void everyFixtureParses_data();
    void everyFixtureParses();
    void fixtureVms_data();
    void fixtureVms();
    void fixtureNodes_data();
    void fixtureNodes();
    void fixtureStorage_data();
    void fixtureStorage();
    void fixtureClusterStatus();
    void fixtureNodeStatusMerge();
    void fixtureTaskPolls_data();
    void fixtureTaskPolls();

    // lenient Proxmox parsing
    void pveInteger_data();
    void pveInteger();
    void pveNumber_data();
    void pveNumber();
    void pveBool_data();
    void pveBool();
    void vmLenient_data();
    void vmLenient();
    void nodeLenient_data();
    void nodeLenient();
    void storageLenient_data();
    void storageLenient();
    void resourcesIgnoreForeignTypes();
    void quorum_data();
    void quorum();
    void mergeNodeStatusLenient_data();
    void mergeNodeStatusLenient();
    void taskStatus_data();
    void taskStatus();
    void wrongTypesEverywhere_data();
    void wrongTypesEverywhere();

    // strict wire shapes
    void wireKeys_data();
    void wireKeys();
    void wireTypes();
    void protectedFlag();
    void hugeByteCounts_data();
    void hugeByteCounts();
    void roundTrip_data();
    void roundTrip();
    void wireStrictness_data();
    void wireStrictness();

    // direct wire text writers (appendJson) against the QJsonValue path (toJson + sio::encode)
    void directWriterVms_data();
    void directWriterVms();
    void directWriterStorage_data();
    void directWriterStorage();
    void directWriterFixtures();

    // streaming /cluster/resources reader (resourcesFromPveJson) against the QJsonDocument path
    void streamingFixtures_data();
    void streamingFixtures();
    void streamingCases_data();
    void streamingCases();
    void streamingSynthetic5000();
    void streamingDeepNesting();
    void streamingKeepsByteOrderMark();
    void streamingHostileInputs();

    // informational
    void timing5000Guests();
};

// --- recorded Proxmox answers --------------------------------------------------------------------

// Task-list rows (GET /nodes/{node}/tasks, /cluster/tasks): "RUNNING", no status at all while
// running, or the exit status once finished; a row without a upid or status is no task.
void TestClusterData::taskListRows_data()
{
    QTest::addColumn<QByteArray>("row");
    QTest::addColumn<bool>("kept");
    QTest::addColumn<QString>("status");
    QTest::addColumn<QString>("exitstatus");
    const QByteArray upid = R"("upid":"UPID:pve1:0001:0002:65000000:qmstart:101:root@pam:")";
    QTest::newRow("RUNNING") << ("{" + upid + R"(,"status":"RUNNING"})") << true << u"running"_s
                             << QString();
    QTest::newRow("no status, no endtime: running")
        << ("{" + upid + R"(,"starttime":1700000000})") << true << u"running"_s << QString();
    QTest::newRow("finished OK") << ("{" + upid + R"(,"status":"OK","endtime":1700000009})") << true
                                 << u"stopped"_s << u"OK"_s;
    QTest::newRow("finished with an error")
        << ("{" + upid + R"(,"status":"command failed","endtime":1700000009})") << true
        << u"stopped"_s << u"command failed"_s;
    QTest::newRow("no status but an endtime")
        << ("{" + upid + R"(,"endtime":1700000009})") << false << QString() << QString();
    QTest::newRow("nothing") << QByteArray("{}") << false << QString() << QString();
}

void TestClusterData::taskListRows()
{
    QFETCH(QByteArray, row);
    QFETCH(bool, kept);
    QFETCH(QString, status);
    QFETCH(QString, exitstatus);
    const std::optional<TaskStatus> task = taskFromPveList(QJsonDocument::fromJson(row).object());
    QCOMPARE(task.has_value(), kept);
    if (!task)
        return;
    QCOMPARE(task->status, status);
    QCOMPARE(task->exitstatus, exitstatus);
    QCOMPARE(task->node, u"pve1"_s);
    QCOMPARE(task->type, u"qmstart"_s);
    QCOMPARE(task->id, u"101"_s);
}

void TestClusterData::fixtureDirectoryHasTheKnownFiles()
{
    const QStringList files = QDir(QStringLiteral(JARVIS_FIXTURES_DIR)).entryList({u"*.json"_s});
    for (const char *known : {"cluster_resources_vm.json", "cluster_resources_node.json",
             "cluster_resources_storage.json", "cluster_status.json", "nodes.json",
             "nodes_node_status.json", "nodes_node_tasks_upid_status_pve9.json"})
        QVERIFY2(files.contains(QLatin1StringView(known)), known);
}

void TestClusterData::everyFixtureParses_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<bool>("known");
    QTest::addColumn<ResourceCounts>("counts"); // of resourcesFromPve(data), for known files

    const QHash<QString, ResourceCounts> known {
        {u"cluster_resources_vm.json"_s, {0, 3, 0}},
        {u"cluster_resources_node.json"_s, {2, 0, 0}},
        {u"cluster_resources_storage.json"_s, {0, 0, 3}},
        {u"cluster_status.json"_s, {2, 0, 0}}, // its node rows are nodes too (status from online)
        {u"nodes.json"_s, {2, 0, 0}},
    };
    // Every file, so a new recording is covered the day it lands.
    const QStringList files =
        QDir(QStringLiteral(JARVIS_FIXTURES_DIR)).entryList({u"*.json"_s}, QDir::Files, QDir::Name);
    for (const QString &file : files)
        QTest::addRow("%s", qPrintable(file)) << file << known.contains(file) << known.value(file);
}

void TestClusterData::everyFixtureParses()
{
    QFETCH(QString, file);
    QFETCH(bool, known);
    QFETCH(ResourceCounts, counts);

    QFile input(fixturePath(file));
    QVERIFY2(input.open(QIODevice::ReadOnly), qPrintable(input.errorString()));
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(input.readAll(), &error);
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
    Exerciser exerciser;
    exerciser.run(
        document.isArray() ? QJsonValue(document.array()) : QJsonValue(document.object()));
    QVERIFY2(exerciser.problems.isEmpty(), qPrintable(exerciser.problems.join(u'\n')));

    if (known) {
        const ClusterResources r = resourcesFromPve(document.object().value("data"_L1).toArray());
        QCOMPARE(r.nodes.size(), counts.nodes);
        QCOMPARE(r.vms.size(), counts.vms);
        QCOMPARE(r.storage.size(), counts.storage);
    }
}

void TestClusterData::fixtureVms_data()
{
    QTest::addColumn<int>("index");
    QTest::addColumn<QByteArray>("wire"); // the exact wire object expected

    QTest::addRow("100 running") << 0 << QByteArray(R"({"vmid":100,"name":"server1","node":"node2",
        "type":"qemu","status":"running","cpu":0.0249060195469461,"maxcpu":1,"mem":842551296,
        "maxmem":1073741824,"disk":0,"maxdisk":34359738368,"uptime":874350,"netin":2456116121,
        "netout":545248946,"diskread":4510777856,"diskwrite":6059209728,"template":false,"protected":false,
        "tags":[]})");
    QTest::addRow("101 template") << 1 << QByteArray(R"({"vmid":101,"name":"leap154","node":"node1",
        "type":"qemu","status":"stopped","cpu":0,"maxcpu":4,"mem":0,"maxmem":16777216000,"disk":0,
        "maxdisk":68719476736,"uptime":0,"netin":0,"netout":0,"diskread":0,"diskwrite":0,
        "template":true,"protected":false,"tags":[]})");
    QTest::addRow("102 tags with +") << 2 << QByteArray(R"({"vmid":102,"name":"machine-test",
        "node":"node1","type":"qemu","status":"stopped","cpu":0,"maxcpu":4,"mem":0,
        "maxmem":8388608000,"disk":0,"maxdisk":53901000704,"uptime":0,"netin":0,"netout":0,
        "diskread":0,"diskwrite":0,"template":false,"protected":false,"tags":["go-proxmox","cloud-init"]})");
}

void TestClusterData::fixtureVms()
{
    QFETCH(int, index);
    QFETCH(QByteArray, wire);

    const QJsonArray rows = fixtureData(u"cluster_resources_vm.json"_s);
    const ClusterResources r = resourcesFromPve(rows);
    QCOMPARE(r.vms.size(), 3);
    const VmData &vm = r.vms.at(index);
    QCOMPARE(toJson(vm), obj(wire.constData()));
    QCOMPARE(vmFromJson(obj(wire.constData())), std::optional<VmData>(vm));
    QCOMPARE(vmFromPve(rows.at(index).toObject()), std::optional<VmData>(vm));
}

void TestClusterData::fixtureNodes_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("index");
    QTest::addColumn<QByteArray>("wire");

    QTest::addRow("resources node3")
        << u"cluster_resources_node.json"_s << 0 << QByteArray(R"({"id":"node/node3","node":"node3",
        "name":"node3","host":"","status":"online","cpu":0.0054917623564653,"maxcpu":4,
        "mem":1681965056,"maxmem":16668827648,"disk":2983723008,"maxdisk":482713534464,
        "uptime":872961,"temperatures":{},"protected":false})");
    QTest::addRow("resources node2")
        << u"cluster_resources_node.json"_s << 1 << QByteArray(R"({"id":"node/node2","node":"node2",
        "name":"node2","host":"","status":"online","cpu":0.00365387809333998,"maxcpu":12,
        "mem":8127873024,"maxmem":33567911936,"disk":2797338624,"maxdisk":940166742016,
        "uptime":874373,"temperatures":{},"protected":false})");
    QTest::addRow("nodes node1") << u"nodes.json"_s << 0 << QByteArray(R"({"id":"node/node1",
        "node":"node1","name":"node1","host":"","status":"online","cpu":0.00348605577689243,
        "maxcpu":12,"mem":11508809728,"maxmem":33568288768,"disk":2310930432,
        "maxdisk":940743983104,"uptime":2236708,"temperatures":{},"protected":false})");
    QTest::addRow("nodes node2") << u"nodes.json"_s << 1 << QByteArray(R"({"id":"node/node2",
        "node":"node2","name":"node2","host":"","status":"online","cpu":0.00722831505483549,
        "maxcpu":4,"mem":1838854144,"maxmem":16651751424,"disk":2303721472,
        "maxdisk":482721529856,"uptime":6256882,"temperatures":{},"protected":false})");
}

void TestClusterData::fixtureNodes()
{
    QFETCH(QString, file);
    QFETCH(int, index);
    QFETCH(QByteArray, wire);

    const QJsonArray rows = fixtureData(file);
    const std::optional<NodeData> node = nodeFromPve(rows.at(index).toObject());
    QVERIFY(node);
    QCOMPARE(toJson(*node), obj(wire.constData()));
    QCOMPARE(nodeFromJson(obj(wire.constData())), node);
    QCOMPARE(resourcesFromPve(rows).nodes.at(index), *node);
}

void TestClusterData::fixtureStorage_data()
{
    QTest::addColumn<int>("index");
    QTest::addColumn<QByteArray>("wire");

    QTest::addRow("local-zfs") << 0 << QByteArray(R"({"id":"storage/node3/local-zfs",
        "storage":"local-zfs","node":"node3","type":"zfspool","status":"active","shared":false,
        "content":"images,rootdir","used":98304,"total":479730032640,"avail":479729934336})");
    QTest::addRow("local") << 1 << QByteArray(R"({"id":"storage/node3/local","storage":"local",
        "node":"node3","type":"dir","status":"active","shared":false,"content":"backup,vztmpl,iso",
        "used":2983723008,"total":482713534464,"avail":479729811456})");
    QTest::addRow("cloud-init") << 2 << QByteArray(R"({"id":"storage/node3/cloud-init",
        "storage":"cloud-init","node":"node3","type":"dir","status":"active","shared":false,
        "content":"snippets","used":2983723008,"total":482713534464,"avail":479729811456})");
}

void TestClusterData::fixtureStorage()
{
    QFETCH(int, index);
    QFETCH(QByteArray, wire);

    const ClusterResources r = resourcesFromPve(fixtureData(u"cluster_resources_storage.json"_s));
    QCOMPARE(r.storage.size(), 3);
    QCOMPARE(toJson(r.storage.at(index)), obj(wire.constData()));
    QCOMPARE(
        storageFromJson(obj(wire.constData())), std::optional<StorageData>(r.storage.at(index)));
}

void TestClusterData::fixtureClusterStatus()
{
    // 2 listed nodes with a vote each + 2 more the cluster row counts (the recording is trimmed).
    const QuorumData q = quorumFromPve(fixtureData(u"cluster_status.json"_s));
    QCOMPARE(toJson(q), obj(R"({"quorate":true,"clusterName":"clustername","nodes":4,"expected":4,
        "totalVotes":2,"expectedVotes":4,"nodelist":[
        {"name":"node2","nodeid":2,"ip":"192.168.1.2","online":true,"local":false,"votes":1},
        {"name":"node3","nodeid":3,"ip":"192.168.1.3","online":true,"local":false,"votes":1}]})"));
    QVERIFY(q.quorate);
    QCOMPARE(q.nodelist.size(), 2);
    QCOMPARE(quorumFromJson(toJson(q)), std::optional<QuorumData>(q));
}

void TestClusterData::fixtureNodeStatusMerge()
{
    const QJsonObject status =
        readFixture(u"nodes_node_status.json"_s).object().value("data"_L1).toObject();
    NodeData node = *nodeFromPve(obj(R"({"type":"node","node":"pve","status":"online","cpu":0.5,
        "maxcpu":2,"mem":1,"maxmem":2,"disk":3,"maxdisk":4,"uptime":5})"));
    mergeNodeStatus(node, nodeStatusFromPve(status));

    QCOMPARE(node.loadavg, std::optional<QList<double>>(QList<double> {0, 0, 0}));
    QCOMPARE(node.uptime, 2501631);
    QCOMPARE(node.cpu, 0.00260552371026576);
    QCOMPARE(node.maxcpu, 8);
    QCOMPARE(node.mem, 8095399936);
    QCOMPARE(node.maxmem, 65919459328);
    QCOMPARE(node.disk, 10487595008);
    QCOMPARE(node.maxdisk, 948338819072);
    QCOMPARE(node.status, u"online"_s);
    QCOMPARE(node.node, u"pve"_s);

    const QJsonObject wire = toJson(node);
    QCOMPARE(wire.value("loadavg"_L1).toArray(), (QJsonArray {0, 0, 0}));
    QCOMPARE(nodeFromJson(reparse(wire)), std::optional<NodeData>(node));
}

void TestClusterData::fixtureTaskPolls_data()
{
    QTest::addColumn<int>("poll");
    QTest::addColumn<QString>("status");
    QTest::addColumn<QString>("exitstatus");
    QTest::addColumn<bool>("succeeded");

    QTest::addRow("poll 1 running") << 0 << u"running"_s << QString() << false;
    QTest::addRow("poll 2 running") << 1 << u"running"_s << QString() << false;
    QTest::addRow("poll 3 stopped OK") << 2 << u"stopped"_s << u"OK"_s << true;
}

void TestClusterData::fixtureTaskPolls()
{
    QFETCH(int, poll);
    QFETCH(QString, status);
    QFETCH(QString, exitstatus);
    QFETCH(bool, succeeded);

    const QJsonArray polls = readFixture(u"nodes_node_tasks_upid_status_pve9.json"_s)
                                 .object()
                                 .value("polls_in_order"_L1)
                                 .toArray();
    QCOMPARE(polls.size(), 3);
    const std::optional<TaskStatus> t =
        taskStatusFromPve(polls.at(poll).toObject().value("data"_L1).toObject());
    QVERIFY(t);
    QCOMPARE(t->status, status);
    QCOMPARE(t->exitstatus, exitstatus);
    QCOMPARE(t->succeeded(), succeeded);
    QCOMPARE(t->upid, u"UPID:pve:00004686:0005B477:6A4A8EEF:qmstart:9101:root@pam!sdk:"_s);
    QCOMPARE(t->node, u"pve"_s);
    QCOMPARE(t->type, u"qmstart"_s);
    QCOMPARE(t->id, u"9101"_s);

    // The start call answered with the same UPID.
    QCOMPARE(readFixture(u"nodes_node_qemu_vmid_status_start.json"_s)
                 .object()
                 .value("data"_L1)
                 .toString(),
        t->upid);
}

// --- lenient Proxmox parsing ---------------------------------------------------------------------

void TestClusterData::pveInteger_data()
{
    QTest::addColumn<QJsonValue>("input");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<qint64>("expected");

    QTest::addRow("number") << js("106") << true << qint64(106);
    QTest::addRow("string") << js(R"("106")") << true << qint64(106);
    QTest::addRow("padded string") << js(R"(" 106 ")") << true << qint64(106);
    QTest::addRow("negative string") << js(R"("-5")") << true << qint64(-5);
    QTest::addRow("whole double") << js("106.0") << true << qint64(106);
    QTest::addRow("decimal string") << js(R"("3400.000")") << true << qint64(3400);
    QTest::addRow("fraction rounds") << js("2.5") << true << qint64(3);
    QTest::addRow("exponent string") << js(R"("1e3")") << true << qint64(1000);
    QTest::addRow("2^52") << js("4503599627370496") << true << (qint64(1) << 52);
    QTest::addRow("2^52 string") << js(R"("4503599627370496")") << true << (qint64(1) << 52);
    QTest::addRow("2^53+1 exact") << js("9007199254740993") << true << qint64(9007199254740993);
    QTest::addRow("2^62") << js("4611686018427387904") << true << (qint64(1) << 62);
    QTest::addRow("true") << js("true") << true << qint64(1);
    QTest::addRow("false") << js("false") << true << qint64(0);
    QTest::addRow("too big") << js("1e300") << false << qint64(0);
    QTest::addRow("abc") << js(R"("abc")") << false << qint64(0);
    QTest::addRow("empty string") << js(R"("")") << false << qint64(0);
    QTest::addRow("nan string") << js(R"("nan")") << false << qint64(0);
    QTest::addRow("inf string") << js(R"("inf")") << false << qint64(0);
    QTest::addRow("null") << js("null") << false << qint64(0);
    QTest::addRow("array") << js("[1]") << false << qint64(0);
    QTest::addRow("object") << js(R"({"a":1})") << false << qint64(0);
    QTest::addRow("undefined") << QJsonValue(QJsonValue::Undefined) << false << qint64(0);
}

void TestClusterData::pveInteger()
{
    QFETCH(QJsonValue, input);
    QFETCH(bool, valid);
    QFETCH(qint64, expected);

    const std::optional<qint64> result = jarvis::proxmox::pveInteger(input);
    QCOMPARE(result.has_value(), valid);
    if (valid)
        QCOMPARE(*result, expected);
}

void TestClusterData::pveNumber_data()
{
    QTest::addColumn<QJsonValue>("input");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<double>("expected");

    QTest::addRow("number") << js("0.5") << true << 0.5;
    QTest::addRow("string") << js(R"("0.5")") << true << 0.5;
    QTest::addRow("integer string") << js(R"("106")") << true << 106.0;
    QTest::addRow("mhz string") << js(R"("3400.000")") << true << 3400.0;
    QTest::addRow("loadavg string") << js(R"("0.00")") << true << 0.0;
    QTest::addRow("padded") << js(R"("  1.25 ")") << true << 1.25;
    QTest::addRow("bool") << js("true") << true << 1.0;
    QTest::addRow("garbage") << js(R"("fast")") << false << 0.0;
    QTest::addRow("nan") << js(R"("NaN")") << false << 0.0;
    QTest::addRow("overflow string") << js(R"("1e999")") << false << 0.0;
    QTest::addRow("null") << js("null") << false << 0.0;
    QTest::addRow("object") << js("{}") << false << 0.0;
}

void TestClusterData::pveNumber()
{
    QFETCH(QJsonValue, input);
    QFETCH(bool, valid);
    QFETCH(double, expected);

    const std::optional<double> result = jarvis::proxmox::pveNumber(input);
    QCOMPARE(result.has_value(), valid);
    if (valid)
        QCOMPARE(*result, expected);
}

void TestClusterData::pveBool_data()
{
    QTest::addColumn<QJsonValue>("input");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<bool>("expected");

    QTest::addRow("1") << js("1") << true << true;
    QTest::addRow("0") << js("0") << true << false;
    QTest::addRow("true") << js("true") << true << true;
    QTest::addRow("false") << js("false") << true << false;
    QTest::addRow("\"1\"") << js(R"("1")") << true << true;
    QTest::addRow("\"0\"") << js(R"("0")") << true << false;
    QTest::addRow("\"true\"") << js(R"("true")") << true << true;
    QTest::addRow("\"False\"") << js(R"("False")") << true << false;
    QTest::addRow("\"yes\"") << js(R"("yes")") << true << true;
    QTest::addRow("\"off\"") << js(R"("off")") << true << false;
    QTest::addRow("2") << js("2") << true << true;
    QTest::addRow("\"maybe\"") << js(R"("maybe")") << false << false;
    QTest::addRow("empty") << js(R"("")") << false << false;
    QTest::addRow("null") << js("null") << false << false;
    QTest::addRow("array") << js("[]") << false << false;
}

void TestClusterData::pveBool()
{
    QFETCH(QJsonValue, input);
    QFETCH(bool, valid);
    QFETCH(bool, expected);

    const std::optional<bool> result = jarvis::proxmox::pveBool(input);
    QCOMPARE(result.has_value(), valid);
    if (valid)
        QCOMPARE(*result, expected);
}

void TestClusterData::vmLenient_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<VmData>("expected");

    const auto base = [](int vmid = 106) {
        VmData vm;
        vm.vmid = vmid;
        vm.node = u"pve"_s;
        vm.status = u"running"_s;
        return vm;
    };

    VmData strings = base();
    strings.name = u"web"_s;
    strings.cpu = 0.5;
    strings.maxcpu = 2;
    strings.mem = 1024;
    strings.maxmem = 2048;
    strings.disk = 3;
    strings.maxdisk = 4;
    strings.uptime = 5;
    strings.netin = 6;
    strings.netout = 7;
    strings.diskread = 8;
    strings.diskwrite = 9;
    strings.isTemplate = true;
    QTest::addRow("string numbers") << QByteArray(R"({"type":"qemu","vmid":"106","node":"pve",
        "name":"web","status":"running","cpu":"0.5","maxcpu":"2","mem":"1024","maxmem":"2048",
        "disk":"3","maxdisk":"4","uptime":"5","netin":"6","netout":"7","diskread":"8",
        "diskwrite":"9","template":"1"})")
                                    << true << strings;

    VmData templ = base();
    templ.isTemplate = true;
    QTest::addRow("template 1") << QByteArray(
        R"({"type":"qemu","vmid":106,"node":"pve","status":"running","template":1})")
                                << true << templ;
    QTest::addRow("template true") << QByteArray(
        R"({"type":"qemu","vmid":106,"node":"pve","status":"running","template":true})")
                                   << true << templ;
    QTest::addRow("template 0") << QByteArray(
        R"({"type":"qemu","vmid":106,"node":"pve","status":"running","template":"0"})")
                                << true << base();
    QTest::addRow("template false") << QByteArray(
        R"({"type":"qemu","vmid":106,"node":"pve","status":"running","template":false})")
                                    << true << base();

    VmData lxc = base(200);
    lxc.kind = VmData::Kind::Lxc;
    lxc.name = u"ct"_s;
    lxc.maxcpu = 1;
    QTest::addRow("lxc guest") << QByteArray(
        R"({"type":"lxc","vmid":200,"id":"lxc/200","node":"pve",
        "name":"ct","status":"running","maxcpu":1})")
                               << true << lxc;
    QTest::addRow("lxc from id, no type, no vmid") << QByteArray(R"({"id":"lxc/200","node":"pve",
        "name":"ct","status":"running","maxcpu":1})")
                                                   << true << lxc;

    VmData locked = base();
    locked.lock = u"backup"_s;
    QTest::addRow("lock") << QByteArray(
        R"({"type":"qemu","vmid":106,"node":"pve","status":"running","lock":"backup"})")
                          << true << locked;
    QTest::addRow("lock wrong type")
        << QByteArray(R"({"type":"qemu","vmid":106,"node":"pve","status":"running","lock":1})")
        << true << base();

    VmData huge = base();
    huge.mem = qint64(1) << 52;
    huge.maxmem = (qint64(1) << 52) + 1;
    huge.netin = qint64(1) << 53;
    QTest::addRow("huge byte counts")
        << QByteArray(R"({"type":"qemu","vmid":106,"node":"pve","status":"running",
        "mem":4503599627370496,"maxmem":"4503599627370497","netin":9007199254740992})")
        << true << huge;

    QTest::addRow("unknown fields ignored") << QByteArray(
        R"({"type":"qemu","vmid":106,"node":"pve","status":"running","hastate":"started",
            "pool":"prod","cgroup-mode":2,"level":"","nested":{"a":[1,2]}})")
                                            << true << base();

    QTest::addRow("cpu null") << QByteArray(
        R"({"type":"qemu","vmid":106,"node":"pve","status":"running","cpu":null})")
                              << true << base();
    QTest::addRow("tags number") << QByteArray(
        R"({"type":"qemu","vmid":106,"node":"pve","status":"running","tags":5})")
                                 << true << base();

    VmData tagged = base();
    tagged.tags = {u"a"_s, u"b"_s, u"c"_s};
    QTest::addRow("tags ;") << QByteArray(
        R"({"type":"qemu","vmid":106,"node":"pve","status":"running","tags":"a;b;c"})")
                            << true << tagged;
    QTest::addRow("tags +") << QByteArray(
        R"({"type":"qemu","vmid":106,"node":"pve","status":"running","tags":"a+b+c"})")
                            << true << tagged;
    QTest::addRow("tags , and spaces") << QByteArray(
        R"({"type":"qemu","vmid":106,"node":"pve","status":"running","tags":" a, b  c "})")
                                       << true << tagged;
    QTest::addRow("tags empties dropped") << QByteArray(
        R"({"type":"qemu","vmid":106,"node":"pve","status":"running","tags":";;a; ;b;;c;"})")
                                          << true << tagged;
    QTest::addRow("tags array") << QByteArray(
        R"({"type":"qemu","vmid":106,"node":"pve","status":"running","tags":["a"," b ",3,"c"]})")
                                << true << tagged;
    QTest::addRow("tags empty string")
        << QByteArray(R"({"type":"qemu","vmid":106,"node":"pve","status":"running","tags":""})")
        << true << base();

    VmData noStatus = base();
    noStatus.status = u"unknown"_s;
    QTest::addRow("status missing")
        << QByteArray(R"({"type":"qemu","vmid":106,"node":"pve"})") << true << noStatus;

    VmData numericName = base();
    numericName.name = u"42"_s;
    QTest::addRow("numeric name") << QByteArray(
        R"({"type":"qemu","vmid":106,"node":"pve","status":"running","name":42})")
                                  << true << numericName;

    QTest::addRow("vmid abc") << QByteArray(
        R"({"type":"qemu","vmid":"abc","id":"qemu/106","node":"pve","status":"running"})")
                              << false << VmData();
    QTest::addRow("vmid 0") << QByteArray(R"({"type":"qemu","vmid":0,"node":"pve"})") << false
                            << VmData();
    QTest::addRow("vmid negative")
        << QByteArray(R"({"type":"qemu","vmid":-1,"node":"pve"})") << false << VmData();
    QTest::addRow("vmid too big") << QByteArray(R"({"type":"qemu","vmid":4294967296,"node":"pve"})")
                                  << false << VmData();
    QTest::addRow("vmid missing") << QByteArray(R"({"type":"qemu","node":"pve"})") << false
                                  << VmData();
    QTest::addRow("node missing") << QByteArray(R"({"type":"qemu","vmid":106})") << false
                                  << VmData();
    QTest::addRow("node wrong type")
        << QByteArray(R"({"type":"qemu","vmid":106,"node":["pve"]})") << false << VmData();
    QTest::addRow("type pool") << QByteArray(R"({"type":"pool","vmid":106,"node":"pve"})") << false
                               << VmData();
    QTest::addRow("type openvz") << QByteArray(R"({"type":"openvz","vmid":106,"node":"pve"})")
                                 << false << VmData();
    QTest::addRow("type number") << QByteArray(R"({"type":5,"vmid":106,"node":"pve"})") << false
                                 << VmData();
}

void TestClusterData::vmLenient()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, valid);
    QFETCH(VmData, expected);

    const QJsonObject o = obj(json.constData());
    const std::optional<VmData> vm = vmFromPve(o);
    QCOMPARE(vm.has_value(), valid);
    if (valid) {
        QCOMPARE(*vm, expected);
        QCOMPARE(vmFromJson(reparse(toJson(*vm))), vm);
    }
    // resourcesFromPve agrees whenever the row has a type.
    if (o.contains("type"_L1))
        QCOMPARE(resourcesFromPve(QJsonArray {o}).vms.size(), valid ? 1 : 0);
}

void TestClusterData::nodeLenient_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<NodeData>("expected");

    NodeData offline;
    offline.node = u"pve3"_s;
    offline.status = u"offline"_s;
    QTest::addRow("offline without metrics")
        << QByteArray(R"({"type":"node","id":"node/pve3","node":"pve3","status":"offline"})")
        << true << offline;
    QTest::addRow("offline with stale metrics zeroed")
        << QByteArray(R"({"type":"node","node":"pve3","status":"offline","cpu":0.3,"maxcpu":8,
            "mem":5,"maxmem":6,"disk":7,"maxdisk":8,"uptime":9,"loadavg":["1","2","3"]})")
        << true << offline;
    QTest::addRow("name from id") << QByteArray(
        R"({"type":"node","id":"node/pve3","status":"offline"})")
                                  << true << offline;
    QTest::addRow("online 0 instead of status")
        << QByteArray(R"({"type":"node","name":"pve3","online":0})") << true << offline;

    NodeData strings;
    strings.node = u"pve1"_s;
    strings.status = u"online"_s;
    strings.cpu = 0.25;
    strings.maxcpu = 16;
    strings.mem = 100;
    strings.maxmem = 200;
    strings.disk = 300;
    strings.maxdisk = 400;
    strings.uptime = 500;
    QTest::addRow("string numbers") << QByteArray(R"({"type":"node","node":"pve1","status":"online",
        "cpu":"0.25","maxcpu":"16","mem":"100","maxmem":"200","disk":"300","maxdisk":"400",
        "uptime":"500","level":"","cgroup-mode":2,"ssl_fingerprint":"AA:BB"})")
                                    << true << strings;

    NodeData loaded = strings;
    loaded.loadavg = QList<double> {0.5, 1, 1.5};
    QTest::addRow("loadavg in row") << QByteArray(R"({"type":"node","node":"pve1","status":"ONLINE",
        "cpu":0.25,"maxcpu":16,"mem":100,"maxmem":200,"disk":300,"maxdisk":400,"uptime":500,
        "loadavg":["0.50",1,"1.5"]})")
                                    << true << loaded;

    NodeData unknown;
    unknown.node = u"pve1"_s;
    QTest::addRow("weird status -> unknown")
        << QByteArray(R"({"type":"node","node":"pve1","status":"sleepy"})") << true << unknown;
    QTest::addRow("status missing -> unknown")
        << QByteArray(R"({"node":"pve1"})") << true << unknown;
    QTest::addRow("wrong types default") << QByteArray(R"({"type":"node","node":"pve1","status":7,
        "cpu":null,"maxcpu":[],"mem":{},"uptime":"soon","loadavg":"0.1 0.2 0.3"})")
                                         << true << unknown;

    QTest::addRow("no name") << QByteArray(R"({"type":"node","status":"online"})") << false
                             << NodeData();
    QTest::addRow("name wrong type")
        << QByteArray(R"({"type":"node","node":{},"status":"online"})") << false << NodeData();
    QTest::addRow("type storage") << QByteArray(R"({"type":"storage","node":"pve1"})") << false
                                  << NodeData();
}

void TestClusterData::nodeLenient()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, valid);
    QFETCH(NodeData, expected);

    const std::optional<NodeData> node = nodeFromPve(obj(json.constData()));
    QCOMPARE(node.has_value(), valid);
    if (valid) {
        QCOMPARE(*node, expected);
        QCOMPARE(nodeFromJson(reparse(toJson(*node))), node);
    }
}

void TestClusterData::storageLenient_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<StorageData>("expected");

    const auto make = [](const QString &status, bool shared = false) {
        return StorageData {.id = u"storage/pve/nfs"_s,
            .storage = u"nfs"_s,
            .node = u"pve"_s,
            .type = u"nfs"_s,
            .status = status,
            .shared = shared,
            .content = u"images"_s,
            .used = 10,
            .total = 100,
            .avail = 90};
    };
    const QString active = u"active"_s;
    const QString inactive = u"inactive"_s;

    QTest::addRow("available -> active") << QByteArray(
        R"({"type":"storage","id":"storage/pve/nfs","storage":"nfs",
        "node":"pve","plugintype":"nfs","status":"available","content":"images","disk":10,
        "maxdisk":100})") << true << make(active);
    QTest::addRow("active stays") << QByteArray(R"({"type":"storage","storage":"nfs","node":"pve",
        "plugintype":"nfs","status":"active","content":"images","disk":10,"maxdisk":100})")
                                  << true << make(active);
    QTest::addRow("unknown -> inactive")
        << QByteArray(R"({"type":"storage","storage":"nfs","node":"pve",
        "plugintype":"nfs","status":"unknown","content":"images","disk":10,"maxdisk":100})")
        << true << make(inactive);
    QTest::addRow("missing -> inactive")
        << QByteArray(R"({"type":"storage","storage":"nfs","node":"pve",
        "plugintype":"nfs","content":"images","disk":10,"maxdisk":100})")
        << true << make(inactive);
    QTest::addRow("shared 1 as string") << QByteArray(
        R"({"type":"storage","storage":"nfs","node":"pve",
        "plugintype":"nfs","status":"available","shared":"1","content":"images","disk":"10",
        "maxdisk":"100"})") << true << make(active, true);
    QTest::addRow("shared true") << QByteArray(R"({"type":"storage","storage":"nfs","node":"pve",
        "plugintype":"nfs","status":"available","shared":true,"content":"images","disk":10,
        "maxdisk":100})") << true << make(active, true);
    QTest::addRow("names from id")
        << QByteArray(R"({"type":"storage","id":"storage/pve/nfs","plugintype":"nfs",
        "status":"available","content":"images","disk":10,"maxdisk":100})")
        << true << make(active);
    QTest::addRow("content as array")
        << QByteArray(R"({"type":"storage","storage":"nfs","node":"pve",
        "plugintype":"nfs","status":"available","content":["images"],"disk":10,"maxdisk":100})")
        << true << make(active);

    StorageData over = make(active);
    over.used = 150;
    over.avail = 0;
    QTest::addRow("used > total -> avail 0")
        << QByteArray(R"({"type":"storage","storage":"nfs","node":"pve",
        "plugintype":"nfs","status":"available","content":"images","disk":150,"maxdisk":100})")
        << true << over;

    StorageData bare {.id = u"storage/pve/nfs"_s,
        .storage = u"nfs"_s,
        .node = u"pve"_s,
        .type = {},
        .status = inactive,
        .shared = false,
        .content = {},
        .used = 0,
        .total = 0,
        .avail = 0};
    QTest::addRow("disabled storage, no numbers") << QByteArray(
        R"({"type":"storage","storage":"nfs","node":"pve",
        "status":"unknown"})") << true << bare;
    QTest::addRow("wrong types default")
        << QByteArray(R"({"type":"storage","storage":"nfs","node":"pve",
        "plugintype":[],"status":{},"shared":"sometimes","content":7,"disk":null,"maxdisk":"big"})")
        << true << bare;

    QTest::addRow("no storage name")
        << QByteArray(R"({"type":"storage","node":"pve"})") << false << StorageData();
    QTest::addRow("no node") << QByteArray(R"({"type":"storage","storage":"nfs"})") << false
                             << StorageData();
    QTest::addRow("type qemu") << QByteArray(R"({"type":"qemu","storage":"nfs","node":"pve"})")
                               << false << StorageData();
}

void TestClusterData::storageLenient()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, valid);
    QFETCH(StorageData, expected);

    const std::optional<StorageData> storage = storageFromPve(obj(json.constData()));
    QCOMPARE(storage.has_value(), valid);
    if (valid) {
        QCOMPARE(*storage, expected);
        QCOMPARE(storageFromJson(reparse(toJson(*storage))), storage);
    }
}

void TestClusterData::resourcesIgnoreForeignTypes()
{
    const QJsonArray rows = js(R"([
        {"type":"node","node":"pve","status":"online","id":"node/pve"},
        {"type":"qemu","vmid":100,"node":"pve","status":"running"},
        {"type":"lxc","vmid":101,"node":"pve","status":"stopped"},
        {"type":"storage","storage":"local","node":"pve","status":"available"},
        {"type":"sdn","sdn":"localnetwork","node":"pve","status":"ok","id":"sdn/pve/localnetwork"},
        {"type":"pool","pool":"prod","id":"/pool/prod"},
        {"type":"network","network":"vmbr0","node":"pve","id":"network/pve/vmbr0"},
        {"type":"openvz","vmid":102,"node":"pve"},
        {"type":"QEMU","vmid":103,"node":"pve"},
        {"vmid":104,"node":"pve"},
        {"type":null,"vmid":105,"node":"pve"},
        {"type":"qemu","vmid":"abc","node":"pve"},
        1, "qemu", null, true, [], [{"type":"qemu","vmid":106,"node":"pve"}], {}
    ])")
                                .toArray();
    const ClusterResources r = resourcesFromPve(rows);
    QCOMPARE(r.nodes.size(), 1);
    QCOMPARE(r.vms.size(), 2);
    QCOMPARE(r.storage.size(), 1);
    QCOMPARE(r.vms.at(0).vmid, 100);
    QCOMPARE(r.vms.at(0).kind, VmData::Kind::Qemu);
    QCOMPARE(r.vms.at(1).vmid, 101);
    QCOMPARE(r.vms.at(1).kind, VmData::Kind::Lxc);
    QCOMPARE(toJson(r.vms.at(1)).value("type"_L1).toString(), u"lxc"_s);

    QCOMPARE(resourcesFromPve(QJsonArray()).vms.size(), 0);
}

void TestClusterData::quorum_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("wire");

    QTest::addRow("standalone online")
        << QByteArray(R"([{"type":"node","name":"pve","id":"node/pve","nodeid":0,"ip":"10.0.0.5",
            "online":1,"local":1,"level":""}])")
        << QByteArray(R"({"quorate":true,"nodes":1,"expected":1,"totalVotes":1,"expectedVotes":1,
            "nodelist":[{"name":"pve","nodeid":0,"ip":"10.0.0.5","online":true,"local":true,
            "votes":1}]})");
    QTest::addRow("standalone offline")
        << QByteArray(R"([{"type":"node","name":"pve","nodeid":0,"online":"0","local":"1"}])")
        << QByteArray(R"({"quorate":false,"nodes":1,"expected":1,"totalVotes":0,"expectedVotes":1,
            "nodelist":[{"name":"pve","nodeid":0,"ip":"","online":false,"local":true,
            "votes":1}]})");
    QTest::addRow("cluster lost quorum")
        << QByteArray(R"([{"type":"cluster","name":"lab","quorate":0,"nodes":"3","version":7},
            {"type":"node","name":"a","nodeid":1,"online":1,"local":1,"ip":"10.0.0.1"},
            {"type":"node","name":"b","nodeid":2,"online":0,"local":0,"ip":"10.0.0.2"},
            {"type":"node","name":"c","nodeid":3,"online":false,"local":false,"ip":"10.0.0.3"}])")
        << QByteArray(R"({"quorate":false,"clusterName":"lab","nodes":3,"expected":3,"totalVotes":1,
            "expectedVotes":3,"nodelist":[
            {"name":"a","nodeid":1,"ip":"10.0.0.1","online":true,"local":true,"votes":1},
            {"name":"b","nodeid":2,"ip":"10.0.0.2","online":false,"local":false,"votes":1},
            {"name":"c","nodeid":3,"ip":"10.0.0.3","online":false,"local":false,"votes":1}]})");
    QTest::addRow("known votes")
        << QByteArray(R"([{"type":"cluster","name":"lab","quorate":"1","nodes":2},
            {"type":"node","name":"a","nodeid":1,"online":1,"votes":2},
            {"type":"node","name":"b","nodeid":2,"online":1,"votes":"1"}])")
        << QByteArray(R"({"quorate":true,"clusterName":"lab","nodes":2,"expected":3,"totalVotes":3,
            "expectedVotes":3,"nodelist":[
            {"name":"a","nodeid":1,"ip":"","online":true,"local":false,"votes":2},
            {"name":"b","nodeid":2,"ip":"","online":true,"local":false,"votes":1}]})");
    QTest::addRow("cluster row without nodes counts the list")
        << QByteArray(R"([{"type":"cluster","name":"lab","quorate":true},
            {"type":"node","name":"a","nodeid":1,"online":true}])")
        << QByteArray(R"({"quorate":true,"clusterName":"lab","nodes":1,"expected":1,"totalVotes":1,
            "expectedVotes":1,"nodelist":[
            {"name":"a","nodeid":1,"ip":"","online":true,"local":false,"votes":1}]})");
    QTest::addRow("garbage rows ignored")
        << QByteArray(R"([1, null, "x", [], {}, {"type":"qdevice"}, {"type":"node"},
            {"type":"node","name":7}, {"type":"cluster","name":"lab","quorate":1,"nodes":1},
            {"type":"node","name":"a","nodeid":"x","online":"maybe","votes":null}])")
        << QByteArray(R"({"quorate":true,"clusterName":"lab","nodes":2,"expected":2,"totalVotes":0,
            "expectedVotes":2,"nodelist":[
            {"name":"7","nodeid":0,"ip":"","online":false,"local":false,"votes":1},
            {"name":"a","nodeid":0,"ip":"","online":false,"local":false,"votes":1}]})");
    QTest::addRow("empty") << QByteArray("[]") << QByteArray(R"({"quorate":false,"nodes":0,
        "expected":0,"totalVotes":0,"expectedVotes":0,"nodelist":[]})");
}

void TestClusterData::quorum()
{
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, wire);

    const QuorumData q = quorumFromPve(js(json.constData()).toArray());
    QCOMPARE(toJson(q), obj(wire.constData()));
    QCOMPARE(quorumFromJson(obj(wire.constData())), std::optional<QuorumData>(q));
}

void TestClusterData::mergeNodeStatusLenient_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<NodeData>("expected");

    NodeData before;
    before.node = u"pve"_s;
    before.status = u"online"_s;
    before.cpu = 0.1;
    before.maxcpu = 4;
    before.mem = 1;
    before.maxmem = 2;
    before.disk = 3;
    before.maxdisk = 4;
    before.uptime = 5;

    QTest::addRow("empty changes nothing") << QByteArray("{}") << before;
    QTest::addRow("wrong types change nothing")
        << QByteArray(R"({"loadavg":"0.1 0.2 0.3","uptime":"long","cpu":null,"memory":[1,2],
            "rootfs":"big","cpuinfo":{"cpus":"many"}})")
        << before;
    QTest::addRow("short loadavg ignored") << QByteArray(R"({"loadavg":["0.1","0.2"]})") << before;
    QTest::addRow("bad loadavg entry ignored")
        << QByteArray(R"({"loadavg":["0.1","x","0.3"]})") << before;

    NodeData partial = before;
    partial.uptime = 99;
    partial.maxmem = 1000;
    QTest::addRow("partial merge")
        << QByteArray(R"({"uptime":"99","memory":{"total":"1000"}})") << partial;

    NodeData numeric = before;
    numeric.loadavg = QList<double> {0.25, 0.5, 1};
    numeric.cpu = 0.75;
    numeric.maxcpu = 32;
    numeric.mem = 10;
    numeric.maxmem = 20;
    numeric.disk = 30;
    numeric.maxdisk = 40;
    QTest::addRow("numbers instead of strings")
        << QByteArray(R"({"loadavg":[0.25,0.5,1,7],"cpu":0.75,"cpuinfo":{"cpus":32},
            "memory":{"used":10,"total":20,"free":10},"rootfs":{"used":"30","total":"40"},
            "boot-info":{"mode":"efi"},"current-kernel":{"release":"6.8"}})")
        << numeric;
}

void TestClusterData::mergeNodeStatusLenient()
{
    QFETCH(QByteArray, json);
    QFETCH(NodeData, expected);

    NodeData node;
    node.node = u"pve"_s;
    node.status = u"online"_s;
    node.cpu = 0.1;
    node.maxcpu = 4;
    node.mem = 1;
    node.maxmem = 2;
    node.disk = 3;
    node.maxdisk = 4;
    node.uptime = 5;
    mergeNodeStatus(node, nodeStatusFromPve(obj(json.constData())));
    QCOMPARE(node, expected);
}

void TestClusterData::taskStatus_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<TaskStatus>("expected");
    QTest::addColumn<bool>("succeeded");

    const QString upid = u"UPID:pve2:0000A1B2:00C0FFEE:66000000:vzshutdown:105:root@pam:"_s;
    QTest::addRow("running") << QByteArray(
        R"({"upid":"UPID:pve2:0000A1B2:00C0FFEE:66000000:vzshutdown:105:root@pam:",
            "node":"pve2","type":"vzshutdown","id":"105","status":"running","pid":1})")
                             << true
                             << TaskStatus {upid, u"pve2"_s, u"vzshutdown"_s, u"105"_s,
                                    u"running"_s, {}}
                             << false;
    QTest::addRow("warnings succeed")
        << QByteArray(R"({"upid":"UPID:pve2:0000A1B2:00C0FFEE:66000000:vzshutdown:105:root@pam:",
            "node":"pve2","type":"vzshutdown","id":105,"status":"stopped",
            "exitstatus":"WARNINGS: 2"})")
        << true
        << TaskStatus {upid, u"pve2"_s, u"vzshutdown"_s, u"105"_s, u"stopped"_s, u"WARNINGS: 2"_s}
        << true;
    QTest::addRow("error fails") << QByteArray(
        R"({"upid":"UPID:pve2:0000A1B2:00C0FFEE:66000000:vzshutdown:105:root@pam:",
            "status":"stopped","exitstatus":"command 'lxc-stop' failed: exit code 1"})")
                                 << true
                                 << TaskStatus {upid, u"pve2"_s, u"vzshutdown"_s, u"105"_s,
                                        u"stopped"_s, u"command 'lxc-stop' failed: exit code 1"_s}
                                 << false;
    QTest::addRow("stopped without exitstatus fails")
        << QByteArray(R"({"status":"stopped"})") << true
        << TaskStatus {{}, {}, {}, {}, u"stopped"_s, {}} << false;
    QTest::addRow("no status") << QByteArray(R"({"upid":"UPID:x:1:2:3:qmstart:100:root@pam:"})")
                               << false << TaskStatus() << false;
    QTest::addRow("status wrong type") << QByteArray(R"({"status":["stopped"],"exitstatus":"OK"})")
                                       << false << TaskStatus() << false;
}

void TestClusterData::taskStatus()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, valid);
    QFETCH(TaskStatus, expected);
    QFETCH(bool, succeeded);

    const std::optional<TaskStatus> t = taskStatusFromPve(obj(json.constData()));
    QCOMPARE(t.has_value(), valid);
    if (valid) {
        QCOMPARE(*t, expected);
        QCOMPARE(t->succeeded(), succeeded);
    }
}

// Every field of a valid row replaced, one at a time, by every JSON type: no crash, and the row is
// dropped only when the identity field broke.
void TestClusterData::wrongTypesEverywhere_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QStringList>("identity"); // fields whose corruption drops the row

    QTest::addRow("qemu") << QByteArray(R"({"type":"qemu","id":"qemu/100","vmid":100,"node":"pve",
        "name":"a","status":"running","cpu":0.1,"maxcpu":1,"mem":1,"maxmem":2,"disk":0,"maxdisk":3,
        "uptime":4,"netin":5,"netout":6,"diskread":7,"diskwrite":8,"template":0,"tags":"a;b",
        "lock":"x"})") << QStringList {u"type"_s, u"vmid"_s, u"node"_s};
    QTest::addRow("node") << QByteArray(
        R"({"type":"node","id":"node/pve","node":"pve","status":"online",
        "cpu":0.1,"maxcpu":1,"mem":1,"maxmem":2,"disk":0,"maxdisk":3,"uptime":4,"level":""})")
                          << QStringList {u"type"_s};
    QTest::addRow("storage") << QByteArray(
        R"({"type":"storage","id":"storage/pve/local","storage":"local",
        "node":"pve","plugintype":"dir","status":"available","shared":0,"content":"iso",
        "disk":1,"maxdisk":2})")
                             << QStringList {u"type"_s};
    QTest::addRow("cluster status") << QByteArray(
        R"({"type":"cluster","name":"lab","quorate":1,"nodes":3,
        "version":2})") << QStringList();
    QTest::addRow("node status") << QByteArray(
        R"({"cpu":0.1,"uptime":4,"loadavg":["0.1","0.2","0.3"],
        "memory":{"used":1,"total":2},"rootfs":{"used":1,"total":2},"cpuinfo":{"cpus":8}})")
                                 << QStringList();
    QTest::addRow("task") << QByteArray(
        R"({"upid":"UPID:pve:1:2:3:qmstart:100:root@pam:","node":"pve",
        "type":"qmstart","id":"100","status":"stopped","exitstatus":"OK"})")
                          << QStringList {u"status"_s};
}

void TestClusterData::wrongTypesEverywhere()
{
    QFETCH(QByteArray, json);
    QFETCH(QStringList, identity);

    const QJsonObject original = obj(json.constData());
    const QList<QJsonValue> replacements {QJsonValue(QJsonValue::Null), QJsonValue(true),
        QJsonValue(false), QJsonValue(-1), QJsonValue(1e308), QJsonValue(u"abc"_s),
        QJsonValue(u""_s), QJsonValue(u"1e999"_s), QJsonValue(QJsonArray {1, u"x"_s}),
        QJsonValue(QJsonObject {{"k"_L1, 1}})};

    const auto parses = [](const QJsonObject &o) {
        const QString type = o.value("type"_L1).toString();
        if (type == "qemu"_L1)
            return vmFromPve(o).has_value();
        if (type == "node"_L1)
            return nodeFromPve(o).has_value();
        if (type == "storage"_L1)
            return storageFromPve(o).has_value();
        if (o.contains("upid"_L1))
            return taskStatusFromPve(o).has_value();
        return true;
    };
    QVERIFY(parses(original));

    Exerciser exerciser;
    for (auto it = original.constBegin(); it != original.constEnd(); ++it) {
        for (const QJsonValue &replacement : replacements) {
            QJsonObject broken = original;
            broken.insert(it.key(), replacement);
            exerciser.run(broken);
            exerciser.run(QJsonArray {broken, original});
            if (!identity.contains(it.key()))
                QVERIFY2(parses(broken),
                    qPrintable(
                        it.key() + u" = "_s + QString::fromUtf8(text({{"v"_L1, replacement}}))));
        }
        QJsonObject without = original;
        without.remove(it.key());
        exerciser.run(without);
    }
    QVERIFY2(exerciser.problems.isEmpty(), qPrintable(exerciser.problems.join(u'\n')));
}

// --- strict wire shapes --------------------------------------------------------------------------

void TestClusterData::wireKeys_data()
{
    QTest::addColumn<QJsonObject>("wire");
    QTest::addColumn<QStringList>("keys");

    NodeData node;
    node.node = u"pve"_s;
    const QStringList nodeKeys {u"cpu"_s, u"disk"_s, u"host"_s, u"id"_s, u"maxcpu"_s, u"maxdisk"_s,
        u"maxmem"_s, u"mem"_s, u"name"_s, u"node"_s, u"protected"_s, u"status"_s, u"temperatures"_s,
        u"uptime"_s};
    QTest::addRow("node, loadavg unknown") << toJson(node) << nodeKeys;
    node.loadavg = QList<double> {1, 2, 3};
    QStringList withLoad = nodeKeys;
    withLoad.append(u"loadavg"_s);
    withLoad.sort();
    QTest::addRow("node, loadavg known") << toJson(node) << withLoad;

    VmData vm;
    vm.vmid = 100;
    vm.node = u"pve"_s;
    const QStringList vmKeys {u"cpu"_s, u"disk"_s, u"diskread"_s, u"diskwrite"_s, u"maxcpu"_s,
        u"maxdisk"_s, u"maxmem"_s, u"mem"_s, u"name"_s, u"netin"_s, u"netout"_s, u"node"_s,
        u"protected"_s, u"status"_s, u"tags"_s, u"template"_s, u"type"_s, u"uptime"_s, u"vmid"_s};
    QTest::addRow("vm, no lock") << toJson(vm) << vmKeys;
    vm.lock = u"migrate"_s;
    QStringList withLock = vmKeys;
    withLock.append(u"lock"_s);
    withLock.sort();
    QTest::addRow("vm, locked") << toJson(vm) << withLock;

    QTest::addRow("storage") << toJson(StorageData())
                             << QStringList {u"avail"_s, u"content"_s, u"id"_s, u"node"_s,
                                    u"shared"_s, u"status"_s, u"storage"_s, u"total"_s, u"type"_s,
                                    u"used"_s};

    QuorumData q;
    const QStringList quorumKeys {u"expected"_s, u"expectedVotes"_s, u"nodelist"_s, u"nodes"_s,
        u"quorate"_s, u"totalVotes"_s};
    QTest::addRow("quorum, standalone") << toJson(q) << quorumKeys;
    q.clusterName = u"lab"_s;
    q.nodelist.append(quorumNode(u"a"_s));
    QStringList withName = quorumKeys;
    withName.append(u"clusterName"_s);
    withName.sort();
    QTest::addRow("quorum, clustered") << toJson(q) << withName;
    QTest::addRow("quorum nodelist entry")
        << toJson(q).value("nodelist"_L1).toArray().at(0).toObject()
        << QStringList {u"ip"_s, u"local"_s, u"name"_s, u"nodeid"_s, u"online"_s, u"votes"_s};

    QTest::addRow("temperature") << toJson(TemperatureData {u"pve"_s, {{u"x86_pkg_temp"_s, 45}}})
                                 << QStringList {u"node"_s, u"zones"_s};
}

void TestClusterData::wireKeys()
{
    QFETCH(QJsonObject, wire);
    QFETCH(QStringList, keys);

    QCOMPARE(sortedKeys(wire), keys);
}

void TestClusterData::wireTypes()
{
    NodeData node;
    node.node = u"pve"_s;
    node.status = u"online"_s;
    node.loadavg = QList<double> {0.5, 0.25, 0};
    const QJsonObject n = toJson(node);
    QCOMPARE(n.value("id"_L1).toString(), u"node/pve"_s);
    QCOMPARE(n.value("name"_L1).toString(), u"pve"_s);
    for (const char *key : {"cpu", "maxcpu", "mem", "maxmem", "disk", "maxdisk", "uptime"})
        QVERIFY2(n.value(QLatin1StringView(key)).isDouble(), key);
    QVERIFY(n.value("temperatures"_L1).isObject()); // {} when unknown, never null
    QVERIFY(n.value("loadavg"_L1).isArray());
    QVERIFY(n.value("protected"_L1).isBool());
    QVERIFY(text(n).contains(R"("temperatures":{})"));

    node.temperatures = {{u"acpitz"_s, 41.5}, {u"x86_pkg_temp"_s, 55}};
    QCOMPARE(toJson(node).value("temperatures"_L1).toObject(),
        (QJsonObject {{"acpitz"_L1, 41.5}, {"x86_pkg_temp"_L1, 55}}));

    VmData vm;
    vm.vmid = 100;
    vm.node = u"pve"_s;
    vm.kind = VmData::Kind::Lxc;
    const QJsonObject v = toJson(vm);
    QVERIFY(v.value("vmid"_L1).isDouble());
    QVERIFY(v.value("template"_L1).isBool());
    QVERIFY(v.value("protected"_L1).isBool());
    QVERIFY(v.value("tags"_L1).isArray());
    QCOMPARE(v.value("type"_L1).toString(), u"lxc"_s);
    QVERIFY(text(v).contains(R"("tags":[])"));

    StorageData s;
    s.shared = true;
    QCOMPARE(toJson(s).value("shared"_L1), QJsonValue(true));

    QuorumData q;
    q.nodelist.append(quorumNode(u"a"_s, true));
    const QJsonObject qj = toJson(q);
    QVERIFY(qj.value("quorate"_L1).isBool());
    QCOMPARE(
        qj.value("nodelist"_L1).toArray().at(0).toObject().value("online"_L1), QJsonValue(true));
    QCOMPARE(
        qj.value("nodelist"_L1).toArray().at(0).toObject().value("local"_L1), QJsonValue(false));

    QCOMPARE(toJson(QList<VmData> {vm, vm}).size(), 2);
    QCOMPARE(toJson(QList<NodeData> {node}).size(), 1);
    QCOMPARE(toJson(QList<StorageData> {s}).size(), 1);
    QCOMPARE(toJson(QList<TemperatureData> {{u"pve"_s, {}}})
                 .at(0)
                 .toObject()
                 .value("zones"_L1)
                 .toObject(),
        QJsonObject());
}

void TestClusterData::hugeByteCounts_data()
{
    QTest::addColumn<qint64>("bytes");
    QTest::addColumn<QByteArray>("literal");

    QTest::addRow("2^52") << (qint64(1) << 52) << QByteArray("4503599627370496");
    QTest::addRow("2^52+1") << (qint64(1) << 52) + 1 << QByteArray("4503599627370497");
    QTest::addRow("2^53") << (qint64(1) << 53) << QByteArray("9007199254740992");
    QTest::addRow("16 TiB disk") << qint64(17592186044416) << QByteArray("17592186044416");
}

void TestClusterData::hugeByteCounts()
{
    QFETCH(qint64, bytes);
    QFETCH(QByteArray, literal);

    const QByteArray row = R"({"type":"qemu","vmid":100,"node":"pve","netin":)" + literal
        + R"(,"maxdisk":")" + literal + R"("})";
    const std::optional<VmData> vm = vmFromPve(QJsonDocument::fromJson(row).object());
    QVERIFY(vm);
    QCOMPARE(vm->netin, bytes);
    QCOMPARE(vm->maxdisk, bytes);

    const QByteArray wire = text(toJson(*vm));
    QVERIFY2(wire.contains(R"("netin":)" + literal), wire.constData());
    QVERIFY2(wire.contains(R"("maxdisk":)" + literal), wire.constData());
    const std::optional<VmData> back = vmFromJson(QJsonDocument::fromJson(wire).object());
    QVERIFY(back);
    QCOMPARE(back->netin, bytes);
    QCOMPARE(back->maxdisk, bytes);

    StorageData s;
    s.storage = u"local"_s;
    s.node = u"pve"_s;
    s.id = u"storage/pve/local"_s;
    s.total = bytes;
    s.used = 1;
    s.avail = bytes - 1;
    QCOMPARE(storageFromJson(reparse(toJson(s))), std::optional<StorageData>(s));
}

void TestClusterData::roundTrip_data()
{
    QTest::addColumn<QVariant>("value");

    NodeData node {.node = u"pve1"_s,
        .host = u"192.168.1.10"_s,
        .status = u"online"_s,
        .cpu = 0.123456789012345,
        .maxcpu = 24,
        .mem = 68719476736,
        .maxmem = 137438953472,
        .disk = 1,
        .maxdisk = (qint64(1) << 52) + 7,
        .uptime = 31536000,
        .loadavg = QList<double> {0.01, 1.5, 12.75},
        .temperatures = {{u"acpitz"_s, 27.8}, {u"x86_pkg_temp"_s, 61}}};
    QTest::addRow("node full") << QVariant::fromValue(node);
    QTest::addRow("node default") << QVariant::fromValue(nodeNamed(u"n"_s));
    QTest::addRow("node offline") << QVariant::fromValue(nodeNamed(u"n"_s, u"offline"_s));

    VmData vm {.vmid = 999999999,
        .name = u"Grüße-vm"_s,
        .node = u"pve1"_s,
        .kind = VmData::Kind::Lxc,
        .status = u"paused"_s,
        .cpu = 1.0 / 3,
        .maxcpu = 128,
        .mem = 1,
        .maxmem = 2,
        .disk = 3,
        .maxdisk = 4,
        .uptime = 5,
        .netin = qint64(1) << 52,
        .netout = 6,
        .diskread = 7,
        .diskwrite = 8,
        .isTemplate = true,
        .tags = {u"prod"_s, u"db"_s},
        .lock = u"snapshot"_s};
    QTest::addRow("vm full") << QVariant::fromValue(vm);
    QTest::addRow("vm default") << QVariant::fromValue(vmOn(100, u"pve"_s));

    QTest::addRow("storage") << QVariant::fromValue(StorageData {.id = u"storage/pve1/ceph"_s,
        .storage = u"ceph"_s,
        .node = u"pve1"_s,
        .type = u"rbd"_s,
        .status = u"active"_s,
        .shared = true,
        .content = u"images,rootdir"_s,
        .used = 10,
        .total = qint64(1) << 50,
        .avail = (qint64(1) << 50) - 10});

    QTest::addRow("quorum") << QVariant::fromValue(QuorumData {.quorate = true,
        .clusterName = u"lab"_s,
        .nodes = 3,
        .expected = 3,
        .totalVotes = 2,
        .expectedVotes = 3,
        .nodelist = {{.name = u"a"_s,
                         .nodeid = 1,
                         .ip = u"10.0.0.1"_s,
                         .online = true,
                         .local = true,
                         .votes = 1},
            {.name = u"b"_s,
                .nodeid = 2,
                .ip = u"10.0.0.2"_s,
                .online = false,
                .local = false,
                .votes = 2}}});
    QuorumData standalone;
    standalone.quorate = true;
    standalone.nodes = 1;
    QTest::addRow("quorum standalone") << QVariant::fromValue(standalone);
    QTest::addRow("temperature") << QVariant::fromValue(
        TemperatureData {u"pve1"_s, {{u"a"_s, -3.5}, {u"b"_s, 105}}});
}

void TestClusterData::roundTrip()
{
    QFETCH(QVariant, value);

    // Through the object and through text, as a client sees it.
    const auto check = [](const auto &original, auto fromJson) {
        const QJsonObject wire = toJson(original);
        QCOMPARE(fromJson(wire), std::optional(original));
        QCOMPARE(fromJson(reparse(wire)), std::optional(original));
    };
    const QMetaType type = value.metaType();
    if (type == QMetaType::fromType<NodeData>())
        check(value.value<NodeData>(), nodeFromJson);
    else if (type == QMetaType::fromType<VmData>())
        check(value.value<VmData>(), vmFromJson);
    else if (type == QMetaType::fromType<StorageData>())
        check(value.value<StorageData>(), storageFromJson);
    else if (type == QMetaType::fromType<QuorumData>())
        check(value.value<QuorumData>(), quorumFromJson);
    else if (type == QMetaType::fromType<TemperatureData>())
        check(value.value<TemperatureData>(), temperatureFromJson);
    else
        QFAIL("unhandled type");
}

void TestClusterData::wireStrictness_data()
{
    QTest::addColumn<QByteArray>("kind");
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("valid");

    QTest::addRow("vm minimal") << QByteArray("vm") << QByteArray(R"({"vmid":100,"node":"pve"})")
                                << true;
    QTest::addRow("vm extra fields")
        << QByteArray("vm")
        << QByteArray(R"({"vmid":100,"node":"pve","id":"qemu/100","hastate":"x"})") << true;
    QTest::addRow("vm mem as string")
        << QByteArray("vm") << QByteArray(R"({"vmid":100,"node":"pve","mem":"5"})") << false;
    QTest::addRow("vm vmid as string")
        << QByteArray("vm") << QByteArray(R"({"vmid":"100","node":"pve"})") << false;
    QTest::addRow("vm type sdn") << QByteArray("vm")
                                 << QByteArray(R"({"vmid":100,"node":"pve","type":"sdn"})")
                                 << false;
    QTest::addRow("vm template 1")
        << QByteArray("vm") << QByteArray(R"({"vmid":100,"node":"pve","template":1})") << false;
    QTest::addRow("vm tags string")
        << QByteArray("vm") << QByteArray(R"({"vmid":100,"node":"pve","tags":"a;b"})") << false;
    QTest::addRow("vm tags numbers")
        << QByteArray("vm") << QByteArray(R"({"vmid":100,"node":"pve","tags":[1]})") << false;
    QTest::addRow("vm no node") << QByteArray("vm") << QByteArray(R"({"vmid":100})") << false;
    QTest::addRow("node original backend shape")
        << QByteArray("node")
        << QByteArray(R"({"name":"pve","host":"10.0.0.1","status":"online","cpu":0.1,"maxcpu":4,
            "mem":1,"maxmem":2,"disk":3,"maxdisk":4,"uptime":5})")
        << true;
    QTest::addRow("node temperatures null")
        << QByteArray("node") << QByteArray(R"({"node":"pve","temperatures":null})") << true;
    QTest::addRow("node temperature string")
        << QByteArray("node") << QByteArray(R"({"node":"pve","temperatures":{"cpu":"50"}})")
        << false;
    QTest::addRow("node loadavg strings")
        << QByteArray("node") << QByteArray(R"({"node":"pve","loadavg":["0.1"]})") << false;
    QTest::addRow("node maxcpu too big")
        << QByteArray("node") << QByteArray(R"({"node":"pve","maxcpu":1e12})") << false;
    QTest::addRow("node nameless")
        << QByteArray("node") << QByteArray(R"({"status":"online"})") << false;
    QTest::addRow("storage shared 1")
        << QByteArray("storage") << QByteArray(R"({"storage":"local","node":"pve","shared":1})")
        << false;
    QTest::addRow("storage ok") << QByteArray("storage")
                                << QByteArray(R"({"storage":"local","node":"pve","used":1})")
                                << true;
    QTest::addRow("quorum original backend shape")
        << QByteArray("quorum") << QByteArray(R"({"quorate":true,"nodes":4,"expected":3})") << true;
    QTest::addRow("quorum no quorate")
        << QByteArray("quorum") << QByteArray(R"({"nodes":4})") << false;
    QTest::addRow("quorum quorate 1")
        << QByteArray("quorum") << QByteArray(R"({"quorate":1})") << false;
    QTest::addRow("quorum nameless entry")
        << QByteArray("quorum") << QByteArray(R"({"quorate":true,"nodelist":[{"online":true}]})")
        << false;
    QTest::addRow("quorum nodelist object")
        << QByteArray("quorum") << QByteArray(R"({"quorate":true,"nodelist":{}})") << false;
    QTest::addRow("temperature ok")
        << QByteArray("temperature") << QByteArray(R"({"node":"pve","zones":{"a":1}})") << true;
    QTest::addRow("temperature zones array")
        << QByteArray("temperature") << QByteArray(R"({"node":"pve","zones":[1]})") << false;
}

void TestClusterData::wireStrictness()
{
    QFETCH(QByteArray, kind);
    QFETCH(QByteArray, json);
    QFETCH(bool, valid);

    const QJsonObject o = obj(json.constData());
    bool parsed = false;
    if (kind == "vm")
        parsed = vmFromJson(o).has_value();
    else if (kind == "node")
        parsed = nodeFromJson(o).has_value();
    else if (kind == "storage")
        parsed = storageFromJson(o).has_value();
    else if (kind == "quorum")
        parsed = quorumFromJson(o).has_value();
    else if (kind == "temperature")
        parsed = temperatureFromJson(o).has_value();
    QCOMPARE(parsed, valid);
}

// --- informational -------------------------------------------------------------------------------

// --- direct wire text writers --------------------------------------------------------------------

namespace {

// The `vms` event's data as sio::encode writes it from the QJsonValue tree...
template<typename T> QByteArray encodedViaTree(const QList<T> &list)
{
    jarvis::sio::Packet packet;
    packet.data = QJsonArray {u"vms"_s, toJson(list)};
    return jarvis::sio::encode(packet);
}

// ...and from the direct writer, appended after other text like the service does.
template<typename T> QByteArray encodedDirectly(const QList<T> &list)
{
    QByteArray out = "2[\"vms\",";
    appendJson(out, list);
    out.append(']');
    return out;
}

VmData sampleVm(int vmid)
{
    VmData vm;
    vm.vmid = vmid;
    vm.name = u"guest-%1"_s.arg(vmid);
    vm.node = u"pve1"_s;
    vm.status = u"running"_s;
    vm.cpu = 0.0123;
    vm.maxcpu = 4;
    vm.mem = 1073741824;
    vm.maxmem = 8589934592;
    vm.disk = 0;
    vm.maxdisk = 34359738368;
    vm.uptime = 86400;
    vm.netin = 2456116121;
    vm.netout = 545248946;
    vm.diskread = 4510777856;
    vm.diskwrite = 6059209728;
    return vm;
}

} // namespace

void TestClusterData::directWriterVms_data()
{
    QTest::addColumn<QList<VmData>>("vms");

    QTest::newRow("empty") << QList<VmData>();
    QTest::newRow("one qemu") << QList<VmData> {sampleVm(100)};
    QTest::newRow("defaults") << QList<VmData> {VmData()};

    VmData lxc = sampleVm(101);
    lxc.kind = VmData::Kind::Lxc;
    lxc.lock = u"backup"_s;
    lxc.tags = QStringList {u"prod"_s, u"db"_s, u"backup"_s};
    VmData tagOnly = sampleVm(102);
    tagOnly.tags = QStringList {u"x"_s};
    VmData locked = sampleVm(103);
    locked.lock = u"migrate"_s;
    QTest::newRow("lxc with lock and tags") << QList<VmData> {lxc, tagOnly, locked};

    VmData templ = sampleVm(9000);
    templ.isTemplate = true;
    templ.status = u"stopped"_s;
    templ.cpu = 0;
    templ.uptime = 0;
    VmData lxcTemplate = templ;
    lxcTemplate.vmid = 9001;
    lxcTemplate.kind = VmData::Kind::Lxc;
    QTest::newRow("templates") << QList<VmData> {templ, lxcTemplate};

    QList<VmData> huge;
    const qint64 bigs[] = {qint64(1) << 52, (qint64(1) << 53) - 1, qint64(1) << 53,
        (qint64(1) << 53) + 1, (qint64(1) << 53) + 2, qint64(1) << 60, 999999999999999999,
        std::numeric_limits<qint64>::max(), std::numeric_limits<qint64>::min(), -1,
        -(qint64(1) << 53), 1000000000000000000, 100000000000000000};
    for (qint64 big : bigs) {
        VmData vm = sampleVm(200 + int(huge.size()));
        vm.mem = vm.maxmem = vm.disk = vm.maxdisk = big;
        vm.netin = vm.netout = vm.diskread = vm.diskwrite = vm.uptime = big;
        huge.append(vm);
    }
    VmData extremeInts = sampleVm(std::numeric_limits<int>::max());
    extremeInts.maxcpu = std::numeric_limits<int>::min();
    huge.append(extremeInts);
    QTest::newRow("huge numbers") << huge;

    QList<VmData> fractions;
    const double cpus[] = {0.1, 1e-7, 123.456, 1e-6, 1.5e-7, 0.000001234, 1e21, 1e20, 1.5e21,
        123456789012345680000.0, 5e-324, std::numeric_limits<double>::max(),
        std::numeric_limits<double>::min(), -0.0, -0.1, -1e-7, 1.0 / 3, 2.0 / 3, 100, 1e15 + 0.5,
        0.30000000000000004, 9007199254740993.0, 4.35, 1e100, -1e-100,
        std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
        -std::numeric_limits<double>::infinity()};
    for (double cpu : cpus) {
        VmData vm = sampleVm(300 + int(fractions.size()));
        vm.cpu = cpu;
        fractions.append(vm);
    }
    QTest::newRow("fractional cpu") << fractions;

    VmData unicode = sampleVm(400);
    unicode.name = u"quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f nul "_s + QChar(0)
        + u" unit sep "_s + QChar(0x1f) + u" del "_s + QChar(0x7f) + u" é ü ß € "_s + u"日本語 "_s
        + QString::fromUcs4(U"\U0001F600") + u" lone high "_s + QChar(0xD800) + u" lone low "_s
        + QChar(0xDC00) + u" line sep "_s + QChar(0x2028) + u" bom "_s + QChar(0xFEFF)
        + u" end high"_s + QChar(0xDBFF);
    unicode.node = u"nöde\"1"_s;
    unicode.status = u"\\"_s;
    unicode.tags = QStringList {u"ta\"g"_s, u"ünï"_s, QString(QChar(1)), QString()};
    unicode.lock = u"l\u00f6ck\n"_s;
    VmData empty = sampleVm(401);
    empty.name.clear();
    empty.node.clear();
    empty.status.clear();
    QTest::newRow("unicode and escapes") << QList<VmData> {unicode, empty};

    QList<VmData> many;
    for (int i = 0; i < 5000; ++i) {
        VmData vm = sampleVm(100 + i);
        vm.kind = i % 3 == 0 ? VmData::Kind::Lxc : VmData::Kind::Qemu;
        vm.cpu = (i % 97) / 1000.0;
        vm.mem = qint64(i) * 1048576;
        vm.isTemplate = i % 50 == 0;
        vm.isProtected = i % 11 == 0;
        if (i % 7 == 0)
            vm.tags = QStringList {u"prod"_s, u"db"_s};
        if (i % 100 == 0)
            vm.lock = u"backup"_s;
        many.append(vm);
    }
    QTest::newRow("5000 guests") << many;
}

void TestClusterData::directWriterVms()
{
    QFETCH(QList<VmData>, vms);
    QCOMPARE(encodedDirectly(vms), encodedViaTree(vms));
}

void TestClusterData::directWriterStorage_data()
{
    QTest::addColumn<QList<StorageData>>("storage");

    QTest::newRow("empty") << QList<StorageData>();
    QTest::newRow("defaults") << QList<StorageData> {StorageData()};
    StorageData s;
    s.id = u"storage/pve1/local-zfs"_s;
    s.storage = u"local-zfs"_s;
    s.node = u"pve1"_s;
    s.type = u"zfspool"_s;
    s.status = u"active"_s;
    s.shared = true;
    s.content = u"images,rootdir"_s;
    s.used = 2983723008;
    s.total = std::numeric_limits<qint64>::max();
    s.avail = (qint64(1) << 53) + 1;
    StorageData odd = s;
    odd.storage = u"st\"ör\\age\n"_s + QChar(0xD800);
    odd.shared = false;
    odd.used = -5;
    QTest::newRow("filled") << QList<StorageData> {s, odd};
}

void TestClusterData::directWriterStorage()
{
    QFETCH(QList<StorageData>, storage);
    QCOMPARE(encodedDirectly(storage), encodedViaTree(storage));
}

void TestClusterData::directWriterFixtures()
{
    // Every recorded answer that parses to guests or storage gives the same text both ways.
    const QStringList files =
        QDir(QStringLiteral(JARVIS_FIXTURES_DIR)).entryList({u"*.json"_s}, QDir::Files, QDir::Name);
    QVERIFY(!files.isEmpty());
    qsizetype vms = 0;
    qsizetype storage = 0;
    for (const QString &file : files) {
        const QJsonValue data = readFixture(file).object().value("data"_L1);
        if (!data.isArray())
            continue;
        const ClusterResources r = resourcesFromPve(data.toArray());
        QVERIFY2(encodedDirectly(r.vms) == encodedViaTree(r.vms), qPrintable(file));
        QVERIFY2(encodedDirectly(r.storage) == encodedViaTree(r.storage), qPrintable(file));
        vms += r.vms.size();
        storage += r.storage.size();
    }
    QVERIFY(vms > 0);
    QVERIFY(storage > 0);
}

void TestClusterData::timing5000Guests()
{
    // A /cluster/resources answer: 5000 guests (a third lxc, some tagged/locked), 20 nodes, 60
    // storages and some sdn/pool rows, in PVE's own shapes.
    const QByteArray body = syntheticClusterResources();

    // Best of 7 per stage (the machine may be shared): Qt's text parser, our typed parse, our
    // toJson, Qt's writer for the three lists, and a client reading the guests back.
    const qint64 none = std::numeric_limits<qint64>::max();
    qint64 best[5] = {none, none, none, none, none};
    for (int run = 0; run < 7; ++run) {
        QElapsedTimer timer;
        timer.start();
        const QJsonDocument document = QJsonDocument::fromJson(body);
        const qint64 t0 = timer.nsecsElapsed();
        const ClusterResources r = resourcesFromPve(document.object().value("data"_L1).toArray());
        const qint64 t1 = timer.nsecsElapsed();
        const QJsonArray vms = toJson(r.vms);
        const QJsonArray nodes = toJson(r.nodes);
        const QJsonArray storage = toJson(r.storage);
        const qint64 t2 = timer.nsecsElapsed();
        const QByteArray wire = QJsonDocument(vms).toJson(QJsonDocument::Compact)
            + QJsonDocument(nodes).toJson(QJsonDocument::Compact)
            + QJsonDocument(storage).toJson(QJsonDocument::Compact);
        const qint64 t3 = timer.nsecsElapsed();
        QList<VmData> back;
        back.reserve(vms.size());
        for (const QJsonValue &v : vms) {
            if (std::optional<VmData> vm = vmFromJson(v.toObject()))
                back.append(std::move(*vm));
        }
        const qint64 t4 = timer.nsecsElapsed();
        QCOMPARE(back, r.vms);
        QCOMPARE(r.vms.size(), 5000);
        QCOMPARE(r.nodes.size(), 20);
        QCOMPARE(r.storage.size(), 60);
        QVERIFY(!wire.isEmpty());
        best[0] = std::min(best[0], t0);
        best[1] = std::min(best[1], t1 - t0);
        best[2] = std::min(best[2], t2 - t1);
        best[3] = std::min(best[3], t3 - t2);
        best[4] = std::min(best[4], t4 - t3);
    }
    qInfo("5000 guests, %lld KiB of PVE JSON, best of 7: QJsonDocument::fromJson %.2f ms, "
          "resourcesFromPve %.2f ms, toJson %.2f ms, QJsonDocument::toJson %.2f ms; vmFromJson "
          "%.2f ms",
        qint64(body.size() / 1024), best[0] / 1e6, best[1] / 1e6, best[2] / 1e6, best[3] / 1e6,
        best[4] / 1e6);
}

// --- streaming /cluster/resources reader --------------------------------------------------------

void TestClusterData::streamingFixtures_data()
{
    QTest::addColumn<QString>("file");
    const QStringList files =
        QDir(QStringLiteral(JARVIS_FIXTURES_DIR)).entryList({u"*.json"_s}, QDir::Files, QDir::Name);
    QVERIFY(!files.isEmpty());
    for (const QString &file : files)
        QTest::addRow("%s", qPrintable(file)) << file;
}

void TestClusterData::streamingFixtures()
{
    QFETCH(QString, file);
    QFile f(fixturePath(file));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray body = f.readAll();
    compareStreamingWithQt(body);
    if (QTest::currentTestFailed())
        return;
    // The same answer compact and re-indented reads the same.
    const QJsonDocument document = QJsonDocument::fromJson(body);
    compareStreamingWithQt(document.toJson(QJsonDocument::Compact));
    compareStreamingWithQt(document.toJson(QJsonDocument::Indented));
}

// A string that starts with U+FEFF keeps it, as JSON.parse does (QString::fromUtf8 and Qt's JSON
// parser, which uses it, drop a leading byte order mark even inside a string).
void TestClusterData::streamingKeepsByteOrderMark()
{
    const QByteArray body = "{\"data\":[{\"type\":\"qemu\",\"vmid\":100,\"node\":\"n\","
                            "\"name\":\"\xef\xbb\xbf"
                            "web\"},{\"type\":\"lxc\",\"vmid\":101,"
                            "\"node\":\"n\",\"name\":\"\xef\xbb\xbf\\u0041\"}]}";
    QString error;
    PveBodyStatus status = PveBodyStatus::Ok;
    const std::optional<ClusterResources> streamed = resourcesFromPveJson(body, &error, &status);
    QVERIFY2(streamed, qPrintable(error));
    QCOMPARE(streamed->vms.size(), 2);
    const QChar bom(0xfeff);
    QCOMPARE(streamed->vms.at(0).name, QString(bom) + "web"_L1);
    QCOMPARE(streamed->vms.at(1).name, QString(bom) + "A"_L1);
}

void TestClusterData::streamingCases_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status"); // PveBodyStatus
    QTest::addColumn<int>("vms");
    QTest::addColumn<int>("nodes");
    QTest::addColumn<int>("storage");
    const int ok = int(PveBodyStatus::Ok);
    const int bad = int(PveBodyStatus::Malformed);
    const int noData = int(PveBodyStatus::NoData);
    const int notArray = int(PveBodyStatus::DataNotArray);
    auto row = [](const char *name, const QByteArray &body, int status, int vms = 0, int nodes = 0,
                   int storage = 0) {
        QTest::newRow(name) << body << status << vms << nodes << storage;
    };

    // lenient values
    row("strings as numbers",
        R"({"data":[{"type":"qemu","vmid":"105","node":"pve1","name":106,"cpu":"0.5","maxcpu":"4",
        "mem":"1.6e3","maxmem":" 2048 ","template":"1","uptime":12.7,"netin":true}]})",
        ok, 1);
    row("booleans and tags",
        R"({"data":[{"type":"lxc","vmid":200,"node":"n","template":"yes","tags":"a;b,c+d e",
        "lock":" backup "},{"type":"qemu","vmid":201,"node":"n","template":0,
        "tags":["x;y",["z"],{"w":1},7,"v"]},{"type":"qemu","vmid":202,"node":"n","tags":5}]})",
        ok, 3);
    row("ids only", R"({"data":[{"type":"lxc","id":"lxc/300","node":"n"},
        {"type":"qemu","id":"qemu/301","node":"n"},{"type":"qemu","id":"lxc/302","node":"n"},
        {"type":"node","id":"node/pve3","status":"ONLINE","loadavg":["0.1",0.2,"0.3"]},
        {"type":"storage","id":"storage/pve1/local","status":"available"}]})",
        ok, 2, 1, 1);
    row("missing identity", R"({"data":[{"type":"qemu","node":"n"},{"type":"qemu","vmid":0,
        "node":"n"},{"type":"qemu","vmid":5},{"type":"node"},{"type":"storage","storage":"s"},
        {"type":"qemu","vmid":"x","node":"n"},{"type":"qemu","vmid":4294967296,"node":"n"}]})",
        ok);
    row("offline node zeroed", R"({"data":[{"type":"node","node":"n1","status":"offline",
        "cpu":0.5,"maxcpu":8,"mem":5,"loadavg":[1,2,3]},{"type":"node","node":"n2",
        "status":"weird","cpu":"0.25","loadavg":[1,"x",3]},{"type":"node","name":"n3",
        "online":1}]})",
        ok, 0, 3);
    row("storage shapes", R"({"data":[{"type":"storage","storage":"a","node":"n",
        "status":"active","shared":"1","content":["images","rootdir",5,null],"disk":"100",
        "maxdisk":50},{"type":"storage","storage":"b","node":"n","active":1,"shared":true,
        "content":"iso","plugintype":"nfs"},{"type":"storage","storage":"c","node":"n",
        "status":"unknown","disk":10,"maxdisk":"1e3"}]})",
        ok, 0, 0, 3);
    row("foreign rows", R"({"data":[1,"x",null,true,[],[{"type":"qemu"}],{"type":"pool"},
        {"type":"sdn","node":"n"},{"type":5,"vmid":1,"node":"n"},{"vmid":1,"node":"n"},
        {"type":null}]})",
        ok);
    row("duplicate keys: last wins", R"({"data":[{"type":"qemu","vmid":1,"vmid":2,"node":"a",
        "name":"first","name":"second","tags":"x","tags":null,"type":"lxc"}]})",
        ok, 1);
    row("duplicate data: last wins",
        R"({"data":[{"type":"qemu","vmid":1,"node":"a"}],"data":[{"type":"qemu","vmid":2,
        "node":"b"},{"type":"qemu","vmid":3,"node":"b"}]})",
        ok, 2);
    row("escapes",
        QByteArray(R"({"d\u0061ta":[{"t\u0079pe":"qemu","vmid":7,"node":"n\u00e9",)"
                   R"("name":"\ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t \x \ud800 end",)"
                   R"("st\u0061tus":"r\u0075nning","lock":"\u0020 b \u0009"}]})"),
        ok, 1);
    row("raw UTF-8 and control characters",
        QByteArray("{\"data\":[{\"type\":\"qemu\",\"vmid\":8,\"node\":\"n\xc3\xa9\",\"name\":\"a\tb"
                   "\x01\xe2\x82\xac\xf0\x9f\x98\x80\",\"tags\":\"\xc3\xa9;x\"}]}"),
        ok, 1);
    row("numbers", R"({"data":[{"type":"qemu","vmid":9,"node":"n","cpu":1.0,"maxcpu":1e1,
        "mem":-0,"maxmem":99999999999999999999,"disk":9223372036854775807,
        "maxdisk":-9223372036854775808,"uptime":1.5e3,"netin":0.000001,"netout":1.,
        "diskread":1.e2,"diskwrite":123456789012345678}]})",
        ok, 1);
    row("whitespace and BOM",
        QByteArray("\xef\xbb\xbf \r\n\t{ \"data\" : [ { \"type\" : \"qemu\" ,"
                   " \"vmid\" : 10 , \"node\" : \"n\" } ] } \n"),
        ok, 1);
    row("other members", R"({"message":"x","errors":{"a":[1,{"b":null}]},"data":[],"x":1})", ok);
    row("empty data", R"({"data":[]})", ok);
    row("data object", R"({"data":{"type":"qemu"}})", notArray);
    row("data null", R"({"data":null})", notArray);
    row("data string", R"({"data":"[]"})", notArray);
    row("no data", R"({"errors":{"x":"y"}})", noData);
    row("empty object", "{}", noData);
    row("top-level array", R"([{"data":[]}])", noData);
    row("empty", "", bad);
    row("blank", " \n", bad);
    row("scalar", "1", bad);
    row("string", R"("data")", bad);
    row("unterminated object", R"({"data":[])", bad);
    row("unterminated array", R"({"data":[{"type":"qemu"})", bad);
    row("unterminated string", R"({"data":[{"type":"qemu}]})", bad);
    row("trailing comma in array", R"({"data":[1,]})", bad);
    row("trailing comma in object", R"({"data":[],})", bad);
    row("missing colon", R"({"data" []})", bad);
    row("missing comma", R"({"data":[1 2]})", bad);
    row("bad literal", R"({"data":[tru]})", bad);
    row("bad literal 2", R"({"data":[nul,1]})", bad);
    row("bad unicode escape", R"({"data":["\u12x4"]})", bad);
    row("short unicode escape", R"({"data":["\u12"]})", bad);
    row("invalid UTF-8", QByteArray("{\"data\":[\"\xff\"]}"), bad);
    row("overlong UTF-8", QByteArray("{\"data\":[\"\xc0\xaf\"]}"), bad);
    row("encoded surrogate", QByteArray("{\"data\":[\"\xed\xa0\x80\"]}"), bad);
    row("beyond U+10FFFF", QByteArray("{\"data\":[\"\xf4\x90\x80\x80\"]}"), bad);
    row("truncated UTF-8", QByteArray("{\"data\":[\"\xe2\x82\"]}"), bad);
    row("leading zero", R"({"data":[01]})", bad);
    row("lone minus", R"({"data":[-]})", bad);
    row("bad exponent", R"({"data":[1e]})", bad);
    row("leading dot (Qt accepts it)", R"({"data":[.5]})", ok);
    row("huge exponent", R"({"data":[1e400]})", bad);
    row("garbage at end", R"({"data":[]} x)", bad);
    row("two documents", R"({"data":[]}{})", bad);
    row("single quotes", R"({'data':[]})", bad);
    row("NUL byte", QByteArray("{\"data\":[]}\0", 12), bad);
}

void TestClusterData::streamingCases()
{
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(int, vms);
    QFETCH(int, nodes);
    QFETCH(int, storage);
    compareStreamingWithQt(body);
    if (QTest::currentTestFailed())
        return;
    QString error;
    PveBodyStatus actual = PveBodyStatus::Ok;
    const std::optional<ClusterResources> r = resourcesFromPveJson(body, &error, &actual);
    QCOMPARE(int(actual), status);
    QCOMPARE(r.has_value(), actual == PveBodyStatus::Ok);
    if (r) {
        QCOMPARE(r->vms.size(), vms);
        QCOMPARE(r->nodes.size(), nodes);
        QCOMPARE(r->storage.size(), storage);
    } else {
        QVERIFY(!error.isEmpty());
    }
}

void TestClusterData::streamingSynthetic5000()
{
    const QByteArray body = syntheticClusterResources();
    compareStreamingWithQt(body);
    if (QTest::currentTestFailed())
        return;
    const std::optional<ClusterResources> r = resourcesFromPveJson(body);
    QVERIFY(r);
    QCOMPARE(r->vms.size(), 5000);
    QCOMPARE(r->nodes.size(), 20);
    QCOMPARE(r->storage.size(), 60);

    // The same answer with PVE's lenient variants: numbers as strings, 0/1 as strings, escapes.
    QByteArray variant = body;
    variant.replace(R"("maxcpu":4,)", R"("maxcpu":"4",)");
    variant.replace(R"("template":0)", R"("template":"0")");
    variant.replace(R"("status":"running")", R"("status":"r\u0075nning")");
    variant.replace(R"("name":"guest-1)", R"("name":"g\u00fcest-1)");
    compareStreamingWithQt(variant);

    // Informational: best of 5, Qt's document + resourcesFromPve against the streaming reader.
    qint64 qt = std::numeric_limits<qint64>::max();
    qint64 streaming = qt;
    for (int run = 0; run < 5; ++run) {
        QElapsedTimer timer;
        timer.start();
        const ClusterResources a =
            resourcesFromPve(QJsonDocument::fromJson(body).object().value("data"_L1).toArray());
        const qint64 t0 = timer.nsecsElapsed();
        const std::optional<ClusterResources> b = resourcesFromPveJson(body);
        const qint64 t1 = timer.nsecsElapsed();
        QCOMPARE(a.vms.size(), b->vms.size());
        qt = std::min(qt, t0);
        streaming = std::min(streaming, t1 - t0);
    }
    qInfo("%lld bytes: QJsonDocument + resourcesFromPve %.1f ms, resourcesFromPveJson %.1f ms",
        qlonglong(body.size()), double(qt) / 1e6, double(streaming) / 1e6);
}

void TestClusterData::streamingDeepNesting()
{
    // Qt's limit is 1024 levels: the top object and `data` plus 1022 arrays pass, one more fails.
    for (int extra : {1021, 1022, 1023, 5000, 100000}) {
        const QByteArray body =
            R"({"data":[)" + QByteArray(extra, '[') + QByteArray(extra, ']') + "]}";
        compareStreamingWithQt(body);
        if (QTest::currentTestFailed())
            return;
        // Nested objects inside a row as well.
        QByteArray objects = R"({"data":[{"type":"qemu","vmid":1,"node":"n","x":)";
        for (int i = 0; i < extra; ++i)
            objects += R"({"a":)";
        objects += "1" + QByteArray(extra, '}') + "}]}";
        compareStreamingWithQt(objects);
        if (QTest::currentTestFailed())
            return;
    }
    // Unterminated deep input.
    compareStreamingWithQt(R"({"data":[)" + QByteArray(100000, '['));
}

void TestClusterData::streamingHostileInputs()
{
    const QList<QByteArray> seeds = {
        R"({"data":[{"type":"qemu","vmid":"105","node":"pve1","name":"a\"b\u00e9","cpu":0.5,)"
        R"("tags":"x;y","template":1,"lock":"backup"},{"type":"node","node":"pve1",)"
        R"("status":"online","loadavg":["0.1",0.2,3],"maxcpu":8},{"type":"storage",)"
        R"("id":"storage/pve1/local","status":"available","content":["images","iso"],)"
        R"("disk":1e3,"maxdisk":-2.5}]})",
        R"({"data":[{"type":"lxc","id":"lxc/200","node":"n","tags":["a",["b"],{"c":null}],)"
        R"("uptime":12345678901234567890,"mem":-0,"netin":1.,"shared":true,"x":false}]})",
        R"( {"message":"m","data":[1,"s",null,[true,false],{"type":"sdn"}],"errors":{}} )",
        QByteArray("\xef\xbb\xbf{\"data\":[{\"type\":\"qemu\",\"vmid\":1,\"node\":\"\xc3\xa9"
                   "\xf0\x9f\x98\x80\\ud83d\\ude00\"}]}"),
        R"({"data":{"type":"qemu"},"data":[]})",
    };
    HostileInput hostile(20251128, R"({}[]":,.-+eE0123456789\ntrufalsebu "xdaty)", seeds, 80);
    int accepted = 0;
    for (int round = 0; round < 6000; ++round) {
        const QByteArray body = hostile.next(round);
        compareStreamingWithQt(body);
        if (QTest::currentTestFailed()) {
            qWarning("round %d", round);
            return;
        }
        accepted += resourcesFromPveJson(body).has_value() ? 1 : 0;
    }
    // The mutations keep a fair share of the inputs valid, so both branches were exercised.
    QVERIFY2(accepted > 100, qPrintable(QString::number(accepted)));
}

// `protected` (jarvisd's safety config, not Proxmox's): a boolean both ways; a client reading an
// older server's payload without it gets false; anything but a boolean is refused.
void TestClusterData::protectedFlag()
{
    NodeData node;
    node.node = u"pve3"_s;
    node.isProtected = true;
    QCOMPARE(toJson(node).value("protected"_L1), QJsonValue(true));
    QCOMPARE(nodeFromJson(toJson(node)), std::optional<NodeData>(node));
    QJsonObject old = toJson(node);
    old.remove("protected"_L1);
    QCOMPARE(nodeFromJson(old)->isProtected, false);
    old.insert("protected"_L1, u"yes"_s);
    QVERIFY(!nodeFromJson(old));

    VmData vm = sampleVm(105);
    vm.isProtected = true;
    QCOMPARE(toJson(vm).value("protected"_L1), QJsonValue(true));
    QCOMPARE(vmFromJson(toJson(vm)), std::optional<VmData>(vm));
    QCOMPARE(encodedDirectly(QList<VmData> {vm}), encodedViaTree(QList<VmData> {vm}));
    old = toJson(vm);
    old.remove("protected"_L1);
    QCOMPARE(vmFromJson(old)->isProtected, false);
    old.insert("protected"_L1, 1);
    QVERIFY(!vmFromJson(old));
    // Proxmox knows nothing of it: parsing its rows never sets it.
    QVERIFY(
        !vmFromPve(obj(R"({"type":"qemu","vmid":105,"node":"pve","protected":1})"))->isProtected);
}

QTEST_GUILESS_MAIN(TestClusterData)
#include "tst_clusterdata.moc"
