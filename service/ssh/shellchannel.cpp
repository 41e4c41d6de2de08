#include "ssh/shellchannel.h"

#include <libssh/libssh.h>

#include <utility>

namespace jarvis::ssh {

namespace {
int clampSize(int value)
{
    return qBound(1, value, 1000);
}
} // namespace

ShellChannel::ShellChannel(Connection *connection, ShellOptions options, QObject *parent)
    : Channel(connection, parent)
    , m_options(std::move(options))
    , m_command(m_options.command.toUtf8())
{
    m_options.cols = clampSize(m_options.cols);
    m_options.rows = clampSize(m_options.rows);
    if (m_options.term.isEmpty())
        m_options.term = "xterm-256color";
}

void ShellChannel::write(const QByteArray &data)
{
    enqueueWrite(data);
}

void ShellChannel::resize(int cols, int rows)
{
    cols = clampSize(cols);
    rows = clampSize(rows);
    if (cols == m_options.cols && rows == m_options.rows)
        return;
    m_options.cols = cols;
    m_options.rows = rows;
    if (!m_options.pty)
        return;
    if (state() == State::Open) {
        m_sizeChanged = true;
        wake();
    } else if (m_ptyRequested) {
        m_sizeChanged = true; // applied once the shell is open
    }
}

int ShellChannel::sendRequests(ssh_channel_struct *channel)
{
    // Each request may answer SSH_AGAIN and is then called again until the server replies.
    if (m_options.pty && !m_ptyDone) {
        m_requestName = QStringLiteral("PTY request");
        m_ptyRequested = true;
        const int rc = ssh_channel_request_pty_size(
            channel, m_options.term.constData(), m_options.cols, m_options.rows);
        if (rc != SSH_OK)
            return rc;
        m_ptyDone = true;
    }
    if (m_command.isEmpty()) {
        m_requestName = QStringLiteral("shell request");
        return ssh_channel_request_shell(channel);
    }
    m_requestName = QStringLiteral("exec request");
    return ssh_channel_request_exec(channel, m_command.constData());
}

void ShellChannel::handleOpened()
{
    Q_EMIT opened(); // a size changed meanwhile goes with the pump's next requests
}

void ShellChannel::sendRequestsWhileOpen(ssh_channel_struct *channel)
{
    if (!m_sizeChanged)
        return;
    m_sizeChanged = false;
    ssh_channel_change_pty_size(channel, m_options.cols, m_options.rows);
}

void ShellChannel::handleData(const QByteArray &data, bool)
{
    Q_EMIT dataReceived(data);
}

void ShellChannel::handleFinished(int exitStatus, const QString &exitSignal)
{
    Q_EMIT closed(exitStatus != -1 ? exitStatus : exitCodeForSignal(exitSignal));
}

void ShellChannel::handleError(const Error &error)
{
    Q_EMIT errorOccurred(error);
}

} // namespace jarvis::ssh
