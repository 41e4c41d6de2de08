// The history on /cluster end to end: a real jarvisd Application (history on) polling the PVE
// simulator over HTTP, its rrddata backfill, and real Socket.IO clients (the project's C++
// client) reading the `history` event and asking for series with an ack. Time is a
// core::ManualClock where it matters.
#include "clusterfixture.h"
#include "history/recorder.h"
#include "realtime/sioserver.h"

using jarvis::core::ManualClock;
using jarvis::demo::Fault;
using jarvis::demo::FaultRule;
using Source = jarvis::realtime::ClusterEmitter::Source;

namespace {
void withHistory(jarvis::config::Config &c)
{
    c.historyEnabled = true;
    c.historyFile.clear();
}

void withHistoryNoBackfill(jarvis::config::Config &c)
{
    withHistory(c);
    c.historyBackfill = false;
}

QStringList channelsOf(bool node)
{
    QStringList names = {QStringLiteral("cpu"), QStringLiteral("mem"), QStringLiteral("netin"),
        QStringLiteral("netout"), QStringLiteral("diskread"), QStringLiteral("diskwrite")};
    if (node)
        names.append(QStringLiteral("temperature"));
    return names;
}

// Checks one HistorySeries against PROTOCOL.md section 5; returns the number of points.
int checkSeries(const QJsonObject &s, const QString &range)
{
    const QString id = s.value(QStringLiteral("id")).toString();
    const bool node = id.startsWith(QLatin1String("node/"));
    [&] {
        QVERIFY2(
            node || id.startsWith(QLatin1String("qemu/")) || id.startsWith(QLatin1String("lxc/")),
            qPrintable(id));
        QVERIFY(s.value(QStringLiteral("node")).isString());
        QCOMPARE(s.value(QStringLiteral("range")).toString(), range);
        QVERIFY(s.value(QStringLiteral("maxmem")).isDouble());
        QCOMPARE(s.contains(QStringLiteral("vmid")), !node);
        if (!node)
            QCOMPARE(QString::number(s.value(QStringLiteral("vmid")).toInt()), id.section('/', 1));
        QCOMPARE(s.contains(QStringLiteral("temperature")), node);
        const QJsonArray t = s.value(QStringLiteral("t")).toArray();
        double previous = 0;
        for (const QJsonValue &v : t) {
            QVERIFY(v.isDouble());
            QVERIFY(v.toDouble() > previous); // oldest first, Unix seconds
            QCOMPARE(v.toDouble(), std::floor(v.toDouble()));
            previous = v.toDouble();
        }
        for (const QString &name : channelsOf(node)) {
            const QJsonArray a = s.value(name).toArray();
            QVERIFY2(s.value(name).isArray(), qPrintable(name));
            QCOMPARE(a.size(), t.size());
            for (const QJsonValue &v : a) {
                QVERIFY2(v.isNull() || (v.isDouble() && v.toDouble() >= 0), qPrintable(name));
                if (name == QLatin1String("cpu") && v.isDouble())
                    QVERIFY(v.toDouble() <= 1.0);
            }
        }
    }();
    return int(s.value(QStringLiteral("t")).toArray().size());
}

// The ack of one `history` request (nullopt if none came within 10 s).
std::optional<jarvis::client::AckResult> request(
    jarvis::client::SocketIoClient *client, const QJsonArray &args)
{
    std::optional<jarvis::client::AckResult> ack;
    client->emitEvent(QStringLiteral("history"), args, {}, client,
        [&](const jarvis::client::AckResult &r) { ack = r; });
    if (!QTest::qWaitFor([&] { return ack.has_value(); }, 10000))
        return std::nullopt;
    return ack;
}
} // namespace

class TestHistoryEvents : public QObject
{
    Q_OBJECT

private slots:
    void historyAfterTheSnapshots();
    void requestWithAck();
    void badRequests_data();
    void badRequests();
    void keepsPollingWithoutClients();
    void liveSamplesExtendTheHour();
    void backfillFromSimulator();
    void failedBackfillLeavesLiveData();
    void backfillNeverStarvesPolls();
};

void TestHistoryEvents::historyAfterTheSnapshots()
{
    ManualClock clock; // no tick during the test: the minute cannot roll over
    ClusterFixture f(300, {}, withHistoryNoBackfill, &clock);
    QVERIFY2(f.started, qPrintable(f.startError));
    // Polling runs without clients: the first polls land before anyone connects.
    QTRY_VERIFY_WITH_TIMEOUT(f.emitter()->pollCount(Source::Nodes) >= 1
            && f.emitter()->pollCount(Source::Vms) >= 1
            && f.emitter()->pollCount(Source::Storage) >= 1,
        10000);
    f.connect(QStringLiteral("/cluster"), QStringLiteral("c"));
    QTRY_VERIFY_WITH_TIMEOUT(f.count(QStringLiteral("c"), QStringLiteral("history")) == 1, 10000);

    // Sent once, right after nodes, quorum, vms and storage.
    QStringList order;
    for (const ReceivedEvent &e : std::as_const(f.events)) {
        if (e.client == QLatin1String("c"))
            order.append(e.event);
    }
    const qsizetype at = order.indexOf(QStringLiteral("history"));
    for (const char *before : {"nodes", "quorum", "vms", "storage"}) {
        const qsizetype i = order.indexOf(QLatin1String(before));
        QVERIFY2(i >= 0 && i < at, before);
    }

    const QJsonArray args = f.of(QStringLiteral("c"), QStringLiteral("history")).first().args;
    QCOMPARE(args.size(), 1);
    const QJsonObject payload = args.first().toObject();
    QCOMPARE(payload.value(QStringLiteral("range")).toString(), QStringLiteral("hour"));
    const QJsonArray series = payload.value(QStringLiteral("series")).toArray();
    QCOMPARE(series.size(), 3); // every node
    QStringList ids;
    for (const QJsonValue &v : series) {
        const QJsonObject s = v.toObject();
        ids.append(s.value(QStringLiteral("id")).toString());
        QCOMPARE(checkSeries(s, QStringLiteral("hour")), 1); // one poll so far
        QVERIFY(s.value(QStringLiteral("cpu")).toArray().first().isDouble());
        QVERIFY(s.value(QStringLiteral("mem")).toArray().first().toDouble() > 0);
        QVERIFY(s.value(QStringLiteral("maxmem")).toDouble() > 0);
        QCOMPARE(s.value(QStringLiteral("node")).toString(), ids.last().mid(5));
    }
    QCOMPARE(ids, (QStringList {"node/pve1", "node/pve2", "node/pve3"}));
    // Only once: a later poll sends nodes and vms, no history.
    QVERIFY(f.app->cluster()->history());
}

void TestHistoryEvents::requestWithAck()
{
    ManualClock clock; // no tick during the test: the minute cannot roll over
    ClusterFixture f(300, {}, withHistoryNoBackfill, &clock);
    QVERIFY(f.started);
    QTRY_VERIFY_WITH_TIMEOUT(f.emitter()->pollCount(Source::Vms) >= 1, 10000);
    auto *client = f.connect(QStringLiteral("/cluster"));
    for (const QString &range : {QStringLiteral("hour"), QStringLiteral("day")}) {
        for (const QString &id :
            {QStringLiteral("qemu/100"), QStringLiteral("lxc/200"), QStringLiteral("node/pve2")}) {
            const auto ack = request(client,
                {QJsonObject {{QStringLiteral("id"), id}, {QStringLiteral("range"), range}}});
            QVERIFY(ack && ack->ok());
            QCOMPARE(ack->args.size(), 1);
            const QJsonObject answer = ack->args.first().toObject();
            QCOMPARE(answer.value(QStringLiteral("ok")), QJsonValue(true));
            const QJsonObject s = answer.value(QStringLiteral("series")).toObject();
            QCOMPARE(s.value(QStringLiteral("id")).toString(), id);
            const int points = checkSeries(s, range);
            // The hour has the first poll; the day has no complete minute yet.
            QCOMPARE(points, range == QLatin1String("hour") ? 1 : 0);
        }
    }
}

void TestHistoryEvents::badRequests_data()
{
    QTest::addColumn<QJsonArray>("args");
    QTest::addColumn<QString>("error");
    const QString shape = QStringLiteral("history: expected one object {id, range}");
    const QString idType = QStringLiteral(
        "history: id must be a string: \"node/<name>\", \"qemu/<vmid>\" or \"lxc/<vmid>\"");
    const QString rangeValue = QStringLiteral("history: range must be \"hour\" or \"day\"");
    auto req = [](QJsonValue id, QJsonValue range) {
        QJsonObject o;
        if (!id.isUndefined())
            o.insert(QStringLiteral("id"), id);
        if (!range.isUndefined())
            o.insert(QStringLiteral("range"), range);
        return QJsonArray {o};
    };
    const QJsonValue none(QJsonValue::Undefined);
    QTest::newRow("no argument") << QJsonArray {} << shape;
    QTest::newRow("a string") << QJsonArray {QStringLiteral("qemu/100")} << shape;
    QTest::newRow("an array") << QJsonArray {QJsonArray {}} << shape;
    QTest::newRow("null") << QJsonArray {QJsonValue::Null} << shape;
    QTest::newRow("no id") << req(none, QStringLiteral("hour")) << idType;
    QTest::newRow("id a number") << req(100, QStringLiteral("hour")) << idType;
    QTest::newRow("id null") << req(QJsonValue::Null, QStringLiteral("hour")) << idType;
    QTest::newRow("no range") << req(QStringLiteral("qemu/100"), none) << rangeValue;
    QTest::newRow("range week") << req(QStringLiteral("qemu/100"), QStringLiteral("week"))
                                << rangeValue;
    QTest::newRow("range HOUR") << req(QStringLiteral("qemu/100"), QStringLiteral("HOUR"))
                                << rangeValue;
    QTest::newRow("range a number") << req(QStringLiteral("qemu/100"), 1) << rangeValue;
    const auto unknown = [](const char *id) {
        return QStringLiteral("history: unknown id \"%1\" (no such node or guest now)")
            .arg(QString::fromUtf8(id));
    };
    for (const char *id : {"qemu/99999", "lxc/100", "qemu/200", "node/pve9", "node/", "qemu/",
             "qemu/0100", "qemu/-1", "vm/100", "100", "", "node/pve1/x", "qemu/100 ", "qemu/ 100",
             "qemu/+100", "qemu/1e2", "qemu/\u0661\u0660\u0660"}) {
        QTest::addRow("unknown id '%s'", id)
            << req(QString::fromUtf8(id), QStringLiteral("hour")) << unknown(id);
    }
}

void TestHistoryEvents::badRequests()
{
    QFETCH(QJsonArray, args);
    QFETCH(QString, error);
    ClusterFixture f(300, {}, withHistoryNoBackfill);
    QVERIFY(f.started);
    QTRY_VERIFY_WITH_TIMEOUT(
        f.emitter()->pollCount(Source::Vms) >= 1 && f.emitter()->pollCount(Source::Nodes) >= 1,
        10000);
    auto *client = f.connect(QStringLiteral("/cluster"));
    const auto ack = request(client, args);
    QVERIFY(ack && ack->ok());
    QCOMPARE(ack->args.size(), 1);
    const QJsonObject answer = ack->args.first().toObject();
    QCOMPARE(answer.value(QStringLiteral("ok")), QJsonValue(false));
    QCOMPARE(answer.value(QStringLiteral("error")).toString(), error);
    QVERIFY(!answer.contains(QStringLiteral("series")));
    // The one request failed; the socket stays and answers the next.
    QVERIFY(client->isConnected());
    const auto good = request(client,
        {QJsonObject {{QStringLiteral("id"), QStringLiteral("qemu/100")},
            {QStringLiteral("range"), QStringLiteral("hour")}}});
    QVERIFY(good && good->ok());
    QCOMPARE(good->args.first().toObject().value(QStringLiteral("ok")), QJsonValue(true));
}

void TestHistoryEvents::keepsPollingWithoutClients()
{
    ManualClock clock;
    ClusterFixture f(300, {}, withHistoryNoBackfill, &clock);
    QVERIFY(f.started);
    QVERIFY(f.emitter()->isPolling()); // nobody connected, and still polling
    QTRY_VERIFY_WITH_TIMEOUT(f.emitter()->pollCount(Source::Vms) >= 1, 10000);
    const int before = f.simulator->requestCount(QStringLiteral("cluster/resources"));
    clock.advance(f.config.intervalVms * 1000);
    QTRY_VERIFY_WITH_TIMEOUT(
        f.simulator->requestCount(QStringLiteral("cluster/resources")) > before, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(f.emitter()->pollCount(Source::Vms) >= 2, 10000);

    // A client that comes and goes does not pause it either.
    auto *client = f.connect(QStringLiteral("/cluster"));
    client->disconnectFromServer();
    QTRY_VERIFY_WITH_TIMEOUT(
        f.app->sio()->findNamespace(QStringLiteral("/cluster"))->sockets().isEmpty(), 10000);
    QVERIFY(f.emitter()->isPolling());
}

void TestHistoryEvents::liveSamplesExtendTheHour()
{
    ManualClock clock;
    ClusterFixture f(300, {}, withHistoryNoBackfill, &clock);
    QVERIFY(f.started);
    QTRY_VERIFY_WITH_TIMEOUT(f.emitter()->pollCount(Source::Vms) >= 1, 10000);
    // Each vms tick (15 s) fetches a fresh answer or reuses one fetched less than 7.5 s before;
    // a reused answer is not a new sample.
    int polls = 1;
    for (int i = 0; i < 8; ++i) {
        clock.advance(f.config.intervalVms * 1000);
        ++polls;
        QTRY_VERIFY_WITH_TIMEOUT(f.emitter()->pollCount(Source::Vms) >= polls, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(f.emitter()->pollCount(Source::Nodes) >= 1, 10000);
    }
    const auto hour = f.app->cluster()->history()->series(
        QStringLiteral("qemu/100"), jarvis::history::Range::Hour);
    QVERIFY(hour);
    QVERIFY2(hour->t.size() >= 5, qPrintable(QString::number(hour->t.size())));
    // Rates from the counters' growth: the first sample has none, later ones do (guest 100 runs).
    QVERIFY(std::isnan(hour->values[jarvis::history::NetIn].front()));
    QVERIFY(!std::isnan(hour->values[jarvis::history::NetIn].back()));
    QVERIFY(hour->values[jarvis::history::NetIn].back() > 0);
    // 2 minutes have passed: the day has its first complete minute.
    const auto day = f.app->cluster()->history()->series(
        QStringLiteral("qemu/100"), jarvis::history::Range::Day);
    QVERIFY(day);
    QVERIFY(day->t.size() >= 1);
}

void TestHistoryEvents::backfillFromSimulator()
{
    ClusterFixture f(300, {}, withHistory);
    QVERIFY(f.started);
    jarvis::history::Recorder *history = f.app->cluster()->history();
    QSignalSpy finished(history, &jarvis::history::Recorder::backfillFinished);
    QTRY_VERIFY_WITH_TIMEOUT(finished.size() >= 1
            && history->backfillStats().done + history->backfillStats().failed == 2 * (3 + 12),
        20000);
    QCOMPARE(history->backfillStats().failed, 0);
    // Every node and guest asked once for each timeframe, over HTTP.
    QCOMPARE(f.simulator->requestCount(QStringLiteral("rrddata")), 2 * (3 + 12));

    // The day is full at once: about 24 h of minutes (the 30-minute points of the day answer
    // spread over their minutes, the last 69 from the hour answer).
    auto *client = f.connect(QStringLiteral("/cluster"));
    const auto ack = request(client,
        {QJsonObject {{QStringLiteral("id"), QStringLiteral("qemu/100")},
            {QStringLiteral("range"), QStringLiteral("day")}}});
    QVERIFY(ack && ack->ok());
    const QJsonObject s = ack->args.first().toObject().value(QStringLiteral("series")).toObject();
    const int points = checkSeries(s, QStringLiteral("day"));
    QVERIFY2(points >= 1380, qPrintable(QString::number(points)));
    const QJsonArray t = s.value(QStringLiteral("t")).toArray();
    const double now = double(QDateTime::currentSecsSinceEpoch());
    QVERIFY(t.first().toDouble() < now - 23 * 3600);
    QVERIFY(t.first().toDouble() >= now - 24 * 3600 - 60);
    // Guest 100 runs in the simulator: its backfilled network rates are positive.
    const QJsonArray netin = s.value(QStringLiteral("netin")).toArray();
    QVERIFY(netin.at(netin.size() - 10).toDouble() > 0);

    // The hour starts an hour back: backfilled minutes, then the live samples.
    const auto hour = history->series(QStringLiteral("node/pve1"), jarvis::history::Range::Hour);
    QVERIFY(hour);
    QVERIFY2(hour->t.size() >= 55, qPrintable(QString::number(hour->t.size())));
    QVERIFY(hour->t.front() <= qint64(now) - 3500);
    QVERIFY(!std::isnan(hour->values[jarvis::history::NetIn].front())); // from rrddata
    QVERIFY(!std::isnan(hour->values[jarvis::history::Cpu].back())); // live
}

void TestHistoryEvents::failedBackfillLeavesLiveData()
{
    ManualClock clock; // no tick during the test: the minute cannot roll over
    ClusterFixture f(300, {}, withHistory, &clock);
    f.simulator->injectFault(FaultRule::on(QStringLiteral("rrddata"), Fault::Kind::ServerError));
    QVERIFY(f.started);
    jarvis::history::Recorder *history = f.app->cluster()->history();
    QTRY_VERIFY_WITH_TIMEOUT(history->backfillStats().failed == 2 * (3 + 12), 20000);
    QCOMPARE(history->backfillStats().done, 0);
    const auto hour = history->series(QStringLiteral("qemu/100"), jarvis::history::Range::Hour);
    QVERIFY(hour);
    QCOMPARE(hour->t.size(), size_t(1)); // the live poll
    QVERIFY(!std::isnan(hour->values[jarvis::history::Cpu].front()));
}

void TestHistoryEvents::backfillNeverStarvesPolls()
{
    // Every rrddata request hangs: the backfill holds at most 3 of the client's 4 requests per
    // node, so a refresh still gets through.
    ClusterFixture f(300, {}, withHistory);
    f.simulator->injectFault(FaultRule::on(QStringLiteral("rrddata"), Fault::Kind::Hang));
    QVERIFY(f.started);
    jarvis::history::Recorder *history = f.app->cluster()->history();
    QTRY_VERIFY_WITH_TIMEOUT(history->backfillStats().inFlight == 3, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(f.simulator->pendingHangs(), 3, 10000);
    auto *client = f.connect(QStringLiteral("/cluster"));
    std::optional<jarvis::client::AckResult> ack;
    client->emitEvent(QStringLiteral("refresh"), {}, {}, client,
        [&](const jarvis::client::AckResult &r) { ack = r; });
    QTRY_VERIFY_WITH_TIMEOUT(ack.has_value(), 10000);
    QVERIFY(ack->ok());
    QCOMPARE(ack->args.first().toObject().value(QStringLiteral("ok")), QJsonValue(true));
    QCOMPARE(history->backfillStats().inFlight, 3);
    QVERIFY(history->backfillStats().queued > 0);
}

QTEST_MAIN(TestHistoryEvents)
#include "tst_historyevents.moc"
