#include "http/streamedresponse.h"

#include "http/frontdoor.h"

#include <QHttpServerResponder>
#include <QTcpSocket>

namespace jarvis::http {

StreamedResponse::StreamedResponse(QHttpServerResponder &&responder, int status,
    const QByteArray &contentType, const HeaderList &headers, qint64 maxBuffered, QObject *parent)
    : QObject(parent)
    , m_responder(std::make_unique<QHttpServerResponder>(std::move(responder)))
    , m_socket(m_responder->socket())
    , m_maxBuffered(maxBuffered)
{
    if (!m_socket || m_socket->state() != QAbstractSocket::ConnectedState) {
        m_open = false;
        return;
    }
    connect(m_socket, &QTcpSocket::disconnected, this, [this] { end(); });
    connect(m_socket, &QObject::destroyed, this, [this] { end(); });
    m_responder->writeStatusLine(static_cast<QHttpServerResponder::StatusCode>(status));
    m_responder->writeHeader("Content-Type", contentType);
    m_responder->writeHeader("Cache-Control", "no-store");
    m_responder->writeHeader("Transfer-Encoding", "chunked");
    m_responder->writeHeader("X-Accel-Buffering", "no"); // a reverse proxy must not hold events
    for (const auto &header : headers)
        m_responder->writeHeader(header.first, header.second);
    if (closesAfterResponse(m_socket))
        m_responder->writeHeader("Connection", "close");
    m_responder->writeBody("", 0); // ends the head
}

StreamedResponse::~StreamedResponse()
{
    if (!m_open || !m_socket)
        return;
    m_open = false; // no closed() from a destructor
    disconnect(m_socket, nullptr, this, nullptr);
    m_socket->abort();
}

bool StreamedResponse::write(const QByteArray &data)
{
    if (!m_open || !m_socket)
        return false;
    if (data.isEmpty())
        return true; // an empty chunk would end the body
    m_socket->write(QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n");
    if (m_socket && m_socket->bytesToWrite() > m_maxBuffered) {
        abort();
        return false;
    }
    return true;
}

void StreamedResponse::finish()
{
    if (!m_open || !m_socket)
        return end();
    m_socket->write("0\r\n\r\n");
    const bool close = closesAfterResponse(m_socket);
    QTcpSocket *socket = m_socket;
    end();
    FrontDoor::responseWritten(socket, close);
    if (close)
        socket->disconnectFromHost();
}

void StreamedResponse::abort()
{
    QTcpSocket *socket = m_socket;
    end();
    if (socket)
        socket->abort();
}

void StreamedResponse::end()
{
    if (!m_open)
        return;
    m_open = false;
    if (m_socket)
        disconnect(m_socket, nullptr, this, nullptr);
    Q_EMIT closed();
}

} // namespace jarvis::http
