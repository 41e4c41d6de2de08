// jarvis-test-server: jarvisd exactly (same command line, configuration, routes and namespaces)
// plus a JWT-protected /test namespace with echo behaviour for the interop suite.
#include "app/application.h"
#include "app/runner.h"
#include "realtime/sioserver.h"

#include <QJsonValue>
#include <QPointer>
#include <QTimer>

using jarvis::realtime::AckCallback;
using jarvis::realtime::Message;
using jarvis::realtime::SioSocket;

namespace {

void addTestNamespace(jarvis::app::Application &application)
{
    jarvis::realtime::Namespace *nsp = application.addProtectedNamespace(QStringLiteral("/test"));
    auto *ticker = new QTimer(nsp);
    auto tick = std::make_shared<int>(0);
    QObject::connect(ticker, &QTimer::timeout, nsp, [nsp, tick] {
        nsp->broadcast(QStringLiteral("tick"), Message {QJsonArray {++*tick}, {}});
    });

    nsp->on(
        QStringLiteral("echo"), [](SioSocket *, const Message &message, const AckCallback &ack) {
            if (ack)
                ack(message);
        });
    nsp->on(QStringLiteral("emit-back"),
        [](SioSocket *socket, const Message &message, const AckCallback &) {
            socket->emitEvent(QStringLiteral("echo-back"), message);
        });
    nsp->on(
        QStringLiteral("ask"), [](SioSocket *socket, const Message &message, const AckCallback &) {
            QPointer<SioSocket> guard(socket);
            socket->emitEvent(QStringLiteral("question"), message, [guard](const Message &reply) {
                if (guard)
                    guard->emitEvent(QStringLiteral("answer"), reply);
            });
        });
    nsp->on(QStringLiteral("disconnect-me"),
        [](SioSocket *socket, const Message &, const AckCallback &) {
            socket->disconnectFromNamespace();
        });
    nsp->on(QStringLiteral("broadcast"),
        [nsp](SioSocket *, const Message &message, const AckCallback &) {
            nsp->broadcast(QStringLiteral("broadcasted"), message);
        });
    nsp->on(QStringLiteral("start-ticks"),
        [ticker, tick](SioSocket *, const Message &message, const AckCallback &ack) {
            const int interval =
                message.args.at(0).toObject().value(QStringLiteral("intervalMs")).toInt(50);
            *tick = 0;
            ticker->start(qBound(5, interval, 60000));
            if (ack)
                ack(Message {QJsonArray {true}, {}});
        });
    nsp->on(QStringLiteral("stop-ticks"),
        [ticker](SioSocket *, const Message &, const AckCallback &ack) {
            ticker->stop();
            if (ack)
                ack(Message {QJsonArray {true}, {}});
        });
}

} // namespace

int main(int argc, char **argv)
{
    return jarvis::app::run(argc, argv, &addTestNamespace);
}
