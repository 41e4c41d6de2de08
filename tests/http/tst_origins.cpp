// One origin normaliser (net/origin.h) for the configured allow-list (config validation) and for
// the Origin header a browser sends (http::OriginPolicy: REST, Engine.IO polling, WebSocket
// upgrades). Each row configures one allowedOrigins entry and presents one Origin: the config
// keeps exactly the normalised entry (or rejects it), and the policy built from that config - or
// from the raw entry, unchecked - allows exactly what the row says.
#include "config/config.h"
#include "http/httputil.h"
#include "net/origin.h"

#include <QProcessEnvironment>
#include <QTest>

using namespace jarvis;

namespace {

const QByteArray Host = "jarvisd.test:8080"; // the Host the requests are sent to

config::LoadResult loadWithOrigins(const QString &allowedOrigins)
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("JARVIS_ADMIN_PASSWORD"), QStringLiteral("correct horse battery"));
    env.insert(QStringLiteral("JARVIS_JWT_SECRET"), QString(64, QLatin1Char('s')));
    env.insert(QStringLiteral("JARVIS_PVE_TOKEN_SECRET"),
        QStringLiteral("00000000-0000-0000-0000-000000000000"));
    const QByteArray text = "[server]\nallowedOrigins=" + allowedOrigins.toUtf8()
        + "\n[proxmox]\ntokenId=root@pam!jarvis\n[node.pve1]\nhost=192.168.1.10\n";
    return config::loadText(text, QStringLiteral("origins.conf"), env);
}

} // namespace

class TestOrigins : public QObject
{
    Q_OBJECT
private slots:
    void configAndPolicyAgree_data();
    void configAndPolicyAgree();
};

void TestOrigins::configAndPolicyAgree_data()
{
    QTest::addColumn<QString>("configured");
    QTest::addColumn<QString>("normalised"); // empty: the config refuses the entry
    QTest::addColumn<QByteArray>("presented"); // the Origin header (empty: none sent)
    QTest::addColumn<bool>("allowed");

    const QString jarvis = QStringLiteral("https://jarvis.lan");
    auto row = [](const char *name, const QString &configured, const QString &normalised,
                   const QByteArray &presented, bool allowed) {
        QTest::newRow(name) << configured << normalised << presented << allowed;
    };
    row("exact", jarvis, jarvis, "https://jarvis.lan", true);
    row("case and trailing slash", QStringLiteral("HTTPS://Jarvis.LAN/"), jarvis,
        "https://jarvis.lan", true);
    row("presented in capitals", jarvis, jarvis, "HTTPS://JARVIS.LAN", true);
    row("presented with trailing slash", jarvis, jarvis, "https://jarvis.lan/", true);
    // Default ports: the config used to keep ":443" as written while the policy dropped it.
    row("configured default https port", QStringLiteral("https://jarvis.lan:443"), jarvis,
        "https://jarvis.lan", true);
    row("presented default https port", jarvis, jarvis, "https://jarvis.lan:443", true);
    row("configured default http port", QStringLiteral("http://jarvis.lan:80"),
        QStringLiteral("http://jarvis.lan"), "http://jarvis.lan", true);
    row("https on port 80 is not default", QStringLiteral("https://jarvis.lan:80"),
        QStringLiteral("https://jarvis.lan:80"), "https://jarvis.lan", false);
    row("other port", QStringLiteral("http://localhost:5173"),
        QStringLiteral("http://localhost:5173"), "http://localhost:5173", true);
    row("wrong port", QStringLiteral("http://localhost:5173"),
        QStringLiteral("http://localhost:5173"), "http://localhost:5174", false);
    row("ipv6", QStringLiteral("https://[FD00::1]:8443"), QStringLiteral("https://[fd00::1]:8443"),
        "https://[fd00::1]:8443", true);
    row("ipv6 other address", QStringLiteral("https://[fd00::1]:8443"),
        QStringLiteral("https://[fd00::1]:8443"), "https://[fd00::2]:8443", false);
    row("other scheme", jarvis, jarvis, "http://jarvis.lan", false);
    row("suffix host", jarvis, jarvis, "https://jarvis.lan.evil.example", false);
    row("prefix host", jarvis, jarvis, "https://evil.jarvis.lan", false);
    // Not origins at all are never allowed (the policy used to drop a path and compare the rest).
    row("presented with path", jarvis, jarvis, "https://jarvis.lan/app", false);
    row("presented with user", jarvis, jarvis, "https://me@jarvis.lan", false);
    row("presented null", jarvis, jarvis, "null", false);
    row("presented ws scheme", jarvis, jarvis, "wss://jarvis.lan", false);
    row("no Origin header (not a browser)", jarvis, jarvis, QByteArray(), true);
    // Same origin: the scheme (no TLS here) and the Host the request was sent to.
    row("same origin", jarvis, jarvis, "http://jarvisd.test:8080", true);
    row("same origin in capitals", jarvis, jarvis, "HTTP://JarvisD.test:8080/", true);
    row("same host, other port", jarvis, jarvis, "http://jarvisd.test:8081", false);
    // Entries the config refuses; the policy, given them raw, allows nothing by them.
    row("configured with path", QStringLiteral("https://a.lan/app"), QString(), "https://a.lan",
        false);
    row("configured ftp", QStringLiteral("ftp://a.lan"), QString(), "ftp://a.lan", false);
    row("configured without scheme", QStringLiteral("a.lan"), QString(), "a.lan", false);
    row("configured wildcard", QStringLiteral("*"), QString(), "https://a.lan", false);
    row("configured with user", QStringLiteral("https://me@a.lan"), QString(), "https://a.lan",
        false);
    row("configured with query", QStringLiteral("https://a.lan?x=1"), QString(), "https://a.lan",
        false);
    row("configured bad port", QStringLiteral("https://a.lan:99999"), QString(),
        "https://a.lan:99999", false);
}

void TestOrigins::configAndPolicyAgree()
{
    QFETCH(QString, configured);
    QFETCH(QString, normalised);
    QFETCH(QByteArray, presented);
    QFETCH(bool, allowed);

    QCOMPARE(net::normaliseOrigin(configured).value_or(QString()), normalised);
    const config::LoadResult loaded = loadWithOrigins(configured);
    if (normalised.isEmpty()) {
        QCOMPARE(loaded.problems.size(), 1);
        QCOMPARE(loaded.problems.first().key, QStringLiteral("server/allowedOrigins"));
    } else {
        QVERIFY2(loaded.ok(), qPrintable(loaded.problems.value(0).toString()));
        QCOMPARE(loaded.config.allowedOrigins, QStringList {normalised});
    }
    const http::OriginPolicy fromConfig(loaded.config.allowedOrigins, false);
    QCOMPARE(fromConfig.isAllowed(presented, Host), allowed);
    const http::OriginPolicy fromRaw(QStringList {configured}, false);
    QCOMPARE(fromRaw.isAllowed(presented, Host), allowed);
    // CORS headers go with an allowed cross-origin request only.
    QCOMPARE(fromConfig.corsHeaders(presented, Host).isEmpty(), presented.isEmpty() || !allowed);
}

QTEST_GUILESS_MAIN(TestOrigins)
#include "tst_origins.moc"
