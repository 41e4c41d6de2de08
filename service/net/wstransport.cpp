#include "net/wstransport.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>

#include <cerrno>

#include <sys/socket.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcQtWs, "jarvis.ws.qt")

namespace jarvis::net {

namespace {
// QWebSocket closes its TCP socket right after writing a close frame. When the peer is still
// sending (a frame over the size limit, closed with 1009 after its header), closing a socket whose
// receive queue holds data makes the kernel send a reset, and the peer loses the close frame
// (it sees 1006). So the transport keeps a duplicate of the descriptor: once Qt has closed its
// own (everything it wrote is in the kernel), our side is shut for writing (the peer sees the close
// frame, then the end of the stream), and what the peer still sends is read and dropped until it
// closes too, at most LingerMs, as the own transport and the front door do.
class Lingerer final : public QObject
{
public:
    static constexpr int LingerMs = 5000;

    Lingerer(int fd, QTcpSocket *qtSide)
        : QObject(QCoreApplication::instance())
        , m_fd(fd)
    {
        QTimer::singleShot(LingerMs, this, &Lingerer::finish);
        if (qtSide && qtSide->state() != QAbstractSocket::UnconnectedState)
            connect(qtSide, &QAbstractSocket::disconnected, this, &Lingerer::drain);
        else
            drain();
    }
    ~Lingerer() override { ::close(m_fd); }

private:
    // Qt's descriptor is closed: from now on only this one reads.
    void drain()
    {
        if (m_notifier)
            return;
        ::shutdown(m_fd, SHUT_WR);
        m_notifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
        connect(m_notifier, &QSocketNotifier::activated, this, [this] {
            char scrap[16384];
            const ssize_t n = ::recv(m_fd, scrap, sizeof scrap, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                finish();
        });
    }
    void finish()
    {
        if (m_notifier)
            m_notifier->setEnabled(false);
        deleteLater();
    }

    int m_fd;
    QSocketNotifier *m_notifier = nullptr;
};
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
        const int fd = ::dup(int(m_tcp->socketDescriptor()));
        if (fd >= 0)
            new Lingerer(fd, m_tcp);
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
