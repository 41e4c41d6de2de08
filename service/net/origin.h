#pragma once

#include <QString>

#include <optional>

namespace jarvis::net {

// The one origin normaliser (RFC 6454 section 6.1 serialisation), for the configured allow-list
// (config validation) and for the Origin a browser sends (http::OriginPolicy: REST, Engine.IO
// polling and WebSocket upgrades): "scheme://host[:port]" with scheme and host lower-cased, an
// IPv6 host in brackets, the scheme's default port (80 for http, 443 for https) dropped and any
// other port kept; surrounding whitespace and one trailing "/" are tolerated and dropped.
// nullopt for anything that is not such an origin: a scheme other than http(s), no host, user
// info, a path, a query or fragment, a bad port, "null".
//   "HTTPS://Jarvis.LAN:443/" -> "https://jarvis.lan"; "http://[FD00::1]:8080" ->
//   "http://[fd00::1]:8080"; "https://a.lan/app" -> nullopt.
std::optional<QString> normaliseOrigin(const QString &text);

} // namespace jarvis::net
