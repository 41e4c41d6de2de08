#include "app/clusterservices.h"

#include "history/recorder.h"
#include "http/httpapi.h"
#include "http/toolstatus.h"
#include "proxmox/client.h"
#include "realtime/clusteremitter.h"
#include "realtime/eventbus.h"
#include "realtime/historyevents.h"
#include "realtime/sioserver.h"
#include "realtime/temperaturepoller.h"
#include "realtime/terminalhandler.h"
#include "realtime/toolsinks.h"
#include "ssh/pool.h"
#include "tools/auditlog.h"
#include "tools/clustertools.h"
#include "tools/toolexecutor.h"

#include <QHttpServerResponder>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QSslCertificate>
#include <QUrlQuery>

namespace jarvis::app {

namespace {
proxmox::Client *makeClient(const config::Config &config, QObject *parent)
{
    proxmox::ClientOptions options;
    options.tokenId = config.tokenId;
    options.tokenSecret = config.tokenSecret;
    options.insecure = config.insecure;
    if (!config.caFile.isEmpty())
        options.caCertificates = QSslCertificate::fromPath(config.caFile, QSsl::Pem);
    QList<proxmox::ApiNode> nodes;
    for (const config::NodeConfig &node : config.nodes) {
        const QString pin =
            node.tlsFingerprint.isEmpty() ? config.tlsFingerprint : node.tlsFingerprint;
        nodes.append({node.name, node.apiUrl, proxmox::parseFingerprint(pin)});
    }
    return new proxmox::Client(options, nodes, parent);
}
// Without an [ssh] group the pool has no key: every node answers "SSH is not configured".
ssh::Pool *makePool(const config::Config &config, core::Clock *clock, QObject *parent)
{
    ssh::PoolOptions options;
    options.clock = clock;
    if (config.sshConfigured) {
        options.user = config.sshUser;
        options.keyFile = config.sshKeyFile;
        options.knownHostsFile = config.sshKnownHostsFile;
        options.strictHostKeys = config.strictHostKeys;
    }
    QList<ssh::NodeTarget> nodes;
    for (const config::NodeConfig &node : config.nodes)
        nodes.append({node.name, node.host, node.sshPort});
    return new ssh::Pool(options, nodes, parent);
}
} // namespace

ClusterServices::ClusterServices(const config::Config &config, http::HttpApi *http,
    realtime::SioServer *sio, core::Clock *clock, QObject *parent)
    : QObject(parent)
{
    m_client = makeClient(config, this);
    m_pool = makePool(config, clock, this);
    m_events = new realtime::EventBus(sio->findNamespace(QStringLiteral("/events")), this);
    m_toolEvents = std::make_unique<realtime::ToolEvents>(m_events);

    // The executor owns the safety policy the emitter (`protected` flags) and the terminals obey;
    // it names the guests of its events from the emitter's latest `vms`.
    m_audit = std::make_unique<tools::AuditLog>(config.auditFile);
    m_executor = new tools::ToolExecutor(
        tools::SafetyPolicy(config.protectedNodes, config.protectedVmids), m_audit.get(),
        m_toolEvents.get(),
        [this] { return m_emitter ? m_emitter->vms() : QList<model::VmData>(); }, this);

    realtime::ClusterEmitter::Intervals intervals;
    intervals.nodesMs = config.intervalNodes * 1000;
    intervals.vmsMs = config.intervalVms * 1000;
    intervals.storageMs = config.intervalStorage * 1000;
    intervals.quorumMs = config.intervalQuorum * 1000;
    intervals.nodeStatusMs = config.intervalNodeStatus * 1000;
    QHash<QString, QString> hosts;
    for (const config::NodeConfig &node : config.nodes)
        hosts.insert(node.name, node.host);
    m_emitter =
        new realtime::ClusterEmitter(m_client, sio->findNamespace(QStringLiteral("/cluster")),
            m_events, &m_executor->policy(), intervals, hosts, clock, this);
    realtime::TemperaturePoller::Options temperature;
    temperature.command = config.temperatureCommand; // the admin's; empty = the default
    temperature.intervalMs = config.intervalTemperature * 1000;
    m_temperatures =
        new realtime::TemperaturePoller(m_pool, m_emitter, m_events, temperature, clock, this);

    if (config.historyEnabled) {
        history::Recorder::Options options;
        options.store.nodeIntervalS = config.intervalNodes;
        options.store.guestIntervalS = config.intervalVms;
        options.file = config.historyFile;
        options.saveIntervalMs = config.historySaveInterval * 1000;
        options.backfill = config.historyBackfill;
        m_history = new history::Recorder(m_client, options, clock, this);
        m_historyEvents = new realtime::HistoryEvents(
            m_history, m_emitter, sio->findNamespace(QStringLiteral("/cluster")), this);
    }

    m_clusterView = std::make_unique<realtime::EmitterView>(m_emitter);
    tools::ClusterToolOptions toolOptions;
    toolOptions.clock = clock;
    tools::registerClusterTools(*m_executor, m_client, m_clusterView.get(), m_pool, toolOptions);
    // Terminals obey the tools' safety policy (protected nodes) and share their audit log.
    m_terminals =
        new realtime::TerminalHandler(m_pool, sio->findNamespace(QStringLiteral("/terminal")),
            &m_executor->policy(), m_audit.get(), this);
    registerRoutes(http);
}

ClusterServices::~ClusterServices()
{
    // First: its sessions write their last audit entries and use the policy of the executor.
    delete m_terminals;
    // Then the executor, while the audit log, sink and view it points to still live (they are
    // members, destroyed before QObject deletes the children).
    delete m_executor;
}

void ClusterServices::shutdown()
{
    if (m_terminals)
        m_terminals->closeAll();
    if (m_history)
        m_history->shutdown(); // writes the file
}

bool ClusterServices::start(QString *error)
{
    if (!m_audit->open(error))
        return false;
    if (m_history) {
        m_history->start(); // reads the file
        // The history needs every poll: polling goes on while nobody is connected.
        m_emitter->setKeepPolling(true);
    }
    return true;
}

QJsonObject ClusterServices::proxmoxHealth() const
{
    const QDateTime last =
        m_emitter->lastPollAt().isValid() ? m_emitter->lastPollAt() : m_client->lastSuccessAt();
    return QJsonObject {{QStringLiteral("reachable"),
                            m_client->isReachable() && m_client->lastSuccessAt().isValid()},
        {QStringLiteral("lastPollAt"),
            last.isValid() ? QJsonValue(last.toString(Qt::ISODateWithMs)) : QJsonValue::Null}};
}

void ClusterServices::registerRoutes(http::HttpApi *http)
{
    using Method = http::HttpApi::Method;
    using Access = http::HttpApi::Access;

    http->route(Method::Get, QStringLiteral("/api/tools"), Access::Authenticated,
        [this](const QHttpServerRequest &, QHttpServerResponder &&responder,
            const http::RequestContext &context) {
            http::writeJson(responder, 200, QJsonDocument(m_executor->catalogue()), context.cors);
        });

    http->route(Method::Post, QStringLiteral("/api/tools/execute"), Access::Authenticated,
        [this](const QHttpServerRequest &request, QHttpServerResponder &&responder,
            const http::RequestContext &context) {
            auto fail = [&](const QString &error) {
                http::writeJson(responder, http::toolStatus(tools::ErrorKind::InvalidRequest),
                    QJsonDocument(QJsonObject {
                        {QStringLiteral("success"), false}, {QStringLiteral("error"), error}}),
                    context.cors);
            };
            QString problem;
            const std::optional<QJsonObject> body = http::parseJsonObject(request.body(), &problem);
            if (!body)
                return fail(problem);
            const QJsonValue tool = body->value(QStringLiteral("tool"));
            const QJsonValue args = body->value(QStringLiteral("args"));
            if (!tool.isString() || tool.toString().isEmpty())
                return fail(QStringLiteral("'tool' must be a non-empty string"));
            if (!args.isUndefined() && !args.isNull() && !args.isObject())
                return fail(QStringLiteral("'args' must be an object"));
            auto shared = std::make_shared<QHttpServerResponder>(std::move(responder));
            const QPointer<QTcpSocket> socket = context.socket;
            const http::HeaderList cors = context.cors;
            m_executor->execute(tool.toString(), args.toObject(),
                body->value(QStringLiteral("confirmed")), context.user, QStringLiteral("api"), this,
                [shared, socket, cors](const tools::ToolExecutor::Response &r) {
                    if (socket && socket->state() == QAbstractSocket::ConnectedState)
                        http::writeJson(
                            *shared, http::toolStatus(r.kind), QJsonDocument(r.body), cors);
                });
        });

    http->route(Method::Get, QStringLiteral("/api/audit"), Access::Authenticated,
        [this](const QHttpServerRequest &request, QHttpServerResponder &&responder,
            const http::RequestContext &context) {
            int limit = 100;
            const QString given = request.query().queryItemValue(QStringLiteral("limit"));
            if (!given.isEmpty()) {
                bool ok = false;
                limit = given.toInt(&ok);
                if (!ok || limit < 1 || limit > 5000) {
                    http::writeJson(responder, 400,
                        QJsonDocument(http::errorBody(
                            QStringLiteral("limit must be an integer from 1 to 5000"))),
                        context.cors);
                    return;
                }
            }
            http::writeJson(responder, 200, QJsonDocument(m_audit->recent(limit)), context.cors);
        });
}

} // namespace jarvis::app
