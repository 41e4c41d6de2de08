// libFuzzer target for Inflater and Deflater. Input: [options][bytes...].
// options bits 0-1: maxSize (64, 4096, 100000, 1 MiB), bits 2-3: window bits (15, 12, 9, 8),
// bits 4-7: chunk size for the chunked pass and deflate level.
// Checks: inflating the bytes as a compressed message never exceeds maxSize; all-at-once and
// chunked inflation agree (with a 15-bit window; see fuzz_wsframe.cpp for why not below); what
// inflates re-compresses and inflates back; any bytes compress and inflate back unchanged.
#include "fuzzcheck.h"
#include "net/wsdeflate.h"

using namespace jarvis::net::ws;

namespace {

Inflater::Status inflateMessage(
    Inflater &inflater, QByteArrayView input, qsizetype chunk, qint64 maxSize, QByteArray *out)
{
    qsizetype pos = 0;
    while (pos < input.size()) {
        const qsizetype piece =
            chunk > 0 ? std::min(chunk, input.size() - pos) : input.size() - pos;
        const Inflater::Status status = inflater.inflate(input.sliced(pos, piece), out, maxSize);
        FUZZ_CHECK(out->size() <= maxSize + 1);
        if (status != Inflater::Status::Ok)
            return status;
        pos += piece;
    }
    const Inflater::Status status = inflater.finishMessage(out, maxSize);
    FUZZ_CHECK(out->size() <= maxSize + 1);
    return status;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const quint8 flags = data[0];
    static const qint64 limits[] = {64, 4096, 100000, 1 << 20};
    static const int windows[] = {15, 12, 9, 8};
    const qint64 maxSize = limits[flags & 3];
    const int windowBits = windows[(flags >> 2) & 3];
    const qsizetype chunk = 1 + (flags >> 4);
    const QByteArrayView input(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));

    // 1. The bytes as a client's compressed message, whole and in chunks.
    Inflater whole(windowBits);
    QByteArray wholeOut;
    const Inflater::Status wholeStatus = inflateMessage(whole, input, 0, maxSize, &wholeOut);
    Inflater chunked(windowBits);
    QByteArray chunkedOut;
    const Inflater::Status chunkedStatus =
        inflateMessage(chunked, input, chunk, maxSize, &chunkedOut);
    if (windowBits == 15) {
        FUZZ_CHECK(wholeStatus == chunkedStatus);
        if (wholeStatus == Inflater::Status::Ok)
            FUZZ_CHECK(wholeOut == chunkedOut);
    }
    if (wholeStatus == Inflater::Status::Ok) {
        FUZZ_CHECK(wholeOut.size() <= maxSize);
        // 2. Whatever inflated compresses and inflates back.
        Deflater deflater(flags >> 4);
        const QByteArray again = deflater.compressMessage(wholeOut);
        Inflater check;
        QByteArray back;
        FUZZ_CHECK(inflateMessage(check, again, 0, maxSize, &back) == Inflater::Status::Ok);
        FUZZ_CHECK(back == wholeOut);
    }

    // 3. Any bytes round-trip through the server's compressor.
    Deflater deflater(flags >> 4);
    const QByteArray compressed = deflater.compressMessage(input);
    FUZZ_CHECK(!compressed.isNull());
    Inflater inflater;
    QByteArray restored;
    FUZZ_CHECK(
        inflateMessage(inflater, compressed, chunk, 1 << 20, &restored) == Inflater::Status::Ok);
    FUZZ_CHECK(restored == input);
    return 0;
}
