#include "net/httphead.h"

#include "net/httptoken.h"

#include <cctype>

namespace jarvis::net {

namespace {
constexpr qsizetype MaxHeaders = 100;

QByteArray lower(QByteArray value)
{
    return value.toLower();
}
} // namespace

QByteArray RequestHead::header(const QByteArray &lowerName) const
{
    for (const auto &h : headers) {
        if (h.first == lowerName)
            return h.second;
    }
    return {};
}

QByteArray RequestHead::path() const
{
    const qsizetype q = target.indexOf('?');
    return q < 0 ? target : target.left(q);
}

QByteArray RequestHead::query() const
{
    const qsizetype q = target.indexOf('?');
    return q < 0 ? QByteArray() : target.mid(q + 1);
}

bool RequestHead::isWebSocketUpgrade() const
{
    if (header("upgrade").trimmed().toLower() != "websocket")
        return false;
    const QList<QByteArray> tokens = header("connection").split(',');
    for (const QByteArray &t : tokens) {
        if (t.trimmed().toLower() == "upgrade")
            return true;
    }
    return false;
}

namespace {

constexpr int MaxLeadingBlankLines = 8; // RFC 9112 section 2.2: ignore empty lines before a request
constexpr qsizetype MaxChunkLine = 4096; // chunk size plus extensions
constexpr int MaxContentLengthDigits = 18; // fits qint64

bool isToken(QByteArrayView v)
{
    if (v.isEmpty())
        return false;
    for (char c : v) {
        if (!net::isTokenChar(c))
            return false;
    }
    return true;
}

bool isOws(char c)
{
    return c == ' ' || c == '\t';
}

QByteArrayView trimOws(QByteArrayView v)
{
    while (!v.isEmpty() && isOws(v.front()))
        v = v.sliced(1);
    while (!v.isEmpty() && isOws(v.back()))
        v.chop(1);
    return v;
}

bool isHexDigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hexValue(char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

enum class LineResult { Line, Incomplete, Invalid };

// The CRLF-terminated line at `pos`: [pos, *lineEnd) is its content, *next the first byte after
// its LF. A CR not followed by LF, a LF without CR or a NUL is Invalid as soon as it is in `data`;
// a line longer than `maxLine` is Invalid too.
LineResult nextLine(QByteArrayView data, qsizetype pos, qsizetype maxLine, qsizetype *lineEnd,
    qsizetype *next, QString *why)
{
    const qsizetype limit = qMin(data.size(), pos + maxLine + 2);
    for (qsizetype i = pos; i < limit; ++i) {
        const char c = data[i];
        if (c == '\0') {
            *why = QStringLiteral("NUL byte");
            return LineResult::Invalid;
        }
        if (c == '\n') {
            *why = QStringLiteral("bare LF (lines must end with CRLF)");
            return LineResult::Invalid;
        }
        if (c == '\r') {
            if (i + 1 >= data.size())
                return LineResult::Incomplete;
            if (data[i + 1] != '\n') {
                *why = QStringLiteral("bare CR");
                return LineResult::Invalid;
            }
            *lineEnd = i;
            *next = i + 2;
            return LineResult::Line;
        }
    }
    if (limit - pos > maxLine) {
        *why = QStringLiteral("line too long");
        return LineResult::Invalid;
    }
    return LineResult::Incomplete;
}

// Checks chunk extensions: *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ).
bool validChunkExtensions(QByteArrayView ext)
{
    qsizetype p = 0;
    const qsizetype n = ext.size();
    auto skipBws = [&] {
        while (p < n && isOws(ext[p]))
            ++p;
    };
    auto token = [&] {
        const qsizetype from = p;
        while (p < n && net::isTokenChar(ext[p]))
            ++p;
        return p > from;
    };
    while (p < n) {
        skipBws();
        if (p == n || ext[p] != ';')
            return false;
        ++p;
        skipBws();
        if (!token())
            return false;
        const qsizetype afterName = p;
        skipBws();
        if (p < n && ext[p] == '=') {
            ++p;
            skipBws();
            if (p < n && ext[p] == '"') {
                ++p;
                bool closed = false;
                while (p < n) {
                    const auto c = uchar(ext[p]);
                    if (c == '"') {
                        ++p;
                        closed = true;
                        break;
                    }
                    if (c == '\\') {
                        if (p + 1 >= n)
                            return false;
                        const auto q = uchar(ext[p + 1]);
                        if (q != '\t' && (q < 0x20 || q == 0x7F))
                            return false;
                        p += 2;
                        continue;
                    }
                    if (c != '\t' && (c < 0x20 || c == 0x7F))
                        return false;
                    ++p;
                }
                if (!closed)
                    return false;
            } else if (!token()) {
                return false;
            }
        } else {
            p = afterName; // the next round wants BWS ";" (and nothing else) after a name
        }
    }
    return true;
}

} // namespace

HeadStatus parseHead(const QByteArray &data, RequestHead *head, QString *error, int *status)
{
    auto fail = [error, status](const QString &why, int code = 400) {
        if (error)
            *error = why;
        if (status)
            *status = code;
        return HeadStatus::Invalid;
    };
    const QByteArrayView view(data);
    qsizetype pos = 0;
    for (int blank = 0; blank < MaxLeadingBlankLines && view.sliced(pos).startsWith("\r\n");
         ++blank) {
        pos += 2;
    }

    RequestHead result;
    bool haveRequestLine = false;
    for (;;) {
        qsizetype lineEnd = 0;
        qsizetype next = 0;
        QString why;
        switch (nextLine(view, pos, data.size(), &lineEnd, &next, &why)) {
        case LineResult::Incomplete:
            return HeadStatus::Incomplete;
        case LineResult::Invalid:
            return fail(why);
        case LineResult::Line:
            break;
        }
        const QByteArrayView line = view.sliced(pos, lineEnd - pos);
        pos = next;
        if (!haveRequestLine) {
            // request-line = method SP request-target SP HTTP-version
            haveRequestLine = true;
            const qsizetype sp1 = line.indexOf(' ');
            const qsizetype sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
            if (sp1 <= 0 || sp2 < 0 || line.indexOf(' ', sp2 + 1) >= 0)
                return fail(QStringLiteral("malformed request line"));
            const QByteArrayView method = line.first(sp1);
            const QByteArrayView target = line.sliced(sp1 + 1, sp2 - sp1 - 1);
            const QByteArrayView version = line.sliced(sp2 + 1);
            if (!isToken(method))
                return fail(QStringLiteral("malformed request method"));
            if (target.isEmpty())
                return fail(QStringLiteral("malformed request line"));
            for (char c : target) {
                if (uchar(c) <= 0x20 || uchar(c) >= 0x7F)
                    return fail(QStringLiteral("invalid character in the request target"));
            }
            if (version.size() != 8 || !version.startsWith("HTTP/") || version[6] != '.'
                || !std::isdigit(uchar(version[5])) || !std::isdigit(uchar(version[7]))) {
                return fail(QStringLiteral("malformed HTTP version"));
            }
            if (version[5] != '1')
                return fail(QStringLiteral("HTTP version not supported"), 505);
            result.method = method.toByteArray();
            result.target = target.toByteArray();
            result.version = version.toByteArray();
            continue;
        }
        if (line.isEmpty())
            break; // the end of the head
        if (isOws(line.front()))
            return fail(QStringLiteral("obsolete line folding"));
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return fail(QStringLiteral("malformed header line"));
        if (!isToken(line.first(colon))) {
            return fail(isOws(line[colon - 1])
                    ? QStringLiteral("whitespace before a header's colon")
                    : QStringLiteral("invalid header name"));
        }
        const QByteArrayView value = trimOws(line.sliced(colon + 1));
        for (char c : value) {
            if (c != '\t' && (uchar(c) < 0x20 || uchar(c) == 0x7F))
                return fail(QStringLiteral("control character in a header value"));
        }
        if (result.headers.size() >= MaxHeaders)
            return fail(QStringLiteral("too many headers"));
        result.headers.emplaceBack(lower(line.first(colon).toByteArray()), value.toByteArray());
    }
    result.length = pos;

    // Host (RFC 9112 section 3.2) and the body's framing (section 6).
    int hosts = 0;
    int lengths = 0;
    QByteArray lengthValue;
    QByteArrayList codings;
    bool hasTransferEncoding = false;
    for (const auto &h : std::as_const(result.headers)) {
        if (h.first == "host") {
            ++hosts;
        } else if (h.first == "content-length") {
            ++lengths;
            lengthValue = h.second;
        } else if (h.first == "transfer-encoding") {
            hasTransferEncoding = true;
            codings += h.second.split(',');
        }
    }
    const bool http10 = result.version == "HTTP/1.0";
    if (hosts > 1 || (hosts == 0 && !http10))
        return fail(hosts ? QStringLiteral("more than one Host") : QStringLiteral("no Host"));
    if (hasTransferEncoding) {
        if (http10)
            return fail(QStringLiteral("Transfer-Encoding in an HTTP/1.0 request"));
        if (lengths > 0)
            return fail(QStringLiteral("both Transfer-Encoding and Content-Length"));
        int chunked = 0;
        bool unsupported = false;
        for (const QByteArray &element : std::as_const(codings)) {
            const QByteArrayView coding = trimOws(element);
            const qsizetype semicolon = coding.indexOf(';');
            const QByteArrayView name = trimOws(semicolon < 0 ? coding : coding.first(semicolon));
            if (!isToken(name))
                return fail(QStringLiteral("malformed Transfer-Encoding"));
            if (name.compare("chunked", Qt::CaseInsensitive) == 0) {
                if (semicolon >= 0)
                    return fail(QStringLiteral("malformed Transfer-Encoding"));
                ++chunked;
            } else {
                unsupported = true;
            }
        }
        if (unsupported)
            return fail(QStringLiteral("unsupported transfer coding"), 501);
        if (chunked != 1)
            return fail(QStringLiteral("malformed Transfer-Encoding"));
        result.body = RequestHead::Body::Chunked;
    } else if (lengths > 0) {
        if (lengths > 1)
            return fail(QStringLiteral("more than one Content-Length"));
        QByteArrayView digits(lengthValue);
        if (digits.isEmpty())
            return fail(QStringLiteral("invalid Content-Length"));
        for (char c : digits) {
            if (!std::isdigit(uchar(c)))
                return fail(QStringLiteral("invalid Content-Length"));
        }
        while (digits.size() > 1 && digits.front() == '0')
            digits = digits.sliced(1);
        if (digits.size() > MaxContentLengthDigits)
            return fail(QStringLiteral("invalid Content-Length"));
        result.body = RequestHead::Body::Length;
        result.contentLength = digits.toLongLong();
    }
    *head = std::move(result);
    return HeadStatus::Complete;
}

HeadStatus parseBody(QByteArrayView data, const RequestHead &head, qint64 maxBodyBytes,
    qsizetype *wireLength, QString *error, int *status)
{
    auto fail = [error, status](const QString &why, int code = 400) {
        if (error)
            *error = why;
        if (status)
            *status = code;
        return HeadStatus::Invalid;
    };
    auto tooLarge = [&](qint64 size) {
        return fail(QStringLiteral("request body of %1 bytes exceeds the limit of %2 bytes")
                        .arg(size)
                        .arg(maxBodyBytes),
            413);
    };
    switch (head.body) {
    case RequestHead::Body::None:
        *wireLength = 0;
        return HeadStatus::Complete;
    case RequestHead::Body::Length:
        if (head.contentLength > maxBodyBytes)
            return tooLarge(head.contentLength);
        if (data.size() < head.contentLength)
            return HeadStatus::Incomplete;
        *wireLength = qsizetype(head.contentLength);
        return HeadStatus::Complete;
    case RequestHead::Body::Chunked:
        break;
    }

    qsizetype pos = 0;
    qint64 total = 0;
    for (;;) {
        qsizetype lineEnd = 0;
        qsizetype next = 0;
        QString why;
        switch (nextLine(data, pos, MaxChunkLine, &lineEnd, &next, &why)) {
        case LineResult::Incomplete:
            return HeadStatus::Incomplete;
        case LineResult::Invalid:
            return fail(QStringLiteral("invalid chunk line: %1").arg(why));
        case LineResult::Line:
            break;
        }
        const QByteArrayView line = data.sliced(pos, lineEnd - pos);
        pos = next;
        qsizetype digits = 0;
        qint64 size = 0;
        int significant = 0;
        while (digits < line.size() && isHexDigit(line[digits])) {
            if (size > 0 || line[digits] != '0')
                ++significant;
            if (significant > 15)
                return fail(QStringLiteral("chunk size too large"));
            size = size * 16 + hexValue(line[digits]);
            ++digits;
        }
        if (digits == 0)
            return fail(QStringLiteral("invalid chunk size"));
        if (!validChunkExtensions(line.sliced(digits)))
            return fail(QStringLiteral("invalid chunk extension"));
        if (size == 0) {
            // The last chunk: an empty trailer section only (the handlers behind the front door
            // would not skip trailer fields).
            if (data.size() < pos + 2) {
                if (data.size() == pos + 1 && data[pos] != '\r')
                    return fail(QStringLiteral("trailer fields are not accepted"));
                return HeadStatus::Incomplete;
            }
            if (data[pos] != '\r' || data[pos + 1] != '\n')
                return fail(QStringLiteral("trailer fields are not accepted"));
            *wireLength = pos + 2;
            return HeadStatus::Complete;
        }
        total += size;
        if (total > maxBodyBytes)
            return tooLarge(total);
        const qsizetype crlf = pos + qsizetype(size);
        if (data.size() > crlf && data[crlf] != '\r')
            return fail(QStringLiteral("no CRLF after chunk data"));
        if (data.size() > crlf + 1 && data[crlf + 1] != '\n')
            return fail(QStringLiteral("no CRLF after chunk data"));
        if (data.size() < crlf + 2)
            return HeadStatus::Incomplete;
        pos = crlf + 2;
    }
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

} // namespace jarvis::net
