// SocketIoClient against three servers: jarvisd's own (an in-process Application with a /test
// namespace), the npm socket.io@4.8 reference server (tests/interop/reference-server.mjs, run with
// node) so the client is not merely consistent with our server, and a scripted fake Engine.IO
// server (QWebSocketServer) for what a correct server never does: no pings, malformed packets,
// no open packet. The client's timers run on a core::ManualClock that the tests step (ack, ping and
// connect timeouts, reconnect delays), except where a real server restart is waited for.
#include "app/application.h"
#include "auth/jwt.h"
#include "client/socketioclient.h"
#include "core/clock.h"
#include "model/clusterdata.h"
#include "protocol/jsonreader.h"
#include "protocol/socketio.h"
#include "realtime/sioserver.h"
#include "testnamespace.h"

#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QPointer>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>
#include <QTimer>
#include <QUrlQuery>
#include <QWebSocket>
#include <QWebSocketServer>

#include <memory>
#include <optional>

using namespace jarvis;
using client::AckResponder;
using client::AckResult;
using client::SocketIoClient;
using realtime::AckCallback;
using realtime::Message;
using realtime::SioSocket;

namespace {

const QByteArray Secret = "client-test-secret-that-is-long-enough-0123456789";
const QString Password = QStringLiteral("correct horse battery staple");
const QString Nsp = QStringLiteral("/test");
const QString Subject = QStringLiteral("alice");
constexpr int Wait = 10000; // ms: upper bound for anything that should happen

enum class Target { Jarvisd, SocketIo };

// One WebSocket frame the fake server sends.
struct Frame
{
    bool binary = false;
    QByteArray data;
};
Frame text(const QByteArray &data)
{
    return {false, data};
}
Frame binary(const QByteArray &data)
{
    return {true, data};
}

std::unique_ptr<app::Application> startJarvisd(quint16 port = 0, qint64 maxPayload = 1000000)
{
    config::Config config;
    config.listen = QStringLiteral("127.0.0.1");
    config.port = port;
    config.jwtSecret = Secret;
    config.adminPassword = Password;
    config.maxPayload = maxPayload;
    auto application = std::make_unique<app::Application>(config);
    testing::addTestNamespace(*application);
    QString error;
    if (!application->start(&error)) {
        qWarning() << "jarvisd did not start:" << error;
        return nullptr;
    }
    return application;
}

QString token(const QDateTime &now = QDateTime::currentDateTimeUtc(), qint64 lifetime = 3600,
    const QByteArray &secret = Secret)
{
    return auth::JwtSigner(secret).issue(Subject, lifetime, now);
}

QJsonObject authWith(const QString &token)
{
    return QJsonObject {{QStringLiteral("token"), token}};
}

// An emit-with-ack whose result the test waits for.
using AckSlot = std::shared_ptr<std::optional<AckResult>>;
AckSlot emitAcked(SocketIoClient &client, const QString &event, const QJsonArray &args,
    const QList<QByteArray> &attachments = {}, int timeoutMs = Wait)
{
    auto slot = std::make_shared<std::optional<AckResult>>();
    client.emitEvent(
        event, args, attachments, &client, [slot](const AckResult &result) { *slot = result; },
        timeoutMs);
    return slot;
}

QByteArray bytes(int size, char seed)
{
    QByteArray out(size, Qt::Uninitialized);
    for (int i = 0; i < size; ++i)
        out[i] = char(seed + i * 7);
    return out;
}

// A scripted Engine.IO/Socket.IO server for one namespace: sends the open packet (or not),
// answers CONNECT (or not), sends `frames` on the first connection, pings (or not), and records
// what it receives.
class FakeServer : public QObject
{
    Q_OBJECT
public:
    FakeServer()
        : m_server(QStringLiteral("fake"), QWebSocketServer::NonSecureMode)
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QWebSocketServer::newConnection, this, &FakeServer::onConnection);
    }

    QUrl url() const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()));
    }

    static constexpr const char *DefaultOpen =
        R"(0{"sid":"fake","upgrades":[],"pingInterval":100,"pingTimeout":100,"maxPayload":1000000})";
    QByteArray openPacket = DefaultOpen;
    QByteArray firstOpenPacket; // replaces openPacket on the first connection when set
    bool sendOpen = true;
    bool answerConnect = true;
    bool framesBeforeConnect = false; // send `frames` right after the open packet
    QList<Frame> frames; // first connection only
    int pingEveryMs = 0;

    // Sends an Engine.IO ping on every open connection.
    void pingAll()
    {
        for (QWebSocket *socket : findChildren<QWebSocket *>())
            socket->sendTextMessage(QStringLiteral("2"));
    }

    int connections = 0;
    QByteArrayList received; // text frames, all connections
    QList<QUrl> requestUrls;
    int openSockets = 0;

private:
    void onConnection()
    {
        while (QWebSocket *socket = m_server.nextPendingConnection()) {
            socket->setParent(this);
            const int index = connections++;
            ++openSockets;
            requestUrls.append(socket->requestUrl());
            connect(socket, &QWebSocket::disconnected, this, [this, socket] {
                --openSockets;
                socket->deleteLater();
            });
            connect(socket, &QWebSocket::textMessageReceived, this,
                [this, socket, index](const QString &message) {
                    received.append(message.toUtf8());
                    if (answerConnect && message.startsWith(QLatin1String("40"))) {
                        socket->sendTextMessage(
                            QStringLiteral("40/test,{\"sid\":\"s%1\"}").arg(index));
                        if (index == 0 && !framesBeforeConnect)
                            sendFrames(socket);
                    }
                });
            if (sendOpen) {
                const QByteArray open =
                    index == 0 && !firstOpenPacket.isEmpty() ? firstOpenPacket : openPacket;
                socket->sendTextMessage(QString::fromUtf8(open));
            }
            if (index == 0 && framesBeforeConnect)
                sendFrames(socket);
            if (pingEveryMs > 0) {
                auto *timer = new QTimer(socket);
                connect(timer, &QTimer::timeout, socket,
                    [socket] { socket->sendTextMessage(QStringLiteral("2")); });
                timer->start(pingEveryMs);
            }
        }
    }

    void sendFrames(QWebSocket *socket)
    {
        for (const Frame &frame : std::as_const(frames)) {
            if (frame.binary)
                socket->sendBinaryMessage(frame.data);
            else
                socket->sendTextMessage(QString::fromUtf8(frame.data));
        }
    }

    QWebSocketServer m_server;
};

} // namespace

Q_DECLARE_METATYPE(Target)
Q_DECLARE_METATYPE(QList<Frame>)

class TestSocketIoClient : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void cleanup();

    // pure
    void reconnectDelay_data();
    void reconnectDelay();

    // against jarvisd and socket.io@4.8
    void connectWithAuth_data() { addTargets(); }
    void connectWithAuth();
    void connectErrors_data();
    void connectErrors();
    void emitWithAck_data();
    void emitWithAck();
    void emitWithoutAck_data() { addTargets(); }
    void emitWithoutAck();
    void ackTimeout_data() { addTargets(); }
    void ackTimeout();
    void serverAsksForAck_data();
    void serverAsksForAck();
    void binaryEventFromServer_data() { addTargets(); }
    void binaryEventFromServer();
    void emitBeforeConnected_data() { addTargets(); }
    void emitBeforeConnected();
    void serverDisconnect_data() { addTargets(); }
    void serverDisconnect();
    void clientDisconnect_data() { addTargets(); }
    void clientDisconnect();
    void rawEvent_data() { addTargets(); }
    void rawEvent();
    void rawEventNotForUnusualPackets_data() { addTargets(); }
    void rawEventNotForUnusualPackets();

    // jarvisd only
    void reconnectAfterServerRestart();
    void maxPayloadRespected();

    // client-side checks and a fake server
    void refusedLocally();
    void handshakeRefused();
    void requestAndConnectPacket();
    void pingsAnswered();
    void pingTimeout();
    void connectTimeout();
    void malformedPackets_data();
    void malformedPackets();
    void rawEventDeclinedIsDecoded();

private:
    void addTargets();
    QUrl urlFor(Target target) const;
    // Skips the socket.io rows only when node is not installed at all.
    bool skipIfUnavailable(Target target);
    std::unique_ptr<SocketIoClient> newClient();
    bool connectClient(SocketIoClient &client, Target target);

    std::unique_ptr<app::Application> m_jarvisd;
    core::ManualClock m_clock; // newClient()'s timers
    QProcess *m_node = nullptr;
    QByteArray m_nodeOutput;
    quint16 m_nodePort = 0;
    bool m_nodeInstalled = false;
};

void TestSocketIoClient::initTestCase()
{
    // The fake server makes the client log a lot on purpose; warnings stay visible.
    QLoggingCategory::setFilterRules(QStringLiteral("jarvis.*.debug=false\njarvis.*.info=false"));
    m_jarvisd = startJarvisd();
    QVERIFY(m_jarvisd);

    const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
    m_nodeInstalled = !node.isEmpty();
    if (!m_nodeInstalled) {
        qWarning("node is not installed: the socket.io@4.8 rows will be skipped");
        return;
    }
    const QString script = QStringLiteral(JARVIS_REFERENCE_SERVER);
    QVERIFY2(QFile::exists(script), qPrintable(script));
    m_node = new QProcess(this);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("JARVIS_ADMIN_PASSWORD"), Password);
    env.insert(QStringLiteral("JARVIS_JWT_SECRET"), QString::fromUtf8(Secret));
    m_node->setProcessEnvironment(env);
    m_node->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    connect(m_node, &QProcess::readyReadStandardOutput, this, [this] {
        m_nodeOutput += m_node->readAllStandardOutput();
        static const QRegularExpression listening(
            QStringLiteral("jarvisd: listening on http://127\\.0\\.0\\.1:(\\d+)"));
        const QRegularExpressionMatch match = listening.match(QString::fromUtf8(m_nodeOutput));
        if (match.hasMatch())
            m_nodePort = quint16(match.captured(1).toUInt());
    });
    m_node->start(node,
        {script, QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--listen"),
            QStringLiteral("127.0.0.1")});
    QTRY_VERIFY_WITH_TIMEOUT(m_nodePort != 0 || m_node->state() == QProcess::NotRunning, 30000);
    QVERIFY2(m_nodePort != 0, m_nodeOutput.constData());
}

void TestSocketIoClient::cleanupTestCase()
{
    m_jarvisd.reset();
    if (m_node && m_node->state() != QProcess::NotRunning) {
        QSignalSpy finished(m_node, &QProcess::finished);
        m_node->terminate();
        if (!finished.wait(Wait))
            m_node->kill();
    }
}

void TestSocketIoClient::cleanup()
{
    disconnect(m_jarvisd->sio()->findNamespace(Nsp), nullptr, this, nullptr);
}

void TestSocketIoClient::addTargets()
{
    QTest::addColumn<Target>("target");
    QTest::addRow("jarvisd") << Target::Jarvisd;
    QTest::addRow("socket.io") << Target::SocketIo;
}

QUrl TestSocketIoClient::urlFor(Target target) const
{
    const quint16 port = target == Target::Jarvisd ? m_jarvisd->port() : m_nodePort;
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
}

bool TestSocketIoClient::skipIfUnavailable(Target target)
{
    return target == Target::SocketIo && !m_nodeInstalled;
}

std::unique_ptr<SocketIoClient> TestSocketIoClient::newClient()
{
    auto client = std::make_unique<SocketIoClient>(&m_clock, nullptr);
    client->setReconnectDelays(20, 100);
    return client;
}

bool TestSocketIoClient::connectClient(SocketIoClient &client, Target target)
{
    QSignalSpy connected(&client, &SocketIoClient::connected);
    client.connectToServer(urlFor(target), Nsp, authWith(token()));
    return connected.wait(Wait) && client.isConnected();
}

#define SKIP_UNAVAILABLE(target)                                                                   \
    if (skipIfUnavailable(target))                                                                 \
        QFAIL("node is missing: make deps installs nodejs");

// ---- pure ----------------------------------------------------------------------------------

void TestSocketIoClient::reconnectDelay_data()
{
    QTest::addColumn<int>("attempt");
    QTest::addColumn<double>("factor");
    QTest::addColumn<double>("random");
    QTest::addColumn<int>("expected");
    // socket.io-client's Backoff{min: 1000, max: 5000, jitter: 0.5}
    QTest::addRow("1, no jitter") << 1 << 0.0 << 0.3 << 1000;
    QTest::addRow("2, no jitter") << 2 << 0.0 << 0.3 << 2000;
    QTest::addRow("3, no jitter") << 3 << 0.0 << 0.3 << 4000;
    QTest::addRow("4, capped") << 4 << 0.0 << 0.3 << 5000;
    QTest::addRow("huge attempt, capped") << 100000 << 0.5 << 0.99 << 5000;
    QTest::addRow("1, random 0") << 1 << 0.5 << 0.0 << 1000;
    QTest::addRow("1, even digit: down") << 1 << 0.5 << 0.45 << 775; // 1000 - floor(0.45*0.5*1000)
    QTest::addRow("1, odd digit: up") << 1 << 0.5 << 0.35 << 1175; // 1000 + 175
    QTest::addRow("1, almost max up") << 1 << 0.5 << 0.999 << 1499;
    QTest::addRow("3, up, capped") << 3 << 0.5 << 0.55 << 5000; // 4000 + 1100 > 5000
    QTest::addRow("3, down") << 3 << 0.5 << 0.25 << 3500;
}

void TestSocketIoClient::reconnectDelay()
{
    QFETCH(int, attempt);
    QFETCH(double, factor);
    QFETCH(double, random);
    QFETCH(int, expected);
    QCOMPARE(client::reconnectDelay(attempt, 1000, 5000, factor, random), expected);
}

// ---- both servers --------------------------------------------------------------------------

void TestSocketIoClient::connectWithAuth()
{
    QFETCH(Target, target);
    SKIP_UNAVAILABLE(target);
    auto serverSide = std::make_shared<QPointer<SioSocket>>();
    if (target == Target::Jarvisd) {
        connect(m_jarvisd->sio()->findNamespace(Nsp), &realtime::Namespace::connected, this,
            [serverSide](SioSocket *socket) { *serverSide = socket; });
    }
    auto client = newClient();
    QSignalSpy connectErrors(client.get(), &SocketIoClient::connectError);
    QVERIFY(!client->isConnected());
    QVERIFY(connectClient(*client, target));
    QVERIFY(!client->id().isEmpty());
    QCOMPARE(client->nsp(), Nsp);
    QCOMPARE(client->maxPayload(), qint64(1000000));
    QCOMPARE(connectErrors.count(), 0);
    if (target == Target::Jarvisd) {
        QVERIFY(*serverSide);
        QCOMPARE((*serverSide)->id(), client->id());
        QCOMPARE((*serverSide)->user(), Subject);
    }
}

void TestSocketIoClient::connectErrors_data()
{
    QTest::addColumn<Target>("target");
    QTest::addColumn<QString>("nsp");
    QTest::addColumn<QJsonObject>("auth");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QJsonValue>("data");

    const QDateTime now = QDateTime::currentDateTimeUtc();
    const auto reason = [](const char *r) {
        return QJsonValue(QJsonObject {{QStringLiteral("reason"), QLatin1String(r)}});
    };
    const QString unauthorized = QStringLiteral("unauthorized");
    for (const Target target : {Target::Jarvisd, Target::SocketIo}) {
        const char *name = target == Target::Jarvisd ? "jarvisd" : "socket.io";
        QTest::addRow("%s: no auth", name)
            << target << Nsp << QJsonObject() << unauthorized << reason("missing");
        QTest::addRow("%s: empty token", name)
            << target << Nsp << authWith(QString()) << unauthorized << reason("missing");
        QTest::addRow("%s: garbage token", name)
            << target << Nsp << authWith(QStringLiteral("not-a-jwt")) << unauthorized
            << reason("invalid");
        QTest::addRow("%s: wrong secret", name)
            << target << Nsp
            << authWith(token(now, 3600, "another-secret-that-is-long-enough-0123456789ab"))
            << unauthorized << reason("invalid");
        QTest::addRow("%s: expired", name)
            << target << Nsp << authWith(token(now.addSecs(-7200), 60)) << unauthorized
            << reason("expired");
        QTest::addRow("%s: unknown namespace", name)
            << target << QStringLiteral("/nope") << authWith(token()) << "Invalid namespace"
            << QJsonValue(QJsonValue::Undefined);
    }
}

void TestSocketIoClient::connectErrors()
{
    QFETCH(Target, target);
    QFETCH(QString, nsp);
    QFETCH(QJsonObject, auth);
    QFETCH(QString, message);
    QFETCH(QJsonValue, data);
    SKIP_UNAVAILABLE(target);

    auto client = newClient();
    QSignalSpy connectError(client.get(), &SocketIoClient::connectError);
    QSignalSpy connected(client.get(), &SocketIoClient::connected);
    QSignalSpy reconnecting(client.get(), &SocketIoClient::reconnecting);
    client->connectToServer(urlFor(target), nsp, auth);
    // emitted while connecting: buffered, then failed when the server refuses
    const AckSlot ack = emitAcked(*client, QStringLiteral("echo"), {1});
    QVERIFY(connectError.wait(Wait));
    QCOMPARE(connectError.count(), 1);
    QCOMPARE(connectError.at(0).at(0).toString(), message);
    QCOMPARE(connectError.at(0).at(1).value<QJsonValue>(), data);
    QTRY_VERIFY(ack->has_value());
    QCOMPARE((*ack)->error, AckResult::Error::Disconnected);
    // socket.io-client does not reconnect after a CONNECT_ERROR from the server: none is
    // scheduled, and none starts however long one waits
    QCOMPARE(reconnecting.count(), 0);
    m_clock.advance(60000);
    QCoreApplication::processEvents();
    QCOMPARE(reconnecting.count(), 0);
    QCOMPARE(connected.count(), 0);
    QVERIFY(!client->isConnected());
    QVERIFY(client->id().isEmpty());
}

void TestSocketIoClient::emitWithAck_data()
{
    QTest::addColumn<Target>("target");
    QTest::addColumn<QJsonArray>("args");
    QTest::addColumn<QList<QByteArray>>("attachments");

    const QJsonObject nested {{QStringLiteral("a"), QJsonArray {1, 2.5, QStringLiteral("x")}},
        {QStringLiteral("b"), QJsonValue::Null}, {QStringLiteral("c"), true}};
    for (const Target target : {Target::Jarvisd, Target::SocketIo}) {
        const char *name = target == Target::Jarvisd ? "jarvisd" : "socket.io";
        QTest::addRow("%s: no args", name) << target << QJsonArray() << QList<QByteArray>();
        QTest::addRow("%s: json", name)
            << target << QJsonArray {1, QStringLiteral("two"), nested} << QList<QByteArray>();
        QTest::addRow("%s: unicode", name)
            << target << QJsonArray {QStringLiteral("h\u00e9llo \u2603 \U0001F600 \"q\" \\ \n")}
            << QList<QByteArray>();
        QTest::addRow("%s: one blob", name)
            << target << QJsonArray {sio::placeholder(0)} << QList<QByteArray> {bytes(300, 1)};
        QTest::addRow("%s: blobs nested", name)
            << target
            << QJsonArray {QStringLiteral("files"),
                   QJsonObject {{QStringLiteral("first"), sio::placeholder(0)},
                       {QStringLiteral("rest"),
                           QJsonArray {sio::placeholder(1), sio::placeholder(2)}}}}
            << QList<QByteArray> {bytes(10, 2), QByteArray(), bytes(70000, 3)};
    }
}

void TestSocketIoClient::emitWithAck()
{
    QFETCH(Target, target);
    QFETCH(QJsonArray, args);
    QFETCH(QList<QByteArray>, attachments);
    SKIP_UNAVAILABLE(target);

    auto client = newClient();
    QVERIFY(connectClient(*client, target));
    const AckSlot ack = emitAcked(*client, QStringLiteral("echo"), args, attachments);
    QTRY_VERIFY_WITH_TIMEOUT(ack->has_value(), Wait);
    const AckResult &result = **ack;
    QVERIFY2(result.ok(), qPrintable(result.errorString()));
    QCOMPARE(result.args, args);
    QCOMPARE(result.attachments, attachments);
    QVERIFY(client->isConnected());
}

void TestSocketIoClient::emitWithoutAck()
{
    QFETCH(Target, target);
    SKIP_UNAVAILABLE(target);
    auto client = newClient();
    QVERIFY(connectClient(*client, target));
    QSignalSpy received(client.get(), &SocketIoClient::eventReceived);

    const QJsonArray args {QStringLiteral("hello"), 42, QJsonObject {{QStringLiteral("k"), 1}}};
    client->emitEvent(QStringLiteral("emit-back"), args);
    QVERIFY(received.wait(Wait));
    QCOMPARE(received.at(0).at(0).toString(), QStringLiteral("echo-back"));
    QCOMPARE(received.at(0).at(1).toJsonArray(), args);
    QVERIFY(received.at(0).at(2).value<QList<QByteArray>>().isEmpty());
}

void TestSocketIoClient::ackTimeout()
{
    QFETCH(Target, target);
    SKIP_UNAVAILABLE(target);
    auto client = newClient();
    QVERIFY(connectClient(*client, target));
    const AckSlot ack = emitAcked(*client, QStringLiteral("nobody-listens"), {1}, {}, 200);
    m_clock.advance(199);
    QCoreApplication::processEvents();
    QVERIFY(!ack->has_value());
    m_clock.advance(1);
    QVERIFY(ack->has_value());
    QCOMPARE((*ack)->error, AckResult::Error::Timeout);
    QCOMPARE((*ack)->errorString(), QStringLiteral("operation has timed out"));
    QVERIFY(client->isConnected()); // a timeout does not end the connection

    // and a late answer is ignored: the connection keeps working
    const AckSlot next = emitAcked(*client, QStringLiteral("echo"), {2});
    QTRY_VERIFY_WITH_TIMEOUT(next->has_value(), Wait);
    QVERIFY((*next)->ok());
    QCOMPARE((*next)->args, QJsonArray {2});
}

void TestSocketIoClient::serverAsksForAck_data()
{
    QTest::addColumn<Target>("target");
    QTest::addColumn<bool>("withBinary");
    for (const Target target : {Target::Jarvisd, Target::SocketIo}) {
        const char *name = target == Target::Jarvisd ? "jarvisd" : "socket.io";
        QTest::addRow("%s: json", name) << target << false;
        QTest::addRow("%s: binary", name) << target << true;
    }
}

void TestSocketIoClient::serverAsksForAck()
{
    QFETCH(Target, target);
    QFETCH(bool, withBinary);
    SKIP_UNAVAILABLE(target);
    auto client = newClient();
    QVERIFY(connectClient(*client, target));

    const QByteArray questionBlob = bytes(100, 5);
    const QByteArray answerBlob = bytes(200, 9);
    QJsonArray questionArgs;
    QList<QByteArray> questionAttachments;
    if (withBinary) {
        questionArgs = {QJsonObject {{QStringLiteral("q"), sio::placeholder(0)}}};
        questionAttachments = {questionBlob};
    } else {
        questionArgs = {QJsonObject {{QStringLiteral("q"), QStringLiteral("how much?")}}};
    }

    std::optional<QJsonArray> seenArgs;
    QList<QByteArray> seenAttachments;
    bool secondSendRefused = false;
    client->on(QStringLiteral("question"), this,
        [&, withBinary](
            const QJsonArray &args, const QList<QByteArray> &attachments, const AckResponder &ack) {
            seenArgs = args;
            seenAttachments = attachments;
            QVERIFY(ack.isRequested());
            if (withBinary)
                QVERIFY(ack.send({sio::placeholder(0)}, {answerBlob}));
            else
                QVERIFY(ack.send({QJsonObject {{QStringLiteral("a"), 42}}}));
            secondSendRefused = !ack.send({QStringLiteral("again")});
        });
    QSignalSpy received(client.get(), &SocketIoClient::eventReceived);
    client->emitEvent(QStringLiteral("ask"), questionArgs, questionAttachments);

    QTRY_VERIFY_WITH_TIMEOUT(received.count() == 2, Wait); // question, then answer
    QVERIFY(seenArgs);
    QCOMPARE(*seenArgs, questionArgs);
    QCOMPARE(seenAttachments, questionAttachments);
    QVERIFY(secondSendRefused);
    QCOMPARE(received.at(0).at(0).toString(), QStringLiteral("question"));
    QCOMPARE(received.at(1).at(0).toString(), QStringLiteral("answer"));
    const QJsonArray answerArgs = received.at(1).at(1).toJsonArray();
    const auto answerAttachments = received.at(1).at(2).value<QList<QByteArray>>();
    if (withBinary) {
        QCOMPARE(answerArgs, QJsonArray {sio::placeholder(0)});
        QCOMPARE(answerAttachments, QList<QByteArray> {answerBlob});
    } else {
        const QJsonArray expected {QJsonObject {{QStringLiteral("a"), 42}}};
        QCOMPARE(answerArgs, expected);
        QVERIFY(answerAttachments.isEmpty());
    }
}

void TestSocketIoClient::binaryEventFromServer()
{
    QFETCH(Target, target);
    SKIP_UNAVAILABLE(target);
    auto client = newClient();
    QVERIFY(connectClient(*client, target));
    QSignalSpy received(client.get(), &SocketIoClient::eventReceived);

    const QList<QByteArray> blobs {bytes(1, 1), bytes(5000, 2)};
    const QJsonArray args {QStringLiteral("two blobs"), sio::placeholder(0),
        QJsonObject {{QStringLiteral("inner"), sio::placeholder(1)}}};
    client->emitEvent(QStringLiteral("emit-back"), args, blobs);
    QVERIFY(received.wait(Wait));
    QCOMPARE(received.at(0).at(0).toString(), QStringLiteral("echo-back"));
    const QJsonArray gotArgs = received.at(0).at(1).toJsonArray();
    const auto gotBlobs = received.at(0).at(2).value<QList<QByteArray>>();
    QCOMPARE(gotArgs, args);
    QCOMPARE(gotBlobs, blobs);
    QCOMPARE(sio::attachmentFor(gotArgs.at(1), gotBlobs), blobs.at(0));
    QCOMPARE(sio::attachmentFor(gotArgs.at(2).toObject().value(QStringLiteral("inner")), gotBlobs),
        blobs.at(1));
}

void TestSocketIoClient::emitBeforeConnected()
{
    QFETCH(Target, target);
    SKIP_UNAVAILABLE(target);
    auto client = newClient();
    QSignalSpy connected(client.get(), &SocketIoClient::connected);
    QSignalSpy received(client.get(), &SocketIoClient::eventReceived);
    client->connectToServer(urlFor(target), Nsp, authWith(token()));
    // both wait in the send buffer and go out, in order, once the namespace is connected
    client->emitEvent(QStringLiteral("emit-back"), {1});
    const AckSlot ack = emitAcked(*client, QStringLiteral("echo"), {2});
    QVERIFY(!client->isConnected());
    QTRY_VERIFY_WITH_TIMEOUT(ack->has_value() && received.count() == 1, Wait);
    QCOMPARE(connected.count(), 1);
    QVERIFY((*ack)->ok());
    QCOMPARE((*ack)->args, QJsonArray {2});
    QCOMPARE(received.at(0).at(1).toJsonArray(), QJsonArray {1});
}

void TestSocketIoClient::serverDisconnect()
{
    QFETCH(Target, target);
    SKIP_UNAVAILABLE(target);
    auto client = newClient();
    QVERIFY(connectClient(*client, target));
    QSignalSpy disconnected(client.get(), &SocketIoClient::disconnected);
    QSignalSpy reconnecting(client.get(), &SocketIoClient::reconnecting);
    const AckSlot pending = emitAcked(*client, QStringLiteral("nobody-listens"), {});
    client->emitEvent(QStringLiteral("disconnect-me"));
    QVERIFY(disconnected.wait(Wait));
    QCOMPARE(disconnected.at(0).at(0).toString(), QStringLiteral("io server disconnect"));
    QVERIFY(!client->isConnected());
    QVERIFY(client->id().isEmpty());
    QTRY_VERIFY(pending->has_value());
    QCOMPARE((*pending)->error, AckResult::Error::Disconnected);
    QCOMPARE(reconnecting.count(), 0); // none scheduled, none starts
    m_clock.advance(60000);
    QCoreApplication::processEvents();
    QCOMPARE(reconnecting.count(), 0);
    QVERIFY(!client->isConnected());
    if (target == Target::Jarvisd)
        QTRY_VERIFY(m_jarvisd->sio()->findNamespace(Nsp)->sockets().isEmpty());

    // emits are refused while no connection is wanted
    const AckSlot refused = emitAcked(*client, QStringLiteral("echo"), {});
    QTRY_VERIFY(refused->has_value());
    QCOMPARE((*refused)->error, AckResult::Error::NotConnected);

    // and the client can be connected again
    QVERIFY(connectClient(*client, target));
}

void TestSocketIoClient::clientDisconnect()
{
    QFETCH(Target, target);
    SKIP_UNAVAILABLE(target);
    auto serverReason = std::make_shared<QString>();
    if (target == Target::Jarvisd) {
        connect(m_jarvisd->sio()->findNamespace(Nsp), &realtime::Namespace::connected, this,
            [this, serverReason](SioSocket *socket) {
                connect(socket, &SioSocket::disconnected, this,
                    [serverReason](const QString &reason) { *serverReason = reason; });
            });
    }
    auto client = newClient();
    QVERIFY(connectClient(*client, target));
    QSignalSpy disconnected(client.get(), &SocketIoClient::disconnected);
    QSignalSpy reconnecting(client.get(), &SocketIoClient::reconnecting);
    const AckSlot pending = emitAcked(*client, QStringLiteral("nobody-listens"), {});
    client->disconnectFromServer();
    QCOMPARE(disconnected.count(), 1);
    QCOMPARE(disconnected.at(0).at(0).toString(), QStringLiteral("io client disconnect"));
    QVERIFY(pending->has_value());
    QCOMPARE((*pending)->error, AckResult::Error::Disconnected);
    QVERIFY(!client->isConnected());
    if (target == Target::Jarvisd) {
        // the DISCONNECT packet arrived before the WebSocket closed
        QTRY_COMPARE(*serverReason, QStringLiteral("client namespace disconnect"));
    }
    QCOMPARE(reconnecting.count(), 0); // none scheduled, none starts
    m_clock.advance(60000);
    QCoreApplication::processEvents();
    QCOMPARE(reconnecting.count(), 0);
    client->disconnectFromServer(); // idempotent
    QCOMPARE(disconnected.count(), 1);
}

// ---- jarvisd only --------------------------------------------------------------------------

void TestSocketIoClient::reconnectAfterServerRestart()
{
    std::unique_ptr<app::Application> server = startJarvisd();
    QVERIFY(server);
    const quint16 port = server->port();
    const QUrl url(QStringLiteral("http://127.0.0.1:%1").arg(port));

    SocketIoClient client;
    client.setReconnectDelays(100, 400);
    QSignalSpy connected(&client, &SocketIoClient::connected);
    QSignalSpy disconnected(&client, &SocketIoClient::disconnected);
    QSignalSpy reconnecting(&client, &SocketIoClient::reconnecting);
    QSignalSpy connectError(&client, &SocketIoClient::connectError);
    client.connectToServer(url, Nsp, authWith(token()));
    QVERIFY(connected.wait(Wait));
    const QString firstId = client.id();
    const AckSlot lost = emitAcked(client, QStringLiteral("nobody-listens"), {}, {}, 60000);

    // the server goes away: transport close, then attempts with growing delays
    server->shutdown();
    QVERIFY(disconnected.wait(Wait));
    QCOMPARE(disconnected.at(0).at(0).toString(), QStringLiteral("transport close"));
    QTRY_VERIFY(lost->has_value());
    QCOMPARE((*lost)->error, AckResult::Error::Disconnected);
    server.reset();
    QTRY_VERIFY_WITH_TIMEOUT(reconnecting.count() >= 3, Wait);
    QVERIFY(connectError.count() >= 2); // connection refused, each attempt
    for (int i = 0; i < reconnecting.count(); ++i) {
        const int attempt = reconnecting.at(i).at(0).toInt();
        const int delay = reconnecting.at(i).at(1).toInt();
        QCOMPARE(attempt, i + 1);
        const double base = 100.0 * (1 << (attempt - 1));
        QVERIFY2(delay >= std::min(base * 0.5, 400.0) && delay <= std::min(base * 1.5, 400.0),
            qPrintable(QStringLiteral("attempt %1: %2 ms").arg(attempt).arg(delay)));
    }
    QCOMPARE(connected.count(), 1);

    // emitted while reconnecting: buffered until the namespace is connected again
    const AckSlot buffered = emitAcked(client, QStringLiteral("echo"), {QStringLiteral("later")});

    // the server comes back on the same port: a new connection that carries the auth again
    server = startJarvisd(port);
    QVERIFY(server);
    QPointer<SioSocket> serverSide;
    connect(server->sio()->findNamespace(Nsp), &realtime::Namespace::connected, this,
        [&serverSide](SioSocket *socket) { serverSide = socket; });
    QVERIFY(connected.wait(Wait));
    QVERIFY(client.isConnected());
    QVERIFY(serverSide);
    QCOMPARE(serverSide->user(), Subject);
    QCOMPARE(serverSide->id(), client.id());
    QVERIFY(client.id() != firstId);
    QTRY_VERIFY_WITH_TIMEOUT(buffered->has_value(), Wait);
    QVERIFY((*buffered)->ok());
    QCOMPARE((*buffered)->args, QJsonArray {QStringLiteral("later")});

    // the backoff starts over after a successful reconnect
    const int before = reconnecting.count();
    server->shutdown();
    QVERIFY(reconnecting.wait(Wait));
    QCOMPARE(reconnecting.at(before).at(0).toInt(), 1);
    client.disconnectFromServer();
}

void TestSocketIoClient::maxPayloadRespected()
{
    std::unique_ptr<app::Application> server = startJarvisd(0, 2000);
    QVERIFY(server);
    SocketIoClient client;
    QSignalSpy connected(&client, &SocketIoClient::connected);
    QSignalSpy disconnected(&client, &SocketIoClient::disconnected);
    client.connectToServer(QUrl(server->url()), Nsp, authWith(token()));
    QVERIFY(connected.wait(Wait));
    QCOMPARE(client.maxPayload(), qint64(2000));

    // "42/test,N[\"echo\",\"...\"]" over 2000 bytes, and an attachment over 2000 bytes: not sent
    const AckSlot bigText = emitAcked(client, QStringLiteral("echo"), {QString(2000, u'x')});
    const AckSlot bigBlob =
        emitAcked(client, QStringLiteral("echo"), {sio::placeholder(0)}, {bytes(2001, 1)});
    // just under the limit: sent (the server would close the connection on anything larger)
    const AckSlot fits =
        emitAcked(client, QStringLiteral("echo"), {sio::placeholder(0)}, {bytes(2000, 1)});
    QTRY_VERIFY_WITH_TIMEOUT(
        bigText->has_value() && bigBlob->has_value() && fits->has_value(), Wait);
    QCOMPARE((*bigText)->error, AckResult::Error::PayloadTooLarge);
    QCOMPARE((*bigBlob)->error, AckResult::Error::PayloadTooLarge);
    QVERIFY2((*fits)->ok(), qPrintable((*fits)->errorString()));
    QCOMPARE((*fits)->attachments, QList<QByteArray> {bytes(2000, 1)});
    QVERIFY(client.isConnected());
    QCOMPARE(disconnected.count(), 0);
}

// ---- local checks and the fake server ------------------------------------------------------

void TestSocketIoClient::refusedLocally()
{
    SocketIoClient client;
    QSignalSpy connectError(&client, &SocketIoClient::connectError);
    client.connectToServer(QUrl(QStringLiteral("ftp://127.0.0.1:1")), Nsp, {});
    QCOMPARE(connectError.count(), 0); // never from inside the call
    QVERIFY(connectError.wait(Wait));
    QVERIFY(connectError.at(0).at(0).toString().contains(QLatin1String("unsupported")));

    bool calledInside = true;
    auto reserved = std::make_shared<std::optional<AckResult>>();
    client.emitEvent(
        QStringLiteral("disconnect"), {}, {}, this,
        [reserved](const AckResult &result) { *reserved = result; }, 1000);
    calledInside = reserved->has_value();
    QVERIFY(!calledInside);
    QTRY_VERIFY(reserved->has_value());
    QCOMPARE((*reserved)->error, AckResult::Error::InvalidPacket);

    // an attachment without its placeholder would make the server drop the connection
    const AckSlot unmatched =
        emitAcked(client, QStringLiteral("echo"), {1}, {QByteArray("blob")}, 1000);
    QTRY_VERIFY(unmatched->has_value());
    QCOMPARE((*unmatched)->error, AckResult::Error::InvalidPacket);

    // a destroyed context: the callback is never called
    auto called = std::make_shared<bool>(false);
    auto context = std::make_unique<QObject>();
    client.emitEvent(
        QStringLiteral("echo"), {}, {}, context.get(),
        [called](const AckResult &) { *called = true; }, 10);
    context.reset();
    const AckSlot later = emitAcked(client, QStringLiteral("echo"), {}, {}, 20);
    QTRY_VERIFY(later->has_value()); // completed after the first one would have been
    QCOMPARE((*later)->error, AckResult::Error::NotConnected);
    QVERIFY(!*called);
}

void TestSocketIoClient::handshakeRefused()
{
    SocketIoClient client;
    client.setPath(QStringLiteral("wrong")); // -> /wrong/: jarvisd answers the upgrade with 404
    client.setReconnectDelays(20, 100);
    QSignalSpy connectError(&client, &SocketIoClient::connectError);
    QSignalSpy reconnecting(&client, &SocketIoClient::reconnecting);
    client.connectToServer(urlFor(Target::Jarvisd), Nsp, authWith(token()));
    QVERIFY(connectError.wait(Wait));
    QVERIFY(!connectError.at(0).at(0).toString().isEmpty());
    QTRY_VERIFY(reconnecting.count() >= 2); // a refused handshake is retried, like a refused TCP
    QCOMPARE(reconnecting.at(0).at(0).toInt(), 1);
    QCOMPARE(reconnecting.at(1).at(0).toInt(), 2);
    QVERIFY(!client.isConnected());
    client.disconnectFromServer();
}

void TestSocketIoClient::requestAndConnectPacket()
{
    FakeServer fake;
    SocketIoClient client;
    QSignalSpy connected(&client, &SocketIoClient::connected);
    QSignalSpy disconnected(&client, &SocketIoClient::disconnected);
    client.connectToServer(fake.url(), Nsp, authWith(QStringLiteral("abc")));
    QVERIFY(connected.wait(Wait));
    QCOMPARE(client.id(), QStringLiteral("s0"));
    QCOMPARE(fake.requestUrls.size(), 1);
    const QUrl request = fake.requestUrls.first();
    QCOMPARE(request.path(), QStringLiteral("/socket.io/"));
    const QUrlQuery query(request);
    QCOMPARE(query.queryItemValue(QStringLiteral("EIO")), QStringLiteral("4"));
    QCOMPARE(query.queryItemValue(QStringLiteral("transport")), QStringLiteral("websocket"));
    QCOMPARE(fake.received, QByteArrayList {R"(40/test,{"token":"abc"})"});

    client.emitEvent(QStringLiteral("hi"), {1, sio::placeholder(0)}, {QByteArray("\x00\x01", 2)});
    client.disconnectFromServer();
    QTRY_COMPARE(fake.openSockets, 0); // closed cleanly, after what was written
    QCOMPARE(fake.received,
        (QByteArrayList {R"(40/test,{"token":"abc"})",
            R"(451-/test,["hi",1,{"_placeholder":true,"num":0}])", "41/test,"}));
    QCOMPARE(disconnected.count(), 1);
}

void TestSocketIoClient::pingsAnswered()
{
    FakeServer fake; // pingInterval 100 + pingTimeout 100: 200 ms without a ping end it
    core::ManualClock clock;
    SocketIoClient client(&clock, nullptr);
    QSignalSpy connected(&client, &SocketIoClient::connected);
    QSignalSpy disconnected(&client, &SocketIoClient::disconnected);
    client.connectToServer(fake.url(), Nsp, {});
    QVERIFY(connected.wait(Wait));
    QCOMPARE(fake.received.first(), QByteArray("40/test,"));
    // Five pings, each answered and each restarting the heartbeat: 5 x 150 ms pass without a
    // timeout, far more than the 200 ms one heartbeat allows.
    for (int i = 1; i <= 5; ++i) {
        fake.pingAll();
        QTRY_COMPARE_WITH_TIMEOUT(fake.received.count("3"), i, Wait);
        clock.advance(150);
        QCOMPARE(disconnected.count(), 0);
    }
    QVERIFY(client.isConnected());
    // The last ping was 150 ms ago: 50 more end the connection, not 49.
    clock.advance(49);
    QCOMPARE(disconnected.count(), 0);
    clock.advance(1);
    QCOMPARE(disconnected.count(), 1);
    QCOMPARE(disconnected.at(0).at(0).toString(), QStringLiteral("ping timeout"));
    client.disconnectFromServer();
}

void TestSocketIoClient::pingTimeout()
{
    FakeServer fake; // never pings
    core::ManualClock clock;
    SocketIoClient client(&clock, nullptr);
    client.setReconnectDelays(20, 100);
    QSignalSpy connected(&client, &SocketIoClient::connected);
    QSignalSpy disconnected(&client, &SocketIoClient::disconnected);
    QSignalSpy reconnecting(&client, &SocketIoClient::reconnecting);
    client.connectToServer(fake.url(), Nsp, {});
    QVERIFY(connected.wait(Wait));
    clock.advance(199); // pingInterval + pingTimeout = 200 ms
    QCOMPARE(disconnected.count(), 0);
    clock.advance(1);
    QCOMPARE(disconnected.count(), 1);
    QCOMPARE(disconnected.at(0).at(0).toString(), QStringLiteral("ping timeout"));
    QCOMPARE(reconnecting.count(), 1);
    const int delay = reconnecting.at(0).at(1).toInt(); // 20 ms +-50 %
    QVERIFY2(delay >= 10 && delay <= 30, qPrintable(QString::number(delay)));
    clock.advance(delay - 1);
    QCOMPARE(fake.connections, 1); // not before the delay
    clock.advance(1);
    QTRY_COMPARE_WITH_TIMEOUT(connected.count(), 2, Wait); // reconnected
    QCOMPARE(fake.connections, 2);
    QCOMPARE(fake.received.count("40/test,"), 2);
    client.disconnectFromServer();
}

void TestSocketIoClient::connectTimeout()
{
    FakeServer fake;
    fake.sendOpen = false;
    core::ManualClock clock;
    SocketIoClient client(&clock, nullptr);
    client.setConnectTimeout(150);
    client.setReconnectDelays(20, 100);
    QSignalSpy connectError(&client, &SocketIoClient::connectError);
    QSignalSpy reconnecting(&client, &SocketIoClient::reconnecting);
    client.connectToServer(fake.url(), Nsp, {});
    QTRY_COMPARE_WITH_TIMEOUT(fake.connections, 1, Wait); // the WebSocket is up, no open packet
    clock.advance(149);
    QCOMPARE(connectError.count(), 0);
    clock.advance(1);
    QCOMPARE(connectError.count(), 1);
    QCOMPARE(connectError.at(0).at(0).toString(), QStringLiteral("timeout"));
    QCOMPARE(reconnecting.count(), 1);
    clock.advance(reconnecting.at(0).at(1).toInt());
    QTRY_COMPARE_WITH_TIMEOUT(fake.connections, 2, Wait); // it tries again
    client.disconnectFromServer();
    QTRY_COMPARE(fake.openSockets, 0);
}

void TestSocketIoClient::malformedPackets_data()
{
    QTest::addColumn<QList<Frame>>("frames");
    QTest::addColumn<bool>("beforeConnect"); // sent right after the open packet
    QTest::addColumn<QByteArray>("openPacket"); // of the first connection; empty: a good one

    const QByteArray open = FakeServer::DefaultOpen;
    const auto row = [](const char *name, QList<Frame> frames, bool beforeConnect = false,
                         const QByteArray &openPacket = {}) {
        QTest::addRow("%s", name) << frames << beforeConnect << openPacket;
    };
    row("unknown engine.io type", {text("9")});
    row("empty text frame", {text("")});
    row("bad base64 binary", {text("b!!!")});
    row("second open packet", {text(open)});
    row("unknown socket.io type", {text("47/test,")});
    row("invalid json", {text(R"(42/test,["a",)")});
    row("trailing garbage", {text(R"(42/test,["a"]x)")});
    row("event data not an array", {text(R"(42/test,{"a":1})")});
    row("event name not a string", {text(R"(42/test,[1])")});
    row("reserved event name", {text(R"(42/test,["connect"])")});
    row("ack without id", {text(R"(43/test,[])")});
    row("disconnect with data", {text(R"(41/test,{})")});
    row("unexpected binary frame", {binary("\x01\x02")});
    row("binary event without placeholder", {text(R"(451-/test,["x"])"), binary("a")});
    row("text while an attachment is due",
        {text(R"(451-/test,["x",{"_placeholder":true,"num":0}])"), text(R"(42/test,["y"])")});
    row("placeholder out of range",
        {text(R"(451-/test,["x",{"_placeholder":true,"num":3}])"), binary("a")});
    row("too many attachments", {text(R"(499-/test,["x"])")});
    row("invalid open packet", {}, true, "0{}");
    row("open packet not json", {}, true, "0{sid");
    row("open packet with bad ping", {}, true,
        R"(0{"sid":"x","upgrades":[],"pingInterval":-1,"pingTimeout":100})");
    row("ping before open", {text("2")}, true, "6");
    row("message before open", {text(R"(42/test,["x"])")}, true, "6");
    row("connect answer without sid", {text("40/test,{}")}, true);
    row("connect answer not an object", {text("40/test,[1]")}, true);
}

void TestSocketIoClient::malformedPackets()
{
    QFETCH(QList<Frame>, frames);
    QFETCH(bool, beforeConnect);
    QFETCH(QByteArray, openPacket);

    FakeServer fake;
    fake.pingEveryMs = 50;
    fake.frames = frames;
    fake.framesBeforeConnect = beforeConnect;
    fake.answerConnect = !beforeConnect;
    fake.firstOpenPacket = openPacket;
    SocketIoClient client;
    client.setReconnectDelays(20, 100);
    QSignalSpy connected(&client, &SocketIoClient::connected);
    QSignalSpy disconnected(&client, &SocketIoClient::disconnected);
    QSignalSpy connectError(&client, &SocketIoClient::connectError);
    QSignalSpy received(&client, &SocketIoClient::eventReceived);
    client.connectToServer(fake.url(), Nsp, {});
    if (beforeConnect) {
        QVERIFY(connectError.wait(Wait));
        QCOMPARE(connectError.at(0).at(0).toString(), QStringLiteral("parse error"));
        QCOMPARE(connected.count(), 0);
        fake.answerConnect = true; // the next connection is a good one
    } else {
        QVERIFY(disconnected.wait(Wait));
        QCOMPARE(disconnected.at(0).at(0).toString(), QStringLiteral("parse error"));
        QCOMPARE(connected.count(), 1);
    }
    QCOMPARE(received.count(), 0);
    // the connection is dropped and a new one made, which works
    QTRY_COMPARE_WITH_TIMEOUT(fake.connections, 2, Wait);
    QTRY_VERIFY_WITH_TIMEOUT(client.isConnected(), Wait);
    QCOMPARE(client.id(), QStringLiteral("s1"));
    QTRY_COMPARE(fake.openSockets, 1);
}

// A raw handler gets the arguments as JSON text (the name blanked out of the packet); taken, the
// event reaches neither the on() handler nor eventReceived; declined, it is decoded as usual.
void TestSocketIoClient::rawEvent()
{
    QFETCH(Target, target);
    SKIP_UNAVAILABLE(target);
    auto client = newClient();
    QVERIFY(connectClient(*client, target));
    QSignalSpy received(client.get(), &SocketIoClient::eventReceived);
    QList<QByteArray> rawSeen;
    bool take = true;
    QVERIFY(client->onRaw(QStringLiteral("echo-back"), this, [&](QByteArrayView args) {
        rawSeen.append(args.toByteArray());
        return take;
    }));
    int decodedSeen = 0;
    client->on(QStringLiteral("echo-back"), this,
        [&](const QJsonArray &, const QList<QByteArray> &, const AckResponder &) {
            ++decodedSeen;
        });

    const QJsonArray args {QJsonArray {QJsonObject {{QStringLiteral("vmid"), 100},
                               {QStringLiteral("node"), QStringLiteral("pv\u00e9 \"1\"")}}},
        QStringLiteral("second"), 1.5, QJsonValue::Null};
    client->emitEvent(QStringLiteral("emit-back"), args);
    QTRY_COMPARE_WITH_TIMEOUT(rawSeen.size(), 1, Wait);
    const std::optional<QJsonValue> text = json::read(rawSeen.at(0));
    QVERIFY2(text.has_value(), rawSeen.at(0).constData());
    QCOMPARE(text->toArray(), args);
    QVERIFY(rawSeen.at(0).startsWith('['));

    // no arguments at all: an empty array
    client->emitEvent(QStringLiteral("emit-back"), {});
    QTRY_COMPARE_WITH_TIMEOUT(rawSeen.size(), 2, Wait);
    QCOMPARE(json::read(rawSeen.at(1)), std::optional<QJsonValue>(QJsonArray()));

    // declined: decoded as usual
    take = false;
    client->emitEvent(QStringLiteral("emit-back"), args);
    QTRY_COMPARE_WITH_TIMEOUT(received.count(), 1, Wait);
    QCOMPARE(rawSeen.size(), 3);
    QCOMPARE(decodedSeen, 1);
    QCOMPARE(received.at(0).at(1).toJsonArray(), args);

    // gone: decoded as usual without asking
    client->offRaw(QStringLiteral("echo-back"));
    client->emitEvent(QStringLiteral("emit-back"), args);
    QTRY_COMPARE_WITH_TIMEOUT(received.count(), 2, Wait);
    QCOMPARE(rawSeen.size(), 3);
    QCOMPARE(decodedSeen, 2);

    // names a raw handler cannot have
    const auto never = [](QByteArrayView) { return true; };
    QVERIFY(!client->onRaw(QStringLiteral("connect"), this, never));
    QVERIFY(!client->onRaw(QStringLiteral("a\"b"), this, never));
    QVERIFY(!client->onRaw(QStringLiteral("caf\u00e9"), this, never));
    QVERIFY(!client->onRaw(QString(), this, never));
}

// Binary events and events that ask for an ack are decoded as usual: the raw handler never sees
// them.
void TestSocketIoClient::rawEventNotForUnusualPackets()
{
    QFETCH(Target, target);
    SKIP_UNAVAILABLE(target);
    auto client = newClient();
    QVERIFY(connectClient(*client, target));
    QSignalSpy received(client.get(), &SocketIoClient::eventReceived);
    int rawSeen = 0;
    const auto raw = [&](QByteArrayView) {
        ++rawSeen;
        return true;
    };
    QVERIFY(client->onRaw(QStringLiteral("echo-back"), this, raw));
    QVERIFY(client->onRaw(QStringLiteral("question"), this, raw));
    bool askedForAck = false;
    client->on(QStringLiteral("question"), this,
        [&](const QJsonArray &, const QList<QByteArray> &, const AckResponder &ack) {
            askedForAck = ack.isRequested();
            ack.send({1});
        });

    const QList<QByteArray> blobs {bytes(10, 3)};
    client->emitEvent(QStringLiteral("emit-back"), {sio::placeholder(0)}, blobs);
    QTRY_COMPARE_WITH_TIMEOUT(received.count(), 1, Wait);
    QCOMPARE(received.at(0).at(2).value<QList<QByteArray>>(), blobs);

    client->emitEvent(QStringLiteral("ask"), {QStringLiteral("q")});
    QTRY_COMPARE_WITH_TIMEOUT(received.count(), 3, Wait); // question, then answer
    QVERIFY(askedForAck);
    QCOMPARE(rawSeen, 0);
}

// A raw handler that declines a malformed packet leaves it to the decoder, which closes the
// connection as for any malformed packet; packets for another namespace or with an ack id never
// reach it.
void TestSocketIoClient::rawEventDeclinedIsDecoded()
{
    FakeServer fake;
    fake.pingEveryMs = 50;
    fake.frames = {text(R"(42/test,["vms",[{"vmid":1,"node":"a"}]])"),
        text(R"(42/other,["vms",[{"vmid":2,"node":"a"}]])"),
        text(R"(42/test,7["vms",[{"vmid":3,"node":"a"}]])"),
        text(R"(42/test,[ "vms" , [{"vmid":4,"node":"a"}] ])"),
        text(R"(42/test,["vms",[{"vmid":5,"node":"a"},]])")};
    SocketIoClient client;
    client.setReconnectDelays(20, 100);
    QSignalSpy disconnected(&client, &SocketIoClient::disconnected);
    QList<QList<model::VmData>> rawRows;
    int rawDeclined = 0;
    QVERIFY(client.onRaw(QStringLiteral("vms"), this, [&](QByteArrayView args) {
        std::optional<QList<model::VmData>> rows = model::vmsFromEventArgsJson(args);
        if (!rows) {
            ++rawDeclined;
            return false;
        }
        rawRows.append(*rows);
        return true;
    }));
    QList<QJsonArray> decoded;
    client.on(QStringLiteral("vms"), this,
        [&](const QJsonArray &args, const QList<QByteArray> &, const AckResponder &ack) {
            QVERIFY(ack.isRequested());
            decoded.append(args);
        });
    client.connectToServer(fake.url(), Nsp, {});
    QVERIFY(disconnected.wait(Wait));
    QCOMPARE(disconnected.at(0).at(0).toString(), QStringLiteral("parse error"));
    QCOMPARE(rawRows.size(), 2);
    QCOMPARE(rawRows.at(0).size(), 1);
    QCOMPARE(rawRows.at(0).at(0).vmid, 1);
    QCOMPARE(rawRows.at(1).at(0).vmid, 4);
    QCOMPARE(rawDeclined, 1);
    QCOMPARE(decoded.size(), 1); // the one with an ack id
    QCOMPARE(decoded.at(0).at(0).toArray().at(0).toObject().value(QStringLiteral("vmid")), 3);
}

QTEST_GUILESS_MAIN(TestSocketIoClient)

#include "tst_socketioclient.moc"
