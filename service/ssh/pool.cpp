#include "ssh/pool.h"

#include "core/clock.h"
#include "ssh/logging.h"

#include <QTimer>

#include <algorithm>
#include <utility>

namespace jarvis::ssh {

namespace {
QString keyOf(const QString &node)
{
    return node.trimmed().toLower();
}
} // namespace

Pool::Pool(PoolOptions options, QList<NodeTarget> nodes, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    m_options.clock = core::Clock::orSystem(m_options.clock);
    for (NodeTarget &target : nodes) {
        const QString key = keyOf(target.name);
        if (key.isEmpty() || m_nodes.contains(key))
            continue;
        m_order.append(target.name);
        Node node;
        node.target = std::move(target);
        m_nodes.insert(key, std::move(node));
    }
}

Pool::~Pool()
{
    // The connections are children and go with the pool; nobody is told any more.
    for (Node &node : m_nodes) {
        if (node.connection)
            node.connection->disconnect(this);
    }
}

bool Pool::isConfigured() const
{
    return !m_options.keyFile.isEmpty() && !m_nodes.isEmpty();
}

bool Pool::hasNode(const QString &node) const
{
    return find(node) != nullptr;
}

std::optional<NodeTarget> Pool::target(const QString &node) const
{
    const Node *n = find(node);
    if (!n)
        return std::nullopt;
    return n->target;
}

QStringList Pool::nodeNames() const
{
    return m_order;
}

QStringList Pool::connectedNodes() const
{
    QStringList names;
    for (const Node &node : m_nodes) {
        if (node.connection && node.connection->isConnected())
            names.append(node.target.name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

Connection *Pool::connection(const QString &node) const
{
    const Node *n = find(node);
    return n && n->connection && n->connection->isConnected() ? n->connection.data() : nullptr;
}

Pool::Node *Pool::find(const QString &node)
{
    auto it = m_nodes.find(keyOf(node));
    return it == m_nodes.end() ? nullptr : &it.value();
}

const Pool::Node *Pool::find(const QString &node) const
{
    auto it = m_nodes.constFind(keyOf(node));
    return it == m_nodes.constEnd() ? nullptr : &it.value();
}

void Pool::acquire(const QString &nodeName, const QObject *context, AcquireCallback done)
{
    if (m_options.keyFile.isEmpty() || m_nodes.isEmpty()) {
        deliver(context, std::move(done),
            Result<Connection *>::failure({Error::Kind::NotConfigured,
                QStringLiteral("SSH is not configured for this node")}));
        return;
    }
    Node *node = find(nodeName);
    if (!node) {
        deliver(context, std::move(done),
            Result<Connection *>::failure(
                {Error::Kind::NotConfigured, QStringLiteral("unknown node: %1").arg(nodeName)}));
        return;
    }
    if (node->connection && node->connection->isConnected()) {
        deliver(context, std::move(done), Result<Connection *>::success(node->connection.data()));
        return;
    }
    if (!node->connection) {
        const qint64 wait = node->retryAtMs - m_options.clock->monotonicMs();
        if (wait > 0) {
            Error error = node->lastError;
            error.message += QStringLiteral(" (next attempt in %1 s)").arg((wait + 999) / 1000);
            deliver(context, std::move(done), Result<Connection *>::failure(error));
            return;
        }
        connectNode(*node);
    }
    node->waiters.append({context, context != nullptr, std::move(done)});
}

void Pool::exec(const QString &node, const QString &command, const ExecOptions &options,
    const QObject *context, Connection::ExecCallback done)
{
    QPointer<const QObject> guard(context);
    const bool hasContext = context != nullptr;
    acquire(node, context,
        [this, command, options, guard, hasContext, done = std::move(done)](
            const Result<Connection *> &result) {
            if (!result.ok()) {
                done(Result<ExecResult>::failure(result.error));
                return;
            }
            if (hasContext && !guard)
                return;
            (*result.value)->exec(command, options, hasContext ? guard.data() : this, done);
        });
}

void Pool::disconnectAll()
{
    for (Node &node : m_nodes) {
        if (node.connection)
            node.connection->disconnectFromHost();
    }
}

void Pool::connectNode(Node &node)
{
    ConnectionOptions options;
    options.host = node.target.host;
    options.port = node.target.port;
    options.user = m_options.user;
    options.keyFile = m_options.keyFile;
    options.knownHostsFile = m_options.knownHostsFile;
    options.strictHostKeys = m_options.strictHostKeys;
    options.connectTimeoutMs = m_options.connectTimeoutMs;
    options.authTimeoutMs = m_options.authTimeoutMs;
    options.keepaliveMs = m_options.keepaliveMs;
    options.clock = m_options.clock;

    const QString key = keyOf(node.target.name);
    auto *connection = new Connection(options, this);
    node.connection = connection;
    connect(connection, &Connection::connected, this,
        [this, key, connection] { onConnected(key, connection); });
    connect(connection, &Connection::errorOccurred, this,
        [this, key, connection](const Error &error) { onFailed(key, connection, error); });
    connect(connection, &Connection::disconnected, this,
        [this, key, connection](const Error &reason) { onDropped(key, connection, reason); });
    qCDebug(lcSsh).noquote() << "node" << node.target.name << ": connecting to"
                             << connection->endpoint();
    connection->connectToHost();
}

void Pool::onConnected(const QString &key, Connection *connection)
{
    Node *node = find(key);
    if (!node || node->connection != connection)
        return;
    node->failures = 0;
    node->retryAtMs = 0;
    node->lastError = {};
    const QList<Waiter> waiters = std::exchange(node->waiters, {});
    for (const Waiter &waiter : waiters)
        deliver(waiter, Result<Connection *>::success(connection));
    const QString name = node->target.name;
    Q_EMIT nodeConnected(name);
    Q_EMIT connectedNodesChanged(connectedNodes());
}

quint64 Pool::connectFailures(const QString &node) const
{
    const Node *n = find(node);
    return n ? n->totalFailures : 0;
}

void Pool::onFailed(const QString &key, Connection *connection, const Error &error)
{
    Node *node = find(key);
    if (!node || node->connection != connection)
        return;
    ++node->failures;
    ++node->totalFailures;
    const int shift = qMin(node->failures - 1, 16);
    const qint64 backoff =
        qMin<qint64>(qint64(m_options.backoffInitialMs) << shift, m_options.backoffMaxMs);
    node->retryAtMs = m_options.clock->monotonicMs() + backoff;
    node->lastError = error;
    node->connection = nullptr;
    connection->disconnect(this);
    connection->deleteLater();
    qCWarning(lcSsh).noquote() << "node" << node->target.name << ":" << error.message
                               << QStringLiteral("(next attempt allowed in %1 ms)").arg(backoff);
    const QList<Waiter> waiters = std::exchange(node->waiters, {});
    for (const Waiter &waiter : waiters)
        deliver(waiter, Result<Connection *>::failure(error));
}

void Pool::onDropped(const QString &key, Connection *connection, const Error &reason)
{
    Node *node = find(key);
    if (!node || node->connection != connection)
        return;
    // Not a failed attempt: the next acquire() reconnects at once.
    node->retryAtMs = 0;
    node->lastError = reason;
    node->connection = nullptr;
    connection->disconnect(this);
    connection->deleteLater();
    const QString name = node->target.name;
    Q_EMIT nodeDisconnected(name, reason);
    Q_EMIT connectedNodesChanged(connectedNodes());
}

void Pool::deliver(Waiter waiter, const Result<Connection *> &result)
{
    QPointer<Connection> connection = result.ok() ? *result.value : nullptr;
    QMetaObject::invokeMethod(
        this,
        [waiter = std::move(waiter), result, connection] {
            if (waiter.hasContext && !waiter.context)
                return;
            if (result.ok() && (!connection || !connection->isConnected())) {
                const Error lost = connection
                    ? connection->lastError()
                    : Error {Error::Kind::Dropped, QStringLiteral("connection lost")};
                waiter.done(Result<Connection *>::failure(lost));
                return;
            }
            waiter.done(result);
        },
        Qt::QueuedConnection);
}

void Pool::deliver(const QObject *context, AcquireCallback done, const Result<Connection *> &result)
{
    deliver(Waiter {context, context != nullptr, std::move(done)}, result);
}

} // namespace jarvis::ssh
