#include "socketio.h"

#include "protocol/jsonreader.h"
#include "protocol/jsonwriter.h"

#include <QByteArrayView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

#include <array>
#include <cmath>

// Socket.IO protocol v5 codec (https://github.com/socketio/socket.io-protocol, v5).
//
// Text part of a packet:
//   <type digit>[<attachments>-][<namespace>,][<ack id>][<JSON data>]
// The decoder follows the rules of the reference socket.io-parser (4.2.x): attachment count 1..max,
// namespace up to the first ',' (or the end), ack id = the digits that follow, then JSON checked
// per packet type (isPayloadValid), reserved event names refused, placeholders checked like
// reconstructPacket. It is stricter where the reference is lax (number event names, missing data,
// ids on packets that cannot be acknowledged, placeholders that do not cover every attachment).
// The encoder writes JSON exactly like JSON.stringify (number formatting, escaping), so encoded
// packets match the reference encoder byte for byte; object keys come out in QJsonObject's
// (sorted) order since QJsonObject does not keep insertion order.

namespace jarvis::sio {

namespace {

constexpr qint64 MaxSafeInteger = (qint64(1) << 53) - 1;
constexpr qsizetype MaxNamespaceLength = 256;

const QLatin1StringView PlaceholderKey("_placeholder");
const QLatin1StringView NumKey("num");

bool fail(DecodeError *error, const QString &message)
{
    if (error)
        error->message = message;
    return false;
}

using json::detail::isDigit;

// ---- JSON writer matching JSON.stringify ----------------------------------------------------

// Scalars come from protocol/jsonwriter.h (shared with the model's direct writers).
using json::appendJsonNumber;
using json::appendJsonString;

void appendJson(QByteArray &out, const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Bool:
        out.append(value.toBool() ? "true" : "false");
        break;
    case QJsonValue::Double:
        appendJsonNumber(out, value.toDouble());
        break;
    case QJsonValue::String:
        appendJsonString(out, value.toString());
        break;
    case QJsonValue::Array: {
        const QJsonArray array = value.toArray();
        out.append('[');
        bool first = true;
        for (const QJsonValue &element : array) {
            if (!first)
                out.append(',');
            first = false;
            appendJson(out, element); // undefined inside an array is written as null
        }
        out.append(']');
        break;
    }
    case QJsonValue::Object: {
        const QJsonObject object = value.toObject();
        out.append('{');
        bool first = true;
        for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
            if (it.value().isUndefined())
                continue; // like JSON.stringify, undefined members are left out
            if (!first)
                out.append(',');
            first = false;
            appendJsonString(out, it.key());
            out.append(':');
            appendJson(out, it.value());
        }
        out.append('}');
        break;
    }
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        out.append("null");
        break;
    }
}

// ---- JSON reader ---------------------------------------------------------------------------

// One JSON value exactly as JSON.parse takes it (protocol/jsonreader.h), except that nothing may
// come between the header and the data.
std::optional<QJsonValue> parseJsonValue(QByteArrayView json, QString *error)
{
    const char first = json.front();
    if (first == ' ' || first == '\t' || first == '\n' || first == '\r') {
        *error = QStringLiteral("unexpected whitespace before the JSON data");
        return std::nullopt;
    }
    return json::read(json, error);
}

// ---- binary placeholders -------------------------------------------------------------------

bool isPlaceholderObject(const QJsonObject &object)
{
    const QJsonValue flag = object.value(PlaceholderKey);
    return flag.isBool() && flag.toBool();
}

// Index of a placeholder's blob, or -1 when num is not an integer in [0, count).
qsizetype placeholderIndex(const QJsonObject &object, qsizetype count)
{
    const QJsonValue num = object.value(NumKey);
    if (!num.isDouble())
        return -1;
    const double n = num.toDouble();
    if (!(n >= 0) || n >= double(count) || std::floor(n) != n)
        return -1;
    return qsizetype(n);
}

struct PlaceholderScan
{
    QList<bool> seen;
    qsizetype found = 0;
    QString error;
};

bool scanPlaceholders(const QJsonValue &value, PlaceholderScan &scan)
{
    if (value.isArray()) {
        const QJsonArray array = value.toArray();
        for (const QJsonValue &element : array) {
            if (!scanPlaceholders(element, scan))
                return false;
        }
        return true;
    }
    if (!value.isObject())
        return true;
    const QJsonObject object = value.toObject();
    if (isPlaceholderObject(object)) {
        const qsizetype index = placeholderIndex(object, scan.seen.size());
        if (index < 0) {
            scan.error = QStringLiteral("illegal attachments: placeholder num is not an integer "
                                        "in 0..%1")
                             .arg(scan.seen.size() - 1);
            return false;
        }
        if (scan.seen[index]) {
            scan.error =
                QStringLiteral("illegal attachments: placeholder %1 appears twice").arg(index);
            return false;
        }
        scan.seen[index] = true;
        ++scan.found;
        return true;
    }
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        if (!scanPlaceholders(it.value(), scan))
            return false;
    }
    return true;
}

// Every placeholder must name a distinct attachment in [0, count), and every attachment must have
// its placeholder.
bool checkPlaceholders(const QJsonValue &data, qsizetype count, QString *error)
{
    PlaceholderScan scan;
    scan.seen = QList<bool>(count, false);
    if (!scanPlaceholders(data, scan)) {
        *error = scan.error;
        return false;
    }
    if (scan.found != count) {
        *error = QStringLiteral("illegal attachments: %1 announced but %2 placeholders found")
                     .arg(count)
                     .arg(scan.found);
        return false;
    }
    return true;
}

bool isBinaryType(PacketType type)
{
    return type == PacketType::BinaryEvent || type == PacketType::BinaryAck;
}

bool acceptsAckId(PacketType type)
{
    return type == PacketType::Event || type == PacketType::Ack || isBinaryType(type);
}

} // namespace

// ---- encoder -------------------------------------------------------------------------------

QByteArray encode(const Packet &packet)
{
    PacketType type = packet.type;
    const bool hasAttachments = !packet.attachments.isEmpty();
    if (type == PacketType::Event || type == PacketType::BinaryEvent)
        type = hasAttachments ? PacketType::BinaryEvent : PacketType::Event;
    else if (type == PacketType::Ack || type == PacketType::BinaryAck)
        type = hasAttachments ? PacketType::BinaryAck : PacketType::Ack;

    QByteArray out;
    out.append(QByteArray::number(int(type)));
    if (isBinaryType(type)) {
        out.append(QByteArray::number(packet.attachments.size()));
        out.append('-');
    }
    if (!packet.nsp.isEmpty() && packet.nsp != QLatin1StringView("/")) {
        out.append(packet.nsp.toUtf8());
        out.append(',');
    }
    if (packet.id)
        out.append(QByteArray::number(*packet.id));
    if (!packet.data.isUndefined() && !packet.data.isNull())
        appendJson(out, packet.data);
    return out;
}

// ---- decoder -------------------------------------------------------------------------------

std::optional<Decoded> decode(const QByteArray &text, DecodeError *error, int maxAttachments)
{
    const QByteArrayView view(text);
    const qsizetype size = view.size();
    if (size == 0) {
        fail(error, QStringLiteral("empty packet"));
        return std::nullopt;
    }
    if (!view.isValidUtf8()) {
        fail(error, QStringLiteral("packet is not valid UTF-8"));
        return std::nullopt;
    }

    Decoded decoded;
    Packet &packet = decoded.packet;
    qsizetype pos = 0;

    // type
    const char typeChar = view[pos++];
    if (typeChar < '0' || typeChar > '6') {
        const auto code = static_cast<unsigned char>(typeChar);
        fail(error,
            code >= 0x20 && code < 0x7F
                ? QStringLiteral("unknown packet type '%1'").arg(QLatin1Char(typeChar))
                : QStringLiteral("unknown packet type 0x%1").arg(code, 2, 16, QLatin1Char('0')));
        return std::nullopt;
    }
    packet.type = static_cast<PacketType>(typeChar - '0');

    // attachment count: "<digits>-"
    if (isBinaryType(packet.type)) {
        const qsizetype start = pos;
        qint64 count = 0;
        while (pos < size && isDigit(view[pos])) {
            count = count * 10 + (view[pos] - '0');
            if (count > qMax(maxAttachments, 0)) {
                fail(error, QStringLiteral("too many attachments (limit %1)").arg(maxAttachments));
                return std::nullopt;
            }
            ++pos;
        }
        if (pos == start || pos >= size || view[pos] != '-') {
            fail(error, QStringLiteral("illegal attachments: expected <count>- after the type"));
            return std::nullopt;
        }
        ++pos; // '-'
        if (count < 1) {
            fail(error, QStringLiteral("illegal attachments: a binary packet needs at least one"));
            return std::nullopt;
        }
        decoded.expectedAttachments = int(count);
    }

    // namespace: from '/' up to the first ',' or the end
    if (pos < size && view[pos] == '/') {
        qsizetype end = view.indexOf(',', pos);
        const bool hasComma = end >= 0;
        if (!hasComma)
            end = size;
        const QByteArrayView nsp = view.sliced(pos, end - pos);
        if (nsp.size() > MaxNamespaceLength) {
            fail(error, QStringLiteral("namespace longer than %1 bytes").arg(MaxNamespaceLength));
            return std::nullopt;
        }
        for (const char c : nsp) {
            const auto u = static_cast<unsigned char>(c);
            if (u < 0x20 || u == 0x7F) {
                fail(error, QStringLiteral("namespace contains a control character"));
                return std::nullopt;
            }
        }
        packet.nsp = QString::fromUtf8(nsp);
        pos = hasComma ? end + 1 : size;
    }

    // ack id: the digits that follow
    if (pos < size && isDigit(view[pos])) {
        qint64 id = 0;
        while (pos < size && isDigit(view[pos])) {
            const int digit = view[pos] - '0';
            if (id > (MaxSafeInteger - digit) / 10) {
                fail(error, QStringLiteral("ack id larger than 2^53-1"));
                return std::nullopt;
            }
            id = id * 10 + digit;
            ++pos;
        }
        if (!acceptsAckId(packet.type)) {
            fail(error, QStringLiteral("ack id on a packet of type %1").arg(int(packet.type)));
            return std::nullopt;
        }
        packet.id = id;
    }

    // JSON data: the rest
    if (pos < size) {
        QString jsonError;
        std::optional<QJsonValue> data = parseJsonValue(view.sliced(pos), &jsonError);
        if (!data) {
            fail(error, jsonError);
            return std::nullopt;
        }
        packet.data = std::move(*data);
    }

    // per type checks (socket.io-parser's isPayloadValid, plus what the header promises)
    const QJsonValue &data = packet.data;
    switch (packet.type) {
    case PacketType::Connect:
        if (!data.isUndefined() && !data.isObject()) {
            fail(error, QStringLiteral("CONNECT data must be an object"));
            return std::nullopt;
        }
        break;
    case PacketType::Disconnect:
        if (!data.isUndefined()) {
            fail(error, QStringLiteral("DISCONNECT must not carry data"));
            return std::nullopt;
        }
        break;
    case PacketType::ConnectError:
        if (!data.isObject() && !data.isString()) {
            fail(error, QStringLiteral("CONNECT_ERROR data must be an object or a string"));
            return std::nullopt;
        }
        break;
    case PacketType::Event:
    case PacketType::BinaryEvent: {
        if (!data.isArray()) {
            fail(error, QStringLiteral("EVENT data must be an array"));
            return std::nullopt;
        }
        const QJsonArray array = data.toArray();
        if (array.isEmpty()) {
            fail(error, QStringLiteral("EVENT data must not be empty (no event name)"));
            return std::nullopt;
        }
        if (!array.first().isString()) {
            fail(error, QStringLiteral("EVENT name must be a string"));
            return std::nullopt;
        }
        const QString name = array.first().toString();
        if (isReservedEvent(name)) {
            fail(error, QStringLiteral("reserved event name '%1'").arg(name));
            return std::nullopt;
        }
        break;
    }
    case PacketType::Ack:
    case PacketType::BinaryAck:
        if (!packet.id) {
            fail(error, QStringLiteral("ACK without an ack id"));
            return std::nullopt;
        }
        if (!data.isArray()) {
            fail(error, QStringLiteral("ACK data must be an array"));
            return std::nullopt;
        }
        break;
    }

    if (isBinaryType(packet.type)) {
        QString placeholderError;
        if (!checkPlaceholders(data, decoded.expectedAttachments, &placeholderError)) {
            fail(error, placeholderError);
            return std::nullopt;
        }
    }
    return decoded;
}

std::optional<EventPeek> peekEvent(QByteArrayView text)
{
    const qsizetype size = text.size();
    if (size < 4 || text[0] != '2')
        return std::nullopt;
    EventPeek peek;
    qsizetype pos = 1;
    peek.nsp = "/";
    if (text[pos] == '/') {
        const qsizetype comma = text.indexOf(',', pos);
        if (comma < 0)
            return std::nullopt;
        peek.nsp = text.sliced(pos, comma - pos);
        pos = comma + 1;
    }
    const auto skipSpace = [&] {
        while (pos < size
            && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r'))
            ++pos;
    };
    if (pos >= size || text[pos] != '[') // an ack id, or no array
        return std::nullopt;
    peek.argsStart = pos++;
    skipSpace();
    if (pos >= size || text[pos] != '"')
        return std::nullopt;
    const qsizetype nameStart = ++pos;
    while (pos < size && text[pos] >= 0x20 && text[pos] < 0x7f && text[pos] != '"'
        && text[pos] != '\\')
        ++pos;
    if (pos >= size || text[pos] != '"' || pos == nameStart)
        return std::nullopt;
    peek.name = text.sliced(nameStart, pos - nameStart);
    ++pos;
    skipSpace();
    if (pos >= size)
        return std::nullopt;
    if (text[pos] == ',')
        ++pos;
    else if (text[pos] != ']')
        return std::nullopt;
    peek.nameEnd = pos;
    return peek;
}

// ---- reassembler ---------------------------------------------------------------------------

Reassembler::Reassembler(int maxAttachments)
    : m_maxAttachments(maxAttachments)
{ }

Reassembler::Status Reassembler::addText(const QByteArray &text)
{
    m_ready = Packet();
    if (m_pending) {
        m_error = QStringLiteral("text packet received while %1 binary attachment(s) were "
                                 "still expected")
                      .arg(m_pending->expectedAttachments - m_pending->packet.attachments.size());
        m_pending.reset();
        return Status::Error;
    }
    DecodeError decodeError;
    std::optional<Decoded> decoded = decode(text, &decodeError, m_maxAttachments);
    if (!decoded) {
        m_error = decodeError.message;
        return Status::Error;
    }
    if (decoded->expectedAttachments > 0) {
        m_pending = std::move(decoded);
        return Status::NeedMore;
    }
    m_ready = std::move(decoded->packet);
    return Status::Complete;
}

Reassembler::Status Reassembler::addBinary(const QByteArray &bytes)
{
    m_ready = Packet();
    if (!m_pending) {
        m_error = QStringLiteral("unexpected binary message: no attachment was expected");
        return Status::Error;
    }
    m_pending->packet.attachments.append(bytes);
    if (m_pending->packet.attachments.size() < m_pending->expectedAttachments)
        return Status::NeedMore;

    Packet packet = std::move(m_pending->packet);
    m_pending.reset();
    QString placeholderError;
    if (!checkPlaceholders(packet.data, packet.attachments.size(), &placeholderError)) {
        m_error = placeholderError;
        return Status::Error;
    }
    packet.type = packet.type == PacketType::BinaryEvent ? PacketType::Event : PacketType::Ack;
    m_ready = std::move(packet);
    return Status::Complete;
}

Packet Reassembler::take()
{
    Packet packet = std::move(m_ready);
    m_ready = Packet();
    return packet;
}

void Reassembler::reset()
{
    m_pending.reset();
    m_ready = Packet();
    m_error.clear();
}

// ---- helpers -------------------------------------------------------------------------------

QJsonObject placeholder(int num)
{
    return QJsonObject {{PlaceholderKey, true}, {NumKey, num}};
}

std::optional<QByteArray> attachmentFor(
    const QJsonValue &value, const QList<QByteArray> &attachments)
{
    if (!value.isObject())
        return std::nullopt;
    const QJsonObject object = value.toObject();
    if (!isPlaceholderObject(object))
        return std::nullopt;
    const qsizetype index = placeholderIndex(object, attachments.size());
    if (index < 0)
        return std::nullopt;
    return attachments.at(index);
}

bool isReservedEvent(const QString &name)
{
    static constexpr std::array<QLatin1StringView, 6> reserved = {
        QLatin1StringView("connect"),
        QLatin1StringView("connect_error"),
        QLatin1StringView("disconnect"),
        QLatin1StringView("disconnecting"),
        QLatin1StringView("newListener"),
        QLatin1StringView("removeListener"),
    };
    for (const QLatin1StringView &r : reserved) {
        if (name == r)
            return true;
    }
    return false;
}

} // namespace jarvis::sio
