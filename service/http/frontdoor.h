#pragma once

#include "http/httputil.h"

#include <QHash>
#include <QHostAddress>
#include <QObject>
#include <QPointer>
#include <QTcpServer>

#include <functional>
#include <memory>

class QAbstractHttpServer;
class QSslConfiguration;
class QTcpSocket;

namespace jarvis::http {

class HandoffServer;

// The one listening port. Checks every request on every connection with peek() before any
// handler runs (the first head bounded in time, every request in size), answers what must be
// refused (bad framing 400 per RFC 9112, unknown transfer coding 501, HTTP version 505, head too
// large 431, body over the limit 413; each closes the connection and nothing after it on that
// connection is served), sends "100 Continue" for acceptable Expect requests, hands WebSocket
// upgrades to the upgrade handler registered for their path (several Engine.IO servers can share
// the port), and every other connection to QtHttpServer through a bound QTcpServer, which then
// gets one checked request at a time (see ConnectionGuard in frontdoor.cpp).
// Lives on the main thread; owns the listening server and, until handed off, the accepted sockets.
class FrontDoor : public QObject
{
    Q_OBJECT
public:
    struct Limits
    {
        qsizetype maxHeadBytes = 16 * 1024;
        qint64 maxBodyBytes = 1048576; // request bodies outside the upgrade routes (REST)
        int headTimeoutMs = 10000;
    };
    // Takes ownership of the socket; must answer or close it. `head` is still unread on the socket.
    using UpgradeHandler = std::function<void(QTcpSocket *socket, const RequestHead &head)>;
    // Told when a request for the route was refused for its body size (413), e.g. so an
    // Engine.IO server can close the session the request belonged to.
    using RefusedHandler = std::function<void(const RequestHead &head)>;

    explicit FrontDoor(Limits limits, QObject *parent = nullptr);
    ~FrontDoor() override;

    // TLS when `ssl` is non-null (QSslServer), plain TCP otherwise. False with errorString() set.
    bool listen(const QHostAddress &address, quint16 port, const QSslConfiguration *ssl = nullptr);
    quint16 port() const;
    QString errorString() const { return m_error; }
    void close();

    void setHttpServer(QAbstractHttpServer *server);
    // Hands WebSocket upgrade requests for exactly `path` to `handler`, and lets the other requests
    // for `path` carry bodies of up to `maxBodyBytes` instead of Limits::maxBodyBytes (for an
    // Engine.IO server: its path and maxPayload). Upgrades for unregistered paths get 404.
    void addUpgradeRoute(const QByteArray &path, qint64 maxBodyBytes, UpgradeHandler handler,
        RefusedHandler refused = {});

    // Answers `response` and closes without losing it: the write side is shut once the response
    // is out, and what the client still sends is read and discarded (bounded in bytes and time)
    // until it closes, so the kernel never resets the connection under an unread request body.

    // For writeResponse(), which writes every answer QtHttpServer's handlers give: whether the
    // request being answered on `socket` is HEAD (its answer has no body), and that the answer
    // is out (`closing`: the connection ends with it), which lets the next pipelined request in.
    static bool answeringHead(const QTcpSocket *socket);
    static void responseWritten(QTcpSocket *socket, bool closing);

private:
    void onPendingConnection();
    void inspect(QTcpSocket *socket);
    void refuse(
        QTcpSocket *socket, int status, const QString &error, const RequestHead *head = nullptr);
    void refuseBody(QTcpSocket *socket, const RequestHead &head, const QString &error);
    void release(QTcpSocket *socket);

    Limits m_limits;
    QString m_error;
    QTcpServer *m_listener = nullptr; // child
    HandoffServer *m_handoff = nullptr; // child of the HTTP server once bound
    struct UpgradeRoute
    {
        qint64 maxBodyBytes;
        UpgradeHandler handler;
        RefusedHandler refused;
    };
    QHash<QByteArray, UpgradeRoute> m_upgradeRoutes; // by path
    qint64 m_maxRouteBodyBytes = 0;
};

} // namespace jarvis::http
