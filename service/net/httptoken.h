#pragma once

// The one HTTP token test (RFC 9110 5.6.2 tchar) for the request-head parser (http/) and the
// WebSocket handshake (Sec-WebSocket-Extensions parameters).
namespace jarvis::net {

constexpr bool isTokenChar(char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

} // namespace jarvis::net
