#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QtGlobal>

#include <functional>
#include <optional>

// A management tool: name, description, safety tier, JSON-schema input and an asynchronous
// handler. The catalogue and default tiers are PROTOCOL.md section 4.
namespace jarvis::tools {

enum class Tier { Green, Yellow, Red, Black };
QString tierName(Tier tier); // "GREEN" ...

// Why a tool call did not succeed. Tools know nothing of HTTP: the REST layer maps a kind to its
// status in one place (http/toolstatus.h; PROTOCOL.md section 4).
enum class ErrorKind {
    None, // succeeded
    InvalidRequest, // malformed request or arguments, a guest or node that does not exist
    Blocked, // refused by the safety policy (tier, confirmation, protected resource)
    UnknownTool,
    Upstream, // Proxmox or SSH failed
};

// How a tool run ended.
struct Outcome
{
    ErrorKind kind = ErrorKind::None;
    QJsonValue result; // on success
    QString error; // otherwise

    bool ok() const { return kind == ErrorKind::None; }
    static Outcome success(QJsonValue result) { return {ErrorKind::None, std::move(result), {}}; }
    static Outcome failure(ErrorKind kind, QString error)
    {
        Q_ASSERT(kind != ErrorKind::None);
        return {kind, {}, std::move(error)};
    }
};

struct TaskStep;
// Told of each step of the Proxmox task a call follows (besides the executor's sink), for the
// caller that started it, e.g. MCP's notifications/progress. Main thread.
using TaskObserver = std::function<void(const TaskStep &step)>;

struct ToolCall
{
    QJsonObject args; // validated against the schema, `confirmed` removed
    QString user;
    QString source; // "api", "mcp", "console", ...
    TaskObserver onTask; // may be empty
};

using Done = std::function<void(const Outcome &)>;
using Handler = std::function<void(const ToolCall &call, Done done)>;

struct Tool
{
    QString name;
    QString title; // for people, e.g. "Stop a VM" (MCP's tool title)
    QString description;
    Tier tier = Tier::Green;
    QJsonObject inputSchema;
    Handler handler; // not set for BLACK tools
    std::function<Tier(const QJsonObject &args)> tierFor; // optional: tier depends on args
    // optional: a check beyond the schema (InvalidRequest with the reason), run before the tier is
    // decided
    std::function<std::optional<QString>(const QJsonObject &args)> checkArgs;
    bool touchesStorage = false; // refresh `storage` afterwards
    // Calling it again with the same arguments changes nothing more (start, stop, shutdown: yes;
    // a reboot or a shell command: no). MCP's idempotentHint.
    bool idempotent = false;
    // JSON schema of `Outcome::result` on success (empty: not described). MCP's outputSchema.
    QJsonObject resultSchema;

    Tier effectiveTier(const QJsonObject &args) const { return tierFor ? tierFor(args) : tier; }
};

// Validates `args` against the subset of JSON Schema the catalogue uses: type object,
// properties with type string/integer/boolean, required, additionalProperties:false, minimum,
// maximum, minLength, maxLength. Returns the reason on failure.
std::optional<QString> validateArgs(const QJsonObject &schema, const QJsonObject &args);

} // namespace jarvis::tools
