#include "http/metricsendpoint.h"

#include "http/httpapi.h"

#include <QHttpServerResponder>
#include <QTcpSocket>

namespace jarvis::http {

bool isLoopbackPeer(const QHostAddress &peer)
{
    bool mapped = false;
    const quint32 v4 = peer.toIPv4Address(&mapped); // also unwraps ::ffff:a.b.c.d
    if (mapped)
        return (v4 >> 24) == 127;
    return peer.protocol() == QAbstractSocket::IPv6Protocol && peer == QHostAddress::LocalHostIPv6;
}

MetricsEndpoint::Verdict MetricsEndpoint::check(
    const QList<auth::ApiKey> &tokens, const QByteArray &authorization, const QHostAddress &peer)
{
    if (tokens.isEmpty())
        return isLoopbackPeer(peer) ? Verdict::Allowed : Verdict::Forbidden;
    // "Bearer <key>", the scheme case-insensitive (RFC 9110 section 11.1), as auth::checkBearer.
    if (authorization.size() <= 7 || authorization.left(7).toLower() != "bearer ")
        return Verdict::Unauthorized;
    return auth::matchApiKey(authorization.mid(7).trimmed(), tokens) ? Verdict::Allowed
                                                                     : Verdict::Unauthorized;
}

void MetricsEndpoint::install(HttpApi *http, QList<auth::ApiKey> tokens,
    std::function<QByteArray()> render, QByteArray contentType)
{
    http->route(HttpApi::Method::Get, QStringLiteral("/metrics"), HttpApi::Access::Public,
        [tokens = std::move(tokens), render = std::move(render),
            contentType = std::move(contentType)](const QHttpServerRequest &request,
            QHttpServerResponder &&responder, const RequestContext &context) {
            const QHostAddress peer =
                context.socket ? context.socket->peerAddress() : QHostAddress();
            switch (check(tokens, request.value("authorization"), peer)) {
            case Verdict::Unauthorized:
                writeJson(responder, 401,
                    QJsonDocument(
                        QJsonObject {{QStringLiteral("error"), QStringLiteral("unauthorized")},
                            {QStringLiteral("reason"),
                                QStringLiteral("a [metrics] token is configured: send it as "
                                               "Authorization: Bearer <key>")}}),
                    context.cors + HeaderList {{"WWW-Authenticate", "Bearer"}});
                return;
            case Verdict::Forbidden:
                writeJson(responder, 403,
                    QJsonDocument(
                        errorBody(QStringLiteral("no [metrics] token is configured: only loopback "
                                                 "clients may read /metrics"))),
                    context.cors);
                return;
            case Verdict::Allowed:
                break;
            }
            writeResponse(responder, 200, contentType, render(), context.cors);
        });
}

} // namespace jarvis::http
