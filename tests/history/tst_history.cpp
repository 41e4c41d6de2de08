// The history's store and recorder without a server: quantisation bounds, the hour ring's wrap
// and the minute roll-up on a core::ManualClock, rates from counters (resets included), rrddata
// parsing (a table, and the hand-made fixtures of tests/fixtures/pve), the backfill's rules, and
// the file: a round trip, and corrupt or foreign files ignored.
#include "core/clock.h"
#include "history/codec.h"
#include "history/recorder.h"
#include "history/store.h"
#include "proxmox/pvedata.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace jarvis;
using history::Range;
using history::Scale;
using history::Store;
using model::VmData;

namespace {
constexpr qint64 T0 = 1750000000000; // ms, 2025-06-15T15:06:40Z (ManualClock's default start)

VmData guest(int vmid, double cpu, qint64 mem, qint64 counter = 0,
    VmData::Kind kind = VmData::Kind::Qemu, const QString &status = QStringLiteral("running"))
{
    VmData vm;
    vm.vmid = vmid;
    vm.node = QStringLiteral("pve1");
    vm.kind = kind;
    vm.status = status;
    vm.cpu = cpu;
    vm.mem = mem;
    vm.maxmem = qint64(4) << 30;
    vm.netin = counter;
    vm.netout = counter / 2;
    vm.diskread = counter / 4;
    vm.diskwrite = counter * 2;
    return vm;
}

model::NodeData node(const QString &name, double cpu, qint64 mem, bool online = true)
{
    model::NodeData n;
    n.node = name;
    n.status = online ? QStringLiteral("online") : QStringLiteral("offline");
    n.cpu = cpu;
    n.mem = mem;
    n.maxmem = qint64(32) << 30;
    return n;
}

bool same(double a, double b, double tolerance)
{
    return std::abs(a - b) <= tolerance;
}

QJsonArray fixtureData(const char *name)
{
    QFile file(QStringLiteral(JARVIS_FIXTURES_DIR "/") + QLatin1String(name));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("data")).toArray();
}
} // namespace

class TestHistory : public QObject
{
    Q_OBJECT

private slots:
    void quantisationBounds_data();
    void quantisationBounds();
    void nullAndClamps();
    void hourRingWraps();
    void minuteRollUp();
    void dayRingForgetsOldMinutes();
    void rates_data();
    void rates();
    void extraPollReplacesSample();
    void sameFetchRecordedOnce();
    void appearAndDisappear();
    void nodesOfflineAndTemperature();
    void rrdParsing_data();
    void rrdParsing();
    void rrdFixtures();
    void backfillRules();
    void backfillClaimClearsStaleMinutes();
    void clockSteppedBack();
    void memoryBound();
    void fileRoundTrip();
    void saveInSteps();
    void corruptFiles_data();
    void corruptFiles();
    void recorderKeepsFileAcrossRestart();
    void recorderIgnoresBadFile();
    void recorderIgnoresFileFromTheFuture_data();
    void recorderIgnoresFileFromTheFuture();
};

void TestHistory::quantisationBounds_data()
{
    QTest::addColumn<int>("scale");
    QTest::addColumn<double>("value");
    const double fractions[] = {0, 1e-6, 0.0001, 0.0123, 0.25, 0.333333, 0.5, 0.9999, 1};
    for (double v : fractions)
        QTest::addRow("fraction %g", v) << int(Scale::Fraction) << v;
    const double bytes[] = {0, 0.4, 1, 1.5, 2, 7, 100, 1023, 4096, 1e6, 123456789, 4294967296.0,
        1e12, 17592186044416.0 /* 2^44 */};
    for (double v : bytes)
        QTest::addRow("bytes %g", v) << int(Scale::Bytes) << v;
    const double celsius[] = {0, 0.1, 21.5, 45.25, 66.6, 85.03, 99.99, 126.9};
    for (double v : celsius)
        QTest::addRow("celsius %g", v) << int(Scale::Celsius) << v;
}

void TestHistory::quantisationBounds()
{
    QFETCH(int, scale);
    QFETCH(double, value);
    const Scale s = Scale(scale);
    const double h = history::decode16(s, history::encode16(s, value));
    const double d = history::decode8(s, history::encode8(s, value));
    if (s == Scale::Bytes) {
        if (value < 0.5) {
            QCOMPARE(h, 0.0);
            QCOMPARE(d, 0.0);
        } else {
            const double base = std::max(value, 1.0);
            QVERIFY2(std::abs(h - value) <= base * history::maxError16(s) + 0.5,
                qPrintable(QStringLiteral("%1 -> %2").arg(value).arg(h)));
            QVERIFY2(std::abs(d - value) <= base * history::maxError8(s) + 0.5,
                qPrintable(QStringLiteral("%1 -> %2").arg(value).arg(d)));
        }
        // The documented bounds (PROTOCOL.md): 0.026 % and 6.3 %.
        QVERIFY(history::maxError16(s) < 0.00026);
        QVERIFY(history::maxError8(s) < 0.063);
    } else {
        QVERIFY2(same(h, value, history::maxError16(s) + 1e-12),
            qPrintable(QStringLiteral("%1 -> %2").arg(value).arg(h)));
        QVERIFY2(same(d, value, history::maxError8(s) + 1e-12),
            qPrintable(QStringLiteral("%1 -> %2").arg(value).arg(d)));
    }
    QVERIFY(history::encode16(s, value) != history::Null16);
    QVERIFY(history::encode8(s, value) != history::Null8);
}

void TestHistory::nullAndClamps()
{
    for (Scale s : {Scale::Fraction, Scale::Bytes, Scale::Celsius}) {
        QCOMPARE(history::encode16(s, std::nan("")), history::Null16);
        QCOMPARE(history::encode8(s, std::nan("")), history::Null8);
        QVERIFY(std::isnan(history::decode16(s, history::Null16)));
        QVERIFY(std::isnan(history::decode8(s, history::Null8)));
        QCOMPARE(history::decode16(s, history::encode16(s, -5)), 0.0); // negatives: 0
        QVERIFY(history::encode16(s, 1e30) != history::Null16); // huge: clamped, not null
        QVERIFY(history::encode8(s, 1e30) != history::Null8);
    }
    QCOMPARE(history::decode16(Scale::Fraction, history::encode16(Scale::Fraction, 1.7)), 1.0);
}

// Two hours of guest polls every 15 s on a ManualClock: the hour keeps the last hour only, at
// poll resolution, with the values recorded.
void TestHistory::hourRingWraps()
{
    core::ManualClock clock;
    history::Recorder::Options o;
    o.backfill = false;
    history::Recorder recorder(nullptr, o, &clock);
    const int polls = 2 * 240 + 7;
    for (int i = 0; i < polls; ++i) {
        const double cpu = (i % 100) / 100.0;
        recorder.recordGuests(clock.now().toMSecsSinceEpoch(),
            {guest(100, cpu, qint64(1 + i) << 20, qint64(i) * 15000)});
        clock.advance(15000);
    }
    const qint64 now = clock.now().toMSecsSinceEpoch() / 1000;
    const auto s = recorder.series(QStringLiteral("qemu/100"), Range::Hour);
    QVERIFY(s);
    QCOMPARE(s->t.size(), size_t(240)); // the last hour, both ends included
    QCOMPARE(s->t.front(), now - 3600);
    QCOMPARE(s->t.back(), now - 15);
    for (size_t k = 0; k < s->t.size(); ++k) {
        const int i = polls - 240 + int(k);
        QCOMPARE(s->t[k], T0 / 1000 + qint64(i) * 15);
        QVERIFY(same(s->values[history::Cpu][k], (i % 100) / 100.0, 1e-5));
        QVERIFY(same(s->values[history::Mem][k], double(qint64(1 + i) << 20),
            double(qint64(1 + i) << 20) * 0.00026));
        // 1000 bytes a second in, from the counters.
        QVERIFY(same(s->values[history::NetIn][k], 1000.0, 0.3));
        QVERIFY(same(s->values[history::DiskWrite][k], 2000.0, 0.6));
    }
}

void TestHistory::minuteRollUp()
{
    Store store;
    // Minute M: 4 samples (cpu 0.1, 0.2, 0.3, 0.4); minute M+1: none; minute M+2: one.
    const qint64 m = (T0 / 60000 + 1) * 60000; // a minute boundary
    for (int i = 0; i < 4; ++i)
        store.recordGuests(m + i * 15000, {guest(100, 0.1 * (i + 1), qint64(100 + i) << 20)});
    QCOMPARE(store.series(QStringLiteral("qemu/100"), Range::Day, m + 59000)->t.size(), size_t(0));
    store.recordGuests(m + 120000, {guest(100, 0.9, qint64(200) << 20)});
    const auto day = store.series(QStringLiteral("qemu/100"), Range::Day, m + 125000);
    QVERIFY(day);
    QCOMPARE(day->t.size(), size_t(1)); // M only: M+1 had no sample, M+2 is not complete
    QCOMPARE(day->t.front(), m / 1000);
    QVERIFY(same(day->values[history::Cpu].front(), 0.25, history::maxError8(Scale::Fraction)));
    const double mem =
        double(qint64(103) << 20) * 0.5 + double(qint64(100) << 20) * 0.5 + 0.5 * (1 << 20) * 0;
    QVERIFY(same(day->values[history::Mem].front(),
        (double(qint64(100) << 20) + double(qint64(101) << 20) + double(qint64(102) << 20)
            + double(qint64(103) << 20))
            / 4,
        mem * history::maxError8(Scale::Bytes)));
    // The first sample had no rate; the next three had theirs (0: the counters did not move).
    QCOMPARE(day->values[history::NetIn].front(), 0.0);

    // The next minute rolls M+2 up; M+1 stays without a point.
    store.recordGuests(m + 180000, {guest(100, 0.5, qint64(200) << 20)});
    const auto day2 = store.series(QStringLiteral("qemu/100"), Range::Day, m + 185000);
    QCOMPARE(day2->t, (std::vector<qint64> {m / 1000, m / 1000 + 120}));
    QVERIFY(same(day2->values[history::Cpu].back(), 0.9, history::maxError8(Scale::Fraction)));
}

void TestHistory::dayRingForgetsOldMinutes()
{
    core::ManualClock clock;
    history::Recorder::Options o;
    o.backfill = false;
    history::Recorder recorder(nullptr, o, &clock);
    // 25 hours, one poll a minute.
    for (int i = 0; i < 25 * 60; ++i) {
        recorder.recordGuests(clock.now().toMSecsSinceEpoch(), {guest(100, 0.5, 1 << 30)});
        clock.advance(60000);
    }
    const auto day = recorder.series(QStringLiteral("qemu/100"), Range::Day);
    QCOMPARE(day->t.size(), size_t(1440));
    const qint64 now = clock.now().toMSecsSinceEpoch() / 1000;
    QCOMPARE(day->t.front(), (now / 60 - 1440) * 60); // the 1440 complete minutes before now
    QCOMPARE(day->t.back(), (now / 60 - 1) * 60); // rolled up by the clock, not a later sample
    for (size_t k = 1; k < day->t.size(); ++k)
        QCOMPARE(day->t[k] - day->t[k - 1], qint64(60));
}

void TestHistory::rates_data()
{
    // Polls 15 s apart; `counters` is the netin counter at each; `rates` what the hour shows
    // (-1 = null).
    QTest::addColumn<QList<qint64>>("counters");
    QTest::addColumn<QStringList>("statuses");
    QTest::addColumn<QList<double>>("rates");
    const QStringList running(6, QStringLiteral("running"));
    QTest::newRow("steady") << QList<qint64> {0, 15000, 30000, 45000} << running
                            << QList<double> {-1, 1000, 1000, 1000};
    QTest::newRow("first sample mid-life")
        << QList<qint64> {1000000, 1000000, 1150000} << running << QList<double> {-1, 0, 10000};
    QTest::newRow("counter reset (guest restarted)") << QList<qint64> {
        500000, 650000, 3000, 18000} << running << QList<double> {-1, 10000, -1, 1000};
    QTest::newRow("stopped: counters to 0, then 0 a second")
        << QList<qint64> {30000, 0, 0} << running << QList<double> {-1, -1, 0};
    QTest::newRow("unknown status: no value, rates restart")
        << QList<qint64> {0, 15000, 30000, 45000, 60000}
        << QStringList {"running", "running", "unknown", "running", "running"}
        << QList<double> {-1, 1000, -1, -1, 1000};
    QTest::newRow("huge counters")
        << QList<qint64> {Q_INT64_C(9000000000000000000), Q_INT64_C(9000000000015000000)} << running
        << QList<double> {-1, 1e6};
}

void TestHistory::rates()
{
    QFETCH(QList<qint64>, counters);
    QFETCH(QStringList, statuses);
    QFETCH(QList<double>, rates);
    Store store;
    const qint64 start = (T0 / 60000 + 1) * 60000;
    for (qsizetype i = 0; i < counters.size(); ++i) {
        VmData vm = guest(100, 0.1, 1 << 20, 0, VmData::Kind::Qemu, statuses.at(i));
        vm.netin = counters.at(i);
        store.recordGuests(start + i * 15000, {vm});
    }
    const auto s = store.series(QStringLiteral("qemu/100"), Range::Hour, start + 3600000 - 1);
    QVERIFY(s);
    QCOMPARE(qsizetype(s->t.size()), rates.size());
    for (qsizetype i = 0; i < rates.size(); ++i) {
        const double got = s->values[history::NetIn][size_t(i)];
        if (rates.at(i) < 0)
            QVERIFY2(std::isnan(got), qPrintable(QStringLiteral("point %1: %2").arg(i).arg(got)));
        else
            QVERIFY2(same(got, rates.at(i), rates.at(i) * 0.00026 + 0.5),
                qPrintable(
                    QStringLiteral("point %1: %2, expected %3").arg(i).arg(got).arg(rates.at(i))));
    }
}

void TestHistory::extraPollReplacesSample()
{
    Store store;
    const qint64 start = (T0 / 60000 + 1) * 60000;
    store.recordGuests(start, {guest(100, 0.1, 1 << 20, 0)});
    store.recordGuests(start + 15000, {guest(100, 0.2, 1 << 20, 15000)});
    // A refresh 3 s later (less than half an interval): replaces the newest sample.
    store.recordGuests(start + 18000, {guest(100, 0.3, 1 << 20, 18000)});
    // 10 s later (a reused-or-fresh tick of the emitter): a sample of its own.
    store.recordGuests(start + 28000, {guest(100, 0.4, 1 << 20, 28000)});
    // Within half an interval but in the next minute: a sample of its own.
    store.recordGuests(start + 58000, {guest(100, 0.5, 1 << 20, 58000)});
    store.recordGuests(start + 61000, {guest(100, 0.6, 1 << 20, 61000)});
    const auto s = store.series(QStringLiteral("qemu/100"), Range::Hour, start + 62000);
    QCOMPARE(s->t,
        (std::vector<qint64> {start / 1000, start / 1000 + 18, start / 1000 + 28, start / 1000 + 58,
            start / 1000 + 61}));
    QVERIFY(same(s->values[history::Cpu][1], 0.3, 1e-5));
    QVERIFY(same(s->values[history::NetIn][1], 1000, 0.5)); // over the 3 s since the last poll
}

void TestHistory::sameFetchRecordedOnce()
{
    Store store;
    store.recordGuests(T0, {guest(100, 0.1, 1 << 20, 0)});
    store.recordGuests(T0, {guest(100, 0.9, 1 << 20, 999999)}); // the same answer, reused
    const auto s = store.series(QStringLiteral("qemu/100"), Range::Hour, T0 + 1000);
    QCOMPARE(s->t.size(), size_t(1));
    QVERIFY(same(s->values[history::Cpu][0], 0.1, 1e-5));
}

void TestHistory::appearAndDisappear()
{
    Store store;
    const qint64 start = (T0 / 60000 + 1) * 60000;
    store.recordGuests(start, {guest(100, 0.1, 1 << 20), guest(101, 0.1, 1 << 20)});
    store.recordGuests(start + 15000,
        {guest(100, 0.1, 1 << 20), guest(101, 0.1, 1 << 20), guest(102, 0.2, 1 << 20)});
    QCOMPARE(store.guestCount(), 3);
    // 102 appeared with its first sample: one point, none before it.
    QCOMPARE(
        store.series(QStringLiteral("qemu/102"), Range::Hour, start + 16000)->t.size(), size_t(1));
    QCOMPARE(
        store.series(QStringLiteral("qemu/100"), Range::Hour, start + 16000)->t.size(), size_t(2));
    // 101 disappears: dropped. 100 comes back as a container: a new guest.
    store.recordGuests(
        start + 30000, {guest(100, 0.1, 1 << 20, 0, VmData::Kind::Lxc), guest(102, 0.2, 1 << 20)});
    QCOMPARE(store.guestCount(), 2);
    QVERIFY(!store.series(QStringLiteral("qemu/101"), Range::Hour, start + 31000));
    QVERIFY(!store.series(QStringLiteral("qemu/100"), Range::Hour, start + 31000));
    const auto lxc = store.series(QStringLiteral("lxc/100"), Range::Hour, start + 31000);
    QVERIFY(lxc);
    QCOMPARE(lxc->t.size(), size_t(1));
    QCOMPARE(lxc->vmid, std::optional<int>(100));
    QVERIFY(!lxc->hasTemperature);
    // An empty poll drops everyone.
    store.recordGuests(start + 45000, {});
    QCOMPARE(store.guestCount(), 0);
}

void TestHistory::nodesOfflineAndTemperature()
{
    Store store;
    const qint64 start = (T0 / 60000 + 1) * 60000;
    store.recordNodes(start,
        {node(QStringLiteral("pve1"), 0.2, 8ll << 30),
            node(QStringLiteral("pve2"), 0.3, 9ll << 30)},
        {{QStringLiteral("pve1"), 61.5}});
    store.recordNodes(start + 10000,
        {node(QStringLiteral("pve1"), 0.25, 8ll << 30), node(QStringLiteral("pve2"), 0, 0, false)});
    const auto pve1 = store.series(QStringLiteral("node/pve1"), Range::Hour, start + 11000);
    QVERIFY(pve1 && pve1->hasTemperature);
    QCOMPARE(pve1->maxmem, 32ll << 30);
    QVERIFY(same(pve1->values[history::Temperature][0], 61.5, 0.005));
    QVERIFY(std::isnan(pve1->values[history::Temperature][1])); // no reading in that poll
    QVERIFY(std::isnan(pve1->values[history::NetIn][0])); // nodes have no live rates
    const auto pve2 = store.series(QStringLiteral("node/pve2"), Range::Hour, start + 11000);
    QVERIFY(std::isnan(pve2->values[history::Cpu][1])); // offline: null, not 0
    QVERIFY(std::isnan(pve2->values[history::Mem][1]));
    const QList<history::Series> all = store.nodeSeries(Range::Hour, start + 11000);
    QCOMPARE(all.size(), 2);
    QCOMPARE(all[0].id, QStringLiteral("node/pve1"));
    const QJsonObject json = history::toJson(all[0]);
    QCOMPARE(json.value(QStringLiteral("temperature")).toArray().size(), 2);
    QVERIFY(json.value(QStringLiteral("temperature")).toArray().at(1).isNull());
    QVERIFY(!json.contains(QStringLiteral("vmid")));
}

void TestHistory::rrdParsing_data()
{
    QTest::addColumn<QByteArray>("rows");
    QTest::addColumn<bool>("isNode");
    QTest::addColumn<QList<proxmox::RrdPoint>>("expected");
    using P = proxmox::RrdPoint;
    auto p = [](qint64 t) {
        P point;
        point.time = t;
        return point;
    };
    P full = p(1700000060);
    full.cpu = 0.5;
    full.mem = 1024;
    full.maxmem = 4096;
    full.netin = 10.5;
    full.netout = 2;
    full.diskread = 0;
    full.diskwrite = 7;
    QTest::newRow("guest row") << QByteArray(
        R"([{"time":1700000060,"cpu":0.5,"mem":1024,"maxmem":4096,"netin":10.5,"netout":2,"diskread":0,"diskwrite":7,"disk":0}])")
                               << false << QList<P> {full};
    QTest::newRow("numbers as strings") << QByteArray(
        R"([{"time":"1700000060","cpu":"0.5","mem":"1024","maxmem":"4096","netin":" 10.5 ","netout":"2","diskread":"0","diskwrite":"7e0"}])")
                                        << false << QList<P> {full};
    QTest::newRow("only time") << QByteArray(R"([{"time":1700000120}])") << false
                               << QList<P> {p(1700000120)};
    P node = p(1700000060);
    node.cpu = 0.25;
    node.mem = 100;
    node.maxmem = 200;
    node.netin = 3;
    node.netout = 4;
    QTest::newRow("node names") << QByteArray(
        R"([{"time":1700000060,"cpu":0.25,"memused":100,"memtotal":200,"netin":3,"netout":4,"mem":999,"diskread":5}])")
                                << true << QList<P> {node};
    P partial = p(1700000060);
    partial.cpu = 0.25;
    QTest::newRow("bad values are empty") << QByteArray(
        R"([{"time":1700000060,"cpu":0.25,"mem":"lots","maxmem":null,"netin":-3,"netout":"NaN","diskread":[],"diskwrite":{}}])")
                                          << false << QList<P> {partial};
    QTest::newRow("rows without time skipped") << QByteArray(
        R"([{"cpu":0.5},{"time":null},{"time":"soon"},{"time":0},{"time":-60},7,"x",null,[],{"time":1700000120}])")
                                               << false << QList<P> {p(1700000120)};
    QTest::newRow("float time") << QByteArray(R"([{"time":1700000060.0}])") << false
                                << QList<P> {p(1700000060)};
    QTest::newRow("sorted by time")
        << QByteArray(R"([{"time":1700000180},{"time":1700000060},{"time":1700000120}])") << false
        << QList<P> {p(1700000060), p(1700000120), p(1700000180)};
    QTest::newRow("empty") << QByteArray("[]") << false << QList<P> {};
}

void TestHistory::rrdParsing()
{
    QFETCH(QByteArray, rows);
    QFETCH(bool, isNode);
    QFETCH(QList<proxmox::RrdPoint>, expected);
    const QJsonDocument doc = QJsonDocument::fromJson(rows);
    QVERIFY(doc.isArray());
    const QList<proxmox::RrdPoint> got = proxmox::rrdFromPve(doc.array(), isNode);
    QCOMPARE(got.size(), expected.size());
    for (qsizetype i = 0; i < got.size(); ++i)
        QVERIFY2(got[i] == expected[i], qPrintable(QString::number(i)));
}

void TestHistory::rrdFixtures()
{
    const auto node = proxmox::rrdFromPve(fixtureData("nodes_node_rrddata_hour.json"), true);
    QCOMPARE(node.size(), 4);
    QCOMPARE(node[0].time, 1733450160);
    QVERIFY(same(*node[0].cpu, 0.0215337142857143, 1e-15));
    QCOMPARE(*node[0].maxmem, 33537224704.0);
    QVERIFY(same(*node[2].mem, 9490011340.8, 1e-3)); // strings
    QVERIFY(same(*node[2].netout, 6391.25, 1e-9));
    QVERIFY(!node[0].diskread);
    QVERIFY(!node[3].cpu && !node[3].mem && !node[3].netin); // the step under way
    const auto vm =
        proxmox::rrdFromPve(fixtureData("nodes_node_qemu_vmid_rrddata_hour.json"), false);
    QCOMPARE(vm.size(), 4);
    QCOMPARE(*vm[1].diskread, 68.2666666666667);
    QCOMPARE(*vm[1].maxmem, 4294967296.0);
    QCOMPARE(vm[2].time - vm[1].time, 60);

    // Backfilled into a store: the three minutes with data, from the hour's 1-minute points.
    Store store;
    const qint64 now = (1733450340 + 30) * 1000ll;
    store.recordGuests(now, {guest(100, 0.1, 1 << 20)});
    QVERIFY(store.backfill(QStringLiteral("qemu/100"), 60, vm, now));
    const auto day = store.series(QStringLiteral("qemu/100"), Range::Day, now);
    QCOMPARE(day->t, (std::vector<qint64> {1733450160, 1733450220, 1733450280}));
    QVERIFY(same(day->values[history::DiskWrite][1], 12014.93, 12014.93 * 0.063));
    // The hour shows them before the live sample.
    const auto hour = store.series(QStringLiteral("qemu/100"), Range::Hour, now);
    QCOMPARE(hour->t, (std::vector<qint64> {1733450160, 1733450220, 1733450280, now / 1000}));
}

void TestHistory::backfillRules()
{
    Store store;
    const qint64 minute = (T0 / 60000 + 1) * 60000;
    // Live samples in minute M (cpu 0.5), rolled up by a sample in M+1.
    store.recordGuests(minute, {guest(100, 0.5, 1 << 20)});
    store.recordGuests(minute + 60000, {guest(100, 0.5, 1 << 20)});
    const qint64 now = minute + 61000;
    auto point = [](qint64 t, double cpu) {
        proxmox::RrdPoint p;
        p.time = t;
        p.cpu = cpu;
        return p;
    };
    // Hour points for M-2, M-1 and M: the live minute M wins.
    QVERIFY(store.backfill(QStringLiteral("qemu/100"), 60,
        {point(minute / 1000 - 120, 0.1), point(minute / 1000 - 60, 0.2),
            point(minute / 1000, 0.9)},
        now));
    // A day point (30 minutes, starting 25 minutes back) fills only minutes still empty.
    QVERIFY(
        store.backfill(QStringLiteral("qemu/100"), 1800, {point(minute / 1000 - 1500, 0.7)}, now));
    // Points older than 24 h, or for an unknown id, change nothing.
    QVERIFY(
        store.backfill(QStringLiteral("qemu/100"), 60, {point(minute / 1000 - 90000, 0.3)}, now));
    QVERIFY(!store.backfill(QStringLiteral("qemu/999"), 60, {point(minute / 1000, 0.3)}, now));
    const auto day = store.series(QStringLiteral("qemu/100"), Range::Day, now);
    QVERIFY(day);
    QCOMPARE(day->t.size(), size_t(26)); // M-25 .. M
    QCOMPARE(day->t.front(), minute / 1000 - 1500);
    QCOMPARE(day->t.back(), minute / 1000);
    const auto cpu = [&](qint64 t) {
        for (size_t i = 0; i < day->t.size(); ++i) {
            if (day->t[i] == t)
                return day->values[history::Cpu][i];
        }
        return -1.0;
    };
    const double e = history::maxError8(Scale::Fraction);
    QVERIFY(same(cpu(minute / 1000), 0.5, e)); // live
    QVERIFY(same(cpu(minute / 1000 - 60), 0.2, e)); // hour point
    QVERIFY(same(cpu(minute / 1000 - 120), 0.1, e));
    QVERIFY(same(cpu(minute / 1000 - 180), 0.7, e)); // day point
    QVERIFY(same(cpu(minute / 1000 - 1500), 0.7, e));
    // A second guest that appears later has nothing in those minutes.
    store.recordGuests(minute + 62000, {guest(100, 0.5, 1 << 20), guest(101, 0.5, 1 << 20)});
    QCOMPARE(store.series(QStringLiteral("qemu/101"), Range::Day, now)->t.size(), size_t(0));
}

// A day slot last held a minute 24 hours ago: the backfill that claims it for a new minute
// clears it in every guest, so the others show nothing there rather than yesterday's values.
void TestHistory::backfillClaimClearsStaleMinutes()
{
    Store store;
    const qint64 m0 = (T0 / 60000 + 1) * 60000; // ms
    const QList<VmData> both {
        guest(100, 0.4, 1 << 20), guest(101, 0.4, 1 << 20), guest(102, 0.4, 1 << 20)};
    store.recordGuests(m0, both);
    store.recordGuests(m0 + 60000, both); // minute m0 rolled up into its day slot
    const qint64 now = m0 + 1441 * 60000ll + 30000; // m0's slot now stands for m0 + 1440 min
    store.recordGuests(now, both);
    proxmox::RrdPoint p;
    p.time = (m0 + 1440 * 60000ll) / 1000;
    p.cpu = 0.9;
    QVERIFY(store.backfill(QStringLiteral("qemu/100"), 60, {p}, now));
    // The day: the last 1440 complete minutes, m0 + 1 min (live) .. m0 + 1440 min.
    const qint64 rolled = (m0 + 60000) / 1000;
    const double e = history::maxError8(Scale::Fraction);
    const auto filled = store.series(QStringLiteral("qemu/100"), Range::Day, now);
    QCOMPARE(filled->t.front(), rolled);
    QCOMPARE(filled->t.back(), p.time);
    QVERIFY(same(filled->values[history::Cpu].front(), 0.4, e));
    QVERIFY(same(filled->values[history::Cpu].back(), 0.9, e));
    for (const QString &other : {QStringLiteral("qemu/101"), QStringLiteral("qemu/102")}) {
        const auto s = store.series(other, Range::Day, now);
        QCOMPARE(s->t, filled->t);
        QVERIFY(same(s->values[history::Cpu].front(), 0.4, e));
        for (int ch = 0; ch < history::Temperature; ++ch)
            QVERIFY2(std::isnan(s->values[ch].back()), qPrintable(other)); // not yesterday's 0.4
    }
}

// The clock stepped back two hours (NTP, an admin): what the rings held for later times is
// dropped and every poll is recorded again at once (before, each merged into the newest slot
// until the clock caught up). A poll 30 s early (two answers that crossed) still merges.
void TestHistory::clockSteppedBack()
{
    Store store;
    const qint64 start = (T0 / 60000 + 1) * 60000;
    for (int i = 0; i < 12; ++i) // 3 minutes, 2 of them rolled up into the day ring
        store.recordGuests(start + i * 15000, {guest(100, 0.2, 1 << 20)});
    store.recordGuests(start + 10 * 15000, {guest(100, 0.3, 1 << 20)}); // 30 s early
    QCOMPARE(store.clockStepsBack(), quint64(0));
    QCOMPARE(store.series(QStringLiteral("qemu/100"), Range::Hour, start + 12 * 15000)->t.size(),
        size_t(12));

    const qint64 back = start - 2 * 3600 * 1000ll;
    for (int i = 0; i < 8; ++i) // 2 minutes: the first rolled up
        store.recordGuests(back + i * 15000, {guest(100, 0.6, 1 << 20)});
    QCOMPARE(store.clockStepsBack(), quint64(1));
    const qint64 now = back + 8 * 15000;
    const double e16 = history::maxError16(Scale::Fraction);
    const auto hour = store.series(QStringLiteral("qemu/100"), Range::Hour, now);
    QVERIFY(hour);
    QCOMPARE(hour->t.size(), size_t(8)); // every poll since the step, nothing from after it
    QCOMPARE(hour->t.front(), back / 1000);
    QCOMPARE(hour->t.back(), (back + 7 * 15000) / 1000);
    for (const double v : hour->values[history::Cpu])
        QVERIFY(same(v, 0.6, e16));
    const auto day = store.series(QStringLiteral("qemu/100"), Range::Day, now);
    QVERIFY(day);
    QVERIFY(!day->t.empty());
    QCOMPARE(day->t.front(), back / 1000); // the first minute after the step, rolled up
    QVERIFY(day->t.back() < now / 1000);
    for (const double v : day->values[history::Cpu])
        QVERIFY(std::isnan(v) || same(v, 0.6, history::maxError8(Scale::Fraction)));
    // Saved now and read back at start (a restart soon after the step): nothing in the file is
    // later than now, so it is kept.
    Store copy;
    QString why;
    QVERIFY2(copy.load(store.save(), &why, now), qPrintable(why));
    QCOMPARE(copy.series(QStringLiteral("qemu/100"), Range::Hour, now)->t, hour->t);
    // Once the clock passes the old times again, those minutes are new ones, not the dropped.
    store.recordGuests(start + 20 * 60000, {guest(100, 0.9, 1 << 20)});
    QCOMPARE(store.clockStepsBack(), quint64(1));
}

// The 64 MB bound for 5000 guests, from the store's own accounting (the benchmark measures the
// heap as well and prints both).
void TestHistory::memoryBound()
{
    Store store;
    QList<VmData> vms;
    for (int i = 0; i < 5000; ++i)
        vms.append(guest(100 + i, 0.1, 1 << 20));
    store.recordGuests(T0, vms);
    QVERIFY2(store.memoryBytes() <= 64ll * 1000 * 1000,
        qPrintable(QString::number(store.memoryBytes())));
    qInfo("history: %lld bytes for 5000 guests (%lld a guest)", store.memoryBytes(),
        store.memoryBytes() / 5000);
}

void TestHistory::fileRoundTrip()
{
    Store store;
    const qint64 start = (T0 / 60000 + 1) * 60000;
    for (int i = 0; i < 20; ++i) {
        store.recordGuests(start + i * 15000,
            {guest(100, 0.01 * i, qint64(i + 1) << 20, i * 1000ll),
                guest(201, 0.2, 1 << 20, 0, VmData::Kind::Lxc)});
        store.recordNodes(start + i * 15000, {node(QStringLiteral("pve1"), 0.3, 8ll << 30)},
            {{QStringLiteral("pve1"), 50 + i}});
    }
    const QByteArray image = store.save();
    Store copy;
    QString why;
    QVERIFY2(copy.load(image, &why), qPrintable(why));
    QCOMPARE(copy.guestCount(), 2);
    QCOMPARE(copy.nodeCount(), 1);
    const qint64 now = start + 20 * 15000;
    for (const QString &id :
        {QStringLiteral("qemu/100"), QStringLiteral("lxc/201"), QStringLiteral("node/pve1")}) {
        for (Range range : {Range::Hour, Range::Day}) {
            const auto a = store.series(id, range, now);
            const auto b = copy.series(id, range, now);
            QVERIFY(a && b);
            QCOMPARE(history::toJson(*b), history::toJson(*a));
        }
    }
    // Rates restart after a load: the counters are not kept.
    copy.recordGuests(now, {guest(100, 0.5, 1 << 20, 99999)});
    QVERIFY(std::isnan(
        copy.series(QStringLiteral("qemu/100"), Range::Hour, now)->values[history::NetIn].back()));
}

void TestHistory::saveInSteps()
{
    Store store;
    QList<VmData> vms;
    for (int i = 0; i < 10; ++i)
        vms.append(guest(100 + i, 0.1 * i, 1 << 20, i));
    store.recordGuests(T0, vms);
    store.recordNodes(T0, {node(QStringLiteral("pve1"), 0.3, 8ll << 30)});
    // In steps of 3 guests: the same image as at once.
    auto job = store.beginSave();
    int steps = 0;
    Store::SaveStep step;
    while ((step = store.continueSave(*job, 3)) == Store::SaveStep::More)
        ++steps;
    QCOMPARE(step, Store::SaveStep::Done);
    QCOMPARE(steps, 3); // 3 + 3 + 3, then the last one and the checksum
    QCOMPARE(job->take(), store.save());
    // A poll between two steps: the job says so and yields no image.
    auto stale = store.beginSave();
    QCOMPARE(store.continueSave(*stale, 3), Store::SaveStep::More);
    store.recordGuests(T0 + 15000, vms);
    QCOMPARE(store.continueSave(*stale, 3), Store::SaveStep::Changed);
    QVERIFY(stale->take().isEmpty());
}

void TestHistory::corruptFiles_data()
{
    QTest::addColumn<QByteArray>("image");
    QTest::addColumn<QString>("why");
    Store store;
    store.recordGuests(T0, {guest(100, 0.1, 1 << 20)});
    store.recordNodes(T0, {node(QStringLiteral("pve1"), 0.3, 8ll << 30)});
    const QByteArray good = store.save();
    QTest::newRow("empty") << QByteArray() << "not a jarvis history file";
    QTest::newRow("text") << QByteArray("[history]\nfile=x\n") << "not a jarvis history file";
    QByteArray version = good;
    version[4] = 2;
    QTest::newRow("newer version") << version << "format version 2, this jarvisd reads 1";
    QTest::newRow("truncated") << good.left(good.size() - 100) << "truncated or oversized";
    QTest::newRow("header only") << good.left(32) << "truncated or oversized";
    QTest::newRow("longer") << good + QByteArray(10, '\0') << "truncated or oversized";
    QByteArray flipped = good;
    flipped[good.size() / 2] = char(flipped[good.size() / 2] ^ 0x40);
    QTest::newRow("a flipped bit") << flipped << "checksum mismatch";
    Store other(history::StoreOptions {5, 15});
    QTest::newRow("other intervals")
        << other.save() << "written with poll intervals 5/15 s, now 10/15 s";
}

void TestHistory::corruptFiles()
{
    QFETCH(QByteArray, image);
    QFETCH(QString, why);
    Store store;
    store.recordGuests(T0, {guest(300, 0.1, 1 << 20)});
    const QByteArray before = store.save();
    QString reason;
    QVERIFY(!store.load(image, &reason));
    QVERIFY2(reason.startsWith(why), qPrintable(reason));
    QCOMPARE(store.save(), before); // unchanged
}

void TestHistory::recorderKeepsFileAcrossRestart()
{
    QTemporaryDir dir;
    core::ManualClock clock;
    history::Recorder::Options o;
    o.backfill = false;
    o.file = dir.filePath(QStringLiteral("history.bin"));
    o.saveIntervalMs = 60000;
    {
        history::Recorder recorder(nullptr, o, &clock);
        recorder.start();
        QSignalSpy saved(&recorder, &history::Recorder::saved);
        for (int i = 0; i < 8; ++i) { // 2 minutes: the periodic save writes once, on its thread
            recorder.recordGuests(clock.now().toMSecsSinceEpoch(), {guest(100, 0.25, 1 << 30)});
            clock.advance(15000);
        }
        QTRY_VERIFY(saved.size() >= 1);
        QCOMPARE(saved.first().first().toBool(), true);
        QVERIFY(QFile::exists(o.file));
    } // shutdown writes the file
    QCOMPARE(QFile(o.file).permissions() & (QFileDevice::ReadOther | QFileDevice::ReadGroup),
        QFileDevice::Permissions());
    history::Recorder again(nullptr, o, &clock);
    again.start();
    const auto s = again.series(QStringLiteral("qemu/100"), Range::Hour);
    QVERIFY(s);
    QCOMPARE(s->t.size(), size_t(8));
    QVERIFY(same(s->values[history::Cpu].back(), 0.25, 1e-5));
}

void TestHistory::recorderIgnoresBadFile()
{
    QTemporaryDir dir;
    core::ManualClock clock;
    history::Recorder::Options o;
    o.backfill = false;
    o.file = dir.filePath(QStringLiteral("history.bin"));
    QFile file(o.file);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("JHS1 but not really a history file");
    file.close();
    QTest::ignoreMessage(QtWarningMsg,
        QRegularExpression(QStringLiteral("history file .* ignored: not a jarvis history file")));
    history::Recorder recorder(nullptr, o, &clock);
    recorder.start();
    QCOMPARE(recorder.store().guestCount(), 0);
    recorder.recordGuests(clock.now().toMSecsSinceEpoch(), {guest(100, 0.25, 1 << 30)});
    QCOMPARE(recorder.series(QStringLiteral("qemu/100"), Range::Hour)->t.size(), size_t(1));
}

void TestHistory::recorderIgnoresFileFromTheFuture_data()
{
    QTest::addColumn<int>("backS"); // how far the clock went back since the file was written
    QTest::addColumn<bool>("loaded");
    QTest::newRow("30 s back: within the slack") << 30 << true;
    QTest::newRow("2 hours back") << 7200 << false;
    QTest::newRow("2 days back") << 2 * 86400 << false;
}

// A file written while the clock was ahead holds its minutes (hour slots, day slots) until the
// clock catches up: live polls could not take them. It is ignored, with the reason.
void TestHistory::recorderIgnoresFileFromTheFuture()
{
    QFETCH(int, backS);
    QFETCH(bool, loaded);
    QTemporaryDir dir;
    history::Recorder::Options o;
    o.backfill = false;
    o.file = dir.filePath(QStringLiteral("history.bin"));
    const QDateTime written = QDateTime::fromSecsSinceEpoch(1750000000 + 7 * 86400, Qt::UTC);
    {
        core::ManualClock ahead(written);
        history::Recorder recorder(nullptr, o, &ahead);
        recorder.start();
        for (int i = 0; i < 8; ++i) { // two minutes: the first is rolled up into the day ring
            recorder.recordGuests(ahead.now().toMSecsSinceEpoch(), {guest(100, 0.25, 1 << 30)});
            ahead.advance(15000);
        }
    } // shutdown writes the file
    core::ManualClock clock(written.addSecs(120 - backS));
    if (!loaded) {
        QTest::ignoreMessage(QtWarningMsg,
            QRegularExpression(
                QStringLiteral("history file .* ignored: it holds data up to "
                               "\\S+, later than now \\(was the clock ahead\\?\\)")));
    }
    history::Recorder recorder(nullptr, o, &clock);
    recorder.start();
    QCOMPARE(recorder.store().guestCount(), loaded ? 1 : 0);
    // Live polls are recorded either way.
    for (int i = 0; i < 5; ++i) {
        recorder.recordGuests(clock.now().toMSecsSinceEpoch(), {guest(100, 0.5, 1 << 30)});
        clock.advance(15000);
    }
    const auto hour = recorder.series(QStringLiteral("qemu/100"), Range::Hour);
    QVERIFY(hour);
    QVERIFY(same(hour->values[history::Cpu].back(), 0.5, 1e-5));
    QCOMPARE(hour->t.back(), clock.now().toSecsSinceEpoch() - 15);
    if (!loaded) {
        QCOMPARE(hour->t.size(), size_t(5));
        const auto day = recorder.series(QStringLiteral("qemu/100"), Range::Day);
        QVERIFY(day);
        QVERIFY(!day->t.empty()); // the first live minute, rolled up
        QVERIFY(day->t.back() <= clock.now().toSecsSinceEpoch());
    }
}

QTEST_MAIN(TestHistory)
#include "tst_history.moc"
