#include "app/memorytrimmer.h"

#include "core/clock.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace jarvis::app {

MemoryTrimmer::MemoryTrimmer(
    Options options, TrimFunction trim, core::Clock *clock, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_trim(std::move(trim))
    , m_clock(core::Clock::orSystem(clock))
    , m_timer(m_clock->createTicker(this))
{
    if (!m_trim) {
        m_trim = [] {
#if defined(__GLIBC__)
            ::malloc_trim(0);
#endif
        };
    }
    m_timer->setSingleShot(true);
    connect(m_timer, &core::Ticker::timeout, this, &MemoryTrimmer::trim);
}

bool MemoryTrimmer::isPending() const
{
    return m_timer->isActive();
}

void MemoryTrimmer::noteRelease(int count)
{
    m_released += count;
    if (m_released < m_options.threshold)
        return;
    const qint64 now = m_clock->monotonicMs();
    if (!m_timer->isActive())
        m_latestMs = now + m_options.maxDelayMs;
    m_timer->startIn(int(qMax<qint64>(0, qMin<qint64>(m_options.quietMs, m_latestMs - now))));
}

void MemoryTrimmer::trim()
{
    m_released = 0;
    ++m_trims;
    m_trim();
}

} // namespace jarvis::app
