#pragma once

#include <QObject>
#include <QString>
#include <QTimer>

#include <chrono>

// jarvisd under systemd (installer/systemd/jarvisd.service, PROTOCOL.md section 7). Outside
// systemd (no NOTIFY_SOCKET, no JOURNAL_STREAM) none of this changes anything.
namespace jarvis::app {

// Type=notify: READY=1 once the port listens, STOPPING=1 when a stop is asked for, and the
// watchdog: WATCHDOG=1 from a timer on the event loop at half of the interval the manager gives
// in WATCHDOG_USEC, so a blocked event loop stops the pings and the manager restarts jarvisd.
// The constructor takes NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID out of the environment:
// a child (the demo's sshd, which speaks sd_notify too) must not report in jarvisd's name. So
// create it before any child process starts.
class SystemdNotifier : public QObject
{
public:
    explicit SystemdNotifier(QObject *parent = nullptr);
    ~SystemdNotifier() override;
    SystemdNotifier(const SystemdNotifier &) = delete;
    SystemdNotifier &operator=(const SystemdNotifier &) = delete;

    // True when the manager listens (NOTIFY_SOCKET is set).
    bool isActive() const { return m_active; }
    // The manager's watchdog interval (WATCHDOG_USEC, for this process); zero when it has none.
    std::chrono::microseconds watchdogInterval() const { return m_watchdog; }

    // READY=1 with STATUS=`status`; starts the watchdog pings.
    void ready(const QString &status);
    // STOPPING=1 with STATUS=`status`; the watchdog pings go on until the process exits.
    void stopping(const QString &status);

private:
    void send(const QByteArray &state);

    int m_fd = -1; // a datagram socket connected to NOTIFY_SOCKET
    bool m_active = false;
    std::chrono::microseconds m_watchdog {0};
    QTimer m_pings;
};

// When stderr is the journal's stream (JOURNAL_STREAM names it), every Qt message goes out with
// the sd-daemon priority prefix ("<4>jarvis.proxmox: ..."), so the journal keeps its severity
// beside the category. Otherwise Qt's own output is left as it is. Call before logging.
void installJournalLogging();
// The sd-daemon priority of a Qt message type (syslog levels: 7 debug ... 2 critical).
int journalPriority(QtMsgType type);

} // namespace jarvis::app
