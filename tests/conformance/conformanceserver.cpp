// jarvis-conformance-server: jarvisd's Application (front door, REST layer, Engine.IO and
// Socket.IO servers from jarvis_service) with the profile that the official test suites of
// socketio/engine.io-protocol and socketio/socket.io-protocol expect (docs/CONFORMANCE.md):
//
//   - 127.0.0.1:3000 (--port N, --listen ADDR to override)
//   - pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1000000, connectTimeout 1000 ms
//   - /engine.io/: a raw Engine.IO server that echoes every message, text or binary
//   - /socket.io/: Socket.IO with the namespaces "/" and "/custom" of the suites' reference
//     server: on connect, emit "auth" with the CONNECT payload; on "/", "message" is emitted back
//     as "message-back" and "message-with-ack" is acknowledged with its own arguments.
#include "app/application.h"
#include "app/runner.h"
#include "config/config.h"
#include "core/random.h"
#include "realtime/engineserver.h"
#include "realtime/enginesocket.h"
#include "realtime/sioserver.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QLoggingCategory>

#include <csignal>
#include <cstdio>

using jarvis::realtime::AckCallback;
using jarvis::realtime::EngineSocket;
using jarvis::realtime::Message;
using jarvis::realtime::Namespace;
using jarvis::realtime::SioSocket;

namespace {

jarvis::config::Config conformanceConfig(const QString &listen, int port)
{
    jarvis::config::Config config;
    config.listen = listen;
    config.port = port;
    config.pingInterval = 300;
    config.pingTimeout = 200;
    config.maxPayload = 1000000;
    config.connectTimeout = 1000;
    // As the reference engine.io server (perMessageDeflate is off by default there): the suites'
    // ws client compresses asynchronously when it is negotiated, which reorders its WebSocket
    // frames against its HTTP requests in the upgrade tests.
    config.perMessageDeflate = false;
    // The REST layer needs credentials; nothing here uses them.
    config.jwtSecret = jarvis::randomToken(32).toLatin1();
    config.adminPassword = jarvis::randomToken(16);
    return config;
}

void emitAuthOnConnect(Namespace *nsp)
{
    QObject::connect(nsp, &Namespace::connected, nsp, [](SioSocket *socket) {
        socket->emitEvent(QStringLiteral("auth"), Message::of(socket->auth()));
    });
}

void addSocketIoNamespaces(jarvis::app::Application &application)
{
    Namespace *main = application.sio()->addNamespace(QStringLiteral("/"));
    emitAuthOnConnect(main);
    main->on(QStringLiteral("message"),
        [](SioSocket *socket, const Message &message, const AckCallback &) {
            socket->emitEvent(QStringLiteral("message-back"), message);
        });
    main->on(QStringLiteral("message-with-ack"),
        [](SioSocket *, const Message &message, const AckCallback &ack) {
            if (ack)
                ack(message);
        });
    emitAuthOnConnect(application.sio()->addNamespace(QStringLiteral("/custom")));
}

void addEngineIoEcho(jarvis::app::Application &application)
{
    const jarvis::config::Config &config = application.config();
    jarvis::realtime::EngineOptions options;
    options.path = "/engine.io/";
    options.pingInterval = config.pingInterval;
    options.pingTimeout = config.pingTimeout;
    options.maxPayload = config.maxPayload;
    options.permessageDeflate = config.perMessageDeflate;
    jarvis::realtime::EngineServer *engine = application.addEngineServer(options);
    QObject::connect(
        engine, &jarvis::realtime::EngineServer::connection, engine, [](EngineSocket *socket) {
            QObject::connect(socket, &EngineSocket::textMessage, socket,
                [socket](const QByteArray &data) { socket->sendText('4' + data); });
            QObject::connect(socket, &EngineSocket::binaryMessage, socket,
                [socket](const QByteArray &data) { socket->sendBinary(data); });
        });
}

} // namespace

int main(int argc, char **argv)
{
    jarvis::app::prepareProcess();
    QCoreApplication qapp(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("jarvis-conformance-server"));
    if (qEnvironmentVariableIsEmpty("QT_LOGGING_RULES"))
        QLoggingCategory::setFilterRules(QStringLiteral("*.debug=false"));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("jarvisd's Engine.IO/Socket.IO stack with the profile of the official "
                       "protocol test suites."));
    parser.addHelpOption();
    const QCommandLineOption portOption(QStringLiteral("port"),
        QStringLiteral("TCP port (default 3000)."), QStringLiteral("N"), QStringLiteral("3000"));
    const QCommandLineOption listenOption(QStringLiteral("listen"),
        QStringLiteral("Address to listen on (default 127.0.0.1)."), QStringLiteral("ADDR"),
        QStringLiteral("127.0.0.1"));
    parser.addOption(portOption);
    parser.addOption(listenOption);
    parser.process(qapp);
    bool ok = false;
    const int port = parser.value(portOption).toInt(&ok);
    if (!ok || port < 0 || port > 65535) {
        std::fprintf(stderr, "jarvis-conformance-server: --port needs a number from 0 to 65535\n");
        return 2;
    }

    jarvis::app::Application application(conformanceConfig(parser.value(listenOption), port));
    addSocketIoNamespaces(application);
    addEngineIoEcho(application);
    QString error;
    if (!application.start(&error)) {
        std::fprintf(stderr, "jarvis-conformance-server: %s\n", qPrintable(error));
        return 1;
    }
    std::signal(SIGPIPE, SIG_IGN);
    std::printf("jarvis-conformance-server: listening on %s (Engine.IO echo at /engine.io/, "
                "Socket.IO at /socket.io/)\n",
        qPrintable(application.url()));
    std::fflush(stdout);
    return QCoreApplication::exec();
}
