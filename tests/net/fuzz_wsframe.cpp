// libFuzzer target for FrameDecoder. Input: [options][window bits][wire bytes...].
// options bit 0: permessage-deflate, bit 1: client_no_context_takeover, bits 2-3: maxPayload
// (125, 1000, 70000, 1 MiB), bits 4-7: chunking pattern.
// Checks: decoding all at once and in chunks gives the same events (with a 15-bit inflate
// window: with a smaller one zlib accepts back references beyond the window while they fall in
// the output of the same inflate() call, so a client that overshoots its negotiated
// client_max_window_bits is caught or not depending on how its bytes were split - the same in
// ws); text is valid UTF-8;
// messages respect maxPayload; close codes are valid; errors are 1002, 1007 or 1009; the
// decoder always consumes its input or stops at a message or an error.
#include "fuzzcheck.h"
#include "net/wsframe.h"

#include <QString>

#include <vector>

using namespace jarvis::net::ws;

namespace {

struct Event
{
    int kind; // opcode, or -code for an error
    QByteArray payload;
    bool operator==(const Event &other) const = default;
};

std::vector<Event> decodeAll(
    const DecoderOptions &options, const char *data, qsizetype size, int pattern)
{
    FrameDecoder decoder(options);
    std::vector<Event> events;
    qsizetype pos = 0;
    int step = 0;
    while (pos < size) {
        qsizetype chunk = size - pos;
        if (pattern != 0) {
            // Deterministic odd chunk sizes: 1, 2, 3, ... wrapping with the pattern.
            chunk = std::min<qsizetype>(chunk, 1 + (step++ * pattern) % 23);
        }
        qsizetype offset = 0;
        while (offset < chunk) {
            qsizetype used = -1;
            const FrameDecoder::Result result =
                decoder.decode(data + pos + offset, chunk - offset, &used);
            FUZZ_CHECK(used >= 0 && used <= chunk - offset);
            offset += used;
            if (result == FrameDecoder::Result::Error) {
                const int code = decoder.errorCode();
                FUZZ_CHECK(code == 1002 || code == 1007 || code == 1009);
                FUZZ_CHECK(!decoder.errorReason().isEmpty());
                FUZZ_CHECK(decoder.bufferedBytes() == 0);
                events.push_back({-code, {}});
                return events;
            }
            if (result == FrameDecoder::Result::NeedMore) {
                FUZZ_CHECK(offset == chunk);
                break;
            }
            const DecodedMessage message = decoder.takeMessage();
            switch (message.opcode) {
            case Opcode::Text:
                FUZZ_CHECK(QString::fromUtf8(message.payload).toUtf8() == message.payload);
                [[fallthrough]];
            case Opcode::Binary:
                FUZZ_CHECK(message.payload.size() <= options.maxPayload);
                break;
            case Opcode::Ping:
            case Opcode::Pong:
                FUZZ_CHECK(message.payload.size() <= 125);
                break;
            case Opcode::Close:
                FUZZ_CHECK(message.closeCode == CloseCode::NoStatus
                    || isValidCloseCode(message.closeCode));
                FUZZ_CHECK(isValidUtf8(message.payload));
                FUZZ_CHECK(message.payload.size() <= 123);
                FUZZ_CHECK(decoder.closeReceived());
                break;
            case Opcode::Continuation:
                FUZZ_CHECK(false);
            }
            events.push_back({int(message.opcode), message.payload});
        }
        pos += chunk;
    }
    return events;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const quint8 flags = data[0];
    DecoderOptions options;
    options.deflate = flags & 1;
    options.clientNoContextTakeover = flags & 2;
    static const qint64 limits[] = {125, 1000, 70000, 1 << 20};
    options.maxPayload = limits[(flags >> 2) & 3];
    options.inflateWindowBits = 8 + (data[1] & 7);
    const int pattern = flags >> 4;
    const char *wire = reinterpret_cast<const char *>(data + 2);
    const qsizetype wireSize = qsizetype(size - 2);

    if (options.inflateWindowBits < 15)
        decodeAll(options, wire, wireSize, pattern); // invariants only
    options.inflateWindowBits = 15;
    const std::vector<Event> whole = decodeAll(options, wire, wireSize, 0);
    const std::vector<Event> chunked = decodeAll(options, wire, wireSize, pattern | 1);
    FUZZ_CHECK(whole == chunked);
    return 0;
}
