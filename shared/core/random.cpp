#include "core/random.h"

#include <QRandomGenerator>

namespace jarvis {

QByteArray randomBytes(qsizetype count)
{
    QByteArray bytes(count, Qt::Uninitialized);
    QRandomGenerator *generator = QRandomGenerator::system();
    for (qsizetype i = 0; i < count; i += 4) {
        const quint32 word = generator->generate();
        for (qsizetype j = 0; j < 4 && i + j < count; ++j)
            bytes[i + j] = char((word >> (8 * j)) & 0xff);
    }
    return bytes;
}

QString randomToken(qsizetype count)
{
    return QString::fromLatin1(randomBytes(count).toBase64(
        QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

} // namespace jarvis
