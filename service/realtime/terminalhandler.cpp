#include "realtime/terminalhandler.h"

#include "protocol/jsonwriter.h"

#include "core/utf8.h"
#include "realtime/enginesocket.h"
#include "ssh/connection.h"
#include "ssh/pool.h"
#include "ssh/shellchannel.h"
#include "tools/auditlog.h"
#include "tools/safetypolicy.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QLoggingCategory>

#include <cmath>
#include <optional>
#include <utility>

Q_LOGGING_CATEGORY(lcTerminal, "jarvis.terminal")

namespace jarvis::realtime {

namespace {
constexpr int MinSize = 1;
constexpr int MaxSize = 1000;
const QString SizeRule =
    QStringLiteral("cols and rows must be integers in %1..%2").arg(MinSize).arg(MaxSize);

// A terminal dimension from the client: a JSON number that is an integer in 1..1000, or nothing
// (strings, fractions, out of range, missing). NaN and infinities fail the range test.
std::optional<int> dimension(const QJsonValue &value)
{
    if (!value.isDouble())
        return std::nullopt;
    const double d = value.toDouble();
    if (!(d >= MinSize && d <= MaxSize) || d != std::floor(d))
        return std::nullopt;
    return int(d);
}

// `start`'s optional size: absent (or null) is the default, anything else must be valid.
bool optionalDimension(const QJsonObject &request, const QString &key, int fallback, int *out)
{
    const QJsonValue value = request.value(key);
    if (value.isUndefined() || value.isNull()) {
        *out = fallback;
        return true;
    }
    const std::optional<int> d = dimension(value);
    *out = d.value_or(fallback);
    return d.has_value();
}

// The client's address as people write it (IPv4 without the ::ffff: prefix).
QString addressText(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    return isV4 ? QHostAddress(v4).toString() : address.toString();
}
} // namespace

// --- TerminalSession -------------------------------------------------------------------------

TerminalSession::TerminalSession(
    TerminalHandler *handler, ssh::Pool *pool, SioSocket *socket, const TerminalLimits &limits)
    : QObject(handler)
    , m_handler(handler)
    , m_pool(pool)
    , m_socket(socket)
    , m_limits(limits)
{
    m_backlogTimer.setInterval(m_limits.pollMs);
    connect(&m_backlogTimer, &QTimer::timeout, this, &TerminalSession::pollBacklog);
}

TerminalSession::~TerminalSession()
{
    stop(QStringLiteral("shutdown"));
}

bool TerminalSession::isReadPaused() const
{
    return m_shell && m_shell->isReadPaused();
}

void TerminalSession::start(const QJsonValue &payload, const AckCallback &ack)
{
    if (m_state != State::Idle) {
        qCDebug(lcTerminal) << "socket" << (m_socket ? m_socket->id() : QString())
                            << "replaces its terminal on" << m_node;
        answer(false, QStringLiteral("replaced by a new start"));
        stop(QStringLiteral("replaced"));
    }
    m_ack = ack;
    const QJsonObject request = payload.toObject();
    const QJsonValue node = request.value(QStringLiteral("node"));
    if (!payload.isObject() || !node.isString() || node.toString().isEmpty())
        return fail(QStringLiteral("start: 'node' must be a non-empty string"));
    const QString name = node.toString();
    const std::optional<ssh::NodeTarget> target =
        m_pool ? m_pool->target(name) : std::optional<ssh::NodeTarget>();
    m_requestedNode = name;
    m_node = target ? target->name : name.trimmed();
    m_host = target ? target->host : QString();
    const EngineSocket *engine = m_socket ? m_socket->engine() : nullptr;
    m_remoteAddress = engine ? addressText(engine->remoteAddress()) : QString();
    const bool sizeOk = optionalDimension(request, QStringLiteral("cols"), 80, &m_cols)
        & optionalDimension(request, QStringLiteral("rows"), 24, &m_rows);
    // The safety policy first, by the name asked for and by the node it resolves to: nothing is
    // opened for a protected node, and the refusal is audited.
    if (m_handler->isProtected(name) || (target && m_handler->isProtected(target->name))) {
        const QString message =
            QStringLiteral("node %1 is protected: terminals are refused").arg(m_node);
        QJsonObject refused = auditEntry(QStringLiteral("refused"));
        refused.insert(QStringLiteral("error"), message);
        m_handler->audit(refused);
        qCWarning(lcTerminal).noquote()
            << "refused a terminal on protected node" << m_node << "for"
            << refused.value(QStringLiteral("user")).toString() << "from" << m_remoteAddress;
        return fail(message);
    }
    if (!target)
        return fail(QStringLiteral("unknown node: %1").arg(name));
    if (!sizeOk)
        return fail(QStringLiteral("start: ") + SizeRule);
    m_pendingInput.clear();
    m_inputDropped = false;
    m_splitter = {};
    m_bytesIn = 0;
    m_bytesOut = 0;
    m_attempting = true;
    m_state = State::Connecting;
    const quint64 generation = ++m_generation;
    qCDebug(lcTerminal) << "terminal requested on" << m_node << m_cols << "x" << m_rows;
    m_pool->acquire(name, this, [this, generation](const ssh::Result<ssh::Connection *> &result) {
        if (generation != m_generation || m_state != State::Connecting)
            return; // stopped or replaced meanwhile
        if (!result.ok())
            return fail(result.error.message);
        onAcquired(*result.value);
    });
}

void TerminalSession::input(const QJsonValue &payload)
{
    if (!payload.isString())
        return send(QStringLiteral("error"), QStringLiteral("data: input must be a string"));
    const QByteArray bytes = payload.toString().toUtf8();
    if (bytes.size() > m_limits.maxInputMessage) {
        return send(QStringLiteral("error"),
            QStringLiteral("data: one message may hold at most %1 bytes")
                .arg(m_limits.maxInputMessage));
    }
    switch (m_state) {
    case State::Idle:
        qCDebug(lcTerminal) << "input without a terminal ignored";
        return;
    case State::Connecting:
    case State::Opening:
        if (m_pendingInput.size() + bytes.size() > m_limits.maxPendingInput) {
            if (!m_inputDropped) {
                m_inputDropped = true;
                send(QStringLiteral("error"),
                    QStringLiteral("input before the shell opened exceeds %1 bytes; the rest "
                                   "was dropped")
                        .arg(m_limits.maxPendingInput));
            }
            return;
        }
        m_pendingInput.append(bytes);
        return;
    case State::Open:
        if (m_shell->bytesBeyondWindow() + bytes.size() > m_limits.maxUnsentInput) {
            send(QStringLiteral("error"),
                QStringLiteral("input dropped: the shell is not reading its input"));
            return;
        }
        writeShell(bytes);
        return;
    }
}

void TerminalSession::writeShell(const QByteArray &bytes)
{
    m_bytesIn += bytes.size();
    m_shell->write(bytes);
}

void TerminalSession::resize(const QJsonValue &payload)
{
    // Both or nothing: a bad size is refused, never clamped, and the session goes on.
    const QJsonObject size = payload.toObject();
    const std::optional<int> cols = dimension(size.value(QStringLiteral("cols")));
    const std::optional<int> rows = dimension(size.value(QStringLiteral("rows")));
    if (!payload.isObject() || !cols || !rows)
        return send(QStringLiteral("error"), QStringLiteral("resize: ") + SizeRule);
    m_cols = *cols;
    m_rows = *rows;
    if (m_shell)
        m_shell->resize(m_cols, m_rows); // before the shell is open: used when it opens
}

void TerminalSession::stop(const QString &reason)
{
    closeAudit(reason, QString(), std::nullopt);
    reset();
}

void TerminalSession::reset()
{
    ++m_generation;
    m_ack = {};
    releaseShell();
    m_pendingInput.clear();
    m_state = State::Idle;
}

QJsonObject TerminalSession::auditEntry(const QString &status) const
{
    QJsonObject args {{QStringLiteral("node"), m_requestedNode}, {QStringLiteral("cols"), m_cols},
        {QStringLiteral("rows"), m_rows}};
    return QJsonObject {{QStringLiteral("user"), m_socket ? m_socket->user() : QString()},
        {QStringLiteral("source"), QStringLiteral("terminal")},
        {QStringLiteral("tool"), QStringLiteral("terminal")},
        {QStringLiteral("tier"), QStringLiteral("RED")}, {QStringLiteral("args"), args},
        {QStringLiteral("node"), m_node}, {QStringLiteral("remoteAddress"), m_remoteAddress},
        {QStringLiteral("status"), status}};
}

void TerminalSession::closeAudit(
    const QString &reason, const QString &error, std::optional<int> exitCode)
{
    if (!m_opened.isEmpty()) {
        QJsonObject closed = std::exchange(m_opened, QJsonObject());
        closed.insert(QStringLiteral("status"), QStringLiteral("closed"));
        closed.insert(QStringLiteral("reason"), reason);
        if (!error.isEmpty())
            closed.insert(QStringLiteral("error"), error);
        closed.insert(
            QStringLiteral("exitCode"), exitCode ? QJsonValue(*exitCode) : QJsonValue::Null);
        closed.insert(QStringLiteral("durationMs"), double(m_openedAt.elapsed()));
        closed.insert(QStringLiteral("bytesIn"), double(m_bytesIn));
        closed.insert(QStringLiteral("bytesOut"), double(m_bytesOut));
        m_handler->audit(closed);
    } else if (m_attempting) {
        QJsonObject failed = auditEntry(QStringLiteral("failed"));
        failed.insert(QStringLiteral("reason"), reason);
        if (!error.isEmpty())
            failed.insert(QStringLiteral("error"), error);
        m_handler->audit(failed);
    }
    m_attempting = false;
}

void TerminalSession::onAcquired(ssh::Connection *connection)
{
    ssh::ShellOptions options;
    options.cols = m_cols;
    options.rows = m_rows;
    m_shell = connection->openShell(options, this);
    m_state = State::Opening;
    connect(m_shell, &ssh::ShellChannel::opened, this, &TerminalSession::onOpened);
    connect(m_shell, &ssh::ShellChannel::dataReceived, this, &TerminalSession::onData);
    connect(m_shell, &ssh::ShellChannel::closed, this, &TerminalSession::onClosed);
    connect(m_shell, &ssh::ShellChannel::errorOccurred, this, &TerminalSession::onError);
}

void TerminalSession::onOpened()
{
    m_state = State::Open;
    m_attempting = false;
    m_opened = m_handler->audit(auditEntry(QStringLiteral("opened")));
    m_openedAt.start();
    // The size may have changed after the PTY request went out; resize() is a no-op otherwise.
    m_shell->resize(m_cols, m_rows);
    if (!m_pendingInput.isEmpty()) {
        writeShell(m_pendingInput);
        m_pendingInput.clear();
    }
    qCInfo(lcTerminal) << "terminal open on" << m_node << "for"
                       << (m_socket ? m_socket->user() : QString());
    const quint64 generation = m_generation;
    send(QStringLiteral("ready"),
        QJsonObject {{QStringLiteral("node"), m_node}, {QStringLiteral("host"), m_host}});
    if (generation == m_generation)
        answer(true);
}

void TerminalSession::onData(const QByteArray &bytes)
{
    // At most 16 KiB per `data` event, cut on character boundaries: a burst read from a fast
    // program becomes several events that a terminal emulator can render as they come, instead
    // of one event of hundreds of kilobytes.
    constexpr qsizetype MaxEventBytes = 16 * 1024;
    m_bytesOut += bytes.size();
    const QByteArray complete = m_splitter.feed(bytes);
    qsizetype at = 0;
    while (at < complete.size()) {
        qsizetype n = qMin(MaxEventBytes, complete.size() - at);
        while (n > 0 && at + n < complete.size() && (uchar(complete.at(at + n)) & 0xC0) == 0x80)
            --n; // never end a chunk in front of a continuation byte
        if (n == 0)
            n = qMin(MaxEventBytes, complete.size() - at);
        sendText(at == 0 && n == complete.size() ? complete : complete.mid(at, n));
        at += n;
    }
    checkBacklog();
}

void TerminalSession::onClosed(int exitStatus)
{
    qCInfo(lcTerminal) << "terminal on" << m_node << "ended with" << exitStatus;
    flushOutput();
    const QString node = m_node;
    const bool wasOpen = m_state == State::Open;
    QString error;
    if (!wasOpen) {
        error = QStringLiteral("the shell ended before it opened");
        answer(false, error);
    }
    closeAudit(QStringLiteral("exit"), error, exitStatus);
    reset();
    send(QStringLiteral("exit"),
        QJsonObject {{QStringLiteral("code"), exitStatus}, {QStringLiteral("node"), node}});
}

void TerminalSession::onError(const ssh::Error &error)
{
    qCWarning(lcTerminal) << "terminal on" << m_node << "failed:" << error.message;
    flushOutput();
    fail(error.message);
}

void TerminalSession::fail(const QString &message)
{
    answer(false, message);
    closeAudit(QStringLiteral("error"), message, std::nullopt);
    reset();
    send(QStringLiteral("error"), message);
}

void TerminalSession::answer(bool ok, const QString &error)
{
    const AckCallback ack = std::exchange(m_ack, AckCallback());
    if (!ack)
        return;
    QJsonObject reply {{QStringLiteral("ok"), ok}};
    if (!ok)
        reply.insert(QStringLiteral("error"), error);
    ack(Message::of(reply));
}

void TerminalSession::send(const QString &event, const QJsonValue &value)
{
    if (m_socket && m_socket->isConnected())
        m_socket->emitEvent(event, Message::of(value));
}

void TerminalSession::sendText(const QByteArray &utf8)
{
    if (!m_socket || !m_socket->isConnected())
        return;
    // Escaped straight from the bytes; only output with invalid UTF-8 takes the QString way,
    // whose decoder replaces each bad sequence with U+FFFD.
    QByteArray json;
    if (!json::appendJsonStringUtf8(json, utf8))
        json::appendJsonString(json, utf8ToString(utf8));
    // Uncompressed even for clients that negotiated permessage-deflate (browsers): compressing
    // every chunk of a fast stream would cost more CPU than the rest of the path (zlib level 1
    // runs at about 40 MB/s on base64 output here) and adds latency to every keystroke echo.
    m_socket->emitRaw(QStringLiteral("data"), json, false);
}

void TerminalSession::flushOutput()
{
    const QByteArray tail = m_splitter.flush();
    if (!tail.isEmpty())
        sendText(tail);
}

void TerminalSession::releaseShell()
{
    m_backlogTimer.stop();
    m_splitter = {};
    if (!m_shell)
        return;
    ssh::ShellChannel *shell = std::exchange(m_shell, nullptr);
    disconnect(shell, nullptr, this, nullptr);
    shell->close(); // the channel only; the pooled connection stays
    shell->deleteLater(); // we may be inside one of its signals
}

qint64 TerminalSession::clientBacklog() const
{
    const EngineSocket *engine = m_socket ? m_socket->engine() : nullptr;
    return engine ? engine->pendingBytes() : 0;
}

void TerminalSession::checkBacklog()
{
    if (!m_shell || m_shell->isReadPaused())
        return;
    const qint64 backlog = clientBacklog();
    m_handler->noteBacklog(backlog);
    if (backlog <= m_limits.highWatermark)
        return;
    qCDebug(lcTerminal) << "client behind by" << backlog << "bytes: pausing" << m_node;
    m_shell->setReadPaused(true);
    m_handler->notePause();
    m_backlogTimer.start();
}

void TerminalSession::pollBacklog()
{
    if (!m_shell || !m_socket || !m_socket->isConnected()) {
        m_backlogTimer.stop();
        return;
    }
    if (clientBacklog() >= m_limits.lowWatermark)
        return;
    m_backlogTimer.stop();
    m_shell->setReadPaused(false);
}

// --- TerminalHandler -------------------------------------------------------------------------

TerminalHandler::TerminalHandler(ssh::Pool *pool, Namespace *terminal,
    const tools::SafetyPolicy *policy, tools::AuditLog *audit, QObject *parent)
    : QObject(parent)
    , m_pool(pool)
    , m_policy(policy)
    , m_audit(audit)
{
    if (!terminal) {
        qCWarning(lcTerminal) << "no /terminal namespace: terminals are unavailable";
        return;
    }
    connect(terminal, &Namespace::connected, this, &TerminalHandler::onConnected);
    const QPointer<TerminalHandler> self(this);
    terminal->on(QStringLiteral("start"),
        [self](SioSocket *socket, const Message &message, const AckCallback &ack) {
            if (self)
                self->sessionFor(socket)->start(message.args.at(0), ack);
        });
    terminal->on(QStringLiteral("data"),
        [self](SioSocket *socket, const Message &message, const AckCallback &) {
            if (self)
                self->sessionFor(socket)->input(message.args.at(0));
        });
    terminal->on(QStringLiteral("resize"),
        [self](SioSocket *socket, const Message &message, const AckCallback &) {
            if (self)
                self->sessionFor(socket)->resize(message.args.at(0));
        });
}

TerminalHandler::~TerminalHandler()
{
    closeAll(); // while the audit log is still there
}

void TerminalHandler::closeAll()
{
    for (TerminalSession *session : std::as_const(m_sessions))
        session->stop(QStringLiteral("shutdown"));
}

bool TerminalHandler::isProtected(const QString &node) const
{
    return m_policy && m_policy->isProtectedNode(node);
}

QJsonObject TerminalHandler::audit(const QJsonObject &entry)
{
    const QString status = entry.value(QStringLiteral("status")).toString();
    if (status == QLatin1String("opened"))
        ++m_counts.opened;
    else if (status == QLatin1String("refused"))
        ++m_counts.refused;
    else if (status == QLatin1String("failed"))
        ++m_counts.failed;
    return m_audit ? m_audit->record(entry) : entry;
}

int TerminalHandler::activeSessionCount() const
{
    int n = 0;
    for (const TerminalSession *session : m_sessions)
        n += session->isActive() ? 1 : 0;
    return n;
}

TerminalSession *TerminalHandler::sessionFor(SioSocket *socket)
{
    if (TerminalSession *session = m_sessions.value(socket))
        return session;
    auto *session = new TerminalSession(this, m_pool, socket, m_limits);
    m_sessions.insert(socket, session);
    connect(socket, &SioSocket::disconnected, this, [this, socket] { remove(socket); });
    connect(socket, &QObject::destroyed, this, [this, socket] { remove(socket); });
    return session;
}

void TerminalHandler::onConnected(SioSocket *socket)
{
    sessionFor(socket);
}

void TerminalHandler::remove(SioSocket *socket)
{
    TerminalSession *session = m_sessions.take(socket);
    if (!session)
        return;
    session->stop(QStringLiteral("disconnect")); // closes the channel, never the connection
    session->deleteLater(); // the socket's signal may come from inside one of our emits
}

} // namespace jarvis::realtime
