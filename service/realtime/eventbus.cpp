#include "realtime/eventbus.h"

#include "core/random.h"
#include "realtime/sioserver.h"

namespace jarvis::realtime {

namespace {
QString isoNow()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}
} // namespace

EventBus::EventBus(Namespace *events, QObject *parent)
    : QObject(parent)
    , m_events(events)
{ }

QString EventBus::severityName(Severity severity)
{
    switch (severity) {
    case Severity::Info:
        return QStringLiteral("info");
    case Severity::Warning:
        return QStringLiteral("warning");
    case Severity::Error:
        return QStringLiteral("error");
    case Severity::Critical:
        return QStringLiteral("critical");
    }
    return QStringLiteral("info");
}

QJsonObject EventBus::makeEvent(const QString &type, Severity severity, const QString &title,
    const QString &message, const QJsonObject &data, const QString &node)
{
    QJsonObject event {
        {QStringLiteral("id"), QStringLiteral("%1-%2").arg(++m_counter).arg(randomToken(6))},
        {QStringLiteral("type"), type}, {QStringLiteral("severity"), severityName(severity)},
        {QStringLiteral("title"), title}, {QStringLiteral("message"), message},
        {QStringLiteral("timestamp"), isoNow()}, {QStringLiteral("data"), data}};
    if (!node.isEmpty())
        event.insert(QStringLiteral("node"), node);
    return event;
}

void EventBus::send(const QString &eventName, const QJsonObject &event)
{
    if (m_events)
        m_events->broadcast(eventName, Message::of(event));
    Q_EMIT published(eventName, event);
}

QJsonObject EventBus::publish(const QString &type, Severity severity, const QString &title,
    const QString &message, const QJsonObject &data, const QString &node)
{
    const QJsonObject event = makeEvent(type, severity, title, message, data, node);
    send(QStringLiteral("event"), event);
    return event;
}

void EventBus::raiseAlert(const QString &key, const QString &alertKind, Severity severity,
    const QString &title, const QString &message, const QString &node, const QJsonObject &extra)
{
    if (m_openAlerts.contains(key))
        return;
    QJsonObject data = extra;
    data.insert(QStringLiteral("kind"), QStringLiteral("alert"));
    data.insert(QStringLiteral("alertKind"), alertKind);
    QJsonObject event = makeEvent(QStringLiteral("alert"), severity, title, message, data, node);
    // The resolution is a message of its own (ids are unique per message); alertId ties the two.
    data.insert(QStringLiteral("alertId"), event.value(QStringLiteral("id")));
    event.insert(QStringLiteral("data"), data);
    m_openAlerts.insert(key, event);
    send(QStringLiteral("alert"), event);
}

void EventBus::resolveAlert(const QString &key, const QString &message)
{
    auto it = m_openAlerts.find(key);
    if (it == m_openAlerts.end())
        return;
    QJsonObject event = it.value();
    m_openAlerts.erase(it);
    event.insert(
        QStringLiteral("id"), QStringLiteral("%1-%2").arg(++m_counter).arg(randomToken(6)));
    event.insert(QStringLiteral("timestamp"), isoNow());
    event.insert(QStringLiteral("resolvedAt"), isoNow());
    event.insert(QStringLiteral("severity"), severityName(Severity::Info));
    if (!message.isEmpty())
        event.insert(QStringLiteral("message"), message);
    send(QStringLiteral("alert"), event);
}

} // namespace jarvis::realtime
