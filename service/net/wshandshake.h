#pragma once

#include "net/httphead.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>
#include <QString>

#include <optional>

// The server side of the RFC 6455 opening handshake, with permessage-deflate (RFC 7692)
// negotiation. Pure functions, no I/O. The request head it checks was parsed once, by
// net::parseHead (net/httphead.h), before it gets here.
namespace jarvis::net::ws {

// One offer (or response element) of a Sec-WebSocket-Extensions header.
struct ExtensionParam
{
    QByteArray name;
    std::optional<QByteArray> value; // unquoted; nullopt for a bare parameter
};
struct ExtensionOffer
{
    QByteArray name;
    QList<ExtensionParam> params;
};

// Parses a Sec-WebSocket-Extensions value (RFC 6455 9.1 grammar, quoted values allowed and
// unescaped, as ws parses it). nullopt when the header is syntactically invalid.
std::optional<QList<ExtensionOffer>> parseExtensions(QByteArrayView header);

// The server's permessage-deflate policy.
struct DeflatePolicy
{
    bool enabled = true;
    // Ask clients to compress with at most this window (8..15). Offers without
    // client_max_window_bits are still accepted (inflated with 15 bits).
    int clientMaxWindowBits = 15;
    // Always ask clients not to keep context between messages (saves the inflate window
    // between messages). Echoed anyway when a client offers it.
    bool clientNoContextTakeover = false;
};

// The outcome of negotiating permessage-deflate with one client.
struct DeflateParams
{
    bool enabled = false;
    int clientMaxWindowBits = 15; // window to inflate with
    bool clientNoContextTakeover = false;
    QByteArray response; // Sec-WebSocket-Extensions value to send (empty when not enabled)
};

// Picks the first acceptable permessage-deflate offer. The server always compresses without
// context takeover and with a 15-bit window (a broadcast frame is compressed once for every
// client), so the response carries server_no_context_takeover, and offers that ask for
// server_max_window_bits below 15 are declined. Offers with unknown, repeated or malformed
// parameters are skipped; the next offer is tried.
DeflateParams negotiateDeflate(const QList<ExtensionOffer> &offers, const DeflatePolicy &policy);
// Same, from the raw header value(s); a syntactically invalid header means no compression.
DeflateParams negotiateDeflate(QByteArrayView extensionsHeader, const DeflatePolicy &policy);

// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
QByteArray computeAcceptKey(QByteArrayView key);

struct HandshakeResult
{
    int status = 0; // 101 when upgraded, else the HTTP error status
    QString error; // why the upgrade was refused
    QByteArray response; // the complete response to write (101 or error, with body)
    DeflateParams deflate;

    bool ok() const { return status == 101; }
};

// A complete "Connection: close" error response with a text/plain body.
QByteArray errorResponse(int status, const QString &message, const HeaderList &extraHeaders = {});

// Validates an upgrade request: GET (405), HTTP/1.1 (400), Upgrade: websocket (400),
// Connection containing "upgrade" (400), Sec-WebSocket-Key the base64 of 16 bytes (400),
// Sec-WebSocket-Version 13 (426, with "Sec-WebSocket-Version: 13"). Subprotocols are not
// supported (Sec-WebSocket-Protocol is ignored). `headers` have lower-cased names; repeated
// Connection / Sec-WebSocket-Extensions lines are combined.
HandshakeResult processHandshake(QByteArrayView method, QByteArrayView version,
    const HeaderList &headers, const DeflatePolicy &policy = {});

} // namespace jarvis::net::ws
