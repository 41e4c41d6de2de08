#include "mcp/mcpstdio.h"

#include "mcp/jsonrpc.h"
#include "mcp/mcpserver.h"

#include <QLoggingCategory>
#include <QSocketNotifier>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

Q_DECLARE_LOGGING_CATEGORY(lcMcp)

namespace jarvis::mcp {

namespace {
constexpr qint64 MaxOutput = 64 * 1024 * 1024;

// Returns the flags before (-1: unknown), for the destructor to put back: O_NONBLOCK belongs to
// the open file, which the parent (a shell, a terminal) may share.
int setNonBlocking(int fd)
{
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0)
        ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    return flags;
}

void restoreFlags(int fd, int flags)
{
    if (flags >= 0)
        ::fcntl(fd, F_SETFL, flags);
}
} // namespace

StdioTransport::StdioTransport(
    Server *server, int inFd, int outFd, qint64 maxMessageBytes, QObject *parent)
    : QObject(parent)
    , m_in(inFd)
    , m_out(outFd)
    , m_maxMessageBytes(maxMessageBytes)
{
    m_inFlags = setNonBlocking(m_in);
    m_outFlags = setNonBlocking(m_out);
    m_session = server->createSession(QStringLiteral("mcp:stdio"), this);
    m_session->setOutput(Session::Output {
        [this](const QJsonObject &message, const QJsonValue &) { queue(toText(message)); }, {}});
    connect(m_session, &Session::idle, this, &StdioTransport::maybeFinish);
    m_reader = new QSocketNotifier(m_in, QSocketNotifier::Read, this);
    connect(m_reader, &QSocketNotifier::activated, this, &StdioTransport::onReadable);
    m_writer = new QSocketNotifier(m_out, QSocketNotifier::Write, this);
    m_writer->setEnabled(false);
    connect(m_writer, &QSocketNotifier::activated, this, &StdioTransport::flush);
}

StdioTransport::~StdioTransport()
{
    restoreFlags(m_in, m_inFlags);
    restoreFlags(m_out, m_outFlags);
}

void StdioTransport::onReadable()
{
    char chunk[64 * 1024];
    // At most 4 chunks a turn: a client that writes without pause must not keep the loop here
    // (the notifier fires again while input is waiting).
    for (int reads = 0; reads < 4; ++reads) {
        const ssize_t got = ::read(m_in, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (got <= 0) { // end of input (or an error, which ends it too)
            m_reader->setEnabled(false);
            m_eof = true;
            if (!m_discarding && !m_inBuffer.trimmed().isEmpty())
                handleLine(std::exchange(m_inBuffer, {}));
            qCInfo(lcMcp) << "stdio: end of input";
            maybeFinish();
            return;
        }
        qsizetype start = 0;
        const QByteArrayView data(chunk, got);
        for (;;) {
            const qsizetype newline = data.indexOf('\n', start);
            const QByteArrayView piece =
                data.sliced(start, (newline < 0 ? data.size() : newline) - start);
            if (!m_discarding) {
                if (m_inBuffer.size() + piece.size() > m_maxMessageBytes) {
                    m_discarding = true;
                    m_inBuffer.clear();
                    queue(toText(errorResponse(QJsonValue::Null, code::InvalidRequest,
                        QStringLiteral("Invalid Request: message larger than %1 bytes")
                            .arg(m_maxMessageBytes))));
                } else {
                    m_inBuffer.append(piece);
                }
            }
            if (newline < 0)
                break;
            if (!m_discarding)
                handleLine(std::exchange(m_inBuffer, {}));
            m_discarding = false;
            start = newline + 1;
            if (m_finished)
                return;
        }
    }
}

void StdioTransport::handleLine(QByteArray line)
{
    if (line.endsWith('\r'))
        line.chop(1);
    if (line.trimmed().isEmpty())
        return;
    if (m_session)
        m_session->receive(parseMessage(line));
}

void StdioTransport::queue(const QByteArray &text)
{
    if (m_finished)
        return;
    if (m_outSent
        > m_outBuffer.size() / 2) { // amortised: moved once the sent part outweighs the rest
        m_outBuffer.remove(0, m_outSent);
        m_outSent = 0;
    }
    m_outBuffer.append(text);
    m_outBuffer.append('\n');
    if (m_outBuffer.size() - m_outSent > MaxOutput)
        return fail(QStringLiteral("the client does not read its output (over %1 bytes waiting)")
                        .arg(MaxOutput));
    flush();
}

void StdioTransport::flush()
{
    while (m_outSent < m_outBuffer.size()) {
        const ssize_t written = ::write(
            m_out, m_outBuffer.constData() + m_outSent, size_t(m_outBuffer.size() - m_outSent));
        if (written < 0 && errno == EINTR)
            continue;
        if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            m_writer->setEnabled(true);
            return;
        }
        if (written < 0)
            return fail(QStringLiteral("cannot write to the client: %1")
                            .arg(QString::fromLocal8Bit(strerror(errno))));
        m_outSent += written;
    }
    m_outBuffer.clear();
    m_outSent = 0;
    m_writer->setEnabled(false);
    maybeFinish();
}

void StdioTransport::maybeFinish()
{
    if (m_finished || !m_eof || !m_outBuffer.isEmpty()
        || (m_session && m_session->pendingRequests() > 0))
        return;
    m_finished = true;
    Q_EMIT finished();
}

void StdioTransport::fail(const QString &why)
{
    qCWarning(lcMcp).noquote() << "stdio:" << why;
    m_outBuffer.clear();
    m_outSent = 0;
    m_reader->setEnabled(false);
    m_writer->setEnabled(false);
    m_eof = true;
    if (!m_finished) {
        m_finished = true;
        Q_EMIT finished();
    }
}

} // namespace jarvis::mcp
