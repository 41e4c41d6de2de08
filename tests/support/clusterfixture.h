#pragma once

// A whole jarvisd (Application) in the test process, pointed at a PVE simulator over real HTTP,
// plus helpers to connect Socket.IO clients and call the REST API. Shared by the emitter and tool
// tests.
#include "app/application.h"
#include "app/clusterservices.h"
#include "client/socketioclient.h"
#include "core/clock.h"
#include "demo/pvesimulator.h"
#include "realtime/clusteremitter.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <functional>
#include <memory>

struct ReceivedEvent
{
    QString client;
    QString event;
    QJsonArray args;
    qint64 atMs = 0;
};

class ClusterFixture
{
public:
    static constexpr const char *Secret = "fixture-secret-fixture-secret-fixture-secret-0123";

    // With `clock` (a core::ManualClock), the emitter polls only when the test advances it.
    explicit ClusterFixture(int taskDurationMs = 300, QStringList protectedNodes = {},
        std::function<void(jarvis::config::Config &)> tweak = {},
        jarvis::core::Clock *clock = nullptr)
    {
        jarvis::demo::PveSimulator::Options o;
        o.cluster.taskDurationMs = taskDurationMs;
        simulator = std::make_unique<jarvis::demo::PveSimulator>(o);
        simulator->listen();
        jarvis::config::Config c;
        c.listen = QStringLiteral("127.0.0.1");
        c.port = 0;
        c.jwtSecret = Secret;
        c.adminPassword = QStringLiteral("pw");
        c.tokenId = o.tokenId;
        c.tokenSecret = o.tokenSecret;
        c.protectedNodes = protectedNodes;
        c.auditFile = dir.filePath(QStringLiteral("audit.jsonl"));
        for (int i = 1; i <= 3; ++i) {
            jarvis::config::NodeConfig node;
            node.name = QStringLiteral("pve%1").arg(i);
            node.host = QStringLiteral("10.0.0.%1").arg(i);
            node.apiUrl = simulator->baseUrl();
            c.nodes.append(node);
        }
        if (tweak)
            tweak(c);
        config = c;
        app = std::make_unique<jarvis::app::Application>(c, clock);
        QString error;
        started = app->start(&error);
        startError = error;
        token = app->jwt().issue(QStringLiteral("admin"), 3600);
    }

    jarvis::realtime::ClusterEmitter *emitter() const { return app->cluster()->emitter(); }
    QUrl baseUrl() const { return QUrl(app->url()); }

    // Connects a client to `nsp`; every event it receives is appended to `events`.
    jarvis::client::SocketIoClient *connect(const QString &nsp, const QString &name = {})
    {
        auto *client = new jarvis::client::SocketIoClient;
        clients.emplace_back(client);
        const QString label = name.isEmpty() ? nsp : name;
        QObject::connect(client, &jarvis::client::SocketIoClient::eventReceived, client,
            [this, label](const QString &event, const QJsonArray &args, const QList<QByteArray> &) {
                events.append({label, event, args, QDateTime::currentMSecsSinceEpoch()});
            });
        QSignalSpy connected(client, &jarvis::client::SocketIoClient::connected);
        client->connectToServer(baseUrl(), nsp, QJsonObject {{QStringLiteral("token"), token}});
        if (connected.isEmpty())
            connected.wait(5000);
        return client;
    }

    int count(const QString &client, const QString &event) const
    {
        int n = 0;
        for (const ReceivedEvent &e : events)
            n += (e.client == client && e.event == event) ? 1 : 0;
        return n;
    }

    QList<ReceivedEvent> of(const QString &client, const QString &event) const
    {
        QList<ReceivedEvent> out;
        for (const ReceivedEvent &e : events) {
            if (e.client == client && e.event == event)
                out.append(e);
        }
        return out;
    }

    struct Reply
    {
        int status = 0;
        QJsonDocument json;
        qint64 atMs = 0;
    };

    Reply rest(const QByteArray &method, const QString &path, const QJsonObject &body = {})
    {
        QNetworkRequest request(QUrl(app->url() + path));
        request.setRawHeader("Authorization", "Bearer " + token.toLatin1());
        request.setHeader(
            QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        QNetworkReply *reply = nam.sendCustomRequest(request, method,
            body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact));
        QSignalSpy finished(reply, &QNetworkReply::finished);
        if (!reply->isFinished())
            finished.wait(30000);
        Reply r {reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
            QJsonDocument::fromJson(reply->readAll()), QDateTime::currentMSecsSinceEpoch()};
        reply->deleteLater();
        return r;
    }

    QTemporaryDir dir;
    std::unique_ptr<jarvis::demo::PveSimulator> simulator;
    jarvis::config::Config config;
    std::unique_ptr<jarvis::app::Application> app;
    bool started = false;
    QString startError;
    QString token;
    std::vector<std::unique_ptr<jarvis::client::SocketIoClient>> clients;
    QList<ReceivedEvent> events;
    QNetworkAccessManager nam;
};
