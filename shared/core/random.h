#pragma once

#include <QByteArray>
#include <QString>

namespace jarvis {

// `count` bytes from the system's cryptographically secure generator.
QByteArray randomBytes(qsizetype count);
// base64url (no padding) of `count` random bytes: session ids, token ids, secrets.
QString randomToken(qsizetype count);

} // namespace jarvis
