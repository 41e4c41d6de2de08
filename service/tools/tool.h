#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

#include <functional>
#include <optional>

// A management tool: name, description, safety tier, JSON-schema input and an asynchronous
// handler. The catalogue and default tiers are PROTOCOL.md section 4.
namespace jarvis::tools {

enum class Tier { Green, Yellow, Red, Black };
QString tierName(Tier tier); // "GREEN" ...

// How a tool run ended; `status` is the HTTP status the REST layer answers with.
struct Outcome
{
    int status = 200; // 200 ok, 400 bad args, 403 blocked, 404 unknown, 502 Proxmox/SSH failure
    QJsonValue result; // on success
    QString error; // otherwise

    bool ok() const { return status == 200; }
    static Outcome success(QJsonValue result) { return {200, std::move(result), {}}; }
    static Outcome failure(int status, QString error) { return {status, {}, std::move(error)}; }
};

struct ToolCall
{
    QJsonObject args; // validated against the schema, `confirmed` removed
    QString user;
    QString source; // "api", "mcp", "console", ...
};

using Done = std::function<void(const Outcome &)>;
using Handler = std::function<void(const ToolCall &call, Done done)>;

struct Tool
{
    QString name;
    QString description;
    Tier tier = Tier::Green;
    QJsonObject inputSchema;
    Handler handler; // not set for BLACK tools
    std::function<Tier(const QJsonObject &args)> tierFor; // optional: tier depends on args
    // optional: a check beyond the schema (400 with the reason), run before the tier is decided
    std::function<std::optional<QString>(const QJsonObject &args)> checkArgs;
    bool touchesStorage = false; // refresh `storage` afterwards

    Tier effectiveTier(const QJsonObject &args) const { return tierFor ? tierFor(args) : tier; }
};

// Validates `args` against the subset of JSON Schema the catalogue uses: type object,
// properties with type string/integer/boolean, required, additionalProperties:false, minimum,
// maximum, minLength, maxLength. Returns the reason on failure.
std::optional<QString> validateArgs(const QJsonObject &schema, const QJsonObject &args);

} // namespace jarvis::tools
