// jarvis-bench-poll: the cost of one poll-and-emit cycle of the cluster emitter, and how many
// requests the emitter sends to Proxmox. Run on demand (make bench-poll), never by ctest.
//
//   jarvis-bench-poll [--nodes 50] [--guests 5000] [--cycles 50]
//
// 1. Cycle cost: a PVE simulator with the given size runs in a child process (so its CPU is not
//    counted); this process does what ClusterEmitter does with each answer: fetches
//    /cluster/resources over HTTP (Client::clusterResources: the body is parsed straight into
//    typed values by the streaming reader, all resource types, and sorted), sets the guests'
//    `protected` flags (realtime::markProtectedGuests) and encodes the Socket.IO `vms` broadcast
//    (model::appendJson, encodeEventRaw), `cycles` times. Reported: CPU time (user+system,
//    getrusage) per cycle and per step; target: at most 10 ms median for 5000 guests.
// 2. Requests per minute: a 3-node simulated cluster and the real ClusterEmitter with the default
//    intervals (and quorum / node-status cadences) divided by 20, with one client connected and
//    with none; the simulator's request count over the run, scaled back to one real minute.
//    Target: at most 12 with one client, 0 with none.
#include "app/application.h"
#include "app/clusterservices.h"
#include "app/runner.h"
#include "client/socketioclient.h"
#include "demo/pvesimulator.h"
#include "demo/simulatedcluster.h"
#include "model/clusterdata.h"
#include "proxmox/client.h"
#include "realtime/clusteremitter.h"
#include "realtime/sioserver.h"
#include "tools/safetypolicy.h"

#include "benchutil.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>

#include <sys/resource.h>

#include <algorithm>
#include <cstdio>

using namespace jarvis;

namespace {
int argument(const QStringList &args, const QString &name, int fallback)
{
    const qsizetype i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args.at(i + 1).toInt() : fallback;
}

// Child mode: serve a simulated cluster and print its port.
int serve(int nodes, int guests)
{
    demo::PveSimulator::Options o;
    o.cluster.nodes = nodes;
    o.cluster.guests = guests;
    demo::PveSimulator sim(o);
    if (!sim.listen()) {
        std::fprintf(stderr, "simulator: %s\n", qPrintable(sim.errorString()));
        return 1;
    }
    std::printf("%d\n", sim.port());
    std::fflush(stdout);
    return QCoreApplication::exec();
}

// Runs the event loop until `done` is true (a benchmark driver; the service never does this).
// A nested QEventLoop that sleeps in poll(): no busy waiting to inflate the CPU figures.
void runUntil(const bool &done, int timeoutMs = 60000)
{
    QEventLoop loop;
    QTimer check;
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (done)
            loop.quit();
    });
    check.start(2);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (!done)
        loop.exec();
}

void cycleCost(int nodes, int guests, int cycles)
{
    QProcess child;
    child.start(QCoreApplication::applicationFilePath(),
        {QStringLiteral("--serve"), QString::number(nodes), QString::number(guests)});
    child.waitForReadyRead(30000);
    const int port = child.readLine().trimmed().toInt();
    demo::PveSimulator::Options defaults;
    proxmox::ClientOptions options;
    options.tokenId = defaults.tokenId;
    options.tokenSecret = defaults.tokenSecret;
    options.transferTimeoutMs = 30000;
    proxmox::Client client(options,
        {{QStringLiteral("pve1"), QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)), {}}});

    QList<double> total, fetchParse, encode;
    const tools::SafetyPolicy safety({}, {});
    std::optional<proxmox::ClusterResources> resources; // the emitter keeps the latest answer
    QList<model::VmData> vms; // and the `vms` snapshot
    qsizetype bytes = 0;
    for (int i = 0; i < cycles + 2; ++i) { // two warm-up cycles
        bool done = false;
        bool ok = false;
        const double start = bench::selfCpuSeconds();
        // The service's path: Client::clusterResources reads the body with the streaming parser
        // and sorts the lists; the previous answer is released when the new one is stored.
        client.clusterResources(&client, [&](const proxmox::Result<proxmox::ClusterResources> &r) {
            ok = r.ok();
            if (ok)
                resources = *r.value;
            done = true;
        });
        runUntil(done);
        const double fetched = bench::selfCpuSeconds();
        if (!ok || int(resources->vms.size()) != guests) {
            std::fprintf(stderr, "bad answer in cycle %d\n", i);
            break;
        }
        // What ClusterEmitter::applyVms does: the `protected` flags (written only where they
        // differ: nothing here), then the one `vms` encoder and the Socket.IO packet.
        vms = resources->vms;
        realtime::markProtectedGuests(vms, safety);
        QByteArray json;
        model::appendJson(json, vms);
        const realtime::EncodedPacket packet =
            realtime::encodeEventRaw(QStringLiteral("/cluster"), QStringLiteral("vms"), json);
        bytes = packet.text.size();
        const double end = bench::selfCpuSeconds();
        if (i >= 2) {
            total.append((end - start) * 1000);
            fetchParse.append((fetched - start) * 1000);
            encode.append((end - fetched) * 1000);
        }
    }
    child.terminate();
    child.waitForFinished(5000);
    auto median = [](QList<double> v) {
        std::sort(v.begin(), v.end());
        return v.isEmpty() ? 0.0 : v.at(v.size() / 2);
    };
    auto mean = [](const QList<double> &v) {
        double s = 0;
        for (double x : v)
            s += x;
        return v.isEmpty() ? 0.0 : s / double(v.size());
    };
    std::printf("poll cycle, %d nodes / %d guests, %lld cycles: `vms` broadcast %lld bytes\n",
        nodes, guests, qlonglong(total.size()), qlonglong(bytes));
    std::printf(
        "  CPU per cycle ms: median %.1f, mean %.1f (fetch over HTTP + parse + sort: median "
        "%.1f; flags + encode: median %.1f)\n",
        median(total), mean(total), median(fetchParse), median(encode));
    std::printf("  target: at most 10 ms median per full cycle for 5000 guests: %s\n",
        median(total) <= 10.0 ? "met" : "MISSED");
}

// What the PVE simulator costs to generate one /cluster/resources answer of a big cluster (moved
// here from tst_pvesimulator, which only prints it: a unit test does not judge speed).
void simulatorCost(int nodes, int guests)
{
    demo::ClusterOptions options;
    options.nodes = nodes;
    options.guests = guests;
    demo::SimulatedCluster cluster(options);
    constexpr int Rounds = 20;
    QList<double> cpuMs;
    qsizetype bytes = 0;
    for (int i = 0; i < Rounds; ++i) {
        const double start = bench::selfCpuSeconds();
        bytes = cluster.clusterResources({}).data.size();
        cpuMs.append((bench::selfCpuSeconds() - start) * 1000);
    }
    std::sort(cpuMs.begin(), cpuMs.end());
    const double median = cpuMs.at(cpuMs.size() / 2);
    std::printf("PVE simulator, %d nodes / %d guests: /cluster/resources (%lld bytes) generated in "
                "%.1f ms CPU (median of %d; best %.1f)\n",
        nodes, guests, qlonglong(bytes), median, Rounds, cpuMs.first());
    std::printf("  target: < 200 ms per answer: %s\n", median < 200.0 ? "met" : "MISSED");
}

void requestsPerMinute(bool withClient)
{
    constexpr int Speedup = 20;
    demo::PveSimulator::Options o;
    demo::PveSimulator sim(o);
    sim.listen();
    QTemporaryDir dir;
    config::Config c;
    c.listen = QStringLiteral("127.0.0.1");
    c.port = 0;
    c.jwtSecret = "bench-secret-bench-secret-bench-secret-bench-secret";
    c.adminPassword = QStringLiteral("x");
    c.tokenId = o.tokenId;
    c.tokenSecret = o.tokenSecret;
    c.auditFile = dir.filePath(QStringLiteral("audit.jsonl"));
    for (int i = 1; i <= 3; ++i)
        c.nodes.append(
            {QStringLiteral("pve%1").arg(i), QStringLiteral("127.0.0.1"), sim.baseUrl(), 22, {}});
    app::Application application(c);
    QString error;
    application.start(&error);
    application.cluster()->emitter()->setIntervals({c.intervalNodes * 1000 / Speedup,
        c.intervalVms * 1000 / Speedup, c.intervalStorage * 1000 / Speedup,
        c.intervalQuorum * 1000 / Speedup, c.intervalNodeStatus * 1000 / Speedup});
    client::SocketIoClient listener;
    if (withClient) {
        listener.connectToServer(QUrl(application.url()), QStringLiteral("/cluster"),
            QJsonObject {
                {QStringLiteral("token"), application.jwt().issue(QStringLiteral("bench"), 600)}});
        bool connected = false;
        QObject::connect(&listener, &client::SocketIoClient::connected, [&] { connected = true; });
        runUntil(connected, 10000);
    }
    // Counted over two real minutes that start and end half a `nodes` tick after a tick, so that
    // no tick sits on the window's edge (where timer jitter decides whether it counts): the
    // window holds exactly the ticks at 10, 20, ... 120 s after the first poll.
    bool settled = false;
    QTimer::singleShot(
        c.intervalNodes * 1000 / Speedup / 2, Qt::PreciseTimer, [&] { settled = true; });
    runUntil(settled, 10000);
    sim.resetRequestCounts();
    const int seconds = 6; // = 2 minutes at real intervals
    bool over = false;
    QTimer::singleShot(seconds * 1000, Qt::PreciseTimer, [&] { over = true; }); // coarse: 5 % off
    runUntil(over, seconds * 1000 + 5000);
    const double minutes = double(seconds) * Speedup / 60.0;
    const double perMinute = sim.totalRequests() / minutes;
    std::printf("Proxmox requests per minute, 3 nodes, default intervals (nodes/vms/storage "
                "%d/%d/%d s, quorum %d s, node status %d s), %s: %.0f\n",
        c.intervalNodes, c.intervalVms, c.intervalStorage, c.intervalQuorum, c.intervalNodeStatus,
        withClient ? "one client" : "no client", perMinute);
    const QHash<QString, int> counts = sim.requestCounts();
    QStringList keys = counts.keys();
    keys.sort();
    for (const QString &key : keys)
        std::printf("  %-22s %.0f/min\n", qPrintable(key), counts.value(key) / minutes);
    const double target = withClient ? 12 : 0;
    std::printf("  target: at most %.0f: %s\n", target, perMinute <= target ? "met" : "MISSED");
}
} // namespace

int main(int argc, char **argv)
{
    app::prepareProcess();
    QCoreApplication qapp(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    if (args.contains(QStringLiteral("--serve")))
        return serve(args.at(args.indexOf(QStringLiteral("--serve")) + 1).toInt(),
            args.at(args.indexOf(QStringLiteral("--serve")) + 2).toInt());
    cycleCost(argument(args, QStringLiteral("--nodes"), 50),
        argument(args, QStringLiteral("--guests"), 5000),
        argument(args, QStringLiteral("--cycles"), 50));
    simulatorCost(argument(args, QStringLiteral("--nodes"), 50),
        argument(args, QStringLiteral("--guests"), 5000));
    requestsPerMinute(true);
    requestsPerMinute(false);
    return 0;
}
