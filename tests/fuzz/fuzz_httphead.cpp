// libFuzzer target for the front door's request-head parser (net::parseHead, net/httphead.h), which
// sees every byte a client sends before anything else does. Input: the bytes of a connection.
// Checks: Invalid comes with a reason and a status, and stays Invalid whatever follows; Incomplete
// has no complete prefix; a complete head ends with its first blank line, is Incomplete one byte
// shorter, parses the same without what follows it (a body, the next request), has a token
// method, a target of visible ASCII and an HTTP/1.x version, at most 100 headers; path() and
// query() split the target at its first '?'.
// Header fields as RFC 9112 section 5 has a server read them (the front door decides on a request
// - upgrade, body limit - before QtHttpServer's parser reads the same bytes, so the two must not
// read them two ways): each field line's name (what comes before its first ':') is a token - no
// whitespace before the colon, no obs-fold line starting with a space - lower-cased in the
// result; no value holds CR, LF or NUL.
#include "fuzzcheck.h"
#include "net/httphead.h"

using namespace jarvis::net;

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

    RequestHead head;
    QString error;
    int code = 0;
    const HeadStatus status = parseHead(bytes, &head, &error, &code);
    if (status == HeadStatus::Invalid) {
        // A reason and a status; and no byte that follows makes it valid again.
        FUZZ_CHECK(!error.isEmpty());
        FUZZ_CHECK(code == 400 || code == 431 || code == 501 || code == 505);
        RequestHead more;
        FUZZ_CHECK(parseHead(bytes + "\r\n\r\n", &more) == HeadStatus::Invalid);
        return 0;
    }
    if (status == HeadStatus::Incomplete) {
        // What is not complete has no complete beginning either.
        FUZZ_CHECK(!bytes.contains("\r\n\r\n") || bytes.startsWith("\r\n"));
        RequestHead shorter;
        FUZZ_CHECK(parseHead(bytes.left(bytes.size() / 2), &shorter) != HeadStatus::Complete);
        return 0;
    }
    // Complete: the head ends with its first blank line and parses the same without what
    // follows it (a body, the next request); one byte less is not complete.
    FUZZ_CHECK(head.length > 0 && head.length <= bytes.size());
    FUZZ_CHECK(bytes.left(head.length).endsWith("\r\n\r\n"));
    RequestHead partial;
    FUZZ_CHECK(parseHead(bytes.left(head.length - 1), &partial) == HeadStatus::Incomplete);
    RequestHead alone;
    FUZZ_CHECK(parseHead(bytes.left(head.length), &alone) == HeadStatus::Complete);
    FUZZ_CHECK(alone.method == head.method && alone.target == head.target
        && alone.version == head.version && alone.headers == head.headers
        && alone.length == head.length);

    FUZZ_CHECK(isToken(head.method));
    FUZZ_CHECK(!head.target.isEmpty());
    for (char c : head.target)
        FUZZ_CHECK(uchar(c) > 0x20 && uchar(c) < 0x7f);
    FUZZ_CHECK(head.version.size() == 8 && head.version.startsWith("HTTP/1."));
    FUZZ_CHECK(head.headers.size() <= 100);
    for (const auto &[name, value] : head.headers) {
        FUZZ_CHECK(isToken(name));
        FUZZ_CHECK(name == name.toLower());
        FUZZ_CHECK(value == value.trimmed());
        for (char c : value)
            FUZZ_CHECK(c == '\t' || (uchar(c) >= 0x20 && uchar(c) != 0x7f));
    }
    // Every field line of the head, as sent: CRLF-terminated, its name a token.
    QList<QByteArray> lines = bytes.left(head.length - 4).split('\n');
    while (!lines.isEmpty() && lines.first() == "\r")
        lines.removeFirst(); // empty lines before the request line
    FUZZ_CHECK(!lines.isEmpty());
    lines.removeFirst(); // the request line
    for (const QByteArray &line : lines)
        FUZZ_CHECK(isToken(line.left(line.indexOf(':'))));

    const QByteArray path = head.path();
    const QByteArray query = head.query();
    FUZZ_CHECK(!path.contains('?'));
    FUZZ_CHECK(head.target == (head.target.contains('?') ? path + '?' + query : path));
    if (head.isWebSocketUpgrade())
        FUZZ_CHECK(head.header("upgrade").trimmed().toLower() == "websocket");
    return 0;
}
