// The console's list models (console/models/) under QAbstractItemModelTester (Fatal: any
// inconsistency between a signal and the model's state aborts the test), fed the recorded
// Proxmox answers of tests/fixtures/pve turned into the wire payloads jarvisd sends (the
// project's own reader, proxmox::resourcesFromPveJson, then model::toJson), then changed
// snapshots. Every test checks the exact signals a snapshot produced, in order (never a reset),
// and the values the roles give.
#include "core/clock.h"
#include "heap.h"
#include "model/clusterdata.h"
#include "models/eventlogmodel.h"
#include "models/guestfiltermodel.h"
#include "models/guestlistmodel.h"
#include "models/nodelistmodel.h"
#include "models/storagelistmodel.h"
#include "proxmox/pvereader.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

#include <cmath>
#include <cstdlib>
#include <cstring>
#if !defined(__SANITIZE_ADDRESS__)
#include <malloc.h>
#endif
#include <functional>
#include <limits>
#include <memory>

using namespace jarvis;
using namespace Qt::Literals::StringLiterals;
using console::EventLogModel;
using console::GuestFilterModel;
using console::GuestListModel;
using console::NodeListModel;
using console::StorageListModel;
using model::NodeData;
using model::StorageData;
using model::VmData;

namespace {

// The recorded /cluster/resources answers, read as jarvisd reads them.
struct Recorded
{
    QList<NodeData> nodes;
    QList<VmData> vms;
    QList<StorageData> storage;
};

proxmox::ClusterResources readFixture(const QString &name)
{
    QFile file(QStringLiteral(JARVIS_FIXTURES_DIR) + u'/' + name);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read fixture %s", qPrintable(name));
    QString error;
    const std::optional<proxmox::ClusterResources> r =
        proxmox::resourcesFromPveJson(file.readAll(), &error);
    if (!r)
        qFatal("fixture %s: %s", qPrintable(name), qPrintable(error));
    return *r;
}

Recorded recorded()
{
    Recorded out;
    out.nodes = readFixture(QStringLiteral("cluster_resources_node.json")).nodes;
    out.vms = readFixture(QStringLiteral("cluster_resources_vm.json")).vms;
    out.storage = readFixture(QStringLiteral("cluster_resources_storage.json")).storage;
    return out;
}

// Every structural and data signal of a model, in order, as text: "insert 0 2", "remove 1 1",
// "move 2 2 0", "changed 0 1 cpu,mem" (role names in the order the model gave them), "reset",
// "layout".
class SignalLog
{
public:
    explicit SignalLog(QAbstractItemModel *model)
    {
        const QHash<int, QByteArray> names = model->roleNames();
        QObject::connect(model, &QAbstractItemModel::rowsInserted, &m_guard,
            [this](const QModelIndex &, int first, int last) {
                m_log << QStringLiteral("insert %1 %2").arg(first).arg(last);
            });
        QObject::connect(model, &QAbstractItemModel::rowsRemoved, &m_guard,
            [this](const QModelIndex &, int first, int last) {
                m_log << QStringLiteral("remove %1 %2").arg(first).arg(last);
            });
        QObject::connect(model, &QAbstractItemModel::rowsMoved, &m_guard,
            [this](const QModelIndex &, int first, int last, const QModelIndex &, int to) {
                m_log << QStringLiteral("move %1 %2 %3").arg(first).arg(last).arg(to);
            });
        QObject::connect(model, &QAbstractItemModel::dataChanged, &m_guard,
            [this, names](const QModelIndex &a, const QModelIndex &b, const QList<int> &roles) {
                QStringList r;
                for (int role : roles)
                    r << QString::fromLatin1(names.value(role, QByteArray::number(role)));
                m_log << QStringLiteral("changed %1 %2 %3")
                             .arg(a.row())
                             .arg(b.row())
                             .arg(r.join(u','));
            });
        QObject::connect(model, &QAbstractItemModel::modelReset, &m_guard,
            [this] { m_log << QStringLiteral("reset"); });
        QObject::connect(model, &QAbstractItemModel::layoutChanged, &m_guard,
            [this] { m_log << QStringLiteral("layout"); });
    }

    QStringList take() { return std::exchange(m_log, {}); }

private:
    QObject m_guard;
    QStringList m_log;
};

QJsonArray wire(const QList<NodeData> &nodes)
{
    return model::toJson(nodes);
}
QJsonArray wire(const QList<VmData> &vms)
{
    return model::toJson(vms);
}
QJsonArray wire(const QList<StorageData> &storage)
{
    return model::toJson(storage);
}

QVariant value(const QAbstractItemModel &m, int row, const char *role)
{
    const int r = m.roleNames().key(role, -1);
    if (r < 0)
        qFatal("no role %s", role);
    return m.data(m.index(row, 0), r);
}

QList<int> vmidsOf(const QAbstractItemModel &m)
{
    QList<int> out;
    for (int i = 0; i < m.rowCount(); ++i)
        out << value(m, i, "vmid").toInt();
    return out;
}

VmData guest(int vmid, const QString &name, const QString &node, const QString &status)
{
    VmData g;
    g.vmid = vmid;
    g.name = name;
    g.node = node;
    g.status = status;
    g.maxmem = 1 << 30;
    g.mem = status == QLatin1String("running") ? 1 << 29 : 0;
    g.cpu = status == QLatin1String("running") ? 0.25 : 0;
    return g;
}

struct Tested
{
    explicit Tested(QAbstractItemModel *model)
        : tester(model, QAbstractItemModelTester::FailureReportingMode::Fatal)
        , log(model)
        , resets(model, &QAbstractItemModel::modelReset)
        , inserted(model, &QAbstractItemModel::rowsInserted)
        , removed(model, &QAbstractItemModel::rowsRemoved)
        , changed(model, &QAbstractItemModel::dataChanged)
    { }
    QAbstractItemModelTester tester;
    SignalLog log;
    QSignalSpy resets;
    QSignalSpy inserted;
    QSignalSpy removed;
    QSignalSpy changed;
};

} // namespace

class TestConsoleModels : public QObject
{
    Q_OBJECT

private slots:
    void nodesRecordedSnapshot();
    void nodesDiff();
    void nodesSparklines();
    void nodesHistory_data();
    void nodesHistory();
    void nodesHistoryExtend();
    void nodesHistoryReconnect_data();
    void nodesHistoryReconnect();
    void nodesTemperatures();
    void nodesBadRows();

    void guestsRecordedSnapshot();
    void guestsDiff_data();
    void guestsDiff();
    void guestsBadText();
    void guestsReorder();
    void guestsBadRows_data();
    void guestsBadRows();
    void actions_data();
    void actions();
    void actionsFollowSnapshots();
    void busy();
    void protectedNodeWording();

    void filterAndSearch();
    void searchAnyCase_data();
    void searchAnyCase();
    void sorting_data();
    void sorting();
    void filterFollowsSnapshots();

    void storageRecordedSnapshot();
    void storageDiff();

    void fractions_data();
    void fractions();

    void eventLog();
    void eventLogBadEvents_data();
    void eventLogBadEvents();

    void heapKeptForSnapshots();
};

// ---- nodes ---------------------------------------------------------------------------------

void TestConsoleModels::nodesRecordedSnapshot()
{
    const Recorded rec = recorded();
    QCOMPARE(rec.nodes.size(), 2);
    NodeListModel nodes;
    Tested t(&nodes);
    QSignalSpy count(&nodes, &NodeListModel::countChanged);
    QSignalSpy online(&nodes, &NodeListModel::onlineCountChanged);

    nodes.applyNodes(wire(rec.nodes));
    QCOMPARE(t.log.take(), QStringList {QStringLiteral("insert 0 1")});
    QCOMPARE(nodes.count(), 2);
    QCOMPARE(count.size(), 1);
    QCOMPARE(nodes.onlineCount(), 2);
    QCOMPARE(online.size(), 1);
    for (int i = 0; i < rec.nodes.size(); ++i) {
        const NodeData &n = rec.nodes.at(i);
        QCOMPARE(value(nodes, i, "name").toString(), n.node);
        QCOMPARE(value(nodes, i, "status").toString(), n.status);
        QCOMPARE(value(nodes, i, "online").toBool(), n.status == QLatin1String("online"));
        QCOMPARE(value(nodes, i, "cpu").toDouble(), n.cpu);
        QCOMPARE(value(nodes, i, "maxcpu").toInt(), n.maxcpu);
        QCOMPARE(value(nodes, i, "mem").toLongLong(), n.mem);
        QCOMPARE(value(nodes, i, "maxmem").toLongLong(), n.maxmem);
        QCOMPARE(value(nodes, i, "memFraction").toDouble(), double(n.mem) / double(n.maxmem));
        QCOMPARE(value(nodes, i, "diskFraction").toDouble(), double(n.disk) / double(n.maxdisk));
        QCOMPARE(value(nodes, i, "uptime").toLongLong(), n.uptime);
        QCOMPARE(value(nodes, i, "isProtected").toBool(), false);
        QCOMPARE(value(nodes, i, "hasTemperature").toBool(), false);
        QVERIFY(std::isnan(value(nodes, i, "hottest").toDouble()));
        QCOMPARE(value(nodes, i, "cpuHistory").toList(), QVariantList {n.cpu});
        QCOMPARE(value(nodes, i, "memHistory").toList(),
            QVariantList {double(n.mem) / double(n.maxmem)});
    }
    QCOMPARE(nodes.get(rec.nodes.at(0).node).value(QStringLiteral("name")).toString(),
        rec.nodes.at(0).node);
    QVERIFY(nodes.get(QStringLiteral("nope")).isEmpty());
    QCOMPARE(t.resets.size(), 0);
}

void TestConsoleModels::nodesDiff()
{
    QList<NodeData> list = recorded().nodes;
    core::ManualClock clock;
    NodeListModel nodes;
    nodes.setClock(&clock);
    Tested t(&nodes);
    nodes.applyNodes(wire(list));
    t.log.take();
    QSignalSpy count(&nodes, &NodeListModel::countChanged);
    QSignalSpy online(&nodes, &NodeListModel::onlineCountChanged);
    QSignalSpy protectedNodes(&nodes, &NodeListModel::protectedNodesChanged);

    // The same snapshot again, in the same second: not a new sample, nothing changes.
    nodes.applyNodes(wire(list));
    QCOMPARE(t.log.take(), QStringList());

    // The same snapshot at the next poll: only the sparklines move (one signal for both rows).
    clock.advance(10000);
    nodes.applyNodes(wire(list));
    QCOMPARE(t.log.take(),
        QStringList {QStringLiteral("changed 0 1 cpuHistory,memHistory,historyTimes")});

    // One node's CPU changes: that row's cpu, plus the sparklines of both.
    list[1].cpu = 0.5;
    clock.advance(10000);
    nodes.applyNodes(wire(list));
    QCOMPARE(t.log.take(),
        (QStringList {QStringLiteral("changed 0 0 cpuHistory,memHistory,historyTimes"),
            QStringLiteral("changed 1 1 cpu,cpuHistory,memHistory,historyTimes")}));
    QCOMPARE(value(nodes, 1, "cpu").toDouble(), 0.5);

    // The first goes offline (its numbers are 0 on the wire) and becomes protected.
    list[0].status = QStringLiteral("offline");
    list[0].cpu = 0;
    list[0].mem = 0;
    list[0].isProtected = true;
    clock.advance(10000);
    nodes.applyNodes(wire(list));
    QCOMPARE(t.log.take(),
        (QStringList {QStringLiteral("changed 0 0 status,online,cpu,mem,memFraction,isProtected,"
                                     "cpuHistory,memHistory,historyTimes"),
            QStringLiteral("changed 1 1 cpuHistory,memHistory,historyTimes")}));
    QCOMPARE(nodes.onlineCount(), 1);
    QCOMPARE(online.size(), 1);
    QCOMPARE(nodes.protectedNodes(), QStringList {list[0].node});
    QCOMPARE(protectedNodes.size(), 1);

    // A new node (sorted first by jarvisd) and one removed.
    NodeData pve0 = list[1];
    pve0.node = QStringLiteral("node0");
    const QList<NodeData> next {pve0, list[0]};
    clock.advance(10000);
    nodes.applyNodes(wire(next));
    QCOMPARE(t.log.take(),
        (QStringList {QStringLiteral("remove 1 1"), QStringLiteral("insert 0 0"),
            QStringLiteral("changed 1 1 cpuHistory,memHistory,historyTimes")}));
    QCOMPARE(value(nodes, 0, "name").toString(), QStringLiteral("node0"));
    QCOMPARE(value(nodes, 0, "cpuHistory").toList().size(), 1); // a new node's own history
    QCOMPARE(value(nodes, 1, "cpuHistory").toList().size(), 5);
    QCOMPARE(value(nodes, 1, "historyTimes").toList().size(), 5);
    QCOMPARE(count.size(), 0); // 2 rows before and after

    // An empty snapshot removes everything, in one signal.
    nodes.applyNodes(QJsonArray());
    QCOMPARE(t.log.take(), QStringList {QStringLiteral("remove 0 1")});
    QCOMPARE(count.size(), 1);
    QCOMPARE(nodes.onlineCount(), 0);
    QCOMPARE(t.resets.size(), 0);
}

void TestConsoleModels::nodesSparklines()
{
    // Without a history: live samples only, one per poll, the last hour of them.
    QList<NodeData> list = recorded().nodes;
    list[0].maxmem = 1000;
    core::ManualClock clock;
    NodeListModel nodes;
    nodes.setClock(&clock);
    Tested t(&nodes);
    const qint64 start = clock.now().toSecsSinceEpoch();
    const int polls = 400; // 10 s apart: 4000 s, more than the hour
    for (int i = 0; i < polls; ++i) {
        if (i)
            clock.advance(10000);
        list[0].cpu = (i % 100) / 100.0;
        list[0].mem = 10 * (i % 100);
        // the second node is offline for the last 5 polls: those samples are gaps
        list[1].status = i >= polls - 5 ? QStringLiteral("offline") : QStringLiteral("online");
        nodes.applyNodes(wire(list));
    }
    const qint64 now = clock.now().toSecsSinceEpoch();
    const QVariantList times = value(nodes, 0, "historyTimes").toList();
    const QVariantList cpu = value(nodes, 0, "cpuHistory").toList();
    const QVariantList mem = value(nodes, 0, "memHistory").toList();
    const int kept = NodeListModel::HistorySeconds / 10; // (now - 3600, now]
    QCOMPARE(times.size(), kept);
    QCOMPARE(cpu.size(), kept);
    QCOMPARE(mem.size(), kept);
    QCOMPARE(times.constLast().toLongLong(), now);
    QVERIFY(times.constFirst().toLongLong() > now - NodeListModel::HistorySeconds);
    for (int k = 0; k < kept; ++k) {
        const int i = polls - kept + k; // oldest first
        QCOMPARE(times.at(k).toLongLong(), start + 10 * i);
        QCOMPARE(cpu.at(k).toDouble(), (i % 100) / 100.0);
        QCOMPARE(mem.at(k).toDouble(), 10.0 * (i % 100) / 1000.0);
    }
    const QVariantList other = value(nodes, 1, "cpuHistory").toList();
    QCOMPARE(other.size(), kept);
    for (int k = kept - 5; k < kept; ++k)
        QVERIFY(std::isnan(other.at(k).toDouble()));
    QVERIFY(other.at(0).toDouble() > 0.0);
    QCOMPARE(t.resets.size(), 0);
}

namespace {

// A HistorySeries as jarvisd sends it: `n` samples `step` s apart ending at `last`, cpu
// i/100, mem i MiB of 100 MiB; `nullAt` samples are null.
QJsonObject historySeries(
    const QString &node, qint64 last, int n, int step = 10, const QList<int> &nullAt = {})
{
    QJsonArray t, cpu, mem, zeros;
    for (int i = 0; i < n; ++i) {
        t.append(last - qint64(step) * (n - 1 - i));
        const bool gap = nullAt.contains(i);
        cpu.append(gap ? QJsonValue() : QJsonValue((i % 100) / 100.0));
        mem.append(gap ? QJsonValue() : QJsonValue(double(i % 100) * (1 << 20)));
        zeros.append(0);
    }
    return {{QStringLiteral("id"), QStringLiteral("node/") + node}, {QStringLiteral("node"), node},
        {QStringLiteral("range"), QStringLiteral("hour")}, {QStringLiteral("t"), t},
        {QStringLiteral("cpu"), cpu}, {QStringLiteral("mem"), mem},
        {QStringLiteral("maxmem"), 100.0 * (1 << 20)}, {QStringLiteral("netin"), zeros},
        {QStringLiteral("netout"), zeros}, {QStringLiteral("diskread"), zeros},
        {QStringLiteral("diskwrite"), zeros}, {QStringLiteral("temperature"), zeros}};
}

QJsonObject historyEvent(const QJsonArray &series)
{
    return {{QStringLiteral("range"), QStringLiteral("hour")}, {QStringLiteral("series"), series}};
}

// A series role as text, NaN as "gap": QVariant(NaN) never equals itself.
QStringList samples(const QAbstractItemModel &m, int row, const char *role)
{
    QStringList out;
    for (const QVariant &v : value(m, row, role).toList())
        out << (std::isnan(v.toDouble()) ? QStringLiteral("gap") : QString::number(v.toDouble()));
    return out;
}

constexpr qint64 ClockStart = 1750000000; // ManualClock's default start

} // namespace

// The `history` event seeds the sparklines (the nodes already in the model: jarvisd sends it
// after the first snapshots): the series replace each node's samples; an unknown node, a
// malformed series or payload changes nothing and crashes nothing.
void TestConsoleModels::nodesHistory_data()
{
    const QList<NodeData> rec = recorded().nodes;
    const QString a = rec.at(0).node;
    const QString b = rec.at(1).node;
    const qint64 now = ClockStart;
    QTest::addColumn<QJsonValue>("payload");
    QTest::addColumn<int>("samplesA"); // row 0's samples after (1: only its live one)
    QTest::addColumn<int>("samplesB");
    QTest::addColumn<QStringList>("changes");

    const QString both = QStringLiteral("changed 0 0 cpuHistory,memHistory,historyTimes");
    const QString second = QStringLiteral("changed 1 1 cpuHistory,memHistory,historyTimes");
    QTest::newRow("both nodes, a full hour")
        << QJsonValue(historyEvent({historySeries(a, now, 360), historySeries(b, now, 360)})) << 360
        << 360 << QStringList {both, second};
    QTest::newRow("older than the hour dropped (a day at 1/min)")
        << QJsonValue(historyEvent({historySeries(a, now, 1440, 60)})) << 60 << 1
        << QStringList {both};
    QTest::newRow("nulls kept as gaps")
        << QJsonValue(historyEvent({historySeries(a, now, 10, 10, {0, 5, 9})})) << 10 << 1
        << QStringList {both};
    QTest::newRow("an unknown node ignored, the known one seeded") << QJsonValue(
        historyEvent({historySeries(QStringLiteral("ghost"), now, 50), historySeries(b, now, 20)}))
                                                                   << 1 << 20
                                                                   << QStringList {second};
    QTest::newRow("only an unknown node: nothing")
        << QJsonValue(historyEvent({historySeries(QStringLiteral("ghost"), now, 50)})) << 1 << 1
        << QStringList();
    QTest::newRow("a repeated node: the first series")
        << QJsonValue(historyEvent({historySeries(a, now, 30), historySeries(a, now, 40)})) << 30
        << 1 << QStringList {both};
    QTest::newRow("an empty series empties the sparkline")
        << QJsonValue(historyEvent({historySeries(a, now, 0)})) << 0 << 1 << QStringList {both};

    // Malformed: nothing changes.
    auto bad = [&](const char *name, const QJsonValue &payload) {
        QTest::newRow(name) << payload << 1 << 1 << QStringList();
    };
    auto broken = [&](const char *name, const std::function<void(QJsonObject &)> &edit) {
        QJsonObject s = historySeries(a, now, 20);
        edit(s);
        bad(name, historyEvent({s}));
    };
    bad("not an object", QJsonValue(QStringLiteral("history")));
    bad("an array", QJsonValue(QJsonArray {historySeries(a, now, 20)}));
    bad("null", QJsonValue());
    bad("no series", QJsonValue(QJsonObject {{QStringLiteral("range"), QStringLiteral("hour")}}));
    bad("series not an array", QJsonValue(QJsonObject {{QStringLiteral("series"), 3}}));
    bad("range day",
        QJsonValue(QJsonObject {{QStringLiteral("range"), QStringLiteral("day")},
            {QStringLiteral("series"), QJsonArray {historySeries(a, now, 20)}}}));
    bad("series rows not objects",
        QJsonValue(historyEvent(
            {1, QStringLiteral("x"), QJsonValue(), QJsonArray {historySeries(a, now, 20)}})));
    broken("times not increasing", [](QJsonObject &s) {
        QJsonArray t = s.value(QStringLiteral("t")).toArray();
        t.replace(5, t.at(4));
        s.insert(QStringLiteral("t"), t);
    });
    broken("times going back", [](QJsonObject &s) {
        QJsonArray t = s.value(QStringLiteral("t")).toArray();
        t.replace(5, t.at(4).toDouble() - 100);
        s.insert(QStringLiteral("t"), t);
    });
    broken("a time that is a string", [](QJsonObject &s) {
        QJsonArray t = s.value(QStringLiteral("t")).toArray();
        t.replace(3, QStringLiteral("1750000000"));
        s.insert(QStringLiteral("t"), t);
    });
    broken("a fractional time", [](QJsonObject &s) {
        QJsonArray t = s.value(QStringLiteral("t")).toArray();
        t.replace(19, t.at(19).toDouble() + 0.5);
        s.insert(QStringLiteral("t"), t);
    });
    broken("cpu shorter than t", [](QJsonObject &s) {
        QJsonArray c = s.value(QStringLiteral("cpu")).toArray();
        c.removeLast();
        s.insert(QStringLiteral("cpu"), c);
    });
    broken("mem longer than t", [](QJsonObject &s) {
        QJsonArray m = s.value(QStringLiteral("mem")).toArray();
        m.append(1);
        s.insert(QStringLiteral("mem"), m);
    });
    broken("no cpu", [](QJsonObject &s) { s.remove(QStringLiteral("cpu")); });
    broken("mem not an array", [](QJsonObject &s) { s.insert(QStringLiteral("mem"), 5); });
    broken("netin of another length", [](QJsonObject &s) {
        s.insert(QStringLiteral("netin"), QJsonArray {1, 2});
    });
    broken("temperature not an array",
        [](QJsonObject &s) { s.insert(QStringLiteral("temperature"), QStringLiteral("hot")); });
    broken("t not an array", [](QJsonObject &s) { s.insert(QStringLiteral("t"), 1750000000); });
    broken("id of another node",
        [](QJsonObject &s) { s.insert(QStringLiteral("id"), QStringLiteral("node/elsewhere")); });
    broken("id of a guest", [](QJsonObject &s) {
        s.insert(QStringLiteral("id"), QStringLiteral("qemu/100"));
        s.insert(QStringLiteral("vmid"), 100);
    });
    broken("id of no kind",
        [](QJsonObject &s) { s.insert(QStringLiteral("id"), s.value(QStringLiteral("node"))); });
    broken("no node", [](QJsonObject &s) { s.remove(QStringLiteral("node")); });
    broken("node not a string", [](QJsonObject &s) { s.insert(QStringLiteral("node"), 1); });
    broken("series range week",
        [](QJsonObject &s) { s.insert(QStringLiteral("range"), QStringLiteral("week")); });
}

void TestConsoleModels::nodesHistory()
{
    QFETCH(QJsonValue, payload);
    QFETCH(int, samplesA);
    QFETCH(int, samplesB);
    QFETCH(QStringList, changes);

    const QList<NodeData> list = recorded().nodes;
    core::ManualClock clock;
    NodeListModel nodes;
    nodes.setClock(&clock);
    Tested t(&nodes);
    nodes.applyNodes(wire(list));
    t.log.take();
    const QStringList liveA = samples(nodes, 0, "cpuHistory");

    nodes.applyHistory(payload);
    QCOMPARE(t.log.take(), changes);
    QCOMPARE(value(nodes, 0, "cpuHistory").toList().size(), samplesA);
    QCOMPARE(value(nodes, 0, "memHistory").toList().size(), samplesA);
    QCOMPARE(value(nodes, 0, "historyTimes").toList().size(), samplesA);
    QCOMPARE(value(nodes, 1, "cpuHistory").toList().size(), samplesB);
    QCOMPARE(value(nodes, 1, "historyTimes").toList().size(), samplesB);
    if (changes.isEmpty())
        QCOMPARE(samples(nodes, 0, "cpuHistory"), liveA);

    // What a seeded row holds is the series' tail, in fractions, nulls as gaps.
    const QString a = list.at(0).node;
    for (const QJsonValue &s : payload.toObject().value(QStringLiteral("series")).toArray()) {
        const QJsonObject o = s.toObject();
        if (changes.isEmpty() || o.value(QStringLiteral("node")).toString() != a)
            continue;
        const QJsonArray ts = o.value(QStringLiteral("t")).toArray();
        const QJsonArray cpu = o.value(QStringLiteral("cpu")).toArray();
        const QJsonArray mem = o.value(QStringLiteral("mem")).toArray();
        const qsizetype from = ts.size() - samplesA;
        QStringList wantCpu, wantMem;
        QVariantList wantT;
        for (qsizetype i = from; i < ts.size(); ++i) {
            wantT << ts.at(i).toInteger();
            wantCpu << (cpu.at(i).isNull() ? QStringLiteral("gap")
                                           : QString::number(cpu.at(i).toDouble()));
            wantMem << (mem.at(i).isNull()
                    ? QStringLiteral("gap")
                    : QString::number(mem.at(i).toDouble() / (100.0 * (1 << 20))));
        }
        QCOMPARE(value(nodes, 0, "historyTimes").toList(), wantT);
        QCOMPARE(samples(nodes, 0, "cpuHistory"), wantCpu);
        QCOMPARE(samples(nodes, 0, "memHistory"), wantMem);
        break;
    }
    QCOMPARE(t.resets.size(), 0);
}

// Seeded, then extended by live `nodes` samples, one per poll, the oldest dropped as the hour
// moves on; an offline node's sample is a gap.
void TestConsoleModels::nodesHistoryExtend()
{
    QList<NodeData> list = recorded().nodes;
    list[0].cpu = 0.75;
    core::ManualClock clock;
    NodeListModel nodes;
    nodes.setClock(&clock);
    Tested t(&nodes);
    nodes.applyNodes(wire(list));
    nodes.applyHistory(historyEvent({historySeries(list[0].node, ClockStart, 360)}));
    t.log.take();
    QCOMPARE(value(nodes, 0, "historyTimes").toList().size(), 360);

    for (int poll = 1; poll <= 6; ++poll) {
        clock.advance(10000);
        list[1].status = poll == 6 ? QStringLiteral("offline") : QStringLiteral("online");
        nodes.applyNodes(wire(list));
        // both rows move (the last poll changes the second's status too)
        const QStringList expected = poll < 6
            ? QStringList {QStringLiteral("changed 0 1 cpuHistory,memHistory,historyTimes")}
            : QStringList {QStringLiteral("changed 0 0 cpuHistory,memHistory,historyTimes"),
                QStringLiteral("changed 1 1 status,online,cpuHistory,memHistory,historyTimes")};
        QCOMPARE(t.log.take(), expected);
        const QVariantList times = value(nodes, 0, "historyTimes").toList();
        QCOMPARE(times.size(), 360); // one in, one out: the window is an hour
        QCOMPARE(times.constLast().toLongLong(), ClockStart + 10 * poll);
        QCOMPARE(times.constFirst().toLongLong(), ClockStart - 3590 + 10 * poll);
        QCOMPARE(value(nodes, 0, "cpuHistory").toList().constLast().toDouble(), 0.75);
    }
    QVERIFY(std::isnan(value(nodes, 1, "cpuHistory").toList().constLast().toDouble()));
    QVERIFY(std::isnan(value(nodes, 1, "memHistory").toList().constLast().toDouble()));

    // An hour without history later, only the live samples of that hour are left.
    for (int poll = 0; poll < 360; ++poll) {
        clock.advance(10000);
        nodes.applyNodes(wire(list));
    }
    const QVariantList times = value(nodes, 0, "historyTimes").toList();
    QCOMPARE(times.size(), 360);
    QVERIFY(times.constFirst().toLongLong() > ClockStart + 60);
    QCOMPARE(t.resets.size(), 0);
}

// A reconnect: the first snapshots, then the history again (it has every poll the console
// sampled): the series is the server's, no sample twice.
void TestConsoleModels::nodesHistoryReconnect_data()
{
    QTest::addColumn<int>("livePolls"); // samples taken between the two histories
    QTest::addColumn<int>("serverAheadS"); // the server's clock minus the console's
    QTest::newRow("at once") << 0 << 0;
    QTest::newRow("after 5 polls") << 5 << 0;
    QTest::newRow("after 5 polls, server clock 2 h ahead") << 5 << 7200;
    QTest::newRow("after 5 polls, server clock 2 h behind") << 5 << -7200;
    QTest::newRow("after 400 polls") << 400 << 0;
}

void TestConsoleModels::nodesHistoryReconnect()
{
    QFETCH(int, livePolls);
    QFETCH(int, serverAheadS);
    const QList<NodeData> list = recorded().nodes;
    core::ManualClock clock;
    NodeListModel nodes;
    nodes.setClock(&clock);
    Tested t(&nodes);
    const auto serverNow = [&] { return clock.now().toSecsSinceEpoch() + serverAheadS; };
    const QString a = list[0].node;

    nodes.applyNodes(wire(list));
    nodes.applyHistory(historyEvent({historySeries(a, serverNow(), 360)}));
    for (int i = 0; i < livePolls; ++i) {
        clock.advance(10000);
        nodes.applyNodes(wire(list));
    }
    QCOMPARE(value(nodes, 0, "historyTimes").toList().size(), 360);
    QCOMPARE(value(nodes, 0, "historyTimes").toList().constLast().toLongLong(), serverNow());

    // Disconnected and back: the first snapshot (in the same second as the server's poll), then
    // the history, which ends with that poll.
    clock.advance(10000);
    nodes.applyNodes(wire(list));
    nodes.applyHistory(historyEvent({historySeries(a, serverNow(), 360)}));
    // A refresh's `nodes` in the same second as the history's last poll adds nothing.
    nodes.applyNodes(wire(list));
    QVariantList times = value(nodes, 0, "historyTimes").toList();
    QCOMPARE(times.size(), 360);
    QCOMPARE(times.constLast().toLongLong(), serverNow());
    for (int i = 1; i < times.size(); ++i)
        QVERIFY2(times.at(i).toLongLong() > times.at(i - 1).toLongLong(), "no sample twice");

    // The next poll continues the server's series, 10 s later in its clock.
    clock.advance(10000);
    nodes.applyNodes(wire(list));
    times = value(nodes, 0, "historyTimes").toList();
    QCOMPARE(times.size(), 360);
    QCOMPARE(times.constLast().toLongLong(), serverNow());
    QCOMPARE(times.at(times.size() - 2).toLongLong(), serverNow() - 10);
    QCOMPARE(t.resets.size(), 0);
}

void TestConsoleModels::nodesTemperatures()
{
    QList<NodeData> list = recorded().nodes;
    list[0].temperatures = {
        {QStringLiteral("acpitz"), 41.0}, {QStringLiteral("coretemp-isa-0000/Package id 0"), 55.5}};
    core::ManualClock clock;
    NodeListModel nodes;
    nodes.setClock(&clock);
    Tested t(&nodes);
    nodes.applyNodes(wire(list));
    t.log.take();
    QCOMPARE(value(nodes, 0, "hottest").toDouble(), 55.5);
    QCOMPARE(value(nodes, 0, "hottestSensor").toString(),
        QStringLiteral("coretemp-isa-0000/Package id 0"));
    QCOMPARE(value(nodes, 0, "hasTemperature").toBool(), true);
    QCOMPARE(value(nodes, 0, "temperatures").toMap().size(), 2);
    QCOMPARE(value(nodes, 1, "hasTemperature").toBool(), false);

    // A `temperature` event: the node without its own readings shows the event's; the node with
    // its own keeps them; an unknown node and bad rows change nothing.
    const QJsonArray temps {
        QJsonObject {{QStringLiteral("node"), list[1].node},
            {QStringLiteral("zones"), QJsonObject {{QStringLiteral("acpitz"), 70.0}}}},
        QJsonObject {{QStringLiteral("node"), list[0].node},
            {QStringLiteral("zones"), QJsonObject {{QStringLiteral("acpitz"), 99.0}}}},
        QJsonObject {{QStringLiteral("node"), QStringLiteral("elsewhere")},
            {QStringLiteral("zones"), QJsonObject {{QStringLiteral("x"), 1.0}}}},
        QJsonObject {{QStringLiteral("node"), 7}},
        QStringLiteral("junk"),
        QJsonObject {{QStringLiteral("node"), list[1].node},
            {QStringLiteral("zones"),
                QJsonObject {{QStringLiteral("acpitz"), QStringLiteral("hot")}}}},
    };
    nodes.applyTemperatures(temps);
    QCOMPARE(t.log.take(),
        QStringList {
            QStringLiteral("changed 1 1 temperatures,hottest,hottestSensor,hasTemperature")});
    QCOMPARE(value(nodes, 1, "hottest").toDouble(), 70.0);
    QCOMPARE(value(nodes, 0, "hottest").toDouble(), 55.5);

    // The next `nodes` keeps what the event said for the node without readings of its own.
    clock.advance(10000);
    nodes.applyNodes(wire(list));
    QCOMPARE(t.log.take(),
        QStringList {QStringLiteral("changed 0 1 cpuHistory,memHistory,historyTimes")});
    QCOMPARE(value(nodes, 1, "hottest").toDouble(), 70.0);
    QCOMPARE(t.resets.size(), 0);
}

void TestConsoleModels::nodesBadRows()
{
    const QList<NodeData> list = recorded().nodes;
    QJsonArray payload = wire(list);
    QJsonObject wrongCpu = payload.at(0).toObject();
    wrongCpu.insert(QStringLiteral("cpu"), QStringLiteral("12%"));
    wrongCpu.insert(QStringLiteral("node"), QStringLiteral("nodeX"));
    QJsonObject noName = payload.at(0).toObject();
    noName.remove(QStringLiteral("node"));
    noName.remove(QStringLiteral("name"));
    QJsonObject badLoad = payload.at(0).toObject();
    badLoad.insert(QStringLiteral("node"), QStringLiteral("nodeY"));
    badLoad.insert(QStringLiteral("loadavg"), QJsonArray {1, QStringLiteral("2"), 3});
    payload.append(wrongCpu);
    payload.append(noName);
    payload.append(badLoad);
    payload.append(QJsonValue());
    payload.append(42);
    payload.append(QJsonArray {1, 2});
    payload.append(payload.at(0)); // a duplicate key: the first one wins

    NodeListModel nodes;
    Tested t(&nodes);
    nodes.applyNodes(payload);
    QCOMPARE(t.log.take(), QStringList {QStringLiteral("insert 0 1")});
    QCOMPARE(nodes.count(), 2);
    QCOMPARE(value(nodes, 0, "name").toString(), list[0].node);
    QCOMPARE(value(nodes, 1, "name").toString(), list[1].node);
}

// ---- guests --------------------------------------------------------------------------------

void TestConsoleModels::guestsRecordedSnapshot()
{
    const Recorded rec = recorded();
    QCOMPARE(rec.vms.size(), 3);
    GuestListModel guests;
    Tested t(&guests);
    QSignalSpy running(&guests, &GuestListModel::runningCountChanged);

    guests.applyVms(wire(rec.vms));
    QCOMPARE(t.log.take(), QStringList {QStringLiteral("insert 0 2")});
    QCOMPARE(vmidsOf(guests), (QList<int> {100, 101, 102}));
    QCOMPARE(guests.runningCount(), 1);
    QCOMPARE(running.size(), 1);
    for (int i = 0; i < rec.vms.size(); ++i) {
        const VmData &g = rec.vms.at(i);
        QCOMPARE(value(guests, i, "name").toString(), g.name);
        QCOMPARE(value(guests, i, "node").toString(), g.node);
        QCOMPARE(value(guests, i, "type").toString(), QStringLiteral("qemu"));
        QCOMPARE(value(guests, i, "status").toString(), g.status);
        QCOMPARE(value(guests, i, "cpu").toDouble(), g.cpu);
        QCOMPARE(value(guests, i, "maxmem").toLongLong(), g.maxmem);
        QCOMPARE(value(guests, i, "netin").toLongLong(), g.netin);
        QCOMPARE(value(guests, i, "template").toBool(), g.isTemplate);
        QCOMPARE(value(guests, i, "tags").toStringList(), g.tags);
        QCOMPARE(value(guests, i, "busy").toBool(), false);
    }
    // 100 running; 101 a template; 102 stopped, tagged "go-proxmox+cloud-init".
    QCOMPARE(value(guests, 0, "canShutdown").toBool(), true);
    QCOMPARE(value(guests, 0, "canStart").toBool(), false);
    QCOMPARE(value(guests, 1, "canStart").toBool(), false);
    QCOMPARE(value(guests, 1, "disabledReason").toString(),
        QStringLiteral("Templates cannot be started or stopped"));
    QCOMPARE(value(guests, 2, "canStart").toBool(), true);
    QCOMPARE(value(guests, 2, "tags").toStringList(),
        (QStringList {QStringLiteral("go-proxmox"), QStringLiteral("cloud-init")}));
    const QVariantMap g = guests.get(102);
    QCOMPARE(g.value(QStringLiteral("name")).toString(), QStringLiteral("machine-test"));
    QCOMPARE(g.value(QStringLiteral("canStart")).toBool(), true);
    QVERIFY(guests.get(999).isEmpty());
    QCOMPARE(t.resets.size(), 0);
}

void TestConsoleModels::guestsDiff_data()
{
    QTest::addColumn<bool>("fromText");
    QTest::addRow("QJsonArray") << false;
    QTest::addRow("text") << true; // applyVmsJson, what the console does at run time
}

void TestConsoleModels::guestsDiff()
{
    QFETCH(bool, fromText);
    QList<VmData> list = recorded().vms;
    GuestListModel guests;
    const auto applyVms = [&](const QList<VmData> &rows) {
        if (!fromText)
            return guests.applyVms(wire(rows));
        QByteArray text;
        model::appendJson(text, rows);
        QVERIFY(guests.applyVmsJson(text));
    };
    Tested t(&guests);
    applyVms(list);
    t.log.take();
    QSignalSpy count(&guests, &GuestListModel::countChanged);
    QSignalSpy running(&guests, &GuestListModel::runningCountChanged);

    // Nothing changed: no signal at all.
    applyVms(list);
    QCOMPARE(t.log.take(), QStringList());

    // Only counters move: exactly those roles.
    list[0].netin += 100;
    list[0].uptime += 15;
    list[0].cpu = 0.125;
    applyVms(list);
    QCOMPARE(t.log.take(), QStringList {QStringLiteral("changed 0 0 cpu,uptime,netin")});

    // Stopped: the status and every action flip, once.
    list[0].status = QStringLiteral("stopped");
    applyVms(list);
    QCOMPARE(t.log.take(),
        QStringList {QStringLiteral("changed 0 0 status,canStart,canShutdown,canStop,canRestart")});
    QCOMPARE(guests.runningCount(), 0);
    QCOMPARE(running.size(), 1);

    // No longer a template: startable; a rename is only the name.
    list[1].isTemplate = false;
    list[1].name = QStringLiteral("a");
    list[2].name = QStringLiteral("b");
    applyVms(list);
    QCOMPARE(t.log.take(),
        (QStringList {QStringLiteral("changed 1 1 name,template,canStart,disabledReason"),
            QStringLiteral("changed 2 2 name")}));

    // Adjacent guests with the same change share one signal.
    list[1].netout += 1;
    list[2].netout += 2;
    applyVms(list);
    QCOMPARE(t.log.take(), QStringList {QStringLiteral("changed 1 2 netout")});

    // Removed in the middle, added at both ends (jarvisd sorts by vmid), one changed.
    const QList<VmData> next {
        guest(50, QStringLiteral("first"), QStringLiteral("node1"), QStringLiteral("running")),
        list[0], list[2],
        guest(200, QStringLiteral("last"), QStringLiteral("node2"), QStringLiteral("stopped")),
        guest(201, QStringLiteral("after"), QStringLiteral("node2"), QStringLiteral("stopped"))};
    VmData changed = next[2];
    changed.lock = QStringLiteral("backup");
    QList<VmData> sent = next;
    sent[2] = changed;
    applyVms(sent);
    QCOMPARE(t.log.take(),
        (QStringList {QStringLiteral("remove 1 1"), QStringLiteral("insert 0 0"),
            QStringLiteral("changed 2 2 lock,canStart,disabledReason"),
            QStringLiteral("insert 3 4")}));
    QCOMPARE(vmidsOf(guests), (QList<int> {50, 100, 102, 200, 201}));
    QCOMPARE(value(guests, 2, "disabledReason").toString(),
        QStringLiteral("The guest is locked (backup)"));
    QCOMPARE(guests.rowOf(200), 3);
    QCOMPARE(guests.get(200).value(QStringLiteral("name")).toString(), QStringLiteral("last"));
    QCOMPARE(guests.runningCount(), 1);
    QCOMPARE(count.size(), 1);

    // Everything gone.
    guests.applyVms(QJsonArray());
    QCOMPARE(t.log.take(), QStringList {QStringLiteral("remove 0 4")});
    QCOMPARE(guests.rowOf(100), -1);
    QCOMPARE(t.resets.size(), 0);
    QCOMPARE(t.inserted.size(), 3);
    QCOMPARE(t.removed.size(), 2);
}

void TestConsoleModels::guestsReorder()
{
    QList<VmData> list;
    for (int i = 1; i <= 5; ++i)
        list << guest(100 + i, QStringLiteral("g%1").arg(i), QStringLiteral("pve1"),
            QStringLiteral("running"));
    GuestListModel guests;
    Tested t(&guests);
    guests.applyVms(wire(list));
    t.log.take();

    // The snapshot's order is the model's: a reversed snapshot moves rows, it does not reset.
    std::reverse(list.begin(), list.end());
    guests.applyVms(wire(list));
    QCOMPARE(t.log.take(),
        (QStringList {QStringLiteral("move 4 4 0"), QStringLiteral("move 4 4 1"),
            QStringLiteral("move 4 4 2"), QStringLiteral("move 4 4 3")}));
    QCOMPARE(vmidsOf(guests), (QList<int> {105, 104, 103, 102, 101}));
    for (int vmid : {101, 102, 103, 104, 105})
        QCOMPARE(guests.get(vmid).value(QStringLiteral("vmid")).toInt(), vmid);
    QCOMPARE(guests.rowOf(101), 4);
    QCOMPARE(t.resets.size(), 0);
}

void TestConsoleModels::guestsBadRows_data()
{
    QTest::addColumn<QJsonValue>("row");
    const QJsonObject good = model::toJson(
        guest(300, QStringLiteral("x"), QStringLiteral("pve1"), QStringLiteral("running")));
    auto with = [&](const char *key, const QJsonValue &v) {
        QJsonObject o = good;
        o.insert(QLatin1String(key), v);
        return o;
    };
    auto without = [&](const char *key) {
        QJsonObject o = good;
        o.remove(QLatin1String(key));
        return o;
    };
    QTest::newRow("vmid as string") << QJsonValue(with("vmid", QStringLiteral("300")));
    QTest::newRow("vmid 0") << QJsonValue(with("vmid", 0));
    QTest::newRow("vmid negative") << QJsonValue(with("vmid", -3));
    QTest::newRow("no vmid") << QJsonValue(without("vmid"));
    QTest::newRow("no node") << QJsonValue(without("node"));
    QTest::newRow("node a number") << QJsonValue(with("node", 1));
    QTest::newRow("unknown type") << QJsonValue(with("type", QStringLiteral("openvz")));
    QTest::newRow("cpu as string") << QJsonValue(with("cpu", QStringLiteral("0.5")));
    QTest::newRow("mem as bool") << QJsonValue(with("mem", true));
    QTest::newRow("tags a string") << QJsonValue(with("tags", QStringLiteral("a;b")));
    QTest::newRow("tags with a number") << QJsonValue(with("tags", QJsonArray {1}));
    QTest::newRow("template a number") << QJsonValue(with("template", 1));
    QTest::newRow("protected a string") << QJsonValue(with("protected", QStringLiteral("yes")));
    QTest::newRow("status an object") << QJsonValue(with("status", QJsonObject {}));
    QTest::newRow("null") << QJsonValue();
    QTest::newRow("number") << QJsonValue(7);
    QTest::newRow("string") << QJsonValue(QStringLiteral("vm"));
    QTest::newRow("array") << QJsonValue(QJsonArray {good});
}

void TestConsoleModels::guestsBadRows()
{
    QFETCH(QJsonValue, row);
    const QList<VmData> list = recorded().vms;
    GuestListModel guests;
    Tested t(&guests);
    guests.applyVms(wire(list));
    t.log.take();

    // The bad row among good ones (and a duplicate vmid) is ignored; nothing else changes.
    QJsonArray payload = wire(list);
    payload.insert(1, row);
    QJsonObject duplicate = payload.at(0).toObject();
    duplicate.insert(QStringLiteral("name"), QStringLiteral("impostor"));
    payload.append(duplicate);
    guests.applyVms(payload);
    QCOMPARE(t.log.take(), QStringList());
    QCOMPARE(vmidsOf(guests), (QList<int> {100, 101, 102}));
    QCOMPARE(value(guests, 0, "name").toString(), list[0].name);

    // Alone in a snapshot: the guests vanish (an empty list), the model stays consistent.
    guests.applyVms(QJsonArray {row});
    QCOMPARE(t.log.take(), QStringList {QStringLiteral("remove 0 2")});
    QCOMPARE(t.resets.size(), 0);
}

// Availability of the four actions, as the dashboard decides them (service/web/src/Guests.tsx).
void TestConsoleModels::actions_data()
{
    QTest::addColumn<QString>("status");
    QTest::addColumn<bool>("guestProtected");
    QTest::addColumn<bool>("nodeProtected");
    QTest::addColumn<QString>("lock");
    QTest::addColumn<bool>("isTemplate");
    QTest::addColumn<bool>("busy");
    QTest::addColumn<QString>("allowed"); // of s(tart) h(shutdown) t(s-t-op) r(estart)
    QTest::addColumn<QString>("reason"); // disabledReason
    QTest::addColumn<QString>("stopReason"); // actionReason(vmid, "stop")

    const QString none;
    const QString nodeMsg =
        QStringLiteral("Node pve3 is protected: actions on its guests are refused");
    const QString guestMsg = QStringLiteral("db (120) is protected: actions on it are refused");
    const QString busyMsg = QStringLiteral("An action is already running on this guest");
    const QString templateMsg = QStringLiteral("Templates cannot be started or stopped");
    const QString lockMsg = QStringLiteral("The guest is locked (backup)");
    auto row = [](const char *name) -> QTestData & { return QTest::newRow(name); };
    // clang-format off
    row("stopped")          << "stopped"   << false << false << none << false << false << "s"    << none << "The guest is stopped";
    row("running")          << "running"   << false << false << none << false << false << "htr"  << none << none;
    row("paused")           << "paused"    << false << false << none << false << false << "t"    << none << none;
    row("suspended")        << "suspended" << false << false << none << false << false << ""     << none << "The guest is suspended";
    row("unknown status")   << "unknown"   << false << false << none << false << false << ""     << none << "The guest is unknown";
    row("protected guest")  << "running"   << true  << false << none << false << false << ""     << guestMsg << guestMsg;
    row("protected node")   << "stopped"   << true  << true  << none << false << false << ""     << nodeMsg << nodeMsg;
    row("busy")             << "running"   << false << false << none << false << true  << ""     << busyMsg << busyMsg;
    row("template")         << "stopped"   << false << false << none << true  << false << ""     << templateMsg << templateMsg;
    row("locked running")   << "running"   << false << false << "backup" << false << false << "" << lockMsg << lockMsg;
    row("locked stopped")   << "stopped"   << false << false << "backup" << false << false << "" << lockMsg << lockMsg;
    row("protected wins")   << "running"   << true  << false << "backup" << true << true   << ""     << guestMsg << guestMsg;
    row("busy over lock")   << "running"   << false << false << "backup" << false << true  << ""     << busyMsg << busyMsg;
    // clang-format on
}

void TestConsoleModels::actions()
{
    QFETCH(QString, status);
    QFETCH(bool, guestProtected);
    QFETCH(bool, nodeProtected);
    QFETCH(QString, lock);
    QFETCH(bool, isTemplate);
    QFETCH(bool, busy);
    QFETCH(QString, allowed);
    QFETCH(QString, reason);
    QFETCH(QString, stopReason);

    VmData g = guest(120, QStringLiteral("db"), QStringLiteral("pve3"), status);
    g.isProtected = guestProtected;
    g.lock = lock;
    g.isTemplate = isTemplate;
    GuestListModel guests;
    Tested t(&guests);
    if (nodeProtected)
        guests.setProtectedNodes({QStringLiteral("pve3")});
    guests.applyVms(wire(QList<VmData> {g}));
    guests.setBusy(120, busy);

    QCOMPARE(value(guests, 0, "canStart").toBool(), allowed.contains(u's'));
    QCOMPARE(value(guests, 0, "canShutdown").toBool(), allowed.contains(u'h'));
    QCOMPARE(value(guests, 0, "canStop").toBool(), allowed.contains(u't'));
    QCOMPARE(value(guests, 0, "canRestart").toBool(), allowed.contains(u'r'));
    QCOMPARE(value(guests, 0, "disabledReason").toString(), reason);
    QCOMPARE(guests.actionReason(120, QStringLiteral("stop")), stopReason);
    for (const auto &[action, letter] : {std::pair {"start", u's'}, std::pair {"shutdown", u'h'},
             std::pair {"stop", u't'}, std::pair {"restart", u'r'}})
        QCOMPARE(
            guests.actionReason(120, QLatin1String(action)).isEmpty(), allowed.contains(letter));
    QCOMPARE(guests.actionReason(999, QStringLiteral("start")), QStringLiteral("No guest 999"));
    QCOMPARE(t.resets.size(), 0);
}

// Each role that an action's availability depends on is signalled when it flips, and only then.
void TestConsoleModels::actionsFollowSnapshots()
{
    VmData g = guest(120, QStringLiteral("db"), QStringLiteral("pve3"), QStringLiteral("running"));
    GuestListModel guests;
    Tested t(&guests);
    guests.applyVms(wire(QList<VmData> {g}));
    t.log.take();

    g.status = QStringLiteral("paused"); // stop stays, shutdown and restart go
    guests.applyVms(wire(QList<VmData> {g}));
    QCOMPARE(
        t.log.take(), QStringList {QStringLiteral("changed 0 0 status,canShutdown,canRestart")});

    g.isProtected = true; // protected: stop goes too, and the reason appears
    guests.applyVms(wire(QList<VmData> {g}));
    QCOMPARE(t.log.take(),
        QStringList {QStringLiteral("changed 0 0 isProtected,canStop,disabledReason")});

    g.name = QStringLiteral("db2"); // the reason quotes the name
    guests.applyVms(wire(QList<VmData> {g}));
    QCOMPARE(t.log.take(), QStringList {QStringLiteral("changed 0 0 name,disabledReason")});
    QCOMPARE(value(guests, 0, "disabledReason").toString(),
        QStringLiteral("db2 (120) is protected: actions on it are refused"));

    g.status = QStringLiteral("stopped"); // still protected: no action role moves
    guests.applyVms(wire(QList<VmData> {g}));
    QCOMPARE(t.log.take(), QStringList {QStringLiteral("changed 0 0 status")});
}

void TestConsoleModels::busy()
{
    const QList<VmData> list = recorded().vms;
    GuestListModel guests;
    Tested t(&guests);
    guests.applyVms(wire(list));
    t.log.take();

    guests.setBusy(100, true);
    QCOMPARE(t.log.take(),
        QStringList {
            QStringLiteral("changed 0 0 busy,canShutdown,canStop,canRestart,disabledReason")});
    QCOMPARE(value(guests, 0, "busy").toBool(), true);
    guests.setBusy(100, true); // no change, no signal
    guests.setBusy(999, true); // unknown guest: nothing
    QCOMPARE(t.log.take(), QStringList());

    // Kept across snapshots.
    guests.applyVms(wire(list));
    QCOMPARE(t.log.take(), QStringList());
    QCOMPARE(value(guests, 0, "busy").toBool(), true);
    QCOMPARE(value(guests, 0, "canStop").toBool(), false);

    // A template is blocked anyway: busy changes only the busy role and the reason.
    guests.setBusy(101, true);
    QCOMPARE(t.log.take(), QStringList {QStringLiteral("changed 1 1 busy,disabledReason")});

    guests.setBusy(100, false);
    QCOMPARE(t.log.take(),
        QStringList {
            QStringLiteral("changed 0 0 busy,canShutdown,canStop,canRestart,disabledReason")});
    QCOMPARE(value(guests, 0, "canStop").toBool(), true);

    // A guest that leaves the snapshot and comes back is no longer busy.
    guests.applyVms(wire(list.mid(0, 1)));
    guests.applyVms(wire(list));
    QCOMPARE(value(guests, 1, "busy").toBool(), false);
}

void TestConsoleModels::protectedNodeWording()
{
    VmData onNode =
        guest(110, QStringLiteral("web"), QStringLiteral("pve3"), QStringLiteral("running"));
    onNode.isProtected = true;
    VmData own = guest(
        101, QStringLiteral("postgres-main"), QStringLiteral("pve1"), QStringLiteral("running"));
    own.isProtected = true;
    GuestListModel guests;
    Tested t(&guests);
    guests.applyVms(wire(QList<VmData> {own, onNode}));
    t.log.take();
    QCOMPARE(value(guests, 1, "disabledReason").toString(),
        QStringLiteral("web (110) is protected: actions on it are refused"));

    // NodeListModel says which nodes are protected; wired as the app does it.
    NodeListModel nodes;
    QObject::connect(&nodes, &NodeListModel::protectedNodesChanged, &guests,
        [&] { guests.setProtectedNodes(nodes.protectedNodes()); });
    NodeData pve3;
    pve3.node = QStringLiteral("pve3");
    pve3.status = QStringLiteral("online");
    pve3.isProtected = true;
    nodes.applyNodes(wire(QList<NodeData> {pve3}));
    QCOMPARE(t.log.take(), QStringList {QStringLiteral("changed 1 1 disabledReason")});
    QCOMPARE(value(guests, 1, "disabledReason").toString(),
        QStringLiteral("Node pve3 is protected: actions on its guests are refused"));
    QCOMPARE(value(guests, 0, "disabledReason").toString(),
        QStringLiteral("postgres-main (101) is protected: actions on it are refused"));
}

// ---- GuestFilterModel ----------------------------------------------------------------------

namespace {

QList<VmData> filterFixture()
{
    VmData a = guest(
        101, QStringLiteral("postgres-main"), QStringLiteral("pve1"), QStringLiteral("running"));
    a.tags = {QStringLiteral("db"), QStringLiteral("prod")};
    a.cpu = 0.10;
    a.mem = 400;
    a.uptime = 50;
    VmData b =
        guest(102, QStringLiteral("Web-1"), QStringLiteral("pve2"), QStringLiteral("running"));
    b.kind = VmData::Kind::Lxc;
    b.tags = {QStringLiteral("web")};
    b.cpu = 0.30;
    b.mem = 300;
    b.uptime = 500;
    VmData c =
        guest(103, QStringLiteral("web-2"), QStringLiteral("pve2"), QStringLiteral("stopped"));
    c.kind = VmData::Kind::Lxc;
    c.tags = {QStringLiteral("web"), QStringLiteral("staging")};
    c.cpu = 0.90; // stale: not running, sorts as -1
    c.mem = 300;
    VmData d =
        guest(104, QStringLiteral("backup"), QStringLiteral("pve1"), QStringLiteral("paused"));
    d.mem = 100;
    d.uptime = 5;
    VmData e =
        guest(105, QStringLiteral("Alpha"), QStringLiteral("pve3"), QStringLiteral("running"));
    e.cpu = 0.30; // ties with 102 on cpu: vmid decides
    e.mem = 300;
    e.uptime = 500;
    return {a, b, c, d, e};
}

} // namespace

void TestConsoleModels::filterAndSearch()
{
    GuestListModel guests;
    guests.applyVms(wire(filterFixture()));
    GuestFilterModel view;
    QAbstractItemModelTester tester(&view, QAbstractItemModelTester::FailureReportingMode::Fatal);
    view.setGuests(&guests);
    QCOMPARE(view.guests(), &guests);
    QCOMPARE(vmidsOf(view), (QList<int> {101, 102, 103, 104, 105}));
    QCOMPARE(view.count(), 5);
    QSignalSpy count(&view, &GuestFilterModel::countChanged);

    struct Case
    {
        QString search, node, status, type;
        QList<int> expected;
    };
    const QList<Case> cases {
        {QStringLiteral("web"), {}, {}, {}, {102, 103}},
        {QStringLiteral("WEB"), {}, {}, {}, {102, 103}}, // any case
        {QStringLiteral("  web   staging "), {}, {}, {}, {103}}, // every word
        {QStringLiteral("10"), {}, {}, {}, {101, 102, 103, 104, 105}}, // vmid
        {QStringLiteral("105"), {}, {}, {}, {105}},
        {QStringLiteral("prod"), {}, {}, {}, {101}}, // tag
        {QStringLiteral("pve3"), {}, {}, {}, {105}}, // node
        {QStringLiteral("ct"), {}, {}, {}, {102, 103}}, // type word, as the dashboard
        {QStringLiteral("paused"), {}, {}, {}, {104}}, // status
        {QStringLiteral("nothing-like-it"), {}, {}, {}, {}},
        {{}, QStringLiteral("pve2"), {}, {}, {102, 103}},
        {{}, {}, QStringLiteral("running"), {}, {101, 102, 105}},
        {{}, {}, {}, QStringLiteral("lxc"), {102, 103}},
        {{}, {}, {}, QStringLiteral("qemu"), {101, 104, 105}},
        {QStringLiteral("web"), QStringLiteral("pve2"), QStringLiteral("running"),
            QStringLiteral("lxc"), {102}},
        {{}, QStringLiteral("pve9"), {}, {}, {}},
        {{}, {}, {}, {}, {101, 102, 103, 104, 105}},
    };
    for (const Case &c : cases) {
        view.setSearch(c.search);
        view.setNodeFilter(c.node);
        view.setStatusFilter(c.status);
        view.setTypeFilter(c.type);
        QCOMPARE(vmidsOf(view), c.expected);
        QCOMPARE(view.count(), c.expected.size());
        for (int i = 0; i < c.expected.size(); ++i)
            QCOMPARE(view.vmidAt(i), c.expected.at(i));
    }
    QVERIFY(count.size() > 0);
    QCOMPARE(view.vmidAt(99), -1);
}

// The search is case-insensitive exactly as QString::contains(word, Qt::CaseInsensitive) is,
// beyond ASCII too.
void TestConsoleModels::searchAnyCase_data()
{
    QTest::addColumn<QString>("word");
    for (const char16_t *word : {u"web", u"WEB", u"ärger", u"ÄRGER", u"Ωmega", u"ωMEGA", u"ǅ", u"ǆ",
             u"ǲ", u"straße", u"STRASSE", u"𐐨", u"𐐀", u"kel", u"KELVIN", u"pve2", u"PVE",
             u"RUNNING", u"Vm", u"cT", u"tAg", u"12", u"x"})
        QTest::addRow("%s", qPrintable(QString::fromUtf16(word))) << QString::fromUtf16(word);
}

void TestConsoleModels::searchAnyCase()
{
    QFETCH(QString, word);
    const QStringList names {u"Web-1"_s, u"ärger"_s, u"ΩMEGA-box"_s, u"Ǆz"_s, u"Straße"_s,
        u"𐐀-deseret"_s, u"plain"_s, u"\u212Aelvin"_s};
    QList<VmData> list;
    for (int i = 0; i < names.size(); ++i) {
        VmData g = guest(100 + i * 6, names.at(i), i % 2 ? u"pve2"_s : u"PVE1"_s,
            i % 3 ? u"running"_s : u"stopped"_s);
        g.kind = i % 2 ? VmData::Kind::Lxc : VmData::Kind::Qemu;
        g.tags = {u"Tag%1"_s.arg(i)};
        list << g;
    }
    GuestListModel guests;
    guests.applyVms(wire(list));
    GuestFilterModel view;
    view.setGuests(&guests);
    view.setSearch(word);
    QList<int> expected;
    for (const VmData &g : std::as_const(list)) {
        const auto has = [&](const QString &text) {
            return text.contains(word, Qt::CaseInsensitive);
        };
        if (has(QString::number(g.vmid)) || has(g.name) || has(g.node) || has(g.status)
            || has(g.kind == VmData::Kind::Lxc ? u"ct"_s : u"vm"_s) || has(g.tags.at(0)))
            expected << g.vmid;
    }
    QCOMPARE(vmidsOf(view), expected);
}

void TestConsoleModels::sorting_data()
{
    QTest::addColumn<QString>("role");
    QTest::addColumn<bool>("ascending");
    QTest::addColumn<QList<int>>("expected");
    // Ties are broken by vmid, ascending, in both directions (as the dashboard).
    QTest::newRow("vmid") << "vmid" << true << QList<int> {101, 102, 103, 104, 105};
    QTest::newRow("vmid desc") << "vmid" << false << QList<int> {105, 104, 103, 102, 101};
    QTest::newRow("name, any case") << "name" << true << QList<int> {105, 104, 101, 102, 103};
    QTest::newRow("name desc") << "name" << false << QList<int> {103, 102, 101, 104, 105};
    QTest::newRow("cpu: not running is -1")
        << "cpu" << true << QList<int> {103, 104, 101, 102, 105};
    QTest::newRow("cpu desc") << "cpu" << false << QList<int> {102, 105, 101, 103, 104};
    QTest::newRow("mem") << "mem" << true << QList<int> {104, 102, 103, 105, 101};
    QTest::newRow("uptime desc") << "uptime" << false << QList<int> {102, 105, 101, 104, 103};
    QTest::newRow("node") << "node" << true << QList<int> {101, 104, 102, 103, 105};
    QTest::newRow("status") << "status" << true << QList<int> {104, 101, 102, 105, 103};
    QTest::newRow("type") << "type" << true << QList<int> {102, 103, 101, 104, 105};
    QTest::newRow("tags") << "tags" << true << QList<int> {104, 105, 101, 102, 103};
    QTest::newRow("another role") << "maxmem" << true << QList<int> {101, 102, 103, 104, 105};
    QTest::newRow("unknown role: vmid") << "nope" << false << QList<int> {105, 104, 103, 102, 101};
}

void TestConsoleModels::sorting()
{
    QFETCH(QString, role);
    QFETCH(bool, ascending);
    QFETCH(QList<int>, expected);
    GuestListModel guests;
    guests.applyVms(wire(filterFixture()));
    GuestFilterModel view;
    QAbstractItemModelTester tester(&view, QAbstractItemModelTester::FailureReportingMode::Fatal);
    view.setSourceModel(&guests);
    view.setSortRoleName(role);
    view.setSortAscending(ascending);
    QCOMPARE(view.sortRoleName(), role);
    QCOMPARE(view.sortAscending(), ascending);
    QCOMPARE(vmidsOf(view), expected);
}

// A snapshot that changes what the filter or the sort looks at moves rows in the view, without
// a reset of the view or of the source.
void TestConsoleModels::filterFollowsSnapshots()
{
    QList<VmData> list = filterFixture();
    GuestListModel guests;
    Tested source(&guests);
    guests.applyVms(wire(list));
    GuestFilterModel view;
    view.setGuests(&guests);
    Tested t(&view);
    view.setStatusFilter(QStringLiteral("running"));
    view.setSortRoleName(QStringLiteral("cpu"));
    view.setSortAscending(false);
    QCOMPARE(vmidsOf(view), (QList<int> {102, 105, 101}));
    t.log.take();
    QSignalSpy viewResets(&view, &QAbstractItemModel::modelReset);

    list[2].status = QStringLiteral("running"); // 103 starts: it appears, at its cpu
    list[0].status = QStringLiteral("stopped"); // 101 stops: it goes
    guests.applyVms(wire(list));
    QCOMPARE(vmidsOf(view), (QList<int> {103, 102, 105}));

    list[0].status = QStringLiteral("running");
    list[0].cpu = 0.95; // 101 back, at the top
    guests.applyVms(wire(list));
    QCOMPARE(vmidsOf(view), (QList<int> {101, 103, 102, 105}));

    list[4].cpu = 0.99; // only a cpu change: 105 moves up
    guests.applyVms(wire(list));
    QCOMPARE(vmidsOf(view), (QList<int> {105, 101, 103, 102}));

    list[1].name = QStringLiteral("renamed"); // search by name follows too
    view.setSearch(QStringLiteral("web"));
    QCOMPARE(vmidsOf(view), (QList<int> {103, 102}));
    guests.applyVms(wire(list));
    QCOMPARE(vmidsOf(view), (QList<int> {103, 102})); // 102 still has the tag "web"
    list[1].tags = {};
    guests.applyVms(wire(list));
    QCOMPARE(vmidsOf(view), (QList<int> {103}));

    list.removeAt(2); // 103 leaves the cluster
    guests.applyVms(wire(list));
    QCOMPARE(vmidsOf(view), QList<int>());
    QCOMPARE(viewResets.size(), 0);
    QCOMPARE(source.resets.size(), 0);
}

// ---- storage -------------------------------------------------------------------------------

void TestConsoleModels::storageRecordedSnapshot()
{
    const Recorded rec = recorded();
    QCOMPARE(rec.storage.size(), 3);
    StorageListModel storage;
    Tested t(&storage);
    storage.applyStorage(wire(rec.storage));
    QCOMPARE(t.log.take(), QStringList {QStringLiteral("insert 0 2")});
    QCOMPARE(storage.count(), 3);
    for (int i = 0; i < rec.storage.size(); ++i) {
        const StorageData &s = rec.storage.at(i);
        QCOMPARE(value(storage, i, "storageId").toString(), s.id);
        QCOMPARE(value(storage, i, "storage").toString(), s.storage);
        QCOMPARE(value(storage, i, "node").toString(), s.node);
        QCOMPARE(value(storage, i, "type").toString(), s.type);
        QCOMPARE(value(storage, i, "status").toString(), QStringLiteral("active"));
        QCOMPARE(value(storage, i, "active").toBool(), true);
        QCOMPARE(value(storage, i, "shared").toBool(), s.shared);
        QCOMPARE(value(storage, i, "content").toString(), s.content);
        QCOMPARE(value(storage, i, "used").toLongLong(), s.used);
        QCOMPARE(value(storage, i, "total").toLongLong(), s.total);
        QCOMPARE(value(storage, i, "avail").toLongLong(), s.avail);
        QCOMPARE(value(storage, i, "usedFraction").toDouble(),
            s.total > 0 ? double(s.used) / double(s.total) : 0.0);
    }
}

void TestConsoleModels::storageDiff()
{
    QList<StorageData> list = recorded().storage;
    StorageListModel storage;
    Tested t(&storage);
    storage.applyStorage(wire(list));
    t.log.take();

    storage.applyStorage(wire(list));
    QCOMPARE(t.log.take(), QStringList());

    list[1].used += 1024;
    list[1].avail -= 1024;
    list[2].status = QStringLiteral("inactive");
    storage.applyStorage(wire(list));
    QCOMPARE(t.log.take(),
        (QStringList {QStringLiteral("changed 1 1 used,avail,usedFraction"),
            QStringLiteral("changed 2 2 status,active")}));

    // The same storage on another node is another row (id storage/<node>/<name>).
    StorageData other = list[0];
    other.node = QStringLiteral("node2");
    other.id = QStringLiteral("storage/node2/") + other.storage;
    QJsonArray payload = wire(QList<StorageData> {list[0], other, list[2]});
    payload.append(QJsonObject {{QStringLiteral("storage"), 5}}); // bad rows
    payload.append(QJsonObject {{QStringLiteral("storage"), QStringLiteral("x")}});
    payload.append(QStringLiteral("junk"));
    storage.applyStorage(payload);
    QCOMPARE(
        t.log.take(), (QStringList {QStringLiteral("remove 1 1"), QStringLiteral("insert 1 1")}));
    QCOMPARE(value(storage, 1, "storageId").toString(), other.id);
    QCOMPARE(t.resets.size(), 0);
}

// ---- fractions -----------------------------------------------------------------------------

// memFraction, diskFraction, usedFraction: part / whole clamped to 0..1, 0 when whole is not
// positive; the same rule in every model.
void TestConsoleModels::fractions_data()
{
    QTest::addColumn<qint64>("part");
    QTest::addColumn<qint64>("whole");
    QTest::addColumn<double>("expected");
    QTest::newRow("half") << qint64(512) << qint64(1024) << 0.5;
    QTest::newRow("full") << qint64(1024) << qint64(1024) << 1.0;
    QTest::newRow("over-full") << qint64(3000) << qint64(1024) << 1.0;
    QTest::newRow("far over-full") << (qint64(1) << 40) << qint64(1) << 1.0;
    QTest::newRow("zero max") << qint64(512) << qint64(0) << 0.0;
    QTest::newRow("zero of zero") << qint64(0) << qint64(0) << 0.0;
    QTest::newRow("negative max") << qint64(512) << qint64(-1024) << 0.0;
    QTest::newRow("negative part") << qint64(-512) << qint64(1024) << 0.0;
}

void TestConsoleModels::fractions()
{
    QFETCH(qint64, part);
    QFETCH(qint64, whole);
    QFETCH(double, expected);

    NodeData n = recorded().nodes.at(0);
    n.status = QStringLiteral("online");
    n.mem = part;
    n.maxmem = whole;
    n.disk = part;
    n.maxdisk = whole;
    NodeListModel nodes;
    Tested tn(&nodes);
    nodes.applyNodes(wire(QList<NodeData> {n}));
    QCOMPARE(value(nodes, 0, "memFraction").toDouble(), expected);
    QCOMPARE(value(nodes, 0, "diskFraction").toDouble(), expected);
    QCOMPARE(value(nodes, 0, "memHistory").toList(), QVariantList {expected});

    VmData g = guest(100, QStringLiteral("g"), QStringLiteral("pve1"), QStringLiteral("running"));
    g.mem = part;
    g.maxmem = whole;
    GuestListModel guests;
    Tested tg(&guests);
    guests.applyVms(wire(QList<VmData> {g}));
    QCOMPARE(value(guests, 0, "memFraction").toDouble(), expected);
    QCOMPARE(guests.get(100).value(QStringLiteral("memFraction")).toDouble(), expected);

    StorageData s = recorded().storage.at(0);
    s.used = part;
    s.total = whole;
    StorageListModel storage;
    Tested ts(&storage);
    storage.applyStorage(wire(QList<StorageData> {s}));
    QCOMPARE(value(storage, 0, "usedFraction").toDouble(), expected);

    // More of the same: the fraction role changes only when the shown value does (an over-full
    // guest using even more stays at 1).
    tg.log.take();
    g.mem = part + 1;
    guests.applyVms(wire(QList<VmData> {g}));
    const double after = GuestListModel::fraction(double(g.mem), double(whole));
    QCOMPARE(value(guests, 0, "memFraction").toDouble(), after);
    QCOMPARE(tg.log.take(),
        QStringList {after == expected ? QStringLiteral("changed 0 0 mem")
                                       : QStringLiteral("changed 0 0 mem,memFraction")});
}

// ---- event log -----------------------------------------------------------------------------

namespace {

QJsonObject jarvisEvent(int n, const QString &kind = QStringLiteral("tool"))
{
    return {{QStringLiteral("id"), QStringLiteral("e%1").arg(n)},
        {QStringLiteral("type"), QStringLiteral("action")},
        {QStringLiteral("severity"), QStringLiteral("info")},
        {QStringLiteral("title"), QStringLiteral("Title %1").arg(n)},
        {QStringLiteral("message"), QStringLiteral("Message %1").arg(n)},
        {QStringLiteral("node"), QStringLiteral("pve1")},
        {QStringLiteral("timestamp"), QStringLiteral("2026-12-05T19:00:00.000Z")},
        {QStringLiteral("data"),
            QJsonObject {{QStringLiteral("kind"), kind}, {QStringLiteral("vmid"), 100 + n}}}};
}

} // namespace

void TestConsoleModels::eventLog()
{
    EventLogModel log;
    Tested t(&log);
    QVERIFY(log.append(jarvisEvent(1)));
    QVERIFY(log.append(jarvisEvent(2, QStringLiteral("task"))));
    QCOMPARE(
        t.log.take(), (QStringList {QStringLiteral("insert 0 0"), QStringLiteral("insert 0 0")}));
    QCOMPARE(log.count(), 2);
    // newest first
    QCOMPARE(value(log, 0, "eventId").toString(), QStringLiteral("e2"));
    QCOMPARE(value(log, 0, "kind").toString(), QStringLiteral("task"));
    QCOMPARE(value(log, 0, "type").toString(), QStringLiteral("action"));
    QCOMPARE(value(log, 0, "severity").toString(), QStringLiteral("info"));
    QCOMPARE(value(log, 0, "title").toString(), QStringLiteral("Title 2"));
    QCOMPARE(value(log, 0, "message").toString(), QStringLiteral("Message 2"));
    QCOMPARE(value(log, 0, "node").toString(), QStringLiteral("pve1"));
    QCOMPARE(value(log, 0, "timestamp").toString(), QStringLiteral("2026-12-05T19:00:00.000Z"));
    QCOMPARE(
        value(log, 0, "time").toDateTime(), QDateTime(QDate(2026, 12, 5), QTime(19, 0), Qt::UTC));
    QCOMPARE(value(log, 0, "data").toMap().value(QStringLiteral("vmid")).toInt(), 102);
    QCOMPARE(value(log, 1, "eventId").toString(), QStringLiteral("e1"));
    QCOMPARE(log.get(1).value(QStringLiteral("title")).toString(), QStringLiteral("Title 1"));
    QVERIFY(log.get(5).isEmpty());

    // Capped: the oldest drops out as the newest comes in.
    for (int i = 3; i <= EventLogModel::Cap; ++i)
        log.append(jarvisEvent(i));
    t.log.take();
    QCOMPARE(log.count(), EventLogModel::Cap);
    QSignalSpy count(&log, &EventLogModel::countChanged);
    QVERIFY(log.append(jarvisEvent(EventLogModel::Cap + 1)));
    QCOMPARE(t.log.take(),
        (QStringList {
            QStringLiteral("insert 0 0"), QStringLiteral("remove %1 %1").arg(EventLogModel::Cap)}));
    QCOMPARE(log.count(), EventLogModel::Cap);
    QCOMPARE(count.size(), 0);
    QCOMPARE(
        value(log, 0, "eventId").toString(), QStringLiteral("e%1").arg(EventLogModel::Cap + 1));
    QCOMPARE(value(log, EventLogModel::Cap - 1, "eventId").toString(), QStringLiteral("e2"));

    log.clear();
    QCOMPARE(t.log.take(), QStringList {QStringLiteral("remove 0 %1").arg(EventLogModel::Cap - 1)});
    QCOMPARE(log.count(), 0);
    QCOMPARE(t.resets.size(), 0);
}

void TestConsoleModels::eventLogBadEvents_data()
{
    QTest::addColumn<QJsonObject>("event");
    QTest::addColumn<bool>("accepted");
    auto with = [](const char *key, const QJsonValue &v) {
        QJsonObject o = jarvisEvent(1);
        o.insert(QLatin1String(key), v);
        return o;
    };
    auto without = [](const char *key) {
        QJsonObject o = jarvisEvent(1);
        o.remove(QLatin1String(key));
        return o;
    };
    QTest::newRow("good") << jarvisEvent(1) << true;
    QTest::newRow("no node") << without("node") << true;
    QTest::newRow("no data") << without("data") << true;
    QTest::newRow("null node") << with("node", QJsonValue()) << true;
    QTest::newRow("no type") << without("type") << false;
    QTest::newRow("type a number") << with("type", 3) << false;
    QTest::newRow("title an array") << with("title", QJsonArray {}) << false;
    QTest::newRow("id a number") << with("id", 7) << false;
    QTest::newRow("data a string") << with("data", QStringLiteral("x")) << false;
    QTest::newRow("kind a number")
        << with("data", QJsonObject {{QStringLiteral("kind"), 1}}) << false;
    QTest::newRow("empty") << QJsonObject() << false;
}

void TestConsoleModels::eventLogBadEvents()
{
    QFETCH(QJsonObject, event);
    QFETCH(bool, accepted);
    EventLogModel log;
    Tested t(&log);
    QCOMPARE(log.append(event), accepted);
    QCOMPARE(log.count(), accepted ? 1 : 0);
    QCOMPARE(t.log.take(), accepted ? QStringList {QStringLiteral("insert 0 0")} : QStringList());
}

// Text that is not a VMData[] changes nothing and says why.
void TestConsoleModels::guestsBadText()
{
    GuestListModel guests;
    Tested t(&guests);
    guests.applyVms(wire(recorded().vms));
    t.log.take();
    for (const char *bad : {"", "{}", "[", R"([{"vmid":1,"node":"a"}] x)", "[1,]"}) {
        QString error;
        QVERIFY2(!guests.applyVmsJson(bad, &error), bad);
        QVERIFY(!error.isEmpty());
    }
    QCOMPARE(t.log.take(), QStringList());
    QCOMPARE(guests.rowCount(), int(recorded().vms.size()));
    QVERIFY(guests.applyVmsEventJson(R"([ [] ])"));
    QCOMPARE(guests.rowCount(), 0);
}

// ---- the heap between snapshots --------------------------------------------------------------

void TestConsoleModels::heapKeptForSnapshots()
{
#if defined(__SANITIZE_ADDRESS__)
    // The sanitizers' allocator replaces glibc's and takes no mallopt(): the call says so.
    QVERIFY(!console::keepHeapForSnapshots());
#else
    QVERIFY(console::keepHeapForSnapshots());
    // A snapshot-sized block (8 MiB: a 5000-guest snapshot's QString is 2.9 MB) comes from the
    // heap, not from its own mmap, and the heap keeps it once freed: the next snapshot finds it.
    const struct mallinfo2 before = mallinfo2();
    const size_t size = size_t(8) << 20;
    auto *block = static_cast<char *>(std::malloc(size));
    QVERIFY(block);
    std::memset(block, 1, size);
    const struct mallinfo2 during = mallinfo2();
    // Not mmapped: in use from the heap (which may already hold the room: earlier snapshots'
    // memory is kept, which is the point).
    QCOMPARE(during.hblks, before.hblks);
    QCOMPARE(during.hblkhd, before.hblkhd);
    QVERIFY(during.uordblks >= before.uordblks + size);
    std::free(block);
    const struct mallinfo2 after = mallinfo2();
    QCOMPARE(after.arena, during.arena);
    QVERIFY(after.fordblks >= size);
#endif
}

QTEST_GUILESS_MAIN(TestConsoleModels)
#include "tst_consolemodels.moc"
