#include "tools/clustertools.h"

#include "core/clock.h"
#include "core/utf8.h"
#include "proxmox/client.h"
#include "ssh/pool.h"
#include "tools/toolexecutor.h"
#include "tools/toolsink.h"

#include <QJsonArray>
#include <QPointer>
#include <QTimer>

namespace jarvis::tools {

namespace {
using model::VmData;

QJsonObject stringProp(const QString &description, int maxLength = 128)
{
    return {{QStringLiteral("type"), QStringLiteral("string")},
        {QStringLiteral("description"), description}, {QStringLiteral("minLength"), 1},
        {QStringLiteral("maxLength"), maxLength}};
}

QJsonObject vmidProp()
{
    return {{QStringLiteral("type"), QStringLiteral("integer")},
        {QStringLiteral("description"), QStringLiteral("guest id")}, {QStringLiteral("minimum"), 1},
        {QStringLiteral("maximum"), 999999999}};
}

QJsonObject schema(const QJsonObject &properties, const QStringList &required)
{
    return {{QStringLiteral("type"), QStringLiteral("object")},
        {QStringLiteral("properties"), properties},
        {QStringLiteral("required"), QJsonArray::fromStringList(required)},
        {QStringLiteral("additionalProperties"), false}};
}

const QJsonObject NodeSchema = schema(
    {{QStringLiteral("node"), stringProp(QStringLiteral("node name"))}}, {QStringLiteral("node")});
const QJsonObject OptionalNodeSchema =
    schema({{QStringLiteral("node"), stringProp(QStringLiteral("only this node"))}}, {});
const QJsonObject GuestSchema =
    schema({{QStringLiteral("node"), stringProp(QStringLiteral("node hosting the guest"))},
               {QStringLiteral("vmid"), vmidProp()}},
        {QStringLiteral("node"), QStringLiteral("vmid")});
const QJsonObject NoArgsSchema = schema({}, {});

Outcome upstream(const proxmox::Error &e)
{
    return Outcome::failure(ErrorKind::Upstream, e.message);
}

Outcome invalid(const QString &why)
{
    return Outcome::failure(ErrorKind::InvalidRequest, why);
}

bool sameNode(const QString &a, const QString &b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

// Follows a Proxmox task to its end, publishing its progress to the sink, then refreshes the
// cluster picture. A child of `parent` (the executor): it goes when the executor goes.
class TaskFollower : public QObject
{
public:
    TaskFollower(proxmox::Client *client, ClusterView *cluster, ToolSink *sink,
        ClusterToolOptions options, QString node, QString upid, QList<ClusterView::Data> refresh,
        QJsonObject result, TaskObserver onTask, Done done, QObject *parent)
        : QObject(parent)
        , m_client(client)
        , m_cluster(cluster)
        , m_sink(sink)
        , m_onTask(std::move(onTask))
        , m_options(options)
        , m_node(std::move(node))
        , m_upid(std::move(upid))
        , m_refresh(std::move(refresh))
        , m_result(std::move(result))
        , m_done(std::move(done))
        , m_clock(core::Clock::orSystem(options.clock))
        , m_startedMs(m_clock->monotonicMs())
        , m_timer(m_clock->createTicker(this))
    {
        m_timer->setSingleShot(true);
        m_timer->setInterval(m_options.taskPollMs);
        connect(m_timer, &core::Ticker::timeout, this, &TaskFollower::pollOnce);
        pollOnce();
    }

private:
    qint64 elapsedMs() const { return m_clock->monotonicMs() - m_startedMs; }

    void pollOnce()
    {
        m_client->taskStatus(
            m_node, m_upid, this, [this](const proxmox::Result<proxmox::TaskStatus> &r) {
                if (!r.ok()) {
                    if (++m_errors >= 5 || elapsedMs() > m_options.taskTimeoutMs)
                        return finish(upstream(r.error));
                    return m_timer->start();
                }
                m_errors = 0;
                const proxmox::TaskStatus &task = *r.value;
                if (task.status != m_lastStatus) {
                    m_lastStatus = task.status;
                    publish(task);
                }
                if (task.status == QLatin1String("stopped")) {
                    m_result.insert(QStringLiteral("exitstatus"), task.exitstatus);
                    if (!task.succeeded())
                        return refreshThen(Outcome::failure(ErrorKind::Upstream,
                            QStringLiteral("Proxmox task %1 failed: %2")
                                .arg(m_upid, task.exitstatus)));
                    return refreshThen(Outcome::success(m_result));
                }
                if (elapsedMs() > m_options.taskTimeoutMs)
                    return refreshThen(Outcome::failure(ErrorKind::Upstream,
                        QStringLiteral("Proxmox task %1 did not finish within %2 s")
                            .arg(m_upid)
                            .arg(m_options.taskTimeoutMs / 1000)));
                m_timer->start();
            });
    }

    void publish(const proxmox::TaskStatus &task)
    {
        if (!m_sink && !m_onTask)
            return;
        const TaskStep step {m_upid, m_node, task.type, task.id, task.status, task.exitstatus,
            task.status == QLatin1String("stopped") && !task.succeeded(),
            eventTarget(QJsonObject {{QStringLiteral("node"), m_node},
                            {QStringLiteral("vmid"), m_result.value(QStringLiteral("vmid"))}},
                m_cluster->guests())};
        if (m_sink)
            m_sink->taskStep(step);
        if (m_onTask)
            m_onTask(step);
    }

    // Fresh `nodes`/`vms` (and `storage`) go out to clients before the caller answers.
    void refreshThen(const Outcome &outcome)
    {
        m_cluster->refresh(m_refresh, this, [this, outcome] { finish(outcome); });
    }

    void finish(const Outcome &outcome)
    {
        const Done done = std::move(m_done);
        deleteLater();
        // One event-loop turn later: Engine.IO polling flushes what the refresh queued first.
        QTimer::singleShot(0, parent(), [done, outcome] { done(outcome); });
    }

    proxmox::Client *m_client;
    ClusterView *m_cluster;
    ToolSink *m_sink;
    TaskObserver m_onTask;
    ClusterToolOptions m_options;
    QString m_node;
    QString m_upid;
    QList<ClusterView::Data> m_refresh;
    QJsonObject m_result;
    Done m_done;
    core::Clock *m_clock;
    qint64 m_startedMs;
    core::Ticker *m_timer; // child
    QString m_lastStatus;
    int m_errors = 0;
};

struct Context
{
    proxmox::Client *client;
    ClusterView *cluster;
    ToolSink *sink;
    QObject *context; // the executor: callbacks stop with it
    ClusterToolOptions options;
};

Handler powerAction(const Context &ctx, VmData::Kind kind, const QString &action, bool storage)
{
    return [ctx, kind, action, storage](const ToolCall &call, Done done) {
        const QString node = call.args.value(QStringLiteral("node")).toString();
        const int vmid = call.args.value(QStringLiteral("vmid")).toInt();
        const TaskObserver onTask = call.onTask;
        ctx.client->clusterResources(ctx.context,
            [ctx, kind, action, storage, node, vmid, onTask, done](
                const proxmox::Result<proxmox::ClusterResources> &r) {
                if (!r.ok())
                    return done(upstream(r.error));
                const VmData *guest = nullptr;
                for (const VmData &vm : r.value->vms) {
                    if (vm.vmid == vmid)
                        guest = &vm;
                }
                const QString noun =
                    kind == VmData::Kind::Lxc ? QStringLiteral("container") : QStringLiteral("VM");
                if (!guest)
                    return done(invalid(QStringLiteral("guest %1 does not exist").arg(vmid)));
                if (guest->kind != kind)
                    return done(invalid(
                        QStringLiteral("guest %1 is a %2, not a %3")
                            .arg(vmid)
                            .arg(guest->kind == VmData::Kind::Lxc ? QStringLiteral("container")
                                                                  : QStringLiteral("VM"),
                                noun)));
                if (!sameNode(guest->node, node))
                    return done(
                        invalid(QStringLiteral("node %1 does not host guest %2 (it is on %3)")
                                    .arg(node)
                                    .arg(vmid)
                                    .arg(guest->node)));
                const QString actualNode = guest->node;
                ctx.client->guestAction(actualNode, kind, vmid, action, ctx.context,
                    [ctx, actualNode, vmid, action, storage, onTask, done](
                        const proxmox::Result<QString> &upid) {
                        if (!upid.ok())
                            return done(upstream(upid.error));
                        QList<ClusterView::Data> refresh {
                            ClusterView::Data::Nodes, ClusterView::Data::Vms};
                        if (storage)
                            refresh.append(ClusterView::Data::Storage);
                        const QJsonObject result {{QStringLiteral("upid"), *upid.value},
                            {QStringLiteral("node"), actualNode}, {QStringLiteral("vmid"), vmid},
                            {QStringLiteral("action"), action}};
                        new TaskFollower(ctx.client, ctx.cluster, ctx.sink, ctx.options, actualNode,
                            *upid.value, refresh, result, onTask, done, ctx.context);
                    });
            });
    };
}

// Lists from /cluster/resources, optionally for one node.
Handler listResources(const Context &ctx,
    std::function<QJsonValue(const proxmox::ClusterResources &, const QString &node)> pick)
{
    return [ctx, pick](const ToolCall &call, Done done) {
        const QString node = call.args.value(QStringLiteral("node")).toString();
        ctx.client->clusterResources(
            ctx.context, [pick, node, done](const proxmox::Result<proxmox::ClusterResources> &r) {
                if (!r.ok())
                    return done(upstream(r.error));
                if (!node.isEmpty()) {
                    bool known = false;
                    for (const model::NodeData &n : r.value->nodes)
                        known = known || sameNode(n.node, node);
                    if (!known)
                        return done(invalid(QStringLiteral("unknown node: %1").arg(node)));
                }
                done(Outcome::success(pick(*r.value, node)));
            });
    };
}

template<typename T>
QJsonArray filtered(
    const QList<T> &items, const QString &node, std::function<bool(const T &)> keep = {})
{
    QJsonArray out;
    for (const T &item : items) {
        if ((node.isEmpty() || sameNode(item.node, node)) && (!keep || keep(item)))
            out.append(model::toJson(item));
    }
    return out;
}

// What a caller that is not a person needs besides the schema (MCP's tools/list): a title, whether
// a repeat changes nothing more, and the shape of the result.
QJsonObject arrayOf(const QJsonObject &items)
{
    return {{QStringLiteral("type"), QStringLiteral("array")}, {QStringLiteral("items"), items}};
}

QJsonObject objectWith(
    const QStringList &strings, const QStringList &required, const QJsonObject &more = {})
{
    QJsonObject properties = more;
    for (const QString &name : strings)
        properties.insert(name, QJsonObject {{QStringLiteral("type"), QStringLiteral("string")}});
    return {{QStringLiteral("type"), QStringLiteral("object")},
        {QStringLiteral("properties"), properties},
        {QStringLiteral("required"), QJsonArray::fromStringList(required)}};
}

const QJsonObject AnyObject {{QStringLiteral("type"), QStringLiteral("object")}};
const QJsonObject Integer {{QStringLiteral("type"), QStringLiteral("integer")}};

struct ToolMeta
{
    const char *name;
    const char *title;
    bool idempotent;
    QJsonObject result;
};

const QList<ToolMeta> &toolMeta()
{
    const QJsonObject task = objectWith({QStringLiteral("upid"), QStringLiteral("node"),
                                            QStringLiteral("status"), QStringLiteral("type")},
        {QStringLiteral("upid"), QStringLiteral("node"), QStringLiteral("status")});
    const QJsonObject power =
        objectWith({QStringLiteral("upid"), QStringLiteral("node"), QStringLiteral("action"),
                       QStringLiteral("exitstatus")},
            {QStringLiteral("upid"), QStringLiteral("node"), QStringLiteral("vmid"),
                QStringLiteral("action")},
            {{QStringLiteral("vmid"), Integer}});
    static const QList<ToolMeta> meta = {
        {"get_cluster_status", "Cluster status", true,
            objectWith({}, {QStringLiteral("quorum"), QStringLiteral("nodes")},
                {{QStringLiteral("quorum"), AnyObject},
                    {QStringLiteral("nodes"), arrayOf(AnyObject)}})},
        {"get_node_status", "Node status", true,
            objectWith({QStringLiteral("node"), QStringLiteral("status")},
                {QStringLiteral("node"), QStringLiteral("status")})},
        {"get_vms", "List VMs", true, arrayOf(AnyObject)},
        {"get_containers", "List containers", true, arrayOf(AnyObject)},
        {"get_storage", "List storage", true, arrayOf(AnyObject)},
        {"get_cluster_resources", "Cluster resources", true,
            objectWith({},
                {QStringLiteral("nodes"), QStringLiteral("vms"), QStringLiteral("storage")},
                {{QStringLiteral("nodes"), arrayOf(AnyObject)},
                    {QStringLiteral("vms"), arrayOf(AnyObject)},
                    {QStringLiteral("storage"), arrayOf(AnyObject)}})},
        {"get_node_temperature", "Node temperatures", true,
            objectWith({QStringLiteral("node")}, {QStringLiteral("node"), QStringLiteral("zones")},
                {{QStringLiteral("zones"), AnyObject}})},
        {"get_recent_tasks", "Recent tasks", true, arrayOf(task)},
        {"get_task_status", "Task status", true, task},
        {"start_vm", "Start a VM", true, power},
        {"start_container", "Start a container", true, power},
        {"stop_vm", "Stop a VM", true, power},
        {"shutdown_vm", "Shut down a VM", true, power},
        {"restart_vm", "Reboot a VM", false, power},
        {"stop_container", "Stop a container", true, power},
        {"shutdown_container", "Shut down a container", true, power},
        {"restart_container", "Reboot a container", false, power},
        {"execute_ssh", "Run a command on a node", false,
            objectWith({QStringLiteral("node"), QStringLiteral("command"), QStringLiteral("stdout"),
                           QStringLiteral("stderr")},
                {QStringLiteral("node"), QStringLiteral("command"), QStringLiteral("exitCode"),
                    QStringLiteral("stdout"), QStringLiteral("stderr"),
                    QStringLiteral("truncated")},
                {{QStringLiteral("exitCode"), Integer},
                    {QStringLiteral("truncated"),
                        QJsonObject {{QStringLiteral("type"), QStringLiteral("boolean")}}}})},
        {"delete_vm", "Delete a VM", false, {}},
        {"delete_container", "Delete a container", false, {}},
        {"reboot_node", "Reboot a node", false, {}},
        {"shutdown_node", "Shut down a node", true, {}},
    };
    return meta;
}

// Fills in title, idempotent and resultSchema from the table above.
void describe(Tool &tool)
{
    for (const ToolMeta &m : toolMeta()) {
        if (tool.name == QLatin1String(m.name)) {
            tool.title = QLatin1String(m.title);
            tool.idempotent = m.idempotent;
            tool.resultSchema = m.result;
            return;
        }
    }
}
} // namespace

void registerClusterTools(ToolExecutor &executor, proxmox::Client *client, ClusterView *cluster,
    ssh::Pool *ssh, ClusterToolOptions options)
{
    const Context ctx {client, cluster, executor.sink(), &executor, options};
    auto add = [&executor](QString name, QString description, Tier tier, QJsonObject schema,
                   Handler handler, bool storage = false) {
        Tool tool;
        tool.name = std::move(name);
        tool.description = std::move(description);
        tool.tier = tier;
        tool.inputSchema = std::move(schema);
        tool.handler = std::move(handler);
        tool.touchesStorage = storage;
        describe(tool);
        executor.add(std::move(tool));
    };

    // GREEN: read-only.
    add(QStringLiteral("get_cluster_status"), QStringLiteral("Cluster quorum and node states"),
        Tier::Green, NoArgsSchema, [ctx](const ToolCall &, Done done) {
            ctx.client->clusterStatus(
                ctx.context, [ctx, done](const proxmox::Result<model::QuorumData> &q) {
                    if (!q.ok())
                        return done(upstream(q.error));
                    const model::QuorumData quorum = *q.value;
                    ctx.client->clusterResources(ctx.context,
                        [quorum, done](const proxmox::Result<proxmox::ClusterResources> &r) {
                            if (!r.ok())
                                return done(upstream(r.error));
                            done(Outcome::success(
                                QJsonObject {{QStringLiteral("quorum"), model::toJson(quorum)},
                                    {QStringLiteral("nodes"), model::toJson(r.value->nodes)}}));
                        });
                });
        });
    add(QStringLiteral("get_node_status"),
        QStringLiteral("One node's status: CPU, memory, disk, load, uptime"), Tier::Green,
        NodeSchema, [ctx](const ToolCall &call, Done done) {
            const QString node = call.args.value(QStringLiteral("node")).toString();
            ctx.client->clusterResources(ctx.context,
                [ctx, node, done](const proxmox::Result<proxmox::ClusterResources> &r) {
                    if (!r.ok())
                        return done(upstream(r.error));
                    std::optional<model::NodeData> found;
                    for (const model::NodeData &n : r.value->nodes) {
                        if (sameNode(n.node, node))
                            found = n;
                    }
                    if (!found)
                        return done(invalid(QStringLiteral("unknown node: %1").arg(node)));
                    if (found->status != QLatin1String("online"))
                        return done(Outcome::success(model::toJson(*found)));
                    ctx.client->nodeStatus(found->node, ctx.context,
                        [found, done](const proxmox::Result<proxmox::NodeStatus> &s) mutable {
                            if (!s.ok())
                                return done(upstream(s.error));
                            proxmox::mergeNodeStatus(*found, *s.value);
                            done(Outcome::success(model::toJson(*found)));
                        });
                });
        });
    add(QStringLiteral("get_vms"), QStringLiteral("QEMU virtual machines (optionally of one node)"),
        Tier::Green, OptionalNodeSchema,
        listResources(ctx, [](const proxmox::ClusterResources &r, const QString &node) {
            return filtered<VmData>(
                r.vms, node, [](const VmData &v) { return v.kind == VmData::Kind::Qemu; });
        }));
    add(QStringLiteral("get_containers"), QStringLiteral("LXC containers (optionally of one node)"),
        Tier::Green, OptionalNodeSchema,
        listResources(ctx, [](const proxmox::ClusterResources &r, const QString &node) {
            return filtered<VmData>(
                r.vms, node, [](const VmData &v) { return v.kind == VmData::Kind::Lxc; });
        }));
    add(QStringLiteral("get_storage"), QStringLiteral("Storage pools and their usage"), Tier::Green,
        OptionalNodeSchema,
        listResources(ctx, [](const proxmox::ClusterResources &r, const QString &node) {
            return filtered<model::StorageData>(r.storage, node);
        }));
    add(QStringLiteral("get_cluster_resources"),
        QStringLiteral("Every node, guest and storage in one answer"), Tier::Green, NoArgsSchema,
        listResources(ctx, [](const proxmox::ClusterResources &r, const QString &) {
            return QJsonObject {{QStringLiteral("nodes"), model::toJson(r.nodes)},
                {QStringLiteral("vms"), model::toJson(r.vms)},
                {QStringLiteral("storage"), model::toJson(r.storage)}};
        }));
    add(QStringLiteral("get_node_temperature"),
        QStringLiteral("Latest temperatures of a node (read over SSH)"), Tier::Green, NodeSchema,
        [ctx](const ToolCall &call, Done done) {
            const QString node = call.args.value(QStringLiteral("node")).toString();
            for (const model::NodeData &n : ctx.cluster->nodes()) {
                if (sameNode(n.node, node)) {
                    QJsonObject zones;
                    for (auto it = n.temperatures.begin(); it != n.temperatures.end(); ++it)
                        zones.insert(it.key(), it.value());
                    return done(Outcome::success(QJsonObject {
                        {QStringLiteral("node"), n.node}, {QStringLiteral("zones"), zones}}));
                }
            }
            done(invalid(QStringLiteral("unknown node: %1").arg(node)));
        });
    add(QStringLiteral("get_recent_tasks"), QStringLiteral("Recent Proxmox tasks"), Tier::Green,
        OptionalNodeSchema, [ctx](const ToolCall &call, Done done) {
            const QString node = call.args.value(QStringLiteral("node")).toString();
            ctx.client->recentTasks(
                node, ctx.context, [done](const proxmox::Result<QList<proxmox::TaskStatus>> &r) {
                    if (!r.ok())
                        return done(upstream(r.error));
                    QJsonArray tasks;
                    for (const proxmox::TaskStatus &task : *r.value)
                        tasks.append(proxmox::toJson(task));
                    done(Outcome::success(tasks));
                });
        });
    add(QStringLiteral("get_task_status"), QStringLiteral("Status of one Proxmox task by UPID"),
        Tier::Green,
        schema({{QStringLiteral("node"), stringProp(QStringLiteral("node name"))},
                   {QStringLiteral("upid"), stringProp(QStringLiteral("task UPID"), 512)}},
            {QStringLiteral("node"), QStringLiteral("upid")}),
        [ctx](const ToolCall &call, Done done) {
            ctx.client->taskStatus(call.args.value(QStringLiteral("node")).toString(),
                call.args.value(QStringLiteral("upid")).toString(), ctx.context,
                [done](const proxmox::Result<proxmox::TaskStatus> &r) {
                    if (!r.ok())
                        return done(upstream(r.error));
                    done(Outcome::success(proxmox::toJson(*r.value)));
                });
        });

    // YELLOW and RED: guest power actions.
    struct Power
    {
        const char *name;
        const char *description;
        VmData::Kind kind;
        const char *action;
        Tier tier;
    };
    const Power powers[] = {
        {"start_vm", "Start a VM", VmData::Kind::Qemu, "start", Tier::Yellow},
        {"start_container", "Start a container", VmData::Kind::Lxc, "start", Tier::Yellow},
        {"stop_vm", "Stop a VM at once (like pulling the plug)", VmData::Kind::Qemu, "stop",
            Tier::Red},
        {"shutdown_vm", "Shut a VM down cleanly (ACPI)", VmData::Kind::Qemu, "shutdown", Tier::Red},
        {"restart_vm", "Reboot a VM", VmData::Kind::Qemu, "reboot", Tier::Red},
        {"stop_container", "Stop a container at once", VmData::Kind::Lxc, "stop", Tier::Red},
        {"shutdown_container", "Shut a container down cleanly", VmData::Kind::Lxc, "shutdown",
            Tier::Red},
        {"restart_container", "Reboot a container", VmData::Kind::Lxc, "reboot", Tier::Red},
    };
    for (const Power &p : powers) {
        add(QLatin1String(p.name), QLatin1String(p.description), p.tier, GuestSchema,
            powerAction(ctx, p.kind, QLatin1String(p.action), false));
    }

    // execute_ssh: the tier depends on the command.
    {
        Tool tool;
        tool.name = QStringLiteral("execute_ssh");
        tool.description = QStringLiteral(
            "Run one command line on a node over SSH: commands on the read-only table are YELLOW "
            "and run as shell-quoted words, others are RED (need confirmed) and run as written, "
            "destructive ones are BLACK; control characters are refused");
        tool.tier = Tier::Red;
        tool.inputSchema = schema(
            {{QStringLiteral("node"), stringProp(QStringLiteral("node name"))},
                {QStringLiteral("command"), stringProp(QStringLiteral("shell command"), 4096)}},
            {QStringLiteral("node"), QStringLiteral("command")});
        const SafetyPolicy *policy = &executor.policy();
        tool.checkArgs = [](const QJsonObject &args) {
            return SafetyPolicy::invalidCommand(args.value(QStringLiteral("command")).toString());
        };
        tool.tierFor = [policy](const QJsonObject &args) {
            return policy->classifyCommand(args.value(QStringLiteral("command")).toString());
        };
        tool.handler = [ssh, context = ctx.context, policy](const ToolCall &call, Done done) {
            const QString node = call.args.value(QStringLiteral("node")).toString();
            if (!ssh->hasNode(node))
                return done(invalid(QStringLiteral("unknown node: %1").arg(node)));
            // What runs is exactly what the policy judged: a YELLOW command as its shell-quoted
            // words, a RED (confirmed) one as written. No other shell line is built here.
            const CommandPlan plan =
                policy->planCommand(call.args.value(QStringLiteral("command")).toString());
            if (plan.tier == Tier::Black || !plan.invalid.isEmpty())
                return done(invalid(plan.reason)); // the executor refused it already
            ssh->exec(node, plan.toRun, ssh::ExecOptions {}, context,
                [node, done, command = plan.toRun](const ssh::Result<ssh::ExecResult> &r) {
                    if (!r.ok())
                        return done(Outcome::failure(ErrorKind::Upstream,
                            QStringLiteral("SSH to %1 failed: %2").arg(node, r.error.message)));
                    done(Outcome::success(QJsonObject {{QStringLiteral("node"), node},
                        {QStringLiteral("command"), command},
                        {QStringLiteral("exitCode"), r.value->exitCode},
                        {QStringLiteral("stdout"), utf8ToString(r.value->stdOut)},
                        {QStringLiteral("stderr"), utf8ToString(r.value->stdErr)},
                        {QStringLiteral("truncated"), r.value->truncated}}));
                });
        };
        describe(tool);
        executor.add(std::move(tool));
    }

    // BLACK: listed so callers learn they exist and are forbidden; never run.
    add(QStringLiteral("delete_vm"), QStringLiteral("Delete a VM (forbidden)"), Tier::Black,
        GuestSchema, {});
    add(QStringLiteral("delete_container"), QStringLiteral("Delete a container (forbidden)"),
        Tier::Black, GuestSchema, {});
    add(QStringLiteral("reboot_node"), QStringLiteral("Reboot a node (forbidden)"), Tier::Black,
        NodeSchema, {});
    add(QStringLiteral("shutdown_node"), QStringLiteral("Shut a node down (forbidden)"),
        Tier::Black, NodeSchema, {});
}

} // namespace jarvis::tools
