#include "net/bytestream.h"

#include "net/halfclose.h"

#include <QMetaObject>
#include <QSocketNotifier>
#include <QTcpSocket>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace jarvis::net {

FdStream::FdStream(int fd, QObject *parent)
    : ByteStream(parent)
    , m_fd(fd)
    , m_readNotifier(new QSocketNotifier(fd, QSocketNotifier::Read, this))
    , m_writeNotifier(new QSocketNotifier(fd, QSocketNotifier::Write, this))
{
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0)
        ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    m_writeNotifier->setEnabled(false);
    connect(m_readNotifier, &QSocketNotifier::activated, this, &ByteStream::readyRead);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, &FdStream::onWritable);
}

FdStream::~FdStream()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

qint64 FdStream::read(char *data, qint64 max)
{
    if (m_fd < 0 || m_peerClosed)
        return -1;
    for (;;) {
        const ssize_t n = ::recv(m_fd, data, size_t(max), 0);
        if (n > 0)
            return n;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n == 0 && !m_queue.empty()) {
            // The peer closed its side: nothing more to read, but what we still owe it (a close
            // frame, say) goes out first; closed() follows once it has.
            m_readNotifier->setEnabled(false);
            m_peerClosed = true;
            return -1;
        }
        lost(); // the peer closed (nothing left to send), reset the connection, or failed
        return -1;
    }
}

void FdStream::write(const QByteArray &bytes)
{
    if (m_fd < 0 || bytes.isEmpty())
        return;
    qint64 sent = 0;
    if (m_queue.empty()) {
        while (sent < bytes.size()) {
            const ssize_t n = ::send(m_fd, bytes.constData() + sent, size_t(bytes.size() - sent),
                MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                sent += n;
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            lost();
            return;
        }
        if (sent == bytes.size())
            return;
        m_headOffset = sent;
    }
    // Small frames (pongs, short messages) share one queued buffer instead of costing a
    // QByteArray each, so what a connection queues costs about what its bytes do.
    constexpr qsizetype SmallWrite = 4096;
    if (sent == 0 && !m_queue.empty() && bytes.size() < SmallWrite
        && m_queue.back().size() + bytes.size() <= SmallWrite) {
        m_queue.back().append(bytes);
    } else {
        m_queue.push_back(bytes);
    }
    m_pending += bytes.size() - sent;
    m_writeNotifier->setEnabled(true);
}

void FdStream::onWritable()
{
    while (!m_queue.empty() && m_fd >= 0) {
        const QByteArray &head = m_queue.front();
        const ssize_t n = ::send(m_fd, head.constData() + m_headOffset,
            size_t(head.size() - m_headOffset), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            lost();
            return;
        }
        m_pending -= n;
        m_headOffset += n;
        if (m_headOffset == head.size()) {
            m_queue.pop_front();
            m_headOffset = 0;
        }
    }
    if (m_fd < 0)
        return;
    m_writeNotifier->setEnabled(false);
    if (m_peerClosed)
        lost();
    else if (m_shutdownRequested)
        ::shutdown(m_fd, SHUT_WR);
    else
        Q_EMIT drained();
}

void FdStream::shutdownWriteWhenFlushed()
{
    if (m_fd < 0 || m_shutdownRequested)
        return;
    m_shutdownRequested = true;
    if (m_queue.empty())
        ::shutdown(m_fd, SHUT_WR);
}

void FdStream::abort()
{
    if (m_fd >= 0) {
        // A reset, not a FIN behind what the kernel still holds for a peer that may never read.
        const linger reset {1, 0};
        ::setsockopt(m_fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    }
    lost();
}

void FdStream::lost()
{
    if (m_fd < 0)
        return;
    m_readNotifier->setEnabled(false);
    m_writeNotifier->setEnabled(false);
    ::close(m_fd);
    m_fd = -1;
    m_queue.clear();
    m_pending = 0;
    QMetaObject::invokeMethod(this, &ByteStream::closed, Qt::QueuedConnection);
}

SocketStream::SocketStream(QTcpSocket *socket, QObject *parent)
    : ByteStream(parent)
    , m_socket(socket)
{
    m_socket->setParent(this);
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    connect(m_socket, &QTcpSocket::readyRead, this, &ByteStream::readyRead);
    connect(m_socket, &QTcpSocket::bytesWritten, this, [this] {
        if (m_socket->bytesToWrite() == 0)
            Q_EMIT drained();
    });
    connect(m_socket, &QTcpSocket::disconnected, this, &SocketStream::lost);
    connect(m_socket, &QAbstractSocket::errorOccurred, this, [this] {
        if (m_socket->state() == QAbstractSocket::UnconnectedState)
            lost();
    });
    if (m_socket->state() != QAbstractSocket::ConnectedState)
        QMetaObject::invokeMethod(this, &SocketStream::lost, Qt::QueuedConnection);
}

qint64 SocketStream::read(char *data, qint64 max)
{
    const qint64 n = m_socket->read(data, max);
    if (n == 0 && m_socket->state() == QAbstractSocket::UnconnectedState)
        return -1;
    return n;
}

void SocketStream::write(const QByteArray &bytes)
{
    m_socket->write(bytes);
    m_socket->flush(); // non-blocking: what the kernel takes now goes now
}

qint64 SocketStream::bytesToWrite() const
{
    return m_socket->bytesToWrite();
}

void SocketStream::shutdownWriteWhenFlushed()
{
    net::shutdownWriteWhenFlushed(m_socket);
}

void SocketStream::abort()
{
    m_socket->abort();
    lost();
}

bool SocketStream::isOpen() const
{
    return !m_lost && m_socket->state() == QAbstractSocket::ConnectedState;
}

void SocketStream::lost()
{
    if (m_lost)
        return;
    m_lost = true;
    QMetaObject::invokeMethod(this, &ByteStream::closed, Qt::QueuedConnection);
}

} // namespace jarvis::net
