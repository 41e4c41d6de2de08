#pragma once

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QString>

// Counts failed logins per client address: after `maxFailures` failures within `window` the
// address is refused until the oldest failure leaves the window. Bounded memory: stale entries are
// pruned, and at most `maxTracked` addresses are kept (oldest dropped first).
namespace jarvis::auth {

class LoginThrottle
{
public:
    explicit LoginThrottle(int maxFailures = 5, qint64 windowMs = 60000, int maxTracked = 10000);

    // Seconds to wait before the next attempt (0 = allowed now).
    int retryAfter(const QString &address, qint64 nowMs) const;
    void recordFailure(const QString &address, qint64 nowMs);
    void recordSuccess(const QString &address);
    // Addresses currently remembered (at most `maxTracked`).
    qsizetype trackedCount() const { return m_failures.size(); }

private:
    void prune(qint64 nowMs);

    int m_maxFailures;
    qint64 m_windowMs;
    int m_maxTracked;
    QHash<QString, QList<qint64>> m_failures;
};

} // namespace jarvis::auth
