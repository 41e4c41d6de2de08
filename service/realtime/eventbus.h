#pragma once

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QString>

namespace jarvis::realtime {

class Namespace;

// Publishes JarvisEvents (PROTOCOL.md section 5) on /events: `event` messages for tool steps, task
// progress and poll health, and `alert` messages that are raised once and sent again with
// `resolvedAt` when they clear. Keeps the open alerts so a raise is not repeated. Main thread.
class EventBus : public QObject
{
    Q_OBJECT
public:
    enum class Severity { Info, Warning, Error, Critical };

    explicit EventBus(Namespace *events, QObject *parent = nullptr);

    // type: "action" | "status" | "metric"; data must contain "kind".
    QJsonObject publish(const QString &type, Severity severity, const QString &title,
        const QString &message, const QJsonObject &data, const QString &node = {});

    // Raises the alert `key` (e.g. "node_offline:pve2") unless it is already open.
    void raiseAlert(const QString &key, const QString &alertKind, Severity severity,
        const QString &title, const QString &message, const QString &node = {},
        const QJsonObject &extra = {});
    // Sends the open alert `key` again with resolvedAt and forgets it.
    void resolveAlert(const QString &key, const QString &message = {});
    bool isAlertOpen(const QString &key) const { return m_openAlerts.contains(key); }
    QList<QJsonObject> openAlerts() const { return m_openAlerts.values(); }

    static QString severityName(Severity severity);

Q_SIGNALS:
    void published(const QString &eventName, const QJsonObject &event);

private:
    QJsonObject makeEvent(const QString &type, Severity severity, const QString &title,
        const QString &message, const QJsonObject &data, const QString &node);
    void send(const QString &eventName, const QJsonObject &event);

    Namespace *m_events;
    QHash<QString, QJsonObject> m_openAlerts;
    quint64 m_counter = 0;
};

} // namespace jarvis::realtime
