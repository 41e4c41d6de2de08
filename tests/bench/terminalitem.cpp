// TerminalItem throughput (issue 12): N MB of typical `cat` output (text lines, some with SGR
// colours) fed through TerminalItem::write() in 16 KiB chunks, one chunk per event-loop pass as
// the server's `data` events arrive, while an offscreen QQuickWindow (software scene graph)
// renders a frame every 16 ms (QT_QPA_UPDATE_IDLE_TIME). Prints MB/s, frames, the longest gap
// between two frames, the longest paint and the longest event-loop stall (a 1 ms probe timer),
// the longest write() call, and libvterm alone (TerminalScreen::write without an item) for
// comparison. Usage: jarvis-bench-terminalitem [--mb N] [--width PX] [--height PX]
#include "terminalitem.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QGuiApplication>
#include <QQuickWindow>
#include <QRandomGenerator>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <ctime>

using jarvis::console::TerminalItem;
using jarvis::console::TerminalScreen;

namespace {
constexpr qsizetype Chunk = 16 * 1024;

qint64 threadCpuNs()
{
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// 4 MiB of text like `cat` of logs and sources: words, numbers, every fifth line coloured.
QByteArray makeCorpus()
{
    QRandomGenerator rng(12);
    static const char *words[] = {"jarvisd", "proxmox", "terminal", "node", "guest", "status",
        "running", "stopped", "0x7f3a", "error:", "warning", "void", "return", "const", "{", "}",
        "=", "+=", "//", "qemu", "lxc", "storage", "42", "1024", "ok"};
    QByteArray out;
    out.reserve(4 * 1024 * 1024 + 256);
    int line = 0;
    while (out.size() < 4 * 1024 * 1024) {
        const bool colour = line % 5 == 0;
        if (colour)
            out += "\x1b[1;3" + QByteArray::number(1 + line % 6) + "m";
        out += QByteArray::number(line) + ": ";
        const int n = 4 + int(rng.bounded(12));
        for (int i = 0; i < n; ++i) {
            out += words[rng.bounded(int(std::size(words)))];
            out += ' ';
            if (colour && i == 1)
                out += "\x1b[0m";
        }
        if (line % 37 == 0)
            out += "\x1b[38;5;208morange\x1b[0m \x1b[48;2;20;40;60mtrue\x1b[0m";
        out += "\r\n";
        ++line;
    }
    return out;
}
} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    qputenv("QT_QUICK_BACKEND", "software");
    qputenv("QT_QPA_UPDATE_IDLE_TIME", "16"); // a frame at most every 16 ms, like a 60 Hz screen
    QGuiApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addHelpOption();
    QCommandLineOption mbOption(QStringLiteral("mb"), QStringLiteral("Megabytes to feed."),
        QStringLiteral("n"), QStringLiteral("100"));
    QCommandLineOption widthOption(
        QStringLiteral("width"), QStringLiteral("Window width."), QStringLiteral("px"), "1280");
    QCommandLineOption heightOption(
        QStringLiteral("height"), QStringLiteral("Window height."), QStringLiteral("px"), "800");
    parser.addOptions({mbOption, widthOption, heightOption});
    parser.process(app);
    const qint64 total = parser.value(mbOption).toLongLong() * 1000 * 1000;

    const QByteArray corpus = makeCorpus();

    // libvterm alone, for comparison.
    {
        TerminalScreen screen(50, 160);
        QElapsedTimer t;
        t.start();
        qint64 fed = 0;
        while (fed < total) {
            const qsizetype at = fed % (corpus.size() - Chunk);
            screen.write(corpus.constData() + at, Chunk);
            fed += Chunk;
        }
        const double s = t.nsecsElapsed() / 1e9;
        std::printf("TerminalScreen::write alone (160x50): %.1f MB in %.2f s = %.1f MB/s\n",
            fed / 1e6, s, fed / 1e6 / s);
    }

    QQuickWindow window;
    window.resize(parser.value(widthOption).toInt(), parser.value(heightOption).toInt());
    auto *item = new TerminalItem(window.contentItem());
    item->setSize(window.size());
    window.show();

    QElapsedTimer clock;
    clock.start();
    qint64 lastFrame = -1;
    qint64 longestFrameGap = 0;
    qint64 renderStart = 0;
    qint64 longestRender = 0;
    int frames = 0;
    QObject::connect(
        &window, &QQuickWindow::beforeRendering, &window,
        [&] { renderStart = clock.nsecsElapsed(); }, Qt::DirectConnection);
    QObject::connect(
        &window, &QQuickWindow::afterRendering, &window,
        [&] {
            const qint64 now = clock.nsecsElapsed();
            longestRender = std::max(longestRender, now - renderStart);
            if (lastFrame >= 0)
                longestFrameGap = std::max(longestFrameGap, now - lastFrame);
            lastFrame = now;
            ++frames;
        },
        Qt::DirectConnection);

    // The event-loop probe: how late does a 1 ms timer fire at worst?
    qint64 lastProbe = -1;
    qint64 longestStall = 0;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setInterval(1);
    QObject::connect(&probe, &QTimer::timeout, &probe, [&] {
        const qint64 now = clock.nsecsElapsed();
        if (lastProbe >= 0)
            longestStall = std::max(longestStall, now - lastProbe);
        lastProbe = now;
    });

    // Wait for the first frame before measuring.
    while (frames == 0)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    frames = 0;
    lastFrame = -1;
    longestFrameGap = 0;
    longestRender = 0;

    qint64 fed = 0;
    qint64 longestWrite = 0;
    qint64 longestWriteCpu = 0; // this thread's CPU time: without the time other processes took
    int slowWrites = 0; // over 16 ms
    QElapsedTimer elapsed;
    QTimer feeder;
    feeder.setInterval(0);
    QObject::connect(&feeder, &QTimer::timeout, &feeder, [&] {
        const qsizetype at = fed % (corpus.size() - Chunk);
        const QByteArray chunk(corpus.constData() + at, Chunk); // a copy, as a `data` event is
        const qint64 before = clock.nsecsElapsed();
        const qint64 cpuBefore = threadCpuNs();
        item->write(chunk);
        const qint64 took = clock.nsecsElapsed() - before;
        longestWrite = std::max(longestWrite, took);
        longestWriteCpu = std::max(longestWriteCpu, threadCpuNs() - cpuBefore);
        slowWrites += took > 16000000 ? 1 : 0;
        fed += Chunk;
        if (fed >= total) {
            feeder.stop();
            QTimer::singleShot(50, &app, &QCoreApplication::quit); // the last frame
        }
    });
    elapsed.start();
    probe.start();
    feeder.start();
    app.exec();
    const double s = (elapsed.nsecsElapsed() - 50e6) / 1e9;
    std::printf("TerminalItem %dx%d cells (%dx%d px, software scene graph, offscreen):\n",
        item->cols(), item->rows(), window.width(), window.height());
    std::printf("  fed %.1f MB in %.2f s = %.1f MB/s through write() in 16 KiB chunks\n", fed / 1e6,
        s, fed / 1e6 / s);
    std::printf("  frames %d (%.1f per second), paints %llu\n", frames, frames / s,
        static_cast<unsigned long long>(item->paintCount()));
    std::printf("  longest gap between frames %.1f ms, longest frame render %.1f ms\n",
        longestFrameGap / 1e6, longestRender / 1e6);
    std::printf("  longest event-loop stall (1 ms probe timer) %.1f ms\n", longestStall / 1e6);
    std::printf("  write() of 16 KiB: longest %.1f ms wall, %.1f ms CPU; %d of %lld over 16 ms\n",
        longestWrite / 1e6, longestWriteCpu / 1e6, slowWrites, fed / Chunk);
    std::printf("  scrollback %d lines\n", item->scrollbackSize());
    return 0;
}
