#include "ssh/logging.h"

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <QByteArray>
#include <QString>

// Off by default: libssh 0.10 says routine things at its warning level (each connect's socket
// callback, every OpenSSH hostkeys-00 global request), which would read as problems in the log.
Q_LOGGING_CATEGORY(lcLibssh, "jarvis.ssh.libssh", QtCriticalMsg)

namespace jarvis::ssh {

namespace {
// libssh's message comes as "function: text", already formatted. Each goes out at libssh's own
// severity when the category has it on, else as debug (the level that asked for it).
void toCategory(int priority, const char *, const char *message, void *)
{
    const QString text = QString::fromUtf8(QByteArray(message).trimmed());
    if (priority <= SSH_LOG_WARNING && lcLibssh().isWarningEnabled())
        qCWarning(lcLibssh).noquote() << text;
    else if (priority <= SSH_LOG_PROTOCOL && lcLibssh().isInfoEnabled())
        qCInfo(lcLibssh).noquote() << text;
    else
        qCDebug(lcLibssh).noquote() << text;
}
} // namespace

void routeLibsshLog()
{
    // Both are per thread in libssh 0.10; every session is made (and used) on the main thread.
    ssh_set_log_callback(&toCategory);
    const QLoggingCategory &category = lcLibssh();
    ssh_set_log_level(category.isDebugEnabled() ? SSH_LOG_PACKET
            : category.isInfoEnabled()          ? SSH_LOG_PROTOCOL
            : category.isWarningEnabled()       ? SSH_LOG_WARNING
                                                : SSH_LOG_NOLOG);
}

} // namespace jarvis::ssh
