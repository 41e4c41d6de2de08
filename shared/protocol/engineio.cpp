#include "engineio.h"

#include <QByteArrayView>

// Engine.IO v4 codec. Wire rules (https://github.com/socketio/engine.io-protocol, v4):
//  - a text packet is "<type digit><data>"; a binary Message travels as a WebSocket binary frame
//    without any prefix, or, where only text is possible (polling payloads), as "b<base64>";
//  - a polling payload is the encoded packets joined by the record separator 0x1e.
// The decoders follow engine.io-parser (decodePacket accepts "b<base64>" in any text packet) but
// are stricter: invalid UTF-8, bad base64 and empty records are errors instead of being let
// through.

namespace jarvis::eio {

namespace {

bool fail(DecodeError *error, const QString &message)
{
    if (error)
        error->message = message;
    return false;
}

bool isKnownType(char c)
{
    return c >= '0' && c <= '6';
}

bool isBase64Char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+'
        || c == '/';
}

// Standard, padded base64 (what Node's Buffer and the browser's FileReader produce): a multiple of
// four characters from the standard alphabet, with at most two '=' and only at the very end.
bool isStrictBase64(QByteArrayView text)
{
    const qsizetype size = text.size();
    if (size % 4 != 0)
        return false;
    qsizetype padding = 0;
    if (size > 0 && text[size - 1] == '=')
        ++padding;
    if (size > 1 && text[size - 2] == '=')
        ++padding;
    for (qsizetype i = 0; i < size - padding; ++i) {
        if (!isBase64Char(text[i]))
            return false;
    }
    return true;
}

// Decodes one encoded packet (a WebSocket text frame or one payload record).
std::optional<Packet> decodeRecord(QByteArrayView record, DecodeError *error)
{
    if (record.isEmpty()) {
        fail(error, QStringLiteral("empty packet"));
        return std::nullopt;
    }
    const char type = record[0];
    if (type == 'b') {
        const QByteArrayView base64 = record.sliced(1);
        if (!isStrictBase64(base64)) {
            fail(error, QStringLiteral("invalid base64 in binary packet"));
            return std::nullopt;
        }
        return binaryMessage(QByteArray::fromBase64(base64.toByteArray()));
    }
    if (!isKnownType(type)) {
        const int code = static_cast<unsigned char>(type);
        fail(error, QStringLiteral("unknown packet type 0x%1").arg(code, 2, 16, QLatin1Char('0')));
        return std::nullopt;
    }
    if (!record.isValidUtf8()) {
        fail(error, QStringLiteral("packet is not valid UTF-8"));
        return std::nullopt;
    }
    Packet packet;
    packet.type = static_cast<PacketType>(type);
    packet.data = record.sliced(1).toByteArray();
    packet.binary = false;
    return packet;
}

} // namespace

QByteArray encodeText(const Packet &packet)
{
    return encodePayloadRecord(packet);
}

std::optional<Packet> decodeText(const QByteArray &frame, DecodeError *error)
{
    return decodeRecord(QByteArrayView(frame), error);
}

Packet binaryMessage(const QByteArray &bytes)
{
    Packet packet;
    packet.type = PacketType::Message;
    packet.data = bytes;
    packet.binary = true;
    return packet;
}

QByteArray encodePayloadRecord(const Packet &packet)
{
    if (packet.binary && packet.type == PacketType::Message)
        return 'b' + packet.data.toBase64();
    QByteArray out;
    out.reserve(packet.data.size() + 1);
    out.append(static_cast<char>(packet.type));
    out.append(packet.data);
    return out;
}

QByteArray encodePayload(const QList<Packet> &packets)
{
    QByteArray out;
    for (qsizetype i = 0; i < packets.size(); ++i) {
        if (i > 0)
            out.append(RecordSeparator);
        out.append(encodePayloadRecord(packets[i]));
    }
    return out;
}

std::optional<QList<Packet>> decodePayload(
    const QByteArray &body, DecodeError *error, int maxPackets)
{
    if (body.isEmpty()) {
        fail(error, QStringLiteral("empty payload"));
        return std::nullopt;
    }
    const qsizetype records = body.count(RecordSeparator) + 1;
    if (records > qsizetype(maxPackets)) {
        fail(error,
            QStringLiteral("payload has %1 packets, more than the limit of %2")
                .arg(records)
                .arg(maxPackets));
        return std::nullopt;
    }

    QList<Packet> packets;
    packets.reserve(records);
    const QByteArrayView view(body);
    qsizetype start = 0;
    for (qsizetype index = 0; index < records; ++index) {
        qsizetype end = view.indexOf(RecordSeparator, start);
        if (end < 0)
            end = view.size();
        const QByteArrayView record = view.sliced(start, end - start);
        if (record.isEmpty()) {
            fail(error, QStringLiteral("empty packet at position %1 of the payload").arg(index));
            return std::nullopt;
        }
        DecodeError recordError;
        std::optional<Packet> packet = decodeRecord(record, &recordError);
        if (!packet) {
            fail(error,
                QStringLiteral("packet %1 of the payload: %2").arg(index).arg(recordError.message));
            return std::nullopt;
        }
        packets.append(std::move(*packet));
        start = end + 1;
    }
    return packets;
}

} // namespace jarvis::eio
