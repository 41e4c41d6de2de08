#pragma once

#include <QDateTime>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <deque>

namespace jarvis::tools {

// Append-only audit log of tool executions in a JSON-lines file. Every write is flushed and
// fsync'd before it returns, so a crash or kill -9 loses no written entry. An execution is written
// twice: a `started` line before the call and a completion line (same id) after it; readers keep
// the last line per id. A torn last line (crash mid-write) is ignored on load; an entry a crash
// left `started` gets an `interrupted` line when the log is opened again. Keeps the newest
// entries in memory for GET /api/audit. Main thread (the fsync is a short blocking call, taken
// once or twice per tool execution).
class AuditLog
{
public:
    explicit AuditLog(QString path, int memoryEntries = 5000);

    // Opens (creating directories) and loads the tail. False with `error` set. An empty path keeps
    // the log in memory only (embedded uses; jarvisd's configuration always names a file).
    bool open(QString *error);
    QString path() const { return m_path; }

    // Writes a new entry (fields of PROTOCOL.md AuditEntry; `id` and `at` are added) and returns
    // it.
    QJsonObject begin(const QString &user, const QString &source, const QString &tool,
        const QString &tier, const QJsonObject &args, bool confirmed, const QString &status);
    // Completes entry `id`: status, error?, durationMs.
    QJsonObject complete(
        const QJsonObject &entry, const QString &status, const QString &error, qint64 durationMs);

    // Writes an entry that is not a tool call (a terminal session, PROTOCOL.md section 5) as
    // given, adding `id` and `at` when it has none, and returns it; writing it again with the same
    // id completes it.
    QJsonObject record(QJsonObject entry);

    // Newest first.
    QJsonArray recent(int limit) const;

    // `started` (a tool call) and `opened` (a terminal session) are still running; every other
    // status is final. open() completes a running entry that a crash left behind with
    // `interrupted`.
    static bool isRunningStatus(const QString &status);

private:
    bool write(const QJsonObject &entry);
    void remember(const QJsonObject &entry);

    QString m_path;
    int m_memoryEntries;
    QFile m_file;
    std::deque<QJsonObject> m_entries; // oldest first, one per id
    QHash<QString, qint64> m_positions; // id -> position of its entry (m_entries[pos - first])
    qint64 m_firstPosition = 0; // position of m_entries.front()
};

} // namespace jarvis::tools
