#include "http/frontdoor.h"

#include "realtime/websocket/halfclose.h"

#include <QAbstractHttpServer>
#include <QLoggingCategory>
#include <QMetaObject>
#include <QSslConfiguration>
#include <QSslServer>
#include <QTcpSocket>
#include <QTimer>

#include <sys/ioctl.h>

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
const char *const InspectTimerProperty = "_jarvis_head_timer";
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
        auto *timer = new QTimer(socket);
        timer->setSingleShot(true);
        socket->setProperty(InspectTimerProperty, QVariant::fromValue<QObject *>(timer));
        connect(timer, &QTimer::timeout, socket, [this, socket] {
            refuse(socket, 408, QStringLiteral("request head not received in time"));
        });
        timer->start(m_limits.headTimeoutMs);
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
    if (auto *timer = socket->property(InspectTimerProperty).value<QObject *>())
        delete timer;
    socket->setProperty(InspectTimerProperty, QVariant());
}

void FrontDoor::answerAndClose(QTcpSocket *socket, const QByteArray &response)
{
    constexpr qint64 MaxDiscardBytes = 64 * 1024 * 1024;
    constexpr int LingerMs = 5000;
    QObject::disconnect(socket, &QTcpSocket::readyRead, nullptr, nullptr);
    if (socket->isTransactionStarted())
        socket->commitTransaction(); // QtHttpServer's partial request: drop it
    socket->setReadBufferSize(0);
    auto discarded = std::make_shared<qint64>(0);
    auto drain = [socket, discarded] {
        *discarded += socket->skip(socket->bytesAvailable());
        if (*discarded > MaxDiscardBytes)
            socket->abort();
    };
    QObject::connect(socket, &QTcpSocket::readyRead, socket, drain);
    QObject::connect(
        socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater, Qt::UniqueConnection);
    QTimer::singleShot(LingerMs, socket, [socket] { socket->abort(); });
    socket->write(response);
    net::shutdownWriteWhenFlushed(socket); // the client sees the end of the answer
    drain();
}

void FrontDoor::refuse(QTcpSocket *socket, int status, const QString &error)
{
    release(socket);
    answerAndClose(socket, rawJsonResponse(status, errorBody(error)));
}

void FrontDoor::refuseBody(
    QTcpSocket *socket, const RequestHead &head, qint64 limit, const QString &error)
{
    Q_UNUSED(limit);
    const auto route = m_upgradeRoutes.constFind(head.path());
    if (route != m_upgradeRoutes.constEnd() && route->refused)
        route->refused(head);
    refuse(socket, 413, error);
}

void FrontDoor::watchBody(QTcpSocket *socket, const RequestHead &head, qint64 limit)
{
    // QtHttpServer buffers a whole request before its handler sees it, and the socket's read
    // buffer is capped: a body larger than the cap (chunked, or a later request on a keep-alive
    // connection) stops the reading with data still waiting in the kernel. Seen twice in a row
    // without progress, that is a body over the limit: answer 413 instead of stalling forever.
    auto *timer = new QTimer(socket);
    timer->setInterval(250);
    auto progress = std::make_shared<quint64>(0);
    auto seen = std::make_shared<quint64>(0);
    auto stalls = std::make_shared<int>(0);
    connect(socket, &QTcpSocket::readyRead, timer, [progress] { ++*progress; });
    connect(
        timer, &QTimer::timeout, this, [this, socket, head, limit, progress, seen, stalls, timer] {
            int waiting = 0;
            if (socket->socketDescriptor() == -1
                || ::ioctl(int(socket->socketDescriptor()), FIONREAD, &waiting) != 0)
                return;
            if (waiting > 0 && *progress == *seen && socket->readBufferSize() > 0
                && socket->bytesAvailable() + waiting > 0) {
                if (++*stalls >= 2) {
                    timer->stop();
                    const auto route = m_upgradeRoutes.constFind(head.path());
                    if (route != m_upgradeRoutes.constEnd() && route->refused)
                        route->refused(head);
                    answerAndClose(socket,
                        rawJsonResponse(413,
                            errorBody(QStringLiteral("request body exceeds the limit of %1 bytes")
                                          .arg(limit))));
                }
            } else {
                *stalls = 0;
            }
            *seen = *progress;
        });
    timer->start();
}

void FrontDoor::inspect(QTcpSocket *socket)
{
    const QByteArray peeked = socket->peek(m_limits.maxHeadBytes + 4);
    RequestHead head;
    QString error;
    switch (parseHead(peeked, &head, &error)) {
    case HeadStatus::Incomplete:
        if (peeked.size() > m_limits.maxHeadBytes)
            refuse(socket, 431,
                QStringLiteral("request head larger than %1 bytes").arg(m_limits.maxHeadBytes));
        return;
    case HeadStatus::Invalid:
        refuse(socket, 400, QStringLiteral("bad request: %1").arg(error));
        return;
    case HeadStatus::Complete:
        break;
    }

    const auto route = m_upgradeRoutes.constFind(head.path());
    const bool routed = route != m_upgradeRoutes.constEnd();
    if (head.isWebSocketUpgrade()) {
        if (!routed) {
            refuse(socket, 404, QStringLiteral("not found"));
            return;
        }
        release(socket);
        route->handler(socket, head);
        return;
    }

    const qint64 limit = routed ? route->maxBodyBytes : m_limits.maxBodyBytes;
    const QByteArray lengthHeader = head.header("content-length");
    if (!lengthHeader.isEmpty()) {
        bool ok = false;
        const qint64 length = lengthHeader.toLongLong(&ok);
        if (!ok || length < 0) {
            refuse(socket, 400, QStringLiteral("bad request: invalid Content-Length"));
            return;
        }
        if (length > limit) {
            refuseBody(socket, head, limit,
                QStringLiteral("request body of %1 bytes exceeds the limit of %2 bytes")
                    .arg(length)
                    .arg(limit));
            return;
        }
    }
    if (head.header("expect").toLower() == "100-continue")
        socket->write("HTTP/1.1 100 Continue\r\n\r\n");

    release(socket);
    if (!m_handoff) {
        refuse(socket, 503, QStringLiteral("server not ready"));
        return;
    }
    // Bounds what QtHttpServer buffers for later requests on this keep-alive connection.
    socket->setReadBufferSize(
        qMax(m_limits.maxBodyBytes, m_maxRouteBodyBytes) + m_limits.maxHeadBytes);
    watchBody(socket, head, limit);
    m_handoff->hand(socket);
}

} // namespace jarvis::http
