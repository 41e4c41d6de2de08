#pragma once

#include <QObject>
#include <QtGlobal>

class QTcpSocket;
class QTimer;

namespace jarvis::net {

class ByteStream;

// Ends our side of a TCP connection once everything queued on `socket` is written (shutdown
// SHUT_WR), but keeps reading: the peer sees our last bytes (an HTTP error, a WebSocket close
// frame) followed by a clean end of stream, instead of a reset caused by closing a socket whose
// receive queue still holds data the peer had sent. The caller keeps reading and discarding
// until the peer closes, and aborts after a deadline of its own (HalfClose does all of it).
void shutdownWriteWhenFlushed(QTcpSocket *socket);

// The one way an HTTP refusal ends a connection (the front door's errors, a refused WebSocket
// upgrade): writes `response`, shuts our side once it is out (shutdownWriteWhenFlushed), reads and
// drops what the peer still sends (at most MaxDiscardBytes, then a reset), and aborts the socket
// after `lingerMs` if the peer has not closed by then. The socket deletes itself once
// disconnected. It must no longer be read by anyone else (its readyRead connections are cut).
void answerAndClose(QTcpSocket *socket, const QByteArray &response, int lingerMs = 5000);

// What a closing connection may still send us before we reset it (answerAndClose, HalfClose).
inline constexpr qint64 MaxDiscardBytes = 64 * 1024 * 1024;

// The one way a WebSocket connection ends without losing what we sent last (both transports;
// HTTP refusals use answerAndClose, the same on a QTcpSocket):
// our side is shut for writing once everything queued is out, and what the peer still sends is
// read and dropped until it closes too, at most `timeoutMs` and MaxDiscardBytes, then the
// connection is aborted.
// Closing at once instead would make the kernel reset a connection whose receive queue holds
// unread data, and the peer would lose our last bytes (a close frame: it would see 1006).
// finished() is emitted once, when the connection is gone (the peer closed, or the deadline).
// Main thread; never blocks.
class HalfClose final : public QObject
{
    Q_OBJECT
public:
    // Half-closes `stream` (reparented to the HalfClose). With a `parent`, the HalfClose (and
    // the stream) lives until the parent deletes it; without one it deletes itself once finished.
    HalfClose(ByteStream *stream, int timeoutMs, QObject *parent = nullptr);
    // For `fd`, a copy of the descriptor of a connection that `writer` (a QTcpSocket owned by
    // someone else, e.g. QtWebSockets) still writes to: owns `fd` from now on, and half-closes it
    // once `writer` has closed (everything it wrote is in the kernel, and it reads no more), with
    // the deadline counted from now. Deletes itself once finished (or with the application).
    static void afterSocketCloses(QTcpSocket *writer, int fd, int timeoutMs);
    ~HalfClose() override;

    bool isFinished() const { return m_finished; }

Q_SIGNALS:
    void finished();

private:
    HalfClose(int timeoutMs, QObject *parent);
    void begin(ByteStream *stream);
    void drain();
    void finish();

    QTimer *m_deadline; // child
    ByteStream *m_stream = nullptr; // child once begun
    int m_pendingFd = -1; // afterSocketCloses(): owned until begun
    qint64 m_discarded = 0;
    bool m_finished = false;
    bool m_selfDeleting = false; // afterSocketCloses()
};

} // namespace jarvis::net
