#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QStringView>

#include <atomic>
#include <functional>
#include <initializer_list>
#include <memory>
#include <vector>

// Operators' numbers for GET /metrics (PROTOCOL.md section 4): counters, gauges and histograms
// with labels, written in the Prometheus text exposition format 0.0.4. Knows nothing of the
// service: the composition root (app/) registers the families and wires the layers' signals and
// counters to them.
//
// Cost on a hot path: resolve a labelled child once (Family::labels(), which allocates only the
// first time a label set is seen) and keep the pointer; Counter::inc(), Gauge::set() and
// Histogram::observe() are relaxed atomic operations, no allocation, no strings, safe from any
// thread. Registering families, resolving children and render() belong to the main thread.
// Values that a layer already keeps (connected sockets, login failures, ...) are read when
// scraped through Registry::callback() instead of being copied on every change.
namespace jarvis::metrics {

enum class Type { Counter, Gauge, Histogram };

class Counter
{
public:
    void inc(double by = 1.0) { m_value.fetch_add(by, std::memory_order_relaxed); }
    double value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<double> m_value {0.0};
};

class Gauge
{
public:
    void set(double value) { m_value.store(value, std::memory_order_relaxed); }
    void inc(double by = 1.0) { m_value.fetch_add(by, std::memory_order_relaxed); }
    void dec(double by = 1.0) { m_value.fetch_sub(by, std::memory_order_relaxed); }
    double value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<double> m_value {0.0};
};

// Observations counted in the first bucket whose upper bound is >= the value (the +Inf bucket
// takes the rest); written cumulatively, as the format wants.
class Histogram
{
public:
    explicit Histogram(std::shared_ptr<const std::vector<double>> bounds);

    void observe(double value);
    const std::vector<double> &bounds() const { return *m_bounds; }
    // Observations <= bounds()[i]; i == bounds().size() is +Inf (the count).
    quint64 cumulativeCount(size_t i) const;
    quint64 count() const { return cumulativeCount(m_bounds->size()); } // the +Inf bucket
    double sum() const { return m_sum.load(std::memory_order_relaxed); }

private:
    std::shared_ptr<const std::vector<double>> m_bounds; // ascending, finite, shared by a family
    std::unique_ptr<std::atomic<quint64>[]> m_buckets; // per bucket (not cumulative), +Inf last
    std::atomic<double> m_sum {0.0};
};

// Bucket bounds for durations in seconds: 5 ms to 10 s (Prometheus' default buckets).
std::vector<double> defaultDurationBuckets();

class FamilyBase
{
public:
    FamilyBase(Type type, QByteArray name, QByteArray help, QStringList labelNames);
    virtual ~FamilyBase();

    Type type() const { return m_type; }
    const QByteArray &name() const { return m_name; }
    const QStringList &labelNames() const { return m_labelNames; }
    virtual void render(QByteArray &out) const = 0;

protected:
    void writeHeader(QByteArray &out) const;

    Type m_type;
    QByteArray m_name;
    QByteArray m_help;
    QStringList m_labelNames;
};

// The children of one metric name, one per label set, in the order they were first resolved.
template<typename T> class Family : public FamilyBase
{
public:
    Family(Type type, QByteArray name, QByteArray help, QStringList labelNames,
        std::shared_ptr<const std::vector<double>> bounds = {})
        : FamilyBase(type, std::move(name), std::move(help), std::move(labelNames))
        , m_bounds(std::move(bounds))
    { }

    // The child for these label values (as many as the family has label names; the values are
    // any UTF-8 text, escaped when written). Created on first use; the pointer stays valid as
    // long as the registry. Main thread.
    T *labels(std::initializer_list<QStringView> values);
    T *labels(const QStringList &values);
    // The child of a family without labels.
    T *get() { return labels(std::initializer_list<QStringView> {}); }

    void render(QByteArray &out) const override;

private:
    struct Child
    {
        QStringList values;
        std::unique_ptr<T> metric;
    };
    template<typename Range> T *find(const Range &values);
    T *add(QStringList values);

    std::shared_ptr<const std::vector<double>> m_bounds; // histograms
    std::vector<Child> m_children;
};

// One sample of a callback family: label values (as many as the family's label names) and the
// value read at scrape time.
using Sample = std::function<void(const QStringList &labelValues, double value)>;

class CallbackFamily : public FamilyBase
{
public:
    using Collect = std::function<void(const Sample &add)>;
    CallbackFamily(
        Type type, QByteArray name, QByteArray help, QStringList labelNames, Collect collect);
    void render(QByteArray &out) const override;

private:
    Collect m_collect;
};

// The families in registration order. A name can be registered once (a second registration of
// the same name is a programming error: it asserts, and returns the first when the type and the
// labels agree). Owns its families; outlives every pointer handed out.
class Registry
{
public:
    Registry();
    ~Registry();
    Registry(const Registry &) = delete;
    Registry &operator=(const Registry &) = delete;

    Family<Counter> *counter(
        const QByteArray &name, const QByteArray &help, const QStringList &labelNames = {});
    Family<Gauge> *gauge(
        const QByteArray &name, const QByteArray &help, const QStringList &labelNames = {});
    // `bounds`: ascending finite upper bounds (the +Inf bucket is implicit).
    Family<Histogram> *histogram(const QByteArray &name, const QByteArray &help,
        const QStringList &labelNames, std::vector<double> bounds = defaultDurationBuckets());
    // A counter or gauge whose samples `collect` reports when the registry is rendered (values a
    // layer already keeps). `collect` runs on the thread that renders (the main thread).
    void callback(Type type, const QByteArray &name, const QByteArray &help,
        const QStringList &labelNames, CallbackFamily::Collect collect);

    // The text exposition format 0.0.4: for each family "# HELP", "# TYPE", then its samples.
    QByteArray render() const;
    static QByteArray contentType() { return "text/plain; version=0.0.4; charset=utf-8"; }

    static bool isValidMetricName(const QByteArray &name);
    static bool isValidLabelName(const QString &name);

private:
    FamilyBase *find(const QByteArray &name) const;
    template<typename F> F *add(std::unique_ptr<F> family);

    std::vector<std::unique_ptr<FamilyBase>> m_families;
};

// Writing the format, exposed for the tests.
namespace text {
// A label value: backslash, double quote and line feed escaped (\\, \", \n).
void appendLabelValue(QByteArray &out, QStringView value);
// A HELP text: backslash and line feed escaped.
QByteArray escapeHelp(const QByteArray &help);
// A sample value as Go's ParseFloat reads it: shortest round-trip form, "+Inf", "-Inf", "NaN".
void appendValue(QByteArray &out, double value);
// name{label="value",...} value\n; `extraLabel`/`extraValue` (for `le`) appended when set.
void appendSample(QByteArray &out, const QByteArray &name, const QStringList &labelNames,
    const QStringList &labelValues, double value, const char *extraLabel = nullptr,
    double extraValue = 0.0);
} // namespace text

} // namespace jarvis::metrics
