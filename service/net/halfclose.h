#pragma once

class QTcpSocket;

namespace jarvis::net {

// Ends our side of a TCP connection once everything queued on `socket` is written (shutdown
// SHUT_WR), but keeps reading: the peer sees our last bytes (an HTTP error, a WebSocket close
// frame) followed by a clean end of stream, instead of a reset caused by closing a socket whose
// receive queue still holds data the peer had sent. The caller keeps reading and discarding
// until the peer closes, and aborts after a deadline of its own.
void shutdownWriteWhenFlushed(QTcpSocket *socket);

} // namespace jarvis::net
