// A RawWsTransport echo server for the interop suite (ws-interop.mjs, npm `ws` clients).
// Listens on 127.0.0.1:0 and prints "listening on PORT". Echoes every message, except
// commands sent as text:
//   "broadcast N"       N prepared messages ("vms" documents, seq 0..N-1) to every client,
//                       then "broadcast-done {json}" to the sender with how often each was framed
//   "close CODE REASON" the server closes this connection
// Options: --max-payload BYTES, --no-deflate.
#include "net/rawwstransport.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>

#include <cstdio>

using namespace jarvis::net;

namespace {

// The same document ws-interop.mjs builds with JSON.stringify.
QByteArray vmsDocument(int seq)
{
    QByteArray json = "{\"seq\":" + QByteArray::number(seq) + ",\"vms\":[";
    for (int i = 0; i < 1200; ++i) {
        if (i)
            json += ',';
        json += "{\"id\":" + QByteArray::number(i) + ",\"name\":\"vm-" + QByteArray::number(i)
            + "\",\"state\":\"" + (((i + seq) % 3) ? "running" : "stopped")
            + "\",\"cpu\":" + QByteArray::number((i * 7 + seq) % 100) + "}";
    }
    json += "]}";
    return json;
}

class EchoServer : public QObject
{
public:
    explicit EchoServer(const RawWsTransport::Options &options)
        : m_options(options)
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection())
                waitForHead(socket);
        });
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    quint16 port() const { return m_server.serverPort(); }

private:
    void waitForHead(QTcpSocket *socket)
    {
        auto tryAccept = [this, socket] {
            if (!socket->peek(64 * 1024).contains("\r\n\r\n"))
                return;
            disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
            QString error;
            RawWsTransport *transport = RawWsTransport::accept(socket, m_options, &error, this);
            if (!transport) {
                std::fprintf(stderr, "refused: %s\n", qPrintable(error));
                return;
            }
            m_transports.append(transport);
            connect(transport, &WsTransport::textReceived, this,
                [this, transport](const QByteArray &message) { onText(transport, message); });
            connect(transport, &WsTransport::binaryReceived, transport, &WsTransport::sendBinary);
            connect(transport, &WsTransport::closed, this, [this, transport] {
                m_transports.removeAll(transport);
                transport->deleteLater();
            });
        };
        connect(socket, &QTcpSocket::readyRead, this, tryAccept);
        tryAccept();
    }

    void onText(RawWsTransport *from, const QByteArray &message)
    {
        if (message.startsWith("broadcast ")) {
            const int count = message.mid(10).toInt();
            QJsonArray framesBuilt;
            for (int seq = 0; seq < count; ++seq) {
                const auto prepared =
                    ws::PreparedMessage::text(vmsDocument(seq), m_options.compressionLevel);
                for (const QPointer<RawWsTransport> &transport : std::as_const(m_transports)) {
                    if (transport)
                        transport->sendPrepared(prepared);
                }
                framesBuilt.append(prepared->framesBuilt());
            }
            QJsonObject report {{"count", count}, {"clients", int(m_transports.size())},
                {"framesBuilt", framesBuilt}};
            from->sendText(
                "broadcast-done " + QJsonDocument(report).toJson(QJsonDocument::Compact));
            return;
        }
        if (message.startsWith("close ")) {
            const QList<QByteArray> parts = message.split(' ');
            from->close(parts.value(1).toInt(), QString::fromUtf8(parts.mid(2).join(' ')));
            return;
        }
        from->sendText(message);
    }

    QTcpServer m_server;
    RawWsTransport::Options m_options;
    QList<QPointer<RawWsTransport>> m_transports;
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    RawWsTransport::Options options;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i < args.size(); ++i) {
        if (args[i] == u"--max-payload" && i + 1 < args.size())
            options.maxPayload = args[++i].toLongLong();
        else if (args[i] == u"--no-deflate")
            options.permessageDeflate = false;
    }
    EchoServer server(options);
    if (!server.listen()) {
        std::fprintf(stderr, "cannot listen\n");
        return 1;
    }
    std::printf("listening on %u\n", unsigned(server.port()));
    std::fflush(stdout);
    return app.exec();
}
