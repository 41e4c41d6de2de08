#include "app/commandline.h"

#include "auth/apikey.h"

namespace jarvis::app {

QString usage()
{
    return QStringLiteral(
        "Usage: jarvisd [--config FILE] [--demo] [--listen ADDR] [--port N] [--web-root DIR]\n"
        "               [--mcp-stdio] [--check-config] [--hash-password] [--new-api-key NAME]\n"
        "               [--version] [--help]\n"
        "\n"
        "  --config FILE     configuration file (default /etc/jarvis/jarvisd.conf, or "
        "$JARVIS_CONFIG)\n"
        "  --demo            run against the built-in simulated cluster on 127.0.0.1:8080; no "
        "config needed\n"
        "  --listen ADDR     address to listen on (overrides server/listen)\n"
        "  --port N          port to listen on (overrides server/port; 0 = any free port)\n"
        "  --web-root DIR    serve the dashboard from DIR (a development build) instead of the "
        "one\n"
        "                    built into jarvisd\n"
        "  --mcp-stdio       also speak MCP (JSON-RPC lines) on stdin/stdout for a local AI\n"
        "                    assistant; logs and other output go to stderr; exits at end of "
        "input\n"
        "  --check-config    validate the configuration and exit (0 ok, 2 problems, one per line)\n"
        "  --hash-password   read a password on stdin and print its auth/passwordHash value\n"
        "  --new-api-key NAME  print a fresh random API key and, on a second line, its config\n"
        "                    entry NAME:sha256:<hash> for [mcp] apiKeys or [metrics] token\n"
        "  --version         print the version and exit\n"
        "  --help            print this help and exit\n"
        "\n"
        "Environment: JARVIS_CONFIG, JARVIS_PORT, JARVIS_LISTEN, JARVIS_ADMIN_PASSWORD, "
        "JARVIS_JWT_SECRET,\n"
        "JARVIS_PVE_TOKEN_SECRET, JARVIS_MCP_API_KEYS.\n");
}

std::optional<CommandLine> parseCommandLine(const QStringList &arguments, QString *error)
{
    CommandLine cl;
    auto fail = [error](const QString &message) {
        *error = message;
        return std::nullopt;
    };
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        QString arg = arguments.at(i);
        QString value;
        bool hasInlineValue = false;
        if (arg.startsWith(QLatin1String("--")) && arg.contains(QLatin1Char('='))) {
            value = arg.section(QLatin1Char('='), 1);
            arg = arg.section(QLatin1Char('='), 0, 0);
            hasInlineValue = true;
        }
        auto takeValue = [&]() -> std::optional<QString> {
            if (hasInlineValue)
                return value;
            if (i + 1 >= arguments.size())
                return std::nullopt;
            return arguments.at(++i);
        };
        if (arg == QLatin1String("--config")) {
            const auto v = takeValue();
            if (!v || v->isEmpty())
                return fail(QStringLiteral("--config needs a file name"));
            cl.configPath = *v;
            cl.configGiven = true;
        } else if (arg == QLatin1String("--listen")) {
            const auto v = takeValue();
            if (!v || v->isEmpty())
                return fail(QStringLiteral("--listen needs an address"));
            cl.listen = *v;
        } else if (arg == QLatin1String("--port")) {
            const auto v = takeValue();
            bool ok = false;
            const int port = v ? v->toInt(&ok) : -1;
            if (!ok || port < 0 || port > 65535)
                return fail(QStringLiteral("--port needs a number from 0 to 65535"));
            cl.port = port;
        } else if (arg == QLatin1String("--web-root")) {
            const auto v = takeValue();
            if (!v || v->isEmpty())
                return fail(QStringLiteral("--web-root needs a directory"));
            cl.webRoot = *v;
        } else if (arg == QLatin1String("--new-api-key")) {
            const auto v = takeValue();
            if (!v || !auth::isValidApiKeyName(*v))
                return fail(QStringLiteral("--new-api-key needs a NAME of letters, digits, '.', "
                                           "'_', '-' (at most 64)"));
            cl.newApiKey = *v;
        } else if (hasInlineValue) {
            return fail(QStringLiteral("%1 takes no value").arg(arg));
        } else if (arg == QLatin1String("--demo")) {
            cl.demo = true;
        } else if (arg == QLatin1String("--mcp-stdio")) {
            cl.mcpStdio = true;
        } else if (arg == QLatin1String("--check-config")) {
            cl.checkConfig = true;
        } else if (arg == QLatin1String("--hash-password")) {
            cl.hashPassword = true;
        } else if (arg == QLatin1String("--version") || arg == QLatin1String("-v")) {
            cl.version = true;
        } else if (arg == QLatin1String("--help") || arg == QLatin1String("-h")) {
            cl.help = true;
        } else {
            return fail(QStringLiteral("unknown option: %1").arg(arg));
        }
    }
    return cl;
}

} // namespace jarvis::app
