#include "net/wstransport.h"

#include "net/halfclose.h"

#include <QLoggingCategory>
#include <QTcpSocket>
#include <QWebSocket>

#include <fcntl.h>

Q_LOGGING_CATEGORY(lcQtWs, "jarvis.ws.qt")

namespace jarvis::net {

namespace {
// QWebSocket closes its TCP socket right after writing a close frame. When the peer is still
// sending (a frame over the size limit, closed with 1009 after its header), closing a socket whose
// receive queue holds data makes the kernel send a reset, and the peer loses the close frame
// (it sees 1006). So the transport keeps a copy of the descriptor, and net::HalfClose ends the
// connection as the own transport does: once Qt has closed its own descriptor (everything it
// wrote is in the kernel), our side is shut for writing (the peer sees the close frame, then the
// end of the stream), and what the peer still sends is read and dropped until it closes too, at
// most LingerMs.
constexpr int LingerMs = 5000;
} // namespace

QtWsTransport::QtWsTransport(std::unique_ptr<QWebSocket> socket, QTcpSocket *connection,
    qint64 maxMessageSize, QObject *parent, qint64 maxOutboundBytes)
    : WsTransport(parent)
    , m_socket(socket.release())
    , m_tcp(connection)
    , m_maxOutboundBytes(maxOutboundBytes)
{
    // QWebSocket answers pings (and queues its frames) on the TCP socket it was upgraded from:
    // the queue is checked after every read (pings come in) and every send.
    if (m_tcp) {
        connect(m_tcp, &QTcpSocket::readyRead, this, &QtWsTransport::checkOutbound,
            Qt::QueuedConnection);
        connect(m_tcp, &QTcpSocket::bytesWritten, this, [this] {
            if (!m_closed && m_tcp->bytesToWrite() == 0)
                Q_EMIT drained();
        });
    }
    m_socket->setParent(this);
    m_socket->setMaxAllowedIncomingMessageSize(quint64(maxMessageSize));
    m_socket->setMaxAllowedIncomingFrameSize(quint64(maxMessageSize));
    connect(m_socket, &QWebSocket::textMessageReceived, this,
        [this](const QString &message) { Q_EMIT textReceived(message.toUtf8()); });
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, &WsTransport::binaryReceived);
    // Emitted once the close frame is written, just before QWebSocket closes the TCP socket.
    connect(m_socket, &QWebSocket::aboutToClose, this, [this] {
        if (!m_tcp || m_tcp->socketDescriptor() == -1)
            return;
        const int fd = ::fcntl(int(m_tcp->socketDescriptor()), F_DUPFD_CLOEXEC, 0);
        if (fd >= 0)
            HalfClose::afterSocketCloses(m_tcp, fd, LingerMs);
    });
    connect(m_socket, &QWebSocket::disconnected, this, [this] {
        if (m_closed)
            return;
        m_closed = true;
        Q_EMIT closed();
    });
}

QtWsTransport::~QtWsTransport() = default;

void QtWsTransport::sendText(const QByteArray &utf8)
{
    if (m_closed)
        return;
    m_socket->sendTextMessage(QString::fromUtf8(utf8));
    checkOutbound();
}

void QtWsTransport::sendBinary(const QByteArray &bytes)
{
    if (m_closed)
        return;
    m_socket->sendBinaryMessage(bytes);
    checkOutbound();
}

void QtWsTransport::checkOutbound()
{
    if (m_closed || pendingBytes() <= m_maxOutboundBytes)
        return;
    qCInfo(lcQtWs) << "dropping a WebSocket connection with" << pendingBytes()
                   << "bytes unsent (limit" << m_maxOutboundBytes << ")";
    m_socket->abort(); // disconnected() follows and emits closed()
}

void QtWsTransport::close(int code, const QString &reason)
{
    if (m_closed)
        return;
    m_socket->close(QWebSocketProtocol::CloseCode(code), reason);
}

qint64 QtWsTransport::pendingBytes() const
{
    return m_tcp ? m_tcp->bytesToWrite() : 0;
}

} // namespace jarvis::net
