// The config loader: the PROTOCOL.md section 7 example, broken files, environment overrides,
// demo mode and the strict INI reader.

#include "auth/apikey.h"
#include "auth/password.h"
#include "config/config.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace jarvis::config;

namespace {

// Secrets used in the configs below: no problem message may ever contain one.
const QString JwtSecret = QStringLiteral("Xq3-_v9kLm2Np8Rs4Tu6Wy0Za1Bc5De7Fg9Hj2Kl4Mn6");
const QString ShortJwtSecret = QStringLiteral("short-secret-0123456789-0123456789-abcdefg"); // 42
const QString TokenSecret = QStringLiteral("1b7c9a2e-5d4f-4e3a-9c8b-7a6f5e4d3c2b");
const QString AdminPassword = QStringLiteral("correct horse battery staple");

// An INI document the tests can patch: groups in order, each with its raw lines.
struct Doc
{
    QList<std::pair<QString, QStringList>> groups;

    QStringList &group(const QString &name)
    {
        for (auto &g : groups) {
            if (g.first == name)
                return g.second;
        }
        groups.append({name, {}});
        return groups.last().second;
    }
    Doc &set(const QString &name, const QString &key, const QString &value)
    {
        remove(name, key);
        group(name).append(key + u'=' + value);
        return *this;
    }
    Doc &add(const QString &name, const QString &line)
    {
        group(name).append(line);
        return *this;
    }
    Doc &remove(const QString &name, const QString &key)
    {
        group(name).removeIf([&](const QString &l) { return l.startsWith(key + u'='); });
        return *this;
    }
    Doc &removeGroup(const QString &name)
    {
        groups.removeIf([&](const auto &g) { return g.first == name; });
        return *this;
    }
    QString render() const
    {
        QString text;
        for (const auto &g : groups)
            text += u'[' + g.first + QStringLiteral("]\n") + g.second.join(u'\n') + u'\n';
        return text;
    }
};

QString passwordHash()
{
    static const QString hash = jarvis::auth::hashPassword(AdminPassword, 1000);
    return hash;
}

// The smallest valid file: [auth], [proxmox], one node.
Doc minimal()
{
    Doc d;
    d.set(QStringLiteral("auth"), QStringLiteral("passwordHash"), passwordHash());
    d.set(QStringLiteral("auth"), QStringLiteral("jwtSecret"), JwtSecret);
    d.set(QStringLiteral("proxmox"), QStringLiteral("tokenId"), QStringLiteral("root@pam!jarvis"));
    d.set(QStringLiteral("proxmox"), QStringLiteral("tokenSecret"), TokenSecret);
    d.set(QStringLiteral("node.pve1"), QStringLiteral("host"), QStringLiteral("192.168.1.10"));
    return d;
}

QString fingerprint(char c)
{
    QStringList pairs;
    for (int i = 0; i < 32; ++i)
        pairs << QString(2, QLatin1Char(c));
    return pairs.join(u':');
}

QProcessEnvironment environment(const QList<std::pair<QString, QString>> &vars)
{
    QProcessEnvironment env; // empty, not the system's
    for (const auto &[name, value] : vars)
        env.insert(name, value);
    return env;
}

QString describe(const QList<Problem> &problems)
{
    QStringList lines;
    for (const Problem &p : problems)
        lines << p.toString();
    return lines.join(u'\n');
}

void verifyNoSecrets(const QList<Problem> &problems)
{
    for (const Problem &p : problems) {
        const QString text = p.toString();
        for (const QString &secret : {JwtSecret, ShortJwtSecret, TokenSecret, AdminPassword})
            QVERIFY2(!text.contains(secret), qPrintable(text));
        QVERIFY2(!text.contains(passwordHash().section(u'$', 3)), qPrintable(text));
    }
}

} // namespace

class TestConfig : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    void fullExample();
    void minimalDefaults();
    void brokenConfigs_data();
    void brokenConfigs();
    void collectsAllProblems();
    void lineNumbers();
    void iniSyntax();
    void portDefaults_data();
    void portDefaults();
    void envOverrides();
    void envReplacesMissingSecrets();
    void envProblems_data();
    void envProblems();
    void auditFileDefault_data();
    void auditFileDefault();
    void historySettings_data();
    void historySettings();
    void relativePaths();
    void demo();
    void demoEnvironment();
    void missingFile();
    void unreadableFiles();
    void problemToString_data();
    void problemToString();

private:
    QString writeConfig(const QString &text, const QString &name = QStringLiteral("jarvisd.conf"));
    QString touch(const QString &name);

    QTemporaryDir m_dir;
    int m_counter = 0;
};

void TestConfig::initTestCase()
{
    QVERIFY(m_dir.isValid());
    touch(QStringLiteral("tls.crt"));
    touch(QStringLiteral("tls.key"));
    touch(QStringLiteral("pve-root-ca.pem"));
    touch(QStringLiteral("id_ed25519"));
    QVERIFY(QDir(m_dir.path()).mkpath(QStringLiteral("adir")));
}

QString TestConfig::touch(const QString &name)
{
    const QString path = m_dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot create %s", qPrintable(path));
    f.write("test\n");
    return path;
}

QString TestConfig::writeConfig(const QString &text, const QString &name)
{
    const QString dir = m_dir.filePath(QStringLiteral("case%1").arg(++m_counter));
    QDir().mkpath(dir);
    const QString path = QDir(dir).filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    f.write(text.toUtf8());
    return path;
}

void TestConfig::fullExample()
{
    // PROTOCOL.md section 7, with real files and every kind of value QSettings would mangle.
    const QString text =
        QStringLiteral(R"ini([server]
listen=0.0.0.0
port=8443
tlsCert=%1            ; both empty = plain HTTP (then listen should be loopback)
tlsKey=%2
allowedOrigins=https://Jarvis.LAN, http://localhost:5173/, https://[FD00::1]:8443       ; comma-separated, same-origin always allowed
maxPayload=1000000
maxBodySize=2097152
pingInterval=20000
pingTimeout=15000
connectTimeout=30000

[auth]
username=admin
passwordHash=%3
jwtSecret=%4
tokenLifetime=86400

[proxmox]
tokenId=root@pam!jarvis
tokenSecret=%5
tlsFingerprint=%6                         ; SHA-256, colon-separated; per-node value wins
caFile=%7                                 ; or trust this CA (pve-root-ca.pem)
insecure=false

[intervals]                             ; seconds
nodes=10
vms=15
storage=30
temperature=30
quorum=45
nodeStatus=120

[safety]
protectedNodes=agent1, pve2
protectedVmids=100,101 , 9000

[ssh]
user=root
keyFile=%8
knownHostsFile=/var/lib/jarvis/known_hosts
strictHostKeys=true                     ; false = trust on first use, then strict

[temperature]
command=@COMMAND@    ; only this is a comment

[audit]
file=/var/lib/jarvis/audit.jsonl

[metrics]
token=@METRICS@

; one group per cluster node
# hash comments too
[node.pve1]
host=192.168.1.10                       ; used for both API and SSH unless overridden
apiUrl=https://192.168.1.10:8006        ; optional override
sshPort=22
tlsFingerprint=

[node.pve-2]
host=pve2.lan
sshPort=2222
tlsFingerprint=%9

[node.pve3]
host=fd00::3
)ini")
            .arg(m_dir.filePath(QStringLiteral("tls.crt")),
                m_dir.filePath(QStringLiteral("tls.key")), passwordHash(),
                JwtSecret + QStringLiteral("$=/+;x"), TokenSecret, fingerprint('a'),
                m_dir.filePath(QStringLiteral("pve-root-ca.pem")),
                m_dir.filePath(QStringLiteral("id_ed25519")), fingerprint('B'))
            .replace(QStringLiteral("@COMMAND@"),
                QStringLiteral(R"(sensors -j;echo a,b %41 @Invalid() "q" x=y $HOME)"))
            .replace(QStringLiteral("@METRICS@"),
                jarvis::auth::apiKeyEntry(QStringLiteral("prometheus"), QStringLiteral("jk_one"))
                    + QStringLiteral(" , ")
                    + jarvis::auth::apiKeyEntry(
                        QStringLiteral("backup.2"), QStringLiteral("jk_two")));
    const QString path = writeConfig(text);
    const LoadResult r = load(path, QProcessEnvironment());
    QVERIFY2(r.ok(), qPrintable(describe(r.problems)));
    const Config &c = r.config;

    QCOMPARE(c.sourceFile, path);
    QVERIFY(!c.demo);
    QCOMPARE(c.listen, QStringLiteral("0.0.0.0"));
    QCOMPARE(c.port, 8443);
    QCOMPARE(c.tlsCert, m_dir.filePath(QStringLiteral("tls.crt")));
    QCOMPARE(c.tlsKey, m_dir.filePath(QStringLiteral("tls.key")));
    QVERIFY(c.tlsEnabled());
    QCOMPARE(c.allowedOrigins,
        (QStringList {QStringLiteral("https://jarvis.lan"), QStringLiteral("http://localhost:5173"),
            QStringLiteral("https://[fd00::1]:8443")}));
    QCOMPARE(c.maxPayload, 1000000);
    QCOMPARE(c.maxBodySize, 2097152);
    QCOMPARE(c.pingInterval, 20000);
    QCOMPARE(c.pingTimeout, 15000);
    QCOMPARE(c.connectTimeout, 30000);

    QCOMPARE(c.username, QStringLiteral("admin"));
    QCOMPARE(c.passwordHash, passwordHash());
    QVERIFY(jarvis::auth::verifyPassword(AdminPassword, c.passwordHash));
    QVERIFY(c.adminPassword.isEmpty());
    QCOMPARE(c.jwtSecret, (JwtSecret + QStringLiteral("$=/+;x")).toUtf8());
    QCOMPARE(c.tokenLifetime, 86400);

    QCOMPARE(c.metricsTokens.size(), 2);
    QCOMPARE(c.metricsTokens.at(0).name, QStringLiteral("prometheus"));
    QCOMPARE(c.metricsTokens.at(1).name, QStringLiteral("backup.2"));
    QCOMPARE(jarvis::auth::matchApiKey("jk_two", c.metricsTokens), &c.metricsTokens.at(1));

    QCOMPARE(c.tokenId, QStringLiteral("root@pam!jarvis"));
    QCOMPARE(c.tokenSecret, TokenSecret);
    QCOMPARE(c.tlsFingerprint, fingerprint('A'));
    QCOMPARE(c.caFile, m_dir.filePath(QStringLiteral("pve-root-ca.pem")));
    QCOMPARE(c.insecure, false);

    QCOMPARE(c.intervalNodes, 10);
    QCOMPARE(c.intervalVms, 15);
    QCOMPARE(c.intervalStorage, 30);
    QCOMPARE(c.intervalTemperature, 30);
    QCOMPARE(c.intervalQuorum, 45);
    QCOMPARE(c.intervalNodeStatus, 120);

    QCOMPARE(c.protectedNodes, (QStringList {QStringLiteral("agent1"), QStringLiteral("pve2")}));
    QCOMPARE(c.protectedVmids, (QList<int> {100, 101, 9000}));

    QVERIFY(c.sshConfigured);
    QCOMPARE(c.sshUser, QStringLiteral("root"));
    QCOMPARE(c.sshKeyFile, m_dir.filePath(QStringLiteral("id_ed25519")));
    QCOMPARE(c.sshKnownHostsFile, QStringLiteral("/var/lib/jarvis/known_hosts"));
    QCOMPARE(c.strictHostKeys, true);

    QCOMPARE(c.temperatureCommand,
        QStringLiteral(R"(sensors -j;echo a,b %41 @Invalid() "q" x=y $HOME)"));
    QCOMPARE(c.auditFile, QStringLiteral("/var/lib/jarvis/audit.jsonl"));

    QCOMPARE(c.nodes.size(), 3);
    QCOMPARE(c.nodes[0].name, QStringLiteral("pve1"));
    QCOMPARE(c.nodes[0].host, QStringLiteral("192.168.1.10"));
    QCOMPARE(c.nodes[0].apiUrl, QUrl(QStringLiteral("https://192.168.1.10:8006")));
    QCOMPARE(c.nodes[0].sshPort, 22);
    QCOMPARE(c.nodes[0].tlsFingerprint, QString());
    QCOMPARE(c.nodes[1].name, QStringLiteral("pve-2"));
    QCOMPARE(c.nodes[1].host, QStringLiteral("pve2.lan"));
    QCOMPARE(c.nodes[1].apiUrl, QUrl(QStringLiteral("https://pve2.lan:8006")));
    QCOMPARE(c.nodes[1].sshPort, 2222);
    QCOMPARE(c.nodes[1].tlsFingerprint, fingerprint('B'));
    QCOMPARE(c.nodes[2].name, QStringLiteral("pve3"));
    QCOMPARE(c.nodes[2].apiUrl, QUrl(QStringLiteral("https://[fd00::3]:8006")));
    QCOMPARE(c.nodes[2].apiUrl.toString(), QStringLiteral("https://[fd00::3]:8006"));
}

void TestConfig::minimalDefaults()
{
    const LoadResult r = load(writeConfig(minimal().render()), QProcessEnvironment());
    QVERIFY2(r.ok(), qPrintable(describe(r.problems)));
    const Config &c = r.config;
    const Config defaults;
    QCOMPARE(c.listen, QStringLiteral("127.0.0.1"));
    QCOMPARE(c.port, 8080);
    QVERIFY(!c.tlsEnabled());
    QVERIFY(c.allowedOrigins.isEmpty());
    QCOMPARE(c.maxPayload, defaults.maxPayload);
    QCOMPARE(c.maxBodySize, defaults.maxBodySize);
    QCOMPARE(c.pingInterval, 25000);
    QCOMPARE(c.pingTimeout, 20000);
    QCOMPARE(c.connectTimeout, defaults.connectTimeout);
    QCOMPARE(c.username, QStringLiteral("admin"));
    QCOMPARE(c.tokenLifetime, 86400);
    QCOMPARE(c.insecure, false);
    QCOMPARE(c.intervalNodes, 10);
    QCOMPARE(c.intervalQuorum, 30);
    QCOMPARE(c.intervalNodeStatus, 60);
    QCOMPARE(c.intervalVms, 15);
    QCOMPARE(c.intervalStorage, 30);
    QCOMPARE(c.intervalTemperature, 30);
    QVERIFY(!c.sshConfigured);
    QCOMPARE(c.sshUser, QStringLiteral("root"));
    QCOMPARE(c.strictHostKeys, true);
    QVERIFY(c.temperatureCommand.isEmpty());
    QCOMPARE(c.auditFile, QStringLiteral("/var/lib/jarvis/audit.jsonl"));
    QCOMPARE(c.nodes.size(), 1);
    QCOMPARE(c.nodes[0].sshPort, 22);
}

void TestConfig::brokenConfigs_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("message");

    const QString server = QStringLiteral("server"), auth = QStringLiteral("auth"),
                  proxmox = QStringLiteral("proxmox"), node = QStringLiteral("node.pve1"),
                  intervals = QStringLiteral("intervals"), safety = QStringLiteral("safety"),
                  ssh = QStringLiteral("ssh");
    const QString missing = m_dir.filePath(QStringLiteral("does-not-exist.pem"));
    const QString existing = m_dir.filePath(QStringLiteral("tls.crt"));
    const auto row = [](const char *name, const Doc &d, const QString &key, const QString &msg) {
        QTest::newRow(name) << d.render() << key << msg;
    };
    const auto setRow = [&](const char *name, const QString &group, const QString &k,
                            const QString &value, const QString &msg) {
        row(name, minimal().set(group, k, value), group + u'/' + k, msg);
    };
    const auto str = [](const char *s) { return QString::fromUtf8(s); };

    // Integers and ranges
    setRow("port not a number", server, str("port"), str("abc"),
        str("must be an integer in 0..65535, got \"abc\""));
    setRow("port 65536", server, str("port"), str("65536"), str("0..65535"));
    setRow("port negative", server, str("port"), str("-1"), str("0..65535"));
    setRow("port trailing junk", server, str("port"), str("8080x"), str("0..65535"));
    setRow("port empty", server, str("port"), QString(), str("0..65535, got \"\""));
    setRow("port hex", server, str("port"), str("0x50"), str("0..65535"));
    setRow("port huge", server, str("port"), str("99999999999999999999999"), str("0..65535"));
    setRow("maxPayload 0", server, str("maxPayload"), str("0"), str("1..100000000"));
    setRow("maxPayload too big", server, str("maxPayload"), str("100000001"), str("1..100000000"));
    setRow(
        "maxBodySize too big", server, str("maxBodySize"), str("1073741825"), str("1..1073741824"));
    setRow("pingInterval 99", server, str("pingInterval"), str("99"), str("100..600000"));
    setRow("pingTimeout too big", server, str("pingTimeout"), str("600001"), str("100..600000"));
    setRow("connectTimeout 50", server, str("connectTimeout"), str("50"), str("100..600000"));
    const QString historyGroup = QStringLiteral("history");
    setRow("history saveInterval 9", historyGroup, str("saveInterval"), str("9"), str("10..86400"));
    setRow("history saveInterval text", historyGroup, str("saveInterval"), str("5m"),
        str("10..86400, got \"5m\""));
    setRow("history enabled maybe", historyGroup, str("enabled"), str("maybe"),
        str("must be true/false/1/0/yes/no, got \"maybe\""));
    setRow("history backfill 2", historyGroup, str("backfill"), str("2"),
        str("must be true/false/1/0/yes/no, got \"2\""));
    row("history unknown key", minimal().set(historyGroup, str("files"), str("x")),
        str("history/files"), str("unknown key"));
    setRow("tokenLifetime 59", auth, str("tokenLifetime"), str("59"), str("60..31536000"));
    setRow(
        "tokenLifetime too big", auth, str("tokenLifetime"), str("31536001"), str("60..31536000"));
    setRow("interval 0", intervals, str("nodes"), str("0"), str("1..86400"));
    setRow("mcp enabled not a boolean", str("mcp"), str("enabled"), str("yes please"), str("true"));
    setRow("mcp apiKeys in clear", str("mcp"), str("apiKeys"), str("claude:jk_abc"),
        str("NAME:sha256:<64 hex>"));
    setRow("mcp apiKeys name twice", str("mcp"), str("apiKeys"),
        str("a:sha256:%1,a:sha256:%1").arg(QString(64, u'0')), str("used twice"));
    setRow("mcp maxSessions 0", str("mcp"), str("maxSessions"), str("0"), str("1..10000"));
    setRow("mcp sessionIdleTimeout 9", str("mcp"), str("sessionIdleTimeout"), str("9"),
        str("10..604800"));
    setRow("interval too big", intervals, str("vms"), str("86401"), str("1..86400"));
    setRow("interval text", intervals, str("storage"), str("ten"), str("1..86400, got \"ten\""));
    setRow("interval fraction", intervals, str("temperature"), str("1.5"), str("1..86400"));
    setRow("quorum interval 0", intervals, str("quorum"), str("0"), str("1..86400"));
    setRow("nodeStatus interval text", intervals, str("nodeStatus"), str("1m"),
        str("1..86400, got \"1m\""));
    setRow("sshPort 0", node, str("sshPort"), str("0"), str("1..65535"));
    setRow("sshPort 65536", node, str("sshPort"), str("65536"), str("1..65535"));
    setRow("vmid text", safety, str("protectedVmids"), str("100,abc"),
        str("1..999999999, got \"abc\""));
    setRow("vmid 0", safety, str("protectedVmids"), str("0"), str("1..999999999"));
    setRow("vmid too big", safety, str("protectedVmids"), str("1000000000"), str("1..999999999"));
    setRow("vmid empty entry", safety, str("protectedVmids"), str("100,,101"), str("empty entry"));

    // Booleans
    setRow("insecure maybe", proxmox, str("insecure"), str("maybe"),
        str("true/false/1/0/yes/no, got \"maybe\""));
    setRow("strictHostKeys 2", ssh, str("strictHostKeys"), str("2"), str("true/false/1/0/yes/no"));
    setRow("insecure empty", proxmox, str("insecure"), QString(), str("true/false/1/0/yes/no"));

    // Addresses, origins, URLs, fingerprints
    setRow("listen hostname", server, str("listen"), str("jarvis.lan"),
        str("IP address or \"localhost\""));
    setRow("listen bad IPv4", server, str("listen"), str("999.1.1.1"), str("IP address"));
    setRow("listen empty", server, str("listen"), QString(), str("IP address"));
    setRow("origin with path", server, str("allowedOrigins"), str("https://a.lan/app"),
        str("\"https://a.lan/app\" is not an origin of the form http(s)://host[:port]"));
    setRow("origin ftp", server, str("allowedOrigins"), str("ftp://a.lan"),
        str("http(s)://host[:port]"));
    setRow("origin without scheme", server, str("allowedOrigins"), str("jarvis.lan"),
        str("http(s)://host[:port]"));
    setRow(
        "origin wildcard", server, str("allowedOrigins"), str("*"), str("http(s)://host[:port]"));
    setRow("origin with user", server, str("allowedOrigins"), str("https://me@a.lan"),
        str("http(s)://host[:port]"));
    setRow("origin with query", server, str("allowedOrigins"), str("https://a.lan?x=1"),
        str("http(s)://host[:port]"));
    setRow("origin bad port", server, str("allowedOrigins"), str("https://a.lan:99999"),
        str("http(s)://host[:port]"));
    setRow("origin second bad", server, str("allowedOrigins"),
        str("https://a.lan, https://b.lan/x"), str("\"https://b.lan/x\""));
    setRow("origin empty entry", server, str("allowedOrigins"), str("https://a.lan,,https://b.lan"),
        str("empty entry"));
    setRow("fingerprint short", proxmox, str("tlsFingerprint"), str("AB:CD"),
        str("32 colon-separated hex byte pairs"));
    setRow("fingerprint no colons", proxmox, str("tlsFingerprint"), fingerprint('a').remove(u':'),
        str("32 colon-separated"));
    setRow("fingerprint 33 pairs", proxmox, str("tlsFingerprint"), fingerprint('a') + str(":AA"),
        str("32 colon-separated"));
    setRow("fingerprint not hex", proxmox, str("tlsFingerprint"), fingerprint('z'),
        str("32 colon-separated"));
    setRow("fingerprint SHA-1", proxmox, str("tlsFingerprint"), fingerprint('a').left(59),
        str("32 colon-separated"));
    setRow(
        "node fingerprint", node, str("tlsFingerprint"), str("AB:CD"), str("32 colon-separated"));
    setRow("apiUrl ftp", node, str("apiUrl"), str("ftp://192.168.1.10"),
        str("http(s)://host[:port] URL"));
    setRow("apiUrl not a URL", node, str("apiUrl"), str("not a url"),
        str("http(s)://host[:port] URL"));
    setRow(
        "apiUrl no host", node, str("apiUrl"), str("https://"), str("http(s)://host[:port] URL"));
    setRow("apiUrl credentials", node, str("apiUrl"), str("https://root:pw@pve:8006"),
        str("http(s)://host[:port] URL"));
    setRow("host with space", node, str("host"), str("pve 1"),
        str("not a valid host name or IP address"));
    setRow("host empty", node, str("host"), QString(), str("required"));
    row("host missing", minimal().remove(node, str("host")).add(node, str("sshPort=22")),
        str("node.pve1/host"), str("required"));

    // Files
    row("tlsCert without tlsKey", minimal().set(server, str("tlsCert"), existing),
        str("server/tlsKey"), str("tlsCert is set but tlsKey is not; set both or neither"));
    row("tlsKey without tlsCert", minimal().set(server, str("tlsKey"), existing),
        str("server/tlsCert"), str("set both or neither"));
    row("tlsCert missing file",
        minimal().set(server, str("tlsCert"), missing).set(server, str("tlsKey"), existing),
        str("server/tlsCert"), str("file does not exist: ") + missing);
    row("tlsKey is a directory",
        minimal()
            .set(server, str("tlsCert"), existing)
            .set(server, str("tlsKey"), m_dir.filePath(str("adir"))),
        str("server/tlsKey"), str("not a regular file"));
    setRow("caFile missing", proxmox, str("caFile"), missing, str("file does not exist"));
    setRow("ssh keyFile missing", ssh, str("keyFile"), missing, str("file does not exist"));

    // Required values
    row("proxmox missing", minimal().removeGroup(proxmox), QString(),
        str("required group [proxmox] is missing"));
    row("tokenId missing", minimal().remove(proxmox, str("tokenId")), str("proxmox/tokenId"),
        str("required: USER@REALM!TOKENID"));
    setRow("tokenId without token", proxmox, str("tokenId"), str("root@pam"),
        str("must be USER@REALM!TOKENID"));
    setRow("tokenId without realm", proxmox, str("tokenId"), str("root!jarvis"),
        str("USER@REALM!TOKENID"));
    setRow("tokenId empty token", proxmox, str("tokenId"), str("root@pam!"),
        str("USER@REALM!TOKENID"));
    setRow("tokenId with space", proxmox, str("tokenId"), str("root @pam!x"),
        str("USER@REALM!TOKENID"));
    row("tokenSecret missing", minimal().remove(proxmox, str("tokenSecret")),
        str("proxmox/tokenSecret"), str("required (or set JARVIS_PVE_TOKEN_SECRET)"));
    row("no node", minimal().removeGroup(node), QString(),
        str("at least one [node.NAME] group is required"));
    row("jwtSecret missing", minimal().remove(auth, str("jwtSecret")), str("auth/jwtSecret"),
        str("required: at least 43 characters (or set JARVIS_JWT_SECRET)"));
    setRow("jwtSecret too short", auth, str("jwtSecret"), ShortJwtSecret,
        str("too short: at least 43 characters"));
    row("passwordHash missing", minimal().remove(auth, str("passwordHash")),
        str("auth/passwordHash"),
        str("required (generate one with jarvisd --hash-password, or set JARVIS_ADMIN_PASSWORD)"));
    setRow("passwordHash plain text", auth, str("passwordHash"), AdminPassword,
        str("malformed hash: expected pbkdf2-sha256$"));
    setRow("passwordHash few iterations", auth, str("passwordHash"),
        QString(passwordHash()).replace(str("$1000$"), str("$999$")),
        str("iteration count must be an integer in 1000..10000000"));
    setRow("passwordHash too many iterations", auth, str("passwordHash"),
        QString(passwordHash()).replace(str("$1000$"), str("$10000001$")), str("iteration count"));
    setRow("passwordHash bad salt", auth, str("passwordHash"),
        QString(passwordHash()).replace(str("$1000$"), str("$1000$!")), str("salt"));
    setRow("username empty", auth, str("username"), QString(), str("must be non-empty"));
    setRow("ssh user with space", ssh, str("user"), str("ro ot"),
        str("must be non-empty without spaces"));
    // [metrics] token holds hashes only: a key in clear is refused (and not echoed).
    setRow("metrics token in clear", str("metrics"), str("token"), str("jk_secret"),
        str("entry 1: expected NAME:sha256:<64 hex>"));
    setRow("metrics token short hash", str("metrics"), str("token"), str("prometheus:sha256:abcd"),
        str("entry 1 (prometheus): sha256: must be followed by"));
    setRow("metrics token name twice", str("metrics"), str("token"),
        jarvis::auth::apiKeyEntry(str("a"), str("k1")) + u','
            + jarvis::auth::apiKeyEntry(str("a"), str("k2")),
        str("the name is used twice"));

    // Structure
    row("unknown group", minimal().set(str("servr"), str("port"), str("1")), str("servr"),
        str("unknown group [servr]; known groups: server, auth, proxmox, intervals, safety, ssh, "
            "temperature, audit, metrics, mcp, history, node.NAME"));
    row("General group", minimal().set(str("General"), str("port"), str("1")), str("General"),
        str("unknown group"));
    row("node without name", minimal().set(str("node."), str("host"), str("x")), str("node."),
        str("node name"));
    row("node name with space", minimal().set(str("node.pve 2"), str("host"), str("x")),
        str("node.pve 2"), str("node name"));
    setRow("unknown key", server, str("prot"), str("8080"),
        str("unknown key; known keys in [server]: listen, port, tlsCert"));
    setRow("wrong case key", server, str("Port"), str("8080"),
        str("unknown key (did you mean port?)"));
    setRow("unknown node key", node, str("hostname"), str("x"),
        str("known keys in [node.NAME]: host, apiUrl, sshPort, tlsFingerprint"));
    setRow("percent-encoded key", server, str("p%6Frt"), str("8080"), str("unknown key"));
    row("duplicate key", minimal().add(node, str("host=192.168.1.11")), str("node.pve1/host"),
        str("duplicate key (first set at line"));
    QTest::newRow("group again") << minimal().render() + str("[proxmox]\ninsecure=false\n")
                                 << str("proxmox")
                                 << str("group [proxmox] appears again (first at line");
    QTest::newRow("key outside group") << str("orphan=1\n") + minimal().render() << str("orphan")
                                       << str("line 1: key outside of any [group]");
    QTest::newRow("no equals sign") << minimal().render() + str("[audit]\njust words\n")
                                    << QString() << str("expected key=value, [group] or a comment");
    QTest::newRow("unterminated group")
        << minimal().render() + str("[server\n") << QString() << str("group header without ']'");
    QTest::newRow("text after group") << minimal().render() + str("[server] port=1\n")
                                      << str("server") << str("unexpected text after ']'");
    QTest::newRow("empty group name")
        << minimal().render() + str("[ ]\n") << QString() << str("empty group name");
    QTest::newRow("empty key") << minimal().render() + str("[audit]\n=value\n") << QString()
                               << str("empty key before '='");
}

void TestConfig::brokenConfigs()
{
    QFETCH(QString, text);
    QFETCH(QString, key);
    QFETCH(QString, message);

    const QString path = writeConfig(text);
    const LoadResult r = load(path, QProcessEnvironment());
    QVERIFY2(r.problems.size() == 1, qPrintable(describe(r.problems)));
    const Problem &p = r.problems.first();
    QCOMPARE(p.file, path);
    QCOMPARE(p.key, key);
    QVERIFY2(p.message.contains(message), qPrintable(p.message));
    verifyNoSecrets(r.problems);
    QVERIFY(!r.ok());
}

void TestConfig::collectsAllProblems()
{
    Doc d = minimal();
    d.set(QStringLiteral("server"), QStringLiteral("port"), QStringLiteral("http"));
    d.set(QStringLiteral("server"), QStringLiteral("bogus"), QStringLiteral("1"));
    d.remove(QStringLiteral("proxmox"), QStringLiteral("tokenSecret"));
    d.set(QStringLiteral("node.pve1"), QStringLiteral("sshPort"), QStringLiteral("0"));
    d.set(
        QStringLiteral("node.pve2"), QStringLiteral("apiUrl"), QStringLiteral("https://pve2:8006"));
    d.set(QStringLiteral("auth"), QStringLiteral("jwtSecret"), ShortJwtSecret);

    const LoadResult r = load(writeConfig(d.render()), QProcessEnvironment());
    QStringList keys;
    for (const Problem &p : r.problems)
        keys << p.key;
    keys.sort();
    QCOMPARE(keys,
        (QStringList {QStringLiteral("auth/jwtSecret"), QStringLiteral("node.pve1/sshPort"),
            QStringLiteral("node.pve2/host"), QStringLiteral("proxmox/tokenSecret"),
            QStringLiteral("server/bogus"), QStringLiteral("server/port")}));
    verifyNoSecrets(r.problems);
}

void TestConfig::lineNumbers()
{
    const QString text = QStringLiteral("; header comment\n"
                                        "[server]\n"
                                        "port=eighty      ; line 3\n"
                                        "\n"
                                        "[node.pve1]\n"
                                        "host=10.0.0.1\n"
                                        "host=10.0.0.2\n"
                                        "[proxmox]\n");
    const LoadResult r = load(writeConfig(text), QProcessEnvironment());
    const auto find = [&](const QString &key) -> QString {
        for (const Problem &p : r.problems) {
            if (p.key == key)
                return p.message;
        }
        return QString();
    };
    QVERIFY2(find(QStringLiteral("server/port")).startsWith(QStringLiteral("line 3: ")),
        qPrintable(describe(r.problems)));
    QVERIFY(find(QStringLiteral("server/port")).contains(QStringLiteral("got \"eighty\"")));
    QCOMPARE(find(QStringLiteral("node.pve1/host")),
        QStringLiteral("line 7: duplicate key (first set at line 6)"));
    // A missing key points at its group's header line.
    QVERIFY(find(QStringLiteral("proxmox/tokenId")).startsWith(QStringLiteral("line 8: ")));
}

void TestConfig::iniSyntax()
{
    // CRLF line endings, a BOM, indentation, spaces around '=', tabs before ';', '#' and ';'
    // full-line comments, '#' inside values, '=' inside values, empty values.
    QString text = QChar(0xFEFF) + minimal().render();
    text += QStringLiteral("[server]\n"
                           "  listen =  ::1  \n"
                           "port\t=\t9000\t; tab comment\n"
                           "# port=1\n"
                           "  ; port=2\n"
                           "allowedOrigins=\n"
                           "[temperature]\n"
                           "command=cat /x#y;z = 1 ;not-a-comment\n");
    text.replace(QStringLiteral("\n"), QStringLiteral("\r\n"));
    const LoadResult r = load(writeConfig(text), QProcessEnvironment());
    QVERIFY2(r.ok(), qPrintable(describe(r.problems)));
    QCOMPARE(r.config.listen, QStringLiteral("::1"));
    QCOMPARE(r.config.port, 9000);
    QVERIFY(r.config.allowedOrigins.isEmpty());
    QCOMPARE(r.config.temperatureCommand, QStringLiteral("cat /x#y;z = 1"));

    // Booleans in every accepted spelling.
    const QStringList yes {
        QStringLiteral("true"), QStringLiteral("TRUE"), QStringLiteral("1"), QStringLiteral("Yes")};
    for (const QString &value : yes) {
        Doc d = minimal();
        d.set(QStringLiteral("proxmox"), QStringLiteral("insecure"), value);
        d.set(QStringLiteral("ssh"), QStringLiteral("strictHostKeys"),
            value == QStringLiteral("1") ? QStringLiteral("0") : QStringLiteral("no"));
        const LoadResult b = load(writeConfig(d.render()), QProcessEnvironment());
        QVERIFY2(b.ok(), qPrintable(describe(b.problems)));
        QVERIFY(b.config.insecure);
        QVERIFY(!b.config.strictHostKeys);
        QVERIFY(b.config.sshConfigured);
    }

    // Invalid UTF-8 is one problem for the whole file.
    const QString path = writeConfig(QString());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("[server]\nlisten=\xff\xfe\n");
    f.close();
    const LoadResult bad = load(path, QProcessEnvironment());
    QCOMPARE(bad.problems.size(), 1);
    QCOMPARE(bad.problems.first().key, QString());
    QVERIFY(bad.problems.first().message.contains(QStringLiteral("UTF-8")));
}

void TestConfig::portDefaults_data()
{
    QTest::addColumn<bool>("tls");
    QTest::addColumn<QString>("port"); // empty = not in the file
    QTest::addColumn<QString>("envPort"); // empty = not in the environment
    QTest::addColumn<int>("expected");
    QTest::addRow("plain default") << false << QString() << QString() << 8080;
    QTest::addRow("tls default") << true << QString() << QString() << 8443;
    QTest::addRow("plain explicit") << false << QStringLiteral("9000") << QString() << 9000;
    QTest::addRow("tls explicit") << true << QStringLiteral("9443") << QString() << 9443;
    QTest::addRow("zero is ephemeral") << false << QStringLiteral("0") << QString() << 0;
    QTest::addRow("env wins") << true << QStringLiteral("9443") << QStringLiteral("7000") << 7000;
    QTest::addRow("env zero") << true << QString() << QStringLiteral("0") << 0;
    QTest::addRow("env 65535") << false << QString() << QStringLiteral("65535") << 65535;
}

void TestConfig::portDefaults()
{
    QFETCH(bool, tls);
    QFETCH(QString, port);
    QFETCH(QString, envPort);
    QFETCH(int, expected);

    Doc d = minimal();
    if (tls) {
        d.set(QStringLiteral("server"), QStringLiteral("tlsCert"),
            m_dir.filePath(QStringLiteral("tls.crt")));
        d.set(QStringLiteral("server"), QStringLiteral("tlsKey"),
            m_dir.filePath(QStringLiteral("tls.key")));
    }
    if (!port.isEmpty())
        d.set(QStringLiteral("server"), QStringLiteral("port"), port);
    QProcessEnvironment env;
    if (!envPort.isEmpty())
        env.insert(QStringLiteral("JARVIS_PORT"), envPort);
    const LoadResult r = load(writeConfig(d.render()), env);
    QVERIFY2(r.ok(), qPrintable(describe(r.problems)));
    QCOMPARE(r.config.tlsEnabled(), tls);
    QCOMPARE(r.config.port, expected);
}

void TestConfig::envOverrides()
{
    Doc d = minimal();
    d.set(QStringLiteral("server"), QStringLiteral("listen"), QStringLiteral("0.0.0.0"));
    d.set(QStringLiteral("server"), QStringLiteral("port"), QStringLiteral("9000"));
    const QString envJwt = QStringLiteral("env-jwt-secret-0123456789-0123456789-0123456789");
    const LoadResult r = load(writeConfig(d.render()),
        environment({{QStringLiteral("JARVIS_PORT"), QStringLiteral("9100")},
            {QStringLiteral("JARVIS_LISTEN"), QStringLiteral("::")},
            {QStringLiteral("JARVIS_ADMIN_PASSWORD"), QStringLiteral("hunter2")},
            {QStringLiteral("JARVIS_JWT_SECRET"), envJwt},
            {QStringLiteral("JARVIS_PVE_TOKEN_SECRET"), QStringLiteral("env-token")}}));
    QVERIFY2(r.ok(), qPrintable(describe(r.problems)));
    QCOMPARE(r.config.port, 9100);
    QCOMPARE(r.config.listen, QStringLiteral("::"));
    QCOMPARE(r.config.adminPassword, QStringLiteral("hunter2"));
    QVERIFY(r.config.passwordHash.isEmpty());
    QCOMPARE(r.config.jwtSecret, envJwt.toUtf8());
    QCOMPARE(r.config.tokenSecret, QStringLiteral("env-token"));

    // Empty variables count as unset.
    const LoadResult e = load(writeConfig(d.render()),
        environment({{QStringLiteral("JARVIS_PORT"), QString()},
            {QStringLiteral("JARVIS_ADMIN_PASSWORD"), QString()},
            {QStringLiteral("JARVIS_JWT_SECRET"), QString()}}));
    QVERIFY2(e.ok(), qPrintable(describe(e.problems)));
    QCOMPARE(e.config.port, 9000);
    QCOMPARE(e.config.passwordHash, passwordHash());
    QVERIFY(e.config.adminPassword.isEmpty());
    QCOMPARE(e.config.jwtSecret, JwtSecret.toUtf8());

    // "localhost" is accepted as a listen address.
    const LoadResult l = load(writeConfig(d.render()),
        environment({{QStringLiteral("JARVIS_LISTEN"), QStringLiteral("localhost")}}));
    QVERIFY2(l.ok(), qPrintable(describe(l.problems)));
    QCOMPARE(l.config.listen, QStringLiteral("localhost"));
}

void TestConfig::envReplacesMissingSecrets()
{
    // No [auth] at all, no tokenSecret, and a broken hash that the admin password replaces.
    Doc d = minimal();
    d.removeGroup(QStringLiteral("auth"));
    d.remove(QStringLiteral("proxmox"), QStringLiteral("tokenSecret"));
    const auto env = environment({{QStringLiteral("JARVIS_ADMIN_PASSWORD"), AdminPassword},
        {QStringLiteral("JARVIS_JWT_SECRET"), JwtSecret},
        {QStringLiteral("JARVIS_PVE_TOKEN_SECRET"), TokenSecret}});
    LoadResult r = load(writeConfig(d.render()), env);
    QVERIFY2(r.ok(), qPrintable(describe(r.problems)));
    QCOMPARE(r.config.tokenSecret, TokenSecret);
    QCOMPARE(r.config.adminPassword, AdminPassword);

    // Without the environment, the missing [auth] values are reported under their keys.
    r = load(writeConfig(d.render()), QProcessEnvironment());
    QCOMPARE(describe(r.problems).count(QStringLiteral(": auth/")), 2);
    QCOMPARE(r.problems.size(), 3);
    for (const Problem &p : r.problems) {
        if (p.key.startsWith(QStringLiteral("auth/"))) // no [auth] line to point at
            QVERIFY2(!p.message.startsWith(QStringLiteral("line ")), qPrintable(p.toString()));
    }

    d.set(QStringLiteral("auth"), QStringLiteral("passwordHash"), QStringLiteral("garbage"));
    r = load(writeConfig(d.render()), env);
    QVERIFY2(r.ok(), qPrintable(describe(r.problems)));
    QVERIFY(r.config.passwordHash.isEmpty());

    // Without the environment the same file has three problems.
    r = load(writeConfig(d.render()), QProcessEnvironment());
    QCOMPARE(r.problems.size(), 3);
    verifyNoSecrets(r.problems);
}

void TestConfig::envProblems_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("message");
    QTest::addRow("port text") << QStringLiteral("JARVIS_PORT") << QStringLiteral("http")
                               << QStringLiteral("must be an integer in 0..65535, got \"http\"");
    QTest::addRow("port too big") << QStringLiteral("JARVIS_PORT") << QStringLiteral("70000")
                                  << QStringLiteral("0..65535");
    QTest::addRow("port negative")
        << QStringLiteral("JARVIS_PORT") << QStringLiteral("-80") << QStringLiteral("0..65535");
    QTest::addRow("port with space")
        << QStringLiteral("JARVIS_PORT") << QStringLiteral(" 80") << QStringLiteral("0..65535");
    QTest::addRow("listen hostname")
        << QStringLiteral("JARVIS_LISTEN") << QStringLiteral("example.com")
        << QStringLiteral("IP address or \"localhost\"");
    QTest::addRow("jwt secret short") << QStringLiteral("JARVIS_JWT_SECRET") << ShortJwtSecret
                                      << QStringLiteral("too short: at least 43 characters");
    QTest::addRow("mcp api keys malformed")
        << QStringLiteral("JARVIS_MCP_API_KEYS") << QStringLiteral("claude")
        << QStringLiteral("NAME:sha256:<64 hex>");
    QTest::addRow("token secret newline")
        << QStringLiteral("JARVIS_PVE_TOKEN_SECRET")
        << QString(TokenSecret + QStringLiteral("\r\nX-Evil: 1"))
        << QStringLiteral("must not contain spaces or control characters");
}

void TestConfig::envProblems()
{
    QFETCH(QString, name);
    QFETCH(QString, value);
    QFETCH(QString, message);

    const LoadResult r = load(writeConfig(minimal().render()), environment({{name, value}}));
    QVERIFY2(r.problems.size() == 1, qPrintable(describe(r.problems)));
    QCOMPARE(r.problems.first().file, QStringLiteral("environment"));
    QCOMPARE(r.problems.first().key, name);
    QVERIFY2(r.problems.first().message.contains(message), qPrintable(r.problems.first().message));
    verifyNoSecrets(r.problems);
}

void TestConfig::auditFileDefault_data()
{
    QTest::addColumn<QString>("stateDirectory");
    QTest::addColumn<QString>("inFile");
    QTest::addColumn<QString>("expected");
    QTest::addRow("default") << QString() << QString()
                             << QStringLiteral("/var/lib/jarvis/audit.jsonl");
    QTest::addRow("state directory") << QStringLiteral("/var/lib/jarvisd") << QString()
                                     << QStringLiteral("/var/lib/jarvisd/audit.jsonl");
    QTest::addRow("several state directories")
        << QStringLiteral("/srv/a:/srv/b") << QString() << QStringLiteral("/srv/a/audit.jsonl");
    QTest::addRow("file wins") << QStringLiteral("/var/lib/jarvisd")
                               << QStringLiteral("/log/audit.jsonl")
                               << QStringLiteral("/log/audit.jsonl");
}

void TestConfig::auditFileDefault()
{
    QFETCH(QString, stateDirectory);
    QFETCH(QString, inFile);
    QFETCH(QString, expected);
    Doc d = minimal();
    if (!inFile.isEmpty())
        d.set(QStringLiteral("audit"), QStringLiteral("file"), inFile);
    QProcessEnvironment env;
    if (!stateDirectory.isEmpty())
        env.insert(QStringLiteral("STATE_DIRECTORY"), stateDirectory);
    const LoadResult r = load(writeConfig(d.render()), env);
    QVERIFY2(r.ok(), qPrintable(describe(r.problems)));
    QCOMPARE(r.config.auditFile, expected);
}

void TestConfig::historySettings_data()
{
    QTest::addColumn<QStringList>("lines"); // key=value in [history]
    QTest::addColumn<bool>("enabled");
    QTest::addColumn<QString>("file"); // relative to the config's directory; "-" = none
    QTest::addColumn<int>("saveInterval");
    QTest::addColumn<bool>("backfill");
    QTest::addRow("defaults: on, beside the audit log")
        << QStringList {} << true << QStringLiteral("audit-dir/history.bin") << 300 << true;
    QTest::addRow("all set") << QStringList {"enabled=no", "file=h/history.dat", "saveInterval=60",
        "backfill=false"} << false
                             << QStringLiteral("h/history.dat") << 60 << false;
    QTest::addRow("empty file: not kept")
        << QStringList {"file="} << true << QStringLiteral("-") << 300 << true;
    QTest::addRow("limits") << QStringList {"saveInterval=10"} << true
                            << QStringLiteral("audit-dir/history.bin") << 10 << true;
}

void TestConfig::historySettings()
{
    QFETCH(QStringList, lines);
    QFETCH(bool, enabled);
    QFETCH(QString, file);
    QFETCH(int, saveInterval);
    QFETCH(bool, backfill);
    Doc d = minimal();
    d.set(QStringLiteral("audit"), QStringLiteral("file"), QStringLiteral("audit-dir/audit.jsonl"));
    for (const QString &line : lines)
        d.set(QStringLiteral("history"), line.section(u'=', 0, 0), line.section(u'=', 1));
    const QString path = writeConfig(d.render());
    const LoadResult r = load(path, QProcessEnvironment());
    QVERIFY2(r.ok(), qPrintable(describe(r.problems)));
    QCOMPARE(r.config.historyEnabled, enabled);
    QCOMPARE(r.config.historyFile,
        file == QLatin1String("-") ? QString() : QFileInfo(path).absoluteDir().filePath(file));
    QCOMPARE(r.config.historySaveInterval, saveInterval);
    QCOMPARE(r.config.historyBackfill, backfill);
    // The demo has it too; a Config built in code (tests) has it off until it opts in.
    QVERIFY(jarvis::config::demo(QProcessEnvironment()).config.historyEnabled);
    QVERIFY(!Config().historyEnabled);
}

void TestConfig::relativePaths()
{
    // Relative paths are resolved against the config file's directory.
    Doc d = minimal();
    d.set(QStringLiteral("server"), QStringLiteral("tlsCert"), QStringLiteral("../tls.crt"));
    d.set(QStringLiteral("server"), QStringLiteral("tlsKey"), QStringLiteral("../tls.key"));
    d.set(QStringLiteral("audit"), QStringLiteral("file"), QStringLiteral("audit.jsonl"));
    const QString path = writeConfig(d.render());
    const LoadResult r = load(path, QProcessEnvironment());
    QVERIFY2(r.ok(), qPrintable(describe(r.problems)));
    QCOMPARE(r.config.tlsCert, m_dir.filePath(QStringLiteral("tls.crt")));
    QCOMPARE(
        r.config.auditFile, QFileInfo(path).absoluteDir().filePath(QStringLiteral("audit.jsonl")));
}

void TestConfig::demo()
{
    const LoadResult r = jarvis::config::demo(QProcessEnvironment());
    QVERIFY2(r.ok(), qPrintable(describe(r.problems)));
    const Config &c = r.config;
    QVERIFY(c.demo);
    QCOMPARE(c.listen, QStringLiteral("127.0.0.1"));
    QCOMPARE(c.port, 8080);
    QVERIFY(c.jwtSecret.isEmpty());
    QVERIFY(c.adminPassword.isEmpty());
    QVERIFY(c.passwordHash.isEmpty());
    QVERIFY(c.tokenSecret.isEmpty());
    QVERIFY(c.nodes.isEmpty());
    QVERIFY(c.sourceFile.isEmpty());
    QVERIFY(!c.tlsEnabled());
}

void TestConfig::demoEnvironment()
{
    LoadResult r =
        jarvis::config::demo(environment({{QStringLiteral("JARVIS_PORT"), QStringLiteral("0")},
            {QStringLiteral("JARVIS_LISTEN"), QStringLiteral("::1")},
            {QStringLiteral("JARVIS_ADMIN_PASSWORD"), AdminPassword},
            {QStringLiteral("JARVIS_JWT_SECRET"), JwtSecret},
            {QStringLiteral("JARVIS_PVE_TOKEN_SECRET"), TokenSecret}}));
    QVERIFY2(r.ok(), qPrintable(describe(r.problems)));
    QVERIFY(r.config.demo);
    QCOMPARE(r.config.port, 0);
    QCOMPARE(r.config.listen, QStringLiteral("::1"));
    QCOMPARE(r.config.adminPassword, AdminPassword);
    QCOMPARE(r.config.jwtSecret, JwtSecret.toUtf8());
    QVERIFY(r.config.tokenSecret.isEmpty()); // the simulator needs none

    r = jarvis::config::demo(environment({{QStringLiteral("JARVIS_PORT"), QStringLiteral("x")},
        {QStringLiteral("JARVIS_JWT_SECRET"), ShortJwtSecret}}));
    QCOMPARE(r.problems.size(), 2);
    QCOMPARE(r.problems[0].toString(),
        QStringLiteral("environment: JARVIS_PORT: must be an integer in 0..65535, got \"x\""));
    QCOMPARE(r.problems[1].key, QStringLiteral("JARVIS_JWT_SECRET"));
    verifyNoSecrets(r.problems);
}

void TestConfig::missingFile()
{
    const QString path = m_dir.filePath(QStringLiteral("nope/jarvisd.conf"));
    const LoadResult r =
        load(path, environment({{QStringLiteral("JARVIS_PORT"), QStringLiteral("x")}}));
    QCOMPARE(r.problems.size(), 1);
    QCOMPARE(r.problems.first().file, path);
    QCOMPARE(r.problems.first().key, QString());
    QVERIFY2(r.problems.first().message.startsWith(QStringLiteral("cannot read: ")),
        qPrintable(r.problems.first().message));
    QCOMPARE(
        r.problems.first().toString(), path + QStringLiteral(": ") + r.problems.first().message);

    const LoadResult empty = load(QString(), QProcessEnvironment());
    QCOMPARE(empty.problems.size(), 1);
    QCOMPARE(empty.problems.first().key, QString());
}

void TestConfig::unreadableFiles()
{
    const LoadResult dir = load(m_dir.path(), QProcessEnvironment());
    QCOMPARE(dir.problems.size(), 1);
    QVERIFY(dir.problems.first().message.contains(QStringLiteral("is a directory")));

    const QString big = writeConfig(QString(2 * 1024 * 1024, u';'));
    const LoadResult tooBig = load(big, QProcessEnvironment());
    QCOMPARE(tooBig.problems.size(), 1);
    QVERIFY(tooBig.problems.first().message.contains(QStringLiteral("larger than")));
}

void TestConfig::problemToString_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("expected");
    QTest::addRow("with key") << QStringLiteral("/etc/jarvis/jarvisd.conf")
                              << QStringLiteral("server/port") << QStringLiteral("line 2: bad")
                              << QStringLiteral(
                                     "/etc/jarvis/jarvisd.conf: server/port: line 2: bad");
    QTest::addRow("without key") << QStringLiteral("/etc/jarvis/jarvisd.conf") << QString()
                                 << QStringLiteral("cannot read")
                                 << QStringLiteral("/etc/jarvis/jarvisd.conf: cannot read");
    QTest::addRow("environment") << QStringLiteral("environment") << QStringLiteral("JARVIS_PORT")
                                 << QStringLiteral("bad")
                                 << QStringLiteral("environment: JARVIS_PORT: bad");
}

void TestConfig::problemToString()
{
    QFETCH(QString, file);
    QFETCH(QString, key);
    QFETCH(QString, message);
    QFETCH(QString, expected);
    QCOMPARE((Problem {file, key, message}).toString(), expected);
}

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
