#include "client/socketioclient.h"

#include <cstring>

#include "core/clock.h"
#include "protocol/engineio.h"

#include <QJsonDocument>
#include <QLoggingCategory>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QTimer>
#include <QUrlQuery>
#include <QWebSocket>

#ifndef QT_NO_SSL
#include <QCryptographicHash>
#include <QSslCertificate>
#include <QSslError>
#endif

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

Q_LOGGING_CATEGORY(lcClient, "jarvis.client")

// Wire behaviour follows socket.io-client 4.8 / engine.io-client 6.6 with transports:
// ["websocket"]: the open packet starts the heartbeat (a ping is expected within pingInterval +
// pingTimeout, each ping is answered by a pong and restarts the wait), CONNECT goes right after
// the open packet, emits made before the namespace is connected wait in a send buffer, a lost
// connection fails the acks already sent ("socket has been disconnected") and reconnects with
// the Backoff of socket.io-client, and DISCONNECT / CONNECT_ERROR from the server end it for good.

namespace jarvis::client {

namespace {

constexpr qsizetype MaxSendBuffer = 1000;
constexpr int CloseTimeoutMs = 2000; // closing handshake, then the socket is aborted
constexpr double MaxHeartbeatValue = 1e9; // ms; pingInterval + pingTimeout must fit in an int

// ws(s)://host:port<path>?EIO=4&transport=websocket from http(s):// or ws(s)://host:port.
std::optional<QUrl> webSocketUrl(const QUrl &base, const QString &path)
{
    const QString scheme = base.scheme().toLower();
    QUrl url;
    if (scheme == QLatin1String("http") || scheme == QLatin1String("ws"))
        url.setScheme(QStringLiteral("ws"));
    else if (scheme == QLatin1String("https") || scheme == QLatin1String("wss"))
        url.setScheme(QStringLiteral("wss"));
    else
        return std::nullopt;
    if (!base.isValid() || base.host().isEmpty())
        return std::nullopt;
    url.setHost(base.host());
    url.setPort(base.port());
    url.setUserInfo(base.userInfo());
    url.setPath(path);
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("EIO"), QStringLiteral("4"));
    query.addQueryItem(QStringLiteral("transport"), QStringLiteral("websocket"));
    url.setQuery(query);
    return url;
}

bool isPositiveNumber(const QJsonValue &value)
{
    return value.isDouble() && value.toDouble() > 0 && std::isfinite(value.toDouble());
}

// Why the peer would refuse `packet` as malformed, or nothing: a reserved event name, or
// placeholders that are not exactly one per attachment.
std::optional<QString> invalidReason(const sio::Packet &packet)
{
    if (packet.type == sio::PacketType::Event) {
        const QString event = packet.data.toArray().first().toString();
        if (sio::isReservedEvent(event))
            return QStringLiteral("\"%1\" is a reserved event name").arg(event);
    }
    if (packet.attachments.isEmpty())
        return std::nullopt;
    sio::DecodeError error;
    if (!sio::decode(sio::encode(packet), &error, int(packet.attachments.size())))
        return error.message;
    return std::nullopt;
}

sio::Packet eventPacket(const QString &nsp, const QString &event, const QJsonArray &args,
    const QList<QByteArray> &attachments, std::optional<qint64> id)
{
    QJsonArray data = args;
    data.prepend(event);
    sio::Packet packet;
    packet.type = sio::PacketType::Event;
    packet.nsp = nsp;
    packet.id = id;
    packet.data = data;
    packet.attachments = attachments;
    return packet;
}

} // namespace

// ---- AckResult / AckResponder --------------------------------------------------------------

QString AckResult::errorString() const
{
    switch (error) {
    case Error::None:
        return {};
    case Error::Timeout:
        return QStringLiteral("operation has timed out");
    case Error::Disconnected:
        return QStringLiteral("socket has been disconnected");
    case Error::NotConnected:
        return QStringLiteral("socket is not connected");
    case Error::PayloadTooLarge:
        return QStringLiteral("packet larger than the server's maxPayload");
    case Error::InvalidPacket:
        return QStringLiteral("invalid packet (reserved event name or placeholders not matching "
                              "the attachments)");
    }
    return {};
}

struct AckResponder::State
{
    QPointer<SocketIoClient> client;
    qint64 id = 0;
    quint64 generation = 0;
    bool answered = false;
};

bool AckResponder::send(const QJsonArray &args, const QList<QByteArray> &attachments) const
{
    if (!m_state || m_state->answered || !m_state->client)
        return false;
    m_state->answered = true;
    return m_state->client->sendAck(m_state->id, m_state->generation, args, attachments);
}

// ---- SocketIoClient ------------------------------------------------------------------------

SocketIoClient::SocketIoClient(QObject *parent)
    : SocketIoClient(nullptr, parent)
{ }

SocketIoClient::SocketIoClient(core::Clock *clock, QObject *parent)
    : QObject(parent)
    , m_clock(core::Clock::orSystem(clock))
    , m_heartbeatTimer(m_clock->createTicker(this))
    , m_connectTimer(m_clock->createTicker(this))
    , m_reconnectTimer(m_clock->createTicker(this))
{
    m_heartbeatTimer->setSingleShot(true);
    m_connectTimer->setSingleShot(true);
    m_reconnectTimer->setSingleShot(true);
    connect(m_heartbeatTimer, &core::Ticker::timeout, this, [this] {
        qCInfo(lcClient) << "no ping from" << m_url.toDisplayString() << "within"
                         << m_pingInterval + m_pingTimeout << "ms; closing the connection";
        connectionLost(QStringLiteral("ping timeout"));
    });
    connect(m_connectTimer, &core::Ticker::timeout, this, [this] {
        qCInfo(lcClient) << "connecting to" << m_url.toDisplayString() << "namespace" << m_nsp
                         << "timed out after" << m_connectTimeout << "ms";
        connectionLost(QStringLiteral("timeout"));
    });
    connect(m_reconnectTimer, &core::Ticker::timeout, this, &SocketIoClient::startAttempt);
}

SocketIoClient::~SocketIoClient()
{
    // Pending ack callbacks are dropped; the WebSocket (a child) is aborted with us.
    if (m_socket)
        m_socket->disconnect(this);
}

void SocketIoClient::setPath(const QString &path)
{
    QString normalised = path.startsWith(QLatin1Char('/')) ? path : QLatin1Char('/') + path;
    if (!normalised.endsWith(QLatin1Char('/')))
        normalised.append(QLatin1Char('/'));
    m_path = normalised;
}

void SocketIoClient::setReconnectDelays(int initialMs, int maxMs)
{
    m_initialDelay = qMax(0, initialMs);
    m_maxDelay = qMax(m_initialDelay, maxMs);
}

void SocketIoClient::setRandomizationFactor(double factor)
{
    m_randomizationFactor = std::clamp(factor, 0.0, 1.0);
}

void SocketIoClient::setConnectTimeout(int ms)
{
    m_connectTimeout = qMax(1, ms);
}

void SocketIoClient::setMaxIncomingMessageSize(qint64 bytes)
{
    m_maxIncomingMessageSize = qMax<qint64>(1, bytes);
}

#ifndef QT_NO_SSL
void SocketIoClient::setSslConfiguration(const QSslConfiguration &configuration)
{
    m_ssl = configuration;
}
#endif

void SocketIoClient::connectToServer(
    const QUrl &baseUrl, const QString &nsp, const QJsonObject &auth)
{
    if (m_active || m_state != State::Idle) {
        QPointer<SocketIoClient> self(this);
        disconnectFromServer();
        if (!self)
            return;
    }
    m_nsp = nsp.startsWith(QLatin1Char('/')) ? nsp : QLatin1Char('/') + nsp;
    m_auth = auth;
    m_attempt = 0;
    const std::optional<QUrl> url = webSocketUrl(baseUrl, m_path);
    if (!url) {
        const quint64 generation = ++m_generation;
        const QString message =
            QStringLiteral("unsupported server URL %1").arg(baseUrl.toDisplayString());
        qCWarning(lcClient) << message;
        QTimer::singleShot(0, this, [this, generation, message] {
            if (generation == m_generation && !m_active)
                Q_EMIT connectError(message, QJsonValue(QJsonValue::Undefined));
        });
        return;
    }
    m_url = *url;
    m_active = true;
    startAttempt();
}

void SocketIoClient::disconnectFromServer()
{
    const bool wasConnected = m_state == State::Connected;
    if (wasConnected) {
        sio::Packet packet;
        packet.type = sio::PacketType::Disconnect;
        packet.nsp = m_nsp;
        sendPacket(packet);
    }
    stop();
    QList<PendingAck> acks = takeAcks(true);
    QPointer<SocketIoClient> self(this);
    if (wasConnected) {
        qCInfo(lcClient) << "disconnected from" << m_url.toDisplayString() << "namespace" << m_nsp;
        Q_EMIT disconnected(QStringLiteral("io client disconnect"));
    }
    if (self)
        completeAcks(std::move(acks), AckResult::Error::Disconnected);
}

void SocketIoClient::emitEvent(
    const QString &event, const QJsonArray &args, const QList<QByteArray> &attachments)
{
    sio::Packet packet = eventPacket(m_nsp, event, args, attachments, std::nullopt);
    if (const std::optional<QString> reason = invalidReason(packet)) {
        qCWarning(lcClient) << "not emitting" << event << ":" << *reason;
        return;
    }
    queueOrSend(std::move(packet));
}

void SocketIoClient::emitEvent(const QString &event, const QJsonArray &args,
    const QList<QByteArray> &attachments, const QObject *context, AckCallback done, int timeoutMs)
{
    const qint64 id = m_nextAckId++;
    m_pendingAcks.insert(id, PendingAck {context ? context : this, std::move(done), false});
    sio::Packet packet = eventPacket(m_nsp, event, args, attachments, id);
    if (const std::optional<QString> reason = invalidReason(packet)) {
        qCWarning(lcClient) << "not emitting" << event << ":" << *reason;
        failAckLater(id, AckResult::Error::InvalidPacket);
        return;
    }
    if (timeoutMs > 0) {
        m_clock->callLater(timeoutMs, this, [this, id] {
            m_sendBuffer.removeIf([id](const sio::Packet &p) { return p.id == id; });
            finishAck(id, AckResult {AckResult::Error::Timeout, {}, {}});
        });
    }
    queueOrSend(std::move(packet));
}

void SocketIoClient::on(const QString &event, const QObject *context, EventHandler handler)
{
    m_handlers.insert(event, Handler {context ? context : this, std::move(handler)});
}

bool SocketIoClient::onRaw(const QString &event, const QObject *context, RawEventHandler handler)
{
    if (event.isEmpty() || sio::isReservedEvent(event))
        return false;
    for (const QChar c : event) {
        if (c.unicode() < 0x20 || c.unicode() >= 0x7f || c == u'"' || c == u'\\')
            return false;
    }
    m_rawHandlers.insert(
        event.toLatin1(), RawHandler {context ? context : this, std::move(handler)});
    return true;
}

void SocketIoClient::offRaw(const QString &event)
{
    m_rawHandlers.remove(event.toLatin1());
}

void SocketIoClient::off(const QString &event)
{
    m_handlers.remove(event);
}

// ---- connection ----------------------------------------------------------------------------

void SocketIoClient::startAttempt()
{
    m_reconnectTimer->stop();
    abortSocket();
    ++m_generation;
    m_maxPayload = 0;
    m_state = State::Opening;

    auto *socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    m_socket = socket;
    socket->setMaxAllowedIncomingMessageSize(quint64(m_maxIncomingMessageSize));
#ifndef QT_NO_SSL
    if (m_ssl)
        socket->setSslConfiguration(*m_ssl);
    if (!m_pinnedDigest.isEmpty()) {
        connect(socket, &QWebSocket::sslErrors, this,
            [socket, pin = m_pinnedDigest](const QList<QSslError> &errors) {
                const QSslCertificate peer = socket->sslConfiguration().peerCertificate();
                if (!peer.isNull() && peer.digest(QCryptographicHash::Sha256) == pin)
                    socket->ignoreSslErrors(errors);
            });
    }
#endif
    connect(socket, &QWebSocket::textMessageReceived, this, &SocketIoClient::onTextMessage);
    connect(socket, &QWebSocket::binaryMessageReceived, this, &SocketIoClient::onBinaryMessage);
    connect(socket, &QWebSocket::disconnected, this,
        [this] { connectionLost(QStringLiteral("transport close")); });
    connect(socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
        [this, socket](QAbstractSocket::SocketError error) {
            if (m_state != State::Connected)
                connectionLost(socket->errorString());
            else if (error == QAbstractSocket::RemoteHostClosedError)
                connectionLost(QStringLiteral("transport close"));
            else
                connectionLost(QStringLiteral("transport error"));
        });
    qCDebug(lcClient) << "opening" << m_url.toDisplayString() << "for namespace" << m_nsp;
    m_connectTimer->startIn(m_connectTimeout);
    socket->open(QNetworkRequest(m_url));
}

void SocketIoClient::onTextMessage(const QString &message)
{
    eio::DecodeError error;
    QByteArray frame = message.toUtf8();
    // A raw event is read from the frame itself (no copy of a big payload): "4" + the packet.
    if (frame.startsWith('4') && tryRawEvent(frame, 1))
        return;
    const std::optional<eio::Packet> packet = eio::decodeText(frame, &error);
    if (!packet)
        return protocolError(error.message);
    switch (packet->type) {
    case eio::PacketType::Open:
        if (m_state != State::Opening)
            return protocolError(QStringLiteral("a second open packet"));
        return onOpenPacket(packet->data);
    case eio::PacketType::Close:
        return connectionLost(QStringLiteral("transport close"));
    case eio::PacketType::Ping:
        if (m_state == State::Opening)
            return protocolError(QStringLiteral("ping before the open packet"));
        restartHeartbeat();
        m_socket->sendTextMessage(QStringLiteral("3"));
        return;
    case eio::PacketType::Pong:
    case eio::PacketType::Upgrade:
    case eio::PacketType::Noop:
        return;
    case eio::PacketType::Message:
        if (m_state == State::Opening)
            return protocolError(QStringLiteral("message before the open packet"));
        if (packet->binary)
            return onReassembled(m_reassembler.addBinary(packet->data));
        return onReassembled(m_reassembler.addText(packet->data));
    }
}

void SocketIoClient::onBinaryMessage(const QByteArray &message)
{
    if (m_state == State::Opening)
        return protocolError(QStringLiteral("binary message before the open packet"));
    onReassembled(m_reassembler.addBinary(message));
}

bool SocketIoClient::tryRawEvent(QByteArray &text, qsizetype offset)
{
    if (m_rawHandlers.isEmpty() || m_state != State::Connected || m_reassembler.isPending())
        return false;
    const std::optional<sio::EventPeek> peek = sio::peekEvent(QByteArrayView(text).sliced(offset));
    if (!peek || peek->nsp != QByteArrayView(m_nsp.toUtf8()))
        return false;
    const auto it = m_rawHandlers.constFind(peek->name.toByteArray());
    if (it == m_rawHandlers.constEnd())
        return false;
    if (!it->context) {
        m_rawHandlers.remove(peek->name.toByteArray());
        return false;
    }
    const RawEventHandler handler = it->handler; // it may call offRaw() or onRaw()
    // The arguments alone: the name and its comma become spaces, which JSON allows.
    const qsizetype argsStart = offset + peek->argsStart;
    const qsizetype from = argsStart + 1;
    const qsizetype count = offset + peek->nameEnd - from;
    const QByteArray saved = text.sliced(from, count);
    std::memset(text.data() + from, ' ', size_t(count));
    QPointer<SocketIoClient> self(this);
    if (handler(QByteArrayView(text).sliced(argsStart)))
        return true;
    if (!self)
        return true;
    std::memcpy(text.data() + from, saved.constData(), size_t(count));
    return false;
}

void SocketIoClient::onReassembled(sio::Reassembler::Status status)
{
    switch (status) {
    case sio::Reassembler::Status::NeedMore:
        return;
    case sio::Reassembler::Status::Error:
        return protocolError(m_reassembler.errorString());
    case sio::Reassembler::Status::Complete:
        return onSocketIoPacket(m_reassembler.take());
    }
}

void SocketIoClient::onOpenPacket(const QByteArray &data)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(data, &parseError);
    const QJsonObject open = document.object();
    const QJsonValue sid = open.value(QLatin1String("sid"));
    const QJsonValue pingInterval = open.value(QLatin1String("pingInterval"));
    const QJsonValue pingTimeout = open.value(QLatin1String("pingTimeout"));
    const QJsonValue maxPayload = open.value(QLatin1String("maxPayload"));
    if (!document.isObject() || !sid.isString() || !isPositiveNumber(pingInterval)
        || !isPositiveNumber(pingTimeout)
        || !(maxPayload.isUndefined() || isPositiveNumber(maxPayload))) {
        return protocolError(QStringLiteral("invalid open packet"));
    }
    m_pingInterval = int(std::min(pingInterval.toDouble(), MaxHeartbeatValue));
    m_pingTimeout = int(std::min(pingTimeout.toDouble(), MaxHeartbeatValue));
    m_maxPayload = maxPayload.isUndefined() ? 0 : qint64(maxPayload.toDouble());
    restartHeartbeat();
    m_state = State::Connecting;

    sio::Packet packet;
    packet.type = sio::PacketType::Connect;
    packet.nsp = m_nsp;
    if (!m_auth.isEmpty())
        packet.data = m_auth;
    sendPacket(packet);
}

void SocketIoClient::onSocketIoPacket(const sio::Packet &packet)
{
    if (packet.nsp != m_nsp) {
        qCDebug(lcClient) << "ignoring a packet for namespace" << packet.nsp;
        return;
    }
    switch (packet.type) {
    case sio::PacketType::Connect:
        if (m_state == State::Connecting)
            onConnectAnswer(packet);
        return;
    case sio::PacketType::ConnectError:
        if (m_state == State::Connecting)
            onConnectRefused(packet);
        return;
    case sio::PacketType::Disconnect:
        onServerDisconnect();
        return;
    case sio::PacketType::Event:
    case sio::PacketType::BinaryEvent:
        if (m_state == State::Connected)
            onEvent(packet);
        return;
    case sio::PacketType::Ack:
    case sio::PacketType::BinaryAck:
        if (m_state == State::Connected)
            finishAck(*packet.id,
                AckResult {AckResult::Error::None, packet.data.toArray(), packet.attachments});
        return;
    }
}

void SocketIoClient::onConnectAnswer(const sio::Packet &packet)
{
    const QJsonValue sid = packet.data.toObject().value(QLatin1String("sid"));
    if (!sid.isString())
        return protocolError(QStringLiteral("CONNECT answer without a sid"));
    m_id = sid.toString();
    m_state = State::Connected;
    m_connectTimer->stop();
    m_attempt = 0;
    qCInfo(lcClient) << "connected to" << m_url.toDisplayString() << "namespace" << m_nsp << "as"
                     << m_id;
    flushSendBuffer();
    Q_EMIT connected();
}

void SocketIoClient::onConnectRefused(const sio::Packet &packet)
{
    QString message;
    QJsonValue data(QJsonValue::Undefined);
    if (packet.data.isObject()) {
        const QJsonObject body = packet.data.toObject();
        message = body.value(QLatin1String("message")).toString();
        data = body.value(QLatin1String("data"));
    } else {
        message = packet.data.toString();
    }
    qCInfo(lcClient) << "namespace" << m_nsp << "at" << m_url.toDisplayString()
                     << "refused the connection:" << message << data << "- not reconnecting";
    stop();
    QList<PendingAck> acks = takeAcks(true);
    QPointer<SocketIoClient> self(this);
    Q_EMIT connectError(message, data);
    if (self)
        completeAcks(std::move(acks), AckResult::Error::Disconnected);
}

void SocketIoClient::onServerDisconnect()
{
    const bool wasConnected = m_state == State::Connected;
    qCInfo(lcClient) << "the server disconnected namespace" << m_nsp << "at"
                     << m_url.toDisplayString() << "- not reconnecting";
    stop();
    QList<PendingAck> acks = takeAcks(true);
    QPointer<SocketIoClient> self(this);
    const QString reason = QStringLiteral("io server disconnect");
    if (wasConnected)
        Q_EMIT disconnected(reason);
    else
        Q_EMIT connectError(reason, QJsonValue(QJsonValue::Undefined));
    if (self)
        completeAcks(std::move(acks), AckResult::Error::Disconnected);
}

void SocketIoClient::onEvent(const sio::Packet &packet)
{
    QJsonArray args = packet.data.toArray();
    const QString event = args.first().toString();
    args.removeFirst();
    AckResponder ack;
    if (packet.id) {
        ack.m_state = std::make_shared<AckResponder::State>(
            AckResponder::State {this, *packet.id, m_generation, false});
    }
    QPointer<SocketIoClient> self(this);
    const auto it = m_handlers.constFind(event);
    if (it != m_handlers.constEnd()) {
        if (!it->context) {
            m_handlers.remove(event);
        } else {
            const EventHandler handler = it->handler; // it may call off() or on()
            handler(args, packet.attachments, ack);
            if (!self)
                return;
        }
    }
    Q_EMIT eventReceived(event, args, packet.attachments);
}

void SocketIoClient::protocolError(const QString &message)
{
    qCWarning(lcClient) << "malformed packet from" << m_url.toDisplayString() << ":" << message
                        << "- closing the connection";
    connectionLost(QStringLiteral("parse error"));
}

void SocketIoClient::restartHeartbeat()
{
    m_heartbeatTimer->startIn(m_pingInterval + m_pingTimeout);
}

void SocketIoClient::connectionLost(const QString &reason)
{
    if (m_state == State::Idle)
        return;
    const bool wasConnected = m_state == State::Connected;
    abortSocket();
    QList<PendingAck> acks = takeAcks(false);
    QPointer<SocketIoClient> self(this);
    if (wasConnected) {
        qCInfo(lcClient) << "lost the connection to" << m_url.toDisplayString() << "namespace"
                         << m_nsp << ":" << reason;
        Q_EMIT disconnected(reason);
    } else {
        qCInfo(lcClient) << "could not connect to" << m_url.toDisplayString() << "namespace"
                         << m_nsp << ":" << reason;
        Q_EMIT connectError(reason, QJsonValue(QJsonValue::Undefined));
    }
    if (!self)
        return;
    completeAcks(std::move(acks), AckResult::Error::Disconnected);
    if (!self)
        return;
    // A slot may have called disconnectFromServer() or connectToServer() meanwhile.
    if (m_active && m_state == State::Idle && !m_reconnectTimer->isActive())
        scheduleReconnect();
}

void SocketIoClient::scheduleReconnect()
{
    ++m_attempt;
    const int delay = reconnectDelay(m_attempt, m_initialDelay, m_maxDelay, m_randomizationFactor,
        QRandomGenerator::global()->generateDouble());
    qCInfo(lcClient) << "reconnecting to" << m_url.toDisplayString() << "in" << delay
                     << "ms (attempt" << m_attempt << ")";
    m_reconnectTimer->startIn(delay);
    Q_EMIT reconnecting(m_attempt, delay);
}

void SocketIoClient::stop()
{
    m_active = false;
    m_reconnectTimer->stop();
    m_attempt = 0;
    m_sendBuffer.clear();
    if (m_state == State::Connected || m_state == State::Connecting)
        closeSocketCleanly();
    else
        abortSocket();
}

QWebSocket *SocketIoClient::detachSocket()
{
    m_heartbeatTimer->stop();
    m_connectTimer->stop();
    m_state = State::Idle;
    m_id.clear();
    m_reassembler.reset();
    QWebSocket *socket = std::exchange(m_socket, nullptr);
    if (socket)
        socket->disconnect(this);
    return socket;
}

void SocketIoClient::abortSocket()
{
    if (QWebSocket *socket = detachSocket()) {
        socket->abort();
        socket->deleteLater();
    }
}

void SocketIoClient::closeSocketCleanly()
{
    QWebSocket *socket = detachSocket();
    if (!socket)
        return;
    if (socket->state() != QAbstractSocket::ConnectedState) {
        socket->abort();
        socket->deleteLater();
        return;
    }
    // Kept (as a child) until the closing handshake is over, so what was written last (a
    // DISCONNECT) is not discarded by an abort.
    connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
    m_clock->callLater(CloseTimeoutMs, socket, [socket] {
        socket->abort();
        socket->deleteLater();
    });
    socket->close(QWebSocketProtocol::CloseCodeNormal);
}

// ---- sending -------------------------------------------------------------------------------

void SocketIoClient::queueOrSend(sio::Packet packet)
{
    if (m_state == State::Connected) {
        sendPacket(packet);
        return;
    }
    if (!m_active || m_sendBuffer.size() >= MaxSendBuffer) {
        const QString event = packet.data.toArray().first().toString();
        if (m_active)
            qCWarning(lcClient) << "send buffer full; dropping" << event;
        else
            qCDebug(lcClient) << "not connected; dropping" << event;
        if (packet.id)
            failAckLater(*packet.id, AckResult::Error::NotConnected);
        return;
    }
    m_sendBuffer.append(std::move(packet));
}

bool SocketIoClient::sendPacket(const sio::Packet &packet)
{
    const QByteArray text = '4' + sio::encode(packet);
    bool tooLarge = m_maxPayload > 0 && text.size() > m_maxPayload;
    for (const QByteArray &attachment : packet.attachments)
        tooLarge = tooLarge || (m_maxPayload > 0 && attachment.size() > m_maxPayload);
    const bool isEvent =
        packet.type == sio::PacketType::Event || packet.type == sio::PacketType::BinaryEvent;
    if (tooLarge) {
        qCWarning(lcClient) << "not sending a packet of" << text.size() << "bytes with"
                            << packet.attachments.size() << "attachment(s) to"
                            << m_url.toDisplayString() << ": larger than its maxPayload"
                            << m_maxPayload;
        if (isEvent && packet.id)
            failAckLater(*packet.id, AckResult::Error::PayloadTooLarge);
        return false;
    }
    m_socket->sendTextMessage(QString::fromUtf8(text));
    for (const QByteArray &attachment : packet.attachments)
        m_socket->sendBinaryMessage(attachment);
    if (isEvent && packet.id) {
        const auto it = m_pendingAcks.find(*packet.id);
        if (it != m_pendingAcks.end())
            it->sent = true;
    }
    return true;
}

void SocketIoClient::flushSendBuffer()
{
    const QList<sio::Packet> buffer = std::exchange(m_sendBuffer, {});
    for (const sio::Packet &packet : buffer)
        sendPacket(packet);
}

bool SocketIoClient::sendAck(
    qint64 id, quint64 generation, const QJsonArray &args, const QList<QByteArray> &attachments)
{
    if (m_state != State::Connected || generation != m_generation)
        return false;
    sio::Packet packet;
    packet.type = sio::PacketType::Ack;
    packet.nsp = m_nsp;
    packet.id = id;
    packet.data = args;
    packet.attachments = attachments;
    if (const std::optional<QString> reason = invalidReason(packet)) {
        qCWarning(lcClient) << "not sending an ack:" << *reason;
        return false;
    }
    return sendPacket(packet);
}

// ---- acks ----------------------------------------------------------------------------------

void SocketIoClient::finishAck(qint64 id, const AckResult &result)
{
    const auto it = m_pendingAcks.find(id);
    if (it == m_pendingAcks.end())
        return;
    const PendingAck ack = std::move(*it);
    m_pendingAcks.erase(it);
    if (ack.context && ack.done)
        ack.done(result);
}

void SocketIoClient::failAckLater(qint64 id, AckResult::Error error)
{
    QTimer::singleShot(0, this, [this, id, error] { finishAck(id, AckResult {error, {}, {}}); });
}

QList<SocketIoClient::PendingAck> SocketIoClient::takeAcks(bool includeBuffered)
{
    QList<PendingAck> taken;
    for (auto it = m_pendingAcks.begin(); it != m_pendingAcks.end();) {
        if (includeBuffered || it->sent) {
            taken.append(std::move(*it));
            it = m_pendingAcks.erase(it);
        } else {
            ++it;
        }
    }
    return taken;
}

void SocketIoClient::completeAcks(QList<PendingAck> acks, AckResult::Error error)
{
    QPointer<SocketIoClient> self(this);
    for (const PendingAck &ack : acks) {
        if (!self)
            return;
        if (ack.context && ack.done)
            ack.done(AckResult {error, {}, {}});
    }
}

// ---- backoff -------------------------------------------------------------------------------

int reconnectDelay(
    int attempt, int initialMs, int maxMs, double randomizationFactor, double random01)
{
    double ms = double(initialMs) * std::pow(2.0, std::clamp(attempt - 1, 0, 60));
    const double factor = std::clamp(randomizationFactor, 0.0, 1.0);
    if (factor > 0) {
        const double deviation = std::floor(random01 * factor * ms);
        ms = (int(std::floor(random01 * 10)) & 1) == 0 ? ms - deviation : ms + deviation;
    }
    return int(std::min(ms, double(maxMs)));
}

} // namespace jarvis::client
