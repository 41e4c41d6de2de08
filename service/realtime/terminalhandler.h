#pragma once

#include "realtime/sioserver.h"
#include "ssh/error.h"
#include "ssh/utf8splitter.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QJsonValue>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>

#include <optional>

namespace jarvis::ssh {
class Connection;
class Pool;
class ShellChannel;
} // namespace jarvis::ssh
namespace jarvis::tools {
class AuditLog;
class SafetyPolicy;
} // namespace jarvis::tools

namespace jarvis::realtime {

class TerminalHandler;

// Limits of the /terminal sessions (PROTOCOL.md section 3, issue 5).
struct TerminalLimits
{
    // Flow control: a session stops reading its SSH channel when the client's Engine.IO socket has
    // more than highWatermark bytes not yet handed to the kernel, polls every pollMs while paused
    // and reads again below lowWatermark.
    qint64 highWatermark = 1024 * 1024;
    qint64 lowWatermark = 256 * 1024;
    int pollMs = 20;
    qsizetype maxInputMessage = 64 * 1024; // one `data` from the client
    qsizetype maxPendingInput = 64 * 1024; // input kept until the shell is open
    qsizetype maxUnsentInput = 1024 * 1024; // input the remote window has not taken yet
};

// One client's terminal on /terminal: at most one shell at a time (a new `start` closes the
// previous one), on the node's pooled SSH connection. Refuses protected nodes (the tools' safety
// policy) before anything is opened. Keeps input and the terminal size until the shell opens, cuts
// output at UTF-8 character boundaries, and pauses reading the channel while the client is behind
// (see TerminalLimits). Never closes the pooled connection, only its own channel.
// Audit (PROTOCOL.md section 5): a refused start is written as `refused`; an accepted one ends as
// exactly one `failed` entry (it never opened) or as an `opened` entry completed once by `closed`
// (exit code, duration, bytes each way, why it ended).
// Owned by TerminalHandler (one per SioSocket, deleted when the socket disconnects); owns its
// ShellChannel (child). Main thread only.
class TerminalSession : public QObject
{
    Q_OBJECT
public:
    TerminalSession(
        TerminalHandler *handler, ssh::Pool *pool, SioSocket *socket, const TerminalLimits &limits);
    ~TerminalSession() override;

    // The client's events; `ack` may be empty.
    void start(const QJsonValue &payload, const AckCallback &ack);
    void input(const QJsonValue &payload);
    void resize(const QJsonValue &payload);
    // Closes the shell channel (if any) without telling the client; `reason` ("disconnect",
    // "shutdown") goes to the audit entry of a live session.
    void stop(const QString &reason);

    bool isActive() const { return m_state != State::Idle; }
    bool isReadPaused() const;

private:
    enum class State {
        Idle, // no shell
        Connecting, // waiting for the pooled connection
        Opening, // shell channel requested
        Open,
    };

    void reset();
    QJsonObject auditEntry(const QString &status) const;
    // Completes the audit of the current session, if any: `closed` once it opened, else `failed`.
    void closeAudit(const QString &reason, const QString &error, std::optional<int> exitCode);
    void writeShell(const QByteArray &bytes);
    void onAcquired(ssh::Connection *connection);
    void onOpened();
    void onData(const QByteArray &bytes);
    void onClosed(int exitStatus);
    void onError(const ssh::Error &error);
    void fail(const QString &message);
    void answer(bool ok, const QString &error = QString());
    void send(const QString &event, const QJsonValue &value);
    void sendText(const QByteArray &utf8);
    void flushOutput();
    void releaseShell();
    qint64 clientBacklog() const;
    void checkBacklog();
    void pollBacklog();

    TerminalHandler *m_handler;
    ssh::Pool *m_pool;
    QPointer<SioSocket> m_socket;
    TerminalLimits m_limits;
    State m_state = State::Idle;
    quint64 m_generation = 0; // bumped by every start: stale pool answers are ignored
    QString m_node; // as configured
    QString m_host;
    int m_cols = 80;
    int m_rows = 24;
    QByteArray m_pendingInput; // until the shell is open
    bool m_inputDropped = false; // reported once per shell
    AckCallback m_ack; // the current start's, until ready or failure
    ssh::ShellChannel *m_shell = nullptr; // child
    ssh::Utf8Splitter m_splitter;
    QTimer m_backlogTimer; // runs while the channel is paused
    // Audit of the current session.
    QString m_requestedNode; // as the client wrote it
    QString m_remoteAddress;
    bool m_attempting = false; // accepted, not yet open: ends as `failed`
    QJsonObject m_opened; // the `opened` entry while the shell is open
    QElapsedTimer m_openedAt;
    qint64 m_bytesIn = 0; // client to shell, written to the channel
    qint64 m_bytesOut = 0; // shell to client, read from the channel
};

// Serves the /terminal namespace: one TerminalSession per connected socket, created on connect
// and deleted when the socket leaves. Uses the Pool for connections (never disposes of them).
// `policy` (protected nodes) and `audit` may be null (no node protected, nothing audited).
// Owned by its QObject parent; the pool, the namespace, the policy and the audit log must outlive
// it. Main thread only.
class TerminalHandler : public QObject
{
    Q_OBJECT
public:
    TerminalHandler(ssh::Pool *pool, Namespace *terminal, const tools::SafetyPolicy *policy,
        tools::AuditLog *audit, QObject *parent = nullptr);
    ~TerminalHandler() override;

    // Server shutdown: closes every shell (audited as ended by "shutdown").
    void closeAll();

    void setLimits(const TerminalLimits &limits) { m_limits = limits; } // for later sessions
    const TerminalLimits &limits() const { return m_limits; }

    int sessionCount() const { return int(m_sessions.size()); }
    int activeSessionCount() const;
    // How often a session stopped reading its channel because its client was behind (all time).
    quint64 pauseCount() const { return m_pauses; }
    // The most a client's backlog reached when a session checked it (all time).
    qint64 maxBacklog() const { return m_maxBacklog; }
    // Sessions by how they began, as audited (all time): opened, refused (protected node),
    // failed (accepted but never opened).
    struct SessionCounts
    {
        quint64 opened = 0;
        quint64 refused = 0;
        quint64 failed = 0;
    };
    SessionCounts sessionCounts() const { return m_counts; }

private:
    friend class TerminalSession;

    TerminalSession *sessionFor(SioSocket *socket);
    void onConnected(SioSocket *socket);
    void remove(SioSocket *socket);
    void notePause() { ++m_pauses; }
    void noteBacklog(qint64 bytes) { m_maxBacklog = qMax(m_maxBacklog, bytes); }
    bool isProtected(const QString &node) const;
    QJsonObject audit(const QJsonObject &entry);

    ssh::Pool *m_pool;
    const tools::SafetyPolicy *m_policy;
    tools::AuditLog *m_audit;
    TerminalLimits m_limits;
    QHash<SioSocket *, TerminalSession *> m_sessions; // sessions are children
    quint64 m_pauses = 0;
    qint64 m_maxBacklog = 0;
    SessionCounts m_counts;
};

} // namespace jarvis::realtime
