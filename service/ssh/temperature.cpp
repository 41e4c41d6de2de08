#include "ssh/temperature.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QList>
#include <QRegularExpression>

#include <cmath>

namespace jarvis::ssh {

namespace {

constexpr double MaxCelsius = 150.0;

// Adds `celsius` under `name`, or "name#1", "name#2", ... if that is taken.
void insertUnique(QMap<QString, double> &zones, const QString &name, double celsius)
{
    QString key = name;
    for (int n = 1; zones.contains(key); ++n)
        key = name + QLatin1Char('#') + QString::number(n);
    zones.insert(key, celsius);
}

} // namespace

QString defaultTemperatureCommand()
{
    return QStringLiteral("for z in /sys/class/thermal/thermal_zone*; do "
                          "[ -r \"$z/temp\" ] || continue; "
                          "t=$(cat \"$z/temp\" 2>/dev/null) || continue; "
                          "n=$(cat \"$z/type\" 2>/dev/null); "
                          "printf '%s %s\\n' \"${n:-${z##*/}}\" \"$t\"; "
                          "done; true");
}

bool isPlausibleCelsius(double celsius)
{
    return std::isfinite(celsius) && celsius > 0.0 && celsius <= MaxCelsius;
}

std::optional<QMap<QString, double>> parseThermalZones(const QByteArray &output)
{
    QMap<QString, double> zones;
    const QList<QByteArray> lines = output.split('\n');
    for (const QByteArray &raw : lines) {
        const QByteArray line = raw.trimmed();
        if (line.isEmpty())
            continue;
        // The type may hold spaces; the reading is the last field.
        const qsizetype space = line.lastIndexOf(' ');
        if (space <= 0)
            return std::nullopt;
        const QString type = QString::fromUtf8(line.left(space).trimmed());
        bool ok = false;
        const qlonglong milli = line.mid(space + 1).toLongLong(&ok);
        if (!ok || type.isEmpty())
            return std::nullopt;
        const double celsius = double(milli) / 1000.0;
        if (isPlausibleCelsius(celsius))
            insertUnique(zones, type, celsius);
    }
    return zones;
}

std::optional<QMap<QString, double>> parseSensorsJson(const QByteArray &output)
{
    if (output.trimmed().isEmpty())
        return QMap<QString, double> {};
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(output, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return std::nullopt;
    static const QRegularExpression input(QStringLiteral("^temp[0-9]+_input$"));
    QMap<QString, double> zones;
    const QJsonObject chips = document.object();
    for (auto chip = chips.begin(); chip != chips.end(); ++chip) {
        if (!chip->isObject())
            continue;
        const QJsonObject features = chip->toObject();
        for (auto feature = features.begin(); feature != features.end(); ++feature) {
            if (!feature->isObject()) // "Adapter": "ISA adapter"
                continue;
            const QJsonObject readings = feature->toObject();
            for (auto reading = readings.begin(); reading != readings.end(); ++reading) {
                if (!input.match(reading.key()).hasMatch() || !reading->isDouble())
                    continue;
                const double celsius = reading->toDouble();
                if (isPlausibleCelsius(celsius))
                    insertUnique(zones, chip.key() + QLatin1Char('/') + feature.key(), celsius);
            }
        }
    }
    return zones;
}

std::optional<QMap<QString, double>> parseTemperatures(const QByteArray &output)
{
    const QByteArray trimmed = output.trimmed();
    if (trimmed.startsWith('{'))
        return parseSensorsJson(trimmed);
    return parseThermalZones(trimmed);
}

} // namespace jarvis::ssh
