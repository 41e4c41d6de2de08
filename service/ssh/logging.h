#pragma once

#include <QLoggingCategory>

// "jarvis.ssh": connections, channels and the pool.
Q_DECLARE_LOGGING_CATEGORY(lcSsh)
// "jarvis.ssh.libssh": libssh's own log, off by default. Its warnings with
// QT_LOGGING_RULES="jarvis.ssh.libssh.warning=true", its protocol steps with .info, and packet by
// packet (types and sizes, never what a channel carries, never keys) with .debug=true.
Q_DECLARE_LOGGING_CATEGORY(lcLibssh)

namespace jarvis::ssh {
// Sends libssh's log of this thread to lcLibssh, at the level the category's rules ask for now.
// Called before each new session, so a rule changed at run time applies to the next one.
void routeLibsshLog();
} // namespace jarvis::ssh
