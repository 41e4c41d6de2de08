#pragma once

#include <QByteArray>
#include <QString>

// PBKDF2-SHA256 password hashes in the config format
//   pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>
// (standard base64 with padding; 16-byte random salt, 32-byte hash).
namespace jarvis::auth {

inline constexpr int DefaultPbkdf2Iterations = 600000;
// Hashes outside these bounds are malformed (bounded work on a hostile config).
inline constexpr int MinPbkdf2Iterations = 1000;
inline constexpr int MaxPbkdf2Iterations = 10000000;

// Hashes `password` with a fresh random salt (QRandomGenerator::system()); `iterations` is
// clamped to [MinPbkdf2Iterations, MaxPbkdf2Iterations].
QString hashPassword(const QString &password, int iterations = DefaultPbkdf2Iterations);

// True when `encoded` is a well-formed hash string (used by --check-config); `why` says what is
// wrong.
bool isValidPasswordHash(const QString &encoded, QString *why = nullptr);

// Constant-time check of `password` against `encoded`. False for malformed hashes.
bool verifyPassword(const QString &password, const QString &encoded);

// Compares two byte strings in time that depends only on their lengths.
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

} // namespace jarvis::auth
