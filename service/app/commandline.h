#pragma once

#include <QString>
#include <QStringList>

#include <optional>

namespace jarvis::app {

// jarvisd's command line (PROTOCOL.md section 7).
struct CommandLine
{
    QString configPath = QStringLiteral("/etc/jarvis/jarvisd.conf");
    bool configGiven = false;
    bool demo = false;
    std::optional<QString> listen;
    std::optional<int> port;
    QString webRoot; // --web-root DIR: serve the dashboard from DIR instead of the embedded one
    bool mcpStdio = false; // MCP on stdin/stdout besides the port (stdout: MCP only)
    bool checkConfig = false;
    bool hashPassword = false;
    QString newApiKey; // --new-api-key NAME: print a fresh key and its config entry
    bool version = false;
    bool help = false;
};

// Parses arguments (argv[0] first). On error returns nullopt and sets `error`.
std::optional<CommandLine> parseCommandLine(const QStringList &arguments, QString *error);
QString usage();

} // namespace jarvis::app
