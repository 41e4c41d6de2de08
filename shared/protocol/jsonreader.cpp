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

std::optional<QJsonValue> read(QByteArrayView text, QString *error)
{
    return detail::StrictReader(text).readDocument(error);
}

} // namespace jarvis::json
