#include "net/preparedmessage.h"

#include "net/wsdeflate.h"

namespace jarvis::net::ws {

PreparedMessage::PreparedMessage(Opcode opcode, QByteArray payload, int compressionLevel)
    : m_opcode(opcode)
    , m_payload(std::move(payload))
    , m_level(compressionLevel)
{ }

std::shared_ptr<const PreparedMessage> PreparedMessage::text(QByteArray utf8, int compressionLevel)
{
    return std::make_shared<const PreparedMessage>(Opcode::Text, std::move(utf8), compressionLevel);
}

std::shared_ptr<const PreparedMessage> PreparedMessage::binary(
    QByteArray bytes, int compressionLevel)
{
    return std::make_shared<const PreparedMessage>(
        Opcode::Binary, std::move(bytes), compressionLevel);
}

const QByteArray &PreparedMessage::frame(bool deflate) const
{
    if (!m_hasPlain && !deflate) {
        m_plain = encodeFrame(m_opcode, m_payload);
        m_hasPlain = true;
        ++m_framesBuilt;
    }
    if (!deflate)
        return m_plain;

    if (!m_hasDeflated) {
        const QByteArray compressed = Deflater::shared(m_level).compressMessage(m_payload);
        if (!compressed.isNull() && compressed.size() < m_payload.size()) {
            m_deflated = encodeFrame(m_opcode, compressed, true, true);
            ++m_framesBuilt;
        } else {
            m_deflated = frame(false);
        }
        m_hasDeflated = true;
    }
    return m_deflated;
}

} // namespace jarvis::net::ws
