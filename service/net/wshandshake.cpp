#include "net/wshandshake.h"

#include "net/httptoken.h"

#include <QCryptographicHash>

#include <algorithm>

namespace jarvis::net::ws {

namespace {

bool isToken(QByteArrayView text)
{
    return !text.isEmpty()
        && std::all_of(text.begin(), text.end(), [](char c) { return net::isTokenChar(c); });
}

// All values of a header, joined with ", " (list-valued headers may be split over lines).
QByteArray joinedHeader(const HeaderList &headers, QByteArrayView lowerName)
{
    QByteArray value;
    for (const auto &header : headers) {
        if (header.first != lowerName)
            continue;
        if (!value.isEmpty())
            value += ", ";
        value += header.second;
    }
    return value;
}

bool listContainsToken(const QByteArray &list, QByteArrayView token)
{
    const QList<QByteArray> items = list.split(',');
    return std::any_of(items.begin(), items.end(), [token](const QByteArray &item) {
        return item.trimmed().compare(token, Qt::CaseInsensitive) == 0;
    });
}

HandshakeResult refuse(int status, const QString &message, const HeaderList &extra = {})
{
    HandshakeResult result;
    result.status = status;
    result.error = message;
    result.response = errorResponse(status, message, extra);
    return result;
}

// "8".."15" only (no sign, no leading zeros beyond what the digits say).
std::optional<int> parseWindowBits(const QByteArray &value)
{
    if (value.isEmpty() || value.size() > 2)
        return std::nullopt;
    if (!std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    const int bits = value.toInt();
    if (bits < 8 || bits > 15)
        return std::nullopt;
    return bits;
}

class ExtensionParser
{
public:
    explicit ExtensionParser(QByteArrayView text)
        : m_text(text)
    { }

    std::optional<QList<ExtensionOffer>> parse()
    {
        QList<ExtensionOffer> offers;
        for (;;) {
            skipSpace();
            ExtensionOffer offer;
            offer.name = token();
            if (offer.name.isEmpty())
                return std::nullopt;
            skipSpace();
            while (peek() == ';') {
                ++m_pos;
                skipSpace();
                ExtensionParam param;
                param.name = token();
                if (param.name.isEmpty())
                    return std::nullopt;
                skipSpace();
                if (peek() == '=') {
                    ++m_pos;
                    skipSpace();
                    const std::optional<QByteArray> value = peek() == '"' ? quoted() : token();
                    if (!value || value->isEmpty())
                        return std::nullopt;
                    param.value = *value;
                    skipSpace();
                }
                offer.params.append(param);
            }
            offers.append(offer);
            if (atEnd())
                return offers;
            if (peek() != ',')
                return std::nullopt;
            ++m_pos;
        }
    }

private:
    bool atEnd() const { return m_pos >= m_text.size(); }
    char peek() const { return atEnd() ? '\0' : m_text[m_pos]; }
    void skipSpace()
    {
        while (!atEnd() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t'))
            ++m_pos;
    }
    QByteArray token()
    {
        const qsizetype start = m_pos;
        while (!atEnd() && net::isTokenChar(m_text[m_pos]))
            ++m_pos;
        return m_text.sliced(start, m_pos - start).toByteArray();
    }
    // A quoted-string whose unescaped content must be a token (RFC 6455 9.1).
    std::optional<QByteArray> quoted()
    {
        ++m_pos; // opening quote
        QByteArray value;
        while (!atEnd()) {
            char c = m_text[m_pos++];
            if (c == '"')
                return isToken(value) ? std::optional<QByteArray>(value) : std::nullopt;
            if (c == '\\') {
                if (atEnd())
                    return std::nullopt;
                c = m_text[m_pos++];
            }
            value += c;
        }
        return std::nullopt; // unterminated
    }

    QByteArrayView m_text;
    qsizetype m_pos = 0;
};

// Validates the parameters of one permessage-deflate offer and builds our answer to it.
std::optional<DeflateParams> acceptOffer(const ExtensionOffer &offer, const DeflatePolicy &policy)
{
    bool serverNoContextTakeover = false;
    bool clientNoContextTakeover = false;
    std::optional<int> serverMaxWindowBits;
    bool clientMaxWindowBitsOffered = false;
    std::optional<int> clientMaxWindowBits;
    QList<QByteArray> seen;
    for (const ExtensionParam &param : offer.params) {
        const QByteArray name = param.name.toLower();
        if (seen.contains(name))
            return std::nullopt; // each parameter at most once (RFC 7692 7.1)
        seen.append(name);
        if (name == "server_no_context_takeover") {
            if (param.value)
                return std::nullopt;
            serverNoContextTakeover = true;
        } else if (name == "client_no_context_takeover") {
            if (param.value)
                return std::nullopt;
            clientNoContextTakeover = true;
        } else if (name == "server_max_window_bits") {
            if (!param.value)
                return std::nullopt;
            serverMaxWindowBits = parseWindowBits(*param.value);
            if (!serverMaxWindowBits)
                return std::nullopt;
        } else if (name == "client_max_window_bits") {
            clientMaxWindowBitsOffered = true;
            if (param.value) {
                clientMaxWindowBits = parseWindowBits(*param.value);
                if (!clientMaxWindowBits)
                    return std::nullopt;
            }
        } else {
            return std::nullopt; // unknown parameter
        }
    }
    Q_UNUSED(serverNoContextTakeover); // we always use it, asked for or not
    // One compressed frame serves every client, so it is made with a 15-bit window.
    if (serverMaxWindowBits && *serverMaxWindowBits < 15)
        return std::nullopt;

    DeflateParams params;
    params.enabled = true;
    const int ours = std::clamp(policy.clientMaxWindowBits, 8, 15);
    bool sendClientBits = false;
    if (clientMaxWindowBits) {
        params.clientMaxWindowBits = std::min(*clientMaxWindowBits, ours);
        sendClientBits = true;
    } else if (clientMaxWindowBitsOffered && ours < 15) {
        params.clientMaxWindowBits = ours;
        sendClientBits = true;
    } else {
        params.clientMaxWindowBits = 15;
    }
    params.clientNoContextTakeover = clientNoContextTakeover || policy.clientNoContextTakeover;

    params.response = "permessage-deflate; server_no_context_takeover";
    if (serverMaxWindowBits)
        params.response += "; server_max_window_bits=15";
    if (params.clientNoContextTakeover)
        params.response += "; client_no_context_takeover";
    if (sendClientBits)
        params.response +=
            "; client_max_window_bits=" + QByteArray::number(params.clientMaxWindowBits);
    return params;
}

bool isValidKey(const QByteArray &key)
{
    // base64 of 16 bytes: 22 significant characters and "==".
    if (key.size() != 24 || !key.endsWith("=="))
        return false;
    for (qsizetype i = 0; i < 22; ++i) {
        const uchar c = uchar(key[i]);
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
            || c == '+' || c == '/';
        if (!ok)
            return false;
    }
    const auto decoded =
        QByteArray::fromBase64Encoding(key, QByteArray::AbortOnBase64DecodingErrors);
    return decoded && decoded.decoded.size() == 16;
}

} // namespace

QByteArray errorResponse(int status, const QString &message, const HeaderList &extraHeaders)
{
    const QByteArray body = message.toUtf8() + '\n';
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    out += "Connection: close\r\n";
    out += "Content-Type: text/plain; charset=utf-8\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    for (const auto &header : extraHeaders)
        out += header.first + ": " + header.second + "\r\n";
    out += "\r\n";
    out += body;
    return out;
}

std::optional<QList<ExtensionOffer>> parseExtensions(QByteArrayView header)
{
    return ExtensionParser(header).parse();
}

DeflateParams negotiateDeflate(const QList<ExtensionOffer> &offers, const DeflatePolicy &policy)
{
    if (!policy.enabled)
        return {};
    for (const ExtensionOffer &offer : offers) {
        if (offer.name.compare("permessage-deflate", Qt::CaseInsensitive) != 0)
            continue;
        if (const std::optional<DeflateParams> params = acceptOffer(offer, policy))
            return *params;
    }
    return {};
}

DeflateParams negotiateDeflate(QByteArrayView extensionsHeader, const DeflatePolicy &policy)
{
    if (!policy.enabled || extensionsHeader.trimmed().isEmpty())
        return {};
    const std::optional<QList<ExtensionOffer>> offers = parseExtensions(extensionsHeader);
    if (!offers)
        return {};
    return negotiateDeflate(*offers, policy);
}

QByteArray computeAcceptKey(QByteArrayView key)
{
    QCryptographicHash hash(QCryptographicHash::Sha1);
    hash.addData(key);
    hash.addData(QByteArrayView("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"));
    return hash.result().toBase64();
}

HandshakeResult processHandshake(QByteArrayView method, QByteArrayView version,
    const HeaderList &headers, const DeflatePolicy &policy)
{
    if (method != "GET")
        return refuse(405, QStringLiteral("Invalid HTTP method"), {{"Allow", "GET"}});
    if (version != "HTTP/1.1")
        return refuse(400, QStringLiteral("WebSocket upgrades need HTTP/1.1"));
    if (!listContainsToken(joinedHeader(headers, "upgrade"), "websocket"))
        return refuse(400, QStringLiteral("Invalid Upgrade header"));
    if (!listContainsToken(joinedHeader(headers, "connection"), "upgrade"))
        return refuse(400, QStringLiteral("Invalid Connection header"));
    const QByteArray key = joinedHeader(headers, "sec-websocket-key").trimmed();
    if (!isValidKey(key))
        return refuse(400, QStringLiteral("Missing or invalid Sec-WebSocket-Key header"));
    if (joinedHeader(headers, "sec-websocket-version").trimmed() != "13")
        return refuse(426, QStringLiteral("Missing or invalid Sec-WebSocket-Version header"),
            {{"Sec-WebSocket-Version", "13"}});

    HandshakeResult result;
    result.status = 101;
    result.deflate = negotiateDeflate(joinedHeader(headers, "sec-websocket-extensions"), policy);
    QByteArray &out = result.response;
    out = "HTTP/1.1 101 Switching Protocols\r\n"
          "Upgrade: websocket\r\n"
          "Connection: Upgrade\r\n"
          "Sec-WebSocket-Accept: ";
    out += computeAcceptKey(key);
    out += "\r\n";
    if (result.deflate.enabled)
        out += "Sec-WebSocket-Extensions: " + result.deflate.response + "\r\n";
    out += "\r\n";
    return result;
}

} // namespace jarvis::net::ws
