#pragma once

#include "http/httputil.h"

#include <QObject>
#include <QPointer>

#include <memory>

class QHttpServerResponder;
class QTcpSocket;

namespace jarvis::http {

// A response whose body is written piece by piece as it comes (Server-Sent Events): the head
// goes out at once with `Transfer-Encoding: chunked`, each write() is one chunk, finish() sends
// the last chunk and lets the connection's next request in. What waits for a client that does not
// read is bounded: a write that leaves more than `maxBuffered` bytes unsent closes the connection.
// Main thread; the socket belongs to QtHttpServer and may go at any time (closed() then).
class StreamedResponse : public QObject
{
    Q_OBJECT
public:
    StreamedResponse(QHttpServerResponder &&responder, int status, const QByteArray &contentType,
        const HeaderList &headers, qint64 maxBuffered, QObject *parent = nullptr);
    ~StreamedResponse() override;

    // False when the stream is over (client gone, finished, or closed for the cap).
    bool write(const QByteArray &data);
    void finish();
    // Ends the connection without the last chunk (the client sees the response cut).
    void abort();
    bool isOpen() const { return m_open; }

Q_SIGNALS:
    void closed(); // once, however it ended

private:
    void end();

    std::unique_ptr<QHttpServerResponder> m_responder;
    QPointer<QTcpSocket> m_socket;
    qint64 m_maxBuffered;
    bool m_open = true;
};

} // namespace jarvis::http
