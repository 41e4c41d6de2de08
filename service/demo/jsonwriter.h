#pragma once

#include <QByteArray>
#include <QString>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <string_view>

namespace jarvis::demo {

// Writes compact JSON straight into one growing buffer, without building a QJsonObject tree or
// making many small QByteArray appends: the simulator answers /cluster/resources for thousands of
// guests on every poll, and both of those cost several times more than writing the bytes. The
// caller keeps the structure balanced; keys are plain ASCII literals and are not escaped.
class JsonWriter
{
public:
    explicit JsonWriter(qsizetype reserve = 256)
    {
        m_buffer.resize(std::max<qsizetype>(reserve, 64));
        m_pos = m_buffer.data();
        m_end = m_pos + m_buffer.size();
    }
    JsonWriter(const JsonWriter &) = delete;
    JsonWriter &operator=(const JsonWriter &) = delete;

    // The JSON written so far; the writer is empty afterwards.
    QByteArray take()
    {
        m_buffer.resize(m_pos - m_buffer.data());
        QByteArray out = std::move(m_buffer);
        m_buffer = QByteArray(64, '\0');
        m_pos = m_buffer.data();
        m_end = m_pos + m_buffer.size();
        m_needComma = false;
        return out;
    }

    void beginObject() { open('{'); }
    void endObject() { close('}'); }
    void beginArray() { open('['); }
    void endArray() { close(']'); }

    void key(std::string_view name)
    {
        ensure(name.size() + 4);
        comma();
        *m_pos++ = '"';
        put(name.data(), name.size());
        *m_pos++ = '"';
        *m_pos++ = ':';
        m_needComma = false;
    }

    void value(std::string_view text)
    {
        ensure(text.size() * 6 + 3);
        comma();
        putString(text);
        m_needComma = true;
    }
    void value(const char *text) { value(std::string_view(text)); }
    void value(const QByteArray &utf8)
    {
        value(std::string_view(utf8.constData(), size_t(utf8.size())));
    }
    void value(const QString &text) { value(text.toUtf8()); }
    void value(qint64 number)
    {
        ensure(24);
        comma();
        m_pos = std::to_chars(m_pos, m_pos + 22, number).ptr;
        m_needComma = true;
    }
    void value(int number) { value(qint64(number)); }
    void value(double number)
    {
        ensure(40);
        comma();
        if (!std::isfinite(number))
            number = 0;
        m_pos = std::to_chars(m_pos, m_pos + 38, number).ptr;
        m_needComma = true;
    }
    void null() { raw(std::string_view("null")); }
    // A pre-encoded JSON value, written as is.
    void raw(std::string_view json)
    {
        ensure(json.size() + 1);
        comma();
        put(json.data(), json.size());
        m_needComma = true;
    }
    void raw(const QByteArray &json)
    {
        raw(std::string_view(json.constData(), size_t(json.size())));
    }

    // One string made of several parts ("node/" + name), without a temporary QByteArray.
    void joined(std::initializer_list<std::string_view> parts)
    {
        size_t size = 0;
        for (std::string_view part : parts)
            size += part.size();
        ensure(size * 6 + 3);
        comma();
        *m_pos++ = '"';
        for (std::string_view part : parts)
            putEscaped(part);
        *m_pos++ = '"';
        m_needComma = true;
    }

    template<typename T> void field(std::string_view name, const T &v)
    {
        key(name);
        value(v);
    }

private:
    void open(char c)
    {
        ensure(2);
        comma();
        *m_pos++ = c;
        m_needComma = false;
    }
    void close(char c)
    {
        ensure(1);
        *m_pos++ = c;
        m_needComma = true;
    }
    void comma()
    {
        if (m_needComma)
            *m_pos++ = ',';
    }
    // Makes room for `bytes` more bytes (plus a comma).
    void ensure(size_t bytes)
    {
        if (size_t(m_end - m_pos) <= bytes)
            grow(bytes + 1);
    }
    void grow(size_t bytes)
    {
        const qsizetype used = m_pos - m_buffer.data();
        m_buffer.resize(std::max(m_buffer.size() * 2, used + qsizetype(bytes) + 4096));
        m_pos = m_buffer.data() + used;
        m_end = m_buffer.data() + m_buffer.size();
    }
    void put(const char *data, size_t size)
    {
        std::memcpy(m_pos, data, size);
        m_pos += size;
    }
    void putString(std::string_view text)
    {
        *m_pos++ = '"';
        putEscaped(text);
        *m_pos++ = '"';
    }
    void putEscaped(std::string_view text)
    {
        for (const char ch : text) {
            const unsigned char c = static_cast<unsigned char>(ch);
            if (c >= 0x20 && c != '"' && c != '\\') {
                *m_pos++ = ch;
                continue;
            }
            *m_pos++ = '\\';
            switch (c) {
            case '"':
                *m_pos++ = '"';
                break;
            case '\\':
                *m_pos++ = '\\';
                break;
            case '\n':
                *m_pos++ = 'n';
                break;
            case '\r':
                *m_pos++ = 'r';
                break;
            case '\t':
                *m_pos++ = 't';
                break;
            default: {
                static const char hex[] = "0123456789abcdef";
                const char escaped[5] = {'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
                put(escaped, 5);
            }
            }
        }
    }

    QByteArray m_buffer;
    char *m_pos = nullptr;
    char *m_end = nullptr;
    bool m_needComma = false;
};

inline std::string_view view(const QByteArray &bytes)
{
    return std::string_view(bytes.constData(), size_t(bytes.size()));
}

} // namespace jarvis::demo
