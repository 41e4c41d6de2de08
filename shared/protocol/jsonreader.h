#pragma once

#include "core/utf8.h"

#include <QByteArrayView>
#include <QJsonArray>
#include <QJsonObject>
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

// The strict reader itself (json::read is readDocument()), for readers that go straight to typed
// data (model::vmsFromWireJson): a cursor over the text whose pieces (values, strings, numbers)
// check exactly what read() checks. Public members, so a typed reader can step through the
// grammar itself; the first failure's description is kept (what(), errorString()).
class StrictReader
{
public:
    explicit StrictReader(QByteArrayView text)
        : m_p(text.data())
        , m_end(text.data() + text.size())
    { }

    std::optional<QJsonValue> readDocument(QString *error)
    {
        QJsonValue value;
        skipSpace();
        if (readValue(&value, 0)) {
            skipSpace();
            if (m_p == m_end)
                return value;
            fail("unexpected text after the value");
        }
        if (error)
            *error = errorString();
        return std::nullopt;
    }

    bool fail(const char *what)
    {
        if (!m_what)
            m_what = what;
        return false;
    }

    void skipSpace()
    {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\t' || *m_p == '\n' || *m_p == '\r'))
            ++m_p;
    }

    bool readValue(QJsonValue *out, int depth)
    {
        if (m_p >= m_end)
            return fail("unexpected end of data");
        switch (*m_p) {
        case '{':
            return readObject(out, depth + 1);
        case '[':
            return readArray(out, depth + 1);
        case '"': {
            QString text;
            if (!readString(&text))
                return false;
            *out = QJsonValue(std::move(text));
            return true;
        }
        case 't':
            return readLiteral("true", QJsonValue(true), out);
        case 'f':
            return readLiteral("false", QJsonValue(false), out);
        case 'n':
            return readLiteral("null", QJsonValue(QJsonValue::Null), out);
        default:
            if (*m_p == '-' || isDigit(*m_p))
                return readNumber(out);
            return fail("unexpected character");
        }
    }

    bool readLiteral(const char *word, QJsonValue value, QJsonValue *out)
    {
        const auto size = qsizetype(std::strlen(word));
        if (m_end - m_p < size || std::memcmp(m_p, word, size_t(size)) != 0)
            return fail("invalid literal");
        m_p += size;
        *out = std::move(value);
        return true;
    }

    bool readArray(QJsonValue *out, int depth)
    {
        if (depth > NestingLimit)
            return fail("too deeply nested");
        ++m_p; // '['
        QJsonArray array;
        skipSpace();
        if (m_p < m_end && *m_p == ']') {
            ++m_p;
            *out = QJsonValue(std::move(array));
            return true;
        }
        for (;;) {
            QJsonValue element;
            skipSpace();
            if (!readValue(&element, depth))
                return false;
            array.append(element);
            skipSpace();
            if (m_p >= m_end)
                return fail("unterminated array");
            if (*m_p == ']') {
                ++m_p;
                *out = QJsonValue(std::move(array));
                return true;
            }
            if (*m_p != ',')
                return fail("expected ',' or ']'");
            ++m_p;
        }
    }

    bool readObject(QJsonValue *out, int depth)
    {
        if (depth > NestingLimit)
            return fail("too deeply nested");
        ++m_p; // '{'
        QJsonObject object;
        skipSpace();
        if (m_p < m_end && *m_p == '}') {
            ++m_p;
            *out = QJsonValue(std::move(object));
            return true;
        }
        for (;;) {
            skipSpace();
            if (m_p >= m_end || *m_p != '"')
                return fail("expected a member name");
            QString key;
            if (!readString(&key))
                return false;
            skipSpace();
            if (m_p >= m_end || *m_p != ':')
                return fail("expected ':'");
            ++m_p;
            skipSpace();
            QJsonValue member;
            if (!readValue(&member, depth))
                return false;
            object.insert(key, member); // a repeated name keeps the last value, like JSON.parse
            skipSpace();
            if (m_p >= m_end)
                return fail("unterminated object");
            if (*m_p == '}') {
                ++m_p;
                *out = QJsonValue(std::move(object));
                return true;
            }
            if (*m_p != ',')
                return fail("expected ',' or '}'");
            ++m_p;
        }
    }

    // A string's text as scanned: [start, start + size) between the quotes.
    struct StringText
    {
        const char *start = nullptr;
        qsizetype size = 0;
        bool ascii = true; // no byte above 0x7f
        bool escaped = false; // at least one backslash escape
        QLatin1StringView latin1() const { return QLatin1StringView(start, size); }
    };

    // m_p is at the opening quote. A first pass finds the end and checks everything (escapes,
    // control characters, UTF-8); decodeString() makes the QString.
    bool scanString(StringText *out)
    {
        ++m_p;
        const char *start = m_p;
        bool ascii = true;
        bool escaped = false;
        for (;;) {
            m_p += plainStringPrefix(m_p, m_end);
            if (m_p >= m_end)
                return fail("unterminated string");
            const auto c = uchar(*m_p);
            if (c == '"')
                break;
            if (c < 0x20)
                return fail("control character in a string");
            if (c == '\\') {
                escaped = true;
                if (!skipEscape())
                    return false;
            } else if (c >= 0x80) {
                ascii = false;
                char32_t ch = 0;
                if (!decodeUtf8(m_p, m_end, &ch))
                    return fail("invalid UTF-8 in a string");
            } else {
                ++m_p;
            }
        }
        *out = {start, m_p - start, ascii, escaped};
        ++m_p; // closing quote
        return true;
    }

    // A string scanString() has checked: plain ASCII is converted in one call, one with escapes
    // decoded into a buffer that cannot overflow (never more UTF-16 units than bytes).
    static QString decodeString(const StringText &s)
    {
        if (!s.escaped)
            return s.ascii ? QString::fromLatin1(s.start, s.size)
                           : utf8ToString(QByteArrayView(s.start, s.size));
        QString out(s.size, Qt::Uninitialized);
        char16_t *to = reinterpret_cast<char16_t *>(out.data());
        const char *p = s.start;
        const char *end = s.start + s.size;
        while (p < end) {
            const auto c = uchar(*p);
            if (c < 0x80 && c != '\\') {
                *to++ = char16_t(c);
                ++p;
                continue;
            }
            char32_t ch = 0;
            if (c == '\\') {
                ch = escapeValue(p);
            } else {
                decodeUtf8(p, end, &ch); // validated in the first pass
            }
            if (QChar::requiresSurrogates(ch)) {
                *to++ = QChar::highSurrogate(ch);
                *to++ = QChar::lowSurrogate(ch);
            } else {
                *to++ = char16_t(ch);
            }
        }
        out.resize(to - reinterpret_cast<const char16_t *>(out.constData()));
        return out;
    }

    bool readString(QString *out)
    {
        StringText s;
        if (!scanString(&s))
            return false;
        *out = decodeString(s);
        return true;
    }

    // m_p is at a backslash: checks one escape and moves past it.
    bool skipEscape()
    {
        if (m_end - m_p < 2)
            return fail("unterminated string");
        switch (m_p[1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            m_p += 2;
            return true;
        case 'u': {
            if (m_end - m_p < 6)
                return fail("invalid \\u escape");
            char32_t ignored = 0;
            for (int k = 2; k < 6; ++k) {
                if (!addHexDigit(m_p[k], &ignored))
                    return fail("invalid \\u escape");
            }
            m_p += 6;
            return true;
        }
        default:
            return fail("invalid escape");
        }
    }

    // The value of one escape the first pass has checked (p at its backslash); advances p. A \u
    // escape stands for one UTF-16 unit, so a pair of them makes a surrogate pair and a lone
    // surrogate stays one, as in JSON.parse.
    static char32_t escapeValue(const char *&p)
    {
        const char e = p[1];
        p += 2;
        switch (e) {
        case 'b':
            return 0x8;
        case 'f':
            return 0xc;
        case 'n':
            return 0xa;
        case 'r':
            return 0xd;
        case 't':
            return 0x9;
        case 'u': {
            char32_t unit = 0;
            for (int k = 0; k < 4; ++k)
                addHexDigit(p[k], &unit);
            p += 4;
            return unit;
        }
        default: // '"', '\\', '/'
            return char32_t(uchar(e));
        }
    }

    bool digits()
    {
        const char *start = m_p;
        while (m_p < m_end && isDigit(*m_p))
            ++m_p;
        return m_p > start;
    }

    bool readNumber(QJsonValue *out)
    {
        Number number;
        if (!readNumber(&number))
            return false;
        *out = number.isInt ? QJsonValue(number.i) : QJsonValue(number.d);
        return true;
    }

    // m_p is at '-' or a digit.
    bool readNumber(Number *number)
    {
        const char *start = m_p;
        if (*m_p == '-')
            ++m_p;
        if (m_p < m_end && *m_p == '0')
            ++m_p;
        else if (!digits())
            return fail("invalid number");
        if (m_p < m_end && *m_p == '.') {
            ++m_p;
            if (!digits())
                return fail("invalid number");
        }
        if (m_p < m_end && (*m_p == 'e' || *m_p == 'E')) {
            ++m_p;
            if (m_p < m_end && (*m_p == '+' || *m_p == '-'))
                ++m_p;
            if (!digits())
                return fail("invalid number");
        }
        if (!convertNumber(start, m_p, number))
            return fail("number out of range");
        return true;
    }

    // The first error's description, null while none.
    const char *what() const { return m_what; }
    qsizetype offset() const { return m_p - m_begin; }
    QString errorString() const
    {
        return QStringLiteral("invalid JSON data: %1 at offset %2")
            .arg(QLatin1StringView(m_what ? m_what : "?"))
            .arg(offset());
    }

    const char *m_p;
    const char *m_begin = m_p;
    const char *m_end;
    const char *m_what = nullptr;
};

} // namespace detail

} // namespace jarvis::json
