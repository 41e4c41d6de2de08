#include "http/staticsite.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QStringDecoder>

#include <optional>

Q_DECLARE_LOGGING_CATEGORY(lcFrontDoor)

namespace jarvis::http {

namespace {

constexpr qint64 MaxFileBytes = 64 * 1024 * 1024; // larger files are not served
constexpr qint64 MaxCacheBytes = 256 * 1024 * 1024; // the cache starts over beyond this

const QByteArray ImmutableCache = "public, max-age=31536000, immutable";
const QByteArray RevalidateCache = "no-cache";
const QByteArray ErrorCache = "no-store";

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// The request path, percent-decoded once and checked: the segments below the root joined by
// '/' (empty for "/"), or nullopt with the reason. Refuses what could name something outside
// the tree or be read differently by another layer: "." and ".." segments (encoded or not), an
// encoded '/' or '\', a backslash, '%' that decodes to '%' (double encoding), control characters
// (NUL included), and bytes that are not UTF-8. Empty segments ("//") are dropped.
std::optional<QString> decodePath(const QByteArray &raw, QString *why)
{
    if (!raw.startsWith('/')) {
        *why = QStringLiteral("the path must start with /");
        return std::nullopt;
    }
    QByteArray bytes;
    bytes.reserve(raw.size());
    for (qsizetype i = 0; i < raw.size(); ++i) {
        char c = raw.at(i);
        if (c == '%') {
            const int hi = i + 2 < raw.size() ? hexValue(raw.at(i + 1)) : -1;
            const int lo = hi >= 0 ? hexValue(raw.at(i + 2)) : -1;
            if (lo < 0) {
                *why = QStringLiteral("malformed percent-encoding in the path");
                return std::nullopt;
            }
            c = char(hi * 16 + lo);
            i += 2;
            if (c == '/' || c == '\\') {
                *why = QStringLiteral("encoded slash in the path");
                return std::nullopt;
            }
            if (c == '%') {
                *why = QStringLiteral("double percent-encoding in the path");
                return std::nullopt;
            }
        }
        if (c == '\\') {
            *why = QStringLiteral("backslash in the path");
            return std::nullopt;
        }
        if (uchar(c) < 0x20 || uchar(c) == 0x7F) {
            *why = QStringLiteral("control character in the path");
            return std::nullopt;
        }
        bytes.append(c);
    }
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString path = utf8.decode(bytes);
    if (utf8.hasError()) {
        *why = QStringLiteral("the path is not UTF-8");
        return std::nullopt;
    }
    QStringList segments;
    for (const QString &segment : path.split(QLatin1Char('/'), Qt::SkipEmptyParts)) {
        if (segment == QLatin1String(".") || segment == QLatin1String("..")) {
            *why = QStringLiteral("dot segment in the path");
            return std::nullopt;
        }
        segments.append(segment);
    }
    return segments.join(QLatin1Char('/'));
}

bool isCompressible(const QString &fileName)
{
    static const QStringList suffixes {QStringLiteral("html"), QStringLiteral("js"),
        QStringLiteral("mjs"), QStringLiteral("css"), QStringLiteral("json"), QStringLiteral("svg"),
        QStringLiteral("txt"), QStringLiteral("map"), QStringLiteral("webmanifest"),
        QStringLiteral("wasm"), QStringLiteral("ico")};
    return suffixes.contains(QFileInfo(fileName).suffix().toLower());
}

// All values of a request header, joined with ", " (a list header may be sent several times).
QByteArray headerValue(const HeaderList &headers, const QByteArray &lowerName)
{
    QByteArray value;
    for (const auto &h : headers) {
        if (h.first.toLower() != lowerName)
            continue;
        if (!value.isEmpty())
            value += ", ";
        value += h.second;
    }
    return value;
}

QByteArray etagOf(const QByteArray &body)
{
    const QByteArray hash = QCryptographicHash::hash(body, QCryptographicHash::Sha256).left(16);
    return '"' + hash.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)
        + '"';
}

} // namespace

StaticSite::StaticSite(QString root)
    : m_root(std::move(root))
{
    while (m_root.size() > 2 && m_root.endsWith(QLatin1Char('/')))
        m_root.chop(1);
    m_resource = m_root.startsWith(QLatin1Char(':'));
    if (!m_resource)
        m_canonicalRoot = QFileInfo(m_root).canonicalFilePath();
}

bool StaticSite::hasIndex() const
{
    return QFileInfo(m_root + QStringLiteral("/index.html")).isFile();
}

bool StaticSite::servesPath(const QString &path)
{
    for (const QLatin1String prefix : {QLatin1String("/api"), QLatin1String("/socket.io"),
             QLatin1String("/mcp"), QLatin1String("/metrics")}) {
        if (path.startsWith(prefix)
            && (path.size() == prefix.size() || path.at(prefix.size()) == QLatin1Char('/')))
            return false;
    }
    return true;
}

HeaderList StaticSite::securityHeaders()
{
    return {{"Content-Security-Policy",
                "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
                "style-src 'self' 'unsafe-inline'; font-src 'self'; object-src 'none'; "
                "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"},
        {"X-Content-Type-Options", "nosniff"}, {"Referrer-Policy", "no-referrer"},
        {"X-Frame-Options", "DENY"}};
}

QByteArray StaticSite::mimeType(const QString &fileName)
{
    static const QHash<QString, QByteArray> types {
        {QStringLiteral("html"), "text/html; charset=utf-8"},
        {QStringLiteral("js"), "text/javascript; charset=utf-8"},
        {QStringLiteral("mjs"), "text/javascript; charset=utf-8"},
        {QStringLiteral("css"), "text/css; charset=utf-8"},
        {QStringLiteral("json"), "application/json"},
        {QStringLiteral("map"), "application/json"},
        {QStringLiteral("webmanifest"), "application/manifest+json"},
        {QStringLiteral("svg"), "image/svg+xml"},
        {QStringLiteral("png"), "image/png"},
        {QStringLiteral("ico"), "image/x-icon"},
        {QStringLiteral("woff2"), "font/woff2"},
        {QStringLiteral("woff"), "font/woff"},
        {QStringLiteral("txt"), "text/plain; charset=utf-8"},
        {QStringLiteral("wasm"), "application/wasm"},
    };
    return types.value(QFileInfo(fileName).suffix().toLower(), "application/octet-stream");
}

QByteArray StaticSite::chooseEncoding(const QByteArray &acceptEncoding, bool haveBr, bool haveGzip)
{
    // q-values as given; -1 = not mentioned.
    double br = -1, gzip = -1, identity = -1, any = -1;
    for (const QByteArray &element : acceptEncoding.split(',')) {
        const QList<QByteArray> parts = element.split(';');
        const QByteArray name = parts.first().trimmed().toLower();
        if (name.isEmpty())
            continue;
        double q = 1;
        bool valid = true;
        for (qsizetype i = 1; i < parts.size(); ++i) {
            const QByteArray param = parts.at(i).trimmed();
            if (param.size() > 2 && param.first(2).toLower() == "q=") {
                bool ok = false;
                q = param.mid(2).toDouble(&ok);
                valid = ok && q >= 0 && q <= 1;
            }
        }
        if (!valid)
            continue; // a malformed element is ignored, not guessed at
        if (name == "br")
            br = q;
        else if (name == "gzip" || name == "x-gzip")
            gzip = q;
        else if (name == "identity")
            identity = q;
        else if (name == "*")
            any = q;
    }
    auto resolved = [any](double q) { return q >= 0 ? q : (any >= 0 ? any : 0); };
    const double qBr = haveBr ? resolved(br) : 0;
    const double qGzip = haveGzip ? resolved(gzip) : 0;
    // The best coding: highest q, br before gzip at equal q. Identity, acceptable unless excluded,
    // wins only when rated higher than it (an unrated identity is the last choice); with nothing
    // acceptable the answer is unencoded (RFC 9110 section 12.5.3 allows that).
    const QByteArray best = qBr > 0 && qBr >= qGzip ? "br" : qGzip > 0 ? "gzip" : "";
    const double qBest = best == "br" ? qBr : qGzip;
    const double qIdentity = identity >= 0 ? identity : any;
    if (best.isEmpty() || qIdentity > qBest)
        return {};
    return best;
}

bool StaticSite::noneMatchHits(const QByteArray &ifNoneMatch, const QByteArray &etag)
{
    const QByteArray opaque = etag.startsWith("W/") ? etag.mid(2) : etag;
    qsizetype i = 0;
    const qsizetype n = ifNoneMatch.size();
    while (i < n) {
        while (i < n && (ifNoneMatch[i] == ' ' || ifNoneMatch[i] == '\t' || ifNoneMatch[i] == ','))
            ++i;
        if (i >= n)
            break;
        if (ifNoneMatch[i] == '*')
            return true;
        if (ifNoneMatch.sliced(i).startsWith("W/"))
            i += 2;
        if (i < n && ifNoneMatch[i] == '"') {
            const qsizetype end = ifNoneMatch.indexOf('"', i + 1);
            if (end < 0)
                return false;
            if (ifNoneMatch.sliced(i, end - i + 1) == opaque)
                return true;
            i = end + 1;
        } else {
            const qsizetype comma = ifNoneMatch.indexOf(',', i); // malformed: skip the element
            if (comma < 0)
                break;
            i = comma + 1;
        }
    }
    return false;
}

std::optional<StaticSite::File> StaticSite::file(const QString &relative)
{
    auto cached = m_cache.find(relative);
    if (m_resource && cached != m_cache.end())
        return *cached; // compiled in: it never changes
    auto forget = [&]() -> std::optional<File> {
        if (cached != m_cache.end()) {
            m_cachedBytes -= cached->body.size();
            m_cache.erase(cached);
            cached = m_cache.end();
        }
        return std::nullopt;
    };
    const QString path = m_root + QLatin1Char('/') + relative;
    const QFileInfo info(path);
    if (!info.isFile())
        return forget();
    if (!m_resource) {
        // A symlink (or anything else) that leads out of the tree is not part of it.
        const QString canonical = info.canonicalFilePath();
        if (m_canonicalRoot.isEmpty() || !canonical.startsWith(m_canonicalRoot + QLatin1Char('/')))
            return forget();
    }
    if (info.size() > MaxFileBytes) {
        qCWarning(lcFrontDoor) << "static file" << relative << "is over" << MaxFileBytes
                               << "bytes: not served";
        return forget();
    }
    if (cached != m_cache.end() && cached->modified == info.lastModified()
        && cached->size == info.size())
        return *cached;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        qCWarning(lcFrontDoor) << "cannot read static file" << relative << f.errorString();
        return forget();
    }
    File entry;
    entry.body = f.read(MaxFileBytes);
    entry.etag = etagOf(entry.body);
    entry.modified = info.lastModified();
    entry.size = info.size();
    forget();
    if (m_cachedBytes + entry.body.size() > MaxCacheBytes) {
        m_cache.clear();
        m_cachedBytes = 0;
    }
    m_cachedBytes += entry.body.size();
    m_cache.insert(relative, entry);
    return entry;
}

Response StaticSite::error(int status, const QString &message, HeaderList extra) const
{
    Response a;
    a.status = status;
    a.contentType = "application/json";
    a.body = compactJson(errorBody(message));
    a.headers = securityHeaders() + extra;
    a.cacheControl = ErrorCache;
    return a;
}

Response StaticSite::notFound(const QString &what) const
{
    return error(404, QStringLiteral("not found: %1").arg(what));
}

Response StaticSite::answer(
    const QByteArray &method, const QByteArray &rawPath, const HeaderList &headers)
{
    if (method != "GET" && method != "HEAD") {
        return error(405,
            QStringLiteral("method %1 not allowed on the dashboard's files")
                .arg(QString::fromLatin1(method)),
            {{"Allow", "GET, HEAD, OPTIONS"}});
    }
    QString why;
    const std::optional<QString> relative = decodePath(rawPath, &why);
    if (!relative)
        return error(400, QStringLiteral("bad request: %1").arg(why));
    const bool underAssets = relative->startsWith(QLatin1String("assets/")) || rawPath == "/assets/"
        || rawPath.startsWith("/assets/");

    // Not a page: empty (the root), hidden names (".git", ".env" in a development directory) and
    // the precompressed siblings themselves.
    bool servable = !relative->isEmpty() && !relative->endsWith(QLatin1String(".gz"))
        && !relative->endsWith(QLatin1String(".br"));
    for (const QString &segment : relative->split(QLatin1Char('/'))) {
        if (segment.startsWith(QLatin1Char('.')))
            servable = false;
    }
    QString served = *relative;
    std::optional<File> found = servable ? file(served) : std::nullopt;
    bool fallback = false;
    if (!found) {
        if (underAssets)
            return notFound(QStringLiteral("/") + *relative);
        served = QStringLiteral("index.html");
        found = file(served);
        fallback = true;
        if (!found) {
            Response a = error(404, {});
            a.contentType = "text/html; charset=utf-8";
            a.body = "<!doctype html><meta charset=\"utf-8\"><title>Jarvis</title>"
                     "<h1>The dashboard is not available</h1>"
                     "<p>jarvisd is running, but the dashboard was not built into this binary "
                     "(or the <code>--web-root</code> directory has no <code>index.html</code>). "
                     "The API is under <code>/api/</code> and Socket.IO under "
                     "<code>/socket.io/</code>.</p>";
            return a;
        }
    }

    const bool compressible = isCompressible(served);
    const std::optional<File> br =
        compressible ? file(served + QStringLiteral(".br")) : std::nullopt;
    const std::optional<File> gzip =
        compressible ? file(served + QStringLiteral(".gz")) : std::nullopt;
    const QByteArray encoding =
        chooseEncoding(headerValue(headers, "accept-encoding"), br.has_value(), gzip.has_value());
    const File &representation = encoding == "br" ? *br : encoding == "gzip" ? *gzip : *found;

    Response a;
    a.headers = securityHeaders();
    a.cacheControl = underAssets && !fallback ? ImmutableCache : RevalidateCache;
    a.headers.emplaceBack("ETag", representation.etag);
    if (compressible || br || gzip)
        a.headers.emplaceBack("Vary", "Accept-Encoding");
    if (noneMatchHits(headerValue(headers, "if-none-match"), representation.etag)) {
        a.status = 304;
        a.bodyless = true;
        return a;
    }
    a.contentType = mimeType(served);
    if (!encoding.isEmpty())
        a.headers.emplaceBack("Content-Encoding", encoding);
    a.body = representation.body;
    return a;
}

} // namespace jarvis::http
