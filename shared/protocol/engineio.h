#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

// Engine.IO v4 packet codec: pure functions, no I/O, safe on any input.
// See https://github.com/socketio/engine.io-protocol (v4).
namespace jarvis::eio {

enum class PacketType : char {
    Open = '0',
    Close = '1',
    Ping = '2',
    Pong = '3',
    Message = '4',
    Upgrade = '5',
    Noop = '6',
};

struct Packet
{
    PacketType type = PacketType::Message;
    QByteArray data; // text payload (UTF-8) or raw bytes when binary
    bool binary = false; // only Message packets can be binary

    friend bool operator==(const Packet &, const Packet &) = default;
};

// Errors a decoder reports; the message names what was wrong.
struct DecodeError
{
    QString message;
};

// One packet as carried by a WebSocket text frame: "<type><data>". A binary Message (which
// normally goes as a binary frame, see binaryMessage()) is written as "b"+base64, like
// engine.io-parser does when binary is not supported.
QByteArray encodeText(const Packet &packet);
// A WebSocket text frame -> packet. Rejects an empty frame, an unknown type, invalid UTF-8.
// Like engine.io-parser, "b"+base64 is accepted and yields a binary Message (strict, padded
// standard base64; anything else is rejected).
std::optional<Packet> decodeText(const QByteArray &frame, DecodeError *error = nullptr);
// A WebSocket binary frame is a binary Message packet (no type prefix).
Packet binaryMessage(const QByteArray &bytes);

// HTTP long-polling payload: packets joined by the record separator 0x1e; a binary packet is
// "b" followed by its base64. encodePayload never fails (text data containing 0x1e cannot be
// framed and would split the record; Socket.IO text never contains it unescaped).
QByteArray encodePayload(const QList<Packet> &packets);
// Splits and decodes a polling request body. Rejects empty bodies, empty records, bad base64,
// unknown types, invalid UTF-8. maxPackets bounds the work on hostile input.
std::optional<QList<Packet>> decodePayload(
    const QByteArray &body, DecodeError *error = nullptr, int maxPackets = 10000);

// Encoded piece of a payload for one packet (text or "b"+base64): used to build a payload from
// pre-encoded packets without re-encoding them.
QByteArray encodePayloadRecord(const Packet &packet);
inline constexpr char RecordSeparator = '\x1e';

} // namespace jarvis::eio
