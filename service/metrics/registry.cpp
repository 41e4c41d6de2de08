#include "metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <type_traits>

namespace jarvis::metrics {

// --- Histogram ---------------------------------------------------------------------------------

Histogram::Histogram(std::shared_ptr<const std::vector<double>> bounds)
    : m_bounds(std::move(bounds))
    , m_buckets(new std::atomic<quint64>[m_bounds->size() + 1])
{
    for (size_t i = 0; i <= m_bounds->size(); ++i)
        m_buckets[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value)
{
    // NaN is no measurement: counted, it would land in the first bucket (lower_bound finds no
    // bound below it) and make _sum NaN for good.
    if (std::isnan(value))
        return;
    const std::vector<double> &bounds = *m_bounds;
    // The first bound >= value.
    const size_t i = size_t(std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin());
    m_buckets[i].fetch_add(1, std::memory_order_relaxed);
    m_sum.fetch_add(value, std::memory_order_relaxed);
}

quint64 Histogram::cumulativeCount(size_t i) const
{
    quint64 total = 0;
    for (size_t b = 0; b <= i && b <= m_bounds->size(); ++b)
        total += m_buckets[b].load(std::memory_order_relaxed);
    return total;
}

std::vector<double> defaultDurationBuckets()
{
    return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

// --- The text format ---------------------------------------------------------------------------

namespace text {

void appendLabelValue(QByteArray &out, QStringView value)
{
    const QByteArray utf8 = value.toUtf8();
    for (const char c : utf8) {
        switch (c) {
        case '\\':
            out.append("\\\\");
            break;
        case '"':
            out.append("\\\"");
            break;
        case '\n':
            out.append("\\n");
            break;
        default:
            out.append(c);
        }
    }
}

QByteArray escapeHelp(const QByteArray &help)
{
    QByteArray out;
    out.reserve(help.size());
    for (const char c : help) {
        if (c == '\\')
            out.append("\\\\");
        else if (c == '\n')
            out.append("\\n");
        else
            out.append(c);
    }
    return out;
}

void appendValue(QByteArray &out, double value)
{
    if (std::isnan(value)) {
        out.append("NaN");
        return;
    }
    if (std::isinf(value)) {
        out.append(value > 0 ? "+Inf" : "-Inf");
        return;
    }
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr - buffer);
}

void appendSample(QByteArray &out, const QByteArray &name, const QStringList &labelNames,
    const QStringList &labelValues, double value, const char *extraLabel, double extraValue)
{
    out.append(name);
    if (!labelNames.isEmpty() || extraLabel) {
        out.append('{');
        for (qsizetype i = 0; i < labelNames.size(); ++i) {
            if (i > 0)
                out.append(',');
            out.append(labelNames.at(i).toLatin1());
            out.append("=\"");
            appendLabelValue(out, i < labelValues.size() ? QStringView(labelValues.at(i)) : u"");
            out.append('"');
        }
        if (extraLabel) {
            if (!labelNames.isEmpty())
                out.append(',');
            out.append(extraLabel);
            out.append("=\"");
            appendValue(out, extraValue);
            out.append('"');
        }
        out.append('}');
    }
    out.append(' ');
    appendValue(out, value);
    out.append('\n');
}

} // namespace text

// --- Families ----------------------------------------------------------------------------------

namespace {
const char *typeName(Type type)
{
    switch (type) {
    case Type::Counter:
        return "counter";
    case Type::Gauge:
        return "gauge";
    case Type::Histogram:
        return "histogram";
    }
    return "untyped";
}
} // namespace

FamilyBase::FamilyBase(Type type, QByteArray name, QByteArray help, QStringList labelNames)
    : m_type(type)
    , m_name(std::move(name))
    , m_help(std::move(help))
    , m_labelNames(std::move(labelNames))
{ }

FamilyBase::~FamilyBase() = default;

void FamilyBase::writeHeader(QByteArray &out) const
{
    out.append("# HELP ").append(m_name).append(' ').append(text::escapeHelp(m_help)).append('\n');
    out.append("# TYPE ").append(m_name).append(' ').append(typeName(m_type)).append('\n');
}

template<typename T> template<typename Range> T *Family<T>::find(const Range &values)
{
    if (qsizetype(std::size(values)) != m_labelNames.size()) {
        Q_ASSERT_X(false, "metrics::Family::labels", "wrong number of label values");
        return nullptr;
    }
    for (Child &child : m_children) {
        if (std::equal(child.values.cbegin(), child.values.cend(), std::begin(values),
                [](const QString &a, QStringView b) { return QStringView(a) == b; }))
            return child.metric.get();
    }
    return nullptr;
}

template<typename T> T *Family<T>::add(QStringList values)
{
    std::unique_ptr<T> metric;
    if constexpr (std::is_same_v<T, Histogram>)
        metric = std::make_unique<Histogram>(m_bounds);
    else
        metric = std::make_unique<T>();
    T *raw = metric.get();
    m_children.push_back(Child {std::move(values), std::move(metric)});
    return raw;
}

template<typename T> T *Family<T>::labels(std::initializer_list<QStringView> values)
{
    if (qsizetype(values.size()) != m_labelNames.size()) {
        Q_ASSERT_X(false, "metrics::Family::labels", "wrong number of label values");
        return nullptr;
    }
    if (T *existing = find(values))
        return existing;
    QStringList copy;
    copy.reserve(qsizetype(values.size()));
    for (const QStringView v : values)
        copy.append(v.toString());
    return add(std::move(copy));
}

template<typename T> T *Family<T>::labels(const QStringList &values)
{
    if (values.size() != m_labelNames.size()) {
        Q_ASSERT_X(false, "metrics::Family::labels", "wrong number of label values");
        return nullptr;
    }
    std::vector<QStringView> views(values.cbegin(), values.cend());
    if (T *existing = find(views))
        return existing;
    return add(values);
}

template<typename T> void Family<T>::render(QByteArray &out) const
{
    writeHeader(out);
    for (const Child &child : m_children) {
        if constexpr (std::is_same_v<T, Histogram>) {
            const Histogram &h = *child.metric;
            const QByteArray bucket = m_name + "_bucket";
            for (size_t i = 0; i < h.bounds().size(); ++i)
                text::appendSample(out, bucket, m_labelNames, child.values,
                    double(h.cumulativeCount(i)), "le", h.bounds()[i]);
            // The +Inf bucket equals _count: both read once, so they agree even while another
            // thread observes.
            const double count = double(h.cumulativeCount(h.bounds().size()));
            text::appendSample(out, bucket, m_labelNames, child.values, count, "le",
                std::numeric_limits<double>::infinity());
            text::appendSample(out, m_name + "_sum", m_labelNames, child.values, h.sum());
            text::appendSample(out, m_name + "_count", m_labelNames, child.values, count);
        } else {
            text::appendSample(out, m_name, m_labelNames, child.values, child.metric->value());
        }
    }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

CallbackFamily::CallbackFamily(
    Type type, QByteArray name, QByteArray help, QStringList labelNames, Collect collect)
    : FamilyBase(type, std::move(name), std::move(help), std::move(labelNames))
    , m_collect(std::move(collect))
{ }

void CallbackFamily::render(QByteArray &out) const
{
    writeHeader(out);
    m_collect([&out, this](const QStringList &values, double value) {
        Q_ASSERT(values.size() == m_labelNames.size());
        text::appendSample(out, m_name, m_labelNames, values, value);
    });
}

// --- Registry ----------------------------------------------------------------------------------

Registry::Registry() = default;
Registry::~Registry() = default;

bool Registry::isValidMetricName(const QByteArray &name)
{
    if (name.isEmpty())
        return false;
    for (qsizetype i = 0; i < name.size(); ++i) {
        const char c = name.at(i);
        const bool letter =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!letter && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

bool Registry::isValidLabelName(const QString &name)
{
    if (name.isEmpty() || name.startsWith(QLatin1String("__")))
        return false;
    for (qsizetype i = 0; i < name.size(); ++i) {
        const QChar c = name.at(i);
        const bool letter = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || c == u'_';
        if (!letter && !(i > 0 && c >= u'0' && c <= u'9'))
            return false;
    }
    return true;
}

FamilyBase *Registry::find(const QByteArray &name) const
{
    for (const auto &family : m_families) {
        if (family->name() == name)
            return family.get();
    }
    return nullptr;
}

template<typename F> F *Registry::add(std::unique_ptr<F> family)
{
    Q_ASSERT_X(isValidMetricName(family->name()), "metrics::Registry", "invalid metric name");
    Q_ASSERT_X(std::all_of(family->labelNames().cbegin(), family->labelNames().cend(),
                   &Registry::isValidLabelName),
        "metrics::Registry", "invalid label name");
    if (FamilyBase *existing = find(family->name())) {
        Q_ASSERT_X(false, "metrics::Registry", "metric registered twice");
        return existing->type() == family->type() && existing->labelNames() == family->labelNames()
            ? dynamic_cast<F *>(existing)
            : nullptr;
    }
    F *raw = family.get();
    m_families.push_back(std::move(family));
    return raw;
}

Family<Counter> *Registry::counter(
    const QByteArray &name, const QByteArray &help, const QStringList &labelNames)
{
    return add(std::make_unique<Family<Counter>>(Type::Counter, name, help, labelNames));
}

Family<Gauge> *Registry::gauge(
    const QByteArray &name, const QByteArray &help, const QStringList &labelNames)
{
    return add(std::make_unique<Family<Gauge>>(Type::Gauge, name, help, labelNames));
}

Family<Histogram> *Registry::histogram(const QByteArray &name, const QByteArray &help,
    const QStringList &labelNames, std::vector<double> bounds)
{
    Q_ASSERT_X(!labelNames.contains(QStringLiteral("le")), "metrics::Registry",
        "a histogram cannot have a label named le");
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    bounds.erase(
        std::remove_if(bounds.begin(), bounds.end(), [](double b) { return !std::isfinite(b); }),
        bounds.end());
    return add(std::make_unique<Family<Histogram>>(Type::Histogram, name, help, labelNames,
        std::make_shared<const std::vector<double>>(std::move(bounds))));
}

void Registry::callback(Type type, const QByteArray &name, const QByteArray &help,
    const QStringList &labelNames, CallbackFamily::Collect collect)
{
    Q_ASSERT_X(type != Type::Histogram, "metrics::Registry", "callback histograms do not exist");
    add(std::make_unique<CallbackFamily>(type, name, help, labelNames, std::move(collect)));
}

QByteArray Registry::render() const
{
    QByteArray out;
    out.reserve(16 * 1024);
    for (const auto &family : m_families)
        family->render(out);
    return out;
}

} // namespace jarvis::metrics
