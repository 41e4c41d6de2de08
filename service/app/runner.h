#pragma once

#include <QStringList>

namespace jarvis::app {

class Application;

// Everything jarvisd's main() does: command line, --version/--help/--hash-password/--check-config,
// loading the configuration (or the demo one), starting the Application, SIGTERM/SIGINT, and the
// exit code (0 clean stop, 2 configuration error, 1 anything else). `customize`, if set, is called
// with the Application before it starts (the test server adds its namespace there).
using Customizer = void (*)(Application &application);
int run(int argc, char **argv, Customizer customize = nullptr);

} // namespace jarvis::app
