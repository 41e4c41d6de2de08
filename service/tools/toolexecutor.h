#pragma once

#include "model/clusterdata.h"
#include "tools/safetypolicy.h"
#include "tools/tool.h"
#include "tools/toolsink.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QObject>

#include <functional>
#include <optional>

namespace jarvis::tools {

class AuditLog;

// `data.target` of a tool or task event on /events (PROTOCOL.md section 3): what the call is
// about, {node?, vmid?, name?, type?}. `node` and `vmid` as the arguments give them (a string and
// a positive integer; anything else is left out); for a vmid found in `guests` (the latest `vms`
// snapshot) its `name` and `type` ("qemu" | "lxc"), and its node when the arguments name none.
// {} for a call about nothing in particular.
QJsonObject eventTarget(const QJsonObject &args, const QList<model::VmData> &guests);

// The one entry point for running a tool, whoever asks (REST now, MCP later): lookup, `confirmed`
// extraction, argument validation, the safety policy, the audit entry (before and after), the
// tool's steps to the sink (`tool` events on /events), and the answer: a body and an error kind
// that the REST layer turns into the contract's status code. Main thread.
class ToolExecutor : public QObject
{
    Q_OBJECT
public:
    struct Response
    {
        ErrorKind kind = ErrorKind::None;
        QJsonObject body;
    };

    // The latest `vms` snapshot, for naming the guest a tool event is about (data.target).
    using Guests = std::function<QList<model::VmData>()>;

    // `sink` (may be null: steps go nowhere) is not owned and outlives the executor.
    ToolExecutor(SafetyPolicy policy, AuditLog *audit, ToolSink *sink, Guests guests = {},
        QObject *parent = nullptr);

    void add(Tool tool);
    const Tool *find(const QString &name) const;
    // GET /api/tools: [{name, description, tier, inputSchema}]
    QJsonArray catalogue() const;
    const SafetyPolicy &policy() const { return m_policy; }
    ToolSink *sink() const { return m_sink; }

    // `confirmed` may come in the body (`bodyConfirmed`) or inside `args`. `onTask` (optional)
    // hears the steps of the Proxmox task this call follows, as the sink does.
    void execute(const QString &name, QJsonObject args, const QJsonValue &bodyConfirmed,
        const QString &user, const QString &source, const QObject *context,
        std::function<void(const Response &)> done, TaskObserver onTask = {});

Q_SIGNALS:
    // Every call of a registered tool, once it has ended: `outcome` is "succeeded", "failed"
    // (the tool ran and failed), "blocked" (the safety policy refused it) or "invalid" (bad
    // arguments or `confirmed`; `tier` is then the tool's declared tier); `seconds` is the
    // handler's run time (0 when it never ran). Calls of unknown tools are not reported (their
    // names come from the caller). For the metrics.
    void executed(
        const QString &tool, jarvis::tools::Tier tier, const QString &outcome, double seconds);

private:
    void step(const QString &tool, Tier tier, const QString &source, const QString &user,
        const QJsonObject &args, const QString &status, const QString &error = {},
        std::optional<qint64> durationMs = std::nullopt);

    SafetyPolicy m_policy;
    AuditLog *m_audit;
    ToolSink *m_sink;
    Guests m_guests;
    QList<Tool> m_tools;
};

} // namespace jarvis::tools
