#include "tools/toolexecutor.h"

#include "tools/auditlog.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QPointer>

#include <cmath>

Q_LOGGING_CATEGORY(lcTools, "jarvis.tools")

namespace jarvis::tools {

namespace {
QJsonObject failureBody(const QString &error)
{
    return QJsonObject {{QStringLiteral("success"), false}, {QStringLiteral("error"), error}};
}
} // namespace

QJsonObject eventTarget(const QJsonObject &args, const QList<model::VmData> &guests)
{
    QJsonObject target;
    const QJsonValue node = args.value(QStringLiteral("node"));
    if (node.isString() && !node.toString().isEmpty())
        target.insert(QStringLiteral("node"), node);
    const QJsonValue vmid = args.value(QStringLiteral("vmid"));
    const double number = vmid.toDouble(-1);
    if (!vmid.isDouble() || number < 1 || number > 999999999 || number != std::floor(number))
        return target;
    target.insert(QStringLiteral("vmid"), vmid.toInt());
    for (const model::VmData &guest : guests) {
        if (guest.vmid != vmid.toInt())
            continue;
        target.insert(QStringLiteral("name"), guest.name);
        target.insert(QStringLiteral("type"),
            guest.kind == model::VmData::Kind::Lxc ? QStringLiteral("lxc")
                                                   : QStringLiteral("qemu"));
        if (!target.contains(QStringLiteral("node")))
            target.insert(QStringLiteral("node"), guest.node);
        break;
    }
    return target;
}

ToolExecutor::ToolExecutor(
    SafetyPolicy policy, AuditLog *audit, ToolSink *sink, Guests guests, QObject *parent)
    : QObject(parent)
    , m_policy(std::move(policy))
    , m_audit(audit)
    , m_sink(sink)
    , m_guests(std::move(guests))
{ }

void ToolExecutor::add(Tool tool)
{
    m_tools.append(std::move(tool));
}

const Tool *ToolExecutor::find(const QString &name) const
{
    for (const Tool &tool : m_tools) {
        if (tool.name == name)
            return &tool;
    }
    return nullptr;
}

QJsonArray ToolExecutor::catalogue() const
{
    QJsonArray list;
    for (const Tool &tool : m_tools) {
        list.append(QJsonObject {{QStringLiteral("name"), tool.name},
            {QStringLiteral("description"), tool.description},
            {QStringLiteral("tier"), tierName(tool.tier)},
            {QStringLiteral("inputSchema"), tool.inputSchema}});
    }
    return list;
}

void ToolExecutor::step(const QString &tool, Tier tier, const QString &source, const QString &user,
    const QJsonObject &args, const QString &status, const QString &error,
    std::optional<qint64> durationMs)
{
    if (!m_sink)
        return;
    m_sink->toolStep(ToolStep {tool, tier, source, user, args, status, error, durationMs,
        eventTarget(args, m_guests ? m_guests() : QList<model::VmData>())});
}

void ToolExecutor::execute(const QString &name, QJsonObject args, const QJsonValue &bodyConfirmed,
    const QString &user, const QString &source, const QObject *context,
    std::function<void(const Response &)> done, TaskObserver onTask)
{
    const Tool *tool = find(name);
    if (!tool) {
        done({ErrorKind::UnknownTool, failureBody(QStringLiteral("unknown tool: %1").arg(name))});
        return;
    }
    // `confirmed` may be in the body or inside args (the original dashboard sends it in args).
    const QJsonValue argsConfirmed = args.take(QStringLiteral("confirmed"));
    const auto invalid = [&](const QString &error) {
        Q_EMIT executed(name, tool->tier, QStringLiteral("invalid"), 0.0);
        done({ErrorKind::InvalidRequest, failureBody(error)});
    };
    for (const QJsonValue &v : {bodyConfirmed, argsConfirmed}) {
        if (!v.isUndefined() && !v.isNull() && !v.isBool())
            return invalid(QStringLiteral("'confirmed' must be a boolean"));
    }
    // Given in both places, they must agree: a `false` next to a `true` is a client bug, and
    // reading it either way could run a RED tool nobody confirmed.
    if (bodyConfirmed.isBool() && argsConfirmed.isBool()
        && bodyConfirmed.toBool() != argsConfirmed.toBool()) {
        return invalid(
            QStringLiteral("'confirmed' is %1 in the body but %2 inside args: send "
                           "it once, or the same in both")
                .arg(bodyConfirmed.toBool() ? QStringLiteral("true") : QStringLiteral("false"),
                    argsConfirmed.toBool() ? QStringLiteral("true") : QStringLiteral("false")));
    }
    const bool confirmed = bodyConfirmed.toBool(false) || argsConfirmed.toBool(false);
    std::optional<QString> problem = validateArgs(tool->inputSchema, args);
    if (!problem && tool->checkArgs)
        problem = tool->checkArgs(args);
    if (problem)
        return invalid(QStringLiteral("invalid arguments for %1: %2").arg(name, *problem));

    const Tier tier = tool->effectiveTier(args);
    if (const auto blocked = m_policy.check(*tool, tier, args, confirmed)) {
        qCInfo(lcTools).noquote() << "blocked" << name << "for" << user << "-" << *blocked;
        m_audit->begin(
            user, source, name, tierName(tier), args, confirmed, QStringLiteral("blocked"));
        step(name, tier, source, user, args, QStringLiteral("blocked"), *blocked);
        QJsonObject body = failureBody(*blocked);
        body.insert(QStringLiteral("tier"), tierName(tier));
        body.insert(QStringLiteral("blocked"), true);
        // Refused only for want of a confirmation (not BLACK, not protected): a client may ask
        // its human and repeat the call with confirmed:true.
        if (!confirmed && !m_policy.check(*tool, tier, args, true))
            body.insert(QStringLiteral("needsConfirmation"), true);
        Q_EMIT executed(name, tier, QStringLiteral("blocked"), 0.0);
        done({ErrorKind::Blocked, body});
        return;
    }

    const QJsonObject entry = m_audit->begin(
        user, source, name, tierName(tier), args, confirmed, QStringLiteral("started"));
    step(name, tier, source, user, args, QStringLiteral("started"));
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    QPointer<ToolExecutor> self(this);
    QPointer<const QObject> guard(context);
    const bool hasContext = context != nullptr;
    ToolCall call {args, user, source, std::move(onTask)};
    tool->handler(call,
        [self, guard, hasContext, entry, name, tier, source, user, args, timer, done](
            const Outcome &outcome) {
            if (!self)
                return;
            const qint64 ms = timer->elapsed();
            const QString status =
                outcome.ok() ? QStringLiteral("succeeded") : QStringLiteral("failed");
            self->m_audit->complete(entry, status, outcome.error, ms);
            self->step(name, tier, source, user, args, status, outcome.error, ms);
            Q_EMIT self->executed(name, tier, status, double(timer->nsecsElapsed()) / 1e9);
            if (hasContext && !guard)
                return;
            QJsonObject body {{QStringLiteral("success"), outcome.ok()},
                {QStringLiteral("tier"), tierName(tier)}};
            if (outcome.ok())
                body.insert(QStringLiteral("result"), outcome.result);
            else
                body.insert(QStringLiteral("error"), outcome.error);
            done({outcome.kind, body});
        });
}

} // namespace jarvis::tools
