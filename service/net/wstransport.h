#pragma once

#include "net/preparedmessage.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QUrl>

#include <memory>

class QTcpSocket;
class QWebSocket;

namespace jarvis::net {

// The most that may wait to be sent to one WebSocket client, whatever it is (control frames
// included), before the connection is dropped; the Socket.IO layer closes a session at the same
// backlog of reliable events, and skips snapshots far earlier (sioserver.cpp).
constexpr qint64 MaxOutboundBytes = 64 * 1024 * 1024;

// The server side of one WebSocket connection, as the Engine.IO layer sees it: send text or
// binary, close, and signals for what arrives. Kept this small so the transport can be replaced
// (issue 3: a raw RFC 6455 transport that frames a broadcast once for every socket).
class WsTransport : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    // `utf8` must be valid UTF-8.
    virtual void sendText(const QByteArray &utf8) = 0;
    virtual void sendBinary(const QByteArray &bytes) = 0;
    // A text message never compressed, whatever was negotiated (like socket.io's
    // compress(false)): for a stream of events where CPU and latency matter more than bytes,
    // such as terminal output. The default is sendText() (for transports that never compress).
    virtual void sendTextUncompressed(const QByteArray &utf8) { sendText(utf8); }
    // A message prepared once for many sockets (a broadcast). The default sends its payload; a
    // transport that frames by itself writes the shared, already framed (and compressed) bytes.
    virtual void sendPrepared(const std::shared_ptr<const ws::PreparedMessage> &message)
    {
        if (message->opcode() == ws::Opcode::Binary)
            sendBinary(message->payload());
        else
            sendText(message->payload());
    }
    // Starts the closing handshake; closed() follows.
    virtual void close(int code, const QString &reason) = 0;
    // Bytes written but not yet handed to the kernel (for slow-consumer policies).
    virtual qint64 pendingBytes() const = 0;

Q_SIGNALS:
    void textReceived(const QByteArray &utf8);
    void binaryReceived(const QByteArray &bytes);
    void closed();
    // What was waiting to be sent has all been handed to the kernel (pendingBytes() is 0).
    void drained();
};

// WsTransport on QWebSocket (QtWebSockets does framing, masking checks, UTF-8 validation and the
// size limit, closing with 1009 when a message exceeds it).
class QtWsTransport final : public WsTransport
{
    Q_OBJECT
public:
    // `connection` is the TCP socket `socket` was upgraded from (QWebSocketServer::
    // handleConnection), which QWebSocket writes to but does not expose: the transport drops the
    // connection when more than `maxOutboundBytes` wait on it (QtWebSockets answers every ping at
    // once, so only this cap bounds what a client that never reads costs).
    QtWsTransport(std::unique_ptr<QWebSocket> socket, QTcpSocket *connection, qint64 maxMessageSize,
        QObject *parent = nullptr, qint64 maxOutboundBytes = MaxOutboundBytes);
    ~QtWsTransport() override;

    void sendText(const QByteArray &utf8) override;
    void sendBinary(const QByteArray &bytes) override;
    void close(int code, const QString &reason) override;
    qint64 pendingBytes() const override;

private:
    void checkOutbound();

    QWebSocket *m_socket; // owned (child)
    QPointer<QTcpSocket> m_tcp; // the connection under it (not ours)
    qint64 m_maxOutboundBytes;
    bool m_closed = false;
};

} // namespace jarvis::net
