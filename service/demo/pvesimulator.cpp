#include "demo/pvesimulator.h"

#include "demo/jsonwriter.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QHttpServerRequest>
#include <QLocale>
#include <QLoggingCategory>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrlQuery>

Q_LOGGING_CATEGORY(lcDemo, "jarvis.demo")

namespace jarvis::demo {

namespace {

const QString ApiPrefix = QStringLiteral("/api2/json");

QByteArray methodName(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get:
        return "GET";
    case QHttpServerRequest::Method::Post:
        return "POST";
    case QHttpServerRequest::Method::Put:
        return "PUT";
    case QHttpServerRequest::Method::Delete:
        return "DELETE";
    case QHttpServerRequest::Method::Patch:
        return "PATCH";
    case QHttpServerRequest::Method::Head:
        return "HEAD";
    case QHttpServerRequest::Method::Options:
        return "OPTIONS";
    default:
        return "UNKNOWN";
    }
}

QByteArray standardReason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    default:
        return "Unknown";
    }
}

// pveproxy sends the first line of the error as the reason phrase.
QByteArray reasonLine(const QString &reason, int status)
{
    QByteArray line = reason.section(QLatin1Char('\n'), 0, 0).toUtf8();
    for (char &c : line) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
            c = ' ';
    }
    return line.trimmed().isEmpty() ? standardReason(status) : line;
}

QByteArray httpDate()
{
    return QLocale::c()
        .toString(
            QDateTime::currentDateTimeUtc(), QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"))
        .toLatin1();
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    const qsizetype n = std::max(a.size(), b.size());
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (qsizetype i = 0; i < n; ++i) {
        const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff |= x ^ y;
    }
    return diff == 0;
}

// "user@realm!token" -> {"user@realm", "token"}; nullopt when it is not a token ID.
std::optional<std::pair<QString, QString>> splitTokenId(const QString &tokenId)
{
    static const QRegularExpression re(
        QStringLiteral("^([^\\s:/]+@[A-Za-z][A-Za-z0-9\\.\\-_]+)!([A-Za-z][A-Za-z0-9\\.\\-_]+)$"));
    const QRegularExpressionMatch m = re.match(tokenId);
    if (!m.hasMatch())
        return std::nullopt;
    return std::make_pair(m.captured(1), m.captured(2));
}

std::optional<bool> parseBoolean(const QString &text)
{
    const QString v = text.trimmed().toLower();
    if (v == QLatin1String("1") || v == QLatin1String("on") || v == QLatin1String("yes")
        || v == QLatin1String("true"))
        return true;
    if (v == QLatin1String("0") || v == QLatin1String("off") || v == QLatin1String("no")
        || v == QLatin1String("false"))
        return false;
    return std::nullopt;
}

} // namespace

// One request, as routed: everything a deferred answer needs, copied out of the QtHttpServer
// request object (which the server reuses for the connection's next request).
struct PveSimulator::Call
{
    QByteArray method;
    QString path; // below /api2/json, percent-decoded, e.g. "/nodes/pve1/status"
    QUrlQuery query;
    QByteArray authorization;
    QString endpoint = QString::fromLatin1(endpoint::Other);
    bool api = false; // under /api2/json
    bool methodOk = false; // a known route with the right method
    QString node;
    QString kind;
    QString vmid;
    QString action;
    QString upid;
    QString user;
};

PveSimulator::PveSimulator(QObject *parent)
    : PveSimulator(Options(), parent)
{ }

PveSimulator::PveSimulator(const Options &options, QObject *parent)
    : QAbstractHttpServer(parent)
    , m_options(options)
    , m_cluster(options.cluster)
{ }

PveSimulator::~PveSimulator() = default;

quint16 PveSimulator::listen(
    const QHostAddress &address, quint16 port, const std::optional<QSslConfiguration> &ssl)
{
    QTcpServer *server = nullptr;
    if (ssl) {
        if (ssl->localCertificate().isNull() || ssl->privateKey().isNull()) {
            m_error = QStringLiteral("the TLS configuration has no certificate or no private key");
            qCWarning(lcDemo) << "PVE simulator not started:" << m_error;
            return 0;
        }
        auto *sslServer = new QSslServer(this);
        sslServer->setSslConfiguration(*ssl);
        server = sslServer;
    } else {
        server = new QTcpServer(this);
    }
    if (!server->listen(address, port)) {
        m_error = server->errorString();
        qCWarning(lcDemo) << "PVE simulator cannot listen on" << address << port << ":" << m_error;
        delete server;
        return 0;
    }
    bind(server);
    m_port = server->serverPort();
    m_address = address;
    m_tls = ssl.has_value();
    if (m_tls) {
        m_fingerprint = QString::fromLatin1(
            ssl->localCertificate().digest(QCryptographicHash::Sha256).toHex(':').toUpper());
        m_cluster.setSslFingerprint(m_fingerprint);
    }
    m_error.clear();
    qCInfo(lcDemo).noquote() << "PVE simulator listening on" << baseUrl().toString() << "with"
                             << m_cluster.nodeNames().size() << "nodes and"
                             << m_cluster.guestCount() << "guests";
    return m_port;
}

QUrl PveSimulator::baseUrl() const
{
    QUrl url;
    url.setScheme(m_tls ? QStringLiteral("https") : QStringLiteral("http"));
    const bool any =
        m_address == QHostAddress::Any || m_address == QHostAddress::AnyIPv4 || m_address.isNull();
    url.setHost(any ? QStringLiteral("127.0.0.1") : m_address.toString());
    url.setPort(m_port);
    return url;
}

QString PveSimulator::sslFingerprint() const
{
    return m_fingerprint;
}

QString PveSimulator::authorizationHeader() const
{
    return QStringLiteral("PVEAPIToken=%1=%2").arg(m_options.tokenId, m_options.tokenSecret);
}

int PveSimulator::injectFault(const FaultRule &rule)
{
    const int id = m_nextRuleId++;
    m_rules.append({id, rule});
    qCInfo(lcDemo).noquote() << "fault" << id << "injected:" << rule.fault.kind << "on"
                             << (rule.endpoint.isEmpty() ? QStringLiteral("any endpoint")
                                                         : rule.endpoint)
                             << (rule.node.isEmpty() ? QString()
                                                     : QStringLiteral("node ") + rule.node)
                             << rule.path.pattern();
    return id;
}

void PveSimulator::removeFault(int id)
{
    m_rules.removeIf([id](const Rule &r) { return r.id == id; });
}

void PveSimulator::clearFaults()
{
    m_rules.clear();
}

int PveSimulator::pendingHangs() const
{
    m_hung.removeIf([](const QPointer<QTcpSocket> &s) {
        return !s || s->state() != QAbstractSocket::ConnectedState;
    });
    return int(m_hung.size());
}

void PveSimulator::resetRequestCounts()
{
    m_counts.clear();
    m_total = 0;
}

bool PveSimulator::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    Call call;
    call.method = methodName(request.method());
    call.authorization = request.value(QByteArrayLiteral("authorization"));
    call.query = QUrlQuery(request.url());
    const QString fullPath = request.url().path(QUrl::FullyEncoded);
    if (fullPath == ApiPrefix || fullPath.startsWith(ApiPrefix + QLatin1Char('/'))) {
        call.api = true;
        QStringList segments;
        const QStringList raw =
            fullPath.mid(ApiPrefix.size()).split(QLatin1Char('/'), Qt::SkipEmptyParts);
        for (const QString &s : raw)
            segments.append(QUrl::fromPercentEncoding(s.toUtf8()));
        call.path = QLatin1Char('/') + segments.join(QLatin1Char('/'));
        const qsizetype n = segments.size();
        const auto at = [&](qsizetype i, const char *text) {
            return segments[i] == QLatin1String(text);
        };
        const auto route = [&](const char *key, const char *method) {
            call.endpoint = QString::fromLatin1(key);
            call.methodOk = call.method == method;
        };
        if (n == 1 && at(0, "version")) {
            route(endpoint::Version, "GET");
        } else if (n == 2 && at(0, "cluster") && at(1, "resources")) {
            route(endpoint::ClusterResources, "GET");
        } else if (n == 2 && at(0, "cluster") && at(1, "status")) {
            route(endpoint::ClusterStatus, "GET");
        } else if (n == 1 && at(0, "nodes")) {
            route(endpoint::Nodes, "GET");
        } else if (n >= 3 && at(0, "nodes")) {
            call.node = segments[1];
            if (n == 3 && at(2, "status")) {
                route(endpoint::NodeStatus, "GET");
            } else if (n == 3 && at(2, "rrddata")) {
                route(endpoint::RrdData, "GET");
            } else if (n == 5 && guestKindFromPath(segments[2]) && at(4, "rrddata")) {
                call.kind = segments[2];
                call.vmid = segments[3];
                route(endpoint::RrdData, "GET");
            } else if (n == 3 && at(2, "tasks")) {
                route(endpoint::Tasks, "GET");
            } else if (n == 5 && at(2, "tasks") && at(4, "status")) {
                call.upid = segments[3];
                route(endpoint::TaskStatus, "GET");
            } else if (n == 6 && guestKindFromPath(segments[2]) && at(4, "status")
                && powerActionFromPath(segments[5])) {
                call.kind = segments[2];
                call.vmid = segments[3];
                call.action = segments[5];
                route(endpoint::Power, "POST");
            }
        }
    }

    ++m_total;
    ++m_counts[call.endpoint];
    qCDebug(lcDemo).noquote() << call.method << fullPath << "->" << call.endpoint;

    if (!call.api) { // pveproxy answers paths outside the API like this, before authentication
        write(socket, call, 501, QStringLiteral("no such uri"), "no such uri");
        return true;
    }
    const QString authError = authenticate(call.authorization, &call.user);
    if (!authError.isEmpty()) {
        later(m_options.unauthorizedDelayMs, socket,
            [this, call, authError](QTcpSocket *s) { write(s, call, 401, authError, {}); });
        return true;
    }
    if (const std::optional<Fault> fault = takeFault(call)) {
        applyFault(call, *fault, socket);
        return true;
    }
    dispatch(call, socket);
    return true;
}

void PveSimulator::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket)
{
    Call call;
    call.method = methodName(request.method());
    write(socket, call, 501, QStringLiteral("no such uri"), "no such uri");
}

QString PveSimulator::authenticate(const QByteArray &authorization, QString *user) const
{
    // pveproxy takes an API token only when no ticket came; without either it says "No ticket".
    static const QRegularExpression header(QStringLiteral("(?:^|\\s)PVEAPIToken(?:=| )([^;]*)"));
    const QRegularExpressionMatch m = header.match(QString::fromLatin1(authorization));
    const QString token =
        m.hasMatch() ? QUrl::fromPercentEncoding(m.captured(1).toLatin1()) : QString();
    if (token.isEmpty())
        return QStringLiteral("No ticket");
    const qsizetype eq = token.lastIndexOf(QLatin1Char('='));
    if (eq < 0)
        return QStringLiteral("no tokenid specified");
    const QString tokenId = token.left(eq);
    const QByteArray secret = token.mid(eq + 1).toUtf8();
    const auto given = splitTokenId(tokenId);
    if (!given)
        return QStringLiteral(
            "'%1' is not a valid token ID - not able to split into user and token parts")
            .arg(tokenId);
    const auto configured = splitTokenId(m_options.tokenId);
    if (!configured || given->first != configured->first)
        return QStringLiteral("no such user ('%1')").arg(given->first);
    if (given->second != configured->second)
        return QStringLiteral("no such token '%1' for user '%2'").arg(given->second, given->first);
    if (!constantTimeEquals(secret, m_options.tokenSecret.toUtf8()))
        return QStringLiteral("invalid token value!");
    *user = tokenId;
    return {};
}

std::optional<Fault> PveSimulator::takeFault(const Call &call)
{
    for (auto it = m_rules.begin(); it != m_rules.end(); ++it) {
        const FaultRule &rule = it->rule;
        if (!rule.endpoint.isEmpty() && rule.endpoint != call.endpoint
            && !(call.endpoint == QLatin1String(endpoint::Power)
                && rule.endpoint == QLatin1String("status/") + call.action)) {
            continue;
        }
        if (!rule.node.isEmpty() && rule.node != call.node)
            continue;
        if (!rule.path.pattern().isEmpty() && !rule.path.match(call.path).hasMatch())
            continue;
        const Fault fault = rule.fault;
        if (it->rule.count > 0 && --it->rule.count == 0)
            m_rules.erase(it);
        return fault;
    }
    return std::nullopt;
}

void PveSimulator::applyFault(const Call &call, const Fault &fault, QTcpSocket *socket)
{
    qCDebug(lcDemo).noquote() << "fault" << fault.kind << "for" << call.method << call.path;
    if (fault.kind == Fault::Kind::Hang) {
        m_hung.append(socket); // guarded: QtHttpServer deletes the socket when the client leaves
        return;
    }
    later(fault.delayMs, socket, [this, call, fault](QTcpSocket *s) {
        const QString message = fault.message;
        switch (fault.kind) {
        case Fault::Kind::ServerError:
            writeAnswer(s, call,
                ApiAnswer::error(
                    500, message.isEmpty() ? QStringLiteral("simulated server error") : message));
            break;
        case Fault::Kind::NodeUnreachable:
            write(
                s, call, 595, message.isEmpty() ? QStringLiteral("No route to host") : message, {});
            break;
        case Fault::Kind::ConnectionTimeout:
            write(s, call, 596,
                message.isEmpty() ? QStringLiteral("Connection timed out") : message, {});
            break;
        case Fault::Kind::Unauthorized:
            write(s, call, 401,
                message.isEmpty() ? QStringLiteral("invalid token value!") : message, {});
            break;
        case Fault::Kind::Garbage:
            write(s, call, 200, {},
                "<html><body><h1>502 Bad Gateway</h1></body></html>\n\x01garbage");
            break;
        case Fault::Kind::WrongShape: {
            const QString e = call.endpoint;
            QByteArray body;
            if (e == QLatin1String(endpoint::ClusterResources)
                || e == QLatin1String(endpoint::ClusterStatus)
                || e == QLatin1String(endpoint::Nodes) || e == QLatin1String(endpoint::Tasks)) {
                body = R"({"data":{"unexpected":"an object where a list belongs","count":"3"}})";
            } else if (e == QLatin1String(endpoint::Power)) {
                body = R"({"data":{"upid":null}})";
            } else {
                body = R"({"data":[{"unexpected":"a list where an object belongs"}]})";
            }
            write(s, call, 200, {}, body);
            break;
        }
        case Fault::Kind::Truncated: {
            const ApiAnswer real = answer(call);
            QByteArray body = "{\"data\":" + real.data + '}';
            body.truncate(std::max<qsizetype>(1, body.size() / 2));
            write(s, call, 200, {}, body);
            break;
        }
        case Fault::Kind::Slow:
            dispatch(call, s);
            break;
        case Fault::Kind::Hang:
            break;
        }
    });
}

void PveSimulator::dispatch(const Call &call, QTcpSocket *socket)
{
    writeAnswer(socket, call, answer(call));
}

ApiAnswer PveSimulator::answer(const Call &call)
{
    if (!call.methodOk) {
        return ApiAnswer::error(501,
            QStringLiteral("Method '%1 %2' not implemented")
                .arg(QString::fromLatin1(call.method), call.path));
    }
    const QString &e = call.endpoint;
    if (e == QLatin1String(endpoint::Version))
        return m_cluster.version();
    if (e == QLatin1String(endpoint::ClusterResources))
        return m_cluster.clusterResources(
            call.query.queryItemValue(QStringLiteral("type"), QUrl::FullyDecoded));
    if (e == QLatin1String(endpoint::ClusterStatus))
        return m_cluster.clusterStatus();
    if (e == QLatin1String(endpoint::Nodes))
        return m_cluster.nodes();

    // Node-scoped calls: pveproxy forwards them to the node, which may not exist or be reachable.
    if (!m_cluster.hasNode(call.node)) {
        return ApiAnswer::error(500,
            QStringLiteral("hostname lookup '%1' failed - failed to get address info for: %1: "
                           "Name or service not known")
                .arg(call.node));
    }
    if (!m_cluster.isNodeOnline(call.node))
        return ApiAnswer::error(595, QStringLiteral("No route to host"));

    if (e == QLatin1String(endpoint::NodeStatus))
        return m_cluster.nodeStatus(call.node);
    if (e == QLatin1String(endpoint::RrdData)) {
        const auto item = [&](const char *name) {
            return call.query.queryItemValue(QString::fromLatin1(name), QUrl::FullyDecoded);
        };
        return m_cluster.rrdData(call.node,
            call.kind.isEmpty() ? std::nullopt : guestKindFromPath(call.kind), call.vmid,
            item("timeframe"), item("cf"));
    }
    if (e == QLatin1String(endpoint::Power)) {
        return m_cluster.power(call.node, *guestKindFromPath(call.kind), call.vmid,
            *powerActionFromPath(call.action), call.user);
    }
    if (e == QLatin1String(endpoint::TaskStatus))
        return m_cluster.taskStatus(call.node, call.upid);
    if (e == QLatin1String(endpoint::Tasks)) {
        TaskQuery query;
        const auto item = [&](const char *name) {
            return call.query.queryItemValue(QString::fromLatin1(name), QUrl::FullyDecoded);
        };
        const auto integer = [&](const char *name, int minimum,
                                 int *out) -> std::optional<ApiAnswer> {
            if (!call.query.hasQueryItem(QString::fromLatin1(name)))
                return std::nullopt;
            bool ok = false;
            const QString text = item(name);
            const int value = text.trimmed().toInt(&ok);
            if (!ok)
                return ApiAnswer::parameterError(QString::fromLatin1(name),
                    QStringLiteral("type check ('integer') failed - got '%1'").arg(text));
            if (value < minimum)
                return ApiAnswer::parameterError(QString::fromLatin1(name),
                    QStringLiteral("value must have a minimum value of %1").arg(minimum));
            *out = value;
            return std::nullopt;
        };
        if (auto bad = integer("start", 0, &query.start))
            return *bad;
        if (auto bad = integer("limit", 0, &query.limit))
            return *bad;
        if (auto bad = integer("vmid", 100, &query.vmid))
            return *bad;
        if (call.query.hasQueryItem(QStringLiteral("errors"))) {
            const std::optional<bool> errors = parseBoolean(item("errors"));
            if (!errors)
                return ApiAnswer::parameterError(QStringLiteral("errors"),
                    QStringLiteral("type check ('boolean') failed - got '%1'").arg(item("errors")));
            query.errors = *errors;
        }
        if (call.query.hasQueryItem(QStringLiteral("source"))) {
            query.source = item("source");
            if (query.source != QLatin1String("archive") && query.source != QLatin1String("active")
                && query.source != QLatin1String("all")) {
                return ApiAnswer::parameterError(QStringLiteral("source"),
                    QStringLiteral("value '%1' does not have a value in the enumeration 'archive, "
                                   "active, all'")
                        .arg(query.source));
            }
        }
        query.typeFilter = item("typefilter");
        return m_cluster.tasks(call.node, query);
    }
    return ApiAnswer::error(501,
        QStringLiteral("Method '%1 %2' not implemented")
            .arg(QString::fromLatin1(call.method), call.path));
}

void PveSimulator::writeAnswer(QTcpSocket *socket, const Call &call, const ApiAnswer &answer)
{
    if (answer.status == 401 || answer.status == 595 || answer.status == 596) {
        write(socket, call, answer.status, answer.message, {}); // no body, as pveproxy sends them
        return;
    }
    JsonWriter w(answer.data.size() + 128);
    w.beginObject();
    if (!answer.errors.isEmpty()) {
        w.key("errors");
        w.beginObject();
        for (const auto &error : answer.errors) {
            const QByteArray name = error.first.toUtf8();
            w.key(std::string_view(name.constData(), size_t(name.size())));
            w.value(error.second);
        }
        w.endObject();
    }
    if (answer.status == 200) {
        w.key("data");
        w.raw(answer.data);
        if (answer.total >= 0)
            w.field("total", answer.total);
    } else {
        w.key("data");
        w.null();
        w.field("message", answer.message + QLatin1Char('\n'));
    }
    w.endObject();
    write(socket, call, answer.status, answer.status == 200 ? QString() : answer.message, w.take());
}

void PveSimulator::write(
    QTcpSocket *socket, const Call &call, int status, const QString &reason, const QByteArray &body)
{
    if (!socket || socket->state() != QAbstractSocket::ConnectedState) {
        qCDebug(lcDemo).noquote() << "client left before the answer to" << call.method << call.path;
        return;
    }
    const bool keepAlive = status < 400; // pveproxy closes the connection after every error
    const QByteArray date = httpDate();
    QByteArray out;
    out.reserve(body.size() + 320);
    out += "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonLine(reason, status) + "\r\n";
    out += "Cache-Control: max-age=0\r\n";
    out += keepAlive ? "Connection: Keep-Alive\r\n" : "Connection: close\r\n";
    out += "Date: " + date + "\r\n";
    out += "Pragma: no-cache\r\n";
    out += "Server: pve-api-daemon/3.0\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    if (!body.isEmpty())
        out += status == 501 && !call.api ? "Content-Type: text/plain\r\n"
                                          : "Content-Type: application/json;charset=UTF-8\r\n";
    out += "Expires: " + date + "\r\n\r\n";
    out += body;
    socket->write(out);
    if (!keepAlive)
        socket->disconnectFromHost();
    Q_EMIT requestHandled(call.endpoint, status);
}

void PveSimulator::later(int delayMs, QTcpSocket *socket, std::function<void(QTcpSocket *)> then)
{
    if (delayMs <= 0) {
        then(socket);
        return;
    }
    ++m_held;
    ++m_delayed;
    QTimer::singleShot(
        delayMs, this, [this, socket = QPointer<QTcpSocket>(socket), then = std::move(then)] {
            --m_held;
            if (socket && socket->state() == QAbstractSocket::ConnectedState)
                then(socket);
        });
}

} // namespace jarvis::demo
