#pragma once

// Helpers shared by the WebSocket tests and fuzz smoke drivers: hand-made client frames and a
// decoder driver that records what comes out as readable events.
#include "net/wsframe.h"

#include <QByteArray>
#include <QStringList>

#include <zlib.h>

namespace wstest {

using jarvis::net::ws::DecodedMessage;
using jarvis::net::ws::DecoderOptions;
using jarvis::net::ws::FrameDecoder;
using jarvis::net::ws::Opcode;

// A client frame: `b0` is the first byte as sent (FIN, RSV bits, opcode). The length uses the
// shortest form unless `lengthForm` forces 16 or 64 bits. `masked` false leaves the mask bit
// clear (and sends no key).
inline QByteArray frame(quint8 b0, const QByteArray &payload, quint32 mask = 0x37fa213d,
    int lengthForm = 0, bool masked = true)
{
    QByteArray out;
    out += char(b0);
    const quint64 size = quint64(payload.size());
    const quint8 maskBit = masked ? 0x80 : 0;
    if (lengthForm == 64 || (lengthForm == 0 && size > 0xFFFF)) {
        out += char(maskBit | 127);
        for (int i = 7; i >= 0; --i)
            out += char(uchar(size >> (8 * i)));
    } else if (lengthForm == 16 || (lengthForm == 0 && size >= 126)) {
        out += char(maskBit | 126);
        out += char(uchar(size >> 8));
        out += char(uchar(size));
    } else {
        out += char(maskBit | quint8(size));
    }
    if (!masked)
        return out + payload;
    const quint8 key[4] = {quint8(mask >> 24), quint8(mask >> 16), quint8(mask >> 8), quint8(mask)};
    for (int i = 0; i < 4; ++i)
        out += char(key[i]);
    for (qsizetype i = 0; i < payload.size(); ++i)
        out += char(uchar(payload[i]) ^ key[i & 3]);
    return out;
}

inline QByteArray text(const QByteArray &payload, bool fin = true)
{
    return frame((fin ? 0x80 : 0) | 0x1, payload);
}
inline QByteArray binary(const QByteArray &payload, bool fin = true)
{
    return frame((fin ? 0x80 : 0) | 0x2, payload);
}
inline QByteArray continuation(const QByteArray &payload, bool fin)
{
    return frame((fin ? 0x80 : 0) | 0x0, payload);
}
inline QByteArray closeFrame(int code, const QByteArray &reason = {})
{
    QByteArray payload;
    payload += char(uchar(code >> 8));
    payload += char(uchar(code));
    return frame(0x88, payload + reason);
}

// Raw deflate with Z_SYNC_FLUSH and the 00 00 ff ff tail removed (RFC 7692), from a caller-owned
// stream, so several messages can share one context (client context takeover).
class ClientDeflater
{
public:
    explicit ClientDeflater(int windowBits = 15, int level = 6)
    {
        deflateInit2(&m_z, level, Z_DEFLATED, -windowBits, 8, Z_DEFAULT_STRATEGY);
    }
    ~ClientDeflater() { deflateEnd(&m_z); }
    QByteArray compress(const QByteArray &data, bool resetAfter = false)
    {
        QByteArray out(int(deflateBound(&m_z, uLong(data.size()))) + 64, Qt::Uninitialized);
        m_z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.constData()));
        m_z.avail_in = uInt(data.size());
        qsizetype written = 0;
        do {
            if (out.size() - written < 64)
                out.resize(out.size() * 2);
            m_z.next_out = reinterpret_cast<Bytef *>(out.data() + written);
            m_z.avail_out = uInt(out.size() - written);
            const uInt before = m_z.avail_out;
            deflate(&m_z, Z_SYNC_FLUSH);
            written += before - m_z.avail_out;
        } while (m_z.avail_out == 0);
        out.truncate(written);
        if (out.endsWith(QByteArray("\x00\x00\xff\xff", 4)))
            out.chop(4);
        if (resetAfter)
            deflateReset(&m_z);
        return out;
    }

private:
    z_stream m_z {};
};

inline QString hex(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toHex());
}

inline QString describe(const DecodedMessage &message)
{
    switch (message.opcode) {
    case Opcode::Text:
        return QStringLiteral("text:") + QString::fromUtf8(message.payload);
    case Opcode::Binary:
        return QStringLiteral("binary:") + hex(message.payload);
    case Opcode::Ping:
        return QStringLiteral("ping:") + hex(message.payload);
    case Opcode::Pong:
        return QStringLiteral("pong:") + hex(message.payload);
    case Opcode::Close:
        return QStringLiteral("close:%1:%2")
            .arg(message.closeCode)
            .arg(QString::fromUtf8(message.payload));
    case Opcode::Continuation:
        break;
    }
    return QStringLiteral("?");
}

// Feeds `input` in pieces of `chunk` bytes (0: all at once) and lists the events:
// "text:...", "binary:<hex>", "ping:<hex>", "pong:<hex>", "close:<code>:<reason>",
// "error:<code>". Long texts are summarised as "text:<size>#<first 16 bytes>".
inline QStringList run(const QByteArray &input, const DecoderOptions &options, qsizetype chunk = 0)
{
    FrameDecoder decoder(options);
    QStringList events;
    qsizetype pos = 0;
    while (pos < input.size()) {
        const qsizetype piece =
            chunk > 0 ? std::min(chunk, input.size() - pos) : input.size() - pos;
        qsizetype offset = 0;
        while (offset < piece) {
            qsizetype used = 0;
            const auto result =
                decoder.decode(input.constData() + pos + offset, piece - offset, &used);
            offset += used;
            if (result == FrameDecoder::Result::Error) {
                events << QStringLiteral("error:%1").arg(decoder.errorCode());
                return events;
            }
            if (result == FrameDecoder::Result::NeedMore) {
                if (offset != piece)
                    events << QStringLiteral("bug:NeedMore without consuming everything");
                break;
            }
            const DecodedMessage message = decoder.takeMessage();
            if (message.payload.size() > 64 && message.opcode == Opcode::Text)
                events << QStringLiteral("text:%1#%2")
                              .arg(message.payload.size())
                              .arg(QString::fromUtf8(message.payload.left(16)));
            else if (message.payload.size() > 64 && message.opcode == Opcode::Binary)
                events << QStringLiteral("binary:%1#%2")
                              .arg(message.payload.size())
                              .arg(hex(message.payload.left(16)));
            else
                events << describe(message);
        }
        pos += piece;
    }
    return events;
}

} // namespace wstest
