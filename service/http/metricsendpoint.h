#pragma once

#include "auth/apikey.h"

#include <QByteArray>
#include <QHostAddress>
#include <QList>

#include <functional>

namespace jarvis::http {

class HttpApi;

// GET /metrics (PROTOCOL.md section 4): the text that `render` writes (the Prometheus text
// format), for a scraper. Who may read it: with [metrics] token keys configured, a request whose
// `Authorization: Bearer <key>` matches one of them (auth::matchApiKey, constant time), 401
// otherwise; with none configured, loopback peers only, and only under a loopback Host (a browser
// page whose name an attacker rebound to 127.0.0.1 sends its own name), 403 for the rest. HEAD
// answers the same headers without the body; other methods 405 (the route table). The Origin
// rule of every route applies too. Main thread.
class MetricsEndpoint
{
public:
    enum class Verdict { Allowed, Unauthorized, Forbidden };

    // Adds the route to `http`. `render` is called once per allowed request.
    static void install(HttpApi *http, QList<auth::ApiKey> tokens,
        std::function<QByteArray()> render, QByteArray contentType);

    // The access rule above, for one request's Authorization and Host header values and its peer.
    static Verdict check(const QList<auth::ApiKey> &tokens, const QByteArray &authorization,
        const QHostAddress &peer, const QByteArray &host);
};

// 127.0.0.0/8, ::1, and both as IPv4-mapped IPv6 (::ffff:127.x.y.z), which a dual-stack
// listener reports for IPv4 peers.
bool isLoopbackPeer(const QHostAddress &peer);

// A Host header value naming the loopback: "localhost" or a loopback address (isLoopbackPeer),
// with or without a port. An absent Host counts as loopback (no browser sends a request without).
bool isLoopbackHost(const QByteArray &host);

} // namespace jarvis::http
