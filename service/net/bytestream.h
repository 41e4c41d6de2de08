#pragma once

#include <QByteArray>
#include <QObject>

#include <deque>

class QSocketNotifier;
class QTcpSocket;

namespace jarvis::net {

// The connection under a RawWsTransport: bytes in, bytes out, never blocking. Main thread.
// Two kinds: FdStream for plain TCP (the descriptor itself, no QIODevice buffers), SocketStream
// for a QTcpSocket/QSslSocket (TLS).
class ByteStream : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    // Up to `max` bytes into `data`: the count, 0 when nothing is there now, -1 once the
    // connection is gone (closed() follows from the event loop).
    virtual qint64 read(char *data, qint64 max) = 0;
    // Hands `bytes` to the kernel; what it does not take now is kept (shared, not copied) and
    // written when the socket is writable.
    virtual void write(const QByteArray &bytes) = 0;
    // Bytes written but not yet taken by the kernel.
    virtual qint64 bytesToWrite() const = 0;
    // Ends our direction (TCP half-close) once everything written is out.
    virtual void shutdownWriteWhenFlushed() = 0;
    // Drops the connection now, pending bytes included.
    virtual void abort() = 0;
    virtual bool isOpen() const = 0;

Q_SIGNALS:
    void readyRead();
    // The connection is gone: the peer closed or reset it, a write failed, or abort(). Once,
    // from the event loop.
    void closed();
    // Everything written has been handed to the kernel (bytesToWrite() is 0 again).
    void drained();
};

// A connected, plain TCP socket descriptor (owned: closed on destruction). A read notifier while
// open, a write notifier only while bytes wait; an idle connection costs this object, two
// notifiers and nothing else.
class FdStream final : public ByteStream
{
    Q_OBJECT
public:
    explicit FdStream(int fd, QObject *parent = nullptr);
    ~FdStream() override;

    qint64 read(char *data, qint64 max) override;
    void write(const QByteArray &bytes) override;
    qint64 bytesToWrite() const override { return m_pending; }
    void shutdownWriteWhenFlushed() override;
    void abort() override;
    bool isOpen() const override { return m_fd >= 0; }

private:
    void onWritable();
    void lost();

    int m_fd;
    QSocketNotifier *m_readNotifier; // child
    QSocketNotifier *m_writeNotifier; // child
    std::deque<QByteArray> m_queue;
    qint64 m_headOffset = 0; // bytes of m_queue.front() already sent
    qint64 m_pending = 0;
    bool m_shutdownRequested = false;
    bool m_peerClosed = false; // end of the input seen while bytes still wait to go out
};

// A QTcpSocket or QSslSocket (owned: reparented to the stream).
class SocketStream final : public ByteStream
{
    Q_OBJECT
public:
    explicit SocketStream(QTcpSocket *socket, QObject *parent = nullptr);

    qint64 read(char *data, qint64 max) override;
    void write(const QByteArray &bytes) override;
    qint64 bytesToWrite() const override;
    void shutdownWriteWhenFlushed() override;
    void abort() override;
    bool isOpen() const override;

private:
    void lost();

    QTcpSocket *m_socket;
    bool m_lost = false;
};

} // namespace jarvis::net
