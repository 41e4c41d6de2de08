#include "ssh/channel.h"

#include "ssh/connection.h"
#include "ssh/logging.h"

#include <QHash>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <cstring>
#include <utility>

namespace jarvis::ssh {

namespace {
// Read per channel per pump before the others get their turn; the connection comes back at once.
constexpr qsizetype ReadBudget = 256 * 1024;
// At most this much is drained from libssh in one go (it holds about one window, 1.28 MB).
constexpr qsizetype MaxReadAhead = 2 * 1024 * 1024;
// Written per ssh_channel_write() call; it stops early when the remote window is used up.
constexpr qsizetype WriteChunk = 32 * 1024;
} // namespace

struct Channel::Callbacks
{
    ssh_channel_callbacks_struct callbacks;
};

Channel::Channel(Connection *connection, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_callbacks(std::make_unique<Callbacks>())
{
    std::memset(&m_callbacks->callbacks, 0, sizeof m_callbacks->callbacks);
    ssh_callbacks_init(&m_callbacks->callbacks);
    m_callbacks->callbacks.userdata = this;
    m_callbacks->callbacks.channel_exit_status_function = &Channel::onExitStatus;
    m_callbacks->callbacks.channel_exit_signal_function = &Channel::onExitSignal;
    if (connection) {
        connection->attach(this); // served from the connection's next pump
    } else {
        QMetaObject::invokeMethod(
            this,
            [this] {
                abort({Error::Kind::NotConfigured, QStringLiteral("no SSH connection")});
            },
            Qt::QueuedConnection);
    }
}

Channel::~Channel()
{
    release();
}

Connection *Channel::connection() const
{
    return m_connection;
}

void Channel::setReadPaused(bool paused)
{
    if (m_readPaused == paused)
        return;
    m_readPaused = paused;
    // Data may already wait in libssh's buffer, where no socket notifier will see it.
    if (!paused && m_connection && m_state != State::Closed)
        m_connection->schedulePump();
}

qsizetype Channel::bytesBeyondWindow() const
{
    if (m_state != State::Open || !m_channel)
        return bytesToWrite();
    return qMax<qsizetype>(0, bytesToWrite() - qsizetype(ssh_channel_window_size(m_channel)));
}

void Channel::close()
{
    if (m_state == State::Closed)
        return;
    m_state = State::Closed;
    release();
}

void Channel::closeWriteChannel()
{
    if (m_state == State::Closed || m_eofRequested)
        return;
    m_eofRequested = true;
    wake();
}

void Channel::enqueueWrite(const QByteArray &data)
{
    if (m_state == State::Closed || data.isEmpty() || m_eofRequested)
        return;
    m_writeBuffer.append(data);
    wake();
}

void Channel::wake()
{
    // Sent from the connection's pump, the one place that writes to the session.
    if (m_state == State::Open && m_connection)
        m_connection->schedulePump();
}

void Channel::fail(const Error &error)
{
    if (m_state == State::Closed)
        return;
    m_state = State::Closed;
    release();
    handleError(error);
}

void Channel::afterCall()
{
    if (m_connection)
        m_connection->afterChannelCall();
}

QString Channel::describe() const
{
    return m_connection ? m_connection->endpoint() : QStringLiteral("(no connection)");
}

bool Channel::service()
{
    if (!m_connection || m_state == State::Closed)
        return false;
    QPointer<Channel> self(this);
    if (m_state == State::Waiting) {
        m_channel = ssh_channel_new(m_connection->session());
        if (!m_channel) {
            fail(channelError(QStringLiteral("cannot create a channel")));
            return false;
        }
        ssh_set_channel_callbacks(m_channel, &m_callbacks->callbacks);
        m_state = State::Opening;
    }
    if (m_state == State::Opening) {
        if (!m_channelOpen) {
            const int rc = ssh_channel_open_session(m_channel);
            if (rc == SSH_AGAIN)
                return false;
            if (rc != SSH_OK) {
                if (sessionAlive()) // otherwise the connection reports the drop to everyone
                    fail(channelError(QStringLiteral("cannot open a session channel")));
                return false;
            }
            m_channelOpen = true;
        }
        const int rc = sendRequests(m_channel);
        if (rc == SSH_AGAIN)
            return false;
        if (rc != SSH_OK) {
            if (sessionAlive())
                fail(channelError(QStringLiteral("%1 refused").arg(m_requestName)));
            return false;
        }
        m_state = State::Open;
        handleOpened();
        if (!self || m_state != State::Open)
            return false;
    }
    // Requests (a resize) and data go out here only, in this order, never from a caller's stack.
    if (ssh_channel_is_open(m_channel))
        sendRequestsWhileOpen(m_channel);
    flushWrites();
    if (!self || m_state != State::Open || m_readPaused)
        return false;
    const bool more = readAvailable();
    if (!self || m_state != State::Open || m_readPaused)
        return false;
    if (!more)
        checkFinished();
    return more;
}

bool Channel::readAvailable()
{
    QPointer<Channel> self(this);
    bool more = false;
    for (int stream = 0; stream < 2; ++stream) {
        QByteArray &ahead = m_readAhead[stream];
        const bool drain = ahead.isEmpty();
        if (drain) {
            // Everything libssh holds for this stream (see the header: a read re-opens the
            // window, so each read takes all of it).
            while (ahead.size() < MaxReadAhead) {
                // It reads the socket first if it holds nothing.
                const int available = ssh_channel_poll(m_channel, stream);
                if (available == SSH_ERROR && sessionAlive()) {
                    fail(channelError(QStringLiteral("read failed")));
                    return false;
                }
                if (available <= 0)
                    break; // nothing buffered (0), end of this stream (SSH_EOF), or a dead session
                const qsizetype old = ahead.size();
                ahead.resize(old + available);
                const int n = ssh_channel_read_nonblocking(
                    m_channel, ahead.data() + old, uint32_t(available), stream);
                ahead.resize(old + qMax(n, 0));
                if (n <= 0)
                    break;
            }
            if (ahead.size() >= MaxReadAhead)
                more = true; // libssh may hold more
        }
        if (ahead.isEmpty())
            continue;
        QByteArray data;
        if (ahead.size() <= ReadBudget) {
            data = std::exchange(ahead, QByteArray());
            // What libssh took in since the last drain waits in its buffer, where no socket
            // notifier sees it (and the server may be stopped by the window): drain again.
            more = more || !drain;
        } else {
            data = ahead.left(ReadBudget);
            ahead.remove(0, ReadBudget);
            more = true;
        }
        handleData(data, stream == 1);
        if (!self || m_state != State::Open || m_readPaused)
            return false;
    }
    return more;
}

void Channel::flushWrites()
{
    while (m_writeOffset < m_writeBuffer.size()) {
        const qsizetype chunk = qMin(m_writeBuffer.size() - m_writeOffset, WriteChunk);
        const int n = ssh_channel_write(
            m_channel, m_writeBuffer.constData() + m_writeOffset, uint32_t(chunk));
        if (n < 0) {
            // The remote side closed its input (or the session failed; the connection reports
            // that). The end of the channel is noticed by reading.
            qCDebug(lcSsh).noquote()
                << "dropping" << bytesToWrite() << "unsent bytes to" << describe();
            m_writeBuffer.clear();
            m_writeOffset = 0;
            return;
        }
        m_writeOffset += n;
        if (n < chunk)
            break; // the remote window is full; the rest goes when it grows
    }
    if (m_writeOffset == m_writeBuffer.size()) {
        m_writeBuffer.clear();
        m_writeOffset = 0;
        if (m_eofRequested && !m_eofSent) {
            m_eofSent = true;
            ssh_channel_send_eof(m_channel);
        }
    } else if (m_writeOffset >= 64 * 1024) {
        m_writeBuffer.remove(0, m_writeOffset);
        m_writeOffset = 0;
    }
}

void Channel::checkFinished()
{
    if (!sessionAlive())
        return;
    // The server closed the channel (and everything it sent has been read), or it sent EOF and
    // the exit status; OpenSSH sends data, EOF, exit-status, CLOSE.
    const bool closed = ssh_channel_is_closed(m_channel) != 0;
    const bool ended =
        ssh_channel_is_eof(m_channel) != 0 && (m_exitStatus != -1 || !m_exitSignal.isEmpty());
    if (!closed && !ended)
        return;
    const int status = m_exitStatus;
    const QString signal = m_exitSignal;
    m_state = State::Closed;
    release();
    handleFinished(status, signal);
}

void Channel::abort(const Error &error)
{
    m_channel = nullptr; // freed (or about to be) with its session
    if (m_state == State::Closed)
        return;
    m_state = State::Closed;
    if (m_connection)
        m_connection->detach(this);
    handleError(error);
}

void Channel::release()
{
    if (m_connection) {
        if (m_channel) {
            ssh_remove_channel_callbacks(m_channel, &m_callbacks->callbacks);
            m_connection->retire(m_channel, !m_channelOpen);
        }
        m_connection->detach(this);
    }
    m_channel = nullptr;
}

Error Channel::channelError(const QString &what) const
{
    const QString reason = m_connection ? m_connection->libsshError() : QString();
    return {Error::Kind::Channel, QStringLiteral("%1 on %2: %3").arg(what, describe(), reason)};
}

bool Channel::sessionAlive() const
{
    return m_connection && m_connection->sessionAlive();
}

void Channel::onExitStatus(ssh_session_struct *, ssh_channel_struct *, int status, void *userdata)
{
    static_cast<Channel *>(userdata)->m_exitStatus = status;
}

void Channel::onExitSignal(ssh_session_struct *, ssh_channel_struct *, const char *signal, int,
    const char *, const char *, void *userdata)
{
    static_cast<Channel *>(userdata)->m_exitSignal = QString::fromLatin1(signal);
}

int exitCodeForSignal(const QString &signal)
{
    static const QHash<QString, int> numbers = {
        {QStringLiteral("HUP"), 1},
        {QStringLiteral("INT"), 2},
        {QStringLiteral("QUIT"), 3},
        {QStringLiteral("ILL"), 4},
        {QStringLiteral("ABRT"), 6},
        {QStringLiteral("FPE"), 8},
        {QStringLiteral("KILL"), 9},
        {QStringLiteral("USR1"), 10},
        {QStringLiteral("SEGV"), 11},
        {QStringLiteral("USR2"), 12},
        {QStringLiteral("PIPE"), 13},
        {QStringLiteral("ALRM"), 14},
        {QStringLiteral("TERM"), 15},
    };
    const int number = numbers.value(signal, -1);
    return number < 0 ? -1 : 128 + number;
}

} // namespace jarvis::ssh
