#include "realtime/wstransport.h"

#include <QWebSocket>

namespace jarvis::realtime {

QtWsTransport::QtWsTransport(
    std::unique_ptr<QWebSocket> socket, qint64 maxMessageSize, QObject *parent)
    : WsTransport(parent)
    , m_socket(socket.release())
{
    m_socket->setParent(this);
    m_socket->setMaxAllowedIncomingMessageSize(quint64(maxMessageSize));
    m_socket->setMaxAllowedIncomingFrameSize(quint64(maxMessageSize));
    connect(m_socket, &QWebSocket::textMessageReceived, this,
        [this](const QString &message) { Q_EMIT textReceived(message.toUtf8()); });
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, &WsTransport::binaryReceived);
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
    if (!m_closed)
        m_socket->sendTextMessage(QString::fromUtf8(utf8));
}

void QtWsTransport::sendBinary(const QByteArray &bytes)
{
    if (!m_closed)
        m_socket->sendBinaryMessage(bytes);
}

void QtWsTransport::close(int code, const QString &reason)
{
    if (m_closed)
        return;
    m_socket->close(QWebSocketProtocol::CloseCode(code), reason);
}

qint64 QtWsTransport::pendingBytes() const
{
    return 0;
}

} // namespace jarvis::realtime
