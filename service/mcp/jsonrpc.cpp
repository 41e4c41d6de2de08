#include "mcp/jsonrpc.h"

#include "protocol/jsonreader.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace jarvis::mcp {

namespace {
bool isIntegerId(const QJsonValue &v)
{
    if (!v.isDouble())
        return false;
    const double d = v.toDouble();
    return std::isfinite(d) && d == std::floor(d) && std::fabs(d) <= 9007199254740991.0;
}

} // namespace

bool isValidId(const QJsonValue &v)
{
    return v.isString() || isIntegerId(v);
}

namespace {

Message invalid(int errorCode, QString error, QJsonValue id = QJsonValue::Null)
{
    Message m;
    m.kind = Message::Kind::Invalid;
    m.errorCode = errorCode;
    m.error = std::move(error);
    m.id = std::move(id);
    return m;
}
} // namespace

Message parseMessage(const QByteArray &text)
{
    // The strict reader (shared/protocol): any JSON value in one pass, so a lone string or number
    // is told apart from bad JSON without a second parse.
    QString why;
    const std::optional<QJsonValue> value = json::read(text, &why);
    if (!value)
        return invalid(code::ParseError, QStringLiteral("Parse error: invalid JSON: %1").arg(why));
    if (value->isArray())
        return invalid(code::InvalidRequest,
            QStringLiteral("Invalid Request: JSON-RPC batches are not supported (MCP sends one "
                           "message at a time)"));
    if (!value->isObject())
        return invalid(
            code::InvalidRequest, QStringLiteral("Invalid Request: a message is a JSON object"));
    const QJsonObject object = value->toObject();
    const QJsonValue rawId = object.value(QStringLiteral("id"));
    const bool hasId = object.contains(QStringLiteral("id"));
    const QJsonValue id = isValidId(rawId) ? rawId : QJsonValue(QJsonValue::Null);

    if (object.value(QStringLiteral("jsonrpc")) != QJsonValue(QStringLiteral("2.0")))
        return invalid(code::InvalidRequest,
            QStringLiteral("Invalid Request: \"jsonrpc\" must be \"2.0\""), id);
    if (hasId && !isValidId(rawId))
        return invalid(code::InvalidRequest,
            QStringLiteral("Invalid Request: \"id\" must be a string or an integer"));

    Message m;
    m.id = id;
    if (object.contains(QStringLiteral("method"))) {
        const QJsonValue method = object.value(QStringLiteral("method"));
        if (!method.isString() || method.toString().isEmpty())
            return invalid(code::InvalidRequest,
                QStringLiteral("Invalid Request: \"method\" must be a non-empty string"), id);
        if (object.contains(QStringLiteral("result")) || object.contains(QStringLiteral("error")))
            return invalid(code::InvalidRequest,
                QStringLiteral("Invalid Request: a request has no \"result\" or \"error\""), id);
        m.method = method.toString();
        if (object.contains(QStringLiteral("params"))) {
            m.params = object.value(QStringLiteral("params"));
            if (!m.params.isObject() && !m.params.isArray())
                return invalid(code::InvalidRequest,
                    QStringLiteral("Invalid Request: \"params\" must be an object"), id);
        }
        m.kind = hasId ? Message::Kind::Request : Message::Kind::Notification;
        return m;
    }
    const bool hasResult = object.contains(QStringLiteral("result"));
    const bool hasError = object.contains(QStringLiteral("error"));
    if (hasId && hasResult != hasError) {
        m.kind = Message::Kind::Response;
        return m;
    }
    return invalid(code::InvalidRequest,
        QStringLiteral("Invalid Request: neither a request (\"method\") nor a response (\"id\" "
                       "with \"result\" or \"error\")"),
        id);
}

QString idKey(const QJsonValue &id)
{
    if (id.isString())
        return QStringLiteral("s:") + id.toString();
    return QStringLiteral("n:") + QString::number(qint64(id.toDouble()));
}

QJsonObject response(const QJsonValue &id, const QJsonValue &result)
{
    return {{QStringLiteral("jsonrpc"), QStringLiteral("2.0")}, {QStringLiteral("id"), id},
        {QStringLiteral("result"), result}};
}

QJsonObject errorResponse(
    const QJsonValue &id, int errorCode, const QString &message, const QJsonValue &data)
{
    QJsonObject error {{QStringLiteral("code"), errorCode}, {QStringLiteral("message"), message}};
    if (!data.isUndefined())
        error.insert(QStringLiteral("data"), data);
    return {{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
        {QStringLiteral("id"), id.isUndefined() ? QJsonValue(QJsonValue::Null) : id},
        {QStringLiteral("error"), error}};
}

QJsonObject notification(const QString &method, const QJsonObject &params)
{
    return {{QStringLiteral("jsonrpc"), QStringLiteral("2.0")}, {QStringLiteral("method"), method},
        {QStringLiteral("params"), params}};
}

QByteArray toText(const QJsonObject &message)
{
    return QJsonDocument(message).toJson(QJsonDocument::Compact);
}

} // namespace jarvis::mcp
