#include "inidocument.h"

namespace jarvis::setup {

namespace {

bool isComment(const QString &trimmed)
{
    return trimmed.isEmpty() || trimmed.startsWith(QLatin1Char(';'))
        || trimmed.startsWith(QLatin1Char('#'));
}

// The group named by a header line, or nullopt when the line is not a header.
std::optional<QString> headerName(const QString &line)
{
    const QString t = line.trimmed();
    if (!t.startsWith(QLatin1Char('[')))
        return std::nullopt;
    const qsizetype close = t.indexOf(QLatin1Char(']'));
    if (close < 0)
        return std::nullopt;
    return t.mid(1, close - 1).trimmed();
}

// Where the inline comment starts (the whitespace before ';'), or -1.
qsizetype inlineComment(const QString &line, qsizetype from)
{
    for (qsizetype j = from + 1; j < line.size(); ++j) {
        if (line[j] == QLatin1Char(';') && line[j - 1].isSpace()) {
            qsizetype k = j - 1;
            while (k > from && line[k - 1].isSpace())
                --k;
            return k;
        }
    }
    return -1;
}

} // namespace

IniDocument::IniDocument(const QString &text)
{
    if (text.isEmpty())
        return;
    m_lines = text.split(QLatin1Char('\n'));
    m_finalNewline = text.endsWith(QLatin1Char('\n'));
    if (m_finalNewline)
        m_lines.removeLast();
}

QString IniDocument::text() const
{
    if (m_lines.isEmpty())
        return {};
    return m_lines.join(QLatin1Char('\n')) + (m_finalNewline ? QStringLiteral("\n") : QString());
}

QStringList IniDocument::groups() const
{
    QStringList out;
    for (const QString &line : m_lines) {
        if (const auto name = headerName(line); name && !out.contains(*name))
            out << *name;
    }
    return out;
}

qsizetype IniDocument::groupHeader(const QString &group) const
{
    for (qsizetype i = 0; i < m_lines.size(); ++i) {
        if (headerName(m_lines[i]) == group)
            return i;
    }
    return -1;
}

IniDocument::Range IniDocument::range(const QString &group) const
{
    Range r;
    r.header = groupHeader(group);
    if (r.header < 0)
        return r;
    r.end = r.header + 1;
    while (r.end < m_lines.size() && !headerName(m_lines[r.end]))
        ++r.end;
    return r;
}

qsizetype IniDocument::keyLine(const Range &r, const QString &key) const
{
    if (r.header < 0)
        return -1;
    for (qsizetype i = r.header + 1; i < r.end; ++i) {
        const QString t = m_lines[i].trimmed();
        if (isComment(t))
            continue;
        const qsizetype eq = t.indexOf(QLatin1Char('='));
        if (eq > 0 && t.left(eq).trimmed() == key)
            return i;
    }
    return -1;
}

std::optional<QString> IniDocument::value(const QString &group, const QString &key) const
{
    const qsizetype i = keyLine(range(group), key);
    if (i < 0)
        return std::nullopt;
    const QString &line = m_lines[i];
    const qsizetype eq = line.indexOf(QLatin1Char('='));
    QString v = line.mid(eq + 1);
    const qsizetype c = inlineComment(v, 0);
    if (c >= 0)
        v.truncate(c);
    return v.trimmed();
}

void IniDocument::set(const QString &group, const QString &key, const QString &value)
{
    const Range r = range(group);
    if (r.header < 0) {
        if (!m_lines.isEmpty() && !m_lines.constLast().trimmed().isEmpty())
            m_lines << QString();
        m_lines << QStringLiteral("[%1]").arg(group) << key + QLatin1Char('=') + value;
        m_finalNewline = true;
        return;
    }
    if (const qsizetype i = keyLine(r, key); i >= 0) {
        QString &line = m_lines[i];
        const qsizetype eq = line.indexOf(QLatin1Char('='));
        const qsizetype c = inlineComment(line, eq);
        const QString comment = c >= 0 ? line.mid(c) : QString();
        line = line.left(eq + 1) + value + comment;
        return;
    }
    // After the group's last key line (comments and blank lines after it stay below).
    qsizetype at = r.header + 1;
    for (qsizetype i = r.header + 1; i < r.end; ++i) {
        if (!isComment(m_lines[i].trimmed()))
            at = i + 1;
    }
    m_lines.insert(at, key + QLatin1Char('=') + value);
}

void IniDocument::remove(const QString &group, const QString &key)
{
    const qsizetype i = keyLine(range(group), key);
    if (i >= 0)
        m_lines.removeAt(i);
}

void IniDocument::removeGroup(const QString &group)
{
    const Range r = range(group);
    if (r.header < 0)
        return;
    m_lines.remove(r.header, r.end - r.header);
}

bool IniDocument::isWritableValue(const QString &value)
{
    if (value != value.trimmed())
        return false;
    for (qsizetype i = 0; i < value.size(); ++i) {
        if (value[i].category() == QChar::Other_Control)
            return false;
        if (i > 0 && value[i] == QLatin1Char(';') && value[i - 1].isSpace())
            return false;
    }
    return true;
}

} // namespace jarvis::setup
