#pragma once

// Small helpers shared by the benchmark drivers.
#include <sys/resource.h>

namespace jarvis::bench {

// User + system CPU seconds of this process so far (all threads).
inline double selfCpuSeconds()
{
    rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

} // namespace jarvis::bench
