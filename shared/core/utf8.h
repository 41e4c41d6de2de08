#pragma once

#include <QByteArrayView>
#include <QString>
#include <QStringDecoder>

namespace jarvis {

// UTF-8 to QString, every character kept. QString::fromUtf8 drops a byte order mark at the
// start of its input, which is right for a file and wrong for a piece of one: a JSON string or
// a chunk of terminal output that begins with U+FEFF must keep it. Invalid sequences become
// U+FFFD, as with QString::fromUtf8.
inline QString utf8ToString(QByteArrayView utf8)
{
    if (!utf8.startsWith("\xEF\xBB\xBF"))
        return QString::fromUtf8(utf8);
    QStringDecoder decoder(QStringDecoder::Utf8,
        QStringDecoder::Flag::Stateless | QStringDecoder::Flag::ConvertInitialBom);
    return decoder.decode(utf8);
}

} // namespace jarvis
