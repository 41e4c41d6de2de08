#pragma once

#include <QString>

namespace jarvis::core {
class Clock;
}

namespace jarvis::ssh {

// Where and how one Connection logs in. Host keys are matched in `knownHostsFile` only (never
// ~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts or ~/.ssh/config) under the configured `host` as
// written (name or address) and the port: "host" for port 22, "[host]:port" otherwise, exactly as
// OpenSSH's ssh writes them (OpenSSH's CheckHostIP=no; hashed entries and patterns work).
struct ConnectionOptions
{
    QString host; // name or address; a name is resolved with QHostInfo
    int port = 22;
    QString user; // empty: the local user name
    QString keyFile; // private key (OpenSSH or PEM format, not encrypted)
    QString knownHostsFile; // required; written to on first use when !strictHostKeys
    bool strictHostKeys = true; // false: trust an unknown key on first use (and record it)
    int connectTimeoutMs = 10000; // resolve + TCP + key exchange + host key check
    int authTimeoutMs = 10000;
    int keepaliveMs = 30000; // SSH keepalive interval; 3 intervals of silence = dropped; 0 = off
    // The connect and authentication deadlines, the keepalive and the silence measured on it;
    // null: core::Clock::system(). Not owned; outlives the connection.
    core::Clock *clock = nullptr;
};

} // namespace jarvis::ssh
