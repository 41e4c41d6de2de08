#pragma once

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

#include <optional>

// Socket.IO protocol v5 packet codec (the one Socket.IO v3/v4 speak): pure functions plus a small
// stateful reassembler for binary attachments. Safe on any input: every malformed packet is
// rejected with a message, never a crash or an exception.
// See https://github.com/socketio/socket.io-protocol (v5).
namespace jarvis::sio {

enum class PacketType : int {
    Connect = 0,
    Disconnect = 1,
    Event = 2,
    Ack = 3,
    ConnectError = 4,
    BinaryEvent = 5,
    BinaryAck = 6,
};

// A decoded or to-be-encoded packet.
//  - Connect: data is an object (auth payload from a client; {"sid": ...} from a server) or absent.
//  - Disconnect: no data.
//  - Event / BinaryEvent: data is a non-empty array whose first element is a string (event name).
//  - Ack / BinaryAck: data is an array; id is required.
//  - ConnectError: data is an object ({"message": ..., "data": ...}) (a string is accepted too).
// Binary attachments: in `data`, each binary blob is represented by the placeholder object
// {"_placeholder": true, "num": N}; `attachments` holds the blobs in order. encode() picks
// BinaryEvent/BinaryAck itself when attachments is non-empty.
struct Packet
{
    PacketType type = PacketType::Event;
    QString nsp = QStringLiteral("/");
    std::optional<qint64> id; // ack id, 0..2^53-1
    QJsonValue data = QJsonValue(QJsonValue::Undefined);
    QList<QByteArray> attachments;

    friend bool operator==(const Packet &, const Packet &) = default;
};

struct DecodeError
{
    QString message;
};

// Text part of a packet, e.g. `2/cluster,12["nodes",{...}]` or
// `51-["up",{"_placeholder":true,"num":0}]`. The namespace is omitted when it is "/". The
// attachments, if any, go as separate binary messages after the text part, in order.
// Event/BinaryEvent (Ack/BinaryAck) are written as BinaryEvent (BinaryAck) exactly when attachments
// is non-empty; attachments of other types are ignored. data Undefined or Null writes nothing. JSON
// is written like JSON.stringify (so the text matches socket.io-parser's byte for byte), except
// that object keys come out sorted, since QJsonObject does not keep insertion order.
QByteArray encode(const Packet &packet);

// Decodes the text part of a packet. For BinaryEvent/BinaryAck the returned packet has
// `expectedAttachments` > 0 and empty `attachments`; feed the blobs to a Reassembler.
// Rejects: empty input, unknown type, bad attachment count (must be 1..maxAttachments), namespace
// not starting with '/', namespace containing a control character,
// namespace too long (> 256), bad ack id, invalid JSON, data of the wrong JSON type for the
// packet type, an event whose name is not a string or is one of the reserved names
// (connect, connect_error, disconnect, disconnecting, newListener, removeListener),
// trailing garbage, invalid UTF-8, an ack id on a packet other than (Binary)Event/(Binary)Ack,
// and, for binary packets, placeholders that are not exactly one per attachment (num an integer
// in 0..expectedAttachments-1, each used once).
struct Decoded
{
    Packet packet;
    int expectedAttachments = 0;
};
std::optional<Decoded> decode(
    const QByteArray &text, DecodeError *error = nullptr, int maxAttachments = 10);

// A look at the text of a plain EVENT packet without decoding it, for clients that read some
// events' arguments straight from the text: `2`, an optional namespace (`/name,`), no ack id,
// then `["<name>"` where the name is printable ASCII without escapes, followed by ',' or ']'
// (spaces allowed around). Anything else (binary packets, ack ids, escaped or non-ASCII names,
// other packet types) gives nullopt: decode() it. Nothing after the name is checked.
struct EventPeek
{
    QByteArrayView nsp; // "/" when the packet names none
    QByteArrayView name;
    qsizetype argsStart = 0; // index of the data array's '['
    qsizetype nameEnd = 0; // index just past the name and its separator (',' or before ']')
};
std::optional<EventPeek> peekEvent(QByteArrayView text);

// Stateful decoder for one connection: text packets in, complete packets out, binary attachments
// gathered and checked against the placeholders.
class Reassembler
{
public:
    enum class Status { NeedMore, Complete, Error };

    Reassembler() = default;
    explicit Reassembler(int maxAttachments);

    // Feed one text message. Error if an attachment was still expected.
    Status addText(const QByteArray &text);
    // Feed one binary message. Error if no attachment was expected.
    Status addBinary(const QByteArray &bytes);

    // Valid after Complete: the packet (attachments filled), then the reassembler is empty again.
    // Like socket.io-parser, a completed binary packet comes out as Event/Ack (not
    // BinaryEvent/BinaryAck) with its placeholders left in data; see attachmentFor().
    // After Error the partial packet is dropped and the next addText starts afresh.
    Packet take();
    QString errorString() const { return m_error; }
    // Binary attachments are still expected: the next text message is an error.
    bool isPending() const { return m_pending.has_value(); }
    void reset();

private:
    int m_maxAttachments = 10;
    std::optional<Decoded> m_pending;
    Packet m_ready;
    QString m_error;
};

// Helpers for handlers: a binary placeholder and a lookup of the blob it stands for.
QJsonObject placeholder(int num);
// If `value` is a placeholder for one of `attachments`, returns that blob.
std::optional<QByteArray> attachmentFor(
    const QJsonValue &value, const QList<QByteArray> &attachments);

// connect, connect_error, disconnect, disconnecting, newListener, removeListener: names an event
// may not have (socket.io reserves them).
bool isReservedEvent(const QString &name);

} // namespace jarvis::sio
