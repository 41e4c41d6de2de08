// The dashboard's static files as jarvisd serves them (PROTOCOL.md section 1, "Dashboard (static
// files)"): a real Application on 127.0.0.1:0, its front door and QtHttpServer, spoken to over
// raw sockets (QNAM would normalise paths and decode gzip by itself). Three sites: a --web-root
// directory made here (with a secret file beside it that no request may reveal), the Qt resource
// ":/testweb" compiled into this test, and a resource prefix that does not exist (a jarvisd built
// without the dashboard).
#include "app/application.h"
#include "httpexchange.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace jarvis;
using test::RawResponse;

namespace {
const QByteArray Secret = "test-secret-that-is-long-enough-0123456789abcdefgh";
const QByteArray SecretFileText = "TOP-SECRET-OUTSIDE-THE-TREE";
const QByteArray IndexBody = "<!doctype html><title>t</title><p>INDEX-PAGE</p>\n";
const QByteArray AppJs = "console.log('app');\n" + QByteArray(2000, ' ') + "//end\n";
const QByteArray AppJsGz = "GZIP-SIBLING-BYTES";
const QByteArray AppJsBr = "BROTLI-SIBLING-BYTES";
const QByteArray StyleCss = "body{color:#0ff}" + QByteArray(2000, ' ');
const QByteArray StyleCssGz = "GZIP-CSS-BYTES";
const QByteArray ImmutableCache = "public, max-age=31536000, immutable";
const QByteArray Csp = "default-src 'self'; script-src 'self'; connect-src 'self'; "
                       "img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self'; "
                       "object-src 'none'; base-uri 'none'; form-action 'self'; "
                       "frame-ancestors 'none'";

std::unique_ptr<app::Application> startApp(const QString &webRoot)
{
    config::Config config;
    config.listen = QStringLiteral("127.0.0.1");
    config.port = 0;
    config.jwtSecret = Secret;
    config.adminPassword = QStringLiteral("pw");
    config.webRoot = webRoot;
    auto app = std::make_unique<app::Application>(config);
    QString error;
    if (!app->start(&error)) {
        qWarning() << error;
        return nullptr;
    }
    return app;
}

// One request on its own connection ("Connection: close"), its one response.
RawResponse fetch(quint16 port, const QByteArray &target, const QByteArrayList &headers = {},
    const QByteArray &method = "GET")
{
    QByteArray request =
        method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    for (const QByteArray &h : headers)
        request += h + "\r\n";
    request += "\r\n";
    const test::Exchange ex = test::exchange(port, request);
    const QList<RawResponse> responses =
        test::splitResponses(ex.received, method == "HEAD" ? QList<int> {0} : QList<int> {});
    if (responses.size() != 1 || responses.first().status <= 0)
        return {-1, ex.received, {}, {}};
    return responses.first();
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        && file.write(bytes) == bytes.size();
}
} // namespace

class TestStaticFiles : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void mimeTypes_data();
    void mimeTypes();
    void caching_data();
    void caching();
    void etagAndNotModified_data();
    void etagAndNotModified();
    void compression_data();
    void compression();
    void etagDiffersPerEncoding();
    void vary_data();
    void vary();
    void securityHeaders_data();
    void securityHeaders();
    void traversal_data();
    void traversal();
    void fallbackAndNotFound_data();
    void fallbackAndNotFound();
    void head();
    void pipelinedWithHeadAnd304();
    void methodNotAllowed_data();
    void methodNotAllowed();
    void webRootChangesAreSeen();
    void embeddedResource();
    void dashboardNotBuilt();

private:
    QString webPath(const QString &relative) const
    {
        return m_dir.filePath(QStringLiteral("web/") + relative);
    }
    quint16 port() const { return m_app->port(); }

    QTemporaryDir m_dir;
    std::unique_ptr<app::Application> m_app;
};

void TestStaticFiles::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(writeFile(m_dir.filePath(QStringLiteral("secret.txt")), SecretFileText));
    QVERIFY(writeFile(m_dir.filePath(QStringLiteral("web-secret/inside.txt")), SecretFileText));
    const QList<QPair<QString, QByteArray>> files {
        {QStringLiteral("index.html"), IndexBody},
        {QStringLiteral("favicon.ico"), "ICO"},
        {QStringLiteral("robots.txt"), "User-agent: *\n"},
        {QStringLiteral(".env"), SecretFileText},
        {QStringLiteral("assets/app-1a2b3c.js"), AppJs},
        {QStringLiteral("assets/app-1a2b3c.js.gz"), AppJsGz},
        {QStringLiteral("assets/app-1a2b3c.js.br"), AppJsBr},
        {QStringLiteral("assets/app-1a2b3c.js.map"), "{\"version\":3}"},
        {QStringLiteral("assets/style-9f8e.css"), StyleCss},
        {QStringLiteral("assets/style-9f8e.css.gz"), StyleCssGz},
        {QStringLiteral("assets/chunk-77.mjs"), "export default 1;\n"},
        {QStringLiteral("assets/data-1.json"), "{}"},
        {QStringLiteral("assets/icon-1.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"},
        {QStringLiteral("assets/logo-1.png"), "\x89PNG\r\n\x1a\n"},
        {QStringLiteral("assets/font-1.woff2"), "wOF2"},
        {QStringLiteral("assets/font-1.woff"), "wOFF"},
        {QStringLiteral("assets/notes-1.txt"), "notes"},
        {QStringLiteral("assets/site.webmanifest"), "{}"},
        {QStringLiteral("assets/mod-1.wasm"), QByteArray("\0asm", 4)},
        {QStringLiteral("assets/blob-1.bin"), "blob"},
        {QStringLiteral("assets/UPPER-1.JS"), "upper"},
    };
    for (const auto &[name, bytes] : files)
        QVERIFY2(writeFile(webPath(name), bytes), qPrintable(name));
    // Symlinks: two that lead out of the tree (never served) and one that stays inside.
    QVERIFY(QFile::link(
        m_dir.filePath(QStringLiteral("secret.txt")), webPath(QStringLiteral("escape-link.txt"))));
    QVERIFY(QFile::link(m_dir.path(), webPath(QStringLiteral("escape-dir"))));
    QVERIFY(QFile::link(webPath(QStringLiteral("assets/app-1a2b3c.js")),
        webPath(QStringLiteral("assets/inner-link.js"))));

    m_app = startApp(m_dir.filePath(QStringLiteral("web")));
    QVERIFY(m_app);
}

void TestStaticFiles::cleanupTestCase()
{
    m_app.reset();
}

void TestStaticFiles::mimeTypes_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("type");
    QTest::addRow("root") << QByteArray("/") << QByteArray("text/html; charset=utf-8");
    QTest::addRow("html") << QByteArray("/index.html") << QByteArray("text/html; charset=utf-8");
    QTest::addRow("js") << QByteArray("/assets/app-1a2b3c.js")
                        << QByteArray("text/javascript; charset=utf-8");
    QTest::addRow("mjs") << QByteArray("/assets/chunk-77.mjs")
                         << QByteArray("text/javascript; charset=utf-8");
    QTest::addRow("upper-case suffix")
        << QByteArray("/assets/UPPER-1.JS") << QByteArray("text/javascript; charset=utf-8");
    QTest::addRow("css") << QByteArray("/assets/style-9f8e.css")
                         << QByteArray("text/css; charset=utf-8");
    QTest::addRow("json") << QByteArray("/assets/data-1.json") << QByteArray("application/json");
    QTest::addRow("map") << QByteArray("/assets/app-1a2b3c.js.map")
                         << QByteArray("application/json");
    QTest::addRow("svg") << QByteArray("/assets/icon-1.svg") << QByteArray("image/svg+xml");
    QTest::addRow("png") << QByteArray("/assets/logo-1.png") << QByteArray("image/png");
    QTest::addRow("ico") << QByteArray("/favicon.ico") << QByteArray("image/x-icon");
    QTest::addRow("woff2") << QByteArray("/assets/font-1.woff2") << QByteArray("font/woff2");
    QTest::addRow("woff") << QByteArray("/assets/font-1.woff") << QByteArray("font/woff");
    QTest::addRow("txt") << QByteArray("/robots.txt") << QByteArray("text/plain; charset=utf-8");
    QTest::addRow("webmanifest") << QByteArray("/assets/site.webmanifest")
                                 << QByteArray("application/manifest+json");
    QTest::addRow("wasm") << QByteArray("/assets/mod-1.wasm") << QByteArray("application/wasm");
    QTest::addRow("other") << QByteArray("/assets/blob-1.bin")
                           << QByteArray("application/octet-stream");
}

void TestStaticFiles::mimeTypes()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, type);
    const RawResponse r = fetch(port(), target);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("content-type"), type);
}

void TestStaticFiles::caching_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("cacheControl");
    QTest::addRow("root") << QByteArray("/") << 200 << QByteArray("no-cache");
    QTest::addRow("index.html") << QByteArray("/index.html") << 200 << QByteArray("no-cache");
    QTest::addRow("client route") << QByteArray("/nodes/pve1") << 200 << QByteArray("no-cache");
    QTest::addRow("hashed js") << QByteArray("/assets/app-1a2b3c.js") << 200 << ImmutableCache;
    QTest::addRow("hashed png") << QByteArray("/assets/logo-1.png") << 200 << ImmutableCache;
    QTest::addRow("root file") << QByteArray("/favicon.ico") << 200 << QByteArray("no-cache");
    QTest::addRow("missing asset")
        << QByteArray("/assets/missing-1.js") << 404 << QByteArray("no-store");
    QTest::addRow("api 404") << QByteArray("/api/nothing") << 404 << QByteArray("no-store");
}

void TestStaticFiles::caching()
{
    QFETCH(QByteArray, target);
    QFETCH(int, status);
    QFETCH(QByteArray, cacheControl);
    const RawResponse r = fetch(port(), target);
    QCOMPARE(r.status, status);
    QCOMPARE(r.header("cache-control"), cacheControl);
}

void TestStaticFiles::etagAndNotModified_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("ifNoneMatch"); // ETAG = the answer's own ETag
    QTest::addColumn<int>("status");
    const QByteArray app = "/assets/app-1a2b3c.js";
    QTest::addRow("no condition") << app << QByteArray() << 200;
    QTest::addRow("same") << app << QByteArray("ETAG") << 304;
    QTest::addRow("weak form") << app << QByteArray("W/ETAG") << 304;
    QTest::addRow("in a list") << app << QByteArray("\"nope\", W/\"x\", ETAG") << 304;
    QTest::addRow("list without spaces") << app << QByteArray("\"nope\",ETAG") << 304;
    QTest::addRow("star") << app << QByteArray("*") << 304;
    QTest::addRow("other") << app << QByteArray("\"nope\"") << 200;
    QTest::addRow("other list") << app << QByteArray("\"a\", \"b\"") << 200;
    QTest::addRow("unquoted") << app << QByteArray("UNQUOTED") << 200;
    QTest::addRow("index") << QByteArray("/") << QByteArray("ETAG") << 304;
    QTest::addRow("client route") << QByteArray("/guests") << QByteArray("ETAG") << 304;
    QTest::addRow("star, missing asset")
        << QByteArray("/assets/missing-1.js") << QByteArray("*") << 404;
}

void TestStaticFiles::etagAndNotModified()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, ifNoneMatch);
    QFETCH(int, status);
    const RawResponse first = fetch(port(), target);
    const QByteArray etag = first.header("etag");
    if (first.status == 200) {
        QVERIFY2(etag.size() > 2 && etag.startsWith('"') && etag.endsWith('"'), etag);
        // Strong and stable.
        QCOMPARE(fetch(port(), target).header("etag"), etag);
    }
    QByteArray condition = ifNoneMatch;
    condition.replace("ETAG", etag).replace("UNQUOTED", etag.mid(1, etag.size() - 2));
    const RawResponse r = fetch(port(), target,
        condition.isEmpty() ? QByteArrayList {} : QByteArrayList {"If-None-Match: " + condition});
    QCOMPARE(r.status, status);
    if (status == 304) {
        QVERIFY(r.body.isEmpty());
        QCOMPARE(r.header("etag"), etag);
        QVERIFY(!r.header("cache-control").isEmpty());
        QCOMPARE(r.header("vary"), QByteArray("Accept-Encoding"));
        QVERIFY(!r.headers.contains("content-length"));
        QVERIFY(!r.headers.contains("content-encoding"));
    } else if (status == 200) {
        QCOMPARE(r.header("etag"), etag);
        QVERIFY(!r.body.isEmpty());
    }
}

void TestStaticFiles::compression_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("acceptEncoding"); // "-" = no Accept-Encoding header
    QTest::addColumn<QByteArray>("encoding"); // "" = identity
    const QByteArray js = "/assets/app-1a2b3c.js"; // has .br and .gz
    const QByteArray css = "/assets/style-9f8e.css"; // has .gz only
    const QByteArray png = "/assets/logo-1.png"; // none
    auto row = [](const char *name, const QByteArray &target, const QByteArray &accept,
                   const QByteArray &encoding) {
        QTest::addRow("%s", name) << target << accept << encoding;
    };
    row("no header", js, "-", "");
    row("empty", js, "", "");
    row("gzip", js, "gzip", "gzip");
    row("x-gzip", js, "x-gzip", "gzip");
    row("br", js, "br", "br");
    row("browser", js, "gzip, deflate, br, zstd", "br");
    row("br preferred at equal q", js, "gzip;q=0.8, br;q=0.8", "br");
    row("higher q wins", js, "br;q=0.5, gzip", "gzip");
    row("q=0 excludes br", js, "br;q=0, gzip", "gzip");
    row("everything excluded", js, "br;q=0, gzip;q=0", "");
    row("identity preferred", js, "gzip;q=0.5, identity", "");
    row("identity only", js, "identity", "");
    row("star", js, "*", "br");
    row("star excluded", js, "*;q=0", "");
    row("star and gzip", js, "*;q=0.1, gzip;q=0.9", "gzip");
    row("upper case", js, "GZIP", "gzip");
    row("spaces", js, "  gzip ;  q=1  ", "gzip");
    row("invalid q ignored", js, "br;q=2, gzip", "gzip");
    row("garbage q ignored", js, "br;q=abc", "");
    row("deflate only", js, "deflate", "");
    row("css br missing", css, "br", "");
    row("css gzip", css, "br, gzip", "gzip");
    row("png", png, "br, gzip", "");
    row("fallback index", "/somewhere", "br, gzip", "");
}

void TestStaticFiles::compression()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, acceptEncoding);
    QFETCH(QByteArray, encoding);
    const RawResponse r = fetch(port(), target,
        acceptEncoding == "-" ? QByteArrayList {}
                              : QByteArrayList {"Accept-Encoding: " + acceptEncoding});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("content-encoding"), encoding);
    QCOMPARE(r.headers.contains("content-encoding"), !encoding.isEmpty());
    QByteArray expected;
    if (target.endsWith(".js"))
        expected = encoding == "br" ? AppJsBr : encoding == "gzip" ? AppJsGz : AppJs;
    else if (target.endsWith(".css"))
        expected = encoding == "gzip" ? StyleCssGz : StyleCss;
    else if (target == "/somewhere")
        expected = IndexBody;
    if (!expected.isEmpty())
        QCOMPARE(r.body, expected);
    QCOMPARE(r.header("content-length").toLongLong(), r.body.size());
}

void TestStaticFiles::etagDiffersPerEncoding()
{
    const QByteArray js = "/assets/app-1a2b3c.js";
    const QByteArray identity = fetch(port(), js).header("etag");
    const QByteArray gzip = fetch(port(), js, {"Accept-Encoding: gzip"}).header("etag");
    const QByteArray br = fetch(port(), js, {"Accept-Encoding: br"}).header("etag");
    QVERIFY(!identity.isEmpty() && !gzip.isEmpty() && !br.isEmpty());
    QVERIFY(identity != gzip && identity != br && gzip != br);
    // A cache holding the gzip answer revalidates it; the identity ETag does not match it.
    QCOMPARE(fetch(port(), js, {"Accept-Encoding: gzip", "If-None-Match: " + gzip}).status, 304);
    QCOMPARE(
        fetch(port(), js, {"Accept-Encoding: gzip", "If-None-Match: " + identity}).status, 200);
    QCOMPARE(fetch(port(), js, {"If-None-Match: " + gzip}).status, 200);
}

void TestStaticFiles::vary_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("acceptEncoding");
    QTest::addColumn<bool>("vary");
    QTest::addRow("js identity") << QByteArray("/assets/app-1a2b3c.js") << QByteArray() << true;
    QTest::addRow("js br") << QByteArray("/assets/app-1a2b3c.js") << QByteArray("br") << true;
    QTest::addRow("css") << QByteArray("/assets/style-9f8e.css") << QByteArray("gzip") << true;
    QTest::addRow("small json") << QByteArray("/assets/data-1.json") << QByteArray() << true;
    QTest::addRow("index") << QByteArray("/") << QByteArray("gzip") << true;
    QTest::addRow("png") << QByteArray("/assets/logo-1.png") << QByteArray("gzip") << false;
    QTest::addRow("woff2") << QByteArray("/assets/font-1.woff2") << QByteArray("gzip") << false;
}

void TestStaticFiles::vary()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, acceptEncoding);
    QFETCH(bool, vary);
    const RawResponse r = fetch(port(), target,
        acceptEncoding.isEmpty() ? QByteArrayList {}
                                 : QByteArrayList {"Accept-Encoding: " + acceptEncoding});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.header("vary"), vary ? QByteArray("Accept-Encoding") : QByteArray());
}

void TestStaticFiles::securityHeaders_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArrayList>("headers");
    QTest::addColumn<int>("status");
    QTest::addRow("root") << QByteArray("GET") << QByteArray("/") << QByteArrayList {} << 200;
    QTest::addRow("fallback") << QByteArray("GET") << QByteArray("/a/b") << QByteArrayList {}
                              << 200;
    QTest::addRow("asset") << QByteArray("GET") << QByteArray("/assets/app-1a2b3c.js")
                           << QByteArrayList {"Accept-Encoding: br"} << 200;
    QTest::addRow("head") << QByteArray("HEAD") << QByteArray("/") << QByteArrayList {} << 200;
    QTest::addRow("304") << QByteArray("GET") << QByteArray("/")
                         << QByteArrayList {"If-None-Match: *"} << 304;
    QTest::addRow("missing asset")
        << QByteArray("GET") << QByteArray("/assets/nope.js") << QByteArrayList {} << 404;
    QTest::addRow("405") << QByteArray("POST") << QByteArray("/") << QByteArrayList {} << 405;
    QTest::addRow("400") << QByteArray("GET") << QByteArray("/%2e%2e/secret.txt")
                         << QByteArrayList {} << 400;
}

void TestStaticFiles::securityHeaders()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArrayList, headers);
    QFETCH(int, status);
    const RawResponse r = fetch(port(), target, headers, method);
    QCOMPARE(r.status, status);
    QCOMPARE(r.header("content-security-policy"), Csp);
    QCOMPARE(r.header("x-content-type-options"), QByteArray("nosniff"));
    QCOMPARE(r.header("referrer-policy"), QByteArray("no-referrer"));
    QCOMPARE(r.header("x-frame-options"), QByteArray("DENY"));
    QVERIFY(!r.headers.contains("access-control-allow-origin")); // same origin only
}

void TestStaticFiles::traversal_data()
{
    // What each attempt must get: 400 (refused before any file is looked at), 404 (a missing
    // asset) or 200 with index.html (a name that is no file of the tree; never the file behind
    // it). Every answer is checked for the secret file beside the root.
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("status");
    auto row = [](const char *name, const QByteArray &target, int status) {
        QTest::addRow("%s", name) << target << status;
    };
    row("dot dot", "/../secret.txt", 400);
    row("dot dot twice", "/assets/../../secret.txt", 400);
    row("dot dot trailing", "/assets/..", 400);
    row("single dot", "/./index.html", 400);
    row("encoded dot dot", "/%2e%2e/secret.txt", 400);
    row("encoded dot dot upper", "/%2E%2E/secret.txt", 400);
    row("half encoded", "/.%2e/secret.txt", 400);
    row("encoded slash", "/..%2fsecret.txt", 400);
    row("encoded slash upper", "/assets%2F..%2F..%2Fsecret.txt", 400);
    row("all encoded", "/%2e%2e%2f%2e%2e%2fsecret.txt", 400);
    row("backslash", "/..\\secret.txt", 400);
    row("encoded backslash", "/..%5csecret.txt", 400);
    row("encoded backslash upper", "/assets%5C..%5C..%5Csecret.txt", 400);
    row("double encoded dot", "/%252e%252e/secret.txt", 400);
    row("double encoded slash", "/..%252fsecret.txt", 400);
    row("encoded nul", "/index.html%00.png", 400);
    row("encoded nul in assets", "/assets/app-1a2b3c.js%00", 400);
    row("encoded control", "/%0a/secret.txt", 400);
    row("bad escape", "/%zz", 400);
    row("truncated escape", "/abc%2", 400);
    row("overlong utf-8 dot", "/%c0%ae%c0%ae/secret.txt", 400);
    row("invalid utf-8", "/%ff", 400);
    // QtHttpServer reads "//x/y" as authority "x" and path "/y": "/passwd" here, a client route;
    // "//secret.txt" has an empty path.
    row("absolute path", "//etc/passwd", 200);
    row("absolute secret", "//secret.txt", 400);
    row("absolute-form target", "http://127.0.0.1/../secret.txt", 400);
    row("symlink out (file)", "/escape-link.txt", 200);
    row("symlink out (dir)", "/escape-dir/secret.txt", 200);
    row("symlink out (dir) web-secret", "/escape-dir/web-secret/inside.txt", 200);
    row("dotfile", "/.env", 200);
    row("precompressed sibling", "/assets/app-1a2b3c.js.gz", 404);
    row("precompressed sibling br", "/assets/app-1a2b3c.js.br", 404);
    row("sibling in root", "/index.html.gz", 200);
    row("assets dir", "/assets/", 404);
    row("secret under api", "/api/../secret.txt", 404);
}

void TestStaticFiles::traversal()
{
    QFETCH(QByteArray, target);
    QFETCH(int, status);
    const RawResponse r = fetch(port(), target);
    QVERIFY2(!r.body.contains(SecretFileText) && !r.head.contains(SecretFileText.toLower()),
        r.body.constData());
    QCOMPARE(r.status, status);
    if (status == 200)
        QCOMPARE(r.body, IndexBody);
    else
        QVERIFY(!r.header("content-type").startsWith("text/javascript"));
}

void TestStaticFiles::fallbackAndNotFound_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body"); // "INDEX" = index.html, "JSON" = a JSON error
    auto row = [](const char *name, const QByteArray &target, int status, const QByteArray &body) {
        QTest::addRow("%s", name) << target << status << body;
    };
    row("root", "/", 200, "INDEX");
    row("root with query", "/?x=1", 200, "INDEX");
    row("client route", "/nodes/pve1", 200, "INDEX");
    row("deep client route", "/guests/101/terminal", 200, "INDEX");
    row("client route with dot", "/guests/web.example", 200, "INDEX");
    row("encoded client route", "/guests/my%20vm%C3%A9", 200, "INDEX");
    row("encoded file name", "/assets/app%2D1a2b3c.js", 200, "JS");
    row("index.html", "/index.html", 200, "INDEX");
    row("assets without slash", "/assets", 200, "INDEX");
    row("symlink inside the tree", "/assets/inner-link.js", 200, "JS");
    row("missing asset", "/assets/missing-1.js", 404, "JSON");
    row("missing nested asset", "/assets/x/y.css", 404, "JSON");
    row("unknown api", "/api/nothing", 404, "JSON");
    row("api root", "/api", 404, "JSON");
    row("api slash", "/api/", 404, "JSON");
    row("socket.io elsewhere", "/socket.io/x", 404, "JSON");
    row("mcp", "/mcp", 401, "JSON"); // the MCP endpoint (it wants a key), not the site's
    row("mcp below", "/mcp/x", 404, "JSON");
    row("metrics", "/metrics", 200, "METRICS"); // GET /metrics, not the site's
    row("metrics below", "/metrics/x", 404, "JSON");
    row("apix is a page", "/apix", 200, "INDEX");
    row("health still works", "/api/health", 200, "HEALTH");
}

void TestStaticFiles::fallbackAndNotFound()
{
    QFETCH(QByteArray, target);
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    const RawResponse r = fetch(port(), target);
    QCOMPARE(r.status, status);
    if (body == "INDEX") {
        QCOMPARE(r.body, IndexBody);
        QCOMPARE(r.header("content-type"), QByteArray("text/html; charset=utf-8"));
    } else if (body == "JS") {
        QCOMPARE(r.body, AppJs);
    } else if (body == "JSON") {
        QCOMPARE(r.header("content-type"), QByteArray("application/json"));
        QVERIFY2(r.body.startsWith("{\"error\":"), r.body.constData());
    } else if (body == "METRICS") {
        QCOMPARE(r.header("content-type"), QByteArray("text/plain; version=0.0.4; charset=utf-8"));
        QVERIFY(r.body.contains("\njarvis_build_info{"));
    } else {
        QVERIFY(r.body.contains("\"version\""));
    }
}

void TestStaticFiles::head()
{
    for (const QByteArrayList &headers : {QByteArrayList {}, {"Accept-Encoding: gzip"}}) {
        for (const QByteArray &target :
            {QByteArray("/"), QByteArray("/client/route"), QByteArray("/assets/app-1a2b3c.js")}) {
            const RawResponse get = fetch(port(), target, headers);
            const RawResponse head = fetch(port(), target, headers, "HEAD");
            QCOMPARE(head.status, 200);
            QCOMPARE(head.header("content-length"), get.header("content-length"));
            QCOMPARE(head.header("etag"), get.header("etag"));
            QCOMPARE(head.header("content-type"), get.header("content-type"));
            QCOMPARE(head.header("content-encoding"), get.header("content-encoding"));
            QVERIFY(head.body.isEmpty());
        }
    }
    // Nothing after the head on the wire.
    const test::Exchange ex =
        test::exchange(port(), "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QVERIFY(ex.received.endsWith("\r\n\r\n"));
}

// The strict framing and one-at-a-time answering still hold with static answers: a HEAD, a 304,
// a 405 and a GET pipelined on one connection come back in order, each framed right.
void TestStaticFiles::pipelinedWithHeadAnd304()
{
    const QByteArray etag = fetch(port(), "/").header("etag");
    const QByteArray requests = "HEAD /assets/app-1a2b3c.js HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: "
        + etag
        + "\r\n\r\n"
          "DELETE /index.html HTTP/1.1\r\nHost: x\r\n\r\n"
          "GET /assets/style-9f8e.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const test::Exchange ex = test::exchange(port(), requests);
    QVERIFY(ex.closed);
    const QList<RawResponse> responses = test::splitResponses(ex.received, {0});
    QCOMPARE(responses.size(), 4);
    QCOMPARE(responses[0].status, 200);
    QCOMPARE(responses[0].header("content-length").toLongLong(), AppJs.size());
    QCOMPARE(responses[1].status, 304);
    QCOMPARE(responses[2].status, 405);
    QCOMPARE(responses[3].status, 200);
    QCOMPARE(responses[3].body, StyleCss);
}

void TestStaticFiles::methodNotAllowed_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<int>("status");
    for (const char *method : {"POST", "PUT", "DELETE", "PATCH"}) {
        QTest::addRow("%s /", method) << QByteArray(method) << QByteArray("/") << 405;
        QTest::addRow("%s asset", method)
            << QByteArray(method) << QByteArray("/assets/app-1a2b3c.js") << 405;
        QTest::addRow("%s route", method) << QByteArray(method) << QByteArray("/x/y") << 405;
    }
    QTest::addRow("POST unknown api") << QByteArray("POST") << QByteArray("/api/nothing") << 404;
}

void TestStaticFiles::methodNotAllowed()
{
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(int, status);
    const QByteArray request = method + ' ' + target
        + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}";
    const QList<RawResponse> responses =
        test::splitResponses(test::exchange(port(), request).received);
    QCOMPARE(responses.size(), 1);
    QCOMPARE(responses[0].status, status);
    QVERIFY(responses[0].body.startsWith("{\"error\":"));
    if (status == 405)
        QCOMPARE(responses[0].header("allow"), QByteArray("GET, HEAD, OPTIONS"));
}

void TestStaticFiles::webRootChangesAreSeen()
{
    const QString path = webPath(QStringLiteral("assets/changing-1.js"));
    QVERIFY(writeFile(path, "one"));
    const RawResponse first = fetch(port(), "/assets/changing-1.js");
    QCOMPARE(first.body, QByteArray("one"));
    QVERIFY(writeFile(path, "two, longer"));
    const RawResponse second = fetch(port(), "/assets/changing-1.js");
    QCOMPARE(second.body, QByteArray("two, longer"));
    QVERIFY(second.header("etag") != first.header("etag"));
    QCOMPARE(
        fetch(port(), "/assets/changing-1.js", {"If-None-Match: " + first.header("etag")}).status,
        200);
    QVERIFY(QFile::remove(path));
    QCOMPARE(fetch(port(), "/assets/changing-1.js").status, 404);
}

void TestStaticFiles::embeddedResource()
{
    const auto app = startApp(QStringLiteral(":/testweb"));
    QVERIFY(app);
    QFile index(QStringLiteral(":/testweb/index.html"));
    QVERIFY(index.open(QIODevice::ReadOnly));
    const QByteArray indexBody = index.readAll();

    const RawResponse root = fetch(app->port(), "/");
    QCOMPARE(root.status, 200);
    QCOMPARE(root.body, indexBody);
    QCOMPARE(root.header("cache-control"), QByteArray("no-cache"));
    QCOMPARE(root.header("content-security-policy"), Csp);
    QCOMPARE(fetch(app->port(), "/client/route").body, indexBody);
    QCOMPARE(fetch(app->port(), "/", {"If-None-Match: " + root.header("etag")}).status, 304);

    const RawResponse js = fetch(app->port(), "/assets/app-0123abcd.js", {"Accept-Encoding: gzip"});
    QCOMPARE(js.status, 200);
    QCOMPARE(js.header("content-encoding"), QByteArray("gzip"));
    QCOMPARE(js.body, QByteArray("GZIP-SIBLING-OF-EMBEDDED-APP"));
    QCOMPARE(js.header("cache-control"), ImmutableCache);
    QCOMPARE(js.header("vary"), QByteArray("Accept-Encoding"));
    const RawResponse plain = fetch(app->port(), "/assets/app-0123abcd.js");
    QCOMPARE(plain.body, QByteArray("console.log(\"embedded app\");\n"));
    QCOMPARE(fetch(app->port(), "/assets/app-0123abcd.js.gz").status, 404);
    QCOMPARE(fetch(app->port(), "/assets/other.js").status, 404);
    QCOMPARE(fetch(app->port(), "/%2e%2e/testweb/index.html").status, 400);
}

void TestStaticFiles::dashboardNotBuilt()
{
    const auto app = startApp(QStringLiteral(":/no-dashboard-here"));
    QVERIFY(app);
    for (const QByteArray &target : {QByteArray("/"), QByteArray("/client/route")}) {
        const RawResponse r = fetch(app->port(), target);
        QCOMPARE(r.status, 404);
        QCOMPARE(r.header("content-type"), QByteArray("text/html; charset=utf-8"));
        QVERIFY2(r.body.contains("dashboard was not built"), r.body.constData());
        QCOMPARE(r.header("content-security-policy"), Csp);
    }
    QCOMPARE(fetch(app->port(), "/", {}, "HEAD").status, 404);
    QCOMPARE(fetch(app->port(), "/assets/app.js").status, 404);
    QCOMPARE(fetch(app->port(), "/api/health").status, 200);
}

QTEST_GUILESS_MAIN(TestStaticFiles)
#include "tst_staticfiles.moc"
