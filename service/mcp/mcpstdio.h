#pragma once

#include <QByteArray>
#include <QObject>
#include <QPointer>

class QSocketNotifier;

namespace jarvis::mcp {

class Server;
class Session;

// MCP's stdio transport (`jarvisd --mcp-stdio`): newline-delimited JSON-RPC on two descriptors
// (stdin and a duplicate of the original stdout; jarvisd points fd 1 at stderr so nothing else
// reaches the client), read and written without blocking the event loop (QSocketNotifier, the
// descriptors non-blocking). One session, for the local user who started jarvisd: no
// authentication, audited as `mcp:stdio`. A line longer than `maxMessageBytes` is answered
// with Invalid Request and skipped. What waits for a client that does not read is bounded
// (64 MiB: then the transport gives up). On end of input it answers what is in flight, writes
// everything, then emits finished(). Main thread.
class StdioTransport : public QObject
{
    Q_OBJECT
public:
    StdioTransport(
        Server *server, int inFd, int outFd, qint64 maxMessageBytes, QObject *parent = nullptr);
    ~StdioTransport() override;

Q_SIGNALS:
    void finished();

private:
    void onReadable();
    void handleLine(QByteArray line);
    void queue(const QByteArray &text);
    void flush();
    void maybeFinish();
    void fail(const QString &why);

    int m_in;
    int m_out;
    int m_inFlags = -1; // as found, put back at the end
    int m_outFlags = -1;
    qint64 m_maxMessageBytes;
    QPointer<Session> m_session; // child
    QSocketNotifier *m_reader = nullptr; // children
    QSocketNotifier *m_writer = nullptr;
    QByteArray m_inBuffer;
    bool m_discarding = false; // skipping the rest of an over-long line
    QByteArray m_outBuffer; // from m_outSent on: still to write
    qsizetype m_outSent = 0; // written bytes at its front (dropped in bulk, not per write)
    bool m_eof = false;
    bool m_finished = false;
};

} // namespace jarvis::mcp
