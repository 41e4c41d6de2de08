// The history's cost with 5000 guests (make bench-history; docs/PERFORMANCE.md): memory per
// guest with full hour and day rings (the store's own count and the heap's, glibc mallinfo2),
// the time to record one poll of 5000 guests (the median, and the polls that roll a minute up),
// the time to build one day series and its JSON, and the file's size and write/read time.
// Options: --guests N (5000), --nodes N (10).
#include "history/store.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QRandomGenerator>

#include <algorithm>
#include <cstdio>
#include <malloc.h>
#include <vector>

using namespace jarvis;

namespace {
qint64 heapInUse()
{
    const struct mallinfo2 m = mallinfo2();
    return qint64(m.uordblks + m.hblkhd);
}

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

int intArg(const QStringList &args, const QString &name, int fallback)
{
    const qsizetype i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args.at(i + 1).toInt() : fallback;
}
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int guests = intArg(args, QStringLiteral("--guests"), 5000);
    const int nodeCount = intArg(args, QStringLiteral("--nodes"), 10);

    QList<model::VmData> vms;
    for (int i = 0; i < guests; ++i) {
        model::VmData vm;
        vm.vmid = 100 + i;
        vm.node = QStringLiteral("pve%1").arg(i % nodeCount + 1);
        vm.kind = i % 3 == 0 ? model::VmData::Kind::Lxc : model::VmData::Kind::Qemu;
        vm.status = QStringLiteral("running");
        vm.maxmem = qint64(4) << 30;
        vms.append(vm);
    }
    QList<model::NodeData> nodes;
    for (int i = 0; i < nodeCount; ++i) {
        model::NodeData n;
        n.node = QStringLiteral("pve%1").arg(i + 1);
        n.status = QStringLiteral("online");
        n.maxmem = qint64(256) << 30;
        nodes.append(n);
    }
    QRandomGenerator random(42);
    auto vary = [&](qint64 step) {
        for (model::VmData &vm : vms) {
            vm.cpu = random.bounded(1.0);
            vm.mem = qint64(random.bounded(4.0) * (1 << 30));
            vm.netin += qint64(random.bounded(15000000));
            vm.netout += qint64(random.bounded(5000000));
            vm.diskread += qint64(random.bounded(30000000));
            vm.diskwrite += qint64(random.bounded(30000000));
        }
        for (model::NodeData &n : nodes) {
            n.cpu = random.bounded(1.0);
            n.mem = qint64(random.bounded(200.0) * (1 << 30));
        }
        Q_UNUSED(step);
    };

    const qint64 heapBefore = heapInUse();
    auto store = std::make_unique<history::Store>();
    const qint64 start = 1750000000000; // ms
    const int polls = 24 * 240 + 240; // 25 hours of guest polls (15 s): every ring full
    std::vector<double> pollMs, rollUpMs;
    QElapsedTimer timer;
    for (int p = 0; p < polls; ++p) {
        vary(p);
        const qint64 at = start + qint64(p) * 15000;
        timer.start();
        store->recordGuests(at, vms);
        const double ms = timer.nsecsElapsed() / 1e6;
        // The first poll of a minute rolls the one before up into the day ring.
        const bool rollUp = at / 60000 != (at - 15000) / 60000;
        if (p >= 240)
            (rollUp ? rollUpMs : pollMs).push_back(ms);
        store->recordNodes(at, nodes, {});
    }
    const qint64 heapAfter = heapInUse();
    const qint64 now = start + qint64(polls) * 15000;

    std::printf(
        "history bench: %d guests, %d nodes, %d polls (25 h at 15 s: hour and day rings full)\n",
        guests, nodeCount, polls);
    std::printf("  memory, store's count : %lld bytes = %.1f MB (%lld bytes a guest)\n",
        store->memoryBytes(), store->memoryBytes() / 1e6, store->memoryBytes() / guests);
    std::printf("  memory, heap (glibc)  : %lld bytes = %.1f MB (%lld bytes a guest)\n",
        heapAfter - heapBefore, (heapAfter - heapBefore) / 1e6, (heapAfter - heapBefore) / guests);
    std::printf("  record one poll       : median %.2f ms (%zu polls); with the minute roll-up: "
                "median %.2f ms, max %.2f ms (%zu polls)\n",
        median(pollMs), pollMs.size(), median(rollUpMs),
        rollUpMs.empty() ? 0.0 : *std::max_element(rollUpMs.begin(), rollUpMs.end()),
        rollUpMs.size());

    std::vector<double> seriesMs, jsonMs, hourMs;
    qsizetype jsonBytes = 0, dayPoints = 0;
    for (int i = 0; i < 200; ++i) {
        const QString id = QStringLiteral("qemu/%1").arg(101 + (i * 37) % (guests - 1) / 3 * 3 + 1);
        timer.start();
        const auto s = store->series(id, history::Range::Day, now);
        seriesMs.push_back(timer.nsecsElapsed() / 1e6);
        if (!s)
            continue;
        timer.start();
        const QByteArray json = QJsonDocument(history::toJson(*s)).toJson(QJsonDocument::Compact);
        jsonMs.push_back(timer.nsecsElapsed() / 1e6);
        jsonBytes = json.size();
        dayPoints = qsizetype(s->t.size());
        timer.start();
        const auto h = store->series(id, history::Range::Hour, now);
        hourMs.push_back(timer.nsecsElapsed() / 1e6);
    }
    std::printf("  day series of a guest : %lld points; build median %.3f ms, to JSON median %.3f "
                "ms (%lld bytes); hour series build median %.3f ms\n",
        qint64(dayPoints), median(seriesMs), median(jsonMs), qint64(jsonBytes), median(hourMs));

    // A start without a history file: one poll, then every guest's day of rrddata (48 points,
    // 30 minutes apart, as Proxmox's `day` timeframe has them). The first backfill claims the
    // day's minutes for the whole group.
    {
        history::Store fresh;
        fresh.recordGuests(now, vms);
        std::vector<double> backfillMs;
        for (int i = 0; i < std::min(guests, 200); ++i) {
            QList<proxmox::RrdPoint> day;
            for (int k = 48; k > 0; --k) {
                proxmox::RrdPoint point;
                point.time = now / 1000 - qint64(k) * 1800;
                point.cpu = random.bounded(1.0);
                point.mem = random.bounded(4.0) * (1 << 30);
                day.append(point);
            }
            const model::VmData &vm = vms.at(i);
            const QString id = QStringLiteral("%1/%2")
                                   .arg(vm.kind == model::VmData::Kind::Lxc ? "lxc" : "qemu")
                                   .arg(vm.vmid);
            timer.start();
            if (!fresh.backfill(id, 1800, day, now))
                return 1;
            backfillMs.push_back(timer.nsecsElapsed() / 1e6);
        }
        std::printf("  backfill a day (fresh): first guest %.2f ms, then median %.3f ms (%zu "
                    "guests)\n",
            backfillMs.front(),
            median(std::vector<double>(backfillMs.begin() + 1, backfillMs.end())),
            backfillMs.size() - 1);
    }

    // The periodic save: built in steps of 250 guests (one event-loop turn each).
    std::vector<double> stepMs;
    QElapsedTimer total;
    total.start();
    timer.start();
    auto job = store->beginSave();
    stepMs.push_back(timer.nsecsElapsed() / 1e6);
    for (;;) {
        timer.start();
        const auto step = store->continueSave(*job, 250);
        stepMs.push_back(timer.nsecsElapsed() / 1e6);
        if (step != history::Store::SaveStep::More)
            break;
    }
    const QByteArray image = job->take();
    const double saveMs = total.nsecsElapsed() / 1e6;
    history::Store loaded;
    QString why;
    timer.start();
    const bool ok = loaded.load(image, &why);
    const double loadMs = timer.nsecsElapsed() / 1e6;
    std::printf("  file                  : %lld bytes; image built in %.1f ms in %zu steps "
                "(longest step %.1f ms), read back in %.1f ms (%s)\n",
        qint64(image.size()), saveMs, stepMs.size(),
        *std::max_element(stepMs.begin(), stepMs.end()), loadMs, ok ? "ok" : qPrintable(why));
    return ok ? 0 : 1;
}
