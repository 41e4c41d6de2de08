#include "protocol/jsonwriter.h"

#include "protocol/jsonreader.h"

#include <QChar>

#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

// Both writers produce their text in one go: the output grows once to the worst case, is written
// through a pointer and is cut back to what was written, so a long document is built without a
// reallocation per character (a caller that reserve()s up front never reallocates at all).

namespace jarvis::json {

namespace {

char *putUtf8(char *p, char32_t cp)
{
    if (cp < 0x80) {
        *p++ = char(cp);
    } else if (cp < 0x800) {
        *p++ = char(0xC0 | (cp >> 6));
        *p++ = char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *p++ = char(0xE0 | (cp >> 12));
        *p++ = char(0x80 | ((cp >> 6) & 0x3F));
        *p++ = char(0x80 | (cp & 0x3F));
    } else {
        *p++ = char(0xF0 | (cp >> 18));
        *p++ = char(0x80 | ((cp >> 12) & 0x3F));
        *p++ = char(0x80 | ((cp >> 6) & 0x3F));
        *p++ = char(0x80 | (cp & 0x3F));
    }
    return p;
}

char *putUnicodeEscape(char *p, char16_t unit)
{
    static const char hex[] = "0123456789abcdef";
    *p++ = '\\';
    *p++ = 'u';
    *p++ = hex[(unit >> 12) & 0xF];
    *p++ = hex[(unit >> 8) & 0xF];
    *p++ = hex[(unit >> 4) & 0xF];
    *p++ = hex[unit & 0xF];
    return p;
}

char *putShortEscape(char *p, char c)
{
    *p++ = '\\';
    *p++ = c;
    return p;
}

// Appends through a pointer: grows `out` to `maxBytes` more, returns where to write; finish() cuts
// `out` back to the bytes written.
char *beginAppend(QByteArray &out, qsizetype maxBytes)
{
    const qsizetype start = out.size();
    out.resize(start + maxBytes);
    return out.data() + start;
}

void finishAppend(QByteArray &out, const char *end)
{
    out.resize(end - out.constData());
}

// True when the 4 UTF-16 units of `word` are all printable ASCII other than '"' and '\\'.
inline bool allPlainUnits(quint64 word)
{
    constexpr quint64 Ones = 0x0001000100010001ULL;
    constexpr quint64 High = 0x8000800080008000ULL;
    const auto hasZero = [](quint64 x) { return (x - Ones) & ~x & High; };
    const quint64 control = (word - Ones * 0x20) & ~word & High;
    return ((word & (Ones * 0xff80)) | control | hasZero(word ^ (Ones * '"'))
               | hasZero(word ^ (Ones * '\\')))
        == 0;
}

char *putEscapedAscii(char *p, char c)
{
    switch (c) {
    case '"':
    case '\\':
        return putShortEscape(p, c);
    case '\b':
        return putShortEscape(p, 'b');
    case '\f':
        return putShortEscape(p, 'f');
    case '\n':
        return putShortEscape(p, 'n');
    case '\r':
        return putShortEscape(p, 'r');
    case '\t':
        return putShortEscape(p, 't');
    default:
        if (uchar(c) < 0x20)
            return putUnicodeEscape(p, char16_t(c));
        *p++ = c;
        return p;
    }
}

} // namespace

// JSON.stringify's QuoteJSONString: escapes '"', '\\', control characters and lone surrogates.
void appendJsonString(QByteArray &out, QStringView text)
{
    // Worst case per UTF-16 unit: a six-byte \uXXXX escape (UTF-8 needs at most 3 per unit).
    char *p = beginAppend(out, maxJsonStringBytes(text.size()));
    finishAppend(out, writeJsonString(p, text));
}

char *writeJsonString(char *p, QStringView text)
{
    const qsizetype size = text.size();
    const char16_t *units = text.utf16();
    *p++ = '"';
    for (qsizetype i = 0; i < size; ++i) {
        // Runs of plain ASCII four units at a time (terminal output, names, ids).
        while (size - i >= 4) {
            quint64 word;
            std::memcpy(&word, units + i, 8);
            if (!allPlainUnits(word))
                break;
            p[0] = char(units[i]);
            p[1] = char(units[i + 1]);
            p[2] = char(units[i + 2]);
            p[3] = char(units[i + 3]);
            p += 4;
            i += 4;
        }
        if (i >= size)
            break;
        const char16_t unit = units[i];
        if (unit < 0x80) {
            p = putEscapedAscii(p, char(unit));
        } else if (QChar::isHighSurrogate(unit) && i + 1 < size
            && QChar::isLowSurrogate(units[i + 1])) {
            p = putUtf8(p, QChar::surrogateToUcs4(unit, units[i + 1]));
            ++i;
        } else if (QChar::isSurrogate(unit)) {
            p = putUnicodeEscape(p, unit);
        } else {
            p = putUtf8(p, unit);
        }
    }
    *p++ = '"';
    return p;
}

bool appendJsonStringUtf8(QByteArray &out, QByteArrayView utf8)
{
    const qsizetype start = out.size();
    const qsizetype size = utf8.size();
    const char *in = utf8.data();
    const char *end = in + size;
    char *p = beginAppend(out, 6 * size + 2);
    *p++ = '"';
    while (in < end) {
        // Runs of plain ASCII, copied as they are.
        const qsizetype plain = detail::plainStringPrefix(in, end);
        std::memcpy(p, in, size_t(plain));
        p += plain;
        in += plain;
        if (in >= end)
            break;
        const auto c = uchar(*in);
        if (c < 0x80) {
            p = putEscapedAscii(p, char(c));
            ++in;
            continue;
        }
        const char *sequence = in;
        char32_t ignored = 0;
        if (!detail::decodeUtf8(in, end, &ignored)) {
            out.resize(start);
            return false;
        }
        while (sequence < in)
            *p++ = *sequence++;
    }
    *p++ = '"';
    finishAppend(out, p);
    return true;
}

// Number::toString of ECMAScript: shortest round-trip digits, positional notation for exponents
// in [-7, 20], exponential ("1e+21", "1.5e-7") outside.
void appendJsonNumber(QByteArray &out, double value)
{
    char *p = beginAppend(out, MaxJsonNumberBytes);
    finishAppend(out, writeJsonNumber(p, value));
}

char *writeJsonNumber(char *p, double value)
{
    if (!std::isfinite(value)) {
        std::memcpy(p, "null", 4);
        return p + 4;
    }
    if (value == 0) {
        *p++ = '0'; // also -0
        return p;
    }
    // Integers up to 2^53 are their own shortest round-trip digits: written as integers directly.
    constexpr double MaxExactInteger = 9007199254740992.0; // 2^53
    if (std::abs(value) <= MaxExactInteger && std::trunc(value) == value)
        return std::to_chars(p, p + 24, static_cast<long long>(value)).ptr;

    // Worst case "-d.dddddddddddddddde-324" or "-0.000000ddddddddddddddddd" or 21 digits.
    if (value < 0) {
        *p++ = '-';
        value = -value;
    }
    char buffer[64];
    const std::to_chars_result result =
        std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
    if (result.ec != std::errc()) {
        std::memcpy(p, "null", 4); // cannot happen with a 64-byte buffer
        return p + 4;
    }
    // buffer holds "d[.ddd]e(+|-)xx"
    char digits[32];
    int k = 0;
    const char *q = buffer;
    for (; q < result.ptr && *q != 'e'; ++q) {
        if (*q >= '0' && *q <= '9' && k < int(sizeof digits))
            digits[k++] = *q;
    }
    int exponent = 0;
    if (q < result.ptr && *q == 'e') {
        ++q;
        bool negative = false;
        if (q < result.ptr && (*q == '+' || *q == '-')) {
            negative = *q == '-';
            ++q;
        }
        for (; q < result.ptr && *q >= '0' && *q <= '9'; ++q)
            exponent = exponent * 10 + (*q - '0');
        if (negative)
            exponent = -exponent;
    }
    while (k > 1 && digits[k - 1] == '0')
        --k;

    const int n = exponent + 1; // value = 0.digits * 10^n
    if (k <= n && n <= 21) {
        std::memcpy(p, digits, k);
        p += k;
        std::memset(p, '0', n - k);
        p += n - k;
    } else if (0 < n && n <= 21) {
        std::memcpy(p, digits, n);
        p += n;
        *p++ = '.';
        std::memcpy(p, digits + n, k - n);
        p += k - n;
    } else if (-6 < n && n <= 0) {
        *p++ = '0';
        *p++ = '.';
        std::memset(p, '0', -n);
        p += -n;
        std::memcpy(p, digits, k);
        p += k;
    } else {
        *p++ = digits[0];
        if (k > 1) {
            *p++ = '.';
            std::memcpy(p, digits + 1, k - 1);
            p += k - 1;
        }
        *p++ = 'e';
        *p++ = n - 1 >= 0 ? '+' : '-';
        const std::to_chars_result e = std::to_chars(p, p + 8, std::abs(n - 1));
        p = e.ptr;
    }
    return p;
}

} // namespace jarvis::json
