// REST and HTTP edge behaviour of a real Application on 127.0.0.1:0, spoken to with QNAM and with
// raw sockets for what QNAM cannot send (malformed heads, lying Content-Length).
#include "app/application.h"
#include "auth/jwt.h"
#include "auth/password.h"
#include "httpexchange.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace jarvis;
using test::Exchange;
using test::exchange;
using test::RawResponse;
using test::splitResponses;

namespace {
const QByteArray Secret = "test-secret-that-is-long-enough-0123456789abcdefgh";
const QString Password = QStringLiteral("correct horse battery staple");
const QByteArray AllowedOrigin = "https://allowed.example";

struct Reply
{
    int status = 0;
    QByteArray body;
    QJsonObject json;
    QHash<QByteArray, QByteArray> headers; // lower-case names
};
} // namespace

class TestHttp : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void health();
    void loginOk();
    void loginWrongPassword();
    void loginBadBodies_data();
    void loginBadBodies();
    void loginThrottled();
    void unauthorizedReasons_data();
    void unauthorizedReasons();
    void notFoundAndMethodNotAllowed_data();
    void notFoundAndMethodNotAllowed();
    void bodyTooLarge();
    void corsPreflight();
    void corsOnResponses();
    void disallowedOrigin();
    void engineIoErrors_data();
    void engineIoErrors();
    void malformedHeads_data();
    void malformedHeads();
    void framingErrors_data();
    void framingErrors();
    void refusedUpgradeWhileClientWrites_data();
    void refusedUpgradeWhileClientWrites();
    void acceptedFraming_data();
    void acceptedFraming();
    void pipelinedAnswersInOrder();
    void pollingCloseWithAPendingGet_data();
    void pollingCloseWithAPendingGet();

private:
    Reply request(const QByteArray &method, const QString &path, const QByteArray &body = {},
        const QList<QPair<QByteArray, QByteArray>> &headers = {});
    QByteArray raw(const QByteArray &bytes);
    QString url(const QString &path) const
    {
        return QStringLiteral("http://127.0.0.1:%1%2").arg(m_app->port()).arg(path);
    }

    std::unique_ptr<app::Application> m_app;
    QNetworkAccessManager m_nam;
};

void TestHttp::initTestCase()
{
    config::Config config;
    config.listen = QStringLiteral("127.0.0.1");
    config.port = 0;
    config.jwtSecret = Secret;
    config.passwordHash = auth::hashPassword(Password, 1000); // exercises the thread-pool path
    config.allowedOrigins = {QString::fromLatin1(AllowedOrigin)};
    config.maxBodySize = 4096;
    config.maxPayload = 2000;
    m_app = std::make_unique<app::Application>(config);
    QString error;
    QVERIFY2(m_app->start(&error), qPrintable(error));
}

void TestHttp::cleanupTestCase()
{
    m_app.reset();
}

Reply TestHttp::request(const QByteArray &method, const QString &path, const QByteArray &body,
    const QList<QPair<QByteArray, QByteArray>> &headers)
{
    QNetworkRequest req {QUrl(url(path))};
    req.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    if (!body.isEmpty())
        req.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    for (const auto &h : headers)
        req.setRawHeader(h.first, h.second);
    QNetworkReply *reply = m_nam.sendCustomRequest(req, method, body);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        finished.wait(10000);
    Reply r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.body = reply->readAll();
    r.json = QJsonDocument::fromJson(r.body).object();
    for (const auto &pair : reply->rawHeaderPairs())
        r.headers.insert(pair.first.toLower(), pair.second);
    reply->deleteLater();
    return r;
}

QByteArray TestHttp::raw(const QByteArray &bytes)
{
    return exchange(m_app->port(), bytes).received;
}

void TestHttp::health()
{
    const Reply r = request("GET", QStringLiteral("/api/health"));
    QCOMPARE(r.status, 200);
    QVERIFY(r.json.value(QStringLiteral("status")).isString());
    QCOMPARE(r.json.value(QStringLiteral("version")).toString(), QStringLiteral(JARVIS_VERSION));
    QVERIFY(r.json.value(QStringLiteral("uptimeSeconds")).isDouble());
    QVERIFY(
        r.json.value(QStringLiteral("proxmox")).toObject().contains(QStringLiteral("reachable")));
    QVERIFY(r.json.value(QStringLiteral("ssh"))
                .toObject()
                .value(QStringLiteral("connected"))
                .isArray());
}

void TestHttp::loginOk()
{
    const Reply r = request("POST", QStringLiteral("/api/auth/login"),
        QJsonDocument(QJsonObject {{QStringLiteral("password"), Password}}).toJson());
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json.value(QStringLiteral("expiresIn")).toInt(), 86400);
    const QString token = r.json.value(QStringLiteral("token")).toString();
    auth::TokenError error;
    const auto claims = auth::JwtSigner(Secret).verify(token, &error);
    QVERIFY(claims);
    QCOMPARE(claims->subject, QStringLiteral("admin"));

    const Reply session = request("GET", QStringLiteral("/api/auth/session"), {},
        {{"Authorization", "Bearer " + token.toLatin1()}});
    QCOMPARE(session.status, 200);
    QCOMPARE(session.json.value(QStringLiteral("user")).toString(), QStringLiteral("admin"));
}

void TestHttp::loginWrongPassword()
{
    const Reply r = request("POST", QStringLiteral("/api/auth/login"),
        R"({"username":"admin","password":"wrong"})", {{"X-Test", "wrong"}});
    QCOMPARE(r.status, 401);
    QCOMPARE(
        r.json, QJsonObject({{QStringLiteral("error"), QStringLiteral("invalid credentials")}}));
    const Reply wrongUser = request("POST", QStringLiteral("/api/auth/login"),
        QJsonDocument(QJsonObject {{QStringLiteral("username"), QStringLiteral("root")},
                          {QStringLiteral("password"), Password}})
            .toJson());
    QCOMPARE(wrongUser.status, 401);
}

void TestHttp::loginBadBodies_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("message");
    QTest::addRow("empty") << QByteArray() << QStringLiteral("JSON object");
    QTest::addRow("not json") << QByteArray("password=x") << QStringLiteral("invalid JSON");
    QTest::addRow("array") << QByteArray("[1]") << QStringLiteral("JSON object");
    QTest::addRow("password number")
        << QByteArray(R"({"password":12})") << QStringLiteral("password");
    QTest::addRow("password empty")
        << QByteArray(R"({"password":""})") << QStringLiteral("password");
    QTest::addRow("username object")
        << QByteArray(R"({"password":"x","username":{}})") << QStringLiteral("username");
}

void TestHttp::loginBadBodies()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, message);
    const Reply r =
        request("POST", QStringLiteral("/api/auth/login"), body.isEmpty() ? QByteArray(" ") : body);
    QCOMPARE(r.status, 400);
    QVERIFY2(
        r.json.value(QStringLiteral("error")).toString().contains(message), r.body.constData());
}

void TestHttp::loginThrottled()
{
    // loginWrongPassword already failed twice from 127.0.0.1; fail until throttled.
    Reply r;
    for (int i = 0; i < 6 && r.status != 429; ++i)
        r = request("POST", QStringLiteral("/api/auth/login"), R"({"password":"nope"})");
    QCOMPARE(r.status, 429);
    QCOMPARE(r.json.value(QStringLiteral("error")).toString(), QStringLiteral("too many attempts"));
    const int retryAfter = r.json.value(QStringLiteral("retryAfter")).toInt();
    QVERIFY(retryAfter >= 1 && retryAfter <= 60);
    QCOMPARE(r.headers.value("retry-after").toInt(), retryAfter);
    // Even the right password is refused while throttled.
    const Reply right = request("POST", QStringLiteral("/api/auth/login"),
        QJsonDocument(QJsonObject {{QStringLiteral("password"), Password}}).toJson());
    QCOMPARE(right.status, 429);
}

void TestHttp::unauthorizedReasons_data()
{
    QTest::addColumn<QByteArray>("authorization");
    QTest::addColumn<QString>("reason");
    const auth::JwtSigner signer(Secret);
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    const QJsonObject header {{QStringLiteral("alg"), QStringLiteral("HS256")},
        {QStringLiteral("typ"), QStringLiteral("JWT")}};
    const QString expired = signer.sign(header,
        QJsonObject {{QStringLiteral("sub"), QStringLiteral("admin")},
            {QStringLiteral("iat"), double(now - 7200)},
            {QStringLiteral("exp"), double(now - 3600)}});
    const QString otherKey = auth::JwtSigner("another-secret-another-secret-another-secret!")
                                 .issue(QStringLiteral("admin"), 600);
    QTest::addRow("no header") << QByteArray() << QStringLiteral("missing");
    QTest::addRow("empty bearer") << QByteArray("Bearer ") << QStringLiteral("missing");
    QTest::addRow("basic auth") << QByteArray("Basic YWRtaW46eA==") << QStringLiteral("missing");
    QTest::addRow("garbage") << QByteArray("Bearer not.a.token") << QStringLiteral("invalid");
    QTest::addRow("other key") << ("Bearer " + otherKey.toLatin1()) << QStringLiteral("invalid");
    QTest::addRow("expired") << ("Bearer " + expired.toLatin1()) << QStringLiteral("expired");
}

void TestHttp::unauthorizedReasons()
{
    QFETCH(QByteArray, authorization);
    QFETCH(QString, reason);
    QList<QPair<QByteArray, QByteArray>> headers;
    if (!authorization.isEmpty())
        headers.append({"Authorization", authorization});
    const Reply r = request("GET", QStringLiteral("/api/auth/session"), {}, headers);
    QCOMPARE(r.status, 401);
    QCOMPARE(r.json.value(QStringLiteral("error")).toString(), QStringLiteral("unauthorized"));
    QCOMPARE(r.json.value(QStringLiteral("reason")).toString(), reason);
}

void TestHttp::notFoundAndMethodNotAllowed_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("status");
    QTest::addRow("unknown api") << QByteArray("GET") << QStringLiteral("/api/nothing") << 404;
    QTest::addRow("api itself") << QByteArray("GET") << QStringLiteral("/api") << 404;
    QTest::addRow("unknown socket.io path")
        << QByteArray("GET") << QStringLiteral("/socket.io/x/y") << 404;
    QTest::addRow("post metrics") << QByteArray("POST") << QStringLiteral("/metrics") << 405;
    QTest::addRow("below metrics") << QByteArray("GET") << QStringLiteral("/metrics/x") << 404;
    QTest::addRow("below mcp") << QByteArray("GET") << QStringLiteral("/mcp/x") << 404;
    QTest::addRow("put mcp") << QByteArray("PUT") << QStringLiteral("/mcp") << 405;
    QTest::addRow("delete health") << QByteArray("DELETE") << QStringLiteral("/api/health") << 405;
    QTest::addRow("get login") << QByteArray("GET") << QStringLiteral("/api/auth/login") << 405;
    QTest::addRow("put login") << QByteArray("PUT") << QStringLiteral("/api/auth/login") << 405;
}

void TestHttp::notFoundAndMethodNotAllowed()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(int, status);
    const Reply r = request(method, path);
    QCOMPARE(r.status, status);
    QVERIFY2(r.headers.value("content-type").startsWith("application/json"),
        r.headers.value("content-type"));
    QVERIFY(!r.json.value(QStringLiteral("error")).toString().isEmpty());
    if (status == 405)
        QVERIFY(!r.headers.value("allow").isEmpty());
}

void TestHttp::bodyTooLarge()
{
    // Declared length over the limit: refused from the head, before the body is read.
    const QByteArray reply =
        raw("POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 10000000\r\n\r\n{");
    QVERIFY2(reply.startsWith("HTTP/1.1 413"), reply.constData());
    QVERIFY(reply.contains("\"error\""));

    // Through QNAM with a real body just over the limit.
    const Reply r = request("POST", QStringLiteral("/api/auth/login"), QByteArray(5000, ' '));
    QCOMPARE(r.status, 413);
    QVERIFY(r.json.value(QStringLiteral("error")).toString().contains(QStringLiteral("limit")));
}

void TestHttp::corsPreflight()
{
    const Reply r = request("OPTIONS", QStringLiteral("/api/auth/login"), {},
        {{"Origin", AllowedOrigin}, {"Access-Control-Request-Method", "POST"}});
    QCOMPARE(r.status, 204);
    QCOMPARE(r.headers.value("access-control-allow-origin"), AllowedOrigin);
    QVERIFY(r.headers.value("access-control-allow-methods").contains("POST"));
    QVERIFY(r.headers.value("access-control-allow-methods").contains("GET"));
    QVERIFY(r.headers.value("access-control-allow-headers").contains("authorization"));
    QVERIFY(r.headers.value("access-control-allow-headers").contains("content-type"));
    QCOMPARE(r.headers.value("vary"), QByteArray("Origin"));
}

void TestHttp::corsOnResponses()
{
    for (const QString &path : {QStringLiteral("/api/health"), QStringLiteral("/api/auth/session"),
             QStringLiteral("/api/nothing")}) {
        const Reply r = request("GET", path, {}, {{"Origin", AllowedOrigin}});
        QCOMPARE(r.headers.value("access-control-allow-origin"), AllowedOrigin);
        QCOMPARE(r.headers.value("vary"), QByteArray("Origin"));
    }
    // Engine.IO polling, success and error alike.
    const Reply handshake = request("GET", QStringLiteral("/socket.io/?EIO=4&transport=polling"),
        {}, {{"Origin", AllowedOrigin}});
    QCOMPARE(handshake.status, 200);
    QCOMPARE(handshake.headers.value("access-control-allow-origin"), AllowedOrigin);
    const Reply bad = request("GET", QStringLiteral("/socket.io/?EIO=4&transport=polling&sid=nope"),
        {}, {{"Origin", AllowedOrigin}});
    QCOMPARE(bad.status, 400);
    QCOMPARE(bad.headers.value("access-control-allow-origin"), AllowedOrigin);
    // Same origin needs no allow-list entry.
    const QByteArray self = "http://127.0.0.1:" + QByteArray::number(m_app->port());
    const Reply same = request("GET", QStringLiteral("/api/health"), {}, {{"Origin", self}});
    QCOMPARE(same.status, 200);
}

void TestHttp::disallowedOrigin()
{
    const QList<QPair<QByteArray, QByteArray>> evil {{"Origin", "http://evil.example"}};
    QCOMPARE(request("GET", QStringLiteral("/api/health"), {}, evil).status, 403);
    QCOMPARE(request("OPTIONS", QStringLiteral("/api/health"), {}, evil).status, 403);
    const Reply polling =
        request("GET", QStringLiteral("/socket.io/?EIO=4&transport=polling"), {}, evil);
    QCOMPARE(polling.status, 403);
    QCOMPARE(polling.json.value(QStringLiteral("code")).toInt(), 4);
    QVERIFY(polling.headers.value("access-control-allow-origin").isEmpty());
    // The WebSocket upgrade is refused before the handshake.
    const QByteArray reply =
        raw("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://evil.example\r\n\r\n");
    QVERIFY2(reply.startsWith("HTTP/1.1 403"), reply.constData());
}

void TestHttp::engineIoErrors_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("query");
    QTest::addColumn<int>("status");
    QTest::addColumn<int>("code");
    QTest::addRow("no transport") << QByteArray("GET") << QStringLiteral("EIO=4") << 400 << 0;
    QTest::addRow("unknown transport")
        << QByteArray("GET") << QStringLiteral("EIO=4&transport=carrier-pigeon") << 400 << 0;
    QTest::addRow("unknown sid get")
        << QByteArray("GET") << QStringLiteral("EIO=4&transport=polling&sid=abc") << 400 << 1;
    QTest::addRow("unknown sid post")
        << QByteArray("POST") << QStringLiteral("EIO=4&transport=polling&sid=abc") << 400 << 1;
    QTest::addRow("post handshake")
        << QByteArray("POST") << QStringLiteral("EIO=4&transport=polling") << 400 << 2;
    QTest::addRow("EIO 3") << QByteArray("GET") << QStringLiteral("EIO=3&transport=polling") << 400
                           << 5;
    QTest::addRow("EIO missing") << QByteArray("GET") << QStringLiteral("transport=polling") << 400
                                 << 5;
}

void TestHttp::engineIoErrors()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, query);
    QFETCH(int, status);
    QFETCH(int, code);
    const Reply r = request(method, QStringLiteral("/socket.io/?") + query,
        method == "POST" ? QByteArray("4hello") : QByteArray());
    QCOMPARE(r.status, status);
    QCOMPARE(r.json.value(QStringLiteral("code")).toInt(-1), code);
    QVERIFY(!r.json.value(QStringLiteral("message")).toString().isEmpty());
}

void TestHttp::malformedHeads_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QByteArray>("statusLine");
    QTest::addRow("garbage line") << QByteArray("HELLO\r\n\r\n") << QByteArray("HTTP/1.1 400");
    QTest::addRow("no colon header")
        << QByteArray("GET / HTTP/1.1\r\nnocolon\r\n\r\n") << QByteArray("HTTP/1.1 400");
    QTest::addRow("bad content-length")
        << QByteArray("POST /api/auth/login HTTP/1.1\r\nContent-Length: x\r\n\r\n")
        << QByteArray("HTTP/1.1 400");
    QTest::addRow("negative content-length")
        << QByteArray("POST /api/auth/login HTTP/1.1\r\nContent-Length: -5\r\n\r\n")
        << QByteArray("HTTP/1.1 400");
    QTest::addRow("head too large")
        << ("GET / HTTP/1.1\r\nX-Big: " + QByteArray(20000, 'a')) << QByteArray("HTTP/1.1 431");
    QTest::addRow("upgrade elsewhere") << QByteArray(
        "GET /elsewhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\n\r\n") << QByteArray("HTTP/1.1 404");
}

void TestHttp::malformedHeads()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QByteArray, statusLine);
    const QByteArray reply = raw(bytes);
    QVERIFY2(reply.startsWith(statusLine), reply.left(200).constData());
    QVERIFY(reply.contains("{\"error\""));
    // And the server is still fine.
    QCOMPARE(request("GET", QStringLiteral("/api/health")).status, 200);
}

namespace {
const QByteArray Next =
    "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"; // pipelined after the bad one
const QByteArray Post = "POST /api/health HTTP/1.1\r\nHost: x\r\n"; // 405 once read
} // namespace

// RFC 9112 framing the front door refuses: the status, then the connection is closed, and the
// request pipelined behind the bad one is never served.
void TestHttp::framingErrors_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("goodFirst"); // a good request precedes it on the connection
    const QByteArray te = "Transfer-Encoding: chunked\r\n";
    auto row = [](const char *name, const QByteArray &bytes, int status, bool goodFirst = false) {
        QTest::addRow("%s", name) << bytes << status << goodFirst;
    };
    // Content-Length and Transfer-Encoding together, and ambiguous lengths.
    row("te then cl", Post + te + "Content-Length: 5\r\n\r\n0\r\n\r\n", 400);
    row("cl then te", Post + "Content-Length: 5\r\n" + te + "\r\n0\r\n\r\n", 400);
    row("te and cl pipelined", Post + te + "Content-Length: 5\r\n\r\n0\r\n\r\n", 400, true);
    row("two different cl", Post + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400);
    row("same cl twice", Post + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400);
    row("cl list", Post + "Content-Length: 5, 5\r\n\r\nhello", 400);
    row("cl plus sign", Post + "Content-Length: +5\r\n\r\nhello", 400);
    row("cl minus sign", Post + "Content-Length: -5\r\n\r\nhello", 400);
    row("cl hex", Post + "Content-Length: 0x5\r\n\r\nhello", 400);
    row("cl leading junk", Post + "Content-Length: a5\r\n\r\nhello", 400);
    row("cl trailing junk", Post + "Content-Length: 5a\r\n\r\nhello", 400);
    row("cl inner space", Post + "Content-Length: 5 5\r\n\r\nhello", 400);
    row("cl decimal point", Post + "Content-Length: 5.0\r\n\r\nhello", 400);
    row("cl empty", Post + "Content-Length: \r\n\r\nhello", 400);
    row("cl overflow", Post + "Content-Length: 99999999999999999999999\r\n\r\nhello", 400);
    row("cl 2^64", Post + "Content-Length: 18446744073709551621\r\n\r\nhello", 400);
    // Chunked bodies.
    row("chunk size 2^64-1", Post + te + "\r\nFFFFFFFFFFFFFFFF\r\n", 400);
    row("chunk size 2^64", Post + te + "\r\n10000000000000000\r\nx\r\n0\r\n\r\n", 400);
    row("chunk size 2^60 after zeros", Post + te + "\r\n0001000000000000000\r\n", 400);
    row("chunk size negative", Post + te + "\r\n-1\r\nx\r\n0\r\n\r\n", 400);
    row("chunk size 0x prefix", Post + te + "\r\n0x5\r\nhello\r\n0\r\n\r\n", 400);
    row("chunk size empty", Post + te + "\r\n\r\nhello\r\n0\r\n\r\n", 400);
    row("chunk size not hex", Post + te + "\r\nzz\r\nhello\r\n0\r\n\r\n", 400);
    row("chunk size trailing space", Post + te + "\r\n5 \r\nhello\r\n0\r\n\r\n", 400);
    row("chunk ext without name", Post + te + "\r\n5;\r\nhello\r\n0\r\n\r\n", 400);
    row("chunk ext without value", Post + te + "\r\n5;a=\r\nhello\r\n0\r\n\r\n", 400);
    row("chunk ext open quote", Post + te + "\r\n5;a=\"b\r\nhello\r\n0\r\n\r\n", 400);
    row("chunk ext control char", Post + te + "\r\n5;a=\x01\r\nhello\r\n0\r\n\r\n", 400);
    row("chunk line too long", Post + te + "\r\n5;a=" + QByteArray(5000, 'b') + "\r\n", 400);
    row("chunk data without crlf", Post + te + "\r\n5\r\nhelloXX0\r\n\r\n", 400);
    row("chunk data too long", Post + te + "\r\n3\r\nhello\r\n0\r\n\r\n", 400);
    row("chunk data bare lf", Post + te + "\r\n5\r\nhello\n0\r\n\r\n", 400);
    row("chunk line bare lf", Post + te + "\r\n5\nhello\r\n0\r\n\r\n", 400);
    row("last chunk bare lf", Post + te + "\r\n5\r\nhello\r\n0\n\n", 400);
    row("trailer field", Post + te + "\r\n5\r\nhello\r\n0\r\nX-Trailer: y\r\n\r\n", 400);
    row("chunked over the limit", Post + te + "\r\n100000\r\n", 413);
    row("cl over the limit pipelined", Post + "Content-Length: 100000\r\n\r\n", 413, true);
    // Transfer-Encoding values.
    row("te gzip, chunked", Post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501);
    row("te chunked, gzip", Post + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 501);
    row("te unknown", Post + "Transfer-Encoding: foo\r\n\r\n0\r\n\r\n", 501);
    row("te identity", Post + "Transfer-Encoding: identity\r\n\r\nhello", 501);
    row("te two lines", Post + te + te + "\r\n0\r\n\r\n", 400);
    row("te chunked twice", Post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400);
    row("te empty", Post + "Transfer-Encoding: \r\n\r\n0\r\n\r\n", 400);
    row("te empty element", Post + "Transfer-Encoding: , chunked\r\n\r\n0\r\n\r\n", 400);
    row("te chunked parameter", Post + "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400);
    row("te junk", Post + "Transfer-Encoding: chunked\x01\r\n\r\n0\r\n\r\n", 400);
    row("te in http/1.0", "POST /api/health HTTP/1.0\r\nHost: x\r\n" + te + "\r\n0\r\n\r\n", 400);
    row("te obs-fold", Post + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", 400);
    // Header syntax.
    row("obs-fold", "GET /api/health HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n", 400);
    row("obs-fold tab", "GET /api/health HTTP/1.1\r\nHost: x\r\nX-A: b\r\n\tc\r\n\r\n", 400);
    row("space before colon", Post + "Content-Length : 5\r\n\r\nhello", 400);
    row("tab before colon", "GET /api/health HTTP/1.1\r\nHost\t: x\r\n\r\n", 400);
    row("space in name", "GET /api/health HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n", 400);
    row("invalid name char", "GET /api/health HTTP/1.1\r\nHost: x\r\nX(A): b\r\n\r\n", 400);
    row("empty name", "GET /api/health HTTP/1.1\r\nHost: x\r\n: b\r\n\r\n", 400);
    row("no colon", "GET /api/health HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n", 400);
    row("no host", "GET /api/health HTTP/1.1\r\n\r\n", 400);
    row("two hosts", "GET /api/health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400);
    // Line ends and bytes that do not belong in a head.
    row("bare lf request line", "GET /api/health HTTP/1.1\nHost: x\r\n\r\n", 400);
    row("bare lf everywhere", "GET /api/health HTTP/1.1\nHost: x\n\n", 400);
    row("bare lf end of head", "GET /api/health HTTP/1.1\r\nHost: x\r\n\n", 400);
    row("bare cr request line", "GET /api/health HTTP/1.1\rHost: x\r\n\r\n", 400);
    row("bare cr in value", "GET /api/health HTTP/1.1\r\nHost: x\r\nX-A: b\rc\r\n\r\n", 400);
    const QByteArray nul(1, '\0');
    row("nul in target", "GET /api/" + nul + "health HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    row("nul in value", "GET /api/health HTTP/1.1\r\nHost: x" + nul + "y\r\n\r\n", 400);
    row("control char in value", "GET /api/health HTTP/1.1\r\nHost: x\r\nX-A: \x7f\r\n\r\n", 400);
    row("nul before anything", nul + "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    // The request line.
    row("two spaces", "GET  /api/health HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    row("trailing space", "GET /api/health HTTP/1.1 \r\nHost: x\r\n\r\n", 400);
    row("leading space", " GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    row("tab separator", "GET\t/api/health HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    row("no version", "GET /api/health\r\nHost: x\r\n\r\n", 400);
    row("lower-case version", "GET /api/health http/1.1\r\nHost: x\r\n\r\n", 400);
    row("version 1.10", "GET /api/health HTTP/1.10\r\nHost: x\r\n\r\n", 400);
    row("version 2.0", "GET /api/health HTTP/2.0\r\nHost: x\r\n\r\n", 505);
    row("version 0.9", "GET /api/health HTTP/0.9\r\nHost: x\r\n\r\n", 505);
    row("version 3.0 pipelined", "GET /api/health HTTP/3.0\r\nHost: x\r\n\r\n", 505, true);
    row("bad method", "G(T /api/health HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    row("space in target", "GET /api/ health HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    row("upgrade not first",
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        400, true);
}

void TestHttp::framingErrors()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    QFETCH(bool, goodFirst);
    const QByteArray good = "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n";
    const Exchange ex = exchange(m_app->port(), (goodFirst ? good : QByteArray()) + bytes + Next);
    QVERIFY2(ex.closed, "the server kept the connection open");
    const QList<RawResponse> responses = splitResponses(ex.received);
    QCOMPARE(responses.size(), goodFirst ? 2 : 1); // the pipelined request was not served
    if (goodFirst)
        QCOMPARE(responses.first().status, 200);
    const RawResponse &refusal = responses.last();
    QVERIFY2(refusal.status == status, ex.received.left(300).constData());
    QVERIFY(refusal.head.contains("connection: close"));
    QVERIFY(refusal.body.startsWith("{\"error\""));
}

// A refused WebSocket upgrade (the front door's route, the Engine.IO checks, the handshake
// itself) from a client that goes on writing: the whole refusal arrives, then a clean end of
// stream. Closing the socket while the client's bytes sit unread would make the kernel answer
// with a reset, and the client could lose the refusal (net::answerAndClose half-closes and
// drains instead; the client here sees the end of stream, then closes).
void TestHttp::refusedUpgradeWhileClientWrites_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<int>("status");
    const QByteArray ws =
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nHost: 127.0.0.1\r\n";
    const QByteArray get = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n";
    QTest::addRow("origin") << (get + ws + "Origin: http://evil.example\r\n\r\n") << 403;
    QTest::addRow("unknown sid")
        << ("GET /socket.io/?EIO=4&transport=websocket&sid=nope HTTP/1.1\r\n" + ws + "\r\n") << 400;
    QTest::addRow("EIO 3") << ("GET /socket.io/?EIO=3&transport=websocket HTTP/1.1\r\n" + ws
        + "\r\n") << 400;
    QTest::addRow("handshake version") << (get
        + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nHost: 127.0.0.1\r\n\r\n")
                                       << 426;
    QTest::addRow("no route") << ("GET /nowhere HTTP/1.1\r\n" + ws + "\r\n") << 404;
}

void TestHttp::refusedUpgradeWhileClientWrites()
{
    QFETCH(QByteArray, head);
    QFETCH(int, status);
    // A plain socket: QTcpSocket reports a reset and a clean close alike.
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    QVERIFY(fd >= 0);
    auto closeFd = qScopeGuard([fd] { ::close(fd); });
    sockaddr_in address {};
    address.sin_family = AF_INET;
    address.sin_port = htons(m_app->port());
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    QVERIFY(::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0
        || errno == EINPROGRESS);
    // The head, then what looks like WebSocket frames, written until the server has answered
    // and ended the stream (or up to 8 MiB).
    const QByteArray junk(64 * 1024, '\x82');
    QByteArray pending = head + junk;
    qint64 sent = 0;
    QByteArray received;
    int readError = 0;
    bool ended = false;
    QDeadlineTimer deadline(20000);
    while (!ended && readError == 0 && !deadline.hasExpired()) {
        if (sent < 8 * 1024 * 1024) {
            const ssize_t n = ::send(fd, pending.constData(), size_t(pending.size()), MSG_NOSIGNAL);
            if (n > 0) {
                sent += n;
                pending.remove(0, n);
                if (pending.isEmpty())
                    pending = junk;
            }
        }
        char buffer[16 * 1024];
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got > 0)
            received.append(buffer, got);
        else if (got == 0)
            ended = true;
        else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN)
            readError = errno;
        QTest::qWait(1); // the server runs in this thread; paces the loop
    }
    QVERIFY2(readError == 0,
        qPrintable(QStringLiteral("reset instead of a clean end: %1 after %2 bytes of answer")
                       .arg(QString::fromLocal8Bit(strerror(readError)))
                       .arg(received.size())));
    QVERIFY2(ended, "the server kept the connection open");
    const QList<RawResponse> responses = splitResponses(received);
    QVERIFY2(!responses.isEmpty(), "no answer at all");
    QVERIFY2(responses.first().status == status, received.left(300).constData());
    const qsizetype length = responses.first().header("content-length").toLongLong();
    QVERIFY(length > 0);
    QCOMPARE(responses.first().body.size(), length);
    QCOMPARE(responses.size(), 1);
    // And the server is still fine.
    QCOMPARE(request("GET", QStringLiteral("/api/health")).status, 200);
}

// Framing that is valid must still work, pipelined requests included; HEAD never has a body.
void TestHttp::acceptedFraming_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QList<int>>("statuses");
    QTest::addColumn<QList<int>>("bodiless"); // indexes of HEAD answers
    const QByteArray last = "GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const QByteArray te = "Transfer-Encoding: chunked\r\n\r\n";
    QTest::addRow("chunked with extensions")
        << (Post + te + "5;a=b ; c = \"d;\\\"e\"\r\nhello\r\n0;z\r\n\r\n" + last)
        << QList<int> {405, 200} << QList<int> {};
    QTest::addRow("chunked, upper-case, zeros")
        << (Post + "Transfer-Encoding: Chunked\r\n\r\n0000A\r\n0123456789\r\n00\r\n\r\n" + last)
        << QList<int> {405, 200} << QList<int> {};
    QTest::addRow("content-length with zeros") << (Post + "Content-Length: 005\r\n\r\nhello" + last)
                                               << QList<int> {405, 200} << QList<int> {};
    QTest::addRow("leading blank line")
        << ("\r\n" + Next + last) << QList<int> {200, 200} << QList<int> {};
    QTest::addRow("http/1.0 without host")
        << ("GET /api/health HTTP/1.0\r\n\r\n" + last) << QList<int> {200, 200} << QList<int> {};
    QTest::addRow("obs-text and tabs in a value")
        << ("GET /api/health HTTP/1.1\r\nHost: x\r\nX-A:\tcaf\xc3\xa9 \t\r\n\r\n" + last)
        << QList<int> {200, 200} << QList<int> {};
    QTest::addRow("head then get") << ("HEAD /api/health HTTP/1.1\r\nHost: x\r\n\r\n" + last)
                                   << QList<int> {200, 200} << QList<int> {0};
    QTest::addRow("head of an error") << ("HEAD /api/nothing HTTP/1.1\r\nHost: x\r\n\r\n" + last)
                                      << QList<int> {404, 200} << QList<int> {0};
    QTest::addRow("head of polling")
        << ("HEAD /socket.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: x\r\n\r\n" + last)
        << QList<int> {400, 200} << QList<int> {0};
    QTest::addRow("three pipelined")
        << (Next + Next + last) << QList<int> {200, 200, 200} << QList<int> {};
}

void TestHttp::acceptedFraming()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QList<int>, statuses);
    QFETCH(QList<int>, bodiless);
    const Exchange ex = exchange(m_app->port(), bytes);
    QVERIFY(ex.closed);
    const QList<RawResponse> responses = splitResponses(ex.received, bodiless);
    QList<int> got;
    for (const RawResponse &r : responses)
        got.append(r.status);
    QVERIFY2(got == statuses, ex.received.left(600).constData());
    for (int i : bodiless) {
        QVERIFY(responses[i].body.isEmpty());
        QVERIFY(responses[i].head.contains("content-length: "));
        QVERIFY(!responses[i].head.contains("content-length: 0\r"));
    }
    QVERIFY(responses.last().body.contains("\"version\""));
}

// A held long-poll GET with a request pipelined behind it: the second is answered after the
// first, never before (QtHttpServer alone answers it at once, out of order).
void TestHttp::pipelinedAnswersInOrder()
{
    const Reply handshake = request("GET", QStringLiteral("/socket.io/?EIO=4&transport=polling"));
    QCOMPARE(handshake.status, 200);
    const QByteArray sid = QJsonDocument::fromJson(handshake.body.mid(1))
                               .object()
                               .value(QStringLiteral("sid"))
                               .toString()
                               .toLatin1();
    QVERIFY(!sid.isEmpty());
    const QByteArray path = "/socket.io/?EIO=4&transport=polling&sid=" + sid;
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_app->port());
    QVERIFY(socket.waitForConnected(5000));
    socket.write("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"
        + "GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QVERIFY(socket.waitForBytesWritten(5000));
    // Round trips on other connections: the server has read both requests by then.
    QByteArray early;
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(request("GET", QStringLiteral("/api/health")).status, 200);
        early += socket.readAll();
    }
    QVERIFY2(early.isEmpty(), early.constData()); // the poll is held, and so is the next request
    // The client closes the session over another connection: the held poll is answered, then
    // the request behind it.
    QSignalSpy closed(&socket, &QTcpSocket::disconnected);
    QCOMPARE(request("POST", QString::fromLatin1(path), "1").status, 200);
    QByteArray received = early;
    const bool ended = QTest::qWaitFor(
        [&] {
            received += socket.readAll();
            return !closed.isEmpty();
        },
        10000);
    QVERIFY2(ended, QByteArray(received).replace("\r\n", " | ").constData());
    received += socket.readAll();
    const QList<RawResponse> responses = splitResponses(received);
    QCOMPARE(responses.size(), 2);
    QCOMPARE(responses[0].status, 200);
    QVERIFY2(!responses[0].body.contains("version"), responses[0].body.constData());
    QCOMPARE(responses[1].status, 200);
    QVERIFY(responses[1].body.contains("\"version\""));
}

QTEST_GUILESS_MAIN(TestHttp)
namespace {
// A keep-alive connection that has already had one request answered (so it is past the front
// door and in QtHttpServer's hands).
std::unique_ptr<QTcpSocket> warmConnection(quint16 port)
{
    auto socket = std::make_unique<QTcpSocket>();
    socket->connectToHost(QHostAddress::LocalHost, port);
    if (!socket->waitForConnected(5000))
        return nullptr;
    socket->write("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QByteArray got;
    const bool answered = QTest::qWaitFor(
        [&] {
            got += socket->readAll();
            return got.contains("\"version\"");
        },
        10000);
    return answered ? std::move(socket) : nullptr;
}

// The status code and body of one complete response read from `socket` (Content-Length framed).
std::pair<int, QByteArray> readResponse(QTcpSocket *socket, QByteArray &buffer)
{
    QDeadlineTimer deadline(10000);
    while (!deadline.hasExpired()) {
        buffer += socket->readAll();
        const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
        if (headEnd > 0) {
            const QByteArray head = buffer.left(headEnd).toLower();
            const qsizetype at = head.indexOf("content-length:");
            const qsizetype length = at < 0
                ? 0
                : head.mid(at + 15, head.indexOf("\r\n", at) - at - 15).trimmed().toLongLong();
            if (buffer.size() >= headEnd + 4 + length)
                return {buffer.mid(9, 3).toInt(), buffer.mid(headEnd + 4, length)};
        }
        QTest::qWait(5);
    }
    return {0, {}};
}
} // namespace

void TestHttp::pollingCloseWithAPendingGet_data()
{
    QTest::addColumn<bool>("postConnectionFirst");
    QTest::newRow("POST on the older connection") << true;
    QTest::newRow("GET on the older connection") << false;
}

// The client sends a GET poll, then a POST with the close packet, on two keep-alive connections;
// both reach the server before it runs. Whichever it reads first (descriptor order), the GET is
// held and released with a noop, the POST is answered "ok", and the session is gone afterwards
// (the official Engine.IO suite's "forcefully closes the session").
void TestHttp::pollingCloseWithAPendingGet()
{
    QFETCH(bool, postConnectionFirst);
    const Reply handshake = request("GET", QStringLiteral("/socket.io/?EIO=4&transport=polling"));
    QCOMPARE(handshake.status, 200);
    const QString sid = QJsonDocument::fromJson(handshake.body.mid(1))
                            .object()
                            .value(QStringLiteral("sid"))
                            .toString();
    QVERIFY(!sid.isEmpty());

    std::unique_ptr<QTcpSocket> first = warmConnection(m_app->port());
    std::unique_ptr<QTcpSocket> second = warmConnection(m_app->port());
    QVERIFY(first && second);
    QTcpSocket *postSocket = postConnectionFirst ? first.get() : second.get();
    QTcpSocket *getSocket = postConnectionFirst ? second.get() : first.get();
    const QByteArray path = "/socket.io/?EIO=4&transport=polling&sid=" + sid.toLatin1();
    getSocket->write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    QVERIFY(getSocket->waitForBytesWritten(5000)); // blocks this thread: the server cannot run
    postSocket->write("POST " + path
        + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\n"
          "Content-Length: 1\r\n\r\n1");
    QVERIFY(postSocket->waitForBytesWritten(5000));

    QByteArray getBuffer;
    QByteArray postBuffer;
    const auto [getStatus, getBody] = readResponse(getSocket, getBuffer);
    const auto [postStatus, postBody] = readResponse(postSocket, postBuffer);
    QCOMPARE(postStatus, 200);
    QCOMPARE(postBody, QByteArray("ok"));
    QCOMPARE(getStatus, 200);
    QCOMPARE(getBody, QByteArray("6"));
    const Reply after = request("GET", QString::fromLatin1(path));
    QCOMPARE(after.status, 400);
}

#include "tst_http.moc"
