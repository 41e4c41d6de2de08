#pragma once

#include <QByteArrayView>
#include <QJsonValue>
#include <QString>

#include <cstring>
#include <optional>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

// A strict JSON reader: exactly what JavaScript's JSON.parse accepts (RFC 8259: no unknown
// escapes, no raw control characters in strings, no "1." or ".5" or "+1", nothing after the value
// but whitespace), plus the limits of QJsonDocument (UTF-8 validated, nesting at most 1024 deep,
// numbers finite). Numbers are held like QJsonDocument holds them (a whole number in qint64 range
// as an integer). One pass, no QJsonDocument in between: long strings (terminal output, a guest
// list) are decoded in bulk instead of character by character, which is what makes QJsonDocument
// slow on them. Strings keep every character, a leading U+FEFF included, as JSON.parse does
// (QJsonDocument drops a byte order mark at the start of a string).
namespace jarvis::json {

// One JSON value with optional surrounding whitespace; nullopt and *error (when given) on
// anything else.
std::optional<QJsonValue> read(QByteArrayView text, QString *error = nullptr);

// Building blocks shared with the lenient PVE reader (service/proxmox/pvereader.cpp).
namespace detail {

constexpr int NestingLimit = 1024; // QJsonDocument's

inline bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

// How many bytes from p on (up to end) are plain JSON string text: printable ASCII other than
// '"' and '\\'. 16 bytes per step (SSE2, which every x86-64 has), 8 elsewhere.
inline qsizetype plainStringPrefix(const char *p, const char *end)
{
    const char *start = p;
#ifdef __SSE2__
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    while (end - p >= 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
        // Signed compare: below 0x20 or (as a negative byte) 0x80 and above.
        const __m128i special = _mm_or_si128(_mm_cmplt_epi8(v, space),
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
        const int mask = _mm_movemask_epi8(special);
        if (mask != 0)
            return p - start + __builtin_ctz(unsigned(mask));
        p += 16;
    }
#endif
    constexpr quint64 Ones = 0x0101010101010101ULL;
    constexpr quint64 High = 0x8080808080808080ULL;
    const auto hasZero = [](quint64 x) { return (x - Ones) & ~x & High; };
    while (end - p >= 8) {
        quint64 word;
        std::memcpy(&word, p, 8);
        const quint64 control = (word - Ones * 0x20) & ~word & High;
        if ((control | hasZero(word ^ (Ones * '"')) | hasZero(word ^ (Ones * '\\')) | (word & High))
            != 0)
            break;
        p += 8;
    }
    while (p < end && uchar(*p) >= 0x20 && uchar(*p) < 0x80 && *p != '"' && *p != '\\')
        ++p;
    return p - start;
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
