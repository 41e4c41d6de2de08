#include "net/halfclose.h"

#include <QTcpSocket>

#include <sys/socket.h>

namespace jarvis::net {

void shutdownWriteWhenFlushed(QTcpSocket *socket)
{
    auto shutWrite = [socket] {
        if (socket->bytesToWrite() == 0 && socket->socketDescriptor() != -1)
            ::shutdown(int(socket->socketDescriptor()), SHUT_WR);
    };
    QObject::connect(socket, &QTcpSocket::bytesWritten, socket, shutWrite);
    socket->flush();
    shutWrite();
}

} // namespace jarvis::net
