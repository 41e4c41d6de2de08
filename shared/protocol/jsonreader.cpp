#include "jsonreader.h"
#include "core/utf8.h"

#include <QJsonArray>
#include <QJsonObject>

#include <cmath>
#include <cstring>

namespace jarvis::json {

namespace detail {

namespace {

bool isContinuation(uchar b)
{
    return (b & 0xc0) == 0x80;
}

} // namespace

bool decodeUtf8(const char *&p, const char *end, char32_t *out)
{
    const uchar b = uchar(*p);
    if (b < 0x80) {
        *out = b;
        ++p;
        return true;
    }
    qsizetype needed = 0;
    char32_t minimum = 0;
    char32_t uc = 0;
    if (b <= 0xc1) {
        return false;
    } else if (b < 0xe0) {
        needed = 2;
        minimum = 0x80;
        uc = b & 0x1f;
    } else if (b < 0xf0) {
        needed = 3;
        minimum = 0x800;
        uc = b & 0x0f;
    } else if (b < 0xf5) {
        needed = 4;
        minimum = 0x10000;
        uc = b & 0x07;
    } else {
        return false;
    }
    if (end - p < needed)
        return false;
    for (qsizetype k = 1; k < needed; ++k) {
        const uchar c = uchar(p[k]);
        if (!isContinuation(c))
            return false;
        uc = (uc << 6) | (c & 0x3f);
    }
    if (uc < minimum || (uc >= 0xd800 && uc <= 0xdfff) || uc > 0x10ffff)
        return false;
    p += needed;
    *out = uc;
    return true;
}

bool addHexDigit(char digit, char32_t *result)
{
    *result <<= 4;
    if (digit >= '0' && digit <= '9')
        *result |= char32_t(digit - '0');
    else if (digit >= 'a' && digit <= 'f')
        *result |= char32_t(digit - 'a' + 10);
    else if (digit >= 'A' && digit <= 'F')
        *result |= char32_t(digit - 'A' + 10);
    else
        return false;
    return true;
}

namespace {

// Like Qt's parser: a whole double in qint64 range is held as an integer.
void setDouble(Number *out, double d)
{
    if (d == std::trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
        out->isInt = true;
        out->i = qint64(d);
    } else {
        out->isInt = false;
        out->d = d;
    }
}

} // namespace

bool convertNumber(const char *start, const char *end, Number *out)
{
    const char *p = start;
    if (p < end && *p == '-')
        ++p;
    const char *digits = p;
    while (p < end && isDigit(*p))
        ++p;
    const char *intEnd = p;
    const qsizetype digitCount = intEnd - digits;

    // Fast path: a plain integer that cannot overflow.
    if (intEnd == end && digitCount >= 1 && digitCount <= 18) {
        qint64 value = 0;
        for (const char *d = digits; d < intEnd; ++d)
            value = value * 10 + (*d - '0');
        out->isInt = true;
        out->i = start == digits ? value : -value;
        return true;
    }

    // Fast path: a short decimal without exponent ("0.0123"). Mantissa and power of ten are both
    // exact doubles, so one division is correctly rounded: the same double as toDouble() gives.
    if (intEnd < end && *intEnd == '.') {
        const char *fracEnd = intEnd + 1;
        while (fracEnd < end && isDigit(*fracEnd))
            ++fracEnd;
        const qsizetype fracDigits = fracEnd - intEnd - 1;
        if (fracEnd == end && digitCount >= 1 && digitCount + fracDigits <= 15) {
            static constexpr double Powers[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
                1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
            qint64 mantissa = 0;
            for (const char *d = digits; d < fracEnd; ++d) {
                if (*d != '.')
                    mantissa = mantissa * 10 + (*d - '0');
            }
            const double d = double(mantissa) / Powers[fracDigits];
            setDouble(out, start != digits ? -d : d);
            return true;
        }
    }

    const QByteArray number = QByteArray::fromRawData(start, end - start);
    if (intEnd == end) {
        bool ok = false;
        const qlonglong n = number.toLongLong(&ok);
        if (ok) {
            out->isInt = true;
            out->i = n;
            return true;
        }
    }
    bool ok = false;
    const double d = number.toDouble(&ok);
    if (!ok || !std::isfinite(d))
        return false;
    setDouble(out, d);
    return true;
}

} // namespace detail

namespace {

using detail::isDigit;

class Reader
{
public:
    Reader(QByteArrayView text)
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
            *error = QStringLiteral("invalid JSON data: %1 at offset %2")
                         .arg(QLatin1StringView(m_what))
                         .arg(m_p - m_begin);
        return std::nullopt;
    }

private:
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
        if (depth > detail::NestingLimit)
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
        if (depth > detail::NestingLimit)
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

    // m_p is at the opening quote. A first pass finds the end and checks everything (escapes,
    // control characters, UTF-8); a string that is plain ASCII is then converted in one call, one
    // with escapes decoded into a buffer that cannot overflow (never more UTF-16 units than bytes).
    bool readString(QString *out)
    {
        ++m_p;
        const char *start = m_p;
        bool ascii = true;
        bool escaped = false;
        for (;;) {
            m_p += detail::plainStringPrefix(m_p, m_end);
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
                if (!detail::decodeUtf8(m_p, m_end, &ch))
                    return fail("invalid UTF-8 in a string");
            } else {
                ++m_p;
            }
        }
        const qsizetype size = m_p - start;
        ++m_p; // closing quote
        if (!escaped) {
            *out = ascii ? QString::fromLatin1(start, size)
                         : utf8ToString(QByteArrayView(start, size));
            return true;
        }
        *out = QString(size, Qt::Uninitialized);
        char16_t *to = reinterpret_cast<char16_t *>(out->data());
        const char *p = start;
        const char *end = start + size;
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
                detail::decodeUtf8(p, end, &ch); // validated in the first pass
            }
            if (QChar::requiresSurrogates(ch)) {
                *to++ = QChar::highSurrogate(ch);
                *to++ = QChar::lowSurrogate(ch);
            } else {
                *to++ = char16_t(ch);
            }
        }
        out->resize(to - reinterpret_cast<const char16_t *>(out->constData()));
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
                if (!detail::addHexDigit(m_p[k], &ignored))
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
                detail::addHexDigit(p[k], &unit);
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
        detail::Number number;
        if (!detail::convertNumber(start, m_p, &number))
            return fail("number out of range");
        *out = number.isInt ? QJsonValue(number.i) : QJsonValue(number.d);
        return true;
    }

    const char *m_p;
    const char *m_begin = m_p;
    const char *m_end;
    const char *m_what = nullptr;
};

} // namespace

std::optional<QJsonValue> read(QByteArrayView text, QString *error)
{
    return Reader(text).readDocument(error);
}

} // namespace jarvis::json
