// jarvis-fanout: the fan-out benchmark's load generator (tests/bench/run-fanout.sh,
// docs/PERFORMANCE.md). One thread, one epoll set, no Qt in the loop (Qt Core only hashes the
// handshake keys and signs the JWT before it starts).
//
// It opens N WebSocket connections to /socket.io/?EIO=4&transport=websocket, doing the RFC 6455
// handshake itself (with --deflate it offers permessage-deflate as browsers do), answers
// Engine.IO pings, joins /cluster with {token} and waits until every client is in. Then a control
// connection on /bench sends `run {count, rateHz}`; the server broadcasts `vms` `count` times,
// telling the control connection after each one the CLOCK_MONOTONIC time at which it started it
// (`sent {k, t, callUs}`), and acks at the end. Every client stamps the arrival of the last byte
// of its k-th `vms` message with the same clock; the delivery latency of broadcast k is
// (arrival at the last client) - (send time of k).
//
// Broadcast messages are recognised without reading them: a text message of at least
// --min-frame bytes on a client connection is the next `vms` (uncompressed ones must also start
// with `42/cluster,["vms"`); compressed ones are never inflated. Only their first bytes are
// copied: the rest is discarded in the kernel with recv(MSG_TRUNC), which TCP supports, so the
// generator stays far cheaper than any server it measures. Smaller compressed messages (pings,
// CONNECT acks) are inflated one by one, which needs server_no_context_takeover.
//
// With --server-pid it samples the server's /proc/PID/stat (utime + stime) and /proc/PID/status
// (VmRSS, VmHWM): idle before any client, with N clients, and around the run; a server whose RSS
// passes --max-rss-mb during the run (it queues what it cannot send) ends the run early, marked
// "aborted". Prints a summary and one line `RESULT {json}` for the driver script.
#include <QByteArray>
#include <QCryptographicHash>
#include <QMessageAuthenticationCode>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <zlib.h>

namespace {

const char *const DefaultSecret = "jarvis-bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

[[noreturn]] void fail(const char *format, ...)
{
    std::va_list args;
    va_start(args, format);
    std::fputs("jarvis-fanout: ", stderr);
    std::vfprintf(stderr, format, args);
    std::fputc('\n', stderr);
    va_end(args);
    std::exit(1);
}

uint64_t nowNs()
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

double selfCpuSeconds()
{
    rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

struct Options
{
    std::string host = "127.0.0.1";
    int port = 0;
    int clients = 1000;
    int count = 200;
    double rateHz = 10;
    bool deflate = false;
    std::string extensionOffer = "permessage-deflate; client_max_window_bits";
    std::string secret;
    std::string nsp = "/cluster";
    std::string event = "vms";
    std::string controlNsp = "/bench";
    uint64_t minFrame = 1024;
    int parallel = 64;
    int serverPid = 0;
    double settleSeconds = 2;
    double idleSeconds = 20;
    double timeoutSeconds = 900;
    long maxRssMiB = 3072;
    std::string dumpPath;
    std::string label;
};

void usage()
{
    std::fputs(
        "usage: jarvis-fanout --port N [options]\n"
        "  --host ADDR          server address (127.0.0.1)\n"
        "  --clients N          WebSocket clients on the namespace (1000)\n"
        "  --count N            broadcasts to ask for (200)\n"
        "  --rate HZ            broadcasts per second (10)\n"
        "  --deflate            offer permessage-deflate (--offer sets the exact offer)\n"
        "  --offer TEXT         Sec-WebSocket-Extensions offer with --deflate\n"
        "                       (\"permessage-deflate; client_max_window_bits\", as browsers "
        "send)\n"
        "  --secret S           JWT secret (env JARVIS_JWT_SECRET, else the bench default)\n"
        "  --namespace NSP      (/cluster)   --event NAME (vms)   --control NSP (/bench)\n"
        "  --min-frame BYTES    smallest message counted as a broadcast (1024)\n"
        "  --parallel N         handshakes in flight while connecting (64)\n"
        "  --server-pid PID     sample the server's CPU time and RSS from /proc\n"
        "  --settle S           seconds between the last connect and the RSS sample (2)\n"
        "  --idle S             give up waiting for frames after S seconds without one (20)\n"
        "  --timeout S          give up on the whole run after S seconds (900)\n"
        "  --max-rss-mb N       abort the run when the server's RSS passes N MiB (3072)\n"
        "  --dump FILE          write client 0's first broadcast message (uncompressed) to FILE\n"
        "  --label TEXT         copied into the RESULT line\n",
        stderr);
    std::exit(2);
}

Options parseOptions(int argc, char **argv)
{
    Options o;
    if (const char *secret = std::getenv("JARVIS_JWT_SECRET"); secret && *secret)
        o.secret = secret;
    else
        o.secret = DefaultSecret;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                usage();
            return argv[++i];
        };
        if (arg == "--host")
            o.host = value();
        else if (arg == "--port")
            o.port = std::atoi(value().c_str());
        else if (arg == "--clients")
            o.clients = std::atoi(value().c_str());
        else if (arg == "--count")
            o.count = std::atoi(value().c_str());
        else if (arg == "--rate")
            o.rateHz = std::atof(value().c_str());
        else if (arg == "--deflate")
            o.deflate = true;
        else if (arg == "--offer")
            o.extensionOffer = value();
        else if (arg == "--secret")
            o.secret = value();
        else if (arg == "--namespace")
            o.nsp = value();
        else if (arg == "--event")
            o.event = value();
        else if (arg == "--control")
            o.controlNsp = value();
        else if (arg == "--min-frame")
            o.minFrame = std::strtoull(value().c_str(), nullptr, 10);
        else if (arg == "--parallel")
            o.parallel = std::atoi(value().c_str());
        else if (arg == "--server-pid")
            o.serverPid = std::atoi(value().c_str());
        else if (arg == "--settle")
            o.settleSeconds = std::atof(value().c_str());
        else if (arg == "--idle")
            o.idleSeconds = std::atof(value().c_str());
        else if (arg == "--timeout")
            o.timeoutSeconds = std::atof(value().c_str());
        else if (arg == "--max-rss-mb")
            o.maxRssMiB = std::atol(value().c_str());
        else if (arg == "--dump")
            o.dumpPath = value();
        else if (arg == "--label")
            o.label = value();
        else
            usage();
    }
    if (o.port <= 0 || o.port > 65535 || o.clients < 1 || o.count < 1 || o.rateHz <= 0
        || o.parallel < 1)
        usage();
    return o;
}

// --- /proc sampling -------------------------------------------------------------------------

struct ProcSample
{
    bool ok = false;
    double cpuSeconds = 0; // utime + stime of every thread
    long rssKiB = 0;
    long hwmKiB = 0;
};

ProcSample sampleProcess(int pid)
{
    ProcSample s;
    if (pid <= 0)
        return s;
    std::ifstream statFile("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(statFile)), std::istreambuf_iterator<char>());
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos)
        return s;
    std::istringstream fields(stat.substr(paren + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) { // field 3 is the state
        if (i == 14)
            utime = std::strtoull(field.c_str(), nullptr, 10);
        else if (i == 15)
            stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    s.cpuSeconds = double(utime + stime) / double(sysconf(_SC_CLK_TCK));
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            s.rssKiB = std::atol(line.c_str() + 6);
        else if (line.rfind("VmHWM:", 0) == 0)
            s.hwmKiB = std::atol(line.c_str() + 6);
    }
    s.ok = true;
    return s;
}

// --- Statistics ----------------------------------------------------------------------------

// Nearest-rank percentile of `values` (sorted in place); 0 for an empty list.
double percentile(std::vector<double> &values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const size_t rank = size_t(std::ceil(p / 100.0 * double(values.size())));
    return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

std::string jsonEscape(std::string_view text)
{
    std::string out;
    for (const char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        if (static_cast<unsigned char>(c) >= 0x20)
            out += c;
    }
    return out;
}

// --- The generator -------------------------------------------------------------------------

std::string base64(const QByteArray &bytes, bool url = false)
{
    const QByteArray encoded = url
        ? bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)
        : bytes.toBase64();
    return encoded.toStdString();
}

std::string makeJwt(const std::string &secret)
{
    const long long iat = std::time(nullptr);
    const std::string header = base64(R"({"alg":"HS256","typ":"JWT"})", true);
    const std::string claims =
        base64(QByteArray::fromStdString("{\"sub\":\"bench\",\"iat\":" + std::to_string(iat)
                   + ",\"exp\":" + std::to_string(iat + 86400) + ",\"jti\":\"jarvis-fanout\"}"),
            true);
    const std::string input = header + "." + claims;
    const QByteArray mac = QMessageAuthenticationCode::hash(QByteArray::fromStdString(input),
        QByteArray::fromStdString(secret), QCryptographicHash::Sha256);
    return input + "." + base64(mac, true);
}

class Generator
{
public:
    explicit Generator(const Options &options)
        : m_o(options)
        , m_vmsPrefix("42" + options.nsp + ",[\"" + options.event + "\"")
        , m_token(makeJwt(options.secret))
        , m_arrivals(size_t(options.clients) * size_t(options.count), 0)
        , m_scratch(256 * 1024)
        , m_sentUs(size_t(options.count), 0)
        , m_callUs(size_t(options.count), 0)
    {
        m_epoll = epoll_create1(EPOLL_CLOEXEC);
        if (m_epoll < 0)
            fail("epoll_create1: %s", std::strerror(errno));
        if (inet_pton(AF_INET, m_o.host.c_str(), &m_address.sin_addr) != 1)
            fail("--host must be an IPv4 address");
        m_address.sin_family = AF_INET;
        m_address.sin_port = htons(uint16_t(m_o.port));
        m_random = nowNs() | 1;
    }

    // Phase 1: the control connection on /bench.
    void connectControl()
    {
        m_control = open(-1);
        pumpUntil([this] { return m_control->state == State::Joined; }, 15,
            "the control connection to join");
    }

    // Phase 2: N clients on the namespace, at most --parallel handshakes at a time.
    void connectClients()
    {
        m_clients.reserve(size_t(m_o.clients));
        pumpUntil([this] { return m_joined == m_o.clients; }, 120 + m_o.clients / 50.0,
            "every client to join", true);
    }

    void settle(double seconds)
    {
        const uint64_t until = nowNs() + uint64_t(seconds * 1e9);
        pumpUntil([until] { return nowNs() >= until; }, seconds + 5, "settling");
    }

    // Phase 3: trigger the run; returns when every client has every frame, or nothing arrived
    // for --idle seconds after the ack.
    void run()
    {
        m_triggerNs = nowNs();
        m_lastFrameNs = m_triggerNs;
        sendText(*m_control,
            "42" + m_o.controlNsp + ",1[\"run\",{\"count\":" + std::to_string(m_o.count)
                + ",\"rateHz\":" + std::to_string(m_o.rateHz) + "}]");
        const uint64_t expected = uint64_t(m_o.clients) * uint64_t(m_o.count);
        uint64_t nextSample = 0;
        pumpUntil(
            [this, expected, &nextSample] {
                const uint64_t now = nowNs();
                if (m_o.serverPid > 0 && now >= nextSample) {
                    nextSample = now + 250000000;
                    if (sampleProcess(m_o.serverPid).rssKiB > m_o.maxRssMiB * 1024) {
                        std::fprintf(stderr,
                            "jarvis-fanout: server RSS passed %ld MiB: run aborted\n",
                            m_o.maxRssMiB);
                        m_aborted = true;
                        return true;
                    }
                }
                if (!m_acked)
                    return false;
                return m_delivered >= expected
                    || now - m_lastFrameNs > uint64_t(m_o.idleSeconds * 1e9);
            },
            m_o.timeoutSeconds, "the run to finish");
        m_endNs = nowNs();
    }

    void report(const ProcSample &idle, const ProcSample &joined, const ProcSample &before,
        const ProcSample &after, double selfRun, double selfTotal) const;

private:
    enum class State { Connecting, Upgrading, Open, Joined, Closed };

    struct Conn
    {
        int fd = -1;
        int index = -1; // -1: the control connection
        State state = State::Connecting;
        std::string out; // bytes the kernel did not take yet
        std::string head; // the HTTP response head while upgrading
        std::string accept; // expected Sec-WebSocket-Accept
        bool deflate = false;
        // frame parser
        unsigned char header[14] = {};
        int headerHave = 0;
        int headerNeed = 2;
        bool inPayload = false;
        uint64_t remaining = 0;
        int frameOpcode = 0;
        bool frameFin = false;
        // message being assembled (data frames); control frames use `controlPayload`
        int messageOpcode = 0;
        bool messageCompressed = false;
        uint64_t messageSize = 0;
        std::string message; // the first `captureLimit` bytes
        uint64_t captureLimit = 0; // --min-frame: smaller messages are read whole
        std::string controlPayload;
        uint32_t broadcasts = 0;
    };

    Conn *open(int index)
    {
        auto conn = std::make_unique<Conn>();
        conn->index = index;
        conn->captureLimit = (index < 0 || (index == 0 && !m_o.dumpPath.empty()))
            ? UINT64_MAX
            : clientCaptureLimit();
        conn->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (conn->fd < 0)
            fail("socket: %s (raise ulimit -n)", std::strerror(errno));
        const int one = 1;
        setsockopt(conn->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(conn->fd, reinterpret_cast<const sockaddr *>(&m_address), sizeof m_address) < 0
            && errno != EINPROGRESS)
            fail("connect: %s", std::strerror(errno));
        epoll_event ev {};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.ptr = conn.get();
        epoll_ctl(m_epoll, EPOLL_CTL_ADD, conn->fd, &ev);
        Conn *raw = conn.get();
        if (index < 0)
            m_controlOwner = std::move(conn);
        else
            m_clients.push_back(std::move(conn));
        ++m_handshaking;
        return raw;
    }

    void startClients()
    {
        while (int(m_clients.size()) < m_o.clients && m_handshaking < m_o.parallel && m_control
            && m_control->state == State::Joined)
            open(int(m_clients.size()));
    }

    void pumpUntil(const std::function<bool()> &done, double timeoutSeconds, const char *what,
        bool connecting = false)
    {
        const uint64_t deadline = nowNs() + uint64_t(timeoutSeconds * 1e9);
        epoll_event events[512];
        while (!done()) {
            if (connecting)
                startClients();
            if (nowNs() > deadline)
                fail("timed out waiting for %s (%d of %d clients joined, %" PRIu64 " frames)", what,
                    m_joined, m_o.clients, m_delivered);
            const int n = epoll_wait(m_epoll, events, 512, 10);
            if (n < 0 && errno != EINTR)
                fail("epoll_wait: %s", std::strerror(errno));
            for (int i = 0; i < n; ++i) {
                Conn &c = *static_cast<Conn *>(events[i].data.ptr);
                if (c.state == State::Closed)
                    continue;
                if (c.state == State::Connecting) {
                    onConnected(c);
                    continue;
                }
                if (events[i].events & EPOLLOUT)
                    flush(c);
                if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                    onReadable(c);
            }
        }
    }

    void onConnected(Conn &c)
    {
        int error = 0;
        socklen_t length = sizeof error;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0)
            fail("connect to %s:%d: %s", m_o.host.c_str(), m_o.port, std::strerror(error));
        QByteArray key(16, '\0');
        for (char &b : key)
            b = char(nextRandom());
        const std::string keyText = base64(key);
        c.accept = base64(QCryptographicHash::hash(
            QByteArray::fromStdString(keyText + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
            QCryptographicHash::Sha1));
        std::string request = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: "
            + m_o.host + ":" + std::to_string(m_o.port)
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: "
              "13\r\nSec-WebSocket-Key: "
            + keyText + "\r\n";
        if (m_o.deflate && c.index >= 0)
            request += "Sec-WebSocket-Extensions: " + m_o.extensionOffer + "\r\n";
        request += "\r\n";
        c.state = State::Upgrading;
        write(c, request);
        setWriteInterest(c, !c.out.empty());
    }

    void setWriteInterest(Conn &c, bool on)
    {
        epoll_event ev {};
        ev.events = on ? uint32_t(EPOLLIN | EPOLLOUT) : uint32_t(EPOLLIN);
        ev.data.ptr = &c;
        epoll_ctl(m_epoll, EPOLL_CTL_MOD, c.fd, &ev);
    }

    void write(Conn &c, std::string_view bytes)
    {
        if (!c.out.empty()) {
            c.out.append(bytes);
            return;
        }
        const ssize_t n = ::send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN)
            return closeConn(c, "send failed");
        const size_t sent = n < 0 ? 0 : size_t(n);
        if (sent < bytes.size()) {
            c.out.assign(bytes.substr(sent));
            setWriteInterest(c, true);
        }
    }

    void flush(Conn &c)
    {
        if (c.out.empty())
            return setWriteInterest(c, false);
        const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN)
            return closeConn(c, "send failed");
        if (n > 0)
            c.out.erase(0, size_t(n));
        if (c.out.empty())
            setWriteInterest(c, false);
    }

    // One masked text frame (clients must mask; RFC 6455 section 5.3).
    void sendText(Conn &c, std::string_view payload)
    {
        std::string frame;
        frame.reserve(payload.size() + 14);
        frame += char(0x81);
        if (payload.size() < 126) {
            frame += char(0x80 | payload.size());
        } else if (payload.size() < 65536) {
            frame += char(0x80 | 126);
            frame += char(payload.size() >> 8);
            frame += char(payload.size() & 0xff);
        } else {
            frame += char(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8)
                frame += char((uint64_t(payload.size()) >> shift) & 0xff);
        }
        const uint32_t mask = uint32_t(nextRandom());
        const char maskBytes[4] = {char(mask), char(mask >> 8), char(mask >> 16), char(mask >> 24)};
        frame.append(maskBytes, 4);
        for (size_t i = 0; i < payload.size(); ++i)
            frame += char(payload[i] ^ maskBytes[i % 4]);
        write(c, frame);
    }

    void onReadable(Conn &c)
    {
        for (int round = 0; round < 16 && c.state != State::Closed; ++round) {
            ssize_t n;
            if (c.state == State::Upgrading) {
                n = recv(c.fd, m_scratch.data(), 4096, MSG_DONTWAIT);
            } else if (c.inPayload && c.frameOpcode < 8 && c.message.size() >= c.captureLimit) {
                // The rest of a broadcast frame: discard it in the kernel, uncopied.
                const size_t want = size_t(std::min<uint64_t>(c.remaining, m_scratch.size()));
                n = recv(c.fd, m_scratch.data(), want, MSG_DONTWAIT | MSG_TRUNC);
                if (n > 0) {
                    const uint64_t now = nowNs();
                    c.remaining -= uint64_t(n);
                    c.messageSize += uint64_t(n);
                    if (c.remaining == 0)
                        endFrame(c, now);
                    continue;
                }
            } else {
                const size_t want =
                    c.captureLimit == UINT64_MAX ? m_scratch.size() : size_t(c.captureLimit) + 14;
                n = recv(c.fd, m_scratch.data(), want, MSG_DONTWAIT);
            }
            if (n == 0)
                return closeConn(c, "closed by the server");
            if (n < 0) {
                if (errno != EAGAIN && errno != EINTR)
                    closeConn(c, std::strerror(errno));
                return;
            }
            const uint64_t now = nowNs();
            if (c.state == State::Upgrading)
                onHandshakeBytes(c, m_scratch.data(), size_t(n), now);
            else
                feed(c, m_scratch.data(), size_t(n), now);
        }
    }

    void onHandshakeBytes(Conn &c, const char *data, size_t size, uint64_t now)
    {
        c.head.append(data, size);
        const size_t end = c.head.find("\r\n\r\n");
        if (end == std::string::npos) {
            if (c.head.size() > 16384)
                fail("oversized handshake response");
            return;
        }
        std::string head = c.head.substr(0, end + 2);
        const std::string rest = c.head.substr(end + 4);
        c.head.clear();
        c.head.shrink_to_fit();
        if (head.rfind("HTTP/1.1 101", 0) != 0)
            fail("the WebSocket upgrade was refused: %s", head.substr(0, head.find('\r')).c_str());
        std::string lower = head;
        std::transform(lower.begin(), lower.end(), lower.begin(),
            [](unsigned char ch) { return char(std::tolower(ch)); });
        auto headerValue = [&](std::string_view name) -> std::string {
            const size_t at = lower.find("\r\n" + std::string(name) + ":");
            if (at == std::string::npos)
                return {};
            size_t from = at + 3 + name.size();
            const size_t to = head.find("\r\n", from);
            while (from < to && head[from] == ' ')
                ++from;
            return head.substr(from, to - from);
        };
        if (headerValue("sec-websocket-accept") != c.accept)
            fail("wrong Sec-WebSocket-Accept in the upgrade response");
        const std::string extensions = headerValue("sec-websocket-extensions");
        c.deflate = extensions.find("permessage-deflate") != std::string::npos;
        if (c.index == 0)
            m_extensionsAnswer = extensions;
        if (c.deflate)
            ++m_deflateNegotiated;
        c.state = State::Open;
        if (!rest.empty())
            feed(c, rest.data(), rest.size(), now);
    }

    // RFC 6455 frame parser over whatever the socket returned.
    void feed(Conn &c, const char *data, size_t size, uint64_t now)
    {
        while (size > 0 && c.state != State::Closed) {
            if (!c.inPayload) {
                const size_t take = std::min(size, size_t(c.headerNeed - c.headerHave));
                std::memcpy(c.header + c.headerHave, data, take);
                c.headerHave += int(take);
                data += take;
                size -= take;
                if (c.headerHave == 2) {
                    const int len7 = c.header[1] & 0x7f;
                    c.headerNeed = 2
                        + (len7 == 126        ? 2
                                : len7 == 127 ? 8
                                              : 0)
                        + ((c.header[1] & 0x80) ? 4 : 0);
                }
                if (c.headerHave < c.headerNeed)
                    continue;
                startFrame(c, now);
                continue;
            }
            const size_t take = size_t(std::min<uint64_t>(size, c.remaining));
            if (c.frameOpcode >= 8) {
                c.controlPayload.append(data, take);
            } else {
                c.messageSize += take;
                if (c.message.size() < c.captureLimit)
                    c.message.append(
                        data, size_t(std::min<uint64_t>(take, c.captureLimit - c.message.size())));
            }
            data += take;
            size -= take;
            c.remaining -= take;
            if (c.remaining == 0)
                endFrame(c, now);
        }
    }

    void startFrame(Conn &c, uint64_t now)
    {
        const unsigned char *h = c.header;
        if (h[1] & 0x80)
            return closeConn(c, "the server sent a masked frame");
        uint64_t length = h[1] & 0x7f;
        if (length == 126)
            length = (uint64_t(h[2]) << 8) | h[3];
        else if (length == 127)
            for (int i = 0; i < 8; ++i)
                length = (i == 0 ? 0 : length << 8) | h[2 + i];
        c.frameOpcode = h[0] & 0x0f;
        c.frameFin = (h[0] & 0x80) != 0;
        if (c.frameOpcode >= 8) {
            c.controlPayload.clear();
        } else if (c.frameOpcode != 0) {
            c.messageOpcode = c.frameOpcode;
            c.messageCompressed = (h[0] & 0x40) != 0;
            c.messageSize = 0;
            c.message.clear();
        }
        c.headerHave = 0;
        c.headerNeed = 2;
        c.inPayload = true;
        c.remaining = length;
        if (length == 0)
            endFrame(c, now);
    }

    void endFrame(Conn &c, uint64_t now)
    {
        c.inPayload = false;
        if (c.frameOpcode == 8) {
            const std::string &p = c.controlPayload;
            m_closeReason = "WebSocket close from the server";
            if (p.size() >= 2) {
                m_closeReason += ", code ";
                m_closeReason += std::to_string((uint8_t(p[0]) << 8) | uint8_t(p[1]));
            }
            return closeConn(c, m_closeReason.c_str());
        }
        if (c.frameOpcode == 9) {
            std::string pong;
            pong += char(0x8a);
            pong += char(0x80 | c.controlPayload.size());
            pong.append(4, '\0'); // zero mask: the payload goes out as it is
            pong += c.controlPayload;
            return write(c, pong);
        }
        if (c.frameOpcode == 10 || !c.frameFin)
            return;
        onMessage(c, now);
    }

    void onMessage(Conn &c, uint64_t now)
    {
        if (c.index >= 0 && c.messageSize >= m_o.minFrame) {
            const bool broadcast = c.messageCompressed
                || (c.messageOpcode == 1
                    && std::string_view(c.message).substr(0, m_vmsPrefix.size()) == m_vmsPrefix);
            if (!broadcast) {
                ++m_unexpected;
                return;
            }
            const uint32_t k = c.broadcasts++;
            if (k < uint32_t(m_o.count)) {
                m_arrivals[size_t(c.index) * size_t(m_o.count) + k] = now;
                ++m_delivered;
            } else {
                ++m_extra;
            }
            m_lastFrameNs = now;
            m_wireBytes += c.messageSize;
            m_minFrame = std::min(m_minFrame, c.messageSize);
            m_maxFrame = std::max(m_maxFrame, c.messageSize);
            m_compressedFrames += c.messageCompressed ? 1 : 0;
            if (c.index == 0 && k == 0 && !m_o.dumpPath.empty()) {
                std::ofstream(m_o.dumpPath, std::ios::binary) << c.message;
                c.captureLimit = clientCaptureLimit();
            }
            return;
        }
        if (c.messageOpcode != 1)
            return;
        if (!c.messageCompressed)
            return onEngineIo(c, c.message);
        // A small compressed message (an Engine.IO ping, a CONNECT ack): inflatable on its own
        // when the server compresses each message with a fresh context.
        if (const std::optional<std::string> text = inflateMessage(c.message))
            return onEngineIo(c, *text);
        ++m_unreadable;
        if (c.state != State::Joined)
            fail("cannot inflate a compressed Engine.IO packet from the server (it keeps its "
                 "compression context "
                 "across messages: answer the offer with server_no_context_takeover)");
    }

    void onEngineIo(Conn &c, std::string_view packet)
    {
        if (packet.empty())
            return;
        const std::string &nsp = c.index < 0 ? m_o.controlNsp : m_o.nsp;
        switch (packet[0]) {
        case '0': // open: join the namespace
            if (c.index < 0)
                return sendText(c, "40" + nsp + ",");
            return sendText(c, "40" + nsp + ",{\"token\":\"" + m_token + "\"}");
        case '2':
            return sendText(c, "3");
        case '1':
            return closeConn(c, "Engine.IO close from the server");
        case '4':
            break;
        default:
            return;
        }
        const std::string_view sio = packet.substr(1);
        const std::string connectAck = "0" + nsp + ",";
        if (sio.rfind(connectAck, 0) == 0) {
            if (c.state != State::Joined) {
                c.state = State::Joined;
                --m_handshaking;
                if (c.index >= 0)
                    ++m_joined;
            }
        } else if (sio.rfind("4" + nsp, 0) == 0) {
            fail("CONNECT to %s refused: %.*s", nsp.c_str(), int(sio.size()), sio.data());
        } else if (sio.rfind("1" + nsp, 0) == 0) {
            closeConn(c, "disconnected from the namespace by the server");
        } else if (c.index < 0 && sio.rfind("2" + nsp + ",[\"sent\",", 0) == 0) {
            const uint64_t k = numberField(sio, "k");
            if (k < m_sentUs.size()) {
                m_sentUs[k] = numberField(sio, "t");
                m_callUs[k] = numberField(sio, "callUs");
                ++m_sentCount;
            }
        } else if (c.index < 0 && sio.rfind("3" + nsp + ",1[", 0) == 0) {
            if (sio.find("\"error\"") != std::string_view::npos)
                fail("the server refused the run: %.*s", int(sio.size()), sio.data());
            m_acked = true;
        }
    }

    uint64_t clientCaptureLimit() const
    {
        return std::max<uint64_t>(m_o.minFrame, m_vmsPrefix.size());
    }

    // RFC 7692 section 7.2.2: raw DEFLATE data plus the 00 00 ff ff tail the sender removed.
    std::optional<std::string> inflateMessage(const std::string &compressed)
    {
        if (!m_inflateReady) {
            if (inflateInit2(&m_inflate, -15) != Z_OK)
                fail("inflateInit2 failed");
            m_inflateReady = true;
        } else {
            inflateReset(&m_inflate);
        }
        std::string input = compressed;
        input.append("\x00\x00\xff\xff", 4);
        std::string output(std::max<size_t>(4096, input.size() * 8), '\0');
        m_inflate.next_in = reinterpret_cast<Bytef *>(input.data());
        m_inflate.avail_in = uInt(input.size());
        m_inflate.next_out = reinterpret_cast<Bytef *>(output.data());
        m_inflate.avail_out = uInt(output.size());
        const int status = ::inflate(&m_inflate, Z_SYNC_FLUSH);
        if ((status != Z_OK && status != Z_STREAM_END) || m_inflate.avail_in != 0)
            return std::nullopt;
        output.resize(output.size() - m_inflate.avail_out);
        return output;
    }

    // The value of "key": a number in a flat JSON object (the packet is a std::string's prefix,
    // so strtod stops at its end).
    static uint64_t numberField(std::string_view json, std::string_view key)
    {
        const size_t at = json.find("\"" + std::string(key) + "\":");
        if (at == std::string_view::npos)
            return UINT64_MAX;
        return uint64_t(std::strtod(json.data() + at + key.size() + 3, nullptr));
    }

    void closeConn(Conn &c, const char *why)
    {
        if (c.state == State::Closed)
            return;
        if (c.index < 0 && !m_acked)
            fail("control connection: %s", why);
        if (c.state != State::Joined)
            fail("client %d: %s before joining", c.index, why);
        if (m_closed++ == 0)
            std::fprintf(stderr, "jarvis-fanout: client %d: %s\n", c.index, why);
        c.state = State::Closed;
        epoll_ctl(m_epoll, EPOLL_CTL_DEL, c.fd, nullptr);
        ::close(c.fd);
    }

    uint64_t nextRandom()
    {
        m_random ^= m_random << 13;
        m_random ^= m_random >> 7;
        m_random ^= m_random << 17;
        return m_random;
    }

    Options m_o;
    std::string m_vmsPrefix;
    std::string m_token;
    int m_epoll = -1;
    sockaddr_in m_address {};
    uint64_t m_random = 1;
    std::unique_ptr<Conn> m_controlOwner;
    Conn *m_control = nullptr;
    std::vector<std::unique_ptr<Conn>> m_clients;
    int m_handshaking = 0;
    int m_joined = 0;
    int m_deflateNegotiated = 0;
    std::string m_extensionsAnswer;
    // the run
    std::vector<uint64_t> m_arrivals; // [client * count + k], CLOCK_MONOTONIC ns, 0 = missing
    std::vector<char> m_scratch;
    uint64_t m_triggerNs = 0;
    uint64_t m_lastFrameNs = 0;
    uint64_t m_endNs = 0;
    bool m_acked = false;
    bool m_aborted = false;
    size_t m_sentCount = 0;
    std::vector<uint64_t> m_sentUs;
    std::vector<uint64_t> m_callUs;
    uint64_t m_delivered = 0;
    uint64_t m_extra = 0;
    uint64_t m_unexpected = 0;
    uint64_t m_unreadable = 0;
    uint64_t m_compressedFrames = 0;
    uint64_t m_wireBytes = 0;
    uint64_t m_minFrame = UINT64_MAX;
    uint64_t m_maxFrame = 0;
    int m_closed = 0;
    std::string m_closeReason;
    z_stream m_inflate {};
    bool m_inflateReady = false;
};

void Generator::report(const ProcSample &idle, const ProcSample &joined, const ProcSample &before,
    const ProcSample &after, double selfRun, double selfTotal) const
{
    const size_t n = size_t(m_o.clients);
    const size_t count = size_t(m_o.count);
    std::vector<double> last, first, all;
    uint64_t lastArrival = 0;
    uint64_t firstSentUs = UINT64_MAX, lastSentUs = 0;
    std::vector<double> calls;
    for (size_t k = 0; k < count; ++k) {
        if (m_sentUs[k] == 0)
            continue; // an aborted run: never sent, or its `sent` never arrived
        firstSentUs = std::min(firstSentUs, m_sentUs[k]);
        lastSentUs = std::max(lastSentUs, m_sentUs[k]);
        calls.push_back(double(m_callUs[k]) / 1e3);
        const double sent = double(m_sentUs[k]) * 1e3;
        uint64_t lo = UINT64_MAX, hi = 0;
        for (size_t i = 0; i < n; ++i) {
            const uint64_t t = m_arrivals[i * count + k];
            if (t == 0)
                continue;
            lo = std::min(lo, t);
            hi = std::max(hi, t);
            all.push_back((double(t) - sent) / 1e6);
        }
        if (hi == 0)
            continue;
        first.push_back((double(lo) - sent) / 1e6);
        last.push_back((double(hi) - sent) / 1e6);
        lastArrival = std::max(lastArrival, hi);
    }
    const uint64_t missing = uint64_t(n) * count - m_delivered;
    const double lastMax = last.empty() ? 0 : *std::max_element(last.begin(), last.end());
    const double lastP50 = percentile(last, 50), lastP99 = percentile(last, 99);
    const double firstP50 = percentile(first, 50);
    const double allP50 = percentile(all, 50), allP99 = percentile(all, 99);
    const double callP50 = percentile(calls, 50), callMax = calls.empty() ? 0 : calls.back();
    const double scheduleS = lastSentUs > firstSentUs ? double(lastSentUs - firstSentUs) / 1e6 : 0;
    const double nominalS = double(m_sentCount - 1) / m_o.rateHz;
    const double serverCpu = after.cpuSeconds - before.cpuSeconds;
    // CPU per broadcast delivered to every client (an aborted run delivered only part of them).
    const double cpuPerBroadcastMs =
        m_delivered ? serverCpu * 1e3 * double(n) / double(m_delivered) : 0;
    const double rssPerConn = double(joined.rssKiB - idle.rssKiB) / double(n);
    const double runS = double((lastArrival ? lastArrival : m_endNs) - m_triggerNs) / 1e9;

    std::printf("jarvis-fanout %s: %zu clients, %zu broadcasts at %.4g Hz, deflate offered: %s, "
                "negotiated: %d/%zu (%s)\n",
        m_o.label.c_str(), n, count, m_o.rateHz, m_o.deflate ? "yes" : "no", m_deflateNegotiated, n,
        m_extensionsAnswer.empty() ? "no extension" : m_extensionsAnswer.c_str());
    std::printf("  frames: %" PRIu64 " received, %" PRIu64 " missing, %" PRIu64 " extra, %" PRIu64
                " compressed, %" PRIu64 " unexpected, %" PRIu64
                " unreadable, %d connections lost; message %" PRIu64 "..%" PRIu64
                " bytes on the wire, %.1f MB in all\n",
        m_delivered, missing, m_extra, m_compressedFrames, m_unexpected, m_unreadable, m_closed,
        m_minFrame == UINT64_MAX ? 0 : m_minFrame, m_maxFrame, double(m_wireBytes) / 1e6);
    std::printf("  latency to the last client ms: p50 %.1f  p99 %.1f  max %.1f   (first client p50 "
                "%.1f; all "
                "deliveries p50 %.1f p99 %.1f)\n",
        lastP50, lastP99, lastMax, firstP50, allP50, allP99);
    if (m_aborted)
        std::printf("  ABORTED: the server's RSS passed %ld MiB; figures cover what was delivered "
                    "until then\n",
            m_o.maxRssMiB);
    std::printf("  server: broadcast call p50 %.2f ms max %.2f ms; %zu sends took %.2f s (nominal "
                "%.2f s); run %.2f s\n",
        callP50, callMax, m_sentCount, scheduleS, nominalS, runS);
    if (after.ok) {
        std::printf("  server CPU %.2f s in the run (%.1f ms per broadcast); RSS idle %.1f MB, "
                    "with clients %.1f MB "
                    "(%.1f KiB per connection), after the run %.1f MB, peak %.1f MB\n",
            serverCpu, cpuPerBroadcastMs, idle.rssKiB / 1024.0, joined.rssKiB / 1024.0, rssPerConn,
            after.rssKiB / 1024.0, after.hwmKiB / 1024.0);
    }
    std::printf("  load generator CPU %.2f s in the run, %.2f s in all\n", selfRun, selfTotal);
    std::printf("RESULT "
                "{\"label\":\"%s\",\"aborted\":%s,\"sent\":%zu,\"clients\":%zu,\"count\":%zu,"
                "\"rateHz\":%g,\"deflateOffered\":%s,"
                "\"deflateNegotiated\":%d,\"extensions\":\"%s\",\"received\":%" PRIu64
                ",\"missing\":%" PRIu64 ",\"extra\":%" PRIu64 ",\"compressedFrames\":%" PRIu64
                ",\"unexpected\":%" PRIu64 ",\"lost\":%d,\"frameMin\":%" PRIu64
                ",\"frameMax\":%" PRIu64 ",\"lastP50Ms\":%.2f,\"lastP99Ms\":%.2f,"
                "\"lastMaxMs\":%.2f,\"firstP50Ms\":%.2f,\"allP50Ms\":%.2f,\"allP99Ms\":%.2f,"
                "\"callP50Ms\":%.3f,"
                "\"callMaxMs\":%.3f,\"scheduleS\":%.3f,\"runS\":%.3f,\"serverCpuS\":%.3f,"
                "\"cpuPerBroadcastMs\":%.3f,"
                "\"idleRssKiB\":%ld,\"clientsRssKiB\":%ld,\"afterRssKiB\":%ld,\"peakRssKiB\":%ld,"
                "\"rssPerConnKiB\":%.2f,\"generatorCpuRunS\":%.3f,\"generatorCpuTotalS\":%.3f}\n",
        jsonEscape(m_o.label).c_str(), m_aborted ? "true" : "false", m_sentCount, n, count,
        m_o.rateHz, m_o.deflate ? "true" : "false", m_deflateNegotiated,
        jsonEscape(m_extensionsAnswer).c_str(), m_delivered, missing, m_extra, m_compressedFrames,
        m_unexpected, m_closed, m_minFrame == UINT64_MAX ? 0 : m_minFrame, m_maxFrame, lastP50,
        lastP99, lastMax, firstP50, allP50, allP99, callP50, callMax, scheduleS, runS, serverCpu,
        cpuPerBroadcastMs, idle.rssKiB, joined.rssKiB, after.rssKiB, after.hwmKiB, rssPerConn,
        selfRun, selfTotal);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    const Options options = parseOptions(argc, argv);
    Generator generator(options);

    const ProcSample idle = sampleProcess(options.serverPid);
    generator.connectControl();
    generator.connectClients();
    generator.settle(options.settleSeconds);
    const ProcSample joined = sampleProcess(options.serverPid);

    const double selfBefore = selfCpuSeconds();
    const ProcSample before = sampleProcess(options.serverPid);
    generator.run();
    const ProcSample after = sampleProcess(options.serverPid);
    const double selfAfter = selfCpuSeconds();

    generator.report(idle, joined, before, after, selfAfter - selfBefore, selfAfter);
    return 0;
}
