#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

// JSON-RPC 2.0 as MCP uses it (one message per HTTP body or stdio line, no batches since
// revision 2025-06-18): the reader that sorts a text into request, notification, response or
// invalid, and the builders of what jarvisd sends. Pure functions; fuzzed (tests/fuzz).
namespace jarvis::mcp {

namespace code {
constexpr int ParseError = -32700; // not JSON
constexpr int InvalidRequest = -32600; // JSON, but not a JSON-RPC 2.0 message
constexpr int MethodNotFound = -32601;
constexpr int InvalidParams = -32602;
constexpr int InternalError = -32603;
constexpr int ServerError = -32000; // transport problems (session, headers), as the MCP SDK uses
constexpr int ResourceNotFound = -32002; // MCP resources/read of an unknown URI
} // namespace code

struct Message
{
    enum class Kind { Request, Notification, Response, Invalid };

    Kind kind = Kind::Invalid;
    QJsonValue id; // Request, Response (string or integer); Invalid: the id if one was readable,
                   // else null
    QString method; // Request, Notification
    QJsonValue params =
        QJsonValue(QJsonValue::Undefined); // undefined when absent; an object, or an array (refused
                                           // later with InvalidParams)
    int errorCode = 0; // Invalid: ParseError or InvalidRequest
    QString error; // Invalid: why
};

// Reads one message. Batches (arrays) are refused as InvalidRequest: MCP dropped them.
Message parseMessage(const QByteArray &text);

// A request id for maps: "s:<string>" or "n:<integer>".
QString idKey(const QJsonValue &id);
// MCP: an id is a string or an integer, never null (nor 1.5, which idKey would truncate).
bool isValidId(const QJsonValue &id);

QJsonObject response(const QJsonValue &id, const QJsonValue &result);
QJsonObject errorResponse(
    const QJsonValue &id, int code, const QString &message, const QJsonValue &data = {});
QJsonObject notification(const QString &method, const QJsonObject &params);

QByteArray toText(const QJsonObject &message); // compact, no newline

} // namespace jarvis::mcp
