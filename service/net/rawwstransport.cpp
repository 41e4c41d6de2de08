#include "net/rawwstransport.h"

#include "net/bytestream.h"
#include "net/halfclose.h"
#include "net/httphead.h"
#include "net/wsdeflate.h"

#include <QLoggingCategory>
#include <QPointer>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>

#include <fcntl.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcRawWs, "jarvis.ws")

namespace jarvis::net {

namespace {
constexpr qint64 MaxHeadLength = 64 * 1024;
constexpr qint64 ReadChunk = 16 * 1024;

ws::DecoderOptions decoderOptions(
    const RawWsTransportOptions &options, const ws::DeflateParams &deflate)
{
    ws::DecoderOptions decoder;
    decoder.maxPayload = options.maxPayload;
    decoder.deflate = deflate.enabled;
    decoder.inflateWindowBits = deflate.clientMaxWindowBits;
    decoder.clientNoContextTakeover = deflate.clientNoContextTakeover;
    return decoder;
}

// The byte stream for an upgraded connection. A plain TCP connection moves to its own descriptor
// (a copy; the front door's QTcpSocket, which read the request head, is closed and deleted): the
// transport then reads from the kernel into its stack buffer and writes to the kernel directly,
// and an idle WebSocket keeps no QIODevice buffers (a QTcpSocket keeps its last 16 KiB read chunk
// and 32 KiB write chunk for its whole life, and Qt 6.4 ignores QIODevice::Unbuffered for sockets
// made from a descriptor). A TLS connection keeps its QSslSocket; so does any connection whose
// descriptor cannot be copied.
ByteStream *streamFor(QTcpSocket *socket)
{
    if (!qobject_cast<QSslSocket *>(socket) && socket->bytesToWrite() == 0) {
        const qintptr fd = socket->socketDescriptor();
        const int copy = fd < 0 ? -1 : ::fcntl(int(fd), F_DUPFD_CLOEXEC, 0);
        if (copy >= 0) {
            socket->disconnect();
            socket->abort(); // closes the original descriptor only; the connection stays
            socket->deleteLater();
            return new FdStream(copy);
        }
    }
    return new SocketStream(socket);
}
} // namespace

RawWsTransport *RawWsTransport::accept(
    QTcpSocket *socket, const Options &options, QString *error, QObject *parent)
{
    if (!socket) {
        if (error)
            *error = QStringLiteral("no socket");
        return nullptr;
    }
    RequestHead head;
    QString why;
    int status = 400;
    switch (parseHead(socket->peek(MaxHeadLength), &head, &why, &status)) {
    case HeadStatus::Complete:
        return accept(socket, head, options, error, parent);
    case HeadStatus::Incomplete:
        why = QStringLiteral("incomplete request head");
        status = 400;
        break;
    case HeadStatus::Invalid:
        break;
    }
    if (error)
        *error = why;
    answerAndClose(socket, ws::errorResponse(status, why), options.closeTimeoutMs);
    return nullptr;
}

RawWsTransport *RawWsTransport::accept(QTcpSocket *socket, const RequestHead &head,
    const Options &options, QString *error, QObject *parent)
{
    auto setError = [error](const QString &text) {
        if (error)
            *error = text;
    };
    if (!socket) {
        setError(QStringLiteral("no socket"));
        return nullptr;
    }
    socket->skip(head.length);

    ws::DeflatePolicy policy;
    policy.enabled = options.permessageDeflate;
    policy.clientMaxWindowBits = options.clientMaxWindowBits;
    policy.clientNoContextTakeover = options.clientNoContextTakeover;
    const ws::HandshakeResult result =
        ws::processHandshake(head.method, head.version, head.headers, policy);
    if (!result.ok()) {
        setError(result.error);
        answerAndClose(socket, result.response, options.closeTimeoutMs);
        return nullptr;
    }
    // Frames the client sent right behind the head (already in the socket's buffer) are decoded
    // by the transport first, whichever stream it gets.
    const QByteArray early = socket->readAll();
    ByteStream *stream = streamFor(socket);
    stream->write(result.response);
    return new RawWsTransport(stream, options, head.target, result.deflate, early, parent);
}

RawWsTransport::RawWsTransport(ByteStream *stream, const Options &options, const QByteArray &target,
    const ws::DeflateParams &deflate, const QByteArray &early, QObject *parent)
    : WsTransport(parent)
    , m_stream(stream)
    , m_closeTimer(new QTimer(this))
    , m_options(options)
    , m_deflate(deflate)
    , m_url(QUrl::fromEncoded(target))
    , m_decoder(decoderOptions(options, deflate))
{
    m_stream->setParent(this);
    m_closeTimer->setSingleShot(true);
    connect(m_closeTimer, &QTimer::timeout, this, [this] {
        m_stream->abort();
        finish();
    });
    connect(m_stream, &ByteStream::readyRead, this, &RawWsTransport::onReadyRead);
    connect(m_stream, &ByteStream::closed, this, &RawWsTransport::finish);
    connect(m_stream, &ByteStream::drained, this, [this] {
        sendOwedPong();
        if (m_state == State::Open && m_stream->bytesToWrite() == 0)
            Q_EMIT drained();
    });
    // Frames that arrived with the head produce no new readyRead. Look from the event loop,
    // after the caller has connected its slots.
    QMetaObject::invokeMethod(
        this,
        [this, early] {
            QPointer<RawWsTransport> self(this);
            if (!early.isEmpty())
                decode(early.constData(), early.size());
            if (self && m_state != State::Closed)
                onReadyRead();
        },
        Qt::QueuedConnection);
}

RawWsTransport::~RawWsTransport() = default;

bool RawWsTransport::ownsDescriptor() const
{
    return qobject_cast<FdStream *>(m_stream) != nullptr;
}

void RawWsTransport::sendText(const QByteArray &utf8)
{
    sendData(ws::Opcode::Text, utf8);
}

void RawWsTransport::sendBinary(const QByteArray &bytes)
{
    sendData(ws::Opcode::Binary, bytes);
}

void RawWsTransport::sendTextUncompressed(const QByteArray &utf8)
{
    sendData(ws::Opcode::Text, utf8, false);
}

void RawWsTransport::sendData(ws::Opcode opcode, const QByteArray &payload, bool compress)
{
    if (m_state != State::Open)
        return;
    if (compress && m_deflate.enabled && payload.size() >= m_options.compressThreshold) {
        const QByteArray compressed =
            ws::Deflater::shared(m_options.compressionLevel).compressMessage(payload);
        if (!compressed.isNull() && compressed.size() < payload.size()) {
            write(ws::encodeFrame(opcode, compressed, true, true));
            return;
        }
    }
    write(ws::encodeFrame(opcode, payload));
}

void RawWsTransport::write(const QByteArray &frame)
{
    if (m_state == State::Closed)
        return;
    m_stream->write(frame);
    if (m_stream->bytesToWrite() > m_options.maxOutboundBytes) {
        // The client does not read what it is sent (or asks for more than it reads): a close
        // frame would only wait behind the rest, so the connection goes now.
        qCInfo(lcRawWs) << "dropping a WebSocket connection with" << m_stream->bytesToWrite()
                        << "bytes unsent (limit" << m_options.maxOutboundBytes << ")";
        m_stream->abort();
        finish();
    }
}

void RawWsTransport::answerPing(const QByteArray &payload)
{
    // Only the latest ping that is not answered yet gets a pong (RFC 6455 section 5.5.3): while
    // earlier frames still wait to go out, a ping is remembered instead of queueing a pong behind
    // them, so a client that pings and never reads cannot make the queue grow.
    if (m_stream->bytesToWrite() == 0) {
        write(ws::encodeFrame(ws::Opcode::Pong, payload));
        return;
    }
    m_owedPong = payload;
    m_pongOwed = true;
}

void RawWsTransport::sendOwedPong()
{
    if (!m_pongOwed || m_state != State::Open)
        return;
    m_pongOwed = false;
    write(ws::encodeFrame(ws::Opcode::Pong, std::exchange(m_owedPong, {})));
}

void RawWsTransport::sendPrepared(const std::shared_ptr<const ws::PreparedMessage> &message)
{
    if (m_state != State::Open || !message)
        return;
    const bool deflate =
        m_deflate.enabled && message->payload().size() >= m_options.compressThreshold;
    // What the kernel does not take now is queued as a shallow copy of the shared frame.
    write(message->frame(deflate));
}

void RawWsTransport::close(int code, const QString &reason)
{
    if (m_state != State::Open)
        return;
    const int wireCode = code == ws::CloseCode::NoStatus || ws::isValidCloseCode(code)
        ? code
        : ws::CloseCode::Normal;
    write(ws::encodeCloseFrame(wireCode, reason.toUtf8()));
    m_state = State::Closing;
    m_closeTimer->start(m_options.closeTimeoutMs);
}

qint64 RawWsTransport::pendingBytes() const
{
    return m_stream->bytesToWrite();
}

void RawWsTransport::onReadyRead()
{
    // A QSslSocket may emit readyRead from inside a write (its flush also decrypts what came
    // in): the read loop below is already running then, and picks the data up.
    if (m_reading)
        return;
    QPointer<RawWsTransport> self(this);
    m_reading = true;
    char buffer[ReadChunk];
    while (m_state != State::Closed) {
        const qint64 read = m_stream->read(buffer, ReadChunk);
        if (read <= 0)
            break; // nothing more now, or the end (the stream's closed() follows)
        decode(buffer, qsizetype(read));
        if (!self)
            return;
    }
    m_reading = false;
}

void RawWsTransport::decode(const char *data, qsizetype size)
{
    if (m_state == State::Draining || m_state == State::Closed)
        return; // the conversation is over; discard what still comes
    QPointer<RawWsTransport> self(this);
    qsizetype offset = 0;
    while (offset < size && (m_state == State::Open || m_state == State::Closing)) {
        qsizetype used = 0;
        const ws::FrameDecoder::Result result =
            m_decoder.decode(QByteArrayView(data + offset, size - offset), &used);
        offset += used;
        if (result == ws::FrameDecoder::Result::NeedMore)
            break;
        if (result == ws::FrameDecoder::Result::Error) {
            failConnection(m_decoder.errorCode(), m_decoder.errorReason());
            return;
        }
        handleMessage(m_decoder.takeMessage());
        if (!self)
            return;
    }
}

void RawWsTransport::handleMessage(ws::DecodedMessage message)
{
    switch (message.opcode) {
    case ws::Opcode::Text:
        if (m_state == State::Open)
            Q_EMIT textReceived(message.payload);
        break;
    case ws::Opcode::Binary:
        if (m_state == State::Open)
            Q_EMIT binaryReceived(message.payload);
        break;
    case ws::Opcode::Ping:
        if (m_state == State::Open)
            answerPing(message.payload);
        break;
    case ws::Opcode::Pong:
        break;
    case ws::Opcode::Close:
        if (m_state == State::Open) {
            const int code = message.closeCode == ws::CloseCode::NoStatus ? ws::CloseCode::Normal
                                                                          : message.closeCode;
            write(ws::encodeCloseFrame(code));
        }
        shutdownTcp();
        break;
    case ws::Opcode::Continuation:
        break;
    }
}

void RawWsTransport::failConnection(int code, const QString &reason)
{
    if (m_state == State::Open)
        write(ws::encodeCloseFrame(code, reason.toUtf8()));
    shutdownTcp();
}

void RawWsTransport::shutdownTcp()
{
    if (m_state == State::Draining || m_state == State::Closed)
        return;
    m_state = State::Draining;
    m_closeTimer->stop();
    // Our close frame goes out, then the end of our stream; what the peer still sends is read and
    // dropped until it closes or closeTimeoutMs runs out (net::HalfClose, which the QtWebSockets
    // transport uses too). The stream stays ours (pendingBytes()), a grandchild now.
    disconnect(m_stream, &ByteStream::readyRead, this, nullptr);
    auto *halfClose = new HalfClose(m_stream, m_options.closeTimeoutMs, this);
    connect(halfClose, &HalfClose::finished, this, &RawWsTransport::finish);
}

void RawWsTransport::finish()
{
    if (m_state == State::Closed)
        return;
    m_state = State::Closed;
    m_closeTimer->stop();
    // Always from the event loop: a send (flush) can find the peer gone, and the caller may be
    // iterating over its transports at that moment.
    QMetaObject::invokeMethod(this, &WsTransport::closed, Qt::QueuedConnection);
}

} // namespace jarvis::net
