#include "app/runner.h"

#include "app/application.h"
#include "app/commandline.h"
#include "app/mcpservice.h"
#include "app/systemd.h"
#include "auth/apikey.h"
#include "auth/password.h"
#include "config/config.h"
#include "core/random.h"
#include "demo/loopbacksshd.h"
#include "demo/pvesimulator.h"
#include "http/httpapi.h"
#include "http/staticsite.h"
#include "mcp/mcpstdio.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QProcessEnvironment>
#include <QSocketNotifier>
#include <QTemporaryDir>
#include <QTextStream>

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <iostream>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace jarvis::app {

namespace {
int g_signalFds[2] = {-1, -1};

void onSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(g_signalFds[0], &byte, 1);
}

void out(const QString &text)
{
    std::fputs(text.toLocal8Bit().constData(), stdout);
    std::fflush(stdout);
}

void err(const QString &text)
{
    std::fputs(text.toLocal8Bit().constData(), stderr);
    std::fflush(stderr);
}

QByteArray randomSecret()
{
    return randomToken(32).toLatin1();
}

const QString DemoPassword = QStringLiteral("jarvis-demo");
constexpr int DemoProtectedVmid = 101;

// Extra tuning from the environment, for tests and containers.
bool applyTuning(config::Config &config, const QProcessEnvironment &env, QStringList *problems)
{
    struct Knob
    {
        const char *name;
        int *target;
        int min;
        int max;
    };
    int maxPayload = int(config.maxPayload);
    const Knob knobs[] = {
        {"JARVIS_PING_INTERVAL", &config.pingInterval, 100, 600000},
        {"JARVIS_PING_TIMEOUT", &config.pingTimeout, 100, 600000},
        {"JARVIS_CONNECT_TIMEOUT", &config.connectTimeout, 100, 600000},
        {"JARVIS_MAX_PAYLOAD", &maxPayload, 1, 100000000},
    };
    for (const Knob &knob : knobs) {
        const QString value = env.value(QLatin1String(knob.name));
        if (value.isEmpty())
            continue;
        bool ok = false;
        const int number = value.toInt(&ok);
        if (!ok || number < knob.min || number > knob.max) {
            problems->append(QStringLiteral("environment: %1: must be an integer from %2 to %3")
                                 .arg(QLatin1String(knob.name))
                                 .arg(knob.min)
                                 .arg(knob.max));
            continue;
        }
        *knob.target = number;
    }
    config.maxPayload = maxPayload;
    return problems->isEmpty();
}
// What the demo's temperature command runs: `sensors -j`-style JSON (an Intel host with an NVMe
// drive) whose readings vary a little on every call. Written into the sshd's private directory.
const char DemoSensorsScript[] = R"(#!/bin/sh
# Written by jarvisd --demo: prints lm-sensors `sensors -j` style JSON with slightly varying values.
r() { v=$(( $1 * 10 + $(od -An -N1 -tu1 /dev/urandom) % ($2 * 10 + 1) )); printf '%d.%d' $((v / 10)) $((v % 10)); }
cat <<EOF
{
   "coretemp-isa-0000":{
      "Adapter": "ISA adapter",
      "Package id 0":{ "temp1_input": $(r 46 9), "temp1_max": 80.000, "temp1_crit": 100.000 },
      "Core 0":{ "temp2_input": $(r 43 8), "temp2_max": 80.000, "temp2_crit": 100.000 },
      "Core 1":{ "temp3_input": $(r 42 8), "temp3_max": 80.000, "temp3_crit": 100.000 },
      "Core 2":{ "temp4_input": $(r 44 8), "temp4_max": 80.000, "temp4_crit": 100.000 },
      "Core 3":{ "temp5_input": $(r 41 8), "temp5_max": 80.000, "temp5_crit": 100.000 }
   },
   "nvme-pci-0100":{
      "Adapter": "PCI adapter",
      "Composite":{ "temp1_input": $(r 36 4), "temp1_max": 81.850, "temp1_min": -273.150 }
   },
   "acpitz-acpi-0":{
      "Adapter": "ACPI interface",
      "temp1":{ "temp1_input": $(r 27 2), "temp1_crit": 119.000 }
   }
}
EOF
)";

// Terminals and temperatures for the demo: an OpenSSH sshd on 127.0.0.1 only, as the current
// user, accepting only a key generated for this run (LoopbackSshd), so a demo terminal gives no
// more than the user who started jarvisd already has. Every demo node is this sshd.
void startDemoSshd(config::Config &config, std::unique_ptr<demo::LoopbackSshd> *sshd)
{
    if (!demo::LoopbackSshd::isAvailable()) {
        err(QStringLiteral("jarvisd: demo: sshd or ssh-keygen not found: terminals and "
                           "temperatures are off in the demo (scripts/install-deps.sh installs "
                           "openssh-server)\n"));
        return;
    }
    // The demo's shells start the same way on every machine: HOME is an empty folder of the demo's
    // own, so the user's start-up files (which may wait on a lock, prompt, or print) stay out.
    demo::LoopbackSshd::Options options;
    options.cleanHome = true;
    auto server = std::make_unique<demo::LoopbackSshd>(options);
    if (!server->setUp()) {
        err(QStringLiteral("jarvisd: demo: cannot start a loopback sshd (%1): terminals and "
                           "temperatures are off in the demo\n")
                .arg(server->error()));
        return;
    }
    const QString script = server->path(QStringLiteral("demo-sensors.sh"));
    QFile file(script);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || file.write(DemoSensorsScript) != qint64(sizeof(DemoSensorsScript) - 1)) {
        err(QStringLiteral("jarvisd: demo: cannot write %1: terminals and temperatures are off in "
                           "the demo\n")
                .arg(script));
        return;
    }
    file.close();
    file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    config.sshConfigured = true;
    config.sshUser = demo::LoopbackSshd::user();
    config.sshKeyFile = server->clientKeyFile();
    config.sshKnownHostsFile = server->knownHostsFile();
    config.strictHostKeys = true;
    for (config::NodeConfig &node : config.nodes) {
        node.host = server->host();
        node.sshPort = server->port();
    }
    config.temperatureCommand = QStringLiteral("sh '%1'").arg(script);
    err(QStringLiteral("jarvisd: demo: terminals and temperatures use a loopback sshd on %1:%2 "
                       "(user %3, this run's key only)\n")
            .arg(server->host())
            .arg(server->port())
            .arg(config.sshUser));
    *sshd = std::move(server);
}

// The demo's Proxmox: the PVE simulator on a loopback port, reached through the real client; and
// the loopback sshd for terminals and temperatures, kept in `sshd` for the run.
std::unique_ptr<demo::PveSimulator> startSimulator(config::Config &config,
    const QProcessEnvironment &env, std::unique_ptr<demo::LoopbackSshd> *sshd, QString *error)
{
    demo::PveSimulator::Options options;
    options.tokenSecret = randomToken(24);
    options.cluster.nodes =
        qBound(1, env.value(QStringLiteral("JARVIS_DEMO_NODES"), QStringLiteral("3")).toInt(), 200);
    options.cluster.guests = qBound(
        0, env.value(QStringLiteral("JARVIS_DEMO_GUESTS"), QStringLiteral("12")).toInt(), 20000);
    auto simulator = std::make_unique<demo::PveSimulator>(options);
    if (simulator->listen(QHostAddress::LocalHost, 0) == 0) {
        *error = simulator->errorString();
        return nullptr;
    }
    config.tokenId = options.tokenId;
    config.tokenSecret = options.tokenSecret;
    config.nodes.clear();
    for (int i = 1; i <= options.cluster.nodes; ++i) {
        config::NodeConfig node;
        node.name = options.cluster.nodePrefix + QString::number(i);
        node.host = QStringLiteral("127.0.0.1");
        node.apiUrl = simulator->baseUrl();
        config.nodes.append(node);
    }
    // One protected node, so the demo shows what a refusal looks like; and one protected guest on
    // an unprotected node, so both reasons show: 101 (postgres-main), the second guest of the
    // first node in SimulatedCluster's curated list.
    if (config.protectedNodes.isEmpty() && options.cluster.nodes >= 3)
        config.protectedNodes = {
            options.cluster.nodePrefix + QString::number(options.cluster.nodes)};
    if (config.protectedVmids.isEmpty() && options.cluster.guests >= 2)
        config.protectedVmids = {DemoProtectedVmid};
    startDemoSshd(config, sshd);
    return simulator;
}
} // namespace

void prepareProcess()
{
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    std::signal(SIGPIPE, SIG_IGN);
}

int run(int argc, char **argv, Customizer customize)
{
    prepareProcess();
    installJournalLogging();
    QCoreApplication qapp(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("jarvisd"));
    QCoreApplication::setApplicationVersion(QStringLiteral(JARVIS_VERSION));
    // Before any child process (the demo's sshd) starts: it takes NOTIFY_SOCKET away from them.
    auto *systemd = new SystemdNotifier(&qapp);
    if (qEnvironmentVariableIsEmpty("QT_LOGGING_RULES"))
        QLoggingCategory::setFilterRules(QStringLiteral("*.debug=false"));

    QString error;
    const auto cl = parseCommandLine(QCoreApplication::arguments(), &error);
    if (!cl) {
        err(QStringLiteral("jarvisd: %1\n%2").arg(error, usage()));
        return 2;
    }
    if (cl->help) {
        out(usage());
        return 0;
    }
    if (cl->version) {
        out(QStringLiteral("jarvisd %1\n").arg(QStringLiteral(JARVIS_VERSION)));
        return 0;
    }
    if (cl->hashPassword) {
        std::string line;
        if (!std::getline(std::cin, line) || line.empty()) {
            err(QStringLiteral("jarvisd: --hash-password reads a non-empty password on stdin\n"));
            return 2;
        }
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        out(auth::hashPassword(QString::fromStdString(line)) + QLatin1Char('\n'));
        return 0;
    }

    if (!cl->newApiKey.isEmpty()) {
        // The key once, for the client; the entry (its hash only) for the configuration.
        const QString key = auth::newApiKey();
        out(key + QLatin1Char('\n') + auth::apiKeyEntry(cl->newApiKey, key) + QLatin1Char('\n'));
        return 0;
    }

    // --mcp-stdio: stdout carries MCP only. The original stdout is kept for it, and fd 1 points at
    // stderr from here on, so whatever else is printed (the URL lines, a library's printf) goes
    // there.
    int mcpOut = -1;
    if (cl->mcpStdio && !cl->checkConfig) {
        mcpOut = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        if (mcpOut < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
            err(QStringLiteral("jarvisd: --mcp-stdio: cannot set up stdout\n"));
            return 1;
        }
    }

    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    QString configPath = cl->configPath;
    if (!cl->configGiven && env.contains(QStringLiteral("JARVIS_CONFIG")))
        configPath = env.value(QStringLiteral("JARVIS_CONFIG"));
    config::LoadResult loaded = cl->demo ? config::demo(env) : config::load(configPath, env);
    if (cl->listen)
        loaded.config.listen = *cl->listen;
    if (cl->port)
        loaded.config.port = *cl->port;
    QStringList problems;
    for (const config::Problem &p : std::as_const(loaded.problems))
        problems.append(p.toString());
    if (!cl->webRoot.isEmpty()) {
        const QFileInfo root(cl->webRoot);
        if (root.isDir())
            loaded.config.webRoot = root.absoluteFilePath();
        else
            problems.append(QStringLiteral("--web-root: %1 is not a directory").arg(cl->webRoot));
    }
    applyTuning(loaded.config, env, &problems);
    if (cl->checkConfig) {
        for (const QString &p : std::as_const(problems))
            out(p + QLatin1Char('\n'));
        if (problems.isEmpty())
            out(QStringLiteral("%1: configuration is valid\n")
                    .arg(cl->demo ? QStringLiteral("demo") : configPath));
        return problems.isEmpty() ? 0 : 2;
    }
    if (!problems.isEmpty()) {
        for (const QString &p : std::as_const(problems))
            err(QStringLiteral("jarvisd: %1\n").arg(p));
        err(QStringLiteral("jarvisd: configuration has %1 problem(s); see --check-config\n")
                .arg(problems.size()));
        return 2;
    }

    config::Config config = loaded.config;
    if (cl->mcpStdio && !config.mcpEnabled) {
        err(QStringLiteral("jarvisd: --mcp-stdio: MCP is disabled ([mcp] enabled=false)\n"));
        return 2;
    }
    std::unique_ptr<demo::LoopbackSshd> sshd; // outlives the Application; stops with jarvisd
    std::unique_ptr<demo::PveSimulator> simulator;
    std::unique_ptr<QTemporaryDir> demoState; // this run's own state (0700), removed on exit
    if (config.demo) {
        if (config.auditFile.isEmpty()) {
            demoState = std::make_unique<QTemporaryDir>(
                QDir::temp().filePath(QStringLiteral("jarvis-demo-XXXXXX")));
            if (!demoState->isValid()) {
                err(QStringLiteral("jarvisd: cannot create the demo's state directory: %1\n")
                        .arg(demoState->errorString()));
                return 1;
            }
            QFile::setPermissions(demoState->path(),
                QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
            config.auditFile = demoState->filePath(QStringLiteral("audit.jsonl"));
            if (config.historyFile.isEmpty())
                config.historyFile = demoState->filePath(QStringLiteral("history.bin"));
            err(QStringLiteral("jarvisd: demo: state directory %1 (audit log; this run only, "
                               "removed on exit)\n")
                    .arg(demoState->path()));
        }
        if (config.jwtSecret.isEmpty())
            config.jwtSecret = randomSecret();
        if (config.adminPassword.isEmpty() && config.passwordHash.isEmpty())
            config.adminPassword = DemoPassword;
        simulator = startSimulator(config, env, &sshd, &error);
        if (!simulator) {
            err(QStringLiteral("jarvisd: cannot start the simulated cluster: %1\n").arg(error));
            return 1;
        }
    }

    Application application(config);
    if (customize)
        customize(application);
    if (!config.webRoot.isEmpty())
        err(QStringLiteral("jarvisd: serving the dashboard from %1\n").arg(config.webRoot));
    if (!application.http()->staticSite()->hasIndex()) {
        err(config.webRoot.isEmpty()
                ? QStringLiteral("jarvisd: the dashboard is not built into this jarvisd: / "
                                 "answers 404 (the API and Socket.IO work)\n")
                : QStringLiteral("jarvisd: %1 has no index.html: / answers 404\n")
                      .arg(config.webRoot));
    }
    if (!application.start(&error)) {
        err(QStringLiteral("jarvisd: %1\n").arg(error));
        return 1;
    }

    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalFds) == 0) {
        auto *notifier = new QSocketNotifier(g_signalFds[1], QSocketNotifier::Read, &qapp);
        QObject::connect(notifier, &QSocketNotifier::activated, &qapp, [notifier, systemd] {
            char byte;
            [[maybe_unused]] const auto got = ::read(g_signalFds[1], &byte, 1);
            notifier->setEnabled(false);
            systemd->stopping(QStringLiteral("stopping"));
            QCoreApplication::quit();
        });
        struct sigaction action = {};
        action.sa_handler = onSignal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        sigaction(SIGTERM, &action, nullptr);
        sigaction(SIGINT, &action, nullptr);
    }

    std::unique_ptr<mcp::StdioTransport> stdio; // before the Application goes
    if (cl->mcpStdio) {
        stdio = std::make_unique<mcp::StdioTransport>(
            application.mcp()->server(), STDIN_FILENO, mcpOut, config.maxBodySize);
        QObject::connect(
            stdio.get(), &mcp::StdioTransport::finished, &qapp, [] { QCoreApplication::quit(); });
    }

    out(QStringLiteral("jarvisd: listening on %1\n").arg(application.url()));
    if (config.demo) {
        out(QStringLiteral("open %1/ and log in with user %2, password %3\n")
                .arg(application.url(), config.username,
                    config.adminPassword == DemoPassword
                        ? DemoPassword
                        : QStringLiteral("(the one in JARVIS_ADMIN_PASSWORD)")));
    }
    // Under systemd (Type=notify): ready once the port listens, which start() has done; the
    // status names the URL, as the first line on stdout does.
    systemd->ready(QStringLiteral("listening on %1").arg(application.url()));
    const int code = QCoreApplication::exec();
    stdio.reset();
    application.shutdown();
    out(QStringLiteral("jarvisd: stopped\n"));
    return code;
}

} // namespace jarvis::app
