// libFuzzer target for the Engine.IO packet codec (shared/protocol/engineio.h). Input: one
// WebSocket text frame, and the same bytes as an HTTP long-polling body.
// Checks: what decodes encodes back to the same bytes (text packets) or to a frame that decodes
// to the same packet (binary ones, "b"+base64); only Message packets are binary; a refusal has a
// reason; a polling body decodes to one packet per record, at most maxPackets, and its encoding
// decodes to the same packets.
#include "fuzzcheck.h"
#include "protocol/engineio.h"

using namespace jarvis;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));

    eio::DecodeError error;
    if (const std::optional<eio::Packet> packet = eio::decodeText(bytes, &error)) {
        FUZZ_CHECK(!packet->binary || packet->type == eio::PacketType::Message);
        const QByteArray encoded = eio::encodeText(*packet);
        if (!packet->binary)
            FUZZ_CHECK(encoded == bytes);
        const std::optional<eio::Packet> again = eio::decodeText(encoded);
        FUZZ_CHECK(again && *again == *packet);
    } else {
        FUZZ_CHECK(!error.message.isEmpty());
    }

    constexpr int MaxPackets = 64;
    error = {};
    if (const auto packets = eio::decodePayload(bytes, &error, MaxPackets)) {
        FUZZ_CHECK(!packets->isEmpty() && packets->size() <= MaxPackets);
        FUZZ_CHECK(packets->size() == bytes.count(eio::RecordSeparator) + 1);
        const auto again = eio::decodePayload(eio::encodePayload(*packets), nullptr, MaxPackets);
        FUZZ_CHECK(again && *again == *packets);
    } else {
        FUZZ_CHECK(!error.message.isEmpty());
    }
    return 0;
}
