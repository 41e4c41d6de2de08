#include "http/frontdoor.h"

#include "net/halfclose.h"

#include <QAbstractHttpServer>
#include <QLoggingCategory>
#include <QMetaObject>
#include <QSslConfiguration>
#include <QSslServer>
#include <QTcpSocket>
#include <QTimer>

Q_LOGGING_CATEGORY(lcFrontDoor, "jarvis.http")

namespace jarvis::http {

// A QTcpServer that never accepts by itself: the front door adds already-accepted sockets to it,
// and QtHttpServer, bound to it, takes them from there.
class HandoffServer : public QTcpServer
{
public:
    explicit HandoffServer(QObject *parent = nullptr)
        : QTcpServer(parent)
    {
        // QtHttpServer warns about a bound server that is not listening; listen on an ephemeral
        // loopback port and never accept from it.
        if (listen(QHostAddress::LocalHost, 0))
            pauseAccepting();
    }
    void hand(QTcpSocket *socket)
    {
        addPendingConnection(socket);
        // QtHttpServer only reacts to new data; the head is already buffered.
        QMetaObject::invokeMethod(socket, &QAbstractSocket::readyRead, Qt::QueuedConnection);
    }
};

namespace {

// The front door's state for one connection, a child of its socket: every request on it passes
// the front door's strict framing check (parseHead/parseBody) before QtHttpServer reads it, one
// request at a time (the next is held in a read transaction until the previous one is answered),
// so QtHttpServer's lenient parser never sees anything the check has not accepted, and responses
// go out in request order.
class ConnectionGuard : public QObject
{
public:
    using QObject::QObject;

    QTimer *headTimer = nullptr; // child; until the first request head is complete
    bool handedOff = false; // QtHttpServer has the connection
    bool passOnNextRead = false; // the first request was checked; QtHttpServer reads it next
    bool awaitingResponse = false; // QtHttpServer got a request that is not answered yet
    bool headRequest = false; // ... and that request is HEAD
    bool continueSent = false; // "100 Continue" sent for the request being received
    bool closing = false; // a response ended the connection: nothing more is read
};

const char *const GuardProperty = "_jarvis_connection_guard";

ConnectionGuard *guardOf(const QTcpSocket *socket)
{
    // Only the front door sets this property, always to a ConnectionGuard.
    return socket
        ? static_cast<ConnectionGuard *>(socket->property(GuardProperty).value<QObject *>())
        : nullptr;
}

// Makes what is buffered invisible to QtHttpServer until the next inspection rolls it back:
// reads it all inside a transaction (which also re-enables the socket's read notifier when its
// read buffer had filled up).
void hold(QTcpSocket *socket)
{
    socket->startTransaction();
    char sink[16 * 1024];
    while (socket->read(sink, sizeof sink) > 0) { }
}

// What QtHttpServer's parser may take on top of a body: the head, and chunk framing.
constexpr qint64 FramingSlack = 64 * 1024;

} // namespace

bool FrontDoor::answeringHead(const QTcpSocket *socket)
{
    const ConnectionGuard *guard = guardOf(socket);
    return guard && guard->headRequest;
}

void FrontDoor::responseWritten(QTcpSocket *socket, bool closing)
{
    ConnectionGuard *guard = guardOf(socket);
    if (!guard)
        return;
    guard->awaitingResponse = false;
    guard->headRequest = false;
    guard->closing = guard->closing || closing;
    if (!guard->closing) // the next pipelined request, if there is one
        QMetaObject::invokeMethod(socket, &QAbstractSocket::readyRead, Qt::QueuedConnection);
}

FrontDoor::FrontDoor(Limits limits, QObject *parent)
    : QObject(parent)
    , m_limits(limits)
{ }

FrontDoor::~FrontDoor() = default;

bool FrontDoor::listen(const QHostAddress &address, quint16 port, const QSslConfiguration *ssl)
{
    delete m_listener;
    if (ssl) {
        auto *server = new QSslServer(this);
        server->setSslConfiguration(*ssl);
        connect(server, &QSslServer::errorOccurred, this,
            [](QSslSocket *socket, QAbstractSocket::SocketError) {
                qCInfo(lcFrontDoor) << "TLS connection from" << socket->peerAddress().toString()
                                    << "failed:" << socket->errorString();
            });
        m_listener = server;
    } else {
        m_listener = new QTcpServer(this);
    }
    m_listener->setMaxPendingConnections(1024);
    connect(
        m_listener, &QTcpServer::pendingConnectionAvailable, this, &FrontDoor::onPendingConnection);
    if (!m_listener->listen(address, port)) {
        m_error = m_listener->errorString();
        delete m_listener;
        m_listener = nullptr;
        return false;
    }
    return true;
}

quint16 FrontDoor::port() const
{
    return m_listener ? m_listener->serverPort() : 0;
}

void FrontDoor::close()
{
    if (m_listener)
        m_listener->close();
}

void FrontDoor::setHttpServer(QAbstractHttpServer *server)
{
    m_handoff = new HandoffServer;
    server->bind(m_handoff); // reparents it to the HTTP server
}

void FrontDoor::addUpgradeRoute(
    const QByteArray &path, qint64 maxBodyBytes, UpgradeHandler handler, RefusedHandler refused)
{
    m_upgradeRoutes.insert(path, {maxBodyBytes, std::move(handler), std::move(refused)});
    m_maxRouteBodyBytes = qMax(m_maxRouteBodyBytes, maxBodyBytes);
}

void FrontDoor::onPendingConnection()
{
    while (QTcpSocket *socket = m_listener->nextPendingConnection()) {
        auto *guard = new ConnectionGuard(socket);
        socket->setProperty(GuardProperty, QVariant::fromValue<QObject *>(guard));
        guard->headTimer = new QTimer(guard);
        guard->headTimer->setSingleShot(true);
        connect(guard->headTimer, &QTimer::timeout, socket, [this, socket] {
            refuse(socket, 408, QStringLiteral("request head not received in time"));
        });
        guard->headTimer->start(m_limits.headTimeoutMs);
        // Bounds what a connection can make us buffer: one request at a time is let through.
        socket->setReadBufferSize(qMax(m_limits.maxBodyBytes, m_maxRouteBodyBytes)
            + m_limits.maxHeadBytes + FramingSlack);
        // Connected before QtHttpServer's own readyRead slot, so it runs first on every read.
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { inspect(socket); });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        if (socket->bytesAvailable() > 0)
            inspect(socket);
    }
}

void FrontDoor::release(QTcpSocket *socket)
{
    disconnect(socket, nullptr, this, nullptr);
    disconnect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    if (socket->isTransactionStarted())
        socket->rollbackTransaction();
    delete guardOf(socket);
    socket->setProperty(GuardProperty, QVariant());
}

void FrontDoor::refuse(
    QTcpSocket *socket, int status, const QString &error, const RequestHead *head)
{
    release(socket);
    QByteArray response = rawJsonResponse(status, errorBody(error));
    if (head && head->method == "HEAD")
        response.truncate(response.indexOf("\r\n\r\n") + 4);
    net::answerAndClose(socket, response);
}

void FrontDoor::refuseBody(QTcpSocket *socket, const RequestHead &head, const QString &error)
{
    const auto route = m_upgradeRoutes.constFind(head.path());
    if (route != m_upgradeRoutes.constEnd() && route->refused)
        route->refused(head);
    refuse(socket, 413, error, &head);
}

void FrontDoor::inspect(QTcpSocket *socket)
{
    ConnectionGuard *guard = guardOf(socket);
    if (!guard)
        return;
    // What an earlier inspection held back (or an empty transaction QtHttpServer started) is
    // looked at again from the start of the next request.
    if (socket->isTransactionStarted())
        socket->rollbackTransaction();
    if (guard->passOnNextRead) { // the handed-off first request: QtHttpServer reads it now
        guard->passOnNextRead = false;
        return;
    }
    if (guard->closing || guard->awaitingResponse) {
        hold(socket); // one request at a time: the next one waits for this answer
        return;
    }
    const qint64 available = socket->bytesAvailable();
    if (available <= 0)
        return;
    const QByteArray peeked = socket->peek(available);
    RequestHead head;
    QString error;
    int status = 400;
    switch (net::parseHead(peeked, &head, &error, &status)) {
    case net::HeadStatus::Incomplete:
        if (peeked.size() > m_limits.maxHeadBytes) {
            refuse(socket, 431,
                QStringLiteral("request head larger than %1 bytes").arg(m_limits.maxHeadBytes));
            return;
        }
        hold(socket);
        return;
    case net::HeadStatus::Invalid:
        refuse(socket, status, QStringLiteral("bad request: %1").arg(error));
        return;
    case net::HeadStatus::Complete:
        break;
    }
    if (guard->headTimer) // the head came in time; its body may take longer, as before
        guard->headTimer->stop();
    if (head.length > m_limits.maxHeadBytes + 4) {
        refuse(socket, 431,
            QStringLiteral("request head larger than %1 bytes").arg(m_limits.maxHeadBytes), &head);
        return;
    }

    const auto route = m_upgradeRoutes.constFind(head.path());
    const bool routed = route != m_upgradeRoutes.constEnd();
    if (head.isWebSocketUpgrade()) {
        if (guard->handedOff) {
            refuse(socket, 400,
                QStringLiteral("bad request: a WebSocket upgrade must be the first request on "
                               "its connection"),
                &head);
            return;
        }
        if (!routed) {
            refuse(socket, 404, QStringLiteral("not found"), &head);
            return;
        }
        release(socket);
        socket->setReadBufferSize(0);
        route->handler(socket, head);
        return;
    }

    const qint64 limit = routed ? route->maxBodyBytes : m_limits.maxBodyBytes;
    qsizetype wireLength = 0;
    switch (net::parseBody(
        QByteArrayView(peeked).sliced(head.length), head, limit, &wireLength, &error, &status)) {
    case net::HeadStatus::Invalid:
        if (status == 413)
            refuseBody(socket, head, error);
        else
            refuse(socket, status, QStringLiteral("bad request: %1").arg(error), &head);
        return;
    case net::HeadStatus::Incomplete:
        if (socket->readBufferSize() > 0 && available >= socket->readBufferSize()) {
            refuseBody(socket, head,
                QStringLiteral("request larger than %1 bytes").arg(socket->readBufferSize()));
            return;
        }
        if (!guard->continueSent && head.header("expect").toLower() == "100-continue") {
            socket->write("HTTP/1.1 100 Continue\r\n\r\n");
            guard->continueSent = true;
        }
        hold(socket);
        return;
    case net::HeadStatus::Complete:
        break;
    }

    // A complete, well-framed request: QtHttpServer reads exactly this one.
    guard->continueSent = false;
    guard->awaitingResponse = true;
    guard->headRequest = head.method == "HEAD";
    if (guard->handedOff)
        return; // QtHttpServer's readyRead slot runs right after this one
    if (!m_handoff) {
        refuse(socket, 503, QStringLiteral("server not ready"));
        return;
    }
    guard->handedOff = true;
    guard->passOnNextRead = true;
    delete guard->headTimer;
    guard->headTimer = nullptr;
    disconnect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    m_handoff->hand(socket);
}

} // namespace jarvis::http
