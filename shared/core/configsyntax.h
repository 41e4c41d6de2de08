#pragma once

#include <QRegularExpression>
#include <QString>

// The syntax of configuration values that jarvisd checks (--check-config, service/config) and
// jarvis-setup checks before it writes them (installer/setup): one rule for both.
namespace jarvis::core {

// USER@REALM!TOKENID, as Proxmox spells an API token.
inline bool isValidTokenId(const QString &text)
{
    static const QRegularExpression re(
        QStringLiteral("^[^\\s@!:]+@[A-Za-z][A-Za-z0-9._-]*![A-Za-z][A-Za-z0-9._-]*$"));
    return re.match(text).hasMatch();
}

// A cluster node's name, as in [node.NAME].
inline bool isValidNodeName(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]*$"));
    return re.match(text).hasMatch();
}

// A SHA-256 fingerprint: 32 colon-separated hex pairs.
inline bool isValidFingerprint(const QString &text)
{
    static const QRegularExpression re(QStringLiteral("^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){31}$"));
    return re.match(text).hasMatch();
}

} // namespace jarvis::core
