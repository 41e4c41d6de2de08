#include "realtime/sioserver.h"

#include "core/random.h"
#include "net/preparedmessage.h"
#include "net/wstransport.h"
#include "protocol/jsonwriter.h"
#include "protocol/socketio.h"
#include "realtime/engineserver.h"
#include "realtime/enginesocket.h"

#include <QJsonObject>
#include <QLoggingCategory>
#include <QTimer>

Q_DECLARE_LOGGING_CATEGORY(lcEngine)

namespace jarvis::realtime {

namespace {
constexpr int MaxPendingAcks = 1000;
constexpr qint64 MaxSnapshotBacklog =
    4 * 1024 * 1024; // skip a snapshot for a client this far behind
constexpr qint64 MaxBacklog = net::MaxOutboundBytes; // close a client this far behind

EncodedPacket encodePacket(const sio::Packet &packet)
{
    return {'4' + sio::encode(packet), packet.attachments};
}

void send(EngineSocket *engine, const EncodedPacket &encoded, bool compress = true)
{
    engine->sendText(encoded.text, compress);
    for (const QByteArray &blob : encoded.binary)
        engine->sendBinary(blob);
}
} // namespace

EncodedPacket encodeEvent(
    const QString &nsp, const QString &event, const Message &message, std::optional<qint64> ackId)
{
    QJsonArray data = message.args;
    data.prepend(event);
    sio::Packet packet;
    packet.type = sio::PacketType::Event;
    packet.nsp = nsp;
    packet.id = ackId;
    packet.data = data;
    packet.attachments = message.attachments;
    return encodePacket(packet);
}

EncodedPacket encodeEventRaw(const QString &nsp, const QString &event, const QByteArray &jsonArgs)
{
    // What encodeEvent() writes: "4" (Engine.IO message) "2" (EVENT) [nsp ","] [event, args...]
    const bool withNsp = !nsp.isEmpty() && nsp != QLatin1StringView("/");
    const QByteArray nspText = withNsp ? nsp.toUtf8() : QByteArray();
    QByteArray text;
    text.reserve(2 + nspText.size() + 1 + 6 * event.size() + 3 + jsonArgs.size() + 1);
    text.append("42");
    if (withNsp) {
        text.append(nspText);
        text.append(',');
    }
    text.append('[');
    json::appendJsonString(text, event);
    if (!jsonArgs.isEmpty()) {
        text.append(',');
        text.append(jsonArgs);
    }
    text.append(']');
    return {text, {}};
}

// The Socket.IO side of one Engine.IO connection: decodes packets (reassembling binary
// attachments), routes them to namespaces, and owns the SioSockets. Child of its EngineSocket.
class SioClient : public QObject
{
    Q_OBJECT
public:
    SioClient(SioServer *server, EngineSocket *engine)
        : QObject(engine)
        , m_server(server)
        , m_engine(engine)
    {
        connect(engine, &EngineSocket::textMessage, this, &SioClient::onText);
        connect(engine, &EngineSocket::binaryMessage, this, &SioClient::onBinary);
        connect(engine, &EngineSocket::closed, this, &SioClient::onClosed);
        m_connectTimer.setSingleShot(true);
        connect(&m_connectTimer, &QTimer::timeout, this, [this] {
            if (m_sockets.isEmpty())
                m_engine->close(QStringLiteral("connect timeout"));
        });
        m_connectTimer.start(server->connectTimeout());
    }

    EngineSocket *engine() const { return m_engine; }

    void sendPacket(const sio::Packet &packet) { send(m_engine, encodePacket(packet)); }

    void removeSocket(SioSocket *socket, const QString &reason, bool notifyClient)
    {
        if (m_sockets.value(socket->nsp()->name()) != socket)
            return;
        m_sockets.remove(socket->nsp()->name());
        if (notifyClient) {
            sio::Packet packet;
            packet.type = sio::PacketType::Disconnect;
            packet.nsp = socket->nsp()->name();
            sendPacket(packet);
        }
        socket->nsp()->remove(socket);
        socket->markDisconnected(reason);
        socket->deleteLater();
    }

private:
    void onText(const QByteArray &data) { handle(m_reassembler.addText(data)); }

    void onBinary(const QByteArray &data) { handle(m_reassembler.addBinary(data)); }

    void handle(sio::Reassembler::Status status)
    {
        if (status == sio::Reassembler::Status::NeedMore)
            return;
        if (status == sio::Reassembler::Status::Error) {
            qCDebug(lcEngine) << "session" << m_engine->id()
                              << "bad Socket.IO packet:" << m_reassembler.errorString();
            m_engine->close(QStringLiteral("parse error"));
            return;
        }
        const sio::Packet packet = m_reassembler.take();
        switch (packet.type) {
        case sio::PacketType::Connect:
            onConnect(packet);
            return;
        case sio::PacketType::Disconnect:
            if (SioSocket *socket = m_sockets.value(packet.nsp))
                removeSocket(socket, QStringLiteral("client namespace disconnect"), false);
            return;
        case sio::PacketType::Event:
        case sio::PacketType::BinaryEvent:
            onEvent(packet);
            return;
        case sio::PacketType::Ack:
        case sio::PacketType::BinaryAck:
            if (SioSocket *socket = m_sockets.value(packet.nsp))
                socket->onAck(*packet.id, Message {packet.data.toArray(), packet.attachments});
            return;
        case sio::PacketType::ConnectError:
            break;
        }
        qCDebug(lcEngine) << "session" << m_engine->id() << "unexpected Socket.IO packet type";
        m_engine->close(QStringLiteral("parse error"));
    }

    void onConnect(const sio::Packet &packet)
    {
        Namespace *nsp = m_server->findNamespace(packet.nsp);
        if (!nsp) {
            sio::Packet error;
            error.type = sio::PacketType::ConnectError;
            error.nsp = packet.nsp;
            error.data =
                QJsonObject {{QStringLiteral("message"), QStringLiteral("Invalid namespace")}};
            sendPacket(error);
            return;
        }
        if (m_sockets.contains(packet.nsp))
            return; // already connected: the reference server ignores a second CONNECT
        auto *socket = new SioSocket(randomToken(15), nsp, this);
        socket->m_auth = packet.data.toObject();
        QPointer<SioClient> self(this);
        if (const auto refused = nsp->authorize(socket, packet.data)) {
            delete socket;
            if (!self)
                return;
            QJsonObject body {{QStringLiteral("message"), refused->message}};
            if (!refused->data.isUndefined())
                body.insert(QStringLiteral("data"), refused->data);
            sio::Packet error;
            error.type = sio::PacketType::ConnectError;
            error.nsp = packet.nsp;
            error.data = body;
            sendPacket(error);
            return;
        }
        if (!self || !m_engine->isOpen()) {
            delete socket;
            return;
        }
        m_connectTimer.stop();
        m_sockets.insert(packet.nsp, socket);
        sio::Packet ok;
        ok.type = sio::PacketType::Connect;
        ok.nsp = packet.nsp;
        ok.data = QJsonObject {{QStringLiteral("sid"), socket->id()}};
        sendPacket(ok);
        nsp->add(socket);
        Q_EMIT nsp->connected(socket);
    }

    void onEvent(const sio::Packet &packet)
    {
        SioSocket *socket = m_sockets.value(packet.nsp);
        if (!socket)
            return; // not connected to that namespace: dropped, as the reference server does
        QJsonArray args = packet.data.toArray();
        const QString event = args.first().toString();
        args.removeFirst();
        AckCallback ack;
        if (packet.id) {
            QPointer<SioClient> self(this);
            const QString nsp = packet.nsp;
            const qint64 id = *packet.id;
            auto answered = std::make_shared<bool>(false);
            ack = [self, nsp, id, answered](const Message &reply) {
                if (!self || *answered || !self->m_engine->isOpen())
                    return;
                *answered = true;
                sio::Packet packet;
                packet.type = sio::PacketType::Ack;
                packet.nsp = nsp;
                packet.id = id;
                packet.data = reply.args;
                packet.attachments = reply.attachments;
                self->sendPacket(packet);
            };
        }
        socket->nsp()->dispatch(socket, event, Message {args, packet.attachments}, ack);
    }

    void onClosed(const QString &reason)
    {
        m_connectTimer.stop();
        const auto sockets = m_sockets.values();
        for (SioSocket *socket : sockets)
            removeSocket(socket, reason, false);
    }

    SioServer *m_server;
    EngineSocket *m_engine;
    sio::Reassembler m_reassembler;
    QHash<QString, SioSocket *> m_sockets; // children, by namespace
    QTimer m_connectTimer;
};

// --- SioSocket -------------------------------------------------------------------------------

SioSocket::SioSocket(const QString &id, Namespace *nsp, SioClient *client)
    : QObject(client)
    , m_id(id)
    , m_nsp(nsp)
    , m_client(client)
{ }

EngineSocket *SioSocket::engine() const
{
    return m_client->engine();
}

void SioSocket::emitEvent(const QString &event, const Message &message, AckCallback ack)
{
    if (!m_connected)
        return;
    std::optional<qint64> ackId;
    if (ack) {
        if (m_pendingAcks.size() >= MaxPendingAcks) {
            qCWarning(lcEngine) << "socket" << m_id
                                << "has too many unanswered acks; dropping the oldest";
            m_pendingAcks.remove(m_pendingAcks.keys().first());
        }
        ackId = m_nextAckId++;
        m_pendingAcks.insert(*ackId, std::move(ack));
    }
    send(engine(), encodeEvent(m_nsp->name(), event, message, ackId));
}

void SioSocket::emitRaw(const QString &event, const QByteArray &jsonArgs, bool compress)
{
    if (m_connected)
        send(engine(), encodeEventRaw(m_nsp->name(), event, jsonArgs), compress);
}

void SioSocket::onAck(qint64 id, const Message &message)
{
    const AckCallback callback = m_pendingAcks.take(id);
    if (callback)
        callback(message);
}

void SioSocket::disconnectFromNamespace()
{
    if (m_connected)
        m_client->removeSocket(this, QStringLiteral("server namespace disconnect"), true);
}

void SioSocket::markDisconnected(const QString &reason)
{
    if (!m_connected)
        return;
    m_connected = false;
    m_pendingAcks.clear();
    Q_EMIT disconnected(reason);
}

// --- Namespace -------------------------------------------------------------------------------

Namespace::Namespace(const QString &name, QObject *parent)
    : QObject(parent)
    , m_name(name)
{ }

std::optional<ConnectError> Namespace::authorize(SioSocket *socket, const QJsonValue &auth) const
{
    if (!m_middleware)
        return std::nullopt;
    return m_middleware(socket, auth);
}

void Namespace::dispatch(
    SioSocket *socket, const QString &event, const Message &message, const AckCallback &ack)
{
    const auto it = m_handlers.constFind(event);
    if (it == m_handlers.constEnd())
        return;
    it.value()(socket, message, ack);
}

void Namespace::add(SioSocket *socket)
{
    m_sockets.append(socket);
}

void Namespace::remove(SioSocket *socket)
{
    m_sockets.removeOne(socket);
}

void Namespace::broadcast(const QString &event, const Message &message, Delivery delivery)
{
    if (m_sockets.isEmpty())
        return;
    sendToAll(event, encodeEvent(m_name, event, message), delivery);
}

void Namespace::broadcastRaw(const QString &event, const QByteArray &jsonArgs, Delivery delivery)
{
    if (m_sockets.isEmpty())
        return;
    sendToAll(event, encodeEventRaw(m_name, event, jsonArgs), delivery);
}

void Namespace::sendToAll(const QString &event, const EncodedPacket &encoded, Delivery delivery)
{
    // Counted locally and added at the end: a socket closed in the loop may run handlers that
    // broadcast (and grow m_stats) before this returns.
    BroadcastStats stats;
    qint64 packetBytes = encoded.text.size();
    for (const QByteArray &blob : encoded.binary)
        packetBytes += blob.size();
    // Framed and compressed once; every socket gets the same bytes.
    const auto text = ws::PreparedMessage::text(encoded.text, m_compressionLevel);
    QList<std::shared_ptr<const ws::PreparedMessage>> attachments;
    for (const QByteArray &blob : encoded.binary)
        attachments.append(ws::PreparedMessage::binary(blob, m_compressionLevel));
    for (SioSocket *socket : std::as_const(m_sockets)) {
        EngineSocket *engine = socket->engine();
        const qint64 backlog = engine->pendingBytes();
        if (delivery == Delivery::Latest && backlog > MaxSnapshotBacklog) {
            // This client cannot keep up: it gets the next snapshot instead of a growing queue.
            ++m_skipped;
            ++stats.skipped;
            continue;
        }
        if (backlog > MaxBacklog) {
            qCWarning(lcEngine) << "session" << engine->id() << "has" << backlog
                                << "bytes unsent; closing it";
            engine->close(QStringLiteral("transport error"));
            continue;
        }
        engine->sendPrepared(text);
        for (const auto &blob : attachments)
            engine->sendPrepared(blob);
        stats.bytes += quint64(packetBytes);
    }
    BroadcastStats &total = m_stats[event];
    ++total.broadcasts;
    total.bytes += stats.bytes;
    total.skipped += stats.skipped;
}

// --- SioServer -------------------------------------------------------------------------------

SioServer::SioServer(EngineServer *engine, int connectTimeoutMs, QObject *parent)
    : QObject(parent)
    , m_connectTimeoutMs(connectTimeoutMs)
{
    connect(engine, &EngineServer::connection, this,
        [this](EngineSocket *socket) { new SioClient(this, socket); });
}

Namespace *SioServer::addNamespace(const QString &name)
{
    if (Namespace *existing = m_namespaces.value(name))
        return existing;
    auto *nsp = new Namespace(name, this);
    m_namespaces.insert(name, nsp);
    return nsp;
}

} // namespace jarvis::realtime

#include "sioserver.moc"
