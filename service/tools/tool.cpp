#include "tools/tool.h"

#include <QJsonArray>

#include <cmath>

namespace jarvis::tools {

QString tierName(Tier tier)
{
    switch (tier) {
    case Tier::Green:
        return QStringLiteral("GREEN");
    case Tier::Yellow:
        return QStringLiteral("YELLOW");
    case Tier::Red:
        return QStringLiteral("RED");
    case Tier::Black:
        return QStringLiteral("BLACK");
    }
    return {};
}

namespace {
QString typeOf(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Bool:
        return QStringLiteral("boolean");
    case QJsonValue::Double:
        return QStringLiteral("number");
    case QJsonValue::String:
        return QStringLiteral("string");
    case QJsonValue::Array:
        return QStringLiteral("array");
    case QJsonValue::Object:
        return QStringLiteral("object");
    case QJsonValue::Undefined:
        break;
    }
    return QStringLiteral("undefined");
}

bool isInteger(const QJsonValue &v)
{
    if (!v.isDouble())
        return false;
    const double d = v.toDouble();
    return std::isfinite(d) && d == std::floor(d) && std::fabs(d) <= 9007199254740991.0;
}
} // namespace

std::optional<QString> validateArgs(const QJsonObject &schema, const QJsonObject &args)
{
    const QJsonObject properties = schema.value(QStringLiteral("properties")).toObject();
    const QJsonArray required = schema.value(QStringLiteral("required")).toArray();
    for (const QJsonValue &name : required) {
        if (!args.contains(name.toString()))
            return QStringLiteral("missing required argument '%1'").arg(name.toString());
    }
    const bool closed = schema.value(QStringLiteral("additionalProperties")) == QJsonValue(false);
    for (auto it = args.begin(); it != args.end(); ++it) {
        const QString key = it.key();
        if (!properties.contains(key)) {
            if (closed)
                return QStringLiteral("unknown argument '%1'").arg(key);
            continue;
        }
        const QJsonObject rule = properties.value(key).toObject();
        const QString type = rule.value(QStringLiteral("type")).toString();
        const QJsonValue v = it.value();
        if (type == QLatin1String("string")) {
            if (!v.isString())
                return QStringLiteral("argument '%1' must be a string, got %2").arg(key, typeOf(v));
            const qsizetype len = v.toString().size();
            if (rule.contains(QStringLiteral("minLength"))
                && len < rule.value(QStringLiteral("minLength")).toInt())
                return QStringLiteral("argument '%1' must not be shorter than %2 characters")
                    .arg(key)
                    .arg(rule.value(QStringLiteral("minLength")).toInt());
            if (rule.contains(QStringLiteral("maxLength"))
                && len > rule.value(QStringLiteral("maxLength")).toInt())
                return QStringLiteral("argument '%1' must not be longer than %2 characters")
                    .arg(key)
                    .arg(rule.value(QStringLiteral("maxLength")).toInt());
        } else if (type == QLatin1String("integer")) {
            if (!isInteger(v))
                return QStringLiteral("argument '%1' must be an integer, got %2")
                    .arg(key, v.isDouble() ? QString::number(v.toDouble()) : typeOf(v));
            const double d = v.toDouble();
            if (rule.contains(QStringLiteral("minimum"))
                && d < rule.value(QStringLiteral("minimum")).toDouble())
                return QStringLiteral("argument '%1' must be at least %2")
                    .arg(key)
                    .arg(rule.value(QStringLiteral("minimum")).toDouble());
            if (rule.contains(QStringLiteral("maximum"))
                && d > rule.value(QStringLiteral("maximum")).toDouble())
                return QStringLiteral("argument '%1' must be at most %2")
                    .arg(key)
                    .arg(rule.value(QStringLiteral("maximum")).toDouble());
        } else if (type == QLatin1String("boolean")) {
            if (!v.isBool())
                return QStringLiteral("argument '%1' must be a boolean, got %2")
                    .arg(key, typeOf(v));
        }
    }
    return std::nullopt;
}

} // namespace jarvis::tools
