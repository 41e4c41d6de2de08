#pragma once

#include <QByteArrayView>
#include <QJsonValue>
#include <QString>

#include <optional>

// A strict JSON reader: exactly what JavaScript's JSON.parse accepts (RFC 8259: no unknown
// escapes, no raw control characters in strings, no "1." or ".5" or "+1", nothing after the value
// but whitespace), plus the limits of QJsonDocument (UTF-8 validated, nesting at most 1024 deep,
// numbers finite). Numbers are held like QJsonDocument holds them (a whole number in qint64 range
// as an integer). One pass, no QJsonDocument in between: long strings (terminal output, a guest
// list) are decoded in bulk instead of character by character, which is what makes QJsonDocument
// slow on them.
namespace jarvis::json {

// One JSON value with optional surrounding whitespace; nullopt and *error (when given) on
// anything else.
std::optional<QJsonValue> read(QByteArrayView text, QString *error = nullptr);

// Building blocks shared with the lenient PVE reader (model/pvereader.cpp).
namespace detail {

constexpr int NestingLimit = 1024; // QJsonDocument's

inline bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

// One UTF-8 sequence at p (p < end), validated like Qt's UTF-8 decoder (no overlongs, surrogates
// or code points above U+10FFFF); advances p.
bool decodeUtf8(const char *&p, const char *end, char32_t *out);

// result = result * 16 + the digit's value; false when it is not a hex digit.
bool addHexDigit(char digit, char32_t *result);

// A number as QJsonDocument holds it: whole values in qint64 range as integers.
struct Number
{
    bool isInt = false;
    qint64 i = 0;
    double d = 0;
};

// The value of number text the caller's grammar has accepted (sign, digits, optional fraction
// and exponent): correctly rounded like QByteArray::toDouble; false when it is not finite.
bool convertNumber(const char *start, const char *end, Number *out);

} // namespace detail

} // namespace jarvis::json
