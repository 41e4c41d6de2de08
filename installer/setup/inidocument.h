#pragma once

#include <QString>
#include <QStringList>

#include <optional>

namespace jarvis::setup {

// jarvisd's configuration file (docs/PROTOCOL.md section 7), edited line by line: comments, blank
// lines, unknown groups and keys and their order are kept exactly as written; only the keys set()
// or remove()d change. It reads the file the way jarvisd does: `[group]`, `key=value`, full-line
// comments (`;` or `#`), inline comments introduced by whitespace + `;`, whitespace trimmed.
class IniDocument
{
public:
    IniDocument() = default;
    explicit IniDocument(const QString &text);

    QString text() const;
    bool isEmpty() const { return m_lines.isEmpty(); }

    QStringList groups() const;
    bool hasGroup(const QString &group) const { return groupHeader(group) >= 0; }
    std::optional<QString> value(const QString &group, const QString &key) const;

    // Replaces the value of `key` (keeping the line's indentation and inline comment), or adds
    // `key=value` after the group's last key, or adds the group at the end of the file.
    void set(const QString &group, const QString &key, const QString &value);
    void remove(const QString &group, const QString &key);
    void removeGroup(const QString &group);

    // Whether `value` survives a round trip through jarvisd's reader unchanged: no control
    // characters, no leading/trailing whitespace, no whitespace followed by ';'.
    static bool isWritableValue(const QString &value);

private:
    struct Range
    {
        qsizetype header = -1; // the [group] line
        qsizetype end = -1; // one past the group's last line
    };
    qsizetype groupHeader(const QString &group) const;
    Range range(const QString &group) const;
    qsizetype keyLine(const Range &r, const QString &key) const;

    QStringList m_lines;
    bool m_finalNewline = true;
};

} // namespace jarvis::setup
