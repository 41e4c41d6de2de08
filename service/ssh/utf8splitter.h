#pragma once

#include <QByteArray>

namespace jarvis::ssh {

// Cuts a byte stream at UTF-8 character boundaries, so text made from each piece never holds half
// a character. feed() returns the longest prefix of (kept tail + input) that does not end inside
// a multi-byte sequence and keeps that incomplete tail (at most 3 bytes) for the next call.
// Bytes that cannot begin or continue a valid sequence (stray continuation bytes, C0/C1/F5..FF,
// an over-long or surrogate start such as E0 80 or ED A0) are passed through unchanged and never
// held back; the consumer's decoder replaces them (QString::fromUtf8 makes each one U+FFFD).
// A value type with no thread affinity.
class Utf8Splitter
{
public:
    QByteArray feed(const QByteArray &bytes);
    QByteArray flush(); // the kept tail, e.g. when the stream ends
    qsizetype pendingSize() const { return m_tail.size(); }

    // Length of the longest prefix of data[0, size) that does not end in an incomplete sequence.
    static qsizetype completePrefixLength(const char *data, qsizetype size);

private:
    QByteArray m_tail;
};

} // namespace jarvis::ssh
