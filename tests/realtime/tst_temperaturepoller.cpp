// TemperaturePoller end to end: a real jarvisd Application polling the PVE simulator, reading
// temperatures over SSH from a real OpenSSH sshd on loopback (SshdFixture), where the temperature
// command is `cat` of a recorded `sensors -j` output the test rewrites; real Socket.IO clients on
// /cluster and /events. pve1 and pve3 reach the sshd; pve2's SSH port has nobody listening.
// The emitter and the poller run on a core::ManualClock: a test steps rounds (no sleeps).
#include "app/application.h"
#include "app/clusterservices.h"
#include "client/socketioclient.h"
#include "core/clock.h"
#include "demo/pvesimulator.h"
#include "realtime/clusteremitter.h"
#include "realtime/temperaturepoller.h"
#include "ssh/pool.h"
#include "ssh/temperature.h"
#include "sshdfixture.h"

#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

#include <memory>
#include <vector>

using jarvis::realtime::TemperaturePoller;

namespace {

struct Received
{
    QString client;
    QString event;
    QJsonObject payload; // args[0] as an object, or {"array": args[0]}
};

QByteArray sensorsJson(double package, double nvme)
{
    return QStringLiteral(R"({
   "coretemp-isa-0000":{
      "Adapter": "ISA adapter",
      "Package id 0":{ "temp1_input": %1, "temp1_max": 80.000, "temp1_crit": 100.000 },
      "Core 0":{ "temp2_input": 41.000, "temp2_max": 80.000, "temp2_crit": 100.000 }
   },
   "nvme-pci-0100":{
      "Adapter": "PCI adapter",
      "Composite":{ "temp1_input": %2, "temp1_max": 81.850, "temp1_min": -273.150 }
   }
}
)")
        .arg(package, 0, 'f', 3)
        .arg(nvme, 0, 'f', 3)
        .toUtf8();
}

int deadPort()
{
    QTcpServer server;
    return server.listen(QHostAddress::LocalHost, 0) ? server.serverPort() : 1;
}

// The Application with [ssh] pointing at the fixture's sshd.
class Fixture
{
public:
    static constexpr int PollerMs = 300;
    Fixture()
    {
        if (!sshd.setUp()) {
            startError = QStringLiteral("sshd: ") + sshd.error();
            return;
        }
        writeReading(sensorsJson(47.0, 38.85));
        jarvis::demo::PveSimulator::Options o;
        simulator = std::make_unique<jarvis::demo::PveSimulator>(o);
        simulator->listen();
        jarvis::config::Config c;
        c.listen = QStringLiteral("127.0.0.1");
        c.port = 0;
        c.jwtSecret = "fixture-secret-fixture-secret-fixture-secret-0123";
        c.adminPassword = QStringLiteral("pw");
        c.tokenId = o.tokenId;
        c.tokenSecret = o.tokenSecret;
        c.auditFile = sshd.path(QStringLiteral("audit.jsonl"));
        c.sshConfigured = true;
        c.sshUser = SshdFixture::user();
        c.sshKeyFile = sshd.clientKeyFile();
        c.sshKnownHostsFile = sshd.knownHostsFile();
        c.strictHostKeys = true;
        c.intervalTemperature = 30;
        c.temperatureCommand = QStringLiteral("cat '%1'").arg(readingFile());
        const int dead = deadPort();
        for (int i = 1; i <= 3; ++i) {
            jarvis::config::NodeConfig node;
            node.name = QStringLiteral("pve%1").arg(i);
            node.host = QStringLiteral("127.0.0.1");
            node.sshPort = i == 2 ? dead : sshd.port();
            node.apiUrl = simulator->baseUrl();
            c.nodes.append(node);
        }
        app = std::make_unique<jarvis::app::Application>(c, &clock);
        QString error;
        started = app->start(&error);
        startError = error;
        token = app->jwt().issue(QStringLiteral("admin"), 3600);
        if (started) {
            emitter()->setIntervals({200, 60000, 60000});
            poller()->setInterval(PollerMs);
        }
    }

    // One round by the clock: once the previous round is over, one poller interval passes (the
    // emitter's `nodes` poll ticks too); true when a round finished.
    bool round()
    {
        if (!QTest::qWaitFor([this] { return !poller()->isRoundRunning(); }, 20000))
            return false;
        const int before = poller()->roundCount();
        clock.advance(PollerMs);
        return QTest::qWaitFor([&] { return poller()->roundCount() > before; }, 20000);
    }

    // Rounds until `done` holds; what a round sends reaches the clients asynchronously, and one
    // round more changes nothing. False after 20 rounds.
    template<typename Condition> bool roundsUntil(Condition done)
    {
        for (int i = 0; i < 20 && !done(); ++i) {
            if (!round())
                return false;
            (void)QTest::qWaitFor(done, 1000);
        }
        return done();
    }

    QString readingFile() const { return sshd.path(QStringLiteral("sensors.json")); }
    void writeReading(const QByteArray &content) const
    {
        QFile file(readingFile() + QStringLiteral(".new"));
        file.open(QIODevice::WriteOnly | QIODevice::Truncate);
        file.write(content);
        file.close();
        QFile::remove(readingFile());
        QFile::rename(file.fileName(), readingFile()); // never half written
    }

    jarvis::realtime::ClusterEmitter *emitter() const { return app->cluster()->emitter(); }
    TemperaturePoller *poller() const { return app->cluster()->temperatures(); }

    jarvis::client::SocketIoClient *connect(const QString &nsp)
    {
        auto *client = new jarvis::client::SocketIoClient;
        clients.emplace_back(client);
        QObject::connect(client, &jarvis::client::SocketIoClient::eventReceived, client,
            [this, nsp](const QString &event, const QJsonArray &args, const QList<QByteArray> &) {
                const QJsonValue first = args.first();
                received.append({nsp, event,
                    first.isObject() ? first.toObject()
                                     : QJsonObject {{QStringLiteral("array"), first}}});
            });
        QSignalSpy connected(client, &jarvis::client::SocketIoClient::connected);
        client->connectToServer(
            QUrl(app->url()), nsp, QJsonObject {{QStringLiteral("token"), token}});
        if (connected.isEmpty())
            connected.wait(5000);
        return client;
    }

    QList<Received> of(const QString &client, const QString &event) const
    {
        QList<Received> out;
        for (const Received &r : received) {
            if (r.client == client && r.event == event)
                out.append(r);
        }
        return out;
    }

    // `poll` events from the temperature poller with the given ok, for `node`.
    QList<QJsonObject> pollEvents(const QString &node, bool ok) const
    {
        QList<QJsonObject> out;
        for (const Received &r : of(QStringLiteral("/events"), QStringLiteral("event"))) {
            const QJsonObject data = r.payload.value(QStringLiteral("data")).toObject();
            if (data.value(QStringLiteral("kind")) == QLatin1String("poll")
                && data.value(QStringLiteral("source")) == QLatin1String("temperature")
                && data.value(QStringLiteral("ok")).toBool() == ok
                && r.payload.value(QStringLiteral("node")) == node)
                out.append(data);
        }
        return out;
    }

    QList<QJsonObject> alerts(bool resolved) const
    {
        QList<QJsonObject> out;
        for (const Received &r : of(QStringLiteral("/events"), QStringLiteral("alert"))) {
            if (r.payload.value(QStringLiteral("data"))
                        .toObject()
                        .value(QStringLiteral("alertKind"))
                    == QLatin1String("temperature_high")
                && r.payload.contains(QStringLiteral("resolvedAt")) == resolved)
                out.append(r.payload);
        }
        return out;
    }

    // The zones of `node` in the latest `temperature` event ({} if it is not there).
    QJsonObject latestZones(const QString &node, bool *present = nullptr) const
    {
        const QList<Received> all = of(QStringLiteral("/cluster"), QStringLiteral("temperature"));
        if (present)
            *present = false;
        if (all.isEmpty())
            return {};
        for (const QJsonValue &v : all.last().payload.value(QStringLiteral("array")).toArray()) {
            const QJsonObject t = v.toObject();
            if (t.value(QStringLiteral("node")) == node) {
                if (present)
                    *present = true;
                return t.value(QStringLiteral("zones")).toObject();
            }
        }
        return {};
    }

    jarvis::core::ManualClock clock; // outlives the Application
    SshdFixture sshd;
    std::unique_ptr<jarvis::demo::PveSimulator> simulator;
    std::unique_ptr<jarvis::app::Application> app;
    bool started = false;
    QString startError;
    QString token;
    std::vector<std::unique_ptr<jarvis::client::SocketIoClient>> clients;
    QList<Received> received;
};

} // namespace

class TestTemperaturePoller : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void temperaturesReachClients();
    void failingNodeSkippedAndReported();
    void highTemperatureAlert();
    void idleWithoutClients();
    void offWithoutSsh();
};

void TestTemperaturePoller::initTestCase()
{
    if (!SshdFixture::isAvailable())
        QFAIL("OpenSSH sshd or ssh-keygen is missing: make deps installs openssh-server");
}

void TestTemperaturePoller::temperaturesReachClients()
{
    Fixture f;
    QVERIFY2(f.started, qPrintable(f.startError));
    QVERIFY(f.poller()->isEnabled());
    QCOMPARE(f.poller()->command(), QStringLiteral("cat '%1'").arg(f.readingFile()));
    f.connect(QStringLiteral("/cluster"));

    bool present = false;
    QVERIFY(
        f.roundsUntil([&] { return (f.latestZones(QStringLiteral("pve1"), &present), present); }));
    const QJsonObject zones = f.latestZones(QStringLiteral("pve1"));
    QCOMPARE(zones.size(), 3);
    QCOMPARE(zones.value(QStringLiteral("coretemp-isa-0000/Package id 0")).toDouble(), 47.0);
    QCOMPARE(zones.value(QStringLiteral("coretemp-isa-0000/Core 0")).toDouble(), 41.0);
    QCOMPARE(zones.value(QStringLiteral("nvme-pci-0100/Composite")).toDouble(), 38.85);
    QVERIFY(
        f.roundsUntil([&] { return (f.latestZones(QStringLiteral("pve3"), &present), present); }));
    QCOMPARE(f.latestZones(QStringLiteral("pve3")), zones);

    // `nodes` carries each node's latest temperatures; pve2 (unreadable) has {}.
    auto nodeTemperatures = [&](const QString &name) {
        const QList<Received> nodes = f.of(QStringLiteral("/cluster"), QStringLiteral("nodes"));
        if (nodes.isEmpty())
            return QJsonValue();
        for (const QJsonValue &v : nodes.last().payload.value(QStringLiteral("array")).toArray()) {
            if (v.toObject().value(QStringLiteral("name")) == name)
                return v.toObject().value(QStringLiteral("temperatures"));
        }
        return QJsonValue();
    };
    QVERIFY(f.roundsUntil(
        [&] { return nodeTemperatures(QStringLiteral("pve1")).toObject() == zones; }));
    QCOMPARE(nodeTemperatures(QStringLiteral("pve3")).toObject(), zones);
    QVERIFY(nodeTemperatures(QStringLiteral("pve2")).isObject());
    QVERIFY(nodeTemperatures(QStringLiteral("pve2")).toObject().isEmpty());

    // New readings follow on the next rounds.
    f.writeReading(sensorsJson(52.5, 40.0));
    QVERIFY(f.roundsUntil([&] {
        return f.latestZones(QStringLiteral("pve1"))
                   .value(QStringLiteral("coretemp-isa-0000/Package id 0"))
                   .toDouble()
            == 52.5;
    }));
    // Both reachable nodes share one pooled connection each: one login per node, not per round.
    for (int i = 0; i < 3; ++i)
        QVERIFY(f.round());
    QCOMPARE(f.sshd.acceptedLogins(), 2);
}

void TestTemperaturePoller::failingNodeSkippedAndReported()
{
    Fixture f;
    QVERIFY2(f.started, qPrintable(f.startError));
    f.connect(QStringLiteral("/events"));
    f.connect(QStringLiteral("/cluster"));

    // pve2 cannot be reached: left out of `temperature`, one poll ok:false for it.
    QVERIFY(f.roundsUntil([&] { return f.pollEvents(QStringLiteral("pve2"), false).size() == 1; }));
    const QJsonObject failure = f.pollEvents(QStringLiteral("pve2"), false).first();
    QVERIFY2(failure.value(QStringLiteral("error")).toString().startsWith(QLatin1String("pve2: ")),
        qPrintable(failure.value(QStringLiteral("error")).toString()));
    bool present = false;
    QVERIFY(
        f.roundsUntil([&] { return (f.latestZones(QStringLiteral("pve1"), &present), present); }));
    f.latestZones(QStringLiteral("pve2"), &present);
    QVERIFY(!present);
    QCOMPARE(f.pollEvents(QStringLiteral("pve1"), false).size(), 0);
    QCOMPARE(f.pollEvents(QStringLiteral("pve1"), true).size(), 1);

    // A health *change* is reported once, not every round.
    for (int i = 0; i < 3; ++i)
        QVERIFY(f.round());

    // Output the parser does not understand fails the node too; the next good reading recovers.
    f.writeReading("sensors: No sensors found!\n");
    QVERIFY(f.roundsUntil([&] { return f.pollEvents(QStringLiteral("pve1"), false).size() == 1; }));
    QVERIFY(f.pollEvents(QStringLiteral("pve1"), false)
                .first()
                .value(QStringLiteral("error"))
                .toString()
                .contains(QLatin1String("not understood")));
    // What those rounds sent came before this, on the same socket: pve2 was reported once.
    QCOMPARE(f.pollEvents(QStringLiteral("pve2"), false).size(), 1);
    QVERIFY(
        f.roundsUntil([&] { return (f.latestZones(QStringLiteral("pve1"), &present), !present); }));
    f.writeReading(sensorsJson(45.0, 37.0));
    QVERIFY(f.roundsUntil([&] { return f.pollEvents(QStringLiteral("pve1"), true).size() == 2; }));
    QVERIFY(
        f.roundsUntil([&] { return (f.latestZones(QStringLiteral("pve1"), &present), present); }));

    // A failing command (exit status) also counts as a failure.
    QFile::remove(f.readingFile());
    QVERIFY(f.roundsUntil([&] { return f.pollEvents(QStringLiteral("pve1"), false).size() == 2; }));
    QVERIFY(f.pollEvents(QStringLiteral("pve1"), false)
                .last()
                .value(QStringLiteral("error"))
                .toString()
                .contains(QLatin1String("exited with 1")));
}

void TestTemperaturePoller::highTemperatureAlert()
{
    Fixture f;
    QVERIFY2(f.started, qPrintable(f.startError));
    f.connect(QStringLiteral("/events"));
    f.connect(QStringLiteral("/cluster"));
    bool present = false;
    QVERIFY(
        f.roundsUntil([&] { return (f.latestZones(QStringLiteral("pve1"), &present), present); }));
    QCOMPARE(f.alerts(false).size(), 0);

    f.writeReading(sensorsJson(91.5, 40.0));
    QVERIFY(f.roundsUntil([&] { return f.alerts(false).size() == 2; })); // pve1 and pve3
    QStringList nodes;
    for (const QJsonObject &alert : f.alerts(false)) {
        nodes.append(alert.value(QStringLiteral("node")).toString());
        const QJsonObject data = alert.value(QStringLiteral("data")).toObject();
        QCOMPARE(data.value(QStringLiteral("sensor")).toString(),
            QStringLiteral("coretemp-isa-0000/Package id 0"));
        QCOMPARE(data.value(QStringLiteral("celsius")).toDouble(), 91.5);
        QCOMPARE(data.value(QStringLiteral("threshold")).toDouble(), 85.0);
    }
    nodes.sort();
    QCOMPARE(nodes, (QStringList {QStringLiteral("pve1"), QStringLiteral("pve3")}));

    // Still hot, then between the limits: raised once, not resolved.
    f.writeReading(sensorsJson(82.0, 40.0));
    for (int i = 0; i < 3; ++i)
        QVERIFY(f.round());
    QCOMPARE(f.alerts(false).size(), 2);
    QCOMPARE(f.alerts(true).size(), 0);

    f.writeReading(sensorsJson(60.0, 40.0));
    QVERIFY(f.roundsUntil([&] { return f.alerts(true).size() == 2; }));
    QCOMPARE(f.alerts(false).size(), 2); // raised once per node, through all those rounds
}

void TestTemperaturePoller::idleWithoutClients()
{
    Fixture f;
    QVERIFY2(f.started, qPrintable(f.startError));
    // Three intervals with nobody on /cluster: the ticks start no round (checked as they
    // happen, before anything else could run) and nothing logs in.
    for (int i = 0; i < 3; ++i) {
        f.clock.advance(Fixture::PollerMs);
        QVERIFY(!f.poller()->isRoundRunning());
    }
    QCOMPARE(f.poller()->roundCount(), 0);
    QCOMPARE(f.sshd.acceptedLogins(), 0);
    // The first round follows the client's arrival at once: the clock does not move again.
    f.connect(QStringLiteral("/cluster"));
    QTRY_VERIFY_WITH_TIMEOUT(f.poller()->roundCount() == 1, 20000);
    QCOMPARE(f.sshd.acceptedLogins(), 2);
}

void TestTemperaturePoller::offWithoutSsh()
{
    jarvis::ssh::Pool pool({}, {{QStringLiteral("pve1"), QStringLiteral("127.0.0.1"), 22}});
    TemperaturePoller poller(&pool, nullptr, nullptr, {});
    QVERIFY(!poller.isEnabled());
    QCOMPARE(poller.command(), jarvis::ssh::defaultTemperatureCommand());
    poller.pollNow(); // nothing to do, nothing to crash
    QCOMPARE(poller.roundCount(), 0);
}

QTEST_GUILESS_MAIN(TestTemperaturePoller)
#include "tst_temperaturepoller.moc"
