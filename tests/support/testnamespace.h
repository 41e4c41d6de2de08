#pragma once

// The /test namespace of the interop and client tests (the same events as the npm reference server
// in tests/interop/reference-server.mjs): echo, emit-back, ask/question/answer, disconnect-me,
// broadcast, start-ticks/stop-ticks. Used by jarvis-test-server and tst_socketioclient.
#include "app/application.h"
#include "realtime/sioserver.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QPointer>
#include <QTimer>

#include <memory>

namespace jarvis::testing {

inline void addTestNamespace(jarvis::app::Application &application)
{
    jarvis::realtime::Namespace *nsp = application.addProtectedNamespace(QStringLiteral("/test"));
    auto *ticker = new QTimer(nsp);
    auto tick = std::make_shared<int>(0);
    QObject::connect(ticker, &QTimer::timeout, nsp, [nsp, tick] {
        nsp->broadcast(QStringLiteral("tick"), jarvis::realtime::Message::of(++*tick));
    });

    nsp->on(QStringLiteral("echo"),
        [](jarvis::realtime::SioSocket *, const jarvis::realtime::Message &message,
            const jarvis::realtime::AckCallback &ack) {
            if (ack)
                ack(message);
        });
    nsp->on(QStringLiteral("emit-back"),
        [](jarvis::realtime::SioSocket *socket, const jarvis::realtime::Message &message,
            const jarvis::realtime::AckCallback &) {
            socket->emitEvent(QStringLiteral("echo-back"), message);
        });
    nsp->on(QStringLiteral("ask"),
        [](jarvis::realtime::SioSocket *socket, const jarvis::realtime::Message &message,
            const jarvis::realtime::AckCallback &) {
            QPointer<jarvis::realtime::SioSocket> guard(socket);
            socket->emitEvent(QStringLiteral("question"), message,
                [guard](const jarvis::realtime::Message &reply) {
                    if (guard)
                        guard->emitEvent(QStringLiteral("answer"), reply);
                });
        });
    nsp->on(QStringLiteral("disconnect-me"),
        [](jarvis::realtime::SioSocket *socket, const jarvis::realtime::Message &,
            const jarvis::realtime::AckCallback &) { socket->disconnectFromNamespace(); });
    nsp->on(QStringLiteral("broadcast"),
        [nsp](jarvis::realtime::SioSocket *, const jarvis::realtime::Message &message,
            const jarvis::realtime::AckCallback &) {
            nsp->broadcast(QStringLiteral("broadcasted"), message);
        });
    nsp->on(QStringLiteral("start-ticks"),
        [ticker, tick](jarvis::realtime::SioSocket *, const jarvis::realtime::Message &message,
            const jarvis::realtime::AckCallback &ack) {
            const int interval =
                message.args.at(0).toObject().value(QStringLiteral("intervalMs")).toInt(50);
            *tick = 0;
            ticker->start(qBound(5, interval, 60000));
            if (ack)
                ack(jarvis::realtime::Message::of(true));
        });
    nsp->on(QStringLiteral("stop-ticks"),
        [ticker](jarvis::realtime::SioSocket *, const jarvis::realtime::Message &,
            const jarvis::realtime::AckCallback &ack) {
            ticker->stop();
            if (ack)
                ack(jarvis::realtime::Message::of(true));
        });
}

} // namespace jarvis::testing
