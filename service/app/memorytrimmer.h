#pragma once

#include <QObject>

#include <functional>

namespace jarvis::core {
class Clock;
class Ticker;
} // namespace jarvis::core

namespace jarvis::app {

// Gives freed memory back to the kernel after many sessions have ended. glibc's malloc keeps what
// a mass close frees in its heaps and per-thread arenas, so the daemon's RSS stays where the peak
// put it (measured: tests/bench/session-memory.py, docs/PERFORMANCE.md); malloc_trim(0) returns
// the free pages. A trim walks the whole heap (milliseconds when it is large), so it never runs
// per close: once at least `threshold` releases were noted it runs `quietMs` after the last one
// (debounced), and at the latest `maxDelayMs` after the first, from the event loop. Its timer and
// time come from `clock` (core::Clock::system() unless given; tests step a ManualClock). Main
// thread.
class MemoryTrimmer : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        int threshold = 100; // releases (ended sessions) before a trim is worth it
        int quietMs = 2000; // ... and no new release for this long
        int maxDelayMs = 20000; // ... or this long after the trim became due
    };
    using TrimFunction = std::function<void()>;

    // `trim` defaults to malloc_trim(0) (nothing where the C library has none). `clock` (null:
    // the system's) outlives the trimmer.
    explicit MemoryTrimmer(Options options, TrimFunction trim = {}, core::Clock *clock = nullptr,
        QObject *parent = nullptr);
    explicit MemoryTrimmer(QObject *parent = nullptr)
        : MemoryTrimmer(Options {}, {}, nullptr, parent)
    { }

    // `count` sessions (or other large owners of memory) have ended.
    void noteRelease(int count = 1);

    bool isPending() const;
    int releasesSinceTrim() const { return m_released; }
    int trims() const { return m_trims; }

private:
    void trim();

    Options m_options;
    TrimFunction m_trim;
    core::Clock *m_clock;
    core::Ticker *m_timer; // child
    qint64 m_latestMs = 0; // m_clock's monotonicMs() when a due trim runs even if releases go on
    int m_released = 0;
    int m_trims = 0;
};

} // namespace jarvis::app
