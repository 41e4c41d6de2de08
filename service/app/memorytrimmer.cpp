#include "app/memorytrimmer.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace jarvis::app {

MemoryTrimmer::MemoryTrimmer(Options options, TrimFunction trim, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_trim(std::move(trim))
{
    if (!m_trim) {
        m_trim = [] {
#if defined(__GLIBC__)
            ::malloc_trim(0);
#endif
        };
    }
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &MemoryTrimmer::trim);
}

void MemoryTrimmer::noteRelease(int count)
{
    m_released += count;
    if (m_released < m_options.threshold)
        return;
    if (!m_timer.isActive())
        m_latest.setRemainingTime(m_options.maxDelayMs);
    m_timer.start(int(qMin<qint64>(m_options.quietMs, m_latest.remainingTime())));
}

void MemoryTrimmer::trim()
{
    m_released = 0;
    ++m_trims;
    m_trim();
}

} // namespace jarvis::app
