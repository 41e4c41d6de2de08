#pragma once

#include "net/wsdeflate.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <memory>

// RFC 6455 framing for the server side: an incremental decoder for client frames that enforces
// the same rules as the npm `ws` server, and an encoder for (unmasked) server frames.
namespace jarvis::net::ws {

enum class Opcode : quint8 {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

namespace CloseCode {
inline constexpr int Normal = 1000;
inline constexpr int GoingAway = 1001;
inline constexpr int ProtocolError = 1002;
inline constexpr int UnsupportedData = 1003;
inline constexpr int NoStatus = 1005; // never on the wire: a close frame without payload
inline constexpr int Abnormal = 1006; // never on the wire: connection lost without close frame
inline constexpr int InvalidPayload = 1007;
inline constexpr int PolicyViolation = 1008;
inline constexpr int MessageTooBig = 1009;
inline constexpr int InternalError = 1011;
} // namespace CloseCode

// Whether `code` may be sent in a close frame (ws's isValidStatusCode): 1000-1014 except
// 1004-1006, and 3000-4999.
bool isValidCloseCode(int code);

// Incremental UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
// feed() fails as soon as the bytes seen so far cannot start valid UTF-8, so a bad text message
// is rejected without waiting for its end. Plain value type.
class Utf8Validator
{
public:
    // False once the input so far is not a prefix of valid UTF-8 (and from then on).
    bool feed(const char *data, qsizetype size);
    bool feed(QByteArrayView data) { return feed(data.data(), data.size()); }
    // True when everything fed is valid and ends on a character boundary.
    bool isComplete() const { return !m_invalid && m_needed == 0; }
    bool isInvalid() const { return m_invalid; }
    void reset() { *this = Utf8Validator(); }

private:
    quint8 m_needed = 0; // continuation bytes still expected
    quint8 m_lower = 0x80; // bounds of the next continuation byte
    quint8 m_upper = 0xBF;
    bool m_invalid = false;
};

bool isValidUtf8(QByteArrayView data);

// Size of the header of an unmasked server frame carrying `payloadSize` bytes (2, 4 or 10).
qsizetype serverFrameHeaderSize(qint64 payloadSize);
// One complete unmasked server frame.
QByteArray encodeFrame(Opcode opcode, QByteArrayView payload, bool fin = true, bool rsv1 = false);
// A close frame: 2-byte code plus the reason cut to 123 bytes (at a UTF-8 boundary). `code`
// 1005 (NoStatus) or 0 gives an empty close frame.
QByteArray encodeCloseFrame(int code, QByteArrayView reason = {});

// What the decoder is allowed to accept on one connection.
struct DecoderOptions
{
    qint64 maxPayload = 1000000; // per message, after inflation; <= 0 means no limit
    bool deflate = false; // permessage-deflate negotiated
    int inflateWindowBits = 15; // negotiated client_max_window_bits
    bool clientNoContextTakeover = false;
};

// One complete message (data message assembled from its fragments, or a control frame).
struct DecodedMessage
{
    Opcode opcode = Opcode::Text; // Text, Binary, Close, Ping or Pong
    QByteArray payload; // for Close: the reason only
    int closeCode = CloseCode::NoStatus; // Close only; NoStatus when the frame had no payload
};

// Decodes the frames a client sends, incrementally: feed it whatever the socket delivered, in
// any split, and it returns each message as soon as it is complete. Payload bytes are unmasked
// straight into the message being assembled (or into the inflater), so apart from the message
// itself (bounded by maxPayload, checked from each frame header before any payload is taken)
// nothing is buffered. Rules (all from RFC 6455 / 7692, as the npm `ws` server applies them):
// client frames masked; RSV1 only with permessage-deflate and only on the first frame of a data
// message; RSV2/RSV3 clear; known opcodes only; control frames <= 125 bytes, FIN set, never
// compressed; no continuation without an open message and no new data message while one is
// open; 64-bit lengths with the top bit clear; close payload not 1 byte, valid close code, UTF-8
// reason; text valid UTF-8 (checked as it arrives, after inflation if compressed).
// After a Close frame the decoder swallows everything. Errors are final.
// Owns its Inflater. Not thread-safe (one per connection, used on the connection's thread).
class FrameDecoder
{
public:
    enum class Result {
        NeedMore, // all input consumed, no complete message yet
        Message, // a message is ready: takeMessage()
        Error, // protocol violation: errorCode()/errorReason(); the connection must be failed
    };

    explicit FrameDecoder(const DecoderOptions &options = {});
    ~FrameDecoder();
    FrameDecoder(const FrameDecoder &) = delete;
    FrameDecoder &operator=(const FrameDecoder &) = delete;

    // Consumes a prefix of `data`, up to the end of the first message completed in it, and
    // stores how many bytes in `*consumed`. Call again with the rest (data + *consumed).
    Result decode(const char *data, qsizetype size, qsizetype *consumed);
    Result decode(QByteArrayView data, qsizetype *consumed)
    {
        return decode(data.data(), data.size(), consumed);
    }

    DecodedMessage takeMessage();

    bool hasError() const { return m_errorCode != 0; }
    // The close code to send: 1002, 1007 or 1009.
    int errorCode() const { return m_errorCode; }
    QString errorReason() const { return m_errorReason; }
    // True once a Close frame has been decoded.
    bool closeReceived() const { return m_closeReceived; }
    // Bytes held for the message being assembled (for tests and memory accounting).
    qsizetype bufferedBytes() const { return m_message.size() + m_control.size(); }

private:
    enum class State { Header, Payload };
    enum class HeaderStage { First, Length, Mask };

    Result fail(int code, const QString &reason);
    Result firstBytes();
    Result lengthKnown();
    Result headerComplete();
    Result frameComplete();
    bool consumeData(const char *data, qsizetype size);
    bool checkInflated(Inflater::Status status, qsizetype from, bool text);
    void unmaskInto(char *out, const char *in, qsizetype size, qint64 offset) const;

    DecoderOptions m_options;
    qint64 m_limit;
    std::unique_ptr<Inflater> m_inflater;

    State m_state = State::Header;
    HeaderStage m_headerStage = HeaderStage::First;
    quint8 m_header[14] = {};
    int m_headerHave = 0;
    int m_headerNeed = 2;

    // Current frame.
    bool m_fin = false;
    quint8 m_opcode = 0;
    quint8 m_mask[4] = {};
    qint64 m_payloadLength = 0;
    qint64 m_payloadDone = 0;

    // Current data message (may span frames).
    quint8 m_messageOpcode = 0; // 0 when no data message is open
    bool m_compressed = false;
    qint64 m_messageWireBytes = 0;
    QByteArray m_message;
    Utf8Validator m_utf8;

    QByteArray m_control;
    DecodedMessage m_ready;

    bool m_closeReceived = false;
    int m_errorCode = 0;
    QString m_errorReason;
};

} // namespace jarvis::net::ws
