#include "tools/auditlog.h"

#include "core/random.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QLoggingCategory>

#include <sys/file.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcAudit, "jarvis.audit")

namespace jarvis::tools {

bool AuditLog::isRunningStatus(const QString &status)
{
    return status == QLatin1String("started") || status == QLatin1String("opened");
}

AuditLog::AuditLog(QString path, int memoryEntries)
    : m_path(std::move(path))
    , m_memoryEntries(memoryEntries)
{ }

bool AuditLog::open(QString *error)
{
    if (m_path.isEmpty()) {
        qCWarning(lcAudit)
            << "no audit file configured: tool executions are audited in memory only";
        return true;
    }
    const QFileInfo info(m_path);
    if (!QDir().mkpath(info.absolutePath())) {
        *error = QStringLiteral("cannot create the directory of the audit log %1").arg(m_path);
        return false;
    }
    m_file.setFileName(m_path);
    if (!m_file.open(QIODevice::ReadWrite | QIODevice::Append)) {
        *error =
            QStringLiteral("cannot open the audit log %1: %2").arg(m_path, m_file.errorString());
        return false;
    }
    m_file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    // One writer per file: a second jarvisd on the same log would interleave lines and take the
    // other's running calls for interrupted ones.
    if (::flock(m_file.handle(), LOCK_EX | LOCK_NB) != 0) {
        *error = QStringLiteral("the audit log %1 is in use by another jarvisd").arg(m_path);
        m_file.close();
        return false;
    }
    // Load the tail: the last lines that fit the memory budget (a line per write, two per entry).
    const qint64 size = m_file.size();
    const qint64 tailBytes = qint64(m_memoryEntries) * 2 * 2048;
    QFile reader(m_path);
    QHash<QString, QJsonObject> open; // calls whose last line says they were still running
    QStringList openOrder;
    if (reader.open(QIODevice::ReadOnly)) {
        if (size > tailBytes) {
            reader.seek(size - tailBytes);
            reader.readLine(); // skip a partial line
        }
        while (!reader.atEnd()) {
            const QByteArray line = reader.readLine().trimmed();
            if (line.isEmpty())
                continue;
            const QJsonDocument doc = QJsonDocument::fromJson(line);
            if (!doc.isObject())
                continue; // torn line from a crash: ignored
            const QJsonObject entry = doc.object();
            remember(entry);
            const QString id = entry.value(QStringLiteral("id")).toString();
            if (isRunningStatus(entry.value(QStringLiteral("status")).toString())) {
                if (!open.contains(id))
                    openOrder.append(id);
                open.insert(id, entry);
            } else {
                open.remove(id);
            }
        }
    }
    // A crash (or kill -9) left these running: they will never complete, so say so once.
    for (const QString &id : std::as_const(openOrder)) {
        const auto it = open.constFind(id);
        if (it == open.constEnd())
            continue;
        QJsonObject ended = *it;
        ended.insert(QStringLiteral("status"), QStringLiteral("interrupted"));
        ended.insert(QStringLiteral("error"),
            QStringLiteral("jarvisd stopped before this finished (crash or kill); its outcome is "
                           "unknown"));
        ended.insert(QStringLiteral("interruptedAt"),
            QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
        if (!write(ended)) {
            *error = QStringLiteral("cannot write the audit log %1").arg(m_path);
            return false;
        }
        remember(ended);
        qCWarning(lcAudit).noquote()
            << "audit: call" << id << "of" << ended.value(QStringLiteral("tool")).toString()
            << "was interrupted by the last stop";
    }
    qCInfo(lcAudit) << "audit log" << m_path << "with" << m_entries.size() << "recent entries";
    return true;
}

bool AuditLog::write(const QJsonObject &entry)
{
    if (!m_file.isOpen())
        return false;
    const QByteArray line = QJsonDocument(entry).toJson(QJsonDocument::Compact) + '\n';
    if (m_file.write(line) != line.size() || !m_file.flush()) {
        qCCritical(lcAudit) << "cannot write the audit log" << m_path << ":"
                            << m_file.errorString();
        return false;
    }
    if (::fsync(m_file.handle()) != 0) {
        qCCritical(lcAudit) << "fsync of the audit log" << m_path << "failed";
        return false;
    }
    return true;
}

void AuditLog::remember(const QJsonObject &entry)
{
    // One entry per id however far apart its lines are (a terminal session's `closed` may come
    // hours and thousands of tool calls after its `opened`).
    const QString id = entry.value(QStringLiteral("id")).toString();
    const auto found = m_positions.constFind(id);
    if (found != m_positions.constEnd() && *found >= m_firstPosition) {
        m_entries[size_t(*found - m_firstPosition)] = entry;
        return;
    }
    m_positions.insert(id, m_firstPosition + qint64(m_entries.size()));
    m_entries.push_back(entry);
    while (m_entries.size() > size_t(m_memoryEntries)) {
        m_positions.remove(m_entries.front().value(QStringLiteral("id")).toString());
        m_entries.pop_front();
        ++m_firstPosition;
    }
}

QJsonObject AuditLog::begin(const QString &user, const QString &source, const QString &tool,
    const QString &tier, const QJsonObject &args, bool confirmed, const QString &status)
{
    const QJsonObject entry {
        {QStringLiteral("id"),
            QStringLiteral("%1-%2").arg(QDateTime::currentMSecsSinceEpoch()).arg(randomToken(6))},
        {QStringLiteral("at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
        {QStringLiteral("user"), user}, {QStringLiteral("source"), source},
        {QStringLiteral("tool"), tool}, {QStringLiteral("tier"), tier},
        {QStringLiteral("args"), args}, {QStringLiteral("confirmed"), confirmed},
        {QStringLiteral("status"), status}};
    write(entry);
    remember(entry);
    return entry;
}

QJsonObject AuditLog::complete(
    const QJsonObject &entry, const QString &status, const QString &error, qint64 durationMs)
{
    QJsonObject done = entry;
    done.insert(QStringLiteral("status"), status);
    if (!error.isEmpty())
        done.insert(QStringLiteral("error"), error);
    done.insert(QStringLiteral("durationMs"), double(durationMs));
    write(done);
    remember(done);
    return done;
}

QJsonObject AuditLog::record(QJsonObject entry)
{
    if (!entry.contains(QStringLiteral("id"))) {
        entry.insert(QStringLiteral("id"),
            QStringLiteral("%1-%2").arg(QDateTime::currentMSecsSinceEpoch()).arg(randomToken(6)));
    }
    if (!entry.contains(QStringLiteral("at")))
        entry.insert(
            QStringLiteral("at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    write(entry);
    remember(entry);
    return entry;
}

QJsonArray AuditLog::recent(int limit) const
{
    QJsonArray out;
    for (auto it = m_entries.rbegin(); it != m_entries.rend() && out.size() < limit; ++it)
        out.append(*it);
    return out;
}

} // namespace jarvis::tools
