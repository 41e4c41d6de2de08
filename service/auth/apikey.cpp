#include "auth/apikey.h"

#include "auth/password.h"

#include <QCryptographicHash>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>

namespace jarvis::auth {

namespace {

const QLatin1String HashPrefix("sha256:");

} // namespace

QString newApiKey()
{
    QByteArray bytes(32, Qt::Uninitialized);
    QRandomGenerator::system()->generate(
        reinterpret_cast<quint32 *>(bytes.data()), reinterpret_cast<quint32 *>(bytes.data() + 32));
    return QStringLiteral("jk_")
        + QString::fromLatin1(
            bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QString apiKeyHash(const QString &key)
{
    return HashPrefix
        + QString::fromLatin1(
            QCryptographicHash::hash(key.toUtf8(), QCryptographicHash::Sha256).toHex());
}

QString apiKeyEntry(const QString &name, const QString &key)
{
    return name + QLatin1Char(':') + apiKeyHash(key);
}

bool isValidApiKeyName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    return re.match(name).hasMatch();
}

bool parseApiKeyHash(const QString &text, QByteArray *sha256, QString *why)
{
    static const QRegularExpression hex(QStringLiteral("^[0-9A-Fa-f]{64}$"));
    if (!text.startsWith(HashPrefix)) {
        if (why)
            *why = QStringLiteral("a key hash is sha256:<64 hex digits> (jarvisd --new-api-key "
                                  "NAME prints one)");
        return false;
    }
    const QString digits = text.mid(HashPrefix.size());
    if (!hex.match(digits).hasMatch()) {
        if (why)
            *why = QStringLiteral("sha256: must be followed by exactly 64 hex digits");
        return false;
    }
    *sha256 = QByteArray::fromHex(digits.toLatin1());
    return true;
}

bool parseApiKeys(const QString &text, QList<ApiKey> *keys, QString *why)
{
    keys->clear();
    if (text.trimmed().isEmpty())
        return true;
    QSet<QString> names;
    const QStringList entries = text.split(QLatin1Char(','));
    for (qsizetype i = 0; i < entries.size(); ++i) {
        const QString entry = entries.at(i).trimmed();
        const qsizetype colon = entry.indexOf(QLatin1Char(':'));
        const QString name = colon < 0 ? QString() : entry.left(colon);
        auto fail = [&](const QString &reason) {
            if (why)
                *why = QStringLiteral("entry %1%2: %3")
                           .arg(i + 1)
                           .arg(isValidApiKeyName(name) ? QStringLiteral(" (%1)").arg(name)
                                                        : QString(),
                               reason);
            keys->clear();
            return false;
        };
        if (!isValidApiKeyName(name))
            return fail(QStringLiteral("expected NAME:sha256:<64 hex>, NAME of letters, digits, "
                                       "'.', '_', '-'"));
        if (names.contains(name))
            return fail(QStringLiteral("the name is used twice"));
        ApiKey key {name, {}};
        QString reason;
        if (!parseApiKeyHash(entry.mid(colon + 1), &key.sha256, &reason))
            return fail(reason);
        names.insert(name);
        keys->append(key);
    }
    return true;
}

const ApiKey *matchApiKey(const QByteArray &presented, const QList<ApiKey> &keys)
{
    const QByteArray digest = QCryptographicHash::hash(presented, QCryptographicHash::Sha256);
    const ApiKey *found = nullptr;
    for (const ApiKey &key : keys) {
        // No early exit: every hash is compared whatever matched before.
        if (constantTimeEquals(digest, key.sha256) && !found)
            found = &key;
    }
    return found;
}

} // namespace jarvis::auth
