#include "mcp/mcpserver.h"

#include "tools/toolexecutor.h"
#include "tools/toolsink.h"

#include <QJsonDocument>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcMcp, "jarvis.mcp")

namespace jarvis::mcp {

namespace {
const QString Mcp = QStringLiteral("mcp");

struct ResourceSpec
{
    ClusterSnapshots::Kind kind;
    const char *uri;
    const char *name;
    const char *title;
    const char *description;
};

const ResourceSpec Resources[] = {
    {ClusterSnapshots::Kind::Nodes, "jarvis://cluster/nodes", "nodes", "Cluster nodes",
        "Every node: status, CPU, memory, disk, load, uptime, temperatures, protected (the "
        "/cluster `nodes` event)"},
    {ClusterSnapshots::Kind::Vms, "jarvis://cluster/vms", "vms", "Guests",
        "Every VM and container: status, resources, protected (the /cluster `vms` event)"},
    {ClusterSnapshots::Kind::Storage, "jarvis://cluster/storage", "storage", "Storage",
        "Every storage per node: usage and status (the /cluster `storage` event)"},
    {ClusterSnapshots::Kind::Quorum, "jarvis://cluster/quorum", "quorum", "Quorum",
        "Cluster quorum and membership (the /cluster `quorum` event)"},
};

QString jsonText(const QJsonValue &value)
{
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    if (value.isString())
        return value.toString();
    return QString::fromUtf8(
        QJsonDocument(QJsonArray {value}).toJson(QJsonDocument::Compact).chopped(1).mid(1));
}

QJsonObject textResult(const QString &text, bool isError)
{
    QJsonObject result {
        {QStringLiteral("content"),
            QJsonArray {QJsonObject {
                {QStringLiteral("type"), QStringLiteral("text")}, {QStringLiteral("text"), text}}}},
    };
    if (isError)
        result.insert(QStringLiteral("isError"), true);
    return result;
}

bool isProgressToken(const QJsonValue &v)
{
    return v.isString() || v.isDouble();
}
} // namespace

const QStringList &supportedVersions()
{
    static const QStringList versions {QStringLiteral("2025-11-25"), QStringLiteral("2025-06-18")};
    return versions;
}

QString negotiateVersion(const QString &requested)
{
    return supportedVersions().contains(requested) ? requested : supportedVersions().first();
}

std::optional<ClusterSnapshots::Kind> resourceKind(const QString &uri)
{
    for (const ResourceSpec &r : Resources) {
        if (uri == QLatin1String(r.uri))
            return r.kind;
    }
    return std::nullopt;
}

QString resourceUri(ClusterSnapshots::Kind kind)
{
    for (const ResourceSpec &r : Resources) {
        if (r.kind == kind)
            return QLatin1String(r.uri);
    }
    return {};
}

// ---- Session ------------------------------------------------------------------------------

Session::Session(Server *server, QString user, QObject *parent)
    : QObject(parent)
    , m_server(server)
    , m_user(std::move(user))
{ }

Session::~Session()
{
    if (m_server) {
        m_server->m_sessions.removeAll(QPointer<Session>(this));
        m_server->m_sessions.removeAll(QPointer<Session>());
        if (!m_subscriptions.isEmpty()) {
            m_subscriptions.clear();
            m_server->subscriptionsChanged();
        }
    }
}

void Session::answer(const QJsonValue &id, const QJsonValue &result)
{
    if (m_output.send)
        m_output.send(response(id, result), id);
}

void Session::fail(const QJsonValue &id, int errorCode, const QString &message)
{
    if (m_output.send)
        m_output.send(errorResponse(id, errorCode, message), id);
}

void Session::finish(const QString &key)
{
    m_pending.remove(key);
    if (m_pending.isEmpty())
        Q_EMIT idle();
}

void Session::receive(const Message &m)
{
    switch (m.kind) {
    case Message::Kind::Invalid:
        fail(m.id, m.errorCode, m.error);
        return;
    case Message::Kind::Response:
        return; // this server sends no requests: nothing to match
    case Message::Kind::Notification:
        handleNotification(m);
        return;
    case Message::Kind::Request:
        handleRequest(m);
        return;
    }
}

void Session::handleNotification(const Message &m)
{
    if (m.method != QLatin1String("notifications/cancelled"))
        return; // notifications/initialized and anything unknown: nothing to do (JSON-RPC: no
                // answer to a notification)
    const QJsonValue requestId = m.params.toObject().value(QStringLiteral("requestId"));
    if (!isValidId(requestId))
        return; // 1.5 would otherwise cancel request 1 (idKey truncates)
    const auto it = m_pending.find(idKey(requestId));
    if (it == m_pending.end() || it->cancelled)
        return;
    // No response will be sent; what already started (a Proxmox task) runs to its end and is
    // audited as usual.
    it->cancelled = true;
    qCInfo(lcMcp).noquote() << "request" << idKey(requestId) << "of" << m_user << "cancelled:"
                            << m.params.toObject().value(QStringLiteral("reason")).toString();
    const QJsonValue id = it->id;
    if (m_output.dropped)
        m_output.dropped(id);
}

void Session::handleRequest(const Message &m)
{
    if (m_pending.contains(idKey(m.id)))
        return fail(m.id, code::InvalidRequest,
            QStringLiteral("Invalid Request: id %1 is already in use by a request in flight")
                .arg(jsonText(m.id)));
    if (m.params.isArray())
        return fail(m.id, code::InvalidParams,
            QStringLiteral("Invalid params: \"params\" must be an object"));
    const QJsonObject params = m.params.toObject();
    const QString &method = m.method;

    if (method == QLatin1String("ping"))
        return answer(m.id, QJsonObject {});
    if (method == QLatin1String("initialize")) {
        if (isInitialized())
            return fail(m.id, code::InvalidRequest,
                QStringLiteral("Invalid Request: the session is already initialized"));
        return initialize(m, params);
    }
    if (!isInitialized())
        return fail(m.id, code::ServerError,
            QStringLiteral("Bad Request: Server not initialized: send initialize first"));

    if (method == QLatin1String("tools/list")) {
        if (params.contains(QStringLiteral("cursor")))
            return fail(m.id, code::InvalidParams,
                QStringLiteral("Invalid params: unknown cursor (the list has one page)"));
        return answer(m.id, QJsonObject {{QStringLiteral("tools"), m_server->toolList()}});
    }
    if (method == QLatin1String("tools/call"))
        return callTool(m, params);
    if (method == QLatin1String("resources/list")) {
        if (params.contains(QStringLiteral("cursor")))
            return fail(m.id, code::InvalidParams,
                QStringLiteral("Invalid params: unknown cursor (the list has one page)"));
        return answer(m.id,
            QJsonObject {{QStringLiteral("resources"),
                m_server->snapshots() ? Server::resourceList() : QJsonArray()}});
    }
    if (method == QLatin1String("resources/templates/list"))
        return answer(m.id, QJsonObject {{QStringLiteral("resourceTemplates"), QJsonArray()}});
    if (method == QLatin1String("resources/read"))
        return readResource(m, params);
    if (method == QLatin1String("resources/subscribe"))
        return subscribe(m, params, true);
    if (method == QLatin1String("resources/unsubscribe"))
        return subscribe(m, params, false);
    fail(m.id, code::MethodNotFound, QStringLiteral("Method not found: %1").arg(method));
}

void Session::initialize(const Message &m, const QJsonObject &params)
{
    const QJsonValue requested = params.value(QStringLiteral("protocolVersion"));
    const QJsonObject clientInfo = params.value(QStringLiteral("clientInfo")).toObject();
    if (!requested.isString())
        return fail(m.id, code::InvalidParams,
            QStringLiteral("Invalid params: initialize needs \"protocolVersion\" (a string)"));
    if (!params.value(QStringLiteral("capabilities")).isObject())
        return fail(m.id, code::InvalidParams,
            QStringLiteral("Invalid params: initialize needs \"capabilities\" (an object)"));
    if (!clientInfo.value(QStringLiteral("name")).isString()
        || !clientInfo.value(QStringLiteral("version")).isString())
        return fail(m.id, code::InvalidParams,
            QStringLiteral("Invalid params: initialize needs \"clientInfo\" with \"name\" and "
                           "\"version\" (strings)"));
    m_version = negotiateVersion(requested.toString());
    qCInfo(lcMcp).noquote() << "session of" << m_user << "initialized: client"
                            << clientInfo.value(QStringLiteral("name")).toString()
                            << clientInfo.value(QStringLiteral("version")).toString() << "protocol"
                            << m_version;
    const Server::Info &info = m_server->info();
    QJsonObject capabilities {
        {QStringLiteral("tools"), QJsonObject {{QStringLiteral("listChanged"), false}}}};
    if (m_server->snapshots())
        capabilities.insert(QStringLiteral("resources"),
            QJsonObject {
                {QStringLiteral("subscribe"), true}, {QStringLiteral("listChanged"), false}});
    QJsonObject result {{QStringLiteral("protocolVersion"), m_version},
        {QStringLiteral("capabilities"), capabilities},
        {QStringLiteral("serverInfo"),
            QJsonObject {{QStringLiteral("name"), info.name},
                {QStringLiteral("title"), QStringLiteral("Jarvis")},
                {QStringLiteral("version"), info.version}}}};
    if (!info.instructions.isEmpty())
        result.insert(QStringLiteral("instructions"), info.instructions);
    answer(m.id, result);
}

void Session::callTool(const Message &m, const QJsonObject &params)
{
    const QJsonValue name = params.value(QStringLiteral("name"));
    if (!name.isString())
        return fail(m.id, code::InvalidParams,
            QStringLiteral("Invalid params: tools/call needs \"name\" (a string)"));
    const QJsonValue arguments = params.value(QStringLiteral("arguments"));
    if (!arguments.isUndefined() && !arguments.isObject())
        return fail(m.id, code::InvalidParams,
            QStringLiteral("Invalid params: \"arguments\" must be an object"));
    tools::ToolExecutor *executor = m_server->executor();
    const tools::Tool *tool = executor->find(name.toString());
    if (!tool)
        return fail(
            m.id, code::InvalidParams, QStringLiteral("Unknown tool: %1").arg(name.toString()));
    const QJsonValue meta = params.value(QStringLiteral("_meta"));
    const QJsonValue token = meta.toObject().value(QStringLiteral("progressToken"));

    const QString key = idKey(m.id);
    Pending pending;
    pending.id = m.id;
    if (isProgressToken(token))
        pending.progressToken = token;
    m_pending.insert(key, pending);

    const QString toolName = name.toString();
    const QJsonObject args = arguments.toObject();
    QPointer<Session> self(this);
    auto onTask = [self, key](const tools::TaskStep &step) {
        if (!self)
            return;
        const auto it = self->m_pending.find(key);
        if (it == self->m_pending.end() || it->cancelled || !isProgressToken(it->progressToken))
            return;
        it->progress += 1;
        QString message = QStringLiteral("Proxmox task %1 %2 on %3: %4")
                              .arg(step.type, step.id, step.node, step.status);
        if (!step.exitstatus.isEmpty())
            message += QStringLiteral(" (%1)").arg(step.exitstatus);
        if (self->m_output.send)
            self->m_output.send(
                notification(QStringLiteral("notifications/progress"),
                    QJsonObject {{QStringLiteral("progressToken"), it->progressToken},
                        {QStringLiteral("progress"), it->progress},
                        {QStringLiteral("message"), message}}),
                it->id);
    };
    auto done = [self, key, toolName](const tools::ToolExecutor::Response &r) {
        if (!self)
            return;
        const auto it = self->m_pending.constFind(key);
        if (it == self->m_pending.constEnd())
            return;
        const Pending pending = *it;
        if (pending.cancelled)
            return self->finish(key);
        const QJsonObject &body = r.body;
        QJsonObject result;
        if (r.kind == tools::ErrorKind::None) {
            const QJsonValue value = body.value(QStringLiteral("result"));
            result = textResult(jsonText(value), false);
            result.insert(QStringLiteral("structuredContent"),
                QJsonObject {{QStringLiteral("result"), value},
                    {QStringLiteral("tier"), body.value(QStringLiteral("tier"))}});
        } else {
            QString error = body.value(QStringLiteral("error")).toString();
            // Refused only for want of a confirmation: the assistant must ask its human.
            if (body.value(QStringLiteral("needsConfirmation")).toBool()) {
                error = QStringLiteral(
                    "Not done: %1 is a RED action (it stops, restarts or changes something on the "
                    "cluster) and needs the human's confirmation. Ask the user first, naming the "
                    "action and its target; only if they agree, call %1 again with the same "
                    "arguments plus \"confirmed\": true. Never set confirmed without asking. "
                    "(%2)")
                            .arg(toolName, error);
            } else if (r.kind == tools::ErrorKind::Blocked) {
                error = QStringLiteral("Refused by the safety policy: %1").arg(error);
            }
            result = textResult(error, true);
        }
        self->answer(pending.id, result);
        self->finish(key);
    };
    executor->execute(toolName, args, QJsonValue(), m_user, Mcp, this, done, onTask);
}

void Session::readResource(const Message &m, const QJsonObject &params)
{
    const QJsonValue uri = params.value(QStringLiteral("uri"));
    if (!uri.isString())
        return fail(m.id, code::InvalidParams,
            QStringLiteral("Invalid params: resources/read needs \"uri\" (a string)"));
    const auto kind = resourceKind(uri.toString());
    ClusterSnapshots *snapshots = m_server->snapshots();
    if (!kind || !snapshots) {
        if (m_output.send)
            m_output.send(
                errorResponse(m.id, code::ResourceNotFound, QStringLiteral("Resource not found"),
                    QJsonObject {{QStringLiteral("uri"), uri}}),
                m.id);
        return;
    }
    auto contents = [](const QString &uri, const QByteArray &text) {
        return QJsonObject {{QStringLiteral("contents"),
            QJsonArray {QJsonObject {{QStringLiteral("uri"), uri},
                {QStringLiteral("mimeType"), QStringLiteral("application/json")},
                {QStringLiteral("text"), QString::fromUtf8(text)}}}}};
    };
    if (const auto text = snapshots->json(*kind))
        return answer(m.id, contents(uri.toString(), *text));
    // Nothing polled yet (nobody on /cluster): poll now, then answer.
    const QString key = idKey(m.id);
    Pending pending;
    pending.id = m.id;
    m_pending.insert(key, pending);
    QPointer<Session> self(this);
    snapshots->refresh(*kind, this, [self, key, kind, uri, contents] {
        if (!self)
            return;
        const auto it = self->m_pending.constFind(key);
        if (it == self->m_pending.constEnd())
            return;
        const Pending pending = *it;
        if (!pending.cancelled) {
            ClusterSnapshots *snapshots = self->m_server ? self->m_server->snapshots() : nullptr;
            const auto text = snapshots ? snapshots->json(*kind) : std::nullopt;
            if (text)
                self->answer(pending.id, contents(uri.toString(), *text));
            else
                self->fail(pending.id, code::InternalError,
                    QStringLiteral("no %1 snapshot yet: the poll of Proxmox failed")
                        .arg(uri.toString()));
        }
        self->finish(key);
    });
}

void Session::subscribe(const Message &m, const QJsonObject &params, bool on)
{
    const QJsonValue uri = params.value(QStringLiteral("uri"));
    if (!uri.isString())
        return fail(m.id, code::InvalidParams,
            QStringLiteral("Invalid params: \"uri\" (a string) is required"));
    const auto kind = resourceKind(uri.toString());
    if (!kind || !m_server->snapshots()) {
        if (m_output.send)
            m_output.send(
                errorResponse(m.id, code::ResourceNotFound, QStringLiteral("Resource not found"),
                    QJsonObject {{QStringLiteral("uri"), uri}}),
                m.id);
        return;
    }
    if (on) {
        m_server->remember(*kind);
        m_subscriptions.insert(uri.toString());
    } else {
        m_subscriptions.remove(uri.toString());
    }
    m_server->subscriptionsChanged();
    answer(m.id, QJsonObject {});
}

void Session::resourceChanged(const QString &uri)
{
    if (m_subscriptions.contains(uri) && m_output.send)
        m_output.send(notification(QStringLiteral("notifications/resources/updated"),
                          QJsonObject {{QStringLiteral("uri"), uri}}),
            QJsonValue(QJsonValue::Undefined));
}

// ---- Server -------------------------------------------------------------------------------

Server::Server(
    tools::ToolExecutor *executor, ClusterSnapshots *snapshots, Info info, QObject *parent)
    : QObject(parent)
    , m_executor(executor)
    , m_snapshots(snapshots)
    , m_info(std::move(info))
{ }

Server::~Server()
{
    if (m_watched && m_snapshots)
        m_snapshots->setWatched(false);
}

Session *Server::createSession(const QString &user, QObject *parent)
{
    auto *session = new Session(this, user, parent);
    m_sessions.append(session);
    return session;
}

QJsonObject Server::describeTool(const tools::Tool &tool)
{
    using tools::Tier;
    QJsonObject input = tool.inputSchema;
    QString description = tool.description;
    if (tool.tier == Tier::Red) {
        QJsonObject properties = input.value(QStringLiteral("properties")).toObject();
        properties.insert(QStringLiteral("confirmed"),
            QJsonObject {{QStringLiteral("type"), QStringLiteral("boolean")},
                {QStringLiteral("description"),
                    QStringLiteral("true only after the human confirmed this exact call")}});
        input.insert(QStringLiteral("properties"), properties);
        description += tool.tierFor
            ? QStringLiteral(". Tier RED unless read-only: ask the human first, then call with "
                             "\"confirmed\": true")
            : QStringLiteral(". Tier RED: ask the human first, then call with \"confirmed\": true");
    } else if (tool.tier == Tier::Yellow) {
        description += QStringLiteral(". Tier YELLOW: runs without confirmation, audited");
    }
    QJsonObject annotations {{QStringLiteral("readOnlyHint"), tool.tier == Tier::Green},
        {QStringLiteral("destructiveHint"), tool.tier == Tier::Red || tool.tier == Tier::Black},
        {QStringLiteral("idempotentHint"), tool.tier == Tier::Green || tool.idempotent},
        {QStringLiteral("openWorldHint"), false}};
    QJsonObject out {{QStringLiteral("name"), tool.name},
        {QStringLiteral("description"), description}, {QStringLiteral("inputSchema"), input},
        {QStringLiteral("annotations"), annotations}};
    if (!tool.title.isEmpty()) {
        out.insert(QStringLiteral("title"), tool.title);
        annotations.insert(QStringLiteral("title"), tool.title);
        out.insert(QStringLiteral("annotations"), annotations);
    }
    if (!tool.resultSchema.isEmpty()) {
        out.insert(QStringLiteral("outputSchema"),
            QJsonObject {{QStringLiteral("type"), QStringLiteral("object")},
                {QStringLiteral("properties"),
                    QJsonObject {{QStringLiteral("result"), tool.resultSchema},
                        {QStringLiteral("tier"),
                            QJsonObject {{QStringLiteral("type"), QStringLiteral("string")},
                                {QStringLiteral("enum"),
                                    QJsonArray {QStringLiteral("GREEN"), QStringLiteral("YELLOW"),
                                        QStringLiteral("RED")}}}}}},
                {QStringLiteral("required"),
                    QJsonArray {QStringLiteral("result"), QStringLiteral("tier")}}});
    }
    return out;
}

QJsonArray Server::toolList() const
{
    QJsonArray list;
    const QJsonArray catalogue = m_executor->catalogue();
    for (const QJsonValue &entry : catalogue) {
        const tools::Tool *tool =
            m_executor->find(entry.toObject().value(QStringLiteral("name")).toString());
        if (tool && tool->tier != tools::Tier::Black)
            list.append(describeTool(*tool));
    }
    return list;
}

QJsonArray Server::resourceList()
{
    QJsonArray list;
    for (const ResourceSpec &r : Resources) {
        list.append(QJsonObject {{QStringLiteral("uri"), QLatin1String(r.uri)},
            {QStringLiteral("name"), QLatin1String(r.name)},
            {QStringLiteral("title"), QLatin1String(r.title)},
            {QStringLiteral("description"), QLatin1String(r.description)},
            {QStringLiteral("mimeType"), QStringLiteral("application/json")}});
    }
    return list;
}

void Server::remember(ClusterSnapshots::Kind kind)
{
    if (!m_snapshots)
        return;
    const QString uri = resourceUri(kind);
    for (const QPointer<Session> &s : std::as_const(m_sessions)) {
        if (s && s->m_subscriptions.contains(uri))
            return; // already followed: keep what subscribers last heard of
    }
    m_lastSent.insert(int(kind), m_snapshots->json(kind).value_or(QByteArray()));
}

void Server::snapshotChanged(ClusterSnapshots::Kind kind)
{
    if (!m_snapshots)
        return;
    const QString uri = resourceUri(kind);
    QList<QPointer<Session>> subscribers;
    for (const QPointer<Session> &s : std::as_const(m_sessions)) {
        if (s && s->m_subscriptions.contains(uri))
            subscribers.append(s);
    }
    if (subscribers.isEmpty())
        return;
    const std::optional<QByteArray> text = m_snapshots->json(kind);
    if (!text || m_lastSent.value(int(kind)) == *text)
        return; // re-sent, not changed
    m_lastSent.insert(int(kind), *text);
    for (const QPointer<Session> &s : std::as_const(subscribers)) {
        if (s)
            s->resourceChanged(uri);
    }
}

void Server::subscriptionsChanged()
{
    bool watched = false;
    for (const QPointer<Session> &s : std::as_const(m_sessions))
        watched = watched || (s && !s->m_subscriptions.isEmpty());
    if (watched == m_watched)
        return;
    m_watched = watched;
    if (!watched)
        m_lastSent.clear();
    if (m_snapshots)
        m_snapshots->setWatched(watched);
}

} // namespace jarvis::mcp
