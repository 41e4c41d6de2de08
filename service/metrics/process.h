#pragma once

#include <optional>

// What the kernel says about this process, for the jarvis_process_* metrics (read at scrape time
// from /proc and getrusage; Linux only).
namespace jarvis::metrics {

class Registry;

struct ProcessStats
{
    double residentBytes = 0; // /proc/self/statm: resident pages * page size
    double virtualBytes = 0; // /proc/self/statm: total program size
    double cpuSeconds = 0; // getrusage(RUSAGE_SELF): user + system
    double openFds = 0; // entries of /proc/self/fd
    double maxFds = 0; // RLIMIT_NOFILE (soft)
    double startTimeSeconds = 0; // since the epoch: /proc/stat btime + /proc/self/stat starttime
};

// nullopt when /proc cannot be read.
std::optional<ProcessStats> readProcessStats();

// Registers jarvis_process_{resident_memory_bytes, virtual_memory_bytes, cpu_seconds_total,
// open_fds, max_fds, start_time_seconds}, read on every scrape.
void registerProcessMetrics(Registry &registry);

} // namespace jarvis::metrics
