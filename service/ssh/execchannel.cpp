#include "ssh/execchannel.h"

#include "core/clock.h"
#include "ssh/connection.h"
#include "ssh/logging.h"

#include <libssh/libssh.h>

#include <utility>

namespace jarvis::ssh {

ExecChannel::ExecChannel(
    Connection *connection, QString command, ExecOptions options, QObject *parent)
    : Channel(connection, parent)
    , m_command(std::move(command))
    , m_options(options)
    , m_timer(core::Clock::orSystem(connection->options().clock)->createTicker(this))
{
    m_requestName = QStringLiteral("exec request");
    m_timer->setSingleShot(true);
    connect(m_timer, &core::Ticker::timeout, this, &ExecChannel::onTimeout);
    if (m_options.timeoutMs > 0)
        m_timer->startIn(m_options.timeoutMs);
}

int ExecChannel::sendRequests(ssh_channel_struct *channel)
{
    if (m_commandUtf8.isEmpty())
        m_commandUtf8 = m_command.toUtf8();
    return ssh_channel_request_exec(channel, m_commandUtf8.constData());
}

void ExecChannel::handleOpened()
{
    closeWriteChannel(); // a command waiting for input would otherwise wait until its deadline
}

void ExecChannel::handleData(const QByteArray &data, bool isStderr)
{
    QByteArray &target = isStderr ? m_result.stdErr : m_result.stdOut;
    const qsizetype room = qMax<qsizetype>(0, m_options.maxOutputBytes - target.size());
    if (data.size() > room)
        m_result.truncated = true;
    if (room > 0)
        target.append(data.constData(), qMin(room, data.size()));
}

void ExecChannel::handleFinished(int exitStatus, const QString &exitSignal)
{
    m_result.exitCode = exitStatus != -1 ? exitStatus : exitCodeForSignal(exitSignal);
    m_result.exitSignal = exitSignal;
    finish(Result<ExecResult>::success(m_result));
}

void ExecChannel::handleError(const Error &error)
{
    finish(Result<ExecResult>::failure(error));
}

void ExecChannel::onTimeout()
{
    if (m_finished || state() == State::Closed)
        return;
    // Ask the server to stop the command (OpenSSH kills its process group), then close.
    if (state() == State::Open && handle()) {
        ssh_channel_request_send_signal(handle(), "TERM");
        afterCall();
    }
    const QString shown =
        m_command.size() > 80 ? m_command.left(77) + QStringLiteral("...") : m_command;
    fail({Error::Kind::Timeout,
        QStringLiteral("command on %1 timed out after %2 ms: %3")
            .arg(describe())
            .arg(m_options.timeoutMs)
            .arg(shown)});
}

void ExecChannel::finish(const Result<ExecResult> &result)
{
    if (m_finished)
        return;
    m_finished = true;
    m_timer->stop();
    if (!result.ok())
        qCDebug(lcSsh).noquote() << result.error.message;
    Q_EMIT finished(result);
}

} // namespace jarvis::ssh
