// libFuzzer target for the front door's request-head parser (http::parseHead, httputil.h), which
// sees every byte a client sends before anything else does. Input: the bytes of a connection.
// Checks: Incomplete exactly until the first blank line; Invalid comes with a reason; a complete
// head spans up to and including that blank line, has a token method, a target and an HTTP/1.x
// version, at most 100 headers, and parses the same without what follows it (a body, the next
// request); path() and query() split the target at its first '?'.
// Header fields as RFC 9112 section 5 has a server read them (the front door decides on a request
// - upgrade, body limit - before QtHttpServer's parser reads the same bytes, so the two must not
// read them two ways): each field line's name (what comes before its first ':') is a token - no
// whitespace before the colon, no obs-fold line starting with a space - lower-cased in the
// result; no value holds CR, LF or NUL.
#include "fuzzcheck.h"
#include "http/httputil.h"

using namespace jarvis::http;

namespace {

// RFC 9110 tchar.
bool isToken(const QByteArray &text)
{
    if (text.isEmpty())
        return false;
    for (char c : text) {
        const bool alnum =
            (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && !QByteArrayView("!#$%&'*+-.^_`|~").contains(c))
            return false;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const qsizetype blank = bytes.indexOf("\r\n\r\n");

    RequestHead head;
    QString error;
    const HeadStatus status = parseHead(bytes, &head, &error);
    if (blank < 0) {
        FUZZ_CHECK(status == HeadStatus::Incomplete);
        return 0;
    }
    // One byte short of the blank line is still incomplete.
    RequestHead partial;
    FUZZ_CHECK(parseHead(bytes.left(blank + 3), &partial) == HeadStatus::Incomplete);
    if (status == HeadStatus::Invalid) {
        FUZZ_CHECK(!error.isEmpty());
        return 0;
    }
    FUZZ_CHECK(status == HeadStatus::Complete);
    FUZZ_CHECK(head.length == blank + 4);
    FUZZ_CHECK(isToken(head.method));
    FUZZ_CHECK(!head.target.isEmpty() && !head.target.contains(' '));
    FUZZ_CHECK(head.version.startsWith("HTTP/1.") && !head.version.contains(' '));
    FUZZ_CHECK(head.headers.size() <= 100);
    for (const auto &[name, value] : head.headers) {
        FUZZ_CHECK(isToken(name));
        FUZZ_CHECK(name == name.toLower());
        FUZZ_CHECK(value == value.trimmed());
        FUZZ_CHECK(!value.contains('\r') && !value.contains('\n') && !value.contains('\0'));
    }
    QList<QByteArray> lines = bytes.left(blank).split('\n');
    lines.removeFirst(); // the request line
    for (const QByteArray &line : lines)
        FUZZ_CHECK(isToken(line.left(line.indexOf(':'))));

    RequestHead alone;
    FUZZ_CHECK(parseHead(bytes.left(head.length), &alone) == HeadStatus::Complete);
    FUZZ_CHECK(alone.method == head.method && alone.target == head.target
        && alone.version == head.version && alone.headers == head.headers
        && alone.length == head.length);

    const QByteArray path = head.path();
    const QByteArray query = head.query();
    FUZZ_CHECK(!path.contains('?'));
    FUZZ_CHECK(head.target == (head.target.contains('?') ? path + '?' + query : path));
    if (head.isWebSocketUpgrade())
        FUZZ_CHECK(head.header("upgrade").trimmed().toLower() == "websocket");
    return 0;
}
