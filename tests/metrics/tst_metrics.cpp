// The metrics registry and the Prometheus text exposition format 0.0.4 it writes: escaping,
// number formatting, cumulative histogram buckets, empty registries, label children resolved once,
// callback families read at render time. The end-to-end test (tst_metrics_e2e) reads the same
// text with the reference parser.
#include "metrics/process.h"
#include "metrics/registry.h"

#include <QDateTime>
#include <QTest>

#include <cmath>
#include <limits>
#include <thread>

using namespace jarvis::metrics;

class TestMetrics : public QObject
{
    Q_OBJECT

private slots:
    void labelValueEscaping_data();
    void labelValueEscaping();
    void helpEscaping_data();
    void helpEscaping();
    void values_data();
    void values();
    void emptyRegistry();
    void familyWithoutChildren();
    void countersAndGauges();
    void histogramBuckets_data();
    void histogramBuckets();
    void histogramWithLabels();
    void histogramIgnoresNaN();
    void childrenResolvedOnce();
    void callbackFamilyReadAtRender();
    void names_data();
    void names();
    void concurrentIncrements();
    void processStats();
};

void TestMetrics::labelValueEscaping_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("written");
    QTest::newRow("plain") << QStringLiteral("/cluster") << QByteArray("/cluster");
    QTest::newRow("empty") << QString() << QByteArray("");
    QTest::newRow("backslash") << QStringLiteral("a\\b") << QByteArray("a\\\\b");
    QTest::newRow("quote") << QStringLiteral("say \"hi\"") << QByteArray("say \\\"hi\\\"");
    QTest::newRow("newline") << QStringLiteral("one\ntwo") << QByteArray("one\\ntwo");
    QTest::newRow("all three") << QStringLiteral("\\\"\n") << QByteArray("\\\\\\\"\\n");
    QTest::newRow("literal backslash n") << QStringLiteral("\\n") << QByteArray("\\\\n");
    QTest::newRow("carriage return and tab kept")
        << QStringLiteral("a\r\tb") << QByteArray("a\r\tb");
    QTest::newRow("braces and equals")
        << QStringLiteral("{a=\"b\",c}") << QByteArray("{a=\\\"b\\\",c}");
    QTest::newRow("utf-8") << QStringLiteral("n\u00e9ud \u2603")
                           << QByteArray("n\xc3\xa9ud \xe2\x98\x83");
}

void TestMetrics::labelValueEscaping()
{
    QFETCH(QString, value);
    QFETCH(QByteArray, written);
    QByteArray out;
    text::appendLabelValue(out, value);
    QCOMPARE(out, written);

    // And inside a whole sample.
    Registry registry;
    registry.counter("jarvis_test_total", "Test.", {QStringLiteral("v")})->labels({value})->inc();
    QVERIFY2(registry.render().contains("jarvis_test_total{v=\"" + written + "\"} 1\n"),
        registry.render().constData());
}

void TestMetrics::helpEscaping_data()
{
    QTest::addColumn<QByteArray>("help");
    QTest::addColumn<QByteArray>("written");
    QTest::newRow("plain") << QByteArray("Polls.") << QByteArray("Polls.");
    QTest::newRow("backslash") << QByteArray("a\\b") << QByteArray("a\\\\b");
    QTest::newRow("newline") << QByteArray("one\ntwo") << QByteArray("one\\ntwo");
    QTest::newRow("quote kept") << QByteArray("\"x\"") << QByteArray("\"x\"");
}

void TestMetrics::helpEscaping()
{
    QFETCH(QByteArray, help);
    QFETCH(QByteArray, written);
    QCOMPARE(text::escapeHelp(help), written);
    Registry registry;
    registry.gauge("jarvis_g", help);
    QCOMPARE(registry.render(), "# HELP jarvis_g " + written + "\n# TYPE jarvis_g gauge\n");
}

void TestMetrics::values_data()
{
    QTest::addColumn<double>("value");
    QTest::addColumn<QByteArray>("written");
    QTest::newRow("zero") << 0.0 << QByteArray("0");
    QTest::newRow("one") << 1.0 << QByteArray("1");
    QTest::newRow("negative") << -2.5 << QByteArray("-2.5");
    QTest::newRow("tenth") << 0.1 << QByteArray("0.1");
    QTest::newRow("large integer") << 123456789.0 << QByteArray("123456789");
    QTest::newRow("2^53") << 9007199254740992.0 << QByteArray("9007199254740992");
    QTest::newRow("tiny") << 1e-9 << QByteArray("1e-09");
    QTest::newRow("+Inf") << std::numeric_limits<double>::infinity() << QByteArray("+Inf");
    QTest::newRow("-Inf") << -std::numeric_limits<double>::infinity() << QByteArray("-Inf");
    QTest::newRow("NaN") << std::numeric_limits<double>::quiet_NaN() << QByteArray("NaN");
}

void TestMetrics::values()
{
    QFETCH(double, value);
    QFETCH(QByteArray, written);
    QByteArray out;
    text::appendValue(out, value);
    QCOMPARE(out, written);
    if (std::isfinite(value))
        QCOMPARE(out.toDouble(), value); // round trip
}

void TestMetrics::emptyRegistry()
{
    Registry registry;
    QCOMPARE(registry.render(), QByteArray());
    QCOMPARE(Registry::contentType(), QByteArray("text/plain; version=0.0.4; charset=utf-8"));
}

void TestMetrics::familyWithoutChildren()
{
    // A labelled family nobody resolved yet: its HELP and TYPE, no samples.
    Registry registry;
    registry.counter("jarvis_a_total", "A.", {QStringLiteral("x")});
    registry.histogram("jarvis_h_seconds", "H.", {QStringLiteral("x")});
    QCOMPARE(registry.render(),
        QByteArray("# HELP jarvis_a_total A.\n# TYPE jarvis_a_total counter\n"
                   "# HELP jarvis_h_seconds H.\n# TYPE jarvis_h_seconds histogram\n"));
}

void TestMetrics::countersAndGauges()
{
    Registry registry;
    auto *requests = registry.counter("jarvis_requests_total", "Requests.",
        {QStringLiteral("endpoint"), QStringLiteral("status")});
    requests->labels({u"/cluster/resources", u"200"})->inc();
    requests->labels({u"/cluster/resources", u"200"})->inc(2);
    requests->labels({u"/nodes/{node}/status", u"error"})->inc();
    auto *clients = registry.gauge("jarvis_clients", "Clients.", {QStringLiteral("namespace")});
    clients->labels({u"/cluster"})->set(3);
    clients->labels({u"/cluster"})->dec();
    registry.gauge("jarvis_plain", "No labels.")->get()->set(0.25);
    QCOMPARE(registry.render(),
        QByteArray("# HELP jarvis_requests_total Requests.\n"
                   "# TYPE jarvis_requests_total counter\n"
                   "jarvis_requests_total{endpoint=\"/cluster/resources\",status=\"200\"} 3\n"
                   "jarvis_requests_total{endpoint=\"/nodes/{node}/status\",status=\"error\"} 1\n"
                   "# HELP jarvis_clients Clients.\n"
                   "# TYPE jarvis_clients gauge\n"
                   "jarvis_clients{namespace=\"/cluster\"} 2\n"
                   "# HELP jarvis_plain No labels.\n"
                   "# TYPE jarvis_plain gauge\n"
                   "jarvis_plain 0.25\n"));
}

void TestMetrics::histogramBuckets_data()
{
    QTest::addColumn<QList<double>>("bounds");
    QTest::addColumn<QList<double>>("observations");
    QTest::addColumn<QByteArray>("written");

    QTest::newRow("none observed") << QList<double> {0.1, 1} << QList<double> {}
                                   << QByteArray("jarvis_d_seconds_bucket{le=\"0.1\"} 0\n"
                                                 "jarvis_d_seconds_bucket{le=\"1\"} 0\n"
                                                 "jarvis_d_seconds_bucket{le=\"+Inf\"} 0\n"
                                                 "jarvis_d_seconds_sum 0\n"
                                                 "jarvis_d_seconds_count 0\n");
    // Upper bounds are inclusive; the buckets are cumulative; above every bound is +Inf only.
    QTest::newRow("cumulative, inclusive")
        << QList<double> {0.25, 1, 10} << QList<double> {0.125, 0.25, 0.5, 1, 20}
        << QByteArray("jarvis_d_seconds_bucket{le=\"0.25\"} 2\n"
                      "jarvis_d_seconds_bucket{le=\"1\"} 4\n"
                      "jarvis_d_seconds_bucket{le=\"10\"} 4\n"
                      "jarvis_d_seconds_bucket{le=\"+Inf\"} 5\n"
                      "jarvis_d_seconds_sum 21.875\n"
                      "jarvis_d_seconds_count 5\n");
    QTest::newRow("unsorted and duplicate bounds")
        << QList<double> {1, 0.5, 1} << QList<double> {0.75}
        << QByteArray("jarvis_d_seconds_bucket{le=\"0.5\"} 0\n"
                      "jarvis_d_seconds_bucket{le=\"1\"} 1\n"
                      "jarvis_d_seconds_bucket{le=\"+Inf\"} 1\n"
                      "jarvis_d_seconds_sum 0.75\n"
                      "jarvis_d_seconds_count 1\n");
    QTest::newRow("an infinite bound is the implicit one")
        << QList<double> {1, std::numeric_limits<double>::infinity()} << QList<double> {2}
        << QByteArray("jarvis_d_seconds_bucket{le=\"1\"} 0\n"
                      "jarvis_d_seconds_bucket{le=\"+Inf\"} 1\n"
                      "jarvis_d_seconds_sum 2\n"
                      "jarvis_d_seconds_count 1\n");
    QTest::newRow("no bounds: +Inf only") << QList<double> {} << QList<double> {3, 4}
                                          << QByteArray("jarvis_d_seconds_bucket{le=\"+Inf\"} 2\n"
                                                        "jarvis_d_seconds_sum 7\n"
                                                        "jarvis_d_seconds_count 2\n");
    QTest::newRow("negative and zero") << QList<double> {0} << QList<double> {-1, 0}
                                       << QByteArray("jarvis_d_seconds_bucket{le=\"0\"} 2\n"
                                                     "jarvis_d_seconds_bucket{le=\"+Inf\"} 2\n"
                                                     "jarvis_d_seconds_sum -1\n"
                                                     "jarvis_d_seconds_count 2\n");
}

void TestMetrics::histogramBuckets()
{
    QFETCH(QList<double>, bounds);
    QFETCH(QList<double>, observations);
    QFETCH(QByteArray, written);
    Registry registry;
    Histogram *h = registry
                       .histogram("jarvis_d_seconds", "D.", {},
                           std::vector<double>(bounds.cbegin(), bounds.cend()))
                       ->get();
    for (const double v : observations)
        h->observe(v);
    QCOMPARE(h->count(), quint64(observations.size()));
    QCOMPARE(registry.render(),
        "# HELP jarvis_d_seconds D.\n# TYPE jarvis_d_seconds histogram\n" + written);
}

void TestMetrics::histogramIgnoresNaN()
{
    Registry registry;
    Histogram *h = registry.histogram("jarvis_d_seconds", "D.", {}, {1})->get();
    h->observe(std::numeric_limits<double>::quiet_NaN());
    h->observe(2);
    QCOMPARE(h->count(), quint64(1));
    QCOMPARE(registry.render(),
        QByteArray("# HELP jarvis_d_seconds D.\n# TYPE jarvis_d_seconds histogram\n"
                   "jarvis_d_seconds_bucket{le=\"1\"} 0\n"
                   "jarvis_d_seconds_bucket{le=\"+Inf\"} 1\n"
                   "jarvis_d_seconds_sum 2\n"
                   "jarvis_d_seconds_count 1\n"));
}

void TestMetrics::histogramWithLabels()
{
    Registry registry;
    auto *family = registry.histogram(
        "jarvis_poll_duration_seconds", "Polls.", {QStringLiteral("source")}, {0.5});
    family->labels({u"vms"})->observe(0.25);
    family->labels({u"nodes"})->observe(1);
    QCOMPARE(registry.render(),
        QByteArray("# HELP jarvis_poll_duration_seconds Polls.\n"
                   "# TYPE jarvis_poll_duration_seconds histogram\n"
                   "jarvis_poll_duration_seconds_bucket{source=\"vms\",le=\"0.5\"} 1\n"
                   "jarvis_poll_duration_seconds_bucket{source=\"vms\",le=\"+Inf\"} 1\n"
                   "jarvis_poll_duration_seconds_sum{source=\"vms\"} 0.25\n"
                   "jarvis_poll_duration_seconds_count{source=\"vms\"} 1\n"
                   "jarvis_poll_duration_seconds_bucket{source=\"nodes\",le=\"0.5\"} 0\n"
                   "jarvis_poll_duration_seconds_bucket{source=\"nodes\",le=\"+Inf\"} 1\n"
                   "jarvis_poll_duration_seconds_sum{source=\"nodes\"} 1\n"
                   "jarvis_poll_duration_seconds_count{source=\"nodes\"} 1\n"));
}

void TestMetrics::childrenResolvedOnce()
{
    Registry registry;
    auto *family = registry.counter(
        "jarvis_tool_executions_total", "T.", {QStringLiteral("tool"), QStringLiteral("tier")});
    Counter *a = family->labels({u"list_vms", u"GREEN"});
    QVERIFY(a);
    QCOMPARE(family->labels({u"list_vms", u"GREEN"}), a);
    QCOMPARE(family->labels(QStringList {QStringLiteral("list_vms"), QStringLiteral("GREEN")}), a);
    Counter *b = family->labels({u"list_vms", u"RED"});
    QVERIFY(b && b != a);
    // Label values that would collide if joined naively are different children.
    QVERIFY(family->labels({u"a,b", u"c"}) != family->labels({u"a", u"b,c"}));
    a->inc();
    QCOMPARE(a->value(), 1.0);
    QCOMPARE(b->value(), 0.0);
}

void TestMetrics::callbackFamilyReadAtRender()
{
    Registry registry;
    int connected = 2;
    registry.callback(Type::Gauge, "jarvis_clients", "C.", {QStringLiteral("namespace")},
        [&connected](const Sample &add) {
            add({QStringLiteral("/cluster")}, connected);
            add({QStringLiteral("/events")}, 0);
        });
    const QByteArray header = "# HELP jarvis_clients C.\n# TYPE jarvis_clients gauge\n";
    QCOMPARE(registry.render(),
        header
            + "jarvis_clients{namespace=\"/cluster\"} 2\njarvis_clients{namespace=\"/events\"} "
              "0\n");
    connected = 5;
    QCOMPARE(registry.render(),
        header
            + "jarvis_clients{namespace=\"/cluster\"} 5\njarvis_clients{namespace=\"/events\"} "
              "0\n");
}

void TestMetrics::names_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<bool>("metricOk");
    QTest::addColumn<bool>("labelOk");
    QTest::newRow("simple") << QByteArray("jarvis_x") << true << true;
    QTest::newRow("colon") << QByteArray("job:rate") << true << false;
    QTest::newRow("digit first") << QByteArray("1x") << false << false;
    QTest::newRow("digit later") << QByteArray("x1") << true << true;
    QTest::newRow("dash") << QByteArray("a-b") << false << false;
    QTest::newRow("empty") << QByteArray() << false << false;
    QTest::newRow("reserved label") << QByteArray("__name") << true << false;
    QTest::newRow("space") << QByteArray("a b") << false << false;
}

void TestMetrics::names()
{
    QFETCH(QByteArray, name);
    QFETCH(bool, metricOk);
    QFETCH(bool, labelOk);
    QCOMPARE(Registry::isValidMetricName(name), metricOk);
    QCOMPARE(Registry::isValidLabelName(QString::fromLatin1(name)), labelOk);
}

void TestMetrics::concurrentIncrements()
{
    // Updates are atomic: a child resolved on the main thread may be bumped from any thread.
    Registry registry;
    Counter *counter = registry.counter("jarvis_c_total", "C.")->get();
    Histogram *histogram = registry.histogram("jarvis_h", "H.", {}, {1})->get();
    constexpr int Threads = 4, PerThread = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < Threads; ++t) {
        threads.emplace_back([=] {
            for (int i = 0; i < PerThread; ++i) {
                counter->inc();
                histogram->observe(i % 2 ? 0.5 : 2.0);
            }
        });
    }
    for (std::thread &t : threads)
        t.join();
    QCOMPARE(counter->value(), double(Threads * PerThread));
    QCOMPARE(histogram->count(), quint64(Threads * PerThread));
    QCOMPARE(histogram->cumulativeCount(0), quint64(Threads * PerThread / 2));
    QCOMPARE(histogram->sum(), double(Threads * PerThread / 2) * 2.5);
}

void TestMetrics::processStats()
{
    const auto stats = readProcessStats();
    QVERIFY(stats);
    QVERIFY(stats->residentBytes > 0);
    QVERIFY(stats->virtualBytes >= stats->residentBytes);
    QVERIFY(stats->openFds >= 3); // stdin, stdout, stderr at least
    QVERIFY(stats->startTimeSeconds > 1.6e9);
    QVERIFY(stats->startTimeSeconds <= double(QDateTime::currentSecsSinceEpoch()) + 1);
    QVERIFY(stats->cpuSeconds >= 0);

    Registry registry;
    registerProcessMetrics(registry);
    const QByteArray text = registry.render();
    for (const char *name :
        {"jarvis_process_resident_memory_bytes ", "jarvis_process_cpu_seconds_total ",
            "jarvis_process_open_fds ", "jarvis_process_start_time_seconds ",
            "# TYPE jarvis_process_cpu_seconds_total counter"})
        QVERIFY2(text.contains(name), name);
}

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
