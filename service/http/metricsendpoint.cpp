#include "http/metricsendpoint.h"

#include "auth/bearer.h"
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

bool isLoopbackHost(const QByteArray &host)
{
    // The Host check is against DNS rebinding, which takes a browser, and browsers always name
    // the host. An empty value (HTTP/1.0 without Host, or "Host:" with nothing; HTTP/1.1 without
    // any is refused by the front door) comes from a local program, which the peer check covers.
    if (host.isEmpty())
        return true;
    QByteArray name = host;
    if (name.startsWith('[')) { // [v6]:port
        const qsizetype close = name.indexOf(']');
        if (close < 0 || (close + 1 < name.size() && name.at(close + 1) != ':'))
            return false;
        name = name.mid(1, close - 1);
    } else if (const qsizetype colon = name.lastIndexOf(':'); colon >= 0) {
        if (name.indexOf(':') != colon)
            return false; // a bare IPv6 address is no valid Host
        name.truncate(colon);
    }
    if (name.compare("localhost", Qt::CaseInsensitive) == 0)
        return true;
    QHostAddress address;
    return address.setAddress(QString::fromLatin1(name)) && isLoopbackPeer(address);
}

MetricsEndpoint::Verdict MetricsEndpoint::check(const QList<auth::ApiKey> &tokens,
    const QByteArray &authorization, const QHostAddress &peer, const QByteArray &host)
{
    if (tokens.isEmpty())
        return isLoopbackPeer(peer) && isLoopbackHost(host) ? Verdict::Allowed : Verdict::Forbidden;
    const QByteArray key = auth::bearerToken(authorization);
    return !key.isEmpty() && auth::matchApiKey(key, tokens) ? Verdict::Allowed
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
            switch (check(tokens, request.value("authorization"), peer, request.value("host"))) {
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
                                                 "clients naming a loopback host may read "
                                                 "/metrics"))),
                    context.cors);
                return;
            case Verdict::Allowed:
                break;
            }
            writeResponse(responder, 200, contentType, render(), context.cors);
        });
}

} // namespace jarvis::http
