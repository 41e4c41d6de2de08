#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

// API keys and other bearer secrets that the configuration names by hash only (PROTOCOL.md
// section 7: `[mcp] apiKeys`, `[metrics] token`). A key is 32 bytes from the system CSPRNG,
// written `jk_<base64url>`; the config holds `NAME:sha256:<64 hex>`. A fast hash is enough
// because the key itself has 256 bits of entropy (nothing to guess, unlike a password); the
// presented key is compared with every configured hash in constant time.
namespace jarvis::auth {

struct ApiKey
{
    QString name; // who the key belongs to: the audit log's and the metrics' label
    QByteArray sha256; // 32 raw bytes
};

// A fresh random key, "jk_" + 43 base64url characters.
QString newApiKey();

// "sha256:<64 lowercase hex>" of `key`'s UTF-8 bytes.
QString apiKeyHash(const QString &key);

// The config entry for a key: "NAME:sha256:<hex>".
QString apiKeyEntry(const QString &name, const QString &key);

// Whether `name` may name a key: letters, digits, '.', '_', '-', 1..64 characters.
bool isValidApiKeyName(const QString &name);

// Parses one "sha256:<64 hex>" hash (no name); false with `*why` when malformed.
bool parseApiKeyHash(const QString &text, QByteArray *sha256, QString *why = nullptr);

// Parses a comma-separated list of "NAME:sha256:<64 hex>" entries (whitespace around entries
// ignored; an empty list is valid and empty). Names must be unique. On error returns false and
// `*why` names the entry that is wrong and how (never echoing more than the entry's name).
bool parseApiKeys(const QString &text, QList<ApiKey> *keys, QString *why = nullptr);

// The key among `keys` whose hash matches `presented` (the raw bearer value), or nullptr.
// Every configured hash is compared, in constant time, whatever matches.
const ApiKey *matchApiKey(const QByteArray &presented, const QList<ApiKey> &keys);

} // namespace jarvis::auth
