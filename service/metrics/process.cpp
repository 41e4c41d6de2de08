#include "metrics/process.h"

#include "metrics/registry.h"

#include <QByteArray>
#include <QFile>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

namespace jarvis::metrics {

namespace {

// /proc files report a size of 0: read until the end.
QByteArray readProcFile(const char *path)
{
    QFile file(QString::fromLatin1(path));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

double countOpenFds()
{
    DIR *dir = ::opendir("/proc/self/fd");
    if (!dir)
        return 0;
    double n = 0;
    while (const dirent *entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.')
            ++n;
    }
    ::closedir(dir);
    return n - 1; // the descriptor of the listing itself
}

// Seconds since the epoch at which this process started.
double startTime()
{
    // Field 22 of /proc/self/stat, counted after the command name's closing parenthesis (the
    // name may hold spaces and parentheses).
    const QByteArray stat = readProcFile("/proc/self/stat");
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0)
        return 0;
    const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
    // After ")": field 3 (state) is index 0, so field 22 is index 19.
    if (fields.size() < 20)
        return 0;
    bool ok = false;
    const double ticks = fields.at(19).toDouble(&ok);
    if (!ok)
        return 0;
    double bootTime = 0;
    for (const QByteArray &line : readProcFile("/proc/stat").split('\n')) {
        if (line.startsWith("btime "))
            bootTime = line.mid(6).trimmed().toDouble();
    }
    const long hz = ::sysconf(_SC_CLK_TCK);
    return bootTime > 0 && hz > 0 ? bootTime + ticks / double(hz) : 0;
}

} // namespace

std::optional<ProcessStats> readProcessStats()
{
    ProcessStats stats;
    const QList<QByteArray> statm = readProcFile("/proc/self/statm").trimmed().split(' ');
    if (statm.size() < 2)
        return std::nullopt;
    const double page = double(::sysconf(_SC_PAGESIZE));
    stats.virtualBytes = statm.at(0).toDouble() * page;
    stats.residentBytes = statm.at(1).toDouble() * page;
    rusage usage {};
    if (::getrusage(RUSAGE_SELF, &usage) == 0) {
        stats.cpuSeconds = double(usage.ru_utime.tv_sec) + double(usage.ru_utime.tv_usec) / 1e6
            + double(usage.ru_stime.tv_sec) + double(usage.ru_stime.tv_usec) / 1e6;
    }
    stats.openFds = countOpenFds();
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        stats.maxFds = double(limit.rlim_cur);
    stats.startTimeSeconds = startTime();
    return stats;
}

void registerProcessMetrics(Registry &registry)
{
    struct Field
    {
        const char *name;
        Type type;
        const char *help;
        double ProcessStats::*member;
    };
    static const Field fields[] = {
        {"jarvis_process_resident_memory_bytes", Type::Gauge, "Resident memory size in bytes.",
            &ProcessStats::residentBytes},
        {"jarvis_process_virtual_memory_bytes", Type::Gauge, "Virtual memory size in bytes.",
            &ProcessStats::virtualBytes},
        {"jarvis_process_cpu_seconds_total", Type::Counter,
            "User and system CPU time spent in seconds.", &ProcessStats::cpuSeconds},
        {"jarvis_process_open_fds", Type::Gauge, "Number of open file descriptors.",
            &ProcessStats::openFds},
        {"jarvis_process_max_fds", Type::Gauge, "Maximum number of open file descriptors.",
            &ProcessStats::maxFds},
        {"jarvis_process_start_time_seconds", Type::Gauge,
            "Start time of the process since the Unix epoch in seconds.",
            &ProcessStats::startTimeSeconds},
    };
    // One read of /proc per scrape, shared by the families: the first one reads, the others
    // reuse it (the families are rendered in order, one after the other).
    auto latest = std::make_shared<std::optional<ProcessStats>>();
    bool first = true;
    for (const Field &field : fields) {
        registry.callback(field.type, field.name, field.help, {},
            [latest, member = field.member, first](const Sample &add) {
                if (first)
                    *latest = readProcessStats();
                if (*latest)
                    add({}, (**latest).*member);
            });
        first = false;
    }
}

} // namespace jarvis::metrics
