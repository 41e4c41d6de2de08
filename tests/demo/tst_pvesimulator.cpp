// The PVE simulator, talked to over real HTTP(S) on 127.0.0.1:0 with QNetworkAccessManager.

#include "demo/pvesimulator.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QSslKey>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace jarvis::demo;

namespace {

constexpr qint64 Epoch = 1750000000; // simulated start time of manual-clock clusters

struct Reply
{
    int status = 0; // 0: no HTTP answer (network error or timeout)
    QByteArray reason;
    QByteArray body;
    QByteArray connection;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    qint64 elapsedMs = 0;

    QJsonValue data() const
    {
        return QJsonDocument::fromJson(body).object().value(QStringLiteral("data"));
    }
    QJsonObject object() const { return QJsonDocument::fromJson(body).object(); }
    bool isJson() const
    {
        QJsonParseError e;
        QJsonDocument::fromJson(body, &e);
        return e.error == QJsonParseError::NoError;
    }
};

QSet<QString> keysOf(const QJsonObject &o)
{
    const QStringList keys = o.keys();
    return QSet<QString>(keys.begin(), keys.end());
}

QJsonDocument fixture(const QString &name)
{
    QFile file(QStringLiteral(JARVIS_FIXTURES_DIR "/") + name);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll());
}

QList<QJsonObject> entriesOfType(const QJsonArray &list, const QString &type)
{
    QList<QJsonObject> out;
    for (const QJsonValue &v : list) {
        if (type.isEmpty() || v.toObject().value(QStringLiteral("type")).toString() == type)
            out.append(v.toObject());
    }
    return out;
}

QString missingKeys(const QSet<QString> &wanted, const QJsonObject &served)
{
    QStringList missing;
    for (const QString &k : wanted) {
        if (!served.contains(k))
            missing.append(k);
    }
    missing.sort();
    return missing.join(QLatin1Char(','));
}

PveSimulator::Options manualClock()
{
    PveSimulator::Options o;
    o.cluster.realTimeClock = false;
    o.cluster.startEpoch = Epoch;
    o.cluster.taskDurationMs = 1000;
    return o;
}

} // namespace

class TestPveSimulator : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<PveSimulator> m_sim;
    std::unique_ptr<QNetworkAccessManager> m_nam;

    bool start(const PveSimulator::Options &options = manualClock(),
        const std::optional<QSslConfiguration> &ssl = std::nullopt)
    {
        m_sim = std::make_unique<PveSimulator>(options);
        return m_sim->listen(QHostAddress::LocalHost, 0, ssl) != 0;
    }

    QNetworkRequest request(const QString &path, const std::optional<QByteArray> &auth) const
    {
        QUrl url = m_sim->baseUrl();
        url.setPath(QStringLiteral("/api2/json") + path.section(QLatin1Char('?'), 0, 0),
            QUrl::TolerantMode);
        if (path.contains(QLatin1Char('?')))
            url.setQuery(path.section(QLatin1Char('?'), 1));
        QNetworkRequest r(url);
        const QByteArray header = auth.value_or(m_sim->authorizationHeader().toUtf8());
        if (!header.isEmpty())
            r.setRawHeader("Authorization", header);
        r.setTransferTimeout(0);
        return r;
    }

    Reply finish(QNetworkReply *reply, int timeoutMs = 10000)
    {
        QElapsedTimer timer;
        timer.start();
        if (!reply->isFinished()) {
            QSignalSpy spy(reply, &QNetworkReply::finished);
            spy.wait(timeoutMs);
        }
        Reply r;
        r.elapsedMs = timer.elapsed();
        if (reply->isFinished()) {
            r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            r.reason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toByteArray();
            r.connection = reply->rawHeader("Connection");
            r.body = reply->readAll();
            r.error = reply->error();
        }
        reply->abort();
        reply->deleteLater();
        return r;
    }

    Reply get(const QString &path, const std::optional<QByteArray> &auth = std::nullopt)
    {
        return finish(m_nam->get(request(path, auth)));
    }

    Reply post(const QString &path, const std::optional<QByteArray> &auth = std::nullopt)
    {
        QNetworkRequest r = request(path, auth);
        r.setHeader(QNetworkRequest::ContentTypeHeader,
            QByteArrayLiteral("application/x-www-form-urlencoded"));
        return finish(m_nam->post(r, QByteArray()));
    }

    QJsonArray resources(const QString &type = {})
    {
        return get(type.isEmpty() ? QStringLiteral("/cluster/resources")
                                  : QStringLiteral("/cluster/resources?type=") + type)
            .data()
            .toArray();
    }

    QJsonObject guestEntry(int vmid)
    {
        for (const QJsonValue &v : resources(QStringLiteral("vm"))) {
            if (v.toObject().value(QStringLiteral("vmid")).toInt() == vmid)
                return v.toObject();
        }
        return {};
    }

    QJsonObject taskStatus(const QString &node, const QString &upid)
    {
        return get(QStringLiteral("/nodes/%1/tasks/%2/status")
                       .arg(node, QString::fromLatin1(QUrl::toPercentEncoding(upid))))
            .data()
            .toObject();
    }

    QString taskState(const QString &node, const QString &upid)
    {
        return taskStatus(node, upid).value(QStringLiteral("status")).toString();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QLoggingCategory::setFilterRules(QStringLiteral("jarvis.demo.debug=false"));
    }

    void init()
    {
        m_nam = std::make_unique<QNetworkAccessManager>();
        m_nam->setAutoDeleteReplies(false);
    }

    void cleanup()
    {
        m_nam.reset();
        m_sim.reset();
    }

    void fixturesArePresent()
    {
        QVERIFY2(
            !fixture(QStringLiteral("cluster_resources_vm.json")).isNull(), JARVIS_FIXTURES_DIR);
    }

    // --- shapes ---------------------------------------------------------------------------

    void endpointShapes_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("fixtureFile");
        QTest::addColumn<QString>(
            "entryType"); // entries of the list with this "type"; "" = the object itself
        QTest::addRow("cluster/resources node") << "/cluster/resources"
                                                << "cluster_resources_node.json"
                                                << "node";
        QTest::addRow("cluster/resources qemu") << "/cluster/resources"
                                                << "cluster_resources_vm.json"
                                                << "qemu";
        QTest::addRow("cluster/resources lxc") << "/cluster/resources"
                                               << "cluster_resources_vm.json"
                                               << "lxc";
        QTest::addRow("cluster/resources storage") << "/cluster/resources"
                                                   << "cluster_resources_storage.json"
                                                   << "storage";
        QTest::addRow("cluster/status cluster row") << "/cluster/status"
                                                    << "cluster_status.json"
                                                    << "cluster";
        QTest::addRow("cluster/status node rows") << "/cluster/status"
                                                  << "cluster_status.json"
                                                  << "node";
        QTest::addRow("nodes") << "/nodes"
                               << "nodes.json"
                               << "node";
        QTest::addRow("nodes/{node}/status") << "/nodes/pve1/status"
                                             << "nodes_node_status.json"
                                             << "";
    }

    void endpointShapes()
    {
        QFETCH(QString, path);
        QFETCH(QString, fixtureFile);
        QFETCH(QString, entryType);
        QVERIFY(start());
        const QJsonValue recorded = fixture(fixtureFile).object().value(QStringLiteral("data"));
        const Reply reply = get(path);
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.reason, QByteArray("OK"));

        if (entryType.isEmpty()) {
            const QJsonObject want = recorded.toObject();
            const QJsonObject served = reply.data().toObject();
            QVERIFY2(missingKeys(keysOf(want), served).isEmpty(),
                qPrintable(missingKeys(keysOf(want), served)));
            for (const QString &nested : {QStringLiteral("memory"), QStringLiteral("rootfs"),
                     QStringLiteral("cpuinfo"), QStringLiteral("swap"), QStringLiteral("ksm")}) {
                const QSet<QString> wantNested = keysOf(want.value(nested).toObject());
                const QJsonObject servedNested = served.value(nested).toObject();
                QVERIFY2(missingKeys(wantNested, servedNested).isEmpty(),
                    qPrintable(
                        nested + QLatin1String(": ") + missingKeys(wantNested, servedNested)));
            }
            return;
        }

        QSet<QString> wanted;
        for (const QJsonObject &o : entriesOfType(recorded.toArray(),
                 entryType == QLatin1String("lxc") ? QStringLiteral("qemu") : entryType))
            wanted.unite(keysOf(o));
        wanted.remove(QStringLiteral("tags")); // only on tagged guests
        QVERIFY(!wanted.isEmpty());
        const QList<QJsonObject> served = entriesOfType(reply.data().toArray(), entryType);
        QVERIFY(!served.isEmpty());
        for (const QJsonObject &o : served)
            QVERIFY2(missingKeys(wanted, o).isEmpty(),
                qPrintable(o.value(QStringLiteral("id")).toString() + QLatin1String(" lacks ")
                    + missingKeys(wanted, o)));
    }

    void valueTypes()
    {
        QVERIFY(start());
        const QJsonArray all = resources();
        bool sawTags = false, sawLock = false, sawTemplate = false, sawSdn = false;
        for (const QJsonValue &v : all) {
            const QJsonObject o = v.toObject();
            const QString type = o.value(QStringLiteral("type")).toString();
            if (type == QLatin1String("qemu") || type == QLatin1String("lxc")) {
                const int vmid = o.value(QStringLiteral("vmid")).toInt();
                QCOMPARE(o.value(QStringLiteral("id")).toString(),
                    type + QLatin1Char('/') + QString::number(vmid));
                QVERIFY(o.value(QStringLiteral("template")).isDouble());
                const int templ = o.value(QStringLiteral("template")).toInt();
                QVERIFY(templ == 0 || templ == 1);
                sawTemplate |= templ == 1;
                for (const char *number : {"cpu", "maxcpu", "mem", "maxmem", "disk", "maxdisk",
                         "uptime", "netin", "netout", "diskread", "diskwrite"})
                    QVERIFY2(o.value(QLatin1String(number)).isDouble(), number);
                if (o.contains(QStringLiteral("tags"))) {
                    QVERIFY(o.value(QStringLiteral("tags")).isString());
                    sawTags |=
                        o.value(QStringLiteral("tags")).toString().contains(QLatin1Char(';'));
                }
                sawLock |= o.value(QStringLiteral("lock")).toString() == QLatin1String("backup");
            } else if (type == QLatin1String("node")) {
                QCOMPARE(o.value(QStringLiteral("level")).toString(), QString());
                QVERIFY(o.value(QStringLiteral("cgroup-mode")).isDouble());
                QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("online"));
            } else if (type == QLatin1String("storage")) {
                QVERIFY(o.value(QStringLiteral("shared")).isDouble());
                QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("available"));
                QCOMPARE(o.value(QStringLiteral("id")).toString(),
                    QStringLiteral("storage/%1/%2")
                        .arg(o.value(QStringLiteral("node")).toString(),
                            o.value(QStringLiteral("storage")).toString()));
            } else if (type == QLatin1String("sdn")) {
                sawSdn = true;
            } else {
                QFAIL(qPrintable(QStringLiteral("unexpected type ") + type));
            }
        }
        QVERIFY(sawTags);
        QVERIFY(sawLock);
        QVERIFY(sawTemplate);
        QVERIFY(sawSdn);
        QVERIFY(all.size() >= 12 + 3 + 6 + 3);

        const QJsonObject status = get(QStringLiteral("/nodes/pve2/status")).data().toObject();
        const QJsonArray load = status.value(QStringLiteral("loadavg")).toArray();
        QCOMPARE(load.size(), 3);
        for (const QJsonValue &v : load)
            QVERIFY(v.isString());
        QVERIFY(status.value(QStringLiteral("cpuinfo"))
                    .toObject()
                    .value(QStringLiteral("mhz"))
                    .isString());
        QVERIFY(status.value(QStringLiteral("uptime")).toDouble() > 0);

        const QJsonArray cluster = get(QStringLiteral("/cluster/status")).data().toArray();
        QCOMPARE(cluster.size(), 4);
        QCOMPARE(
            cluster.at(0).toObject().value(QStringLiteral("quorate")).toVariant(), QVariant(1));
        QCOMPARE(cluster.at(0).toObject().value(QStringLiteral("nodes")).toInt(), 3);
        int local = 0;
        for (const QJsonValue &v : cluster) {
            if (v.toObject().value(QStringLiteral("type")).toString() == QLatin1String("node"))
                local += v.toObject().value(QStringLiteral("local")).toInt();
        }
        QCOMPARE(local, 1);

        static const QRegularExpression fingerprint(
            QStringLiteral("^([0-9A-F]{2}:){31}[0-9A-F]{2}$"));
        for (const QJsonValue &v : get(QStringLiteral("/nodes")).data().toArray())
            QVERIFY(
                fingerprint.match(v.toObject().value(QStringLiteral("ssl_fingerprint")).toString())
                    .hasMatch());

        const QJsonObject version = get(QStringLiteral("/version")).data().toObject();
        QCOMPARE(version.value(QStringLiteral("release")).toString(), QStringLiteral("8.2"));
    }

    void resourcesTypeFilter_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QStringList>("types");
        QTest::addRow("none") << "" << QStringList {"lxc", "node", "qemu", "sdn", "storage"};
        QTest::addRow("vm") << "vm" << QStringList {"lxc", "qemu"};
        QTest::addRow("node") << "node" << QStringList {"node"};
        QTest::addRow("storage") << "storage" << QStringList {"storage"};
        QTest::addRow("sdn") << "sdn" << QStringList {"sdn"};
    }

    void resourcesTypeFilter()
    {
        QFETCH(QString, type);
        QFETCH(QStringList, types);
        QVERIFY(start());
        QSet<QString> seen;
        for (const QJsonValue &v : resources(type))
            seen.insert(v.toObject().value(QStringLiteral("type")).toString());
        QStringList sorted(seen.begin(), seen.end());
        sorted.sort();
        QCOMPARE(sorted, types);
    }

    void resourcesBadType()
    {
        QVERIFY(start());
        const Reply r = get(QStringLiteral("/cluster/resources?type=vms"));
        QCOMPARE(r.status, 400);
        QCOMPARE(r.reason, QByteArray("Parameter verification failed."));
        const QJsonObject body = r.object();
        QVERIFY(body.value(QStringLiteral("data")).isNull());
        QCOMPARE(body.value(QStringLiteral("message")).toString(),
            QStringLiteral("Parameter verification failed.\n"));
        QCOMPARE(body.value(QStringLiteral("errors"))
                     .toObject()
                     .value(QStringLiteral("type"))
                     .toString(),
            QStringLiteral(
                "value 'vms' does not have a value in the enumeration 'vm, storage, node, sdn'"));
        QCOMPARE(keysOf(body),
            keysOf(fixture(QStringLiteral("error_400_param_verification_pve9.json"))
                       .object()
                       .value(QStringLiteral("body"))
                       .toObject()));
    }

    // --- auth -----------------------------------------------------------------------------

    void tokenAuth_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("reason");
        const QByteArray secret = PveSimulator::Options().tokenSecret.toUtf8();
        QTest::addRow("ok") << "PVEAPIToken=root@pam!jarvis=" + secret << 200 << QByteArray("OK");
        QTest::addRow("ok, space form")
            << "PVEAPIToken root@pam!jarvis=" + secret << 200 << QByteArray("OK");
        QTest::addRow("missing") << QByteArray() << 401 << QByteArray("No ticket");
        QTest::addRow("bearer instead")
            << QByteArray("Bearer abc") << 401 << QByteArray("No ticket");
        QTest::addRow("wrong secret")
            << QByteArray("PVEAPIToken=root@pam!jarvis=00000000-0000-0000-0000-000000000000") << 401
            << QByteArray("invalid token value!");
        QTest::addRow("secret prefix") << "PVEAPIToken=root@pam!jarvis=" + secret.left(10) << 401
                                       << QByteArray("invalid token value!");
        QTest::addRow("wrong token id") << "PVEAPIToken=root@pam!other=" + secret << 401
                                        << QByteArray("no such token 'other' for user 'root@pam'");
        QTest::addRow("wrong user") << "PVEAPIToken=bob@pve!jarvis=" + secret << 401
                                    << QByteArray("no such user ('bob@pve')");
        QTest::addRow("no secret") << QByteArray("PVEAPIToken=root@pam!jarvis") << 401
                                   << QByteArray("no tokenid specified");
        QTest::addRow("not a token id")
            << "PVEAPIToken=root=" + secret << 401
            << QByteArray(
                   "'root' is not a valid token ID - not able to split into user and token parts");
    }

    void tokenAuth()
    {
        QFETCH(QByteArray, header);
        QFETCH(int, status);
        QFETCH(QByteArray, reason);
        QVERIFY(start());
        const Reply r = get(QStringLiteral("/cluster/resources"), header);
        QCOMPARE(r.status, status);
        QCOMPARE(r.reason, reason);
        if (status == 401) {
            QVERIFY(r.body.isEmpty()); // pveproxy sends no body with a 401
            QCOMPARE(r.connection, QByteArray("close"));
            QCOMPARE(m_sim->requestCount(QString::fromLatin1(endpoint::ClusterResources)), 1);
        } else {
            QCOMPARE(r.data().toArray().size(), 12 + 3 + 6 + 3);
        }
    }

    void unauthorizedIsDelayed()
    {
        PveSimulator::Options options = manualClock();
        options.unauthorizedDelayMs = 300;
        QVERIFY(start(options));
        // The 401 goes out through the delay (counted by the simulator, whatever the machine's
        // speed); a right token is answered at once, also while a 401 is held back.
        QNetworkReply *pending = m_nam->get(
            request(QStringLiteral("/version"), QByteArray("PVEAPIToken=root@pam!jarvis=nope")));
        QTRY_COMPARE(m_sim->delayedAnswers(), 1);
        QCOMPARE(get(QStringLiteral("/version")).status, 200);
        const Reply denied = finish(pending);
        QCOMPARE(denied.status, 401);
        QCOMPARE(m_sim->delayedAnswers(), 1);
        QCOMPARE(m_sim->heldAnswers(), 0);
        qInfo("401 after %lld ms (delay 300 ms)", denied.elapsedMs); // a figure, not a check
        QCOMPARE(get(QStringLiteral("/version")).status, 200);
        QCOMPARE(m_sim->delayedAnswers(), 1);
    }

    // --- power actions and tasks ----------------------------------------------------------

    void powerCycle_data()
    {
        QTest::addColumn<QString>("node");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<int>("vmid");
        QTest::addColumn<QString>("prepare"); // an action run (and finished) first
        QTest::addColumn<QString>("action");
        QTest::addColumn<QString>("taskType");
        QTest::addColumn<QString>("before");
        QTest::addColumn<QString>("after");
        QTest::addRow("qemu start") << "pve2"
                                    << "qemu" << 103 << ""
                                    << "start"
                                    << "qmstart"
                                    << "stopped"
                                    << "running";
        QTest::addRow("qemu stop") << "pve1"
                                   << "qemu" << 100 << ""
                                   << "stop"
                                   << "qmstop"
                                   << "running"
                                   << "stopped";
        QTest::addRow("qemu shutdown") << "pve1"
                                       << "qemu" << 101 << ""
                                       << "shutdown"
                                       << "qmshutdown"
                                       << "running"
                                       << "stopped";
        QTest::addRow("qemu reboot") << "pve3"
                                     << "qemu" << 104 << ""
                                     << "reboot"
                                     << "qmreboot"
                                     << "running"
                                     << "running";
        QTest::addRow("qemu suspend") << "pve3"
                                      << "qemu" << 105 << ""
                                      << "suspend"
                                      << "qmpause"
                                      << "running"
                                      << "paused";
        QTest::addRow("qemu resume") << "pve3"
                                     << "qemu" << 105 << "suspend"
                                     << "resume"
                                     << "qmresume"
                                     << "paused"
                                     << "running";
        QTest::addRow("qemu stop stopped") << "pve2"
                                           << "qemu" << 103 << ""
                                           << "stop"
                                           << "qmstop"
                                           << "stopped"
                                           << "stopped";
        QTest::addRow("lxc start") << "pve3"
                                   << "lxc" << 203 << ""
                                   << "start"
                                   << "vzstart"
                                   << "stopped"
                                   << "running";
        QTest::addRow("lxc stop") << "pve1"
                                  << "lxc" << 200 << ""
                                  << "stop"
                                  << "vzstop"
                                  << "running"
                                  << "stopped";
        QTest::addRow("lxc shutdown") << "pve2"
                                      << "lxc" << 201 << ""
                                      << "shutdown"
                                      << "vzshutdown"
                                      << "running"
                                      << "stopped";
        QTest::addRow("lxc reboot") << "pve3"
                                    << "lxc" << 202 << ""
                                    << "reboot"
                                    << "vzreboot"
                                    << "running"
                                    << "running";
        QTest::addRow("lxc suspend") << "pve1"
                                     << "lxc" << 200 << ""
                                     << "suspend"
                                     << "vzsuspend"
                                     << "running"
                                     << "paused";
        QTest::addRow("lxc resume") << "pve1"
                                    << "lxc" << 200 << "suspend"
                                    << "resume"
                                    << "vzresume"
                                    << "paused"
                                    << "running";
    }

    // Manual clock: the task stays running until the test moves time past its end.
    void powerCycle()
    {
        QFETCH(QString, node);
        QFETCH(QString, kind);
        QFETCH(int, vmid);
        QFETCH(QString, prepare);
        QFETCH(QString, action);
        QFETCH(QString, taskType);
        QFETCH(QString, before);
        QFETCH(QString, after);
        QVERIFY(start());
        const QString base = QStringLiteral("/nodes/%1/%2/%3/status/").arg(node, kind).arg(vmid);
        if (!prepare.isEmpty()) {
            QCOMPARE(post(base + prepare).status, 200);
            m_sim->cluster().advance(2);
        }
        m_sim->cluster().advance(100);
        const qint64 uptimeBefore =
            qint64(guestEntry(vmid).value(QStringLiteral("uptime")).toDouble());
        QCOMPARE(guestEntry(vmid).value(QStringLiteral("status")).toString(), before);

        const Reply r = post(base + action);
        QCOMPARE(r.status, 200);
        const QString upid = r.data().toString();
        const QRegularExpression format(QStringLiteral(
            "^UPID:%1:([0-9A-F]{8}):([0-9A-F]{8}):([0-9A-F]{8}):%2:%3:root@pam!jarvis:$")
                                            .arg(node, taskType)
                                            .arg(vmid));
        const QRegularExpressionMatch m = format.match(upid);
        QVERIFY2(m.hasMatch(), qPrintable(upid));
        QCOMPARE(m.captured(3).toLongLong(nullptr, 16), Epoch + 100 + (prepare.isEmpty() ? 0 : 2));

        const QJsonArray polls = fixture(QStringLiteral("nodes_node_tasks_upid_status_pve9.json"))
                                     .object()
                                     .value(QStringLiteral("polls_in_order"))
                                     .toArray();
        const QJsonObject running = taskStatus(node, upid);
        QCOMPARE(keysOf(running),
            keysOf(polls.first().toObject().value(QStringLiteral("data")).toObject()));
        QCOMPARE(running.value(QStringLiteral("status")).toString(), QStringLiteral("running"));
        QCOMPARE(running.value(QStringLiteral("upid")).toString(), upid);
        QCOMPARE(running.value(QStringLiteral("user")).toString(), QStringLiteral("root@pam"));
        QCOMPARE(running.value(QStringLiteral("tokenid")).toString(), QStringLiteral("jarvis"));
        QCOMPARE(running.value(QStringLiteral("id")).toString(), QString::number(vmid));
        QCOMPARE(running.value(QStringLiteral("type")).toString(), taskType);
        QCOMPARE(running.value(QStringLiteral("node")).toString(), node);
        QCOMPARE(qint64(running.value(QStringLiteral("pid")).toDouble()),
            m.captured(1).toLongLong(nullptr, 16));
        QCOMPARE(qint64(running.value(QStringLiteral("pstart")).toDouble()),
            m.captured(2).toLongLong(nullptr, 16));
        QCOMPARE(guestEntry(vmid).value(QStringLiteral("status")).toString(),
            before); // not before the task ends

        m_sim->cluster().advance(1.5);
        const QJsonObject stopped = taskStatus(node, upid);
        QCOMPARE(keysOf(stopped),
            keysOf(polls.last().toObject().value(QStringLiteral("data")).toObject()));
        QCOMPARE(stopped.value(QStringLiteral("status")).toString(), QStringLiteral("stopped"));
        QCOMPARE(stopped.value(QStringLiteral("exitstatus")).toString(), QStringLiteral("OK"));
        const QJsonObject guest = guestEntry(vmid);
        QCOMPARE(guest.value(QStringLiteral("status")).toString(), after);
        if (action == QLatin1String("reboot"))
            QVERIFY(qint64(guest.value(QStringLiteral("uptime")).toDouble()) < uptimeBefore);
        if (after == QLatin1String("stopped")) {
            QCOMPARE(guest.value(QStringLiteral("cpu")).toDouble(), 0.0);
            QCOMPARE(guest.value(QStringLiteral("uptime")).toDouble(), 0.0);
        }
    }

    // Real clock, short tasks: the state changes on its own.
    void taskFinishesInRealTime()
    {
        PveSimulator::Options options;
        options.cluster.taskDurationMs = 100;
        QVERIFY(start(options));
        const Reply r = post(QStringLiteral("/nodes/pve2/qemu/103/status/start"));
        QCOMPARE(r.status, 200);
        const QString upid = r.data().toString();
        QTRY_COMPARE_WITH_TIMEOUT(
            taskState(QStringLiteral("pve2"), upid), QStringLiteral("stopped"), 5000);
        QCOMPARE(
            taskStatus(QStringLiteral("pve2"), upid).value(QStringLiteral("exitstatus")).toString(),
            QStringLiteral("OK"));
        QCOMPARE(
            guestEntry(103).value(QStringLiteral("status")).toString(), QStringLiteral("running"));
        QCOMPARE(m_sim->cluster().guest(103)->status, QStringLiteral("running"));
    }

    void powerErrors_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("message"); // the error (status != 200) or the task's exitstatus
        QTest::addColumn<QString>("parameter"); // for 400: the parameter named in `errors`
        QTest::addRow("qemu start on the wrong node")
            << "POST"
            << "/nodes/pve2/qemu/100/status/start" << 200
            << "Configuration file 'nodes/pve2/qemu-server/100.conf' does not exist"
            << "";
        QTest::addRow("qemu stop on the wrong node")
            << "POST"
            << "/nodes/pve2/qemu/100/status/stop" << 200
            << "unable to find configuration file for VM 100 on node 'pve2'"
            << "";
        QTest::addRow("qemu reboot on the wrong node")
            << "POST"
            << "/nodes/pve2/qemu/100/status/reboot" << 500
            << "unable to find configuration file for VM 100 on node 'pve2'"
            << "";
        QTest::addRow("qemu path for a container")
            << "POST"
            << "/nodes/pve1/qemu/200/status/start" << 200
            << "Configuration file 'nodes/pve1/qemu-server/200.conf' does not exist"
            << "";
        QTest::addRow("lxc start on the wrong node")
            << "POST"
            << "/nodes/pve1/lxc/202/status/start" << 200
            << "Configuration file 'nodes/pve1/lxc/202.conf' does not exist"
            << "";
        QTest::addRow("lxc stop on the wrong node")
            << "POST"
            << "/nodes/pve1/lxc/202/status/stop" << 500 << "CT 202 not running"
            << "";
        QTest::addRow("unknown vmid")
            << "POST"
            << "/nodes/pve1/qemu/999/status/start" << 200
            << "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist"
            << "";
        QTest::addRow("qemu start running")
            << "POST"
            << "/nodes/pve1/qemu/100/status/start" << 200 << "VM 100 already running"
            << "";
        QTest::addRow("lxc start running")
            << "POST"
            << "/nodes/pve1/lxc/200/status/start" << 500 << "CT 200 already running"
            << "";
        QTest::addRow("qemu reboot stopped")
            << "POST"
            << "/nodes/pve2/qemu/103/status/reboot" << 500 << "VM 103 not running"
            << "";
        QTest::addRow("qemu suspend stopped")
            << "POST"
            << "/nodes/pve2/qemu/103/status/suspend" << 500 << "VM 103 not running"
            << "";
        QTest::addRow("lxc stop stopped")
            << "POST"
            << "/nodes/pve3/lxc/203/status/stop" << 500 << "CT 203 not running"
            << "";
        QTest::addRow("start a template") << "POST"
                                          << "/nodes/pve2/qemu/107/status/start" << 200
                                          << "you can't start a vm if it's a template"
                                          << "";
        QTest::addRow("stop a locked guest")
            << "POST"
            << "/nodes/pve2/qemu/102/status/stop" << 200 << "VM is locked (backup)"
            << "";
        QTest::addRow("vmid not a number") << "POST"
                                           << "/nodes/pve1/qemu/abc/status/start" << 400
                                           << "type check ('integer') failed - got 'abc'"
                                           << "vmid";
        QTest::addRow("vmid too small")
            << "POST"
            << "/nodes/pve1/qemu/42/status/start" << 400 << "value must have a minimum value of 100"
            << "vmid";
        QTest::addRow("unknown node") << "POST"
                                      << "/nodes/pve9/qemu/100/status/start" << 500
                                      << "hostname lookup 'pve9' failed - failed to get address "
                                         "info for: pve9: Name or service not known"
                                      << "";
        QTest::addRow("unknown action")
            << "POST"
            << "/nodes/pve1/qemu/100/status/explode" << 501
            << "Method 'POST /nodes/pve1/qemu/100/status/explode' not implemented"
            << "";
        QTest::addRow("GET on a power path")
            << "GET"
            << "/nodes/pve1/qemu/100/status/start" << 501
            << "Method 'GET /nodes/pve1/qemu/100/status/start' not implemented"
            << "";
        QTest::addRow("unknown path")
            << "GET"
            << "/cluster/nothing" << 501 << "Method 'GET /cluster/nothing' not implemented"
            << "";
    }

    void powerErrors()
    {
        QFETCH(QString, method);
        QFETCH(QString, path);
        QFETCH(int, status);
        QFETCH(QString, message);
        QFETCH(QString, parameter);
        QVERIFY(start());
        const Reply r = method == QLatin1String("POST") ? post(path) : get(path);
        QCOMPARE(r.status, status);
        if (status == 200) { // the worker fails
            const QString upid = r.data().toString();
            const QString node = upid.section(QLatin1Char(':'), 1, 1);
            QCOMPARE(taskState(node, upid), QStringLiteral("running"));
            m_sim->cluster().advance(2);
            const QJsonObject task = taskStatus(node, upid);
            QCOMPARE(task.value(QStringLiteral("status")).toString(), QStringLiteral("stopped"));
            QCOMPARE(task.value(QStringLiteral("exitstatus")).toString(), message);
            return;
        }
        QCOMPARE(r.connection, QByteArray("close"));
        const QJsonObject body = r.object();
        QVERIFY(body.contains(QStringLiteral("data")));
        QVERIFY(body.value(QStringLiteral("data")).isNull());
        if (status == 400) {
            QCOMPARE(r.reason, QByteArray("Parameter verification failed."));
            QCOMPARE(body.value(QStringLiteral("errors")).toObject().value(parameter).toString(),
                message);
        } else {
            QCOMPARE(r.reason, message.toUtf8());
            QCOMPARE(body.value(QStringLiteral("message")).toString(), message + QLatin1Char('\n'));
            QCOMPARE(keysOf(body),
                keysOf(fixture(QStringLiteral("error_500_pve9.json"))
                           .object()
                           .value(QStringLiteral("body"))
                           .toObject()));
        }
    }

    void taskStatusErrors_data()
    {
        QTest::addColumn<QString>("node");
        QTest::addColumn<QString>("upid");
        QTest::addColumn<QString>("problem");
        QTest::addRow("unknown task")
            << "pve1"
            << "UPID:pve1:00001234:00ABCDEF:6853B1A0:qmstart:100:root@pam!jarvis:"
            << "no such task";
        QTest::addRow("another node's task") << "pve2"
                                             << "{upid}"
                                             << "no such task";
        QTest::addRow("not a UPID") << "pve1"
                                    << "hello"
                                    << "unable to parse worker upid";
    }

    void taskStatusErrors()
    {
        QFETCH(QString, node);
        QFETCH(QString, upid);
        QFETCH(QString, problem);
        QVERIFY(start());
        if (upid == QLatin1String("{upid}"))
            upid = post(QStringLiteral("/nodes/pve1/qemu/100/status/stop")).data().toString();
        const Reply r = get(QStringLiteral("/nodes/%1/tasks/%2/status")
                                .arg(node, QString::fromLatin1(QUrl::toPercentEncoding(upid))));
        QCOMPARE(r.status, 400);
        QCOMPARE(r.reason, QByteArray("Parameter verification failed."));
        QCOMPARE(r.object()
                     .value(QStringLiteral("errors"))
                     .toObject()
                     .value(QStringLiteral("upid"))
                     .toString(),
            problem);
    }

    void taskList()
    {
        QVERIFY(start());
        const QString a =
            post(QStringLiteral("/nodes/pve1/qemu/100/status/stop")).data().toString();
        m_sim->cluster().advance(2);
        const QString b = post(QStringLiteral("/nodes/pve1/qemu/101/status/start"))
                              .data()
                              .toString(); // fails: running
        m_sim->cluster().advance(2);
        const QString c = post(QStringLiteral("/nodes/pve1/lxc/200/status/reboot"))
                              .data()
                              .toString(); // still running
        post(QStringLiteral("/nodes/pve2/qemu/103/status/start"));

        const Reply archive = get(QStringLiteral("/nodes/pve1/tasks"));
        QCOMPARE(archive.status, 200);
        QCOMPARE(archive.object().value(QStringLiteral("total")).toInt(), 2);
        const QJsonArray finished = archive.data().toArray();
        QCOMPARE(finished.size(), 2);
        QCOMPARE(
            finished.at(0).toObject().value(QStringLiteral("upid")).toString(), b); // newest first
        QCOMPARE(finished.at(0).toObject().value(QStringLiteral("status")).toString(),
            QStringLiteral("VM 101 already running"));
        QCOMPARE(finished.at(1).toObject().value(QStringLiteral("upid")).toString(), a);
        QCOMPARE(finished.at(1).toObject().value(QStringLiteral("status")).toString(),
            QStringLiteral("OK"));
        QCOMPARE(keysOf(finished.at(1).toObject()),
            (QSet<QString> {"upid", "node", "pid", "pstart", "starttime", "type", "id", "user",
                "tokenid", "endtime", "status"}));
        QCOMPARE(qint64(finished.at(1).toObject().value(QStringLiteral("endtime")).toDouble()),
            Epoch + 1);

        const QJsonArray active =
            get(QStringLiteral("/nodes/pve1/tasks?source=active")).data().toArray();
        QCOMPARE(active.size(), 1);
        QCOMPARE(active.at(0).toObject().value(QStringLiteral("upid")).toString(), c);
        QCOMPARE(active.at(0).toObject().value(QStringLiteral("status")).toString(),
            QStringLiteral("RUNNING"));

        QCOMPARE(get(QStringLiteral("/nodes/pve1/tasks?source=all")).data().toArray().size(), 3);
        const QJsonArray errors =
            get(QStringLiteral("/nodes/pve1/tasks?errors=1")).data().toArray();
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors.at(0).toObject().value(QStringLiteral("upid")).toString(), b);
        const Reply limited = get(QStringLiteral("/nodes/pve1/tasks?limit=1&start=1"));
        QCOMPARE(limited.data().toArray().size(), 1);
        QCOMPARE(
            limited.data().toArray().at(0).toObject().value(QStringLiteral("upid")).toString(), a);
        QCOMPARE(limited.object().value(QStringLiteral("total")).toInt(), 2);
        QCOMPARE(get(QStringLiteral("/nodes/pve1/tasks?vmid=100")).data().toArray().size(), 1);
        QCOMPARE(
            get(QStringLiteral("/nodes/pve1/tasks?typefilter=qmstart")).data().toArray().size(), 1);
        QCOMPARE(get(QStringLiteral("/nodes/pve1/tasks?limit=x")).status, 400);
        QCOMPARE(get(QStringLiteral("/nodes/pve1/tasks?source=old")).status, 400);
    }

    // --- faults ---------------------------------------------------------------------------

    void faults_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<Fault::Kind>("kind");
        QTest::addColumn<int>("delayMs");
        const QList<std::tuple<const char *, const char *, const char *>> endpoints = {
            {endpoint::ClusterResources, "GET", "/cluster/resources"},
            {endpoint::ClusterStatus, "GET", "/cluster/status"},
            {endpoint::Nodes, "GET", "/nodes"},
            {endpoint::NodeStatus, "GET", "/nodes/pve2/status"},
            {endpoint::Power, "POST", "/nodes/pve2/qemu/103/status/start"},
            {endpoint::TaskStatus, "GET", "/nodes/pve1/tasks/{upid}/status"},
            {endpoint::Tasks, "GET", "/nodes/pve1/tasks"},
            {endpoint::Version, "GET", "/version"},
        };
        const QList<std::pair<const char *, Fault::Kind>> kinds = {
            {"500", Fault::Kind::ServerError},
            {"595", Fault::Kind::NodeUnreachable},
            {"596", Fault::Kind::ConnectionTimeout},
            {"garbage", Fault::Kind::Garbage},
            {"wrong shape", Fault::Kind::WrongShape},
            {"truncated", Fault::Kind::Truncated},
            {"401", Fault::Kind::Unauthorized},
            {"slow", Fault::Kind::Slow},
        };
        for (const auto &[key, method, path] : endpoints) {
            for (const auto &[name, kind] : kinds) {
                QTest::addRow("%s %s", key, name)
                    << QString::fromLatin1(key) << QString::fromLatin1(method)
                    << QString::fromLatin1(path) << kind << (kind == Fault::Kind::Slow ? 300 : 0);
            }
            QTest::addRow("%s delayed 500", key)
                << QString::fromLatin1(key) << QString::fromLatin1(method)
                << QString::fromLatin1(path) << Fault::Kind::ServerError << 200;
        }
    }

    void faults()
    {
        QFETCH(QString, key);
        QFETCH(QString, method);
        QFETCH(QString, path);
        QFETCH(Fault::Kind, kind);
        QFETCH(int, delayMs);
        QVERIFY(start());
        if (path.contains(QLatin1String("{upid}"))) {
            const QString upid =
                post(QStringLiteral("/nodes/pve1/qemu/100/status/stop")).data().toString();
            path.replace(
                QLatin1String("{upid}"), QString::fromLatin1(QUrl::toPercentEncoding(upid)));
        }
        const auto call = [&] { return method == QLatin1String("POST") ? post(path) : get(path); };
        const Reply healthy = call();
        QCOMPARE(healthy.status, 200);

        m_sim->injectFault(FaultRule::on(key, kind, delayMs));
        const int delayedBefore = m_sim->delayedAnswers();
        const Reply r = call();
        // Held back by the delay exactly when the rule has one (not a wall-clock figure).
        QCOMPARE(m_sim->delayedAnswers() - delayedBefore, delayMs > 0 ? 1 : 0);
        QCOMPARE(m_sim->heldAnswers(), 0);
        switch (kind) {
        case Fault::Kind::ServerError:
            QCOMPARE(r.status, 500);
            QCOMPARE(r.reason, QByteArray("simulated server error"));
            QCOMPARE(r.object().value(QStringLiteral("message")).toString(),
                QStringLiteral("simulated server error\n"));
            QVERIFY(r.object().value(QStringLiteral("data")).isNull());
            break;
        case Fault::Kind::NodeUnreachable:
            QCOMPARE(r.status, 595);
            QCOMPARE(r.reason, QByteArray("No route to host"));
            QVERIFY(r.body.isEmpty());
            break;
        case Fault::Kind::ConnectionTimeout:
            QCOMPARE(r.status, 596);
            QCOMPARE(r.reason, QByteArray("Connection timed out"));
            QVERIFY(r.body.isEmpty());
            break;
        case Fault::Kind::Unauthorized:
            QCOMPARE(r.status, 401);
            QCOMPARE(r.reason, QByteArray("invalid token value!"));
            break;
        case Fault::Kind::Garbage:
            QCOMPARE(r.status, 200);
            QVERIFY(!r.body.isEmpty());
            QVERIFY(!r.isJson());
            break;
        case Fault::Kind::Truncated:
            QCOMPARE(r.status, 200);
            QVERIFY(!r.isJson());
            QVERIFY(r.body.startsWith("{\"data\"") || QByteArray("{\"data\"").startsWith(r.body));
            break;
        case Fault::Kind::WrongShape: {
            QCOMPARE(r.status, 200);
            QVERIFY(r.isJson());
            QVERIFY(r.data().type() != healthy.data().type());
            break;
        }
        case Fault::Kind::Slow:
            QCOMPARE(r.status, 200);
            QVERIFY(r.isJson());
            QCOMPARE(r.data().type(), healthy.data().type());
            break;
        case Fault::Kind::Hang:
            QFAIL("not in this table");
        }
        QCOMPARE(m_sim->requestCount(key), 2);

        m_sim->clearFaults();
        QCOMPARE(call().status, 200);
    }

    void hang_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("after"); // the status once the fault is cleared
        QTest::addRow("cluster/resources") << endpoint::ClusterResources << "GET"
                                           << "/cluster/resources" << 200;
        QTest::addRow("cluster/status") << endpoint::ClusterStatus << "GET"
                                        << "/cluster/status" << 200;
        QTest::addRow("nodes") << endpoint::Nodes << "GET"
                               << "/nodes" << 200;
        QTest::addRow("nodes/{node}/status") << endpoint::NodeStatus << "GET"
                                             << "/nodes/pve1/status" << 200;
        // 103 is stopped, and the hung start never ran: starting it now works.
        QTest::addRow("status/{action}") << endpoint::Power << "POST"
                                         << "/nodes/pve2/qemu/103/status/start" << 200;
        QTest::addRow("tasks") << endpoint::Tasks << "GET"
                               << "/nodes/pve1/tasks" << 200;
        // A made-up UPID: no such task.
        QTest::addRow("tasks/status") << endpoint::TaskStatus << "GET"
                                      << "/nodes/pve1/tasks/"
                                         "UPID%3Apve1%3A00001234%3A00ABCDEF%3A6853B1A0%3Aqmstart%"
                                         "3A100%3Aroot%40pam%21jarvis%3A/status"
                                      << 400;
    }

    // A hung request stays pending until the client gives up; the simulator serves others
    // meanwhile.
    void hang()
    {
        QFETCH(QString, key);
        QFETCH(QString, method);
        QFETCH(QString, path);
        QFETCH(int, after);
        QVERIFY(start());
        m_sim->injectFault(FaultRule::on(key, Fault::Kind::Hang));
        QNetworkRequest r = request(path, std::nullopt);
        QNetworkReply *hung =
            method == QLatin1String("POST") ? m_nam->post(r, QByteArray()) : m_nam->get(r);
        QTRY_COMPARE(m_sim->pendingHangs(), 1);

        const Reply other = get(QStringLiteral("/version"));
        QCOMPARE(other.status, 200);
        QVERIFY(!hung->isFinished());
        const Reply another = key == QLatin1String(endpoint::ClusterStatus)
            ? get(QStringLiteral("/nodes"))
            : get(QStringLiteral("/cluster/status"));
        QCOMPARE(another.status, 200);
        QVERIFY(!hung->isFinished());

        hung->abort();
        QCOMPARE(hung->error(), QNetworkReply::OperationCanceledError);
        hung->deleteLater();
        QTRY_COMPARE(m_sim->pendingHangs(), 0);
        m_sim->clearFaults();
        const Reply again = method == QLatin1String("POST") ? post(path) : get(path);
        QCOMPARE(again.status, after);
    }

    void slowAnswerDoesNotBlock()
    {
        QVERIFY(start());
        m_sim->injectFault(FaultRule::on(
            QString::fromLatin1(endpoint::ClusterResources), Fault::Kind::Slow, 4000));
        QNetworkReply *slow =
            m_nam->get(request(QStringLiteral("/cluster/resources"), std::nullopt));
        QTRY_COMPARE(m_sim->delayedAnswers(), 1); // received, its answer held back
        // Another request is answered while the slow one is held (if the simulator blocked, the
        // quick answer could only come after it).
        const Reply quick = get(QStringLiteral("/cluster/status"));
        QCOMPARE(quick.status, 200);
        QVERIFY(!slow->isFinished());
        QCOMPARE(m_sim->heldAnswers(), 1);
        qInfo("quick answer in %lld ms beside a 4000 ms slow one", quick.elapsedMs);
        const Reply r = finish(slow);
        QCOMPARE(r.status, 200);
        QCOMPARE(m_sim->heldAnswers(), 0);
        QCOMPARE(r.data().toArray().size(), 24);
    }

    void slowAnswerToAClientThatLeft()
    {
        QVERIFY(start());
        QSignalSpy handled(m_sim.get(), &PveSimulator::requestHandled);
        FaultRule once =
            FaultRule::on(QString::fromLatin1(endpoint::Nodes), Fault::Kind::Slow, 100);
        once.count = 1;
        m_sim->injectFault(once);
        QNetworkReply *slow = m_nam->get(request(QStringLiteral("/nodes"), std::nullopt));
        QTRY_COMPARE(m_sim->requestCount(QString::fromLatin1(endpoint::Nodes)), 1);
        slow->abort();
        slow->deleteLater();
        // A later, slower answer: by the time it arrives the first timer has fired for a socket
        // that is gone, and nothing was written to it.
        m_sim->injectFault(
            FaultRule::on(QString::fromLatin1(endpoint::Version), Fault::Kind::Slow, 300));
        QCOMPARE(get(QStringLiteral("/version")).status, 200);
        QCOMPARE(handled.count(), 1);
        QCOMPARE(handled.at(0).at(0).toString(), QString::fromLatin1(endpoint::Version));
        QCOMPARE(get(QStringLiteral("/nodes")).status, 200);
    }

    void faultMatching()
    {
        QVERIFY(start());
        const QString status = QString::fromLatin1(endpoint::NodeStatus);

        FaultRule perNode = FaultRule::on(status, Fault::Kind::ServerError);
        perNode.node = QStringLiteral("pve2");
        perNode.fault.message = QStringLiteral("pve2 is having a bad day\nsecond line");
        int id = m_sim->injectFault(perNode);
        Reply r = get(QStringLiteral("/nodes/pve2/status"));
        QCOMPARE(r.status, 500);
        QCOMPARE(r.reason, QByteArray("pve2 is having a bad day"));
        QCOMPARE(r.object().value(QStringLiteral("message")).toString(),
            QStringLiteral("pve2 is having a bad day\nsecond line\n"));
        QCOMPARE(get(QStringLiteral("/nodes/pve1/status")).status, 200);
        QCOMPARE(get(QStringLiteral("/cluster/resources")).status, 200);
        m_sim->removeFault(id);
        QCOMPARE(get(QStringLiteral("/nodes/pve2/status")).status, 200);

        FaultRule byPath;
        byPath.path = QRegularExpression(QStringLiteral("^/nodes/pve3/"));
        byPath.fault.kind = Fault::Kind::NodeUnreachable;
        id = m_sim->injectFault(byPath);
        QCOMPARE(get(QStringLiteral("/nodes/pve3/status")).status, 595);
        QCOMPARE(post(QStringLiteral("/nodes/pve3/lxc/203/status/start")).status, 595);
        QCOMPARE(get(QStringLiteral("/nodes/pve1/status")).status, 200);
        m_sim->removeFault(id);

        FaultRule twice = FaultRule::on(
            QString::fromLatin1(endpoint::ClusterResources), Fault::Kind::ServerError);
        twice.count = 2;
        m_sim->injectFault(twice);
        QCOMPARE(get(QStringLiteral("/cluster/resources")).status, 500);
        QCOMPARE(get(QStringLiteral("/cluster/resources")).status, 500);
        QCOMPARE(get(QStringLiteral("/cluster/resources")).status, 200);

        m_sim->injectFault(FaultRule::on(QStringLiteral("status/start"), Fault::Kind::ServerError));
        QCOMPARE(post(QStringLiteral("/nodes/pve2/qemu/103/status/start")).status, 500);
        QCOMPARE(post(QStringLiteral("/nodes/pve1/qemu/100/status/stop")).status, 200);
        m_sim->clearFaults();

        m_sim->injectFault(FaultRule::on(QString(), Fault::Kind::ConnectionTimeout)); // everything
        QCOMPARE(get(QStringLiteral("/version")).status, 596);
        QCOMPARE(get(QStringLiteral("/nodes")).status, 596);
        m_sim->clearFaults();
        QCOMPARE(get(QStringLiteral("/nodes")).status, 200);
    }

    // --- nodes going away -----------------------------------------------------------------

    void nodeOffline()
    {
        QVERIFY(start());
        QVERIFY(m_sim->setNodeOnline(QStringLiteral("pve2"), false));
        QVERIFY(!m_sim->setNodeOnline(QStringLiteral("pve9"), false));

        Reply r = get(QStringLiteral("/nodes/pve2/status"));
        QCOMPARE(r.status, 595);
        QCOMPARE(r.reason, QByteArray("No route to host"));
        QVERIFY(r.body.isEmpty());
        QCOMPARE(post(QStringLiteral("/nodes/pve2/qemu/103/status/start")).status, 595);
        QCOMPARE(get(QStringLiteral("/nodes/pve2/tasks")).status, 595);
        QCOMPARE(get(QStringLiteral("/nodes/pve1/status")).status, 200);

        QJsonArray status = get(QStringLiteral("/cluster/status")).data().toArray();
        QCOMPARE(status.at(0).toObject().value(QStringLiteral("quorate")).toInt(), 1); // 2 of 3
        for (const QJsonValue &v : status) {
            const QJsonObject o = v.toObject();
            if (o.value(QStringLiteral("name")).toString() == QLatin1String("pve2"))
                QCOMPARE(o.value(QStringLiteral("online")).toInt(), 0);
        }

        const QJsonArray all = resources();
        for (const QJsonValue &v : all) {
            const QJsonObject o = v.toObject();
            if (o.value(QStringLiteral("node")).toString() != QLatin1String("pve2"))
                continue;
            const QString type = o.value(QStringLiteral("type")).toString();
            if (type == QLatin1String("node")) {
                QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("offline"));
                QVERIFY(!o.contains(QStringLiteral("cpu")));
                QVERIFY(!o.contains(QStringLiteral("uptime")));
                QVERIFY(o.contains(QStringLiteral("maxmem")));
            } else if (type == QLatin1String("qemu") || type == QLatin1String("lxc")) {
                QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("unknown"));
                QVERIFY(!o.contains(QStringLiteral("cpu")));
                QVERIFY(o.contains(QStringLiteral("name")));
            }
        }
        for (const QJsonValue &v : get(QStringLiteral("/nodes")).data().toArray()) {
            const QJsonObject o = v.toObject();
            QCOMPARE(o.value(QStringLiteral("status")).toString(),
                o.value(QStringLiteral("node")).toString() == QLatin1String("pve2")
                    ? QStringLiteral("offline")
                    : QStringLiteral("online"));
        }

        QVERIFY(m_sim->setNodeOnline(QStringLiteral("pve3"), false));
        QVERIFY(!m_sim->cluster().isQuorate());
        status = get(QStringLiteral("/cluster/status")).data().toArray();
        QCOMPARE(status.at(0).toObject().value(QStringLiteral("quorate")).toInt(), 0);
        r = post(QStringLiteral("/nodes/pve1/qemu/100/status/stop"));
        QCOMPARE(r.status, 200); // stopping needs no quorum
        r = post(QStringLiteral("/nodes/pve1/qemu/106/status/start"));
        QCOMPARE(r.status, 500);
        QCOMPARE(r.reason, QByteArray("cluster not ready - no quorum?"));

        m_sim->setNodeOnline(QStringLiteral("pve2"), true);
        m_sim->setNodeOnline(QStringLiteral("pve3"), true);
        QCOMPARE(get(QStringLiteral("/nodes/pve2/status")).status, 200);
        QCOMPARE(
            guestEntry(103).value(QStringLiteral("status")).toString(), QStringLiteral("stopped"));
        QCOMPARE(get(QStringLiteral("/cluster/status"))
                     .data()
                     .toArray()
                     .at(0)
                     .toObject()
                     .value(QStringLiteral("quorate"))
                     .toInt(),
            1);
    }

    void standaloneNodeHasNoClusterRow()
    {
        PveSimulator::Options options = manualClock();
        options.cluster.nodes = 1;
        QVERIFY(start(options));
        const QJsonArray status = get(QStringLiteral("/cluster/status")).data().toArray();
        QCOMPARE(status.size(), 1);
        QCOMPARE(status.at(0).toObject().value(QStringLiteral("type")).toString(),
            QStringLiteral("node"));
        QCOMPARE(status.at(0).toObject().value(QStringLiteral("local")).toInt(), 1);
        QCOMPARE(resources(QStringLiteral("vm")).size(), 12); // every guest lives on the one node
    }

    // --- metrics --------------------------------------------------------------------------

    void drift()
    {
        QVERIFY(start());
        const QJsonArray first = resources();
        m_sim->cluster().advance(30);
        const QJsonArray second = resources();
        QCOMPARE(first.size(), second.size());
        int running = 0, stopped = 0;
        for (qsizetype i = 0; i < first.size(); ++i) {
            const QJsonObject a = first.at(i).toObject();
            const QJsonObject b = second.at(i).toObject();
            QCOMPARE(a.value(QStringLiteral("id")), b.value(QStringLiteral("id")));
            const QString type = a.value(QStringLiteral("type")).toString();
            const auto n = [](const QJsonObject &o, const char *k) {
                return o.value(QLatin1String(k)).toDouble();
            };
            if (type == QLatin1String("node")) {
                QVERIFY(n(a, "cpu") != n(b, "cpu"));
                QCOMPARE(n(b, "uptime") - n(a, "uptime"), 30.0);
                continue;
            }
            if (type != QLatin1String("qemu") && type != QLatin1String("lxc"))
                continue;
            const QString id = a.value(QStringLiteral("id")).toString();
            if (a.value(QStringLiteral("status")).toString() == QLatin1String("running")) {
                ++running;
                QVERIFY2(n(a, "cpu") != n(b, "cpu"), qPrintable(id));
                QVERIFY2(n(a, "cpu") > 0 && n(a, "cpu") <= 1, qPrintable(id));
                QVERIFY2(n(b, "netin") > n(a, "netin"), qPrintable(id));
                QVERIFY2(n(b, "netout") > n(a, "netout"), qPrintable(id));
                QVERIFY2(n(b, "diskwrite") > n(a, "diskwrite"), qPrintable(id));
                QCOMPARE(n(b, "uptime") - n(a, "uptime"), 30.0);
                QVERIFY(n(a, "mem") > 0 && n(a, "mem") < n(a, "maxmem"));
            } else {
                ++stopped;
                for (const char *k :
                    {"cpu", "mem", "uptime", "netin", "netout", "diskread", "diskwrite"}) {
                    QCOMPARE(n(a, k), 0.0);
                    QCOMPARE(n(b, k), 0.0);
                }
            }
        }
        QCOMPARE(running, 9);
        QCOMPARE(stopped, 3);
    }

    void countersNeverDecrease()
    {
        ClusterOptions options;
        options.realTimeClock = false;
        options.startEpoch = Epoch;
        options.guests = 200;
        SimulatedCluster cluster(options);
        QHash<QString, double> last;
        for (int step = 0; step < 120; ++step) {
            const QJsonArray list = QJsonDocument::fromJson(
                "{\"d\":" + cluster.clusterResources(QStringLiteral("vm")).data + '}')
                                        .object()
                                        .value(QStringLiteral("d"))
                                        .toArray();
            for (const QJsonValue &v : list) {
                const QJsonObject o = v.toObject();
                for (const char *k : {"netin", "netout", "diskread", "diskwrite"}) {
                    const QString key = o.value(QStringLiteral("id")).toString() + QLatin1Char('/')
                        + QLatin1String(k);
                    const double value = o.value(QLatin1String(k)).toDouble();
                    QVERIFY2(value >= last.value(key), qPrintable(key));
                    last[key] = value;
                }
            }
            cluster.advance(0.7);
        }
    }

    void deterministicGivenSeed()
    {
        ClusterOptions options;
        options.realTimeClock = false;
        options.startEpoch = Epoch;
        options.nodes = 5;
        options.guests = 300;
        SimulatedCluster a(options), b(options);
        a.advance(42);
        b.advance(42);
        QCOMPARE(a.clusterResources({}).data, b.clusterResources({}).data);
        QCOMPARE(
            a.nodeStatus(QStringLiteral("pve3")).data, b.nodeStatus(QStringLiteral("pve3")).data);
        options.seed = 2;
        SimulatedCluster c(options);
        c.advance(42);
        QVERIFY(a.clusterResources({}).data != c.clusterResources({}).data);
    }

    void scale()
    {
        PveSimulator::Options options;
        options.cluster.nodes = 50;
        options.cluster.guests = 5000;
        QElapsedTimer timer;
        timer.start();
        QVERIFY(start(options));
        const qint64 buildMs = timer.elapsed();

        constexpr int Rounds = 20;
        qint64 bytes = 0;
        double bestMs = 1e9;
        QElapsedTimer total;
        total.start();
        for (int i = 0; i < Rounds; ++i) {
            timer.restart();
            bytes = m_sim->cluster().clusterResources({}).data.size();
            bestMs = std::min(bestMs, double(timer.nsecsElapsed()) / 1e6);
        }
        const double perCallMs = double(total.nsecsElapsed()) / 1e6 / Rounds;

        timer.restart();
        const Reply r = get(QStringLiteral("/cluster/resources"));
        const qint64 httpMs = timer.elapsed();
        QCOMPARE(r.status, 200);
        const QJsonArray all = r.data().toArray();
        QCOMPARE(entriesOfType(all, QStringLiteral("qemu")).size()
                + entriesOfType(all, QStringLiteral("lxc")).size(),
            5000);
        QCOMPARE(entriesOfType(all, QStringLiteral("node")).size(), 50);
        QCOMPARE(entriesOfType(all, QStringLiteral("storage")).size(), 100);
        QCOMPARE(entriesOfType(all, QStringLiteral("sdn")).size(), 50);
        QCOMPARE(resources(QStringLiteral("vm")).size(), 5000);
        // Figures only; the target (under 200 ms per answer) is checked by make bench-poll.
        qInfo("50 nodes / 5000 guests: built in %lld ms; /cluster/resources (%lld bytes) generated "
              "in %.2f ms (best of %d; mean %.2f ms); over HTTP incl. client parse %lld ms",
            buildMs, bytes, bestMs, Rounds, perCallMs, httpMs);

        // A reboot of the last guest: what PVE answers follows from the guest's state, known
        // before the call (the checks made before the worker starts).
        const GuestInfo guest = m_sim->cluster().guests().constLast();
        const bool qemu = guest.kind == GuestKind::Qemu;
        QString refusal;
        if (qemu && guest.status == QLatin1String("paused"))
            refusal = QStringLiteral("VM is paused - cannot shutdown");
        else if (guest.status == QLatin1String("stopped"))
            refusal = QStringLiteral("VM %1 not running").arg(guest.vmid); // "VM" for CTs too
        const Reply action = post(QStringLiteral("/nodes/%1/%2/%3/status/reboot")
                                      .arg(guest.node, toPath(guest.kind))
                                      .arg(guest.vmid));
        qInfo("guest %d (%s) is %s", guest.vmid, qemu ? "qemu" : "lxc", qPrintable(guest.status));
        if (refusal.isEmpty()) {
            QCOMPARE(action.status, 200);
            QVERIFY(action.data().toString().startsWith(QLatin1String("UPID:")));
        } else {
            QCOMPARE(action.status, 500);
            QCOMPARE(QString::fromUtf8(action.reason), refusal);
        }
    }

    // --- TLS ------------------------------------------------------------------------------

    void tls()
    {
        const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
        if (openssl.isEmpty())
            QFAIL("the openssl CLI is missing: make deps installs openssl");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString cert = dir.filePath(QStringLiteral("cert.pem"));
        const QString key = dir.filePath(QStringLiteral("key.pem"));
        QProcess gen;
        gen.start(openssl,
            {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                QStringLiteral("-keyout"), key, QStringLiteral("-out"), cert,
                QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"),
                QStringLiteral("/CN=pve1"), QStringLiteral("-addext"),
                QStringLiteral("subjectAltName=IP:127.0.0.1,DNS:localhost")});
        QSignalSpy generated(&gen, &QProcess::finished);
        QVERIFY(generated.wait(30000));
        QCOMPARE(gen.exitCode(), 0);

        QProcess fp;
        fp.start(openssl,
            {QStringLiteral("x509"), QStringLiteral("-in"), cert, QStringLiteral("-noout"),
                QStringLiteral("-fingerprint"), QStringLiteral("-sha256")});
        QSignalSpy printed(&fp, &QProcess::finished);
        QVERIFY(printed.wait(30000));
        const QString opensslFingerprint =
            QString::fromLatin1(fp.readAllStandardOutput()).section(QLatin1Char('='), 1).trimmed();

        QFile certFile(cert), keyFile(key);
        QVERIFY(certFile.open(QIODevice::ReadOnly));
        QVERIFY(keyFile.open(QIODevice::ReadOnly));
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.setLocalCertificate(QSslCertificate(certFile.readAll()));
        ssl.setPrivateKey(QSslKey(keyFile.readAll(), QSsl::Ec));
        QVERIFY(!ssl.privateKey().isNull());
        QVERIFY(start(manualClock(), ssl));
        QVERIFY(m_sim->isTls());
        QCOMPARE(m_sim->baseUrl().scheme(), QStringLiteral("https"));
        const QString fingerprint = m_sim->sslFingerprint();
        QVERIFY(QRegularExpression(QStringLiteral("^([0-9A-F]{2}:){31}[0-9A-F]{2}$"))
                    .match(fingerprint)
                    .hasMatch());
        QCOMPARE(fingerprint, opensslFingerprint);
        qInfo("TLS fingerprint %s", qPrintable(fingerprint));

        // Pinning: accept the self-signed certificate only when its SHA-256 matches.
        const auto fetch = [&](const QString &pin) {
            QNetworkReply *reply = m_nam->get(request(QStringLiteral("/nodes"), std::nullopt));
            connect(
                reply, &QNetworkReply::sslErrors, reply, [reply, pin](const QList<QSslError> &) {
                    const QByteArray seen = reply->sslConfiguration()
                                                .peerCertificate()
                                                .digest(QCryptographicHash::Sha256)
                                                .toHex(':')
                                                .toUpper();
                    if (seen == pin.toLatin1())
                        reply->ignoreSslErrors();
                });
            return finish(reply);
        };
        const Reply pinned = fetch(fingerprint);
        QCOMPARE(pinned.status, 200);
        for (const QJsonValue &v : pinned.data().toArray())
            QCOMPARE(v.toObject().value(QStringLiteral("ssl_fingerprint")).toString(), fingerprint);

        m_nam->clearConnectionCache();
        const Reply wrongPin = fetch(QStringLiteral("00:11"));
        QCOMPARE(wrongPin.status, 0);
        QCOMPARE(wrongPin.error, QNetworkReply::SslHandshakeFailedError);
    }

    // --- counters and odds ----------------------------------------------------------------

    void requestCounters()
    {
        QVERIFY(start());
        get(QStringLiteral("/cluster/resources"));
        get(QStringLiteral("/cluster/resources?type=vm"));
        get(QStringLiteral("/cluster/resources"), QByteArray()); // 401 counts too
        get(QStringLiteral("/nodes/pve1/status"));
        get(QStringLiteral("/nodes/pve2/status"));
        post(QStringLiteral("/nodes/pve1/qemu/100/status/stop"));
        post(QStringLiteral("/nodes/pve1/qemu/100/status/start"));
        get(QStringLiteral("/nodes/pve1/tasks"));
        get(QStringLiteral("/cluster/whatever"));
        QCOMPARE(m_sim->requestCount(QString::fromLatin1(endpoint::ClusterResources)), 3);
        QCOMPARE(m_sim->requestCount(QString::fromLatin1(endpoint::NodeStatus)), 2);
        QCOMPARE(m_sim->requestCount(QString::fromLatin1(endpoint::Power)), 2);
        QCOMPARE(m_sim->requestCount(QString::fromLatin1(endpoint::Tasks)), 1);
        QCOMPARE(m_sim->requestCount(QString::fromLatin1(endpoint::Other)), 1);
        QCOMPARE(m_sim->requestCount(QString::fromLatin1(endpoint::ClusterStatus)), 0);
        QCOMPARE(m_sim->totalRequests(), 9);
        m_sim->resetRequestCounts();
        QCOMPARE(m_sim->totalRequests(), 0);
        QVERIFY(m_sim->requestCounts().isEmpty());
    }

    void outsideTheApi()
    {
        QVERIFY(start());
        QUrl url = m_sim->baseUrl();
        url.setPath(QStringLiteral("/index.html"));
        const Reply r = finish(m_nam->get(QNetworkRequest(url)));
        QCOMPARE(r.status, 501);
        QCOMPARE(r.reason, QByteArray("no such uri"));
    }

    void keepAliveOnSuccess()
    {
        QVERIFY(start());
        const Reply r = get(QStringLiteral("/version"));
        QCOMPARE(r.connection, QByteArray("Keep-Alive"));
    }

    void listenFailureIsReported()
    {
        QVERIFY(start());
        PveSimulator second;
        QCOMPARE(second.listen(QHostAddress::LocalHost, m_sim->port()), quint16(0));
        QVERIFY(!second.errorString().isEmpty());
        QSslConfiguration empty;
        QCOMPARE(second.listen(QHostAddress::LocalHost, 0, empty), quint16(0));
    }
};

QTEST_MAIN(TestPveSimulator)
#include "tst_pvesimulator.moc"
