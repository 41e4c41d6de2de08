#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QStringView>

// JSON scalars written exactly like JSON.stringify (ECMAScript Number::toString and
// QuoteJSONString), so text built from them matches what a JavaScript peer would produce byte for
// byte. Used by the Socket.IO encoder and by the direct writers of model/clusterdata.h.
namespace jarvis::json {

// A JSON string: '"', '\\' and control characters escaped (\b \f \n \r \t short forms, others
// \u00XX), lone surrogates as \uXXXX, everything else as UTF-8.
void appendJsonString(QByteArray &out, QStringView text);

// The same for text given as UTF-8 (terminal output), without a QString in between: writes what
// appendJsonString(out, utf8ToString(utf8)) (core/utf8.h) writes and returns true when `utf8` is
// valid UTF-8; otherwise leaves `out` as it was and returns false (the caller then decides how to
// replace the invalid bytes).
bool appendJsonStringUtf8(QByteArray &out, QByteArrayView utf8);

// A JSON number: shortest round-trip digits, positional notation for decimal exponents in
// [-7, 20], exponential ("1e+21", "1.5e-7") outside; -0 as "0"; NaN and infinities as "null".
void appendJsonNumber(QByteArray &out, double value);

// The same two, written at `p` (which the caller made room for) and returning the end: for
// writers that size their output once per record instead of once per scalar.
inline constexpr qsizetype MaxJsonNumberBytes = 32;
inline constexpr qsizetype maxJsonStringBytes(qsizetype utf16Units)
{
    return 6 * utf16Units + 2;
}
char *writeJsonString(char *p, QStringView text);
char *writeJsonNumber(char *p, double value);

} // namespace jarvis::json
