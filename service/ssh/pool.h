#pragma once

#include "ssh/connection.h"
#include "ssh/error.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace jarvis::ssh {

struct NodeTarget
{
    QString name; // the node's name, matched case-insensitively
    QString host; // name or address sshd listens on
    int port = 22;
};

// What every node's connection has in common ([ssh] in the configuration).
struct PoolOptions
{
    QString user;
    QString keyFile;
    QString knownHostsFile;
    bool strictHostKeys = true;
    int connectTimeoutMs = 10000;
    int authTimeoutMs = 10000;
    int keepaliveMs = 30000;
    int backoffInitialMs = 1000; // after a failed attempt; doubles per failure
    int backoffMaxMs = 30000;
    core::Clock *clock = nullptr; // the backoff's and the connections' (null: the system's)
};

// One SSH Connection per configured node, opened on first use and shared by every terminal and
// command to that node. acquire() hands out the connected Connection (callbacks wait while it
// connects). A channel ending never touches the connection. A dropped connection is discarded
// and the next acquire() connects again at once; after a failed attempt the node backs off
// (backoffInitialMs doubling to backoffMaxMs) and acquire() fails fast with the last error until
// the backoff has passed. Owns its connections; main thread only.
class Pool : public QObject
{
    Q_OBJECT
public:
    using AcquireCallback = std::function<void(const Result<Connection *> &)>;

    Pool(PoolOptions options, QList<NodeTarget> nodes, QObject *parent = nullptr);
    ~Pool() override;

    // A key file and at least one node; otherwise every acquire() answers NotConfigured.
    bool isConfigured() const;
    bool hasNode(const QString &node) const;
    std::optional<NodeTarget> target(const QString &node) const;
    QStringList nodeNames() const; // as configured
    QStringList connectedNodes() const; // configured names, sorted
    Connection *connection(const QString &node) const; // the connected one, or nullptr
    // Attempts to connect to `node` that failed (all time; 0 for an unknown node).
    quint64 connectFailures(const QString &node) const;
    const PoolOptions &options() const { return m_options; }

    // Calls `done` once, always from the event loop and only while `context` lives (a null
    // context means no such condition). The Connection stays valid while it is connected; keep a
    // QPointer to it.
    void acquire(const QString &node, const QObject *context, AcquireCallback done);
    // acquire() + Connection::exec().
    void exec(const QString &node, const QString &command, const ExecOptions &options,
        const QObject *context, Connection::ExecCallback done);
    // Closes every connection (channels end with an error); the next acquire() reconnects.
    void disconnectAll();

Q_SIGNALS:
    void nodeConnected(const QString &node);
    void nodeDisconnected(const QString &node, const jarvis::ssh::Error &reason);
    void connectedNodesChanged(const QStringList &nodes);

private:
    struct Waiter
    {
        QPointer<const QObject> context;
        bool hasContext = false;
        AcquireCallback done;
    };
    struct Node
    {
        NodeTarget target;
        QPointer<Connection> connection; // child of the pool while it connects or is connected
        QList<Waiter> waiters;
        int failures = 0; // in a row
        quint64 totalFailures = 0;
        qint64 retryAtMs = 0;
        Error lastError;
    };

    Node *find(const QString &node);
    const Node *find(const QString &node) const;
    void connectNode(Node &node);
    void onConnected(const QString &key, Connection *connection);
    void onFailed(const QString &key, Connection *connection, const Error &error);
    void onDropped(const QString &key, Connection *connection, const Error &reason);
    void deliver(Waiter waiter, const Result<Connection *> &result);
    void deliver(const QObject *context, AcquireCallback done, const Result<Connection *> &result);

    PoolOptions m_options;
    QHash<QString, Node> m_nodes; // by lower-case name
    QStringList m_order; // names as configured
};

} // namespace jarvis::ssh
