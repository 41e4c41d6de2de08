#include "net/halfclose.h"

#include "net/bytestream.h"

#include <QCoreApplication>
#include <QTcpSocket>
#include <QTimer>

#include <memory>
#include <utility>

#include <sys/socket.h>
#include <unistd.h>

namespace jarvis::net {

void shutdownWriteWhenFlushed(QTcpSocket *socket)
{
    auto shutWrite = [socket] {
        if (socket->bytesToWrite() == 0 && socket->socketDescriptor() != -1)
            ::shutdown(int(socket->socketDescriptor()), SHUT_WR);
    };
    QObject::connect(socket, &QTcpSocket::bytesWritten, socket, shutWrite);
    socket->flush();
    shutWrite();
}

void answerAndClose(QTcpSocket *socket, const QByteArray &response, int lingerMs)
{
    QObject::disconnect(socket, &QTcpSocket::readyRead, nullptr, nullptr);
    QObject::connect(
        socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater, Qt::UniqueConnection);
    if (socket->state() != QAbstractSocket::ConnectedState) {
        socket->deleteLater();
        return;
    }
    if (socket->isTransactionStarted())
        socket->commitTransaction(); // a partial request read in a transaction: dropped
    socket->setReadBufferSize(0);
    auto discarded = std::make_shared<qint64>(0);
    auto drain = [socket, discarded] {
        *discarded += socket->skip(socket->bytesAvailable());
        if (*discarded > MaxDiscardBytes)
            socket->abort();
    };
    QObject::connect(socket, &QTcpSocket::readyRead, socket, drain);
    QTimer::singleShot(lingerMs, socket, [socket] { socket->abort(); });
    socket->write(response);
    shutdownWriteWhenFlushed(socket); // the peer sees the whole answer, then the end
    drain();
}

HalfClose::HalfClose(int timeoutMs, QObject *parent)
    : QObject(parent)
    , m_deadline(new QTimer(this))
{
    m_deadline->setSingleShot(true);
    connect(m_deadline, &QTimer::timeout, this, [this] {
        if (m_stream)
            m_stream->abort(); // a reset: the peer had its time
        finish();
    });
    m_deadline->start(timeoutMs);
}

HalfClose::HalfClose(ByteStream *stream, int timeoutMs, QObject *parent)
    : HalfClose(timeoutMs, parent)
{
    begin(stream);
}

HalfClose::~HalfClose()
{
    if (m_pendingFd >= 0)
        ::close(m_pendingFd);
}

void HalfClose::afterSocketCloses(QTcpSocket *writer, int fd, int timeoutMs)
{
    // A child of the application, so that one still lingering when it quits is deleted too.
    auto *self = new HalfClose(timeoutMs, QCoreApplication::instance());
    self->m_selfDeleting = true;
    self->m_pendingFd = fd;
    auto start = [self] {
        if (self->m_finished || self->m_pendingFd < 0)
            return;
        const int own = std::exchange(self->m_pendingFd, -1);
        self->begin(new FdStream(own));
    };
    if (writer && writer->state() != QAbstractSocket::UnconnectedState)
        connect(writer, &QAbstractSocket::disconnected, self, start);
    else
        start();
}

void HalfClose::begin(ByteStream *stream)
{
    m_stream = stream;
    m_stream->setParent(this);
    // The stream's other users (a transport) stop reading: from now on only this one reads.
    connect(m_stream, &ByteStream::readyRead, this, &HalfClose::drain);
    connect(m_stream, &ByteStream::closed, this, &HalfClose::finish);
    m_stream->shutdownWriteWhenFlushed();
    drain(); // what came before we looked
}

void HalfClose::drain()
{
    if (m_finished || !m_stream)
        return;
    char scrap[16 * 1024];
    qint64 n = 0;
    while ((n = m_stream->read(scrap, sizeof scrap)) > 0) {
        m_discarded += n;
        if (m_discarded > MaxDiscardBytes) { // a peer that floods instead of closing
            m_stream->abort();
            finish();
            return;
        }
    }
    // 0: nothing more now; -1: the connection is gone, and the stream's closed() follows.
}

void HalfClose::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_deadline->stop();
    if (m_pendingFd >= 0) {
        ::close(m_pendingFd);
        m_pendingFd = -1;
    }
    Q_EMIT finished();
    if (m_selfDeleting || !parent())
        deleteLater();
}

} // namespace jarvis::net
