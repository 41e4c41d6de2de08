#pragma once

// Structural comparison of two JSON values for the JSON reader's tests and fuzz targets.
// Exact: same type, same number storage (integer or double, as QJsonValue keeps it) and every
// string unit. Data: numbers compared by value only (a codec that stores 1 as a double is equal).

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QVariant>

namespace jarvis::test {

enum class JsonCompare { Exact, Data };

inline bool jsonSame(const QJsonValue &a, const QJsonValue &b, JsonCompare how = JsonCompare::Exact)
{
    if (a.type() != b.type())
        return false;
    switch (a.type()) {
    case QJsonValue::Double:
        if (how == JsonCompare::Data)
            return a.toDouble() == b.toDouble();
        return a.toVariant().typeId() == b.toVariant().typeId() && a.toDouble() == b.toDouble()
            && a.toInteger() == b.toInteger();
    case QJsonValue::String:
        return a.toString() == b.toString();
    case QJsonValue::Array: {
        const QJsonArray x = a.toArray();
        const QJsonArray y = b.toArray();
        if (x.size() != y.size())
            return false;
        for (qsizetype i = 0; i < x.size(); ++i) {
            if (!jsonSame(x.at(i), y.at(i), how))
                return false;
        }
        return true;
    }
    case QJsonValue::Object: {
        const QJsonObject x = a.toObject();
        const QJsonObject y = b.toObject();
        if (x.keys() != y.keys())
            return false;
        for (auto it = x.begin(); it != x.end(); ++it) {
            if (!jsonSame(it.value(), y.value(it.key()), how))
                return false;
        }
        return true;
    }
    default:
        return a == b;
    }
}

} // namespace jarvis::test
