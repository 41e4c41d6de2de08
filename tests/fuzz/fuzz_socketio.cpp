// libFuzzer target for the Socket.IO packet codec (shared/protocol/socketio.h). Input: the text
// part of one packet, as a client sends it.
// Checks: a refusal has a reason; a decoded packet has a namespace starting with '/' and
// attachments expected exactly when it is a BinaryEvent/BinaryAck (1..maxAttachments); a plain
// packet encodes to text that decodes to the same packet and encodes to the same text again; a
// binary one, completed through a Reassembler with that many blobs, comes out with the blobs and
// encodes to text that expects as many and decodes to the same data. "The same" for numbers means
// the same double: the encoder writes numbers like JSON.stringify, so an integer beyond 2^53 that
// the reader held exactly comes back rounded, as it would from a JavaScript peer.
#include "../support/jsonsame.h"
#include "fuzzcheck.h"
#include "protocol/socketio.h"

#include <QJsonArray>
#include <QJsonObject>

using namespace jarvis;

namespace {

bool sameData(const QJsonValue &a, const QJsonValue &b)
{
    return jarvis::test::jsonSame(a, b, jarvis::test::JsonCompare::Data);
}

bool samePacket(const sio::Packet &a, const sio::Packet &b)
{
    return a.type == b.type && a.nsp == b.nsp && a.id == b.id && sameData(a.data, b.data)
        && a.attachments == b.attachments;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    constexpr int MaxAttachments = 4;
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));

    sio::DecodeError error;
    const std::optional<sio::Decoded> decoded = sio::decode(bytes, &error, MaxAttachments);
    sio::Reassembler reassembler(MaxAttachments);
    const sio::Reassembler::Status status = reassembler.addText(bytes);
    if (!decoded) {
        FUZZ_CHECK(!error.message.isEmpty());
        FUZZ_CHECK(status == sio::Reassembler::Status::Error);
        FUZZ_CHECK(!reassembler.errorString().isEmpty());
        return 0;
    }
    const sio::Packet &packet = decoded->packet;
    FUZZ_CHECK(packet.nsp.startsWith(QLatin1Char('/')));
    const bool binary =
        packet.type == sio::PacketType::BinaryEvent || packet.type == sio::PacketType::BinaryAck;
    FUZZ_CHECK(binary == (decoded->expectedAttachments > 0));
    FUZZ_CHECK(decoded->expectedAttachments <= MaxAttachments);
    FUZZ_CHECK(packet.attachments.isEmpty());

    if (!binary) {
        FUZZ_CHECK(status == sio::Reassembler::Status::Complete);
        FUZZ_CHECK(reassembler.take() == packet);
        const QByteArray text = sio::encode(packet);
        const std::optional<sio::Decoded> again = sio::decode(text, nullptr, MaxAttachments);
        FUZZ_CHECK(again && samePacket(again->packet, packet) && again->expectedAttachments == 0);
        FUZZ_CHECK(sio::encode(again->packet) == text);
        return 0;
    }

    FUZZ_CHECK(status == sio::Reassembler::Status::NeedMore);
    QList<QByteArray> blobs;
    for (int i = 0; i < decoded->expectedAttachments; ++i) {
        blobs << QByteArray(i, char(i));
        const sio::Reassembler::Status s = reassembler.addBinary(blobs.last());
        FUZZ_CHECK(s
            == (i + 1 < decoded->expectedAttachments ? sio::Reassembler::Status::NeedMore
                                                     : sio::Reassembler::Status::Complete));
    }
    const sio::Packet complete = reassembler.take();
    FUZZ_CHECK(complete.attachments == blobs);
    FUZZ_CHECK(complete.type
        == (packet.type == sio::PacketType::BinaryEvent ? sio::PacketType::Event
                                                        : sio::PacketType::Ack));
    FUZZ_CHECK(complete.nsp == packet.nsp && complete.id == packet.id
        && sameData(complete.data, packet.data));
    const std::optional<sio::Decoded> again =
        sio::decode(sio::encode(complete), nullptr, MaxAttachments);
    FUZZ_CHECK(again && again->expectedAttachments == decoded->expectedAttachments);
    FUZZ_CHECK(again->packet.type == packet.type && again->packet.nsp == packet.nsp
        && again->packet.id == packet.id && sameData(again->packet.data, packet.data));
    // Nothing is pending any more: another blob is an error.
    FUZZ_CHECK(reassembler.addBinary("x") == sio::Reassembler::Status::Error);
    return 0;
}
