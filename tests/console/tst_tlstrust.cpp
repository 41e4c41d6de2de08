// TLS trust on first use (console/tlstrust.h) against a real jarvisd serving HTTPS with a
// certificate made by openssl in the test's temporary directory (jarvisd with a configuration
// file whose [server] has tlsCert/tlsKey, pointed at an in-process PVE simulator, as
// tst_toolsrest starts it): first use -> pin -> match; another certificate at the same address
// -> Changed; the REST login (QNetworkAccessManager) and a SocketIoClient /cluster connection
// succeed only with the pin, so the password never reaches a server that is not trusted.
#include "client/socketioclient.h"
#include "core/clock.h"
#include "demo/pvesimulator.h"
#include "tlsfixture.h"
#include "tlsjarvisd.h"
#include "tlstrust.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSslConfiguration>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <optional>

using namespace jarvis;
using console::TlsTrust;
using Verdict = console::TlsTrust::Verdict;

namespace {

constexpr int Wait = 20000;
const QString Password = QStringLiteral("tofu-password");
const QByteArray JwtSecret = "tls-trust-test-secret-that-is-long-enough-0123456789";

// jarvisd serving HTTPS with the given certificate, the admin password and JWT secret above.
class Jarvisd : public TlsJarvisd
{
public:
    Jarvisd()
        : TlsJarvisd(QStringLiteral(JARVISD_PATH), Password, JwtSecret)
    { }
};

struct Login
{
    int status = 0;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QString token;
};

// POST /api/auth/login with the password through `nam`.
Login login(QNetworkAccessManager &nam, const QUrl &server)
{
    QNetworkRequest request(server.resolved(QUrl(QStringLiteral("/api/auth/login"))));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setTransferTimeout(Wait);
    std::unique_ptr<QNetworkReply> reply(nam.post(
        request, QJsonDocument(QJsonObject {{QStringLiteral("password"), Password}}).toJson()));
    QSignalSpy finished(reply.get(), &QNetworkReply::finished);
    if (!reply->isFinished())
        finished.wait(Wait);
    Login out;
    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.error = reply->error();
    out.token = QJsonDocument::fromJson(reply->readAll())
                    .object()
                    .value(QStringLiteral("token"))
                    .toString();
    return out;
}

std::optional<TlsTrust::Probe> probe(TlsTrust &trust, const QUrl &url, int timeoutMs = Wait)
{
    std::optional<TlsTrust::Probe> result;
    int calls = 0;
    QObject context;
    trust.probe(
        url, &context,
        [&](const TlsTrust::Probe &p) {
            result = p;
            ++calls;
        },
        timeoutMs);
    if (calls != 0) // never from inside probe()
        return std::nullopt;
    QDeadlineTimer deadline(Wait + 5000);
    while (calls == 0 && !deadline.hasExpired())
        QTest::qWait(5);
    return calls == 1 ? result : std::nullopt;
}

// Connects a SocketIoClient to /cluster with the token, as trust allows: true when the namespace
// connected and a `nodes` snapshot arrived, false when the connection failed.
bool connectCluster(TlsTrust &trust, const QUrl &server, const QString &token, QString *why)
{
    client::SocketIoClient client;
    trust.applyTo(&client, server);
    QSignalSpy connected(&client, &client::SocketIoClient::connected);
    QSignalSpy failed(&client, &client::SocketIoClient::connectError);
    bool gotNodes = false;
    client.on(QStringLiteral("nodes"), &client,
        [&](const QJsonArray &args, const QList<QByteArray> &, const client::AckResponder &) {
            gotNodes = args.first().isArray() && !args.first().toArray().isEmpty();
        });
    client.connectToServer(
        server, QStringLiteral("/cluster"), QJsonObject {{QStringLiteral("token"), token}});
    QDeadlineTimer deadline(Wait);
    while (connected.isEmpty() && failed.isEmpty() && !deadline.hasExpired())
        QTest::qWait(10);
    if (!failed.isEmpty()) {
        *why = failed.first().first().toString();
        client.disconnectFromServer();
        return false;
    }
    QDeadlineTimer nodes(Wait);
    while (!gotNodes && !nodes.hasExpired())
        QTest::qWait(10);
    *why = gotNodes ? QString() : QStringLiteral("connected: %1, no nodes").arg(connected.size());
    client.disconnectFromServer();
    return gotNodes;
}

// The program's output; nullopt when it failed.
std::optional<QString> run(const QString &program, const QStringList &args)
{
    QProcess p;
    p.start(program, args);
    if (!p.waitForFinished(30000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return std::nullopt;
    return QString::fromUtf8(p.readAllStandardOutput());
}

} // namespace

class TestTlsTrust : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void fingerprintFormat();
    void serverKey_data();
    void serverKey();
    void pinFile();
    void firstUseThenPin();
    void changedCertificate();
    void systemTrusted();
    void notEncryptedAndFailures();

private:
    QTemporaryDir m_dir;
    std::optional<TlsFixture> m_certA;
    std::optional<TlsFixture> m_certB;
    demo::PveSimulator::Options m_simOptions;
    std::unique_ptr<demo::PveSimulator> m_sim;
    int m_port = 0; // where jarvisd served cert A (and then B)
    QString m_token;
};

void TestTlsTrust::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_certA = TlsFixture::create(m_dir, QStringLiteral("a"));
    m_certB = TlsFixture::create(m_dir, QStringLiteral("b"));
    QVERIFY2(m_certA && m_certB, "openssl could not make the certificates");
    QVERIFY(m_certA->sha256() != m_certB->sha256());
    m_sim = std::make_unique<demo::PveSimulator>(m_simOptions);
    QVERIFY(m_sim->listen());
}

void TestTlsTrust::fingerprintFormat()
{
    // The format of `openssl x509 -fingerprint -sha256` and of PROTOCOL.md's tlsFingerprint.
    const QString out = run(QStringLiteral("openssl"),
        {QStringLiteral("x509"), QStringLiteral("-in"), m_certA->certPath, QStringLiteral("-noout"),
            QStringLiteral("-fingerprint"), QStringLiteral("-sha256")})
                            .value_or(QString());
    QVERIFY(!out.isEmpty());
    const QString expected = out.trimmed().section(u'=', 1);
    QCOMPARE(TlsTrust::fingerprint(m_certA->certificate), expected);
    QVERIFY(QRegularExpression(QStringLiteral("^([0-9A-F]{2}:){31}[0-9A-F]{2}$"))
                .match(expected)
                .hasMatch());
    QCOMPARE(TlsTrust::fingerprint(QSslCertificate()), QString());
}

void TestTlsTrust::serverKey_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("key");
    QTest::newRow("https with port") << "https://127.0.0.1:8443"
                                     << "127.0.0.1:8443";
    QTest::newRow("https default port") << "https://Jarvis.LAN/"
                                        << "jarvis.lan:443";
    QTest::newRow("wss") << "wss://jarvis.lan:9000/socket.io/"
                         << "jarvis.lan:9000";
    QTest::newRow("http default port") << "http://jarvis.lan"
                                       << "jarvis.lan:80";
    QTest::newRow("ipv6") << "https://[::1]:8443"
                          << "[::1]:8443";
    QTest::newRow("path and query ignored") << "https://h:1/x?y=z"
                                            << "h:1";
    QTest::newRow("no host") << "https:///x"
                             << "";
    QTest::newRow("not a URL") << "::"
                               << "";
    QTest::newRow("unknown scheme, no port") << "ftp://h"
                                             << "";
}

void TestTlsTrust::serverKey()
{
    QFETCH(QString, url);
    QFETCH(QString, key);
    QCOMPARE(TlsTrust::serverKey(QUrl(url)), key);
}

void TestTlsTrust::pinFile()
{
    const QString path = m_dir.filePath(QStringLiteral("pins/sub/pins.txt"));
    const QString fpA = TlsTrust::fingerprint(m_certA->certificate);
    {
        TlsTrust trust(path);
        QCOMPARE(trust.loadError(), QString());
        QCOMPARE(trust.pin(QUrl(QStringLiteral("https://h:1"))), QString());
        QString error;
        // Lower case without separators is the same fingerprint.
        QVERIFY2(trust.setPin(QUrl(QStringLiteral("https://H:1/")),
                     QString::fromLatin1(m_certA->sha256().toHex()), &error),
            qPrintable(error));
        QCOMPARE(trust.pin(QUrl(QStringLiteral("https://h:1"))), fpA);
        QVERIFY(
            !trust.setPin(QUrl(QStringLiteral("https://h:2")), QStringLiteral("AB:CD"), &error));
        QVERIFY(error.contains(QStringLiteral("not a SHA-256 fingerprint")));
        QVERIFY(
            !trust.setPin(QUrl(QStringLiteral("https://h:2")), fpA + QStringLiteral("zz"), &error));
        QVERIFY(!trust.setPin(QUrl(QStringLiteral("nothing")), fpA, &error));
        QCOMPARE(trust.pin(QUrl(QStringLiteral("https://h:2"))), QString());
        QVERIFY(trust.setPin(QUrl(QStringLiteral("https://other:2")), fpA, &error));
        QVERIFY(trust.removePin(QUrl(QStringLiteral("https://other:2")), &error));
        QVERIFY(trust.removePin(QUrl(QStringLiteral("https://never:2")), &error));
    }
    QFile file(path);
    QCOMPARE(file.permissions()
            & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteGroup
                | QFileDevice::WriteOther),
        QFileDevice::Permissions());
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    QVERIFY(text.contains("h:1 " + fpA.toLatin1() + '\n'));
    QVERIFY(!text.contains("other:2"));
    file.close();

    // A new instance reads it back; lines that do not read are reported and skipped.
    QVERIFY(file.open(QIODevice::Append));
    file.write("garbage line\nx:0 " + fpA.toLatin1() + "\ny:5 12:34\n\n# comment\nz:7 "
        + fpA.toLatin1() + "\n");
    file.close();
    TlsTrust again(path);
    QCOMPARE(again.pin(QUrl(QStringLiteral("https://h:1"))), fpA);
    QCOMPARE(again.pin(QUrl(QStringLiteral("https://z:7"))), fpA);
    QCOMPARE(again.pin(QUrl(QStringLiteral("https://y:5"))), QString());
    QVERIFY2(again.loadError().contains(QStringLiteral("ignored line(s) 3, 4, 5")),
        qPrintable(again.loadError()));
}

void TestTlsTrust::firstUseThenPin()
{
    Jarvisd jarvisd;
    const QString error =
        jarvisd.start(m_dir, *m_sim, m_simOptions, m_certA->certPath, m_certA->keyPath, 0);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QUrl server = jarvisd.url;
    m_port = server.port();
    TlsTrust trust(m_dir.filePath(QStringLiteral("first-use-pins")));

    // First use: the fingerprint to show, nothing pinned, not trusted.
    std::optional<TlsTrust::Probe> p = probe(trust, server);
    QVERIFY(p);
    QCOMPARE(p->verdict, Verdict::FirstUse);
    QCOMPARE(p->fingerprint, TlsTrust::fingerprint(m_certA->certificate));
    QCOMPARE(p->pinnedFingerprint, QString());
    QCOMPARE(p->server, QStringLiteral("127.0.0.1:%1").arg(m_port));
    QVERIFY(!p->trusted());
    QVERIFY(!p->errors.isEmpty());
    QVERIFY(p->message().contains(p->fingerprint));

    // Before the pin, neither the login nor the socket gets through the handshake.
    {
        QNetworkAccessManager nam;
        trust.applyTo(&nam);
        const Login l = login(nam, server);
        QCOMPARE(l.error, QNetworkReply::SslHandshakeFailedError);
        QCOMPARE(l.status, 0);
    }
    QString why;
    QVERIFY(!connectCluster(trust, server, QStringLiteral("any"), &why));
    QVERIFY2(!why.isEmpty(), qPrintable(why));

    // The user confirms: pinned, and from now on it matches.
    QVERIFY(trust.setPin(server, p->fingerprint));
    p = probe(trust, server);
    QVERIFY(p);
    QCOMPARE(p->verdict, Verdict::PinMatches);
    QVERIFY(p->trusted());
    QCOMPARE(p->pinnedFingerprint, p->fingerprint);
    // Another instance reading the same file agrees.
    TlsTrust reread(trust.pinFile());
    p = probe(reread, server);
    QVERIFY(p);
    QCOMPARE(p->verdict, Verdict::PinMatches);

    QNetworkAccessManager nam;
    trust.applyTo(&nam);
    const Login l = login(nam, server);
    QCOMPARE(l.error, QNetworkReply::NoError);
    QCOMPARE(l.status, 200);
    QVERIFY(!l.token.isEmpty());
    m_token = l.token;
    QVERIFY2(connectCluster(trust, server, m_token, &why), qPrintable(why));
}

void TestTlsTrust::changedCertificate()
{
    QVERIFY2(m_port > 0 && !m_token.isEmpty(), "firstUseThenPin must run first");
    // The same address now presents certificate B.
    Jarvisd jarvisd;
    const QString error =
        jarvisd.start(m_dir, *m_sim, m_simOptions, m_certB->certPath, m_certB->keyPath, m_port);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QUrl server = jarvisd.url;
    QCOMPARE(server.port(), m_port);
    TlsTrust trust(m_dir.filePath(QStringLiteral("first-use-pins")));
    const QString fpA = TlsTrust::fingerprint(m_certA->certificate);
    const QString fpB = TlsTrust::fingerprint(m_certB->certificate);
    QCOMPARE(trust.pin(server), fpA);

    const std::optional<TlsTrust::Probe> p = probe(trust, server);
    QVERIFY(p);
    QCOMPARE(p->verdict, Verdict::Changed);
    QCOMPARE(p->pinnedFingerprint, fpA);
    QCOMPARE(p->fingerprint, fpB);
    QVERIFY(!p->trusted());
    QVERIFY(p->message().contains(fpA) && p->message().contains(fpB));
    QVERIFY(p->message().contains(QStringLiteral("CHANGED")));

    // Neither the password nor the token goes to it.
    QNetworkAccessManager nam;
    trust.applyTo(&nam);
    const Login l = login(nam, server);
    QCOMPARE(l.error, QNetworkReply::SslHandshakeFailedError);
    QCOMPARE(l.status, 0);
    QString why;
    QVERIFY(!connectCluster(trust, server, m_token, &why));
    // The pin is untouched.
    QCOMPARE(trust.pin(server), fpA);
    QCOMPARE(TlsTrust(trust.pinFile()).pin(server), fpA);
}

void TestTlsTrust::systemTrusted()
{
    // A CA that this process trusts like a system CA, and a certificate for 127.0.0.1 from it.
    QVERIFY2(makeCaSignedCertificate(m_dir), "openssl could not make the certificates");
    const QString ca = m_dir.filePath(QStringLiteral("ca"));
    const QString leaf = m_dir.filePath(QStringLiteral("leaf"));
    const QList<QSslCertificate> caCert =
        QSslCertificate::fromPath(ca + QStringLiteral(".crt"), QSsl::Pem);
    QCOMPARE(caCert.size(), 1);

    const QSslConfiguration original = QSslConfiguration::defaultConfiguration();
    QSslConfiguration withCa = original;
    withCa.addCaCertificate(caCert.first());
    QSslConfiguration::setDefaultConfiguration(withCa);
    const auto restore = qScopeGuard([&] { QSslConfiguration::setDefaultConfiguration(original); });

    Jarvisd jarvisd;
    const QString error = jarvisd.start(m_dir, *m_sim, m_simOptions, leaf + QStringLiteral(".crt"),
        leaf + QStringLiteral(".key"), 0);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    TlsTrust trust(m_dir.filePath(QStringLiteral("system-pins")));
    const std::optional<TlsTrust::Probe> p = probe(trust, jarvisd.url);
    QVERIFY(p);
    QCOMPARE(p->verdict, Verdict::SystemTrusted);
    QVERIFY(p->trusted());
    QVERIFY(p->errors.isEmpty());
    QCOMPARE(p->fingerprint.size(), 95);
    QCOMPARE(trust.pin(jarvisd.url), QString()); // nothing pinned for a trusted server

    // No pin needed for the login and the socket.
    QNetworkAccessManager nam;
    trust.applyTo(&nam);
    const Login l = login(nam, jarvisd.url);
    QCOMPARE(l.status, 200);
    QString why;
    QVERIFY2(connectCluster(trust, jarvisd.url, l.token, &why), qPrintable(why));

    // By name, the certificate names localhost too; a name it does not carry is not trusted.
    QUrl byName = jarvisd.url;
    byName.setHost(QStringLiteral("localhost"));
    const std::optional<TlsTrust::Probe> named = probe(trust, byName);
    QVERIFY(named);
    QCOMPARE(named->verdict, Verdict::SystemTrusted);
}

void TestTlsTrust::notEncryptedAndFailures()
{
    TlsTrust trust(m_dir.filePath(QStringLiteral("failure-pins")));

    std::optional<TlsTrust::Probe> p = probe(trust, QUrl(QStringLiteral("http://127.0.0.1:1")));
    QVERIFY(p);
    QCOMPARE(p->verdict, Verdict::NotEncrypted);
    QVERIFY(!p->trusted());

    p = probe(trust, QUrl(QStringLiteral("gopher://127.0.0.1:70")));
    QVERIFY(p);
    QCOMPARE(p->verdict, Verdict::Failed);

    // Nothing listens.
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost));
    const quint16 closedPort = closed.serverPort();
    closed.close();
    p = probe(trust, QUrl(QStringLiteral("https://127.0.0.1:%1").arg(closedPort)));
    QVERIFY(p);
    QCOMPARE(p->verdict, Verdict::Failed);
    QVERIFY(!p->errorString.isEmpty());

    // Not a TLS server: it answers plain text and hangs up.
    QTcpServer plain;
    QVERIFY(plain.listen(QHostAddress::LocalHost));
    connect(&plain, &QTcpServer::newConnection, &plain, [&] {
        QTcpSocket *s = plain.nextPendingConnection();
        s->write("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
        s->disconnectFromHost();
    });
    p = probe(trust, QUrl(QStringLiteral("https://127.0.0.1:%1").arg(plain.serverPort())));
    QVERIFY(p);
    QCOMPARE(p->verdict, Verdict::Failed);

    // A server that accepts and never answers: the deadline ends it (stepped, not waited for).
    core::ManualClock clock;
    TlsTrust timed(m_dir.filePath(QStringLiteral("failure-pins")), &clock, nullptr);
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost));
    QSignalSpy accepted(&silent, &QTcpServer::newConnection);
    std::optional<TlsTrust::Probe> result;
    QObject context;
    timed.probe(
        QUrl(QStringLiteral("https://127.0.0.1:%1").arg(silent.serverPort())), &context,
        [&](const TlsTrust::Probe &r) { result = r; }, 3000);
    QVERIFY(accepted.wait(Wait));
    clock.advance(2999);
    QCoreApplication::processEvents();
    QVERIFY(!result);
    clock.advance(1);
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), Wait);
    QCOMPARE(result->verdict, Verdict::Failed);
    QVERIFY2(
        result->errorString.contains(QStringLiteral("3000 ms")), qPrintable(result->errorString));

    // A context that is gone gets no callback.
    bool called = false;
    {
        QObject gone;
        trust.probe(QUrl(QStringLiteral("http://127.0.0.1:1")), &gone,
            [&](const auto &) { called = true; });
    }
    p = probe(trust, QUrl(QStringLiteral("http://127.0.0.1:2"))); // a later one completes
    QVERIFY(p);
    QVERIFY(!called);
}

QTEST_GUILESS_MAIN(TestTlsTrust)
#include "tst_tlstrust.moc"
