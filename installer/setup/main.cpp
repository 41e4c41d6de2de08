// jarvis-setup: first-run setup of jarvisd's configuration, and of the desktop console with
// --console (issue 13; the command line in docs/PROTOCOL.md section 7, "jarvis-setup").
#include "prompter.h"
#include "setup.h"

#include <QCoreApplication>

#include <cstdio>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("jarvis-setup"));
    QCoreApplication::setApplicationVersion(QStringLiteral(JARVIS_VERSION));
    using namespace jarvis::setup;
    try {
        const auto options = parseOptions(QCoreApplication::arguments());
        if (!options)
            return 0;
        return options->console ? runConsoleSetup(*options) : runServerSetup(*options);
    } catch (const SetupError &e) {
        std::fprintf(stderr, "jarvis-setup: %s\n", qPrintable(e.message));
        return e.exitCode;
    }
}
