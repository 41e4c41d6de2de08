#include "net/wsframe.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace jarvis::net::ws {

namespace {
constexpr int MaxControlPayload = 125;
constexpr qsizetype InflateInputChunk = 8192;

QString tr(const char *text)
{
    return QString::fromLatin1(text);
}
} // namespace

bool isValidCloseCode(int code)
{
    return (code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006)
        || (code >= 3000 && code <= 4999);
}

bool Utf8Validator::feed(const char *data, qsizetype size)
{
    if (m_invalid)
        return false;
    const auto *p = reinterpret_cast<const uchar *>(data);
    const auto *end = p + size;
    while (p < end) {
        if (m_needed == 0) {
            // ASCII runs, eight bytes at a time.
            while (end - p >= 8) {
                quint64 word;
                std::memcpy(&word, p, 8);
                if (word & 0x8080808080808080ULL)
                    break;
                p += 8;
            }
            if (p == end)
                break;
            const uchar c = *p++;
            if (c < 0x80)
                continue;
            m_lower = 0x80;
            m_upper = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                m_needed = 1;
            } else if (c == 0xE0) {
                m_needed = 2;
                m_lower = 0xA0; // no overlong 3-byte forms
            } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
                m_needed = 2;
            } else if (c == 0xED) {
                m_needed = 2;
                m_upper = 0x9F; // no surrogates
            } else if (c == 0xF0) {
                m_needed = 3;
                m_lower = 0x90; // no overlong 4-byte forms
            } else if (c >= 0xF1 && c <= 0xF3) {
                m_needed = 3;
            } else if (c == 0xF4) {
                m_needed = 3;
                m_upper = 0x8F; // nothing above U+10FFFF
            } else {
                m_invalid = true; // continuation byte, C0/C1 overlongs, F5..FF
                return false;
            }
        } else {
            const uchar c = *p++;
            if (c < m_lower || c > m_upper) {
                m_invalid = true;
                return false;
            }
            m_lower = 0x80;
            m_upper = 0xBF;
            --m_needed;
        }
    }
    return true;
}

bool isValidUtf8(QByteArrayView data)
{
    Utf8Validator validator;
    return validator.feed(data) && validator.isComplete();
}

qsizetype serverFrameHeaderSize(qint64 payloadSize)
{
    if (payloadSize < 126)
        return 2;
    if (payloadSize <= 0xFFFF)
        return 4;
    return 10;
}

QByteArray encodeFrame(Opcode opcode, QByteArrayView payload, bool fin, bool rsv1)
{
    const qint64 size = payload.size();
    const qsizetype headerSize = serverFrameHeaderSize(size);
    QByteArray frame(headerSize + payload.size(), Qt::Uninitialized);
    auto *out = reinterpret_cast<uchar *>(frame.data());
    out[0] = uchar((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | quint8(opcode));
    if (headerSize == 2) {
        out[1] = uchar(size);
    } else if (headerSize == 4) {
        out[1] = 126;
        out[2] = uchar(size >> 8);
        out[3] = uchar(size);
    } else {
        out[1] = 127;
        for (int i = 0; i < 8; ++i)
            out[2 + i] = uchar(quint64(size) >> (56 - 8 * i));
    }
    if (size > 0)
        std::memcpy(out + headerSize, payload.data(), size_t(size));
    return frame;
}

QByteArray encodeCloseFrame(int code, QByteArrayView reason)
{
    if (code == 0 || code == CloseCode::NoStatus)
        return encodeFrame(Opcode::Close, {});
    qsizetype cut = reason.size();
    if (cut > MaxControlPayload - 2) {
        cut = MaxControlPayload - 2;
        // Back up to the start of a character so the reason stays valid UTF-8.
        while (cut > 0 && (uchar(reason[cut]) & 0xC0) == 0x80)
            --cut;
    }
    QByteArray payload(2 + cut, Qt::Uninitialized);
    payload[0] = char(uchar(code >> 8));
    payload[1] = char(uchar(code));
    if (cut > 0)
        std::memcpy(payload.data() + 2, reason.data(), size_t(cut));
    return encodeFrame(Opcode::Close, payload);
}

FrameDecoder::FrameDecoder(const DecoderOptions &options)
    : m_options(options)
    , m_limit(options.maxPayload > 0 ? options.maxPayload : std::numeric_limits<qint64>::max())
{
    if (m_options.deflate)
        m_inflater = std::make_unique<Inflater>(
            m_options.inflateWindowBits, m_options.clientNoContextTakeover);
}

FrameDecoder::~FrameDecoder() = default;

FrameDecoder::Result FrameDecoder::fail(int code, const QString &reason)
{
    m_errorCode = code;
    m_errorReason = reason;
    m_message = QByteArray();
    m_control = QByteArray();
    if (m_inflater)
        m_inflater->reset();
    return Result::Error;
}

DecodedMessage FrameDecoder::takeMessage()
{
    return std::exchange(m_ready, DecodedMessage());
}

void FrameDecoder::unmaskInto(char *out, const char *in, qsizetype size, qint64 offset) const
{
    // The mask key rotated to the payload offset, repeated over eight bytes.
    quint8 key[8];
    for (int i = 0; i < 8; ++i)
        key[i] = m_mask[(offset + i) & 3];
    quint64 key64;
    std::memcpy(&key64, key, 8);
    qsizetype i = 0;
    for (; i + 8 <= size; i += 8) {
        quint64 word;
        std::memcpy(&word, in + i, 8);
        word ^= key64;
        std::memcpy(out + i, &word, 8);
    }
    for (; i < size; ++i)
        out[i] = char(uchar(in[i]) ^ key[i & 7]);
}

FrameDecoder::Result FrameDecoder::decode(const char *data, qsizetype size, qsizetype *consumed)
{
    *consumed = 0;
    if (m_errorCode != 0)
        return Result::Error;
    if (m_closeReceived) {
        // Nothing after a close frame counts (RFC 6455 5.5.1).
        *consumed = size;
        return Result::NeedMore;
    }

    const char *p = data;
    const char *const end = data + size;
    while (p < end) {
        if (m_state == State::Header) {
            const int take = int(std::min<qsizetype>(end - p, m_headerNeed - m_headerHave));
            std::memcpy(m_header + m_headerHave, p, size_t(take));
            m_headerHave += take;
            p += take;
            if (m_headerHave < m_headerNeed)
                break;
            Result result = Result::NeedMore;
            if (m_headerStage == HeaderStage::First) {
                result = firstBytes();
                if (result == Result::Error) {
                    *consumed = p - data;
                    return result;
                }
                m_headerStage = HeaderStage::Length;
                if (m_headerHave < m_headerNeed)
                    continue; // extended length to come
            }
            if (m_headerStage == HeaderStage::Length) {
                // The length is judged before anything else is read.
                result = lengthKnown();
                if (result == Result::Error) {
                    *consumed = p - data;
                    return result;
                }
                m_headerStage = HeaderStage::Mask;
                m_headerNeed += 4;
                continue;
            }
            result = headerComplete();
            if (result != Result::NeedMore) {
                *consumed = p - data;
                return result;
            }
        } else {
            const qsizetype take =
                qsizetype(std::min<qint64>(end - p, m_payloadLength - m_payloadDone));
            if (!consumeData(p, take)) {
                *consumed = p - data;
                return Result::Error;
            }
            p += take;
            m_payloadDone += take;
            if (m_payloadDone == m_payloadLength) {
                const Result result = frameComplete();
                if (result != Result::NeedMore) {
                    *consumed = p - data;
                    return result;
                }
            }
        }
    }
    *consumed = p - data;
    return Result::NeedMore;
}

FrameDecoder::Result FrameDecoder::firstBytes()
{
    // Everything but the length and the mask can be judged from the first two bytes.
    const quint8 b0 = m_header[0];
    const quint8 b1 = m_header[1];
    const bool rsv1 = b0 & 0x40;
    m_fin = b0 & 0x80;
    m_opcode = b0 & 0x0F;
    const int length7 = b1 & 0x7F;
    if (b0 & 0x30)
        return fail(CloseCode::ProtocolError, tr("RSV2 and RSV3 must be clear"));
    if (rsv1 && !m_options.deflate)
        return fail(CloseCode::ProtocolError, tr("RSV1 must be clear"));
    if (m_opcode == 0x0) {
        if (rsv1)
            return fail(CloseCode::ProtocolError, tr("RSV1 must be clear"));
        if (m_messageOpcode == 0)
            return fail(CloseCode::ProtocolError, tr("invalid opcode 0"));
    } else if (m_opcode == 0x1 || m_opcode == 0x2) {
        if (m_messageOpcode != 0)
            return fail(
                CloseCode::ProtocolError, QStringLiteral("invalid opcode %1").arg(m_opcode));
    } else if (m_opcode >= 0x8 && m_opcode <= 0xA) {
        if (!m_fin)
            return fail(CloseCode::ProtocolError, tr("FIN must be set"));
        if (rsv1)
            return fail(CloseCode::ProtocolError, tr("RSV1 must be clear"));
        if (length7 > MaxControlPayload || (m_opcode == 0x8 && length7 == 1))
            return fail(
                CloseCode::ProtocolError, QStringLiteral("invalid payload length %1").arg(length7));
    } else {
        return fail(CloseCode::ProtocolError, QStringLiteral("invalid opcode %1").arg(m_opcode));
    }
    if (!(b1 & 0x80))
        return fail(CloseCode::ProtocolError, tr("MASK must be set"));
    m_headerNeed = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0);
    return Result::NeedMore;
}

FrameDecoder::Result FrameDecoder::lengthKnown()
{
    const int length7 = m_header[1] & 0x7F;
    quint64 length = quint64(length7);
    if (length7 == 126) {
        length = (quint64(m_header[2]) << 8) | m_header[3];
    } else if (length7 == 127) {
        length = 0;
        for (int i = 0; i < 8; ++i)
            length = (length << 8) | m_header[2 + i];
        if (length >> 63)
            return fail(CloseCode::ProtocolError,
                tr("invalid payload length: the most significant bit must be 0"));
    }
    m_payloadLength = qint64(length);

    if (m_opcode < 0x8) {
        if (m_opcode != 0) {
            m_messageOpcode = m_opcode;
            m_compressed = m_header[0] & 0x40;
            m_messageWireBytes = 0;
            m_message = QByteArray();
            m_utf8.reset();
        }
        // The limit is checked from the header, before any payload is taken: the wire bytes of
        // the whole message so far (compressed or not), as ws does. Inflated output is capped
        // separately by the inflater.
        if (m_payloadLength > 0) {
            if (m_payloadLength > m_limit - m_messageWireBytes)
                return fail(CloseCode::MessageTooBig, tr("Max payload size exceeded"));
            m_messageWireBytes += m_payloadLength;
        }
    }
    return Result::NeedMore;
}

FrameDecoder::Result FrameDecoder::headerComplete()
{
    std::memcpy(m_mask, m_header + m_headerNeed - 4, 4);
    if (m_opcode >= 0x8)
        m_control.clear();
    m_payloadDone = 0;
    m_state = State::Payload;
    if (m_payloadLength == 0)
        return frameComplete();
    return Result::NeedMore;
}

bool FrameDecoder::consumeData(const char *data, qsizetype size)
{
    if (size <= 0)
        return true;
    if (m_opcode >= 0x8) {
        const qsizetype old = m_control.size();
        m_control.resize(old + size);
        unmaskInto(m_control.data() + old, data, size, m_payloadDone);
        return true;
    }

    const bool text = m_messageOpcode == quint8(Opcode::Text);
    if (!m_compressed) {
        const qsizetype old = m_message.size();
        if (m_message.capacity() - old < size) {
            // Grow with what has arrived (doubling), never beyond the rest of this frame: a
            // header promising a large frame reserves nothing until the bytes come.
            const qint64 frameRest = m_payloadLength - m_payloadDone;
            const qint64 grow =
                std::min<qint64>(std::max<qint64>({qint64(size), qint64(old), 4096}), frameRest);
            m_message.reserve(qsizetype(old + grow));
        }
        m_message.resize(old + size);
        unmaskInto(m_message.data() + old, data, size, m_payloadDone);
        if (text && !m_utf8.feed(m_message.constData() + old, size)) {
            fail(CloseCode::InvalidPayload, tr("invalid UTF-8 sequence"));
            return false;
        }
        return true;
    }

    // Compressed: unmask a piece at a time into a small buffer and inflate it right away.
    char chunk[InflateInputChunk];
    qsizetype done = 0;
    while (done < size) {
        const qsizetype piece = std::min(size - done, InflateInputChunk);
        unmaskInto(chunk, data + done, piece, m_payloadDone + done);
        const qsizetype old = m_message.size();
        const Inflater::Status status =
            m_inflater->inflate(QByteArrayView(chunk, piece), &m_message, m_limit);
        if (!checkInflated(status, old, text))
            return false;
        done += piece;
    }
    return true;
}

bool FrameDecoder::checkInflated(Inflater::Status status, qsizetype from, bool text)
{
    // Whatever was inflated is validated before the inflater's verdict is looked at, so the
    // error reported does not depend on how the input was split.
    if (text && !m_utf8.feed(m_message.constData() + from, m_message.size() - from)) {
        fail(CloseCode::InvalidPayload, tr("invalid UTF-8 sequence"));
        return false;
    }
    if (status == Inflater::Status::TooBig) {
        fail(CloseCode::MessageTooBig, tr("Max payload size exceeded"));
        return false;
    }
    if (status == Inflater::Status::Corrupt) {
        fail(CloseCode::InvalidPayload, m_inflater->errorString());
        return false;
    }
    return true;
}

FrameDecoder::Result FrameDecoder::frameComplete()
{
    m_state = State::Header;
    m_headerStage = HeaderStage::First;
    m_headerHave = 0;
    m_headerNeed = 2;

    if (m_opcode >= 0x8) {
        if (m_opcode == quint8(Opcode::Close)) {
            DecodedMessage message;
            message.opcode = Opcode::Close;
            if (!m_control.isEmpty()) {
                const int code = (uchar(m_control[0]) << 8) | uchar(m_control[1]);
                if (!isValidCloseCode(code))
                    return fail(CloseCode::ProtocolError,
                        QStringLiteral("invalid status code %1").arg(code));
                message.payload = m_control.mid(2);
                if (!isValidUtf8(message.payload))
                    return fail(CloseCode::InvalidPayload, tr("invalid UTF-8 sequence"));
                message.closeCode = code;
            }
            m_control = QByteArray();
            m_closeReceived = true;
            m_ready = std::move(message);
            return Result::Message;
        }
        m_ready = DecodedMessage {
            Opcode(m_opcode), std::exchange(m_control, QByteArray()), CloseCode::NoStatus};
        return Result::Message;
    }

    if (!m_fin)
        return Result::NeedMore;

    const bool text = m_messageOpcode == quint8(Opcode::Text);
    if (m_compressed) {
        const qsizetype old = m_message.size();
        const Inflater::Status status = m_inflater->finishMessage(&m_message, m_limit);
        if (!checkInflated(status, old, text))
            return Result::Error;
    }
    if (text && !m_utf8.isComplete())
        return fail(CloseCode::InvalidPayload, tr("invalid UTF-8 sequence"));

    m_ready = DecodedMessage {
        Opcode(m_messageOpcode), std::exchange(m_message, QByteArray()), CloseCode::NoStatus};
    m_messageOpcode = 0;
    m_compressed = false;
    m_messageWireBytes = 0;
    m_utf8.reset();
    return Result::Message;
}

} // namespace jarvis::net::ws
