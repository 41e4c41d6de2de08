#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <memory>

// permessage-deflate (RFC 7692) on zlib raw deflate streams: the server compresses every message
// on its own (server_no_context_takeover), and inflates client messages with a size cap.
namespace jarvis::net::ws {

// Compresses whole messages for the wire, each independently of the others (the server always
// negotiates server_no_context_takeover, so one compressed frame suits every client).
// Owns one zlib deflate stream (about 256 KiB) that is reset after each message.
// Not thread-safe: one instance per thread (see shared()).
class Deflater
{
public:
    // `level` 0..9 (clamped); `windowBits` 9..15.
    explicit Deflater(int level = 1, int windowBits = 15);
    ~Deflater();
    Deflater(const Deflater &) = delete;
    Deflater &operator=(const Deflater &) = delete;

    int level() const { return m_level; }

    // The RFC 7692 payload of one message: raw deflate, flushed with Z_SYNC_FLUSH, the trailing
    // 00 00 ff ff removed. Returns a null QByteArray if zlib fails (out of memory).
    QByteArray compressMessage(QByteArrayView payload);

    // A per-thread instance for `level`, created on first use and kept until the thread ends.
    static Deflater &shared(int level);

private:
    struct Stream;
    std::unique_ptr<Stream> m_stream;
    int m_level;
    int m_windowBits;
};

// Inflates the messages one client sends. Output is capped: it never grows a message beyond
// `maxSize` (+1 byte to detect the overflow), so a decompression bomb costs at most maxSize of
// memory. With context takeover the zlib stream (and its window) lives across messages;
// with noContextTakeover it is released after every message.
// Not thread-safe; owned by the FrameDecoder of one connection.
class Inflater
{
public:
    enum class Status { Ok, TooBig, Corrupt };

    // `windowBits` 8..15 (8 is inflated with 9, as zlib's deflate never uses a 256-byte window).
    explicit Inflater(int windowBits = 15, bool noContextTakeover = false);
    ~Inflater();
    Inflater(const Inflater &) = delete;
    Inflater &operator=(const Inflater &) = delete;

    // Inflates part of a message and appends the output to `*out`, which must not exceed
    // `maxSize` bytes in total (TooBig otherwise; `*out` then holds maxSize + 1 bytes at most).
    Status inflate(QByteArrayView input, QByteArray *out, qint64 maxSize);
    // Ends the message: inflates the 00 00 ff ff the sender removed, then resets the stream when
    // there is no context takeover.
    Status finishMessage(QByteArray *out, qint64 maxSize);
    // Drops the stream (after an error; the next message starts a fresh one).
    void reset();

    // zlib's message for the last Corrupt result.
    QString errorString() const { return m_error; }
    // Whether a zlib stream is currently allocated (for tests of the no-context-takeover path).
    bool hasStream() const { return m_stream != nullptr; }

private:
    struct Stream;
    Status run(QByteArrayView input, QByteArray *out, qint64 maxSize);

    std::unique_ptr<Stream> m_stream;
    QString m_error;
    int m_windowBits;
    bool m_noContextTakeover;
    bool m_ended = false; // the current message's stream ended with a final block
};

} // namespace jarvis::net::ws
