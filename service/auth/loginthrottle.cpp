#include "loginthrottle.h"

namespace jarvis::auth {

// Per address only the newest `m_maxFailures` failure times are kept (oldest first): that is all
// the decision needs, since the address is refused exactly while all of them are in the window.

LoginThrottle::LoginThrottle(int maxFailures, qint64 windowMs, int maxTracked)
    : m_maxFailures(qMax(1, maxFailures))
    , m_windowMs(qMax<qint64>(1, windowMs))
    , m_maxTracked(qMax(1, maxTracked))
{ }

int LoginThrottle::retryAfter(const QString &address, qint64 nowMs) const
{
    const auto it = m_failures.constFind(address);
    if (it == m_failures.constEnd() || it->size() < m_maxFailures)
        return 0;
    // Refused until the oldest kept failure leaves the window; clamp in case the clock went back.
    const qint64 waitMs = qMin(it->constFirst() + m_windowMs - nowMs, m_windowMs);
    if (waitMs <= 0)
        return 0;
    return int((waitMs + 999) / 1000);
}

void LoginThrottle::recordFailure(const QString &address, qint64 nowMs)
{
    auto it = m_failures.find(address);
    if (it == m_failures.end()) {
        if (m_failures.size() >= m_maxTracked)
            prune(nowMs);
        if (m_failures.size() >= m_maxTracked) {
            // Still full of live entries: forget the address whose last failure is the oldest.
            auto oldest = m_failures.begin();
            for (auto i = m_failures.begin(); i != m_failures.end(); ++i) {
                if (i->constLast() < oldest->constLast())
                    oldest = i;
            }
            m_failures.erase(oldest);
        }
        it = m_failures.insert(address, {});
    }
    it->append(nowMs);
    while (it->size() > m_maxFailures)
        it->removeFirst();
}

void LoginThrottle::recordSuccess(const QString &address)
{
    m_failures.remove(address);
}

void LoginThrottle::prune(qint64 nowMs)
{
    m_failures.removeIf([this, nowMs](const auto &entry) {
        return entry.value().constLast() + m_windowMs <= nowMs;
    });
}

} // namespace jarvis::auth
