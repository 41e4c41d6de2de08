#pragma once

#include "http/httputil.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QString>

#include <optional>

namespace jarvis::http {

// The dashboard's files (PROTOCOL.md section 1, "Dashboard (static files)"): a read-only tree
// rooted at a Qt resource prefix (":/web", compiled into jarvisd) or at a directory
// (`jarvisd --web-root DIR`). Answers GET and HEAD for every path outside the API prefixes:
// an existing file, else index.html (client-side routes), except a missing file under /assets/
// (404). Hashed assets are cached for a year, index.html revalidated; strong ETags from the
// content (computed once per file and encoding; a directory's files are re-read when their
// mtime or size changes) with If-None-Match -> 304; precompressed siblings X.br / X.gz chosen by
// Accept-Encoding; security headers (CSP and friends) on every answer. The request path is
// decoded strictly: dot segments, encoded slashes, backslashes, control characters, double
// encoding and (for a directory) symlinks leading out of the tree are refused.
// Synchronous and cheap after the first read of a file; main thread.
class StaticSite
{
public:
    // `root`: ":/web"-style resource prefix or a directory path.
    explicit StaticSite(QString root);

    QString root() const { return m_root; }
    // Whether the tree has an index.html (false: the dashboard was not built / wrong directory).
    bool hasIndex() const;

    // Whether a request for the (decoded) `path` belongs to the static site: everything but
    // /api, /socket.io, /mcp and /metrics (and what lies below them).
    static bool servesPath(const QString &path);

    // `rawPath`: the request target's path, still percent-encoded. `headers`: the request's.
    Response answer(const QByteArray &method, const QByteArray &rawPath, const HeaderList &headers);

    // The headers every static answer carries.
    static HeaderList securityHeaders();
    static QByteArray mimeType(const QString &fileName);

    // Which content coding to send, from an Accept-Encoding value and the codings available
    // besides identity ("br", "gzip"): "br", "gzip" or "" (identity). Exposed for tests.
    static QByteArray chooseEncoding(const QByteArray &acceptEncoding, bool haveBr, bool haveGzip);
    // Whether an If-None-Match value matches `etag` (weak comparison; "*" matches anything).
    static bool noneMatchHits(const QByteArray &ifNoneMatch, const QByteArray &etag);

private:
    struct File
    {
        QByteArray body;
        QByteArray etag;
        QDateTime modified;
        qint64 size = -1;
    };
    // The file at `relative` (already validated, no leading '/'), read or from the cache;
    // nullopt when it does not exist, is not a regular file, lies outside the tree, or is too big.
    std::optional<File> file(const QString &relative);
    Response notFound(const QString &what) const;
    Response error(int status, const QString &message, HeaderList extra = {}) const;

    QString m_root; // no trailing '/'
    bool m_resource = false;
    QString m_canonicalRoot; // directories: symlinks resolved
    QHash<QString, File> m_cache; // by relative path
    qint64 m_cachedBytes = 0;
};

} // namespace jarvis::http
