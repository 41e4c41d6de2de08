#pragma once

// Raw HTTP/1.1 over a real socket on 127.0.0.1, for what QNAM cannot send or would change
// (malformed heads, encoded paths, pipelining, Accept-Encoding without transparent decoding).
#include <QByteArray>
#include <QDeadlineTimer>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

namespace jarvis::test {

struct Exchange
{
    QByteArray received;
    bool closed = false;
};

// Sends `bytes` on a new connection and reads until the server closes it (or 10 s pass).
inline Exchange exchange(quint16 port, const QByteArray &bytes)
{
    Exchange result;
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(5000))
        return result;
    socket.write(bytes);
    QSignalSpy closed(&socket, &QTcpSocket::disconnected);
    QDeadlineTimer deadline(10000);
    while (!deadline.hasExpired() && closed.isEmpty()) {
        result.received += socket.readAll();
        QTest::qWait(5);
    }
    result.received += socket.readAll();
    result.closed = !closed.isEmpty();
    return result;
}

struct RawResponse
{
    int status = 0;
    QByteArray head; // lower-cased
    QByteArray body;
    QHash<QByteArray, QByteArray> headers; // lower-cased names, values as sent (repeats joined)

    QByteArray header(const QByteArray &lowerName) const { return headers.value(lowerName); }
};

// Splits a byte stream into responses framed by Content-Length; the responses at `bodiless`
// indexes (answers to HEAD) and 304 answers have none.
inline QList<RawResponse> splitResponses(QByteArray bytes, const QList<int> &bodiless = {})
{
    QList<RawResponse> responses;
    while (bytes.startsWith("HTTP/1.1 ")) {
        const qsizetype end = bytes.indexOf("\r\n\r\n");
        if (end < 0)
            break;
        RawResponse r;
        r.status = bytes.mid(9, 3).toInt();
        r.head = bytes.left(end).toLower();
        const QList<QByteArray> lines = bytes.left(end).split('\n');
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0)
                continue;
            const QByteArray name = line.left(colon).toLower();
            const QByteArray value = line.mid(colon + 1).trimmed();
            r.headers[name] = r.headers.contains(name) ? r.headers[name] + ", " + value : value;
        }
        const bool noBody = bodiless.contains(responses.size()) || r.status == 304;
        const qsizetype length = noBody ? 0 : r.header("content-length").toLongLong();
        r.body = bytes.mid(end + 4, length);
        bytes.remove(0, end + 4 + length);
        responses.append(r);
    }
    if (!bytes.isEmpty())
        responses.append({-1, bytes, {}, {}}); // something that is not a response
    return responses;
}

} // namespace jarvis::test
