#include "sparklineitem.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace jarvis::console {

namespace {

QList<double> numbers(const QVariantList &list)
{
    QList<double> out;
    out.reserve(list.size());
    for (const QVariant &v : list) {
        bool ok = false;
        const double d = v.toDouble(&ok);
        out.append(ok ? d : std::nan(""));
    }
    return out;
}

} // namespace

SparklineItem::SparklineItem(QQuickItem *parent)
    : QQuickPaintedItem(parent)
{
    setAntialiasing(true);
}

void SparklineItem::setValues(const QVariantList &values)
{
    m_valuesIn = values;
    m_values = numbers(values);
    update();
    Q_EMIT valuesChanged();
}

void SparklineItem::setTimes(const QVariantList &times)
{
    m_timesIn = times;
    m_times = numbers(times);
    update();
    Q_EMIT timesChanged();
}

void SparklineItem::setSpan(int seconds)
{
    if (seconds == m_span || seconds <= 0)
        return;
    m_span = seconds;
    update();
    Q_EMIT spanChanged();
}

void SparklineItem::setColor(const QColor &color)
{
    if (color == m_color)
        return;
    m_color = color;
    update();
    Q_EMIT colorChanged();
}

void SparklineItem::setLineWidth(qreal width)
{
    if (width == m_lineWidth)
        return;
    m_lineWidth = width;
    update();
    Q_EMIT lineWidthChanged();
}

void SparklineItem::paint(QPainter *painter)
{
    const qsizetype n = m_values.size();
    if (n == 0 || width() <= 0 || height() <= 0)
        return;
    const bool timed = m_times.size() == n && std::isfinite(m_times.constLast());
    const double end = timed ? m_times.constLast() : double(n - 1);
    const double start = timed ? end - m_span : 0.0;
    const double range = std::max(1.0, end - start);
    const double w = width();
    const double h = height();
    painter->setRenderHint(QPainter::Antialiasing);
    QPen pen(m_color, m_lineWidth);
    pen.setCapStyle(Qt::RoundCap);
    pen.setJoinStyle(Qt::RoundJoin);
    painter->setPen(pen);
    QPainterPath path;
    bool open = false;
    for (qsizetype i = 0; i < n; ++i) {
        const double t = timed ? m_times.at(i) : double(i);
        const double v = m_values.at(i);
        if (!std::isfinite(t) || t < start || !std::isfinite(v)) {
            open = false;
            continue;
        }
        const QPointF p((t - start) / range * w, h - 1 - std::clamp(v, 0.0, 1.0) * (h - 2));
        if (open) {
            path.lineTo(p);
        } else {
            const bool next = i + 1 < n && std::isfinite(m_values.at(i + 1));
            if (!next) // a lone sample between gaps: a dot
                painter->fillRect(QRectF(p.x() - 1, p.y() - 1, 2, 2), m_color);
            path.moveTo(p);
        }
        open = true;
    }
    painter->drawPath(path);
}

} // namespace jarvis::console
