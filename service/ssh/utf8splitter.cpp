#include "ssh/utf8splitter.h"

namespace jarvis::ssh {

namespace {

// Bytes a sequence starting with `lead` needs, or 0 if `lead` cannot start a multi-byte one.
int sequenceLength(uchar lead)
{
    if (lead >= 0xC2 && lead <= 0xDF)
        return 2;
    if ((lead & 0xF0) == 0xE0)
        return 3;
    if (lead >= 0xF0 && lead <= 0xF4)
        return 4;
    return 0;
}

// Whether `second` may follow `lead` in a valid sequence (RFC 3629 table).
bool validSecondByte(uchar lead, uchar second)
{
    switch (lead) {
    case 0xE0:
        return second >= 0xA0 && second <= 0xBF;
    case 0xED:
        return second >= 0x80 && second <= 0x9F;
    case 0xF0:
        return second >= 0x90 && second <= 0xBF;
    case 0xF4:
        return second >= 0x80 && second <= 0x8F;
    default:
        return (second & 0xC0) == 0x80;
    }
}

} // namespace

qsizetype Utf8Splitter::completePrefixLength(const char *data, qsizetype size)
{
    const auto *bytes = reinterpret_cast<const uchar *>(data);
    for (qsizetype back = 1; back <= 3 && back <= size; ++back) {
        const uchar c = bytes[size - back];
        if ((c & 0xC0) == 0x80)
            continue; // a continuation byte: look further back for its lead
        const int need = sequenceLength(c);
        if (need == 0 || back >= need)
            return size; // ASCII, an invalid lead, or a complete sequence
        if (back >= 2 && !validSecondByte(c, bytes[size - back + 1]))
            return size; // can never become valid: let the decoder replace it now
        return size - back;
    }
    return size; // three continuation bytes with no lead: invalid, pass through
}

QByteArray Utf8Splitter::feed(const QByteArray &bytes)
{
    if (m_tail.isEmpty()) {
        const qsizetype n = completePrefixLength(bytes.constData(), bytes.size());
        if (n == bytes.size())
            return bytes;
        m_tail = bytes.mid(n);
        return bytes.left(n);
    }
    QByteArray all = m_tail + bytes;
    const qsizetype n = completePrefixLength(all.constData(), all.size());
    m_tail = all.mid(n);
    all.truncate(n);
    return all;
}

QByteArray Utf8Splitter::flush()
{
    QByteArray tail;
    tail.swap(m_tail);
    return tail;
}

} // namespace jarvis::ssh
