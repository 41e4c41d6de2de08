#pragma once

#include <QString>
#include <QUrl>

namespace jarvis::console::storage {

// Where the desktop console keeps what it remembers, in one place for the console and for
// `jarvis-setup --console` (which fills the same places): the last server's URL in QSettings
// (organization `Organization`, application `Application`, key `LastServerKey`), the session
// token in the keychain (KeychainSecretStore's default service, key tokenKey()), and the pinned
// server certificates in pinFile().
inline constexpr char Organization[] = "jarvis";
inline constexpr char Application[] = "jarvis-console";
inline constexpr char LastServerKey[] = "lastServer";

// "http(s)://host[:port]" from what a user typed (no scheme = http); empty when it is not a
// server address (other schemes, user info, a path, a query or a fragment).
QUrl normaliseServer(const QString &text);
// The keychain key of the token for a server (as normaliseServer() returns it).
QString tokenKey(const QUrl &server);
// $XDG_DATA_HOME/jarvis/jarvis-console/tls-pins: the console's AppDataLocation + "/tls-pins",
// whatever the running program's own name is.
QString pinFile();

} // namespace jarvis::console::storage
