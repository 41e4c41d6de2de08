#include "realtime/toolsinks.h"

#include "realtime/clusteremitter.h"
#include "realtime/eventbus.h"

namespace jarvis::realtime {

ToolEvents::ToolEvents(EventBus *bus)
    : m_bus(bus)
{ }

void ToolEvents::toolStep(const tools::ToolStep &step)
{
    QJsonObject data {{QStringLiteral("kind"), QStringLiteral("tool")},
        {QStringLiteral("tool"), step.tool}, {QStringLiteral("tier"), tools::tierName(step.tier)},
        {QStringLiteral("source"), step.source}, {QStringLiteral("user"), step.user},
        {QStringLiteral("args"), step.args}, {QStringLiteral("status"), step.status},
        {QStringLiteral("target"), step.target}};
    if (!step.error.isEmpty())
        data.insert(QStringLiteral("error"), step.error);
    if (step.durationMs)
        data.insert(QStringLiteral("durationMs"), double(*step.durationMs));
    using Severity = EventBus::Severity;
    const Severity severity = step.status == QLatin1String("failed") ? Severity::Error
        : step.status == QLatin1String("blocked")                    ? Severity::Warning
                                                                     : Severity::Info;
    QString message = QStringLiteral("%1 %2").arg(step.tool, step.status);
    if (!step.error.isEmpty())
        message += QStringLiteral(": ") + step.error;
    m_bus->publish(QStringLiteral("action"), severity, QStringLiteral("Tool %1").arg(step.tool),
        message, data, step.args.value(QStringLiteral("node")).toString());
}

void ToolEvents::taskStep(const tools::TaskStep &step)
{
    QJsonObject data {{QStringLiteral("kind"), QStringLiteral("task")},
        {QStringLiteral("upid"), step.upid}, {QStringLiteral("node"), step.node},
        {QStringLiteral("taskType"), step.type}, {QStringLiteral("id"), step.id},
        {QStringLiteral("status"), step.status}, {QStringLiteral("target"), step.target}};
    if (step.status == QLatin1String("stopped"))
        data.insert(QStringLiteral("exitstatus"), step.exitstatus);
    m_bus->publish(QStringLiteral("action"),
        step.failed ? EventBus::Severity::Error : EventBus::Severity::Info,
        QStringLiteral("Task %1").arg(step.type),
        QStringLiteral("%1 %2 on %3: %4%5")
            .arg(step.type, step.id, step.node, step.status,
                step.exitstatus.isEmpty() ? QString()
                                          : QStringLiteral(" (%1)").arg(step.exitstatus)),
        data, step.node);
}

EmitterView::EmitterView(ClusterEmitter *emitter)
    : m_emitter(emitter)
{ }

QList<model::NodeData> EmitterView::nodes() const
{
    return m_emitter->nodes();
}

QList<model::VmData> EmitterView::guests() const
{
    return m_emitter->vms();
}

void EmitterView::refresh(
    const QList<Data> &what, const QObject *context, std::function<void()> done)
{
    QList<ClusterEmitter::Source> sources;
    for (const Data data : what) {
        switch (data) {
        case Data::Nodes:
            sources.append(ClusterEmitter::Source::Nodes);
            break;
        case Data::Vms:
            sources.append(ClusterEmitter::Source::Vms);
            break;
        case Data::Storage:
            sources.append(ClusterEmitter::Source::Storage);
            break;
        }
    }
    m_emitter->refreshNow(
        sources, context, [done = std::move(done)](bool, const QString &) { done(); });
}

} // namespace jarvis::realtime
