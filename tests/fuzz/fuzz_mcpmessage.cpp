// libFuzzer target for MCP's JSON-RPC reader (service/mcp/jsonrpc.h), which sees every message
// an MCP client sends (an HTTP body on /mcp, a line on stdin with --mcp-stdio). Input: one message.
// Invariants:
//  - an invalid message says why, with -32700 (not JSON) or -32600 (not a JSON-RPC message), and
//    its id is null, a string or an integer (what an error response may carry);
//  - a request has a non-empty method and a string or integer id; a notification no id;
//  - the error response built for it reads back as a response with the same id;
//  - reading is deterministic, and idKey() tells string ids from number ids.
#include "fuzzcheck.h"
#include "mcp/jsonrpc.h"

#include <cmath>

using namespace jarvis::mcp;

namespace {
bool isIdValue(const QJsonValue &id)
{
    return id.isString() || (id.isDouble() && std::floor(id.toDouble()) == id.toDouble());
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray text(reinterpret_cast<const char *>(data), qsizetype(size));
    const Message m = parseMessage(text);
    const Message again = parseMessage(text);
    FUZZ_CHECK(m.kind == again.kind && m.id == again.id && m.method == again.method
        && m.errorCode == again.errorCode);
    switch (m.kind) {
    case Message::Kind::Invalid:
        FUZZ_CHECK(m.errorCode == code::ParseError || m.errorCode == code::InvalidRequest);
        FUZZ_CHECK(!m.error.isEmpty());
        FUZZ_CHECK(m.id.isNull() || isIdValue(m.id));
        break;
    case Message::Kind::Request:
        FUZZ_CHECK(!m.method.isEmpty());
        FUZZ_CHECK(isIdValue(m.id));
        FUZZ_CHECK(m.params.isUndefined() || m.params.isObject() || m.params.isArray());
        FUZZ_CHECK(
            idKey(m.id).startsWith(m.id.isString() ? QLatin1String("s:") : QLatin1String("n:")));
        break;
    case Message::Kind::Notification:
        FUZZ_CHECK(!m.method.isEmpty());
        break;
    case Message::Kind::Response:
        FUZZ_CHECK(isIdValue(m.id));
        break;
    }
    if (m.kind != Message::Kind::Notification) {
        const Message reply =
            parseMessage(toText(errorResponse(m.id, code::InvalidRequest, QStringLiteral("x"))));
        if (m.id.isNull())
            FUZZ_CHECK(reply.kind == Message::Kind::Invalid); // an id-less error is no response
        else
            FUZZ_CHECK(reply.kind == Message::Kind::Response && reply.id == m.id);
    }
    return 0;
}
