#include "proxmox/pvereader.h"

#include "core/utf8.h"
#include "protocol/jsonreader.h"

#include <cstring>

// The grammar below follows QJsonDocument::fromJson (Qt 6) step by step, leniencies included: a
// UTF-8 BOM is skipped, an unknown escape stands for the character after the backslash, raw
// control characters are allowed in strings, "1." and "1.e5" are numbers, whatever
// QByteArray::toDouble() accepts after the number scan is a number, nesting deeper than 1024
// is an error. Strings must be valid UTF-8 (no overlongs, no encoded surrogates, nothing past
// U+10FFFF); \uXXXX escapes are UTF-16 code units, so surrogate pairs join up by themselves.

namespace jarvis::proxmox {

const detail::PveValue &detail::PveRow::undefinedValue()
{
    static const PveValue undefined;
    return undefined;
}

namespace {

using detail::PveRow;
using detail::PveValue;

using jarvis::json::detail::addHexDigit;
using jarvis::json::detail::decodeUtf8;
using jarvis::json::detail::isDigit;
constexpr int kNestingLimit = json::detail::NestingLimit;

void setNumber(PveValue *out, const json::detail::Number &number)
{
    out->kind = QJsonValue::Double;
    out->isInt = number.isInt;
    out->i = number.i;
    out->d = number.d;
}

// ASCII text into `out`: kept as is when equal (a row's "type", "status" and "node" mostly repeat
// the previous row's, so they share one string), overwritten in place when not shared,
// allocated only otherwise.
void assignAscii(QString &out, const char *text, qsizetype size)
{
    if (out.size() == size) {
        const QChar *have = out.constData();
        qsizetype k = 0;
        while (k < size && have[k].unicode() == char16_t(uchar(text[k])))
            ++k;
        if (k == size)
            return;
    }
    if (out.isDetached() && out.capacity() >= size) {
        out.resize(size);
        char16_t *to = reinterpret_cast<char16_t *>(out.data());
        for (qsizetype k = 0; k < size; ++k)
            to[k] = char16_t(uchar(text[k]));
        return;
    }
    out = QString::fromLatin1(text, size);
}

void appendUcs4(QString &out, char32_t ch)
{
    if (QChar::requiresSurrogates(ch)) {
        out.append(QChar(QChar::highSurrogate(ch)));
        out.append(QChar(QChar::lowSurrogate(ch)));
    } else {
        out.append(QChar(char16_t(ch)));
    }
}

class Reader
{
public:
    explicit Reader(const QByteArray &body)
        : m_head(body.constData())
        , m_p(body.constData())
        , m_end(body.constData() + body.size())
    { }

    std::optional<ClusterResources> parse(QString *error, PveBodyStatus *status);

private:
    bool fail(const char *what)
    {
        if (!m_error) {
            m_error = what;
            m_errorOffset = m_p - m_head;
        }
        return false;
    }

    bool eatSpace()
    {
        while (m_p < m_end) {
            const char c = *m_p;
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
                break;
            ++m_p;
        }
        return m_p < m_end;
    }

    char nextToken()
    {
        if (!eatSpace())
            return 0;
        const char token = *m_p++;
        switch (token) {
        case '[':
        case '{':
        case ':':
        case ',':
        case ']':
        case '}':
        case '"':
            return token;
        default:
            return 0;
        }
    }

    bool enter()
    {
        if (++m_depth > kNestingLimit)
            return fail("too deeply nested document");
        return true;
    }

    bool readString(QString *out, int *slot);
    bool readNumber(PveValue *out);
    bool readValue(PveValue *out, bool collectElements);
    template<typename ElementReader> bool readElements(ElementReader element);
    // The members of an object (m_p just past its '{'): `member` reads one, from just past its
    // name's opening quote through its value.
    template<typename MemberReader> bool readMembers(MemberReader member);
    bool nameSeparator(); // ':' after a member name, then the start of its value
    bool readArray(PveValue *out, bool collectElements);
    bool readObject(PveRow *row);
    bool readData(ClusterResources &resources);
    bool readTop(ClusterResources &resources, bool &haveData, bool &dataIsArray);

    const char *m_head;
    const char *m_p;
    const char *m_end;
    int m_depth = 0;
    const char *m_error = nullptr;
    qsizetype m_errorOffset = 0;
    PveRow m_row;
    QString m_key;
};

// m_p is just past the opening quote. `out` gets the text (when given); `slot` the row slot of
// the text taken as a key (when given).
bool Reader::readString(QString *out, int *slot)
{
    const char *start = m_p;
    bool ascii = true;
    bool escaped = false;
    while (m_p < m_end) {
        m_p += json::detail::plainStringPrefix(m_p, m_end); // 16 plain bytes a step
        if (m_p >= m_end)
            break;
        const char c = *m_p;
        if (c == '"')
            break;
        if (c == '\\') {
            escaped = true;
            break;
        }
        if (uchar(c) < 0x80) {
            ++m_p;
            continue;
        }
        char32_t ch = 0;
        if (!decodeUtf8(m_p, m_end, &ch))
            return fail("invalid UTF8 string");
        ascii = false;
    }
    if (m_p + 1 >= m_end)
        return fail("unterminated string");
    if (!escaped) {
        const qsizetype size = m_p - start;
        ++m_p;
        if (out) {
            if (ascii)
                assignAscii(*out, start, size);
            else
                *out = utf8ToString(QByteArrayView(start, size));
        }
        if (slot)
            *slot = ascii ? PveRow::slot(start, size) : -1;
        return true;
    }

    // With escapes: decode character by character.
    QString scratch;
    QString *text = out ? out : (slot ? &scratch : nullptr);
    if (text) {
        text->clear();
        text->reserve(m_end - start < 64 ? m_end - start : 64);
        text->append(utf8ToString(QByteArrayView(start, m_p - start))); // validated above
    }
    while (m_p < m_end) {
        char32_t ch = 0;
        const char c = *m_p;
        if (c == '"')
            break;
        if (c == '\\') {
            ++m_p;
            if (m_p >= m_end)
                return fail("invalid escape sequence");
            const char e = *m_p++;
            switch (e) {
            case 'b':
                ch = 0x8;
                break;
            case 'f':
                ch = 0xc;
                break;
            case 'n':
                ch = 0xa;
                break;
            case 'r':
                ch = 0xd;
                break;
            case 't':
                ch = 0x9;
                break;
            case 'u':
                if (m_p > m_end - 4)
                    return fail("invalid escape sequence");
                for (int k = 0; k < 4; ++k) {
                    if (!addHexDigit(*m_p, &ch))
                        return fail("invalid escape sequence");
                    ++m_p;
                }
                break;
            default: // '"', '\\', '/', and (like Qt) any other character stands for itself
                ch = uchar(e);
                break;
            }
        } else if (!decodeUtf8(m_p, m_end, &ch)) {
            return fail("invalid UTF8 string");
        }
        if (text)
            appendUcs4(*text, ch);
    }
    ++m_p;
    if (m_p >= m_end)
        return fail("unterminated string");
    if (slot) {
        *slot = -1;
        bool latin = true;
        for (QChar ch : std::as_const(*text))
            latin = latin && ch.unicode() < 0x80;
        if (latin && text->size() <= detail::kPveRowLongestKey) {
            char key[detail::kPveRowLongestKey];
            for (qsizetype k = 0; k < text->size(); ++k)
                key[k] = char(text->at(k).unicode());
            *slot = PveRow::slot(key, text->size());
        }
    }
    return true;
}

bool Reader::readNumber(PveValue *out)
{
    // Qt's scan: sign, digits (a leading 0 ends them), optional fraction, optional exponent, each
    // part possibly empty; the conversion decides what the text is worth.
    const char *start = m_p;
    if (m_p < m_end && *m_p == '-')
        ++m_p;
    if (m_p < m_end && *m_p == '0') {
        ++m_p;
    } else {
        while (m_p < m_end && isDigit(*m_p))
            ++m_p;
    }
    if (m_p < m_end && *m_p == '.') {
        ++m_p;
        while (m_p < m_end && isDigit(*m_p))
            ++m_p;
    }
    if (m_p < m_end && (*m_p == 'e' || *m_p == 'E')) {
        ++m_p;
        if (m_p < m_end && (*m_p == '-' || *m_p == '+'))
            ++m_p;
        while (m_p < m_end && isDigit(*m_p))
            ++m_p;
    }
    if (m_p >= m_end)
        return fail("invalid termination by number");

    json::detail::Number number;
    if (!json::detail::convertNumber(start, m_p, &number))
        return fail("illegal number");
    if (out)
        setNumber(out, number);
    return true;
}

bool Reader::readValue(PveValue *out, bool collectElements)
{
    switch (*m_p++) {
    case 'n':
        if (m_end - m_p < 4 || m_p[0] != 'u' || m_p[1] != 'l' || m_p[2] != 'l')
            return fail("illegal value");
        m_p += 3;
        if (out)
            out->kind = QJsonValue::Null;
        return true;
    case 't':
        if (m_end - m_p < 4 || m_p[0] != 'r' || m_p[1] != 'u' || m_p[2] != 'e')
            return fail("illegal value");
        m_p += 3;
        if (out) {
            out->kind = QJsonValue::Bool;
            out->b = true;
        }
        return true;
    case 'f':
        if (m_end - m_p < 5 || m_p[0] != 'a' || m_p[1] != 'l' || m_p[2] != 's' || m_p[3] != 'e')
            return fail("illegal value");
        m_p += 4;
        if (out) {
            out->kind = QJsonValue::Bool;
            out->b = false;
        }
        return true;
    case '"':
        if (!readString(out ? &out->s : nullptr, nullptr))
            return false;
        if (out)
            out->kind = QJsonValue::String;
        return true;
    case '[':
        return readArray(out, collectElements);
    case '{':
        if (!readObject(nullptr))
            return false;
        if (out)
            out->kind = QJsonValue::Object;
        return true;
    case ',':
        return fail("illegal value");
    case '}':
    case ']':
        return fail("object is missing after a comma");
    default:
        --m_p;
        return readNumber(out);
    }
}

// m_p is just past '['. Calls `element` with m_p on the first character of each element; it
// reads the element. Shared by every array the reader walks.
template<typename ElementReader> bool Reader::readElements(ElementReader element)
{
    if (!enter())
        return false;
    if (!eatSpace())
        return fail("unterminated array");
    if (*m_p == ']') {
        nextToken();
    } else {
        while (true) {
            if (!eatSpace())
                return fail("unterminated array");
            if (!element())
                return false;
            const char token = nextToken();
            if (token == ']')
                break;
            if (token != ',') {
                if (!eatSpace())
                    return fail("unterminated array");
                return fail("missing value separator");
            }
        }
    }
    --m_depth;
    return true;
}

// m_p is just past '['. Elements are kept (one level) when collectElements.
bool Reader::readArray(PveValue *out, bool collectElements)
{
    const bool ok = readElements([&] {
        PveValue *item = nullptr;
        if (out && collectElements)
            item = &out->elements.emplace_back();
        return readValue(item, false);
    });
    if (ok && out)
        out->kind = QJsonValue::Array;
    return ok;
}

// m_p is just past '{'. With a row: the members the field rules read go into it (the last of
// duplicate keys wins, as in QJsonObject); without: validate and skip.
bool Reader::readObject(PveRow *row)
{
    return readMembers([&] {
        int slot = -1;
        if (!readString(nullptr, row ? &slot : nullptr) || !nameSeparator())
            return false;
        PveValue *value = nullptr;
        if (row && slot >= 0) {
            value = &row->values[slot];
            value->kind = QJsonValue::Undefined;
            value->elements.clear();
        }
        return readValue(value, true);
    });
}

template<typename MemberReader> bool Reader::readMembers(MemberReader member)
{
    if (!enter())
        return false;
    char token = nextToken();
    while (token == '"') {
        if (!member())
            return false;
        token = nextToken();
        if (token != ',')
            break;
        token = nextToken();
        if (token == '}')
            return fail("object is missing after a comma");
    }
    if (token != '}')
        return fail("unterminated object");
    --m_depth;
    return true;
}

bool Reader::nameSeparator()
{
    if (nextToken() != ':')
        return fail("missing name separator");
    if (!eatSpace())
        return fail("unterminated object");
    return true;
}

// m_p is just past the '[' of "data": each object entry becomes a row and goes through the rules.
bool Reader::readData(ClusterResources &resources)
{
    return readElements([&] {
        if (*m_p != '{')
            return readValue(nullptr, false);
        ++m_p;
        m_row.clear();
        if (!readObject(&m_row))
            return false;
        detail::appendResourceRow(resources, m_row);
        return true;
    });
}

// m_p is just past the top-level '{'.
bool Reader::readTop(ClusterResources &resources, bool &haveData, bool &dataIsArray)
{
    return readMembers([&] {
        if (!readString(&m_key, nullptr) || !nameSeparator())
            return false;
        if (m_key != QLatin1StringView("data"))
            return readValue(nullptr, false);
        // The last "data" wins, as in QJsonObject.
        haveData = true;
        resources.vms.clear();
        resources.nodes.clear();
        resources.storage.clear();
        dataIsArray = *m_p == '[';
        if (!dataIsArray)
            return readValue(nullptr, false);
        ++m_p;
        return readData(resources);
    });
}

std::optional<ClusterResources> Reader::parse(QString *error, PveBodyStatus *status)
{
    auto result = [&](PveBodyStatus s, QString message) {
        if (status)
            *status = s;
        if (error)
            *error = std::move(message);
    };

    if (m_end - m_p > 3 && uchar(m_p[0]) == 0xef && uchar(m_p[1]) == 0xbb && uchar(m_p[2]) == 0xbf)
        m_p += 3;

    ClusterResources resources;
    resources.vms.reserve((m_end - m_p) / 320); // ~310 bytes per guest entry
    bool haveData = false;
    bool dataIsArray = false;
    const char token = nextToken();
    bool ok = false;
    if (token == '{')
        ok = readTop(resources, haveData, dataIsArray);
    else if (token == '[')
        ok = readArray(nullptr, false);
    else
        ok = fail("illegal value");
    if (ok) {
        eatSpace();
        if (m_p < m_end)
            ok = fail("garbage at the end of the document");
    }
    if (!ok) {
        result(PveBodyStatus::Malformed,
            QStringLiteral("%1 at offset %2").arg(QLatin1StringView(m_error)).arg(m_errorOffset));
        return std::nullopt;
    }
    if (!haveData) {
        result(PveBodyStatus::NoData, QStringLiteral("no \"data\" member"));
        return std::nullopt;
    }
    if (!dataIsArray) {
        result(PveBodyStatus::DataNotArray, QStringLiteral("\"data\" is not an array"));
        return std::nullopt;
    }
    result(PveBodyStatus::Ok, {});
    return resources;
}

} // namespace

std::optional<ClusterResources> resourcesFromPveJson(
    const QByteArray &body, QString *error, PveBodyStatus *status)
{
    return Reader(body).parse(error, status);
}

} // namespace jarvis::proxmox
