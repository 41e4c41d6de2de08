#include "realtime/enginesocket.h"

#include "net/wstransport.h"
#include "protocol/engineio.h"

#include <QHttpServerResponder>
#include <QJsonArray>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QTcpSocket>

Q_LOGGING_CATEGORY(lcEngine, "jarvis.realtime")

namespace jarvis::realtime {

namespace {
const QByteArray PollContentType = "text/plain; charset=UTF-8";

QJsonObject engineError(int code, const char *message)
{
    return QJsonObject {
        {QStringLiteral("code"), code}, {QStringLiteral("message"), QLatin1String(message)}};
}
} // namespace

EngineSocket::EngineSocket(
    const QString &id, const EngineOptions &options, const QHostAddress &remote, QObject *parent)
    : QObject(parent)
    , m_id(id)
    , m_options(options)
    , m_remote(remote)
{
    m_pingTimer.setTimerType(Qt::PreciseTimer);
    m_pingTimer.setSingleShot(true);
    m_pongTimer.setTimerType(Qt::PreciseTimer);
    m_pongTimer.setSingleShot(true);
    m_upgradeTimer.setSingleShot(true);
    connect(&m_pingTimer, &QTimer::timeout, this, &EngineSocket::sendPing);
    connect(
        &m_pongTimer, &QTimer::timeout, this, [this] { finish(QStringLiteral("ping timeout")); });
    connect(&m_upgradeTimer, &QTimer::timeout, this, [this] {
        qCDebug(lcEngine) << "session" << m_id << "upgrade timed out";
        dropProbe();
    });
}

EngineSocket::~EngineSocket() = default;

QByteArray EngineSocket::openPacket(bool withUpgrades) const
{
    QJsonArray upgrades;
    if (withUpgrades && m_options.allowWebSocket)
        upgrades.append(QStringLiteral("websocket"));
    const QJsonObject open {{QStringLiteral("sid"), m_id}, {QStringLiteral("upgrades"), upgrades},
        {QStringLiteral("pingInterval"), m_options.pingInterval},
        {QStringLiteral("pingTimeout"), m_options.pingTimeout},
        {QStringLiteral("maxPayload"), double(m_options.maxPayload)}};
    return '0' + http::compactJson(open);
}

void EngineSocket::openPolling(QHttpServerResponder &&responder, const http::HeaderList &headers)
{
    m_transport = Transport::Polling;
    http::writeResponse(responder, 200, PollContentType, openPacket(true), headers);
    startHeartbeat();
}

void EngineSocket::openWebSocket(WsTransport *transport)
{
    m_transport = Transport::WebSocket;
    transport->setParent(this);
    useWebSocket(transport);
    m_ws->sendText(openPacket(false));
    startHeartbeat();
}

void EngineSocket::useWebSocket(WsTransport *ws)
{
    m_ws = ws;
    connect(m_ws, &WsTransport::textReceived, this, &EngineSocket::onWsText);
    connect(m_ws, &WsTransport::binaryReceived, this,
        [this](const QByteArray &bytes) { onPacket('4', bytes, true); });
    connect(
        m_ws, &WsTransport::closed, this, [this] { finish(QStringLiteral("transport close")); });
    connect(m_ws, &WsTransport::drained, this, [this] {
        if (!m_owedPong.isNull() && m_open)
            m_ws->sendText(std::exchange(m_owedPong, {}));
    });
}

void EngineSocket::answerPing(const QByteArray &data)
{
    // Only the latest ping that is not answered yet gets its pong: a client that pings and never
    // reads makes nothing grow.
    const QByteArray pong = '3' + data;
    if (m_transport == Transport::WebSocket && m_ws) {
        if (m_ws->pendingBytes() > 0) {
            m_owedPong = pong; // sent once what waits has gone (WsTransport::drained)
            return;
        }
        m_ws->sendText(pong);
        return;
    }
    for (qsizetype i = 0; i < m_queue.size(); ++i) {
        if (m_queue.at(i).pong) {
            m_queuedBytes -= m_queue.at(i).bytes.size();
            m_queue.removeAt(i);
            break;
        }
    }
    enqueue({pong, false, true, true});
}

void EngineSocket::startHeartbeat()
{
    m_pongTimer.stop();
    m_pingTimer.start(m_options.pingInterval);
    // The pong deadline follows the schedule, not the moment the ping timer happens to run (it
    // can run late on a busy machine, and the client's own timeout does not wait for it either).
    m_pongDeadline.setRemainingTime(
        qint64(m_options.pingInterval) + m_options.pingTimeout, Qt::PreciseTimer);
}

void EngineSocket::sendPing()
{
    if (!m_open)
        return;
    enqueue({QByteArray(1, '2'), false});
    m_pongTimer.start(std::chrono::milliseconds(m_pongDeadline.remainingTime()));
}

bool EngineSocket::isAlive()
{
    if (m_open && m_pongTimer.isActive() && m_pongDeadline.hasExpired())
        finish(QStringLiteral("ping timeout"));
    return m_open;
}

void EngineSocket::sendText(const QByteArray &packet, bool compress)
{
    enqueue({packet, false, compress});
}

void EngineSocket::sendBinary(const QByteArray &bytes)
{
    enqueue({bytes, true});
}

void EngineSocket::sendPrepared(const std::shared_ptr<const ws::PreparedMessage> &message)
{
    if (!m_open)
        return;
    if (m_transport == Transport::WebSocket && m_ws) {
        m_ws->sendPrepared(message);
        return;
    }
    enqueue({message->payload(), message->opcode() == ws::Opcode::Binary});
}

qint64 EngineSocket::pendingBytes() const
{
    if (m_transport == Transport::WebSocket && m_ws)
        return m_ws->pendingBytes();
    return m_queuedBytes;
}

void EngineSocket::enqueue(Outgoing out)
{
    if (!m_open)
        return;
    if (m_transport == Transport::WebSocket && m_ws) {
        if (out.binary)
            m_ws->sendBinary(out.bytes);
        else if (out.compress)
            m_ws->sendText(out.bytes);
        else
            m_ws->sendTextUncompressed(out.bytes);
        return;
    }
    m_queuedBytes += out.bytes.size();
    m_queue.append(std::move(out));
    if (m_queuedBytes > net::MaxOutboundBytes) {
        // A polling client that does not poll: the same limit as a WebSocket's queue.
        qCWarning(lcEngine) << "session" << m_id << "has" << m_queuedBytes
                            << "bytes unsent; closing it";
        close(QStringLiteral("transport error"));
        return;
    }
    scheduleFlush();
}

void EngineSocket::scheduleFlush()
{
    // Batch everything queued in this event-loop turn into one poll response.
    if (m_flushScheduled || !m_pendingGet)
        return;
    m_flushScheduled = true;
    QMetaObject::invokeMethod(this, &EngineSocket::flush, Qt::QueuedConnection);
}

void EngineSocket::flush()
{
    m_flushScheduled = false;
    if (!m_pendingGet || m_queue.isEmpty() || m_probeAnswered)
        return;
    QByteArray payload;
    for (qsizetype i = 0; i < m_queue.size(); ++i) {
        if (i > 0)
            payload += eio::RecordSeparator;
        const Outgoing &out = m_queue.at(i);
        payload += out.binary
            ? eio::encodePayloadRecord({eio::PacketType::Message, out.bytes, true})
            : out.bytes;
    }
    m_queue.clear();
    m_queuedBytes = 0;
    answerGet(payload);
}

void EngineSocket::answerGet(const QByteArray &payload)
{
    std::unique_ptr<QHttpServerResponder> responder = std::move(m_pendingGet);
    QPointer<QTcpSocket> socket = m_pendingGetSocket;
    m_pendingGetSocket.clear();
    if (responder && socket && socket->state() == QAbstractSocket::ConnectedState)
        http::writeResponse(*responder, 200, PollContentType, payload, m_pendingGetHeaders);
}

void EngineSocket::handleGet(
    QHttpServerResponder &&responder, QTcpSocket *socket, const http::HeaderList &headers)
{
    if (m_transport != Transport::Polling) {
        http::writeJson(responder, 400, QJsonDocument(engineError(3, "Bad request")), headers);
        return;
    }
    if (m_pendingGet && m_pendingGetSocket) {
        // Two concurrent polls: the reference server treats it as a fatal client error.
        http::writeJson(responder, 400, QJsonDocument(engineError(3, "Bad request")), headers);
        finish(QStringLiteral("transport error"));
        return;
    }
    m_pendingGet = std::make_unique<QHttpServerResponder>(std::move(responder));
    m_pendingGetSocket = socket;
    m_pendingGetHeaders = headers;
    if (m_probeAnswered) {
        // The client is pausing polling to upgrade: release it at once.
        answerGet(QByteArray(1, '6'));
        return;
    }
    if (!m_queue.isEmpty())
        scheduleFlush();
}

void EngineSocket::handlePost(
    const QByteArray &body, QHttpServerResponder &&responder, const http::HeaderList &headers)
{
    if (m_transport != Transport::Polling) {
        http::writeJson(responder, 400, QJsonDocument(engineError(3, "Bad request")), headers);
        return;
    }
    if (body.size() > m_options.maxPayload) {
        http::writeJson(
            responder, 413, QJsonDocument(engineError(3, "Payload too large")), headers);
        finish(QStringLiteral("transport error"));
        return;
    }
    eio::DecodeError error;
    const auto packets = eio::decodePayload(body, &error);
    if (!packets) {
        qCDebug(lcEngine) << "session" << m_id << "bad polling payload:" << error.message;
        http::writeJson(responder, 400, QJsonDocument(engineError(3, "Bad request")), headers);
        finish(QStringLiteral("parse error"));
        return;
    }
    http::writeResponse(responder, 200, PollContentType, "ok", headers);
    QPointer<EngineSocket> self(this);
    for (const eio::Packet &packet : *packets) {
        if (!self || !m_open)
            return;
        onPacket(char(packet.type), packet.data, packet.binary);
    }
}

void EngineSocket::onWsText(const QByteArray &frame)
{
    eio::DecodeError error;
    const auto packet = eio::decodeText(frame, &error);
    if (!packet) {
        qCDebug(lcEngine) << "session" << m_id << "bad packet:" << error.message;
        if (m_ws)
            m_ws->close(1002, QStringLiteral("parse error"));
        finish(QStringLiteral("parse error"));
        return;
    }
    onPacket(char(packet->type), packet->data, packet->binary);
}

void EngineSocket::onPacket(char type, const QByteArray &data, bool binary)
{
    if (!isAlive() || m_clientClosing)
        return;
    switch (eio::PacketType(type)) {
    case eio::PacketType::Message:
        if (binary)
            Q_EMIT binaryMessage(data);
        else
            Q_EMIT textMessage(data);
        return;
    case eio::PacketType::Pong:
        if (m_pongTimer.isActive())
            startHeartbeat();
        return;
    case eio::PacketType::Ping:
        answerPing(data);
        return;
    case eio::PacketType::Close:
        if (m_transport == Transport::Polling) {
            // Over polling the close takes effect after the requests that arrived with it: a
            // GET the client sent before its POST may be read after it (the event loop serves
            // ready sockets in descriptor order, not arrival order), and must still be held and
            // released with a noop, as the reference server does, rather than refused.
            m_clientClosing = true;
            QMetaObject::invokeMethod(
                this,
                [this] {
                    if (!isAlive())
                        return;
                    if (m_pendingGet)
                        answerGet(QByteArray(1, '6'));
                    finish(QStringLiteral("transport close"));
                },
                Qt::QueuedConnection);
            return;
        }
        finish(QStringLiteral("transport close"));
        return;
    case eio::PacketType::Noop:
        return;
    case eio::PacketType::Open:
    case eio::PacketType::Upgrade:
        break;
    }
    qCDebug(lcEngine) << "session" << m_id << "unexpected packet type" << type;
    if (m_ws)
        m_ws->close(1002, QStringLiteral("unexpected packet"));
    finish(QStringLiteral("parse error"));
}

void EngineSocket::beginUpgrade(WsTransport *probe)
{
    if (!m_open || m_transport != Transport::Polling || m_probe) {
        probe->close(1002, QStringLiteral("upgrade not possible"));
        probe->deleteLater();
        return;
    }
    m_probe = probe;
    m_probe->setParent(this);
    m_probeAnswered = false;
    connect(m_probe, &WsTransport::textReceived, this, &EngineSocket::onProbeText);
    connect(m_probe, &WsTransport::binaryReceived, this, [this] { dropProbe(); });
    connect(m_probe, &WsTransport::closed, this, [this] { dropProbe(); });
    m_upgradeTimer.start(m_options.upgradeTimeout);
}

void EngineSocket::onProbeText(const QByteArray &frame)
{
    if (frame == "2probe" && !m_probeAnswered) {
        m_probeAnswered = true;
        m_probe->sendText("3probe");
        if (m_pendingGet)
            answerGet(QByteArray(1, '6'));
        return;
    }
    if (frame == "5" && m_probeAnswered) {
        m_upgradeTimer.stop();
        WsTransport *ws = m_probe;
        m_probe = nullptr;
        m_probeAnswered = false;
        disconnect(ws, nullptr, this, nullptr);
        if (m_pendingGet)
            answerGet(QByteArray(1, '6'));
        m_transport = Transport::WebSocket;
        useWebSocket(ws);
        const QList<Outgoing> queued = std::exchange(m_queue, {});
        m_queuedBytes = 0;
        for (const Outgoing &out : queued)
            enqueue(out);
        return;
    }
    qCDebug(lcEngine) << "session" << m_id << "invalid upgrade packet";
    dropProbe();
}

void EngineSocket::dropProbe()
{
    m_upgradeTimer.stop();
    if (!m_probe)
        return;
    WsTransport *probe = std::exchange(m_probe, nullptr);
    m_probeAnswered = false;
    disconnect(probe, nullptr, this, nullptr);
    probe->close(1002, QStringLiteral("upgrade failed"));
    probe->deleteLater();
    if (!m_queue.isEmpty())
        scheduleFlush();
}

void EngineSocket::close(const QString &reason)
{
    if (!m_open)
        return;
    if (m_transport == Transport::WebSocket && m_ws) {
        m_ws->sendText(QByteArray(1, '1'));
        m_ws->close(1000, reason);
    } else if (m_pendingGet) {
        answerGet(QByteArray(1, '1'));
    }
    finish(reason);
}

void EngineSocket::finish(const QString &reason)
{
    if (!m_open)
        return;
    m_open = false;
    m_pingTimer.stop();
    m_pongTimer.stop();
    m_upgradeTimer.stop();
    m_queue.clear();
    m_queuedBytes = 0;
    if (m_pendingGet)
        answerGet(QByteArray(1, '1'));
    if (m_probe)
        dropProbe();
    if (m_ws) {
        disconnect(m_ws, nullptr, this, nullptr);
        m_ws->close(1000, reason);
    }
    Q_EMIT closed(reason);
}

} // namespace jarvis::realtime
