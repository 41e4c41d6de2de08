#pragma once

#include <QStringList>

namespace jarvis::app {

class Application;

// Everything jarvisd's main() does: command line, --version/--help/--hash-password/--check-config,
// loading the configuration (or the demo one), starting the Application, SIGTERM/SIGINT, and the
// exit code (0 clean stop, 2 configuration error, 1 anything else). `customize`, if set, is called
// with the Application before it starts (the test server adds its namespace there).
using Customizer = void (*)(Application &application);

// Process set-up every server executable does before creating QCoreApplication: Qt's plain UNIX
// event dispatcher instead of GLib's (whose socket-notifier bookkeeping is linear in the number of
// sockets: it cost a quarter of the CPU of a 1000-client broadcast, docs/PERFORMANCE.md) unless
// QT_NO_GLIB is set explicitly, and SIGPIPE ignored.
void prepareProcess();

int run(int argc, char **argv, Customizer customize = nullptr);

} // namespace jarvis::app
