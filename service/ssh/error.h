#pragma once

#include <QString>

#include <optional>
#include <utility>

namespace jarvis::ssh {

// One error type for everything that can go wrong on an SSH connection or channel. `message` is
// one line saying what failed and where (host:port, user, node), ready to show to a user.
struct Error
{
    enum class Kind {
        Resolve, // the host name did not resolve
        Connect, // TCP connect refused/unreachable, or the SSH handshake failed
        HostKey, // server key unknown (strict mode), changed, or of another type
        Auth, // private key unreadable, or refused by the server
        Channel, // opening a channel or one of its requests (pty, shell, exec) failed
        Dropped, // an established connection ended (EOF, reset, keepalive, closed)
        Timeout, // a deadline expired (connect, authentication, command)
        NotConfigured, // unknown node, or SSH is not configured
    };
    Kind kind = Kind::Connect;
    QString message;

    static QString kindName(Kind kind)
    {
        switch (kind) {
        case Kind::Resolve:
            return QStringLiteral("resolve");
        case Kind::Connect:
            return QStringLiteral("connect");
        case Kind::HostKey:
            return QStringLiteral("host-key");
        case Kind::Auth:
            return QStringLiteral("auth");
        case Kind::Channel:
            return QStringLiteral("channel");
        case Kind::Dropped:
            return QStringLiteral("dropped");
        case Kind::Timeout:
            return QStringLiteral("timeout");
        case Kind::NotConfigured:
            return QStringLiteral("not-configured");
        }
        return QStringLiteral("unknown");
    }
};

// A value or an error, handed to callbacks across the event loop.
template<typename T> struct Result
{
    std::optional<T> value;
    Error error; // meaningful only when !ok()

    bool ok() const { return value.has_value(); }
    static Result success(T v) { return Result {std::move(v), {}}; }
    static Result failure(Error e) { return Result {std::nullopt, std::move(e)}; }
};

} // namespace jarvis::ssh
