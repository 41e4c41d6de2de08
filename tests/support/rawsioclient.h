#pragma once

// A Socket.IO client on a raw QTcpSocket, for what client::SocketIoClient cannot do: offer
// permessage-deflate, stop reading, look at the bits of the frames the server sends. Speaks just
// enough: the WebSocket upgrade, the Engine.IO open packet, CONNECT to one namespace with a
// token, events out (masked text frames), server frames in.
#include "../net/wstestutil.h"

#include <QDeadlineTimer>
#include <QHostAddress>
#include <QTcpSocket>
#include <QTest>

#include <optional>

class RawSioClient
{
public:
    struct Frame
    {
        quint8 b0 = 0;
        QByteArray payload; // as sent (still compressed when rsv1())
        int opcode() const { return b0 & 0x0F; }
        bool rsv1() const { return b0 & 0x40; }
    };

    // Upgrades (with `extraHeaders`, e.g. a permessage-deflate offer), reads the open packet and
    // joins `nsp` with {"token": token}. False if any step fails within 10 s.
    bool join(quint16 port, const QByteArray &nsp, const QByteArray &token,
        const QByteArray &extraHeaders = {})
    {
        m_nsp = nsp;
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (!socket.waitForConnected(5000))
            return false;
        socket.write("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + extraHeaders + "\r\n");
        QDeadlineTimer deadline(10000);
        while (!buffer.contains("\r\n\r\n")) {
            if (deadline.hasExpired())
                return false;
            QTest::qWait(5);
            buffer += socket.readAll();
        }
        const qsizetype headEnd = buffer.indexOf("\r\n\r\n") + 4;
        responseHead = buffer.left(headEnd);
        buffer.remove(0, headEnd);
        if (!responseHead.startsWith("HTTP/1.1 101 "))
            return false;
        const std::optional<Frame> open = nextFrame(10000);
        if (!open || !open->payload.startsWith("0{"))
            return false;
        socket.write(wstest::text("40" + nsp + ",{\"token\":\"" + token + "\"}"));
        while (const std::optional<Frame> frame = nextFrame(10000)) {
            if (frame->payload.startsWith("40" + nsp + ",{\"sid\""))
                return true;
        }
        return false;
    }

    // Sends `42<nsp>,<jsonArray>`.
    void emitEvent(const QByteArray &jsonArray)
    {
        socket.write(wstest::text("42" + m_nsp + "," + jsonArray));
        socket.flush();
    }

    // The next complete server frame (unmasked), waiting up to `timeoutMs`.
    std::optional<Frame> nextFrame(int timeoutMs = 5000)
    {
        QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            if (std::optional<Frame> frame = parse())
                return frame;
            if (deadline.hasExpired())
                return std::nullopt;
            QTest::qWait(2);
            buffer += socket.readAll();
        }
    }

    // Reads what arrived and counts it; returns how much.
    qint64 drain()
    {
        const QByteArray bytes = socket.readAll();
        total += bytes.size();
        return bytes.size();
    }

    QTcpSocket socket;
    QByteArray responseHead;
    QByteArray buffer; // received, not yet parsed
    qint64 total = 0; // counted by drain()

private:
    std::optional<Frame> parse()
    {
        if (buffer.size() < 2)
            return std::nullopt;
        const auto b1 = quint8(buffer[1]);
        qint64 length = b1 & 0x7F;
        qsizetype at = 2;
        const int extra = length == 126 ? 2 : length == 127 ? 8 : 0;
        if (buffer.size() < at + extra)
            return std::nullopt;
        if (extra) {
            length = 0;
            for (int k = 0; k < extra; ++k)
                length = (length << 8) | quint8(buffer[at + k]);
            at += extra;
        }
        if (buffer.size() < at + length)
            return std::nullopt;
        Frame frame {quint8(buffer[0]), buffer.mid(at, length)};
        buffer.remove(0, at + length);
        return frame;
    }

    QByteArray m_nsp;
};
