#pragma once

#include "net/wsframe.h"

#include <QByteArray>

#include <memory>

namespace jarvis::net::ws {

// One server message framed once for many sockets (the broadcast path). frame(false) is the
// plain frame, frame(true) the permessage-deflate one; each is built on first use and cached,
// so with a thousand sockets the payload is compressed and framed at most once per variant,
// and every socket is handed the same implicitly shared QByteArray (QIODevice::write() keeps a
// reference to it instead of copying).
// Thread: NOT thread-safe. Build and use it on one thread only, the main thread where all the
// transports live (the caches are filled lazily without locking). Hold it in a
// std::shared_ptr<const PreparedMessage> while sockets are being written.
class PreparedMessage
{
public:
    // `opcode` is Text (payload must be valid UTF-8) or Binary; `compressionLevel` 0..9.
    PreparedMessage(Opcode opcode, QByteArray payload, int compressionLevel = 1);

    static std::shared_ptr<const PreparedMessage> text(QByteArray utf8, int compressionLevel = 1);
    static std::shared_ptr<const PreparedMessage> binary(
        QByteArray bytes, int compressionLevel = 1);

    Opcode opcode() const { return m_opcode; }
    const QByteArray &payload() const { return m_payload; }
    int compressionLevel() const { return m_level; }

    // The complete server frame. With `deflate`, the RSV1 compressed frame, unless compressing
    // does not make the message smaller: then it is the plain frame (same shared bytes).
    const QByteArray &frame(bool deflate) const;

    // How many frames have been built so far (0, 1 or 2): for tests that check the broadcast
    // is framed once.
    int framesBuilt() const { return m_framesBuilt; }

private:
    Opcode m_opcode;
    QByteArray m_payload;
    int m_level;
    mutable QByteArray m_plain;
    mutable QByteArray m_deflated;
    mutable bool m_hasPlain = false;
    mutable bool m_hasDeflated = false;
    mutable int m_framesBuilt = 0;
};

} // namespace jarvis::net::ws
