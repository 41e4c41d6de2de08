#pragma once

#include "mcp/jsonrpc.h"

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace jarvis::tools {
class ToolExecutor;
struct Tool;
} // namespace jarvis::tools

// The Model Context Protocol server (PROTOCOL.md section 8), without a transport: sessions that
// take parsed JSON-RPC messages and hand back what goes out. Streamable HTTP (mcp/mcphttp.h) and
// stdio (mcp/mcpstdio.h) carry it. Tools run through the one ToolExecutor (safety policy, audit
// log, /events) with source "mcp"; resources are the /cluster snapshots. Main thread.
namespace jarvis::mcp {

// Protocol revisions this server speaks, newest first (the first is what it proposes).
const QStringList &supportedVersions();
// initialize's negotiation: the client's revision if supported, else the newest.
QString negotiateVersion(const QString &requested);

// The live cluster snapshots resources read (implemented in app/ on the ClusterEmitter). Their
// text is the JSON of the /cluster event of the same name.
class ClusterSnapshots
{
public:
    enum class Kind { Nodes, Vms, Storage, Quorum };

    virtual ~ClusterSnapshots() = default;
    // The latest snapshot's JSON text, nullopt before the first poll.
    virtual std::optional<QByteArray> json(Kind kind) const = 0;
    // Polls `kind` now; `done` after (also when the poll failed), not at all once `context` is
    // gone.
    virtual void refresh(Kind kind, const QObject *context, std::function<void()> done) = 0;
    // Whether someone watches (a subscription): the snapshots keep being polled while true, even
    // with nobody on /cluster.
    virtual void setWatched(bool watched) = 0;
};

class Server;

// One client's MCP session: lifecycle (initialize first), requests in flight (cancellation,
// progress), resource subscriptions. Outgoing messages go to the transport through `Output`:
// `related` is the id of the request a message belongs to (its response, its progress), or
// undefined for a message of the session as a whole (resources/updated).
class Session : public QObject
{
    Q_OBJECT
public:
    struct Output
    {
        std::function<void(const QJsonObject &message, const QJsonValue &related)> send;
        // The request `id` ends without a response (it was cancelled).
        std::function<void(const QJsonValue &id)> dropped;
    };

    ~Session() override;

    void setOutput(Output output) { m_output = std::move(output); }
    // One message from the client (an Invalid one is answered with its error).
    void receive(const Message &message);

    const QString &user() const { return m_user; }
    bool isInitialized() const { return !m_version.isEmpty(); }
    const QString &protocolVersion() const { return m_version; }
    int pendingRequests() const { return int(m_pending.size()); }
    const QSet<QString> &subscriptions() const { return m_subscriptions; }

Q_SIGNALS:
    void idle(); // the last request in flight ended

private:
    friend class Server;
    Session(Server *server, QString user, QObject *parent);

    struct Pending
    {
        QJsonValue id;
        QJsonValue progressToken = QJsonValue(QJsonValue::Undefined); // none asked
        double progress = 0;
        bool cancelled = false;
    };

    void answer(const QJsonValue &id, const QJsonValue &result);
    void fail(const QJsonValue &id, int code, const QString &message);
    void finish(const QString &key);
    void handleRequest(const Message &m);
    void handleNotification(const Message &m);
    void initialize(const Message &m, const QJsonObject &params);
    void callTool(const Message &m, const QJsonObject &params);
    void readResource(const Message &m, const QJsonObject &params);
    void subscribe(const Message &m, const QJsonObject &params, bool on);
    void resourceChanged(const QString &uri);

    QPointer<Server> m_server;
    QString m_user;
    QString m_version; // negotiated; empty until initialize
    Output m_output;
    QHash<QString, Pending> m_pending; // by idKey
    QSet<QString> m_subscriptions; // resource URIs
};

class Server : public QObject
{
    Q_OBJECT
public:
    struct Info
    {
        QString name = QStringLiteral("jarvisd");
        QString version;
        QString instructions;
    };

    // `executor` and `snapshots` (may be null: no resources) are not owned and outlive the
    // server.
    Server(tools::ToolExecutor *executor, ClusterSnapshots *snapshots, Info info,
        QObject *parent = nullptr);
    ~Server() override;

    // A new session for `user` (the audit log's user: "mcp:<key name>", a JWT subject, ...),
    // owned by `parent` (the transport).
    Session *createSession(const QString &user, QObject *parent);

    // tools/list's answer: every tool but the BLACK ones (which never run).
    QJsonArray toolList() const;
    static QJsonObject describeTool(const tools::Tool &tool);
    // resources/list's answer.
    static QJsonArray resourceList();

    // A snapshot was (maybe) re-published: subscribers of its URI hear of it when its text
    // differs from the last one they were told about.
    void snapshotChanged(ClusterSnapshots::Kind kind);

    tools::ToolExecutor *executor() const { return m_executor; }
    ClusterSnapshots *snapshots() const { return m_snapshots; }
    const Info &info() const { return m_info; }

private:
    friend class Session;
    void subscriptionsChanged();
    void remember(ClusterSnapshots::Kind kind);

    tools::ToolExecutor *m_executor;
    ClusterSnapshots *m_snapshots;
    Info m_info;
    QList<QPointer<Session>> m_sessions;
    QHash<int, QByteArray> m_lastSent; // by Kind: the text subscribers last heard of
    bool m_watched = false;
};

// jarvis://cluster/nodes ... <-> Kind.
std::optional<ClusterSnapshots::Kind> resourceKind(const QString &uri);
QString resourceUri(ClusterSnapshots::Kind kind);

} // namespace jarvis::mcp
