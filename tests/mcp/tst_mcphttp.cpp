// MCP's Streamable HTTP transport (service/mcp/mcphttp.h) on a real port (127.0.0.1:0), its time
// from a core::ManualClock: the session limit (the idlest makes room, busy ones never), idle
// expiry, keepalive comments on an open stream, and the cap on what waits for a stream's client
// that does not read.
#include "auth/apikey.h"
#include "auth/jwt.h"
#include "core/clock.h"
#include "http/frontdoor.h"
#include "http/httpapi.h"
#include "mcp/mcphttp.h"
#include "mcp/mcpserver.h"
#include "tools/auditlog.h"
#include "tools/toolexecutor.h"

#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace jarvis;

namespace {

const QByteArray Secret = "a-test-secret-of-at-least-forty-three-characters-xx";

class TestSnapshots final : public mcp::ClusterSnapshots
{
public:
    std::optional<QByteArray> json(Kind) const override { return text; }
    void refresh(Kind, const QObject *, std::function<void()> done) override { done(); }
    void setWatched(bool) override { }
    QByteArray text = "[]";
};

struct Reply
{
    int status = 0;
    QByteArray head;
    QByteArray body;
    QByteArray header(const QByteArray &name) const
    {
        for (const QByteArray &line : head.split('\n')) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0 && line.left(colon).trimmed().toLower() == name)
                return line.mid(colon + 1).trimmed();
        }
        return {};
    }
};

} // namespace

class TestMcpHttp : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    core::ManualClock m_clock;
    std::unique_ptr<auth::JwtSigner> m_jwt;
    std::unique_ptr<http::HttpApi> m_api;
    std::unique_ptr<http::FrontDoor> m_door;
    std::unique_ptr<tools::AuditLog> m_audit;
    std::unique_ptr<tools::ToolExecutor> m_executor;
    TestSnapshots m_snapshots;
    std::unique_ptr<mcp::Server> m_server;
    std::unique_ptr<mcp::HttpTransport> m_transport;
    QString m_key;

    void start(mcp::HttpTransport::Options options)
    {
        m_jwt = std::make_unique<auth::JwtSigner>(Secret);
        m_api =
            std::make_unique<http::HttpApi>(http::OriginPolicy({}, false), m_jwt.get(), 1 << 20);
        m_door = std::make_unique<http::FrontDoor>(http::FrontDoor::Limits {});
        m_door->setHttpServer(m_api.get());
        QVERIFY(m_door->listen(QHostAddress::LocalHost, 0));
        m_audit = std::make_unique<tools::AuditLog>(
            m_dir.filePath(QStringLiteral("%1.jsonl").arg(QTest::currentTestFunction())));
        QString error;
        QVERIFY2(m_audit->open(&error), qPrintable(error));
        m_executor = std::make_unique<tools::ToolExecutor>(
            tools::SafetyPolicy({}, {}), m_audit.get(), nullptr);
        m_server = std::make_unique<mcp::Server>(m_executor.get(), &m_snapshots,
            mcp::Server::Info {QStringLiteral("jarvisd"), QStringLiteral("1"), {}});
        m_key = auth::newApiKey();
        QVERIFY(
            auth::parseApiKeys(auth::apiKeyEntry(QStringLiteral("t"), m_key), &options.apiKeys));
        m_transport = std::make_unique<mcp::HttpTransport>(
            m_server.get(), m_api.get(), m_jwt.get(), options, &m_clock);
    }

    QByteArray requestText(const QByteArray &method, const QByteArray &body,
        const QByteArray &session, bool close = true)
    {
        QByteArray text = method + " /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
            + m_key.toLatin1()
            + "\r\nAccept: application/json, text/event-stream\r\nContent-Type: "
              "application/json\r\n";
        if (!session.isEmpty())
            text += "Mcp-Session-Id: " + session + "\r\n";
        if (close)
            text += "Connection: close\r\n";
        return text + "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    }

    // One request on its own connection ("Connection: close"): the whole answer.
    Reply exchange(const QByteArray &method, const QByteArray &body, const QByteArray &session = {})
    {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_door->port());
        socket.write(requestText(method, body, session));
        QByteArray all;
        QObject::connect(
            &socket, &QTcpSocket::readyRead, &socket, [&] { all += socket.readAll(); });
        QSignalSpy closed(&socket, &QTcpSocket::disconnected);
        if (socket.state() != QAbstractSocket::UnconnectedState)
            closed.wait(10000);
        all += socket.readAll();
        Reply r;
        const qsizetype end = all.indexOf("\r\n\r\n");
        r.head = all.left(end);
        r.body = all.mid(end + 4);
        r.status = r.head.mid(9, 3).toInt();
        return r;
    }

    // The status of a request whose answer may be a stream that does not end: read up to the head.
    int headStatus(const QByteArray &method, const QByteArray &session)
    {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_door->port());
        socket.write(requestText(method, {}, session, false));
        QByteArray all;
        QObject::connect(
            &socket, &QTcpSocket::readyRead, &socket, [&] { all += socket.readAll(); });
        if (!QTest::qWaitFor([&all] { return all.contains("\r\n\r\n"); }, 10000))
            return 0;
        return all.mid(9, 3).toInt();
    }

    QByteArray initialize()
    {
        const Reply r = exchange("POST",
            R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
        if (r.status != 200)
            qWarning() << r.head << r.body;
        return r.header("mcp-session-id");
    }

    int ping(const QByteArray &session)
    {
        return exchange("POST", R"({"jsonrpc":"2.0","id":2,"method":"ping"})", session).status;
    }

    // Opens the session's GET stream on `socket`; true once its head arrived.
    bool openStream(QTcpSocket &socket, const QByteArray &session, QByteArray *received)
    {
        socket.connectToHost(QHostAddress::LocalHost, m_door->port());
        socket.write(requestText("GET", {}, session, false));
        QObject::connect(&socket, &QTcpSocket::readyRead, &socket,
            [&socket, received] { *received += socket.readAll(); });
        return QTest::qWaitFor([received] { return received->contains("\r\n\r\n"); }, 10000)
            && received->startsWith("HTTP/1.1 200");
    }

private Q_SLOTS:
    void cleanup()
    {
        m_transport.reset();
        m_server.reset();
        m_executor.reset();
        m_audit.reset();
        m_door.reset();
        m_api.reset();
    }

    void sessionLimitAndIdleExpiry()
    {
        mcp::HttpTransport::Options options;
        options.maxSessions = 2;
        options.sessionIdleMs = 60000;
        start(options);
        const QByteArray a = initialize();
        QCOMPARE(a.size(), 43);
        m_clock.advance(1000);
        const QByteArray b = initialize();
        m_clock.advance(1000);
        QCOMPARE(ping(a), 200); // a is now the more recent
        m_clock.advance(1000);
        const QByteArray c = initialize(); // full: b, idle the longest, makes room
        QVERIFY(!c.isEmpty());
        QCOMPARE(m_transport->sessionCount(), 2);
        QCOMPARE(ping(b), 404);
        QCOMPARE(ping(a), 200);
        QCOMPARE(ping(c), 200);

        // Sessions with an open stream are busy: none makes room, initialize answers 503.
        QTcpSocket streamA, streamC;
        QByteArray gotA, gotC;
        QVERIFY(openStream(streamA, a, &gotA));
        QVERIFY(openStream(streamC, c, &gotC));
        const Reply refused = exchange("POST",
            R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
        QCOMPARE(refused.status, 503);
        QCOMPARE(refused.header("retry-after"), QByteArray("60"));
        // ... and they do not expire while the stream is open.
        m_clock.advance(120000);
        QCOMPARE(m_transport->sessionCount(), 2);
        QSignalSpy closedA(&streamA, &QTcpSocket::disconnected);
        streamA.disconnectFromHost();
        QTRY_VERIFY(closedA.size() == 1 || streamA.state() == QAbstractSocket::UnconnectedState);
        QTRY_COMPARE(ping(c), 200); // c's stream stays; a's is gone (and a's idle time restarts)
        m_clock.advance(59000);
        QCOMPARE(m_transport->sessionCount(), 2);
        m_clock.advance(20000); // idle 79 s: the next sweep ends it
        QCOMPARE(m_transport->sessionCount(), 1);
        QCOMPARE(ping(a), 404);
    }

    void keepaliveComments()
    {
        mcp::HttpTransport::Options options;
        options.keepaliveMs = 25000;
        start(options);
        const QByteArray session = initialize();
        QTcpSocket stream;
        QByteArray received;
        QVERIFY(openStream(stream, session, &received));
        QVERIFY(received.contains("Content-Type: text/event-stream"));
        QVERIFY(!received.contains(": keepalive"));
        m_clock.advance(25000);
        QTRY_VERIFY(received.contains(": keepalive\n\n"));
    }

    // A client that opens its stream and never reads: once more than maxStreamBuffer bytes wait
    // for it, the stream is closed (a new GET is then accepted instead of 409), and nothing grows.
    void streamOfAClientThatDoesNotReadIsCapped()
    {
        mcp::HttpTransport::Options options;
        options.maxStreamBuffer = 64 * 1024;
        start(options);
        const QByteArray session = initialize();
        QCOMPARE(exchange("POST",
                     "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/subscribe\","
                     "\"params\":{\"uri\":\"jarvis://cluster/vms\"}}",
                     session)
                     .status,
            200);
        // A plain socket with a small receive buffer (no autotuning up to tcp_rmem's maximum,
        // which may be tens of MB): what the client's kernel takes is bounded.
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        QVERIFY(fd >= 0);
        const auto closeFd = qScopeGuard([fd] { ::close(fd); });
        const int small = 4096;
        QVERIFY(::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0);
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(m_door->port());
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QVERIFY(::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0);
        const QByteArray get = requestText("GET", {}, session, false);
        QCOMPARE(::write(fd, get.constData(), size_t(get.size())), ssize_t(get.size()));
        QTRY_COMPARE(headStatus("GET", session), 409); // its stream is open; one per session

        int sent = 0;
        bool closed = false;
        for (int round = 0; round < 400 && !closed; ++round) {
            for (int i = 0; i < 1000; ++i) {
                m_snapshots.text = QByteArray::number(++sent);
                m_server->snapshotChanged(mcp::ClusterSnapshots::Kind::Vms);
                if (i % 100 == 0)
                    QCoreApplication::processEvents();
            }
            closed = round % 20 == 19 && headStatus("GET", session) == 200;
        }
        QVERIFY2(closed, qPrintable(QStringLiteral("still open after %1 notifications").arg(sent)));
        qInfo() << "the stream closed after" << sent << "notifications";
    }
};

QTEST_GUILESS_MAIN(TestMcpHttp)
#include "tst_mcphttp.moc"
