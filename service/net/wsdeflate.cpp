#include "net/wsdeflate.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>

namespace jarvis::net::ws {

namespace {
constexpr char Tail[] = {'\x00', '\x00', '\xff', '\xff'};
// zlib counts in uInt; feed larger inputs in pieces.
constexpr qsizetype MaxZlibChunk = qsizetype(1) << 30;
// The first output chunk of an inflate; later chunks double the buffer.
constexpr qsizetype MinInflateChunk = 16 * 1024;
} // namespace

struct Deflater::Stream
{
    z_stream z {};
    ~Stream() { deflateEnd(&z); }
};

struct Inflater::Stream
{
    z_stream z {};
    ~Stream() { inflateEnd(&z); }
};

Deflater::Deflater(int level, int windowBits)
    : m_level(std::clamp(level, 0, 9))
    , m_windowBits(std::clamp(windowBits, 9, 15))
{ }

Deflater::~Deflater() = default;

QByteArray Deflater::compressMessage(QByteArrayView payload)
{
    if (!m_stream) {
        auto stream = std::make_unique<Stream>();
        if (deflateInit2(&stream->z, m_level, Z_DEFLATED, -m_windowBits, 8, Z_DEFAULT_STRATEGY)
            != Z_OK) {
            return {};
        }
        m_stream = std::move(stream);
    }
    z_stream &z = m_stream->z;

    // deflateBound() does not count the sync-flush marker (5 bytes) nor the block headers of
    // the flush; a little slack avoids a second round in practice.
    QByteArray out;
    const qsizetype firstGuess =
        qsizetype(deflateBound(&z, uLong(std::min(payload.size(), MaxZlibChunk)))) + 64;
    out.resize(firstGuess);
    qsizetype written = 0;
    const char *input = payload.data();
    qsizetype remaining = payload.size();
    bool ok = true;
    for (;;) {
        const qsizetype piece = std::min(remaining, MaxZlibChunk);
        z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(input));
        z.avail_in = uInt(piece);
        const bool last = piece == remaining;
        for (;;) {
            if (out.size() - written < 64)
                out.resize(out.size() * 2);
            const qsizetype room = std::min(out.size() - written, MaxZlibChunk);
            z.next_out = reinterpret_cast<Bytef *>(out.data() + written);
            z.avail_out = uInt(room);
            const int rc = deflate(&z, last ? Z_SYNC_FLUSH : Z_NO_FLUSH);
            written += room - qsizetype(z.avail_out);
            if (rc != Z_OK && rc != Z_BUF_ERROR) {
                ok = false;
                break;
            }
            // Done with this piece once zlib has taken all input and had output space to spare.
            if (z.avail_in == 0 && z.avail_out != 0)
                break;
        }
        if (!ok)
            break;
        input += piece;
        remaining -= piece;
        if (remaining == 0)
            break;
    }
    deflateReset(&z);
    if (!ok)
        return {};
    out.truncate(written);
    if (out.endsWith(QByteArrayView(Tail, 4)))
        out.chop(4);
    return out;
}

Deflater &Deflater::shared(int level)
{
    thread_local std::array<std::unique_ptr<Deflater>, 10> instances;
    const int index = std::clamp(level, 0, 9);
    if (!instances[index])
        instances[index] = std::make_unique<Deflater>(index);
    return *instances[index];
}

Inflater::Inflater(int windowBits, bool noContextTakeover)
    : m_windowBits(std::clamp(windowBits, 9, 15))
    , m_noContextTakeover(noContextTakeover)
{ }

Inflater::~Inflater() = default;

void Inflater::reset()
{
    m_stream.reset();
    m_ended = false;
}

Inflater::Status Inflater::inflate(QByteArrayView input, QByteArray *out, qint64 maxSize)
{
    return run(input, out, maxSize);
}

Inflater::Status Inflater::finishMessage(QByteArray *out, qint64 maxSize)
{
    if (m_ended) {
        // The message ended its deflate stream with a final block; the next one starts anew.
        m_ended = false;
        reset();
        return Status::Ok;
    }
    const Status status = run(QByteArrayView(Tail, 4), out, maxSize);
    if (status != Status::Ok) {
        reset();
        return status;
    }
    if (m_noContextTakeover) {
        // The peer starts every message with an empty window: nothing to keep between
        // messages, so give the ~40 KiB of zlib state back until the next one.
        reset();
    }
    return status;
}

Inflater::Status Inflater::run(QByteArrayView input, QByteArray *out, qint64 maxSize)
{
    if (m_ended)
        return Status::Ok; // after a final block, the rest of the message is ignored (as ws does)
    if (!m_stream) {
        auto stream = std::make_unique<Stream>();
        if (inflateInit2(&stream->z, -m_windowBits) != Z_OK) {
            m_error = QStringLiteral("zlib inflateInit2 failed");
            return Status::Corrupt;
        }
        m_stream = std::move(stream);
    }
    z_stream &z = m_stream->z;

    const char *next = input.data();
    qsizetype remaining = input.size();
    do {
        const qsizetype piece = std::min(remaining, MaxZlibChunk);
        z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(next));
        z.avail_in = uInt(piece);
        next += piece;
        remaining -= piece;

        for (;;) {
            const qsizetype size = out->size();
            // One byte beyond the cap is allowed, to tell "exactly maxSize" from "more".
            const qint64 allowed = maxSize + 1 - size;
            if (allowed <= 0) {
                reset();
                return Status::TooBig;
            }
            // Grow geometrically, never beyond the cap.
            if (out->capacity() - size < MinInflateChunk / 4) {
                const qint64 wanted = std::max<qint64>(MinInflateChunk, size);
                out->reserve(qsizetype(size + std::min<qint64>(wanted, allowed)));
            }
            const qsizetype room = qsizetype(
                std::min<qint64>({qint64(out->capacity() - size), allowed, qint64(MaxZlibChunk)}));
            out->resize(size + room);
            z.next_out = reinterpret_cast<Bytef *>(out->data() + size);
            z.avail_out = uInt(room);
            const int rc = ::inflate(&z, Z_SYNC_FLUSH);
            const qsizetype produced = room - qsizetype(z.avail_out);
            out->resize(size + produced);
            if (out->size() > maxSize) {
                reset();
                return Status::TooBig;
            }
            if (rc == Z_STREAM_END) {
                // The peer ended its deflate stream with a final block: nothing more belongs to
                // this message; finishMessage() starts a fresh stream for the next.
                m_ended = true;
                return Status::Ok;
            }
            if (rc == Z_BUF_ERROR) {
                // No progress possible: all input consumed (or no output room, retried above).
                if (z.avail_in == 0)
                    break;
                if (z.avail_out == 0)
                    continue;
                m_error = QStringLiteral("zlib made no progress");
                reset();
                return Status::Corrupt;
            }
            if (rc != Z_OK) {
                m_error = QString::fromLatin1(z.msg ? z.msg : "invalid deflate data");
                reset();
                return Status::Corrupt;
            }
            if (z.avail_in == 0 && z.avail_out != 0)
                break;
        }
    } while (remaining > 0);
    return Status::Ok;
}

} // namespace jarvis::net::ws
