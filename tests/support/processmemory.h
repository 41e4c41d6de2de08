// The test process's memory, for the flow-control tests that host jarvisd's parts in-process.
#pragma once

#include <QByteArray>
#include <QFile>
#include <QString>
#include <QtGlobal>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace jarvis::test {

// VmRSS of this process in bytes; -1 when /proc/self/status cannot be read (a test that needs it
// fails then, it does not pass unmeasured).
inline qint64 residentBytes()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:")) {
            bool ok = false;
            const qint64 kib = line.mid(6).trimmed().split(' ').value(0).toLongLong(&ok);
            return ok && kib > 0 ? kib * 1024 : -1;
        }
    }
    return -1;
}

// RSS of what is in use: memory malloc has freed but kept (its arenas, the top of the heap) is
// handed back first, as jarvisd's MemoryTrimmer does. Without this, RSS also counts how freed
// chunks happen to be laid out, which depends on timing and load, not on what we keep.
inline qint64 liveResidentBytes()
{
#if defined(__GLIBC__)
    ::malloc_trim(0);
#endif
    return residentBytes();
}

// Bytes `seq 1 last` prints ("\n" after each number).
inline qint64 seqBytes(qint64 last)
{
    qint64 total = 0;
    qint64 low = 1;
    for (int digits = 1; low <= last; ++digits, low *= 10)
        total += (qMin(last, low * 10 - 1) - low + 1) * (digits + 1);
    return total;
}

} // namespace jarvis::test
