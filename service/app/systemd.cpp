#include "app/systemd.h"

#include <QByteArray>

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace jarvis::app {

namespace {
// A datagram socket connected to the manager's NOTIFY_SOCKET ("/path" or "@abstract"), as
// sd_notify(3) would use; -1 when there is none or it cannot be reached. Non-blocking: a manager
// that does not read never stalls the event loop (the message is dropped instead).
int connectNotifySocket(const QByteArray &path)
{
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    if (path.size() < 2 || size_t(path.size()) > sizeof(address.sun_path)
        || (path.front() != '/' && path.front() != '@'))
        return -1;
    std::memcpy(address.sun_path, path.constData(), size_t(path.size()));
    if (address.sun_path[0] == '@')
        address.sun_path[0] = '\0';
    // A path is NUL-terminated when there is room; an abstract name is exactly its length.
    const socklen_t length = socklen_t(offsetof(sockaddr_un, sun_path) + size_t(path.size())
        + (path.front() == '/' && size_t(path.size()) < sizeof(address.sun_path) ? 1 : 0));
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (::connect(fd, reinterpret_cast<const sockaddr *>(&address), length) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}
} // namespace

SystemdNotifier::SystemdNotifier(QObject *parent)
    : QObject(parent)
{
    const QByteArray socketPath = qgetenv("NOTIFY_SOCKET");
    uint64_t usec = 0;
    // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is this process; 1: both are
    // unset afterwards.
    const bool watchdog = sd_watchdog_enabled(1, &usec) > 0 && usec > 0;
    qunsetenv("NOTIFY_SOCKET");
    if (!socketPath.isEmpty())
        m_fd = connectNotifySocket(socketPath);
    m_active = m_fd >= 0;
    if (!socketPath.isEmpty() && !m_active)
        std::fprintf(stderr, "jarvisd: NOTIFY_SOCKET %s cannot be reached: no notifications\n",
            socketPath.constData());
    if (m_active && watchdog)
        m_watchdog = std::chrono::microseconds(usec);
    // Half the interval, as sd_watchdog_enabled(3) asks; at least 1 ms.
    m_pings.setInterval(std::max(std::chrono::milliseconds(1),
        std::chrono::duration_cast<std::chrono::milliseconds>(m_watchdog / 2)));
    m_pings.setTimerType(Qt::PreciseTimer);
    connect(&m_pings, &QTimer::timeout, this, [this] { send("WATCHDOG=1"); });
}

SystemdNotifier::~SystemdNotifier()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

void SystemdNotifier::ready(const QString &status)
{
    send("READY=1\nSTATUS=" + status.toUtf8());
    if (m_watchdog.count() > 0 && !m_pings.isActive())
        m_pings.start();
}

void SystemdNotifier::stopping(const QString &status)
{
    send("STOPPING=1\nSTATUS=" + status.toUtf8());
}

void SystemdNotifier::send(const QByteArray &state)
{
    if (m_fd >= 0) [[maybe_unused]]
        const auto sent = ::send(m_fd, state.constData(), size_t(state.size()), MSG_NOSIGNAL);
}

int journalPriority(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return 7; // LOG_DEBUG
    case QtInfoMsg:
        return 6; // LOG_INFO
    case QtWarningMsg:
        return 4; // LOG_WARNING
    case QtCriticalMsg:
        return 3; // LOG_ERR
    case QtFatalMsg:
        return 2; // LOG_CRIT
    }
    return 6;
}

namespace {
// JOURNAL_STREAM is "DEVICE:INODE" of the stream systemd connected; it names stderr only when
// they match (a child of jarvisd's may have inherited the variable with another stderr).
bool stderrIsJournal()
{
    const QByteArray stream = qgetenv("JOURNAL_STREAM");
    const qsizetype colon = stream.indexOf(':');
    if (colon <= 0)
        return false;
    bool devOk = false;
    bool inoOk = false;
    const qulonglong dev = stream.left(colon).toULongLong(&devOk);
    const qulonglong ino = stream.mid(colon + 1).toULongLong(&inoOk);
    struct stat st = {};
    return devOk && inoOk && ::fstat(2, &st) == 0 && qulonglong(st.st_dev) == dev
        && qulonglong(st.st_ino) == ino;
}

void journalHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const QString line = qFormatLogMessage(type, context, message);
    std::fprintf(stderr, "<%d>%s\n", journalPriority(type), line.toUtf8().constData());
    std::fflush(stderr);
    if (type == QtFatalMsg)
        std::abort();
}
} // namespace

void installJournalLogging()
{
    if (stderrIsJournal())
        qInstallMessageHandler(journalHandler);
}

} // namespace jarvis::app
