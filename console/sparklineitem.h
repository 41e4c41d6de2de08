#pragma once

#include <QColor>
#include <QList>
#include <QQuickPaintedItem>
#include <QVariantList>

namespace jarvis::console {

// A sparkline painted with QPainter (Sparkline.qml wraps it): `values` 0..1 over `times` (unix
// seconds) in the `span` seconds that end at the newest time; a value that is not a finite
// number is a gap in the line, a lone sample between gaps a dot. Without `times` (or with a
// different count) the values are spread evenly. A painted item rather than a Canvas, so a
// grabbed window (jarvis-console --screenshot, the software renderer) shows it.
class SparklineItem : public QQuickPaintedItem
{
    Q_OBJECT
    Q_PROPERTY(QVariantList values READ values WRITE setValues NOTIFY valuesChanged)
    Q_PROPERTY(QVariantList times READ times WRITE setTimes NOTIFY timesChanged)
    Q_PROPERTY(int span READ span WRITE setSpan NOTIFY spanChanged)
    Q_PROPERTY(QColor color READ color WRITE setColor NOTIFY colorChanged)
    Q_PROPERTY(qreal lineWidth READ lineWidth WRITE setLineWidth NOTIFY lineWidthChanged)
public:
    explicit SparklineItem(QQuickItem *parent = nullptr);

    QVariantList values() const { return m_valuesIn; }
    void setValues(const QVariantList &values);
    QVariantList times() const { return m_timesIn; }
    void setTimes(const QVariantList &times);
    int span() const { return m_span; }
    void setSpan(int seconds);
    QColor color() const { return m_color; }
    void setColor(const QColor &color);
    qreal lineWidth() const { return m_lineWidth; }
    void setLineWidth(qreal width);

    void paint(QPainter *painter) override;

Q_SIGNALS:
    void valuesChanged();
    void timesChanged();
    void spanChanged();
    void colorChanged();
    void lineWidthChanged();

private:
    QVariantList m_valuesIn;
    QVariantList m_timesIn;
    QList<double> m_values;
    QList<double> m_times;
    int m_span = 3600;
    QColor m_color {0x4a, 0xa3, 0xff};
    qreal m_lineWidth = 1.5;
};

} // namespace jarvis::console
