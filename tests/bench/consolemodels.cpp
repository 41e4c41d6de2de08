// jarvis-bench-models: the cost of applying a `vms` snapshot to the console's GuestListModel
// (console/models/), from the QJsonArray the Socket.IO client hands over to the last signal.
// Run on demand (make bench-models), never by ctest.
//
//   jarvis-bench-models [--guests 5000] [--runs 50]
//
// Scenarios (wall time of applyVms, one thread, median and max over `runs`):
//   first fill      an empty model gets the whole snapshot (a new model each run)
//   unchanged       the same snapshot again (every poll of a quiet cluster)
//   10% changed     every run ~10% of the guests differ from the previous snapshot (cpu, mem,
//                   net and uptime; 1 in 20 of those also changes status, so actions flip)
//   churn           10% changed plus 1% of the guests removed and 1% new ones inserted
// each once with the model alone and once with a GuestFilterModel on top (sorted by cpu,
// descending, as the dashboard's busiest-first view, with a search), since that is what the
// guest table shows. Target: at most 5 ms for the steady-state update (10% changed), model alone.
#include "model/clusterdata.h"
#include "models/guestfiltermodel.h"
#include "models/guestlistmodel.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <random>

using namespace jarvis;

namespace {

int argument(const QStringList &args, const QString &name, int fallback)
{
    const qsizetype i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args.at(i + 1).toInt() : fallback;
}

// A cluster of `count` guests on 50 nodes, roughly as the demo makes them.
QList<model::VmData> cluster(int count, int firstVmid, std::mt19937 &random)
{
    static const QStringList names {QStringLiteral("web"), QStringLiteral("db"),
        QStringLiteral("cache"), QStringLiteral("worker"), QStringLiteral("build"),
        QStringLiteral("mail")};
    QList<model::VmData> out;
    out.reserve(count);
    for (int i = 0; i < count; ++i) {
        model::VmData g;
        g.vmid = firstVmid + i;
        g.name = QStringLiteral("%1-%2").arg(names.at(i % names.size())).arg(i);
        g.node = QStringLiteral("pve%1").arg(i % 50 + 1);
        g.kind = i % 3 == 0 ? model::VmData::Kind::Lxc : model::VmData::Kind::Qemu;
        g.status = i % 4 == 0 ? QStringLiteral("stopped") : QStringLiteral("running");
        g.maxcpu = 1 << (i % 4);
        g.cpu = g.status == QLatin1String("running") ? (random() % 1000) / 1000.0 : 0.0;
        g.maxmem = qint64(1 + i % 16) << 30;
        g.mem = g.status == QLatin1String("running") ? g.maxmem / 2 : 0;
        g.maxdisk = qint64(32) << 30;
        g.uptime = g.status == QLatin1String("running") ? 3600 + i : 0;
        g.netin = qint64(i) * 1000;
        g.netout = qint64(i) * 700;
        g.tags = {QStringLiteral("tier%1").arg(i % 3)};
        if (i % 10 == 0)
            g.tags << QStringLiteral("prod");
        g.isProtected = i % 97 == 0;
        out.append(std::move(g));
    }
    return out;
}

// ~10% of the guests move on: counters, cpu, memory; every 20th of those changes status.
void step(QList<model::VmData> &guests, std::mt19937 &random)
{
    const int n = int(guests.size());
    for (int k = 0; k < n / 10; ++k) {
        model::VmData &g = guests[int(random() % unsigned(n))];
        g.cpu = (random() % 1000) / 1000.0;
        g.mem = qint64(random() % 1000) * (g.maxmem / 1000);
        g.netin += 1000 + random() % 5000;
        g.netout += 500 + random() % 5000;
        g.uptime += 15;
        if (k % 20 == 0)
            g.status = g.status == QLatin1String("running") ? QStringLiteral("stopped")
                                                             : QStringLiteral("running");
    }
}

// 1% removed, 1% new guests (higher vmids, sorted in at the end as jarvisd sorts by vmid).
void churn(QList<model::VmData> &guests, int &nextVmid, std::mt19937 &random)
{
    const int n = int(guests.size()) / 100;
    for (int k = 0; k < n; ++k)
        guests.removeAt(int(random() % unsigned(guests.size())));
    guests.append(cluster(n, nextVmid, random));
    nextVmid += n;
}

struct Figures
{
    double median = 0;
    double max = 0;
};

Figures measure(int runs, const std::function<QJsonArray()> &prepare,
    const std::function<void(const QJsonArray &)> &apply)
{
    QList<double> ms;
    ms.reserve(runs);
    for (int r = 0; r < runs; ++r) {
        const QJsonArray snapshot = prepare(); // not timed: the client hands it over
        QElapsedTimer timer;
        timer.start();
        apply(snapshot);
        ms.append(timer.nsecsElapsed() / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    return {ms.at(ms.size() / 2), ms.last()};
}

void print(const char *scenario, bool withView, const Figures &f)
{
    std::printf("  %-12s %-22s median %6.2f ms   max %6.2f ms\n", scenario,
        withView ? "model + filter view" : "model", f.median, f.max);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int guests = argument(args, QStringLiteral("--guests"), 5000);
    const int runs = qMax(1, argument(args, QStringLiteral("--runs"), 50));
    std::printf("jarvis-bench-models: GuestListModel::applyVms, %d guests, %d runs per scenario\n",
        guests, runs);

    for (const bool withView : {false, true}) {
        std::mt19937 random(12345);
        const QList<model::VmData> base = cluster(guests, 100, random);
        const QJsonArray baseJson = model::toJson(base);

        // first fill: a new model per run
        {
            Figures f = measure(runs, [&] { return baseJson; },
                [&](const QJsonArray &snapshot) {
                    console::GuestListModel model;
                    console::GuestFilterModel view;
                    if (withView) {
                        view.setGuests(&model);
                        view.setSortRoleName(QStringLiteral("cpu"));
                        view.setSortAscending(false);
                    }
                    model.applyVms(snapshot);
                });
            print("first fill", withView, f);
        }

        console::GuestListModel model;
        console::GuestFilterModel view;
        if (withView) {
            view.setGuests(&model);
            view.setSortRoleName(QStringLiteral("cpu"));
            view.setSortAscending(false);
            view.setSearch(QStringLiteral("tier1"));
        }
        model.applyVms(baseJson);
        QList<model::VmData> current = base;
        const auto apply = [&](const QJsonArray &snapshot) { model.applyVms(snapshot); };

        print("unchanged", withView, measure(runs, [&] { return model::toJson(current); }, apply));
        print("10% changed", withView, measure(runs, [&] {
            step(current, random);
            return model::toJson(current);
        }, apply));
        int nextVmid = 100 + guests;
        print("churn", withView, measure(runs, [&] {
            step(current, random);
            churn(current, nextVmid, random);
            return model::toJson(current);
        }, apply));
        if (model.rowCount() != current.size()) {
            std::fprintf(stderr, "model has %d rows, snapshot %lld\n", model.rowCount(),
                qlonglong(current.size()));
            return 1;
        }
    }
    return 0;
}
