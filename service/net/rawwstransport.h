#pragma once

#include "net/preparedmessage.h"
#include "net/wsframe.h"
#include "net/wshandshake.h"
#include "net/wstransport.h"

#include <QUrl>

#include <memory>

class QTcpSocket;
class QTimer;

namespace jarvis::net {

class ByteStream;

struct RawWsTransportOptions
{
    qint64 maxPayload = 1000000; // per incoming message (after inflation); larger -> close 1009
    bool permessageDeflate = true; // negotiate permessage-deflate when the client offers it
    int compressionLevel = 1; // zlib level for sendText/sendBinary (PreparedMessage has its own)
    qint64 compressThreshold = 1024; // messages smaller than this are sent uncompressed
    int closeTimeoutMs = 5000; // wait for the peer's close frame / for the TCP close, then abort
    int clientMaxWindowBits = 15; // ask clients for a smaller compression window (8..15)
    bool clientNoContextTakeover = false; // ask clients to compress each message on its own
    // What may wait for a client that does not read (frames of every kind, control frames
    // included); a write that takes the queue past it drops the connection at once.
    qint64 maxOutboundBytes = MaxOutboundBytes;
};

// WsTransport on a raw QTcpSocket / QSslSocket: RFC 6455 framing, permessage-deflate
// (RFC 7692) and the closing handshake done here, so a broadcast can be framed and compressed
// once (PreparedMessage) and the same bytes written to every socket.
// Ownership: owns the connection (its byte stream, a child; closed and deleted with it). The owner
// deletes the transport, with deleteLater() (never `delete` from inside one of its signals),
// typically after closed(). Thread: lives and is used on the thread of its socket (the main
// thread). Never blocks. Closing: closed() is emitted exactly once, when the TCP connection is
// gone: after the close handshake (ours or the peer's), after a protocol error (we send the close
// frame with 1002, 1007 or 1009 first), when the peer vanishes, or when closeTimeoutMs runs out
// (abort). It is always emitted from the event loop (queued), never from inside a call such as
// sendText(), so a broadcast loop over many transports is never re-entered.
class RawWsTransport final : public WsTransport
{
    Q_OBJECT
public:
    using Options = RawWsTransportOptions;

    // Upgrades `socket`, a connected socket whose request head `head` (parsed by net::parseHead,
    // e.g. by the front door, which hands it over) is still unread in its buffer (the front door
    // only peek()ed it): skips the head, validates the upgrade, writes the 101 response and
    // returns the transport, which owns the connection (a plain TCP one moves to its own copy of
    // the descriptor, an FdStream, and `socket` is deleted later). On failure writes the error
    // response (400/405/426), closes the socket (it deletes itself once closed), sets `*error`
    // and returns nullptr. Bytes after the head (early frames) are processed from the event loop.
    static RawWsTransport *accept(QTcpSocket *socket, const RequestHead &head,
        const Options &options, QString *error, QObject *parent = nullptr);
    // The same for a socket no front door has looked at (tests, tools): the complete head at the
    // start of its buffer is parsed with net::parseHead first; an incomplete or invalid head is
    // refused (its status, 400 for an incomplete one) like a refused upgrade.
    static RawWsTransport *accept(
        QTcpSocket *socket, const Options &options, QString *error, QObject *parent = nullptr);
    ~RawWsTransport() override;

    bool deflateNegotiated() const { return m_deflate.enabled; }
    const ws::DeflateParams &deflateParams() const { return m_deflate; }
    // Path and query of the request (its headers are the front door's business and not kept).
    QUrl requestUrl() const { return m_url; }
    // True when the connection runs on its own descriptor (plain TCP), false on a QSslSocket.
    bool ownsDescriptor() const;
    bool isOpen() const { return m_state == State::Open; }

    // WsTransport
    void sendText(const QByteArray &utf8) override;
    void sendBinary(const QByteArray &bytes) override;
    void sendTextUncompressed(const QByteArray &utf8) override;
    // Sends a close frame (an invalid `code` becomes 1000; 1005 sends an empty close frame),
    // then waits up to closeTimeoutMs for the peer's close before aborting.
    void close(int code, const QString &reason) override;
    qint64 pendingBytes() const override;

    // The broadcast path: writes the message's cached frame (deflated when negotiated and the
    // payload is at least compressThreshold bytes). No copy: the socket keeps a reference to
    // the shared frame bytes. Main thread only (see PreparedMessage).
    void sendPrepared(const std::shared_ptr<const ws::PreparedMessage> &message) override;

private:
    enum class State {
        Open, // messages flow both ways
        Closing, // our close frame sent, waiting for the peer's
        Draining, // handshake over or failed: TCP close in progress, input discarded
        Closed, // closed() emitted
    };

    RawWsTransport(ByteStream *stream, const Options &options, const QByteArray &target,
        const ws::DeflateParams &deflate, const QByteArray &early, QObject *parent);

    void onReadyRead();
    void decode(const char *data, qsizetype size);
    void handleMessage(ws::DecodedMessage message);
    void sendData(ws::Opcode opcode, const QByteArray &payload, bool compress = true);
    void write(const QByteArray &frame);
    void answerPing(const QByteArray &payload);
    void sendOwedPong();
    void failConnection(int code, const QString &reason);
    void shutdownTcp();
    void finish();

    ByteStream *m_stream; // owned (child)
    QTimer *m_closeTimer; // owned (child)
    Options m_options;
    ws::DeflateParams m_deflate;
    QUrl m_url;
    ws::FrameDecoder m_decoder;
    State m_state = State::Open;
    bool m_reading = false; // inside onReadyRead()
    bool m_pongOwed = false; // a ping arrived while frames were waiting; answered once they left
    QByteArray m_owedPong; // the latest such ping's payload (RFC 6455 section 5.5.3)
};

} // namespace jarvis::net
