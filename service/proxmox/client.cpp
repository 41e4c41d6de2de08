#include "proxmox/client.h"

#include "proxmox/pvereader.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSslConfiguration>
#include <QSslError>

#include <algorithm>

Q_LOGGING_CATEGORY(lcProxmox, "jarvis.proxmox")

namespace jarvis::proxmox {

namespace {
constexpr qsizetype MaxResponseBytes = 64 * 1024 * 1024;

bool isConnectionLevel(QNetworkReply::NetworkError error)
{
    switch (error) {
    case QNetworkReply::ConnectionRefusedError:
    case QNetworkReply::HostNotFoundError:
    case QNetworkReply::SslHandshakeFailedError:
    case QNetworkReply::NetworkSessionFailedError:
    case QNetworkReply::TemporaryNetworkFailureError:
    case QNetworkReply::UnknownNetworkError:
        return true;
    default:
        return false;
    }
}

QString firstLine(const QString &text)
{
    return text.section(QLatin1Char('\n'), 0, 0).trimmed();
}
} // namespace

QString Error::kindName(Kind kind)
{
    switch (kind) {
    case Kind::None:
        return QStringLiteral("none");
    case Kind::Network:
        return QStringLiteral("network");
    case Kind::Timeout:
        return QStringLiteral("timeout");
    case Kind::Tls:
        return QStringLiteral("tls");
    case Kind::Unauthorized:
        return QStringLiteral("unauthorized");
    case Kind::BadRequest:
        return QStringLiteral("bad request");
    case Kind::Server:
        return QStringLiteral("server error");
    case Kind::NodeUnreachable:
        return QStringLiteral("node unreachable");
    case Kind::BadResponse:
        return QStringLiteral("bad response");
    case Kind::NotConfigured:
        return QStringLiteral("not configured");
    }
    return {};
}

QByteArray parseFingerprint(const QString &text)
{
    QString hex = text.trimmed();
    hex.remove(QLatin1Char(':'));
    if (hex.size() != 64)
        return {};
    for (const QChar c : std::as_const(hex)) {
        if (!c.isDigit() && !(c.toLower() >= QLatin1Char('a') && c.toLower() <= QLatin1Char('f')))
            return {};
    }
    return QByteArray::fromHex(hex.toLatin1());
}

// One logical request: its method, path and body, the callback, and which nodes were tried.
struct Client::Call
{
    QByteArray method;
    QString path;
    QByteArray body;
    bool idempotent = true;
    QPointer<const QObject> context;
    bool hasContext = false;
    JsonCallback done;
    // Set by getRaw(): a 2xx body goes here instead of through QJsonDocument; false (with the
    // reason) makes it a BadResponse like unparsable JSON. `done` then gets an undefined value.
    RawParser parseBody;
    QList<int> order; // node indexes still to try
    Error lastError;
    QString endpoint; // endpointTemplate(path), for requestFinished
};

Client::Client(ClientOptions options, QList<ApiNode> nodes, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_nam(new QNetworkAccessManager(this))
{
    m_nam->setAutoDeleteReplies(true);
    m_nam->setTransferTimeout(m_options.transferTimeoutMs);
    m_nam->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    for (ApiNode &node : nodes) {
        NodeState state;
        state.api = std::move(node);
        m_nodes.append(std::move(state));
    }
    if (m_options.insecure)
        qCWarning(lcProxmox)
            << "TLS verification of the Proxmox API is OFF (proxmox/insecure=true): "
               "anyone on the network path can impersonate the cluster";
}

Client::~Client() = default;

QStringList Client::nodeNames() const
{
    QStringList names;
    for (const NodeState &n : m_nodes)
        names.append(n.api.name);
    return names;
}

int Client::inFlight(const QString &node) const
{
    for (const NodeState &n : m_nodes) {
        if (n.api.name == node)
            return n.inFlight;
    }
    return 0;
}

bool Client::isReachable() const
{
    for (const NodeState &n : m_nodes) {
        if (n.healthy)
            return true;
    }
    return false;
}

QList<int> Client::candidates() const
{
    // Healthy nodes first, in configuration order; then nodes in backoff whose time has come;
    // then the rest by when they may be retried (so a call is never refused outright).
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QList<int> ready;
    QList<int> waiting;
    for (int i = 0; i < m_nodes.size(); ++i) {
        const NodeState &n = m_nodes.at(i);
        if (n.healthy || n.retryAtMs <= now)
            ready.append(i);
        else
            waiting.append(i);
    }
    std::sort(waiting.begin(), waiting.end(),
        [this](int a, int b) { return m_nodes.at(a).retryAtMs < m_nodes.at(b).retryAtMs; });
    return ready + waiting;
}

QNetworkRequest Client::request(const NodeState &node, const QString &path) const
{
    QUrl url = node.api.apiUrl;
    QString base = url.path();
    if (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    const qsizetype q = path.indexOf(QLatin1Char('?'));
    url.setPath(
        base + QStringLiteral("/api2/json") + (q < 0 ? path : path.left(q)), QUrl::TolerantMode);
    if (q >= 0)
        url.setQuery(path.mid(q + 1));
    QNetworkRequest req(url);
    req.setRawHeader("Authorization",
        "PVEAPIToken=" + m_options.tokenId.toUtf8() + '=' + m_options.tokenSecret.toUtf8());
    req.setRawHeader("Accept", "application/json");
    req.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    if (url.scheme() == QLatin1String("https")) {
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        if (!m_options.caCertificates.isEmpty())
            ssl.setCaCertificates(m_options.caCertificates);
        if (m_options.insecure)
            ssl.setPeerVerifyMode(QSslSocket::VerifyNone);
        req.setSslConfiguration(ssl);
    }
    return req;
}

void Client::get(const QString &path, const QObject *context, JsonCallback done)
{
    auto call = std::make_shared<Call>();
    call->method = "GET";
    call->path = path;
    call->context = context;
    call->hasContext = context != nullptr;
    call->done = std::move(done);
    start(call);
}

void Client::getRaw(const QString &path, const QObject *context, RawParser parse, JsonCallback done)
{
    auto call = std::make_shared<Call>();
    call->method = "GET";
    call->path = path;
    call->context = context;
    call->hasContext = context != nullptr;
    call->parseBody = std::move(parse);
    call->done = std::move(done);
    start(call);
}

void Client::post(
    const QString &path, const QUrlQuery &form, const QObject *context, JsonCallback done)
{
    auto call = std::make_shared<Call>();
    call->method = "POST";
    call->path = path;
    call->body = form.query(QUrl::FullyEncoded).toUtf8();
    call->idempotent = false;
    call->context = context;
    call->hasContext = context != nullptr;
    call->done = std::move(done);
    start(call);
}

void Client::start(const std::shared_ptr<Call> &call)
{
    if (m_nodes.isEmpty()) {
        Error e {
            Error::Kind::NotConfigured, 0, QStringLiteral("no Proxmox node is configured"), {}, {}};
        QMetaObject::invokeMethod(
            this,
            [call, e] {
                if (!call->hasContext || call->context)
                    call->done(Result<QJsonValue>::failure(e));
            },
            Qt::QueuedConnection);
        return;
    }
    call->endpoint = endpointTemplate(call->path);
    call->order = candidates();
    const int first = call->order.takeFirst();
    send(call, first);
}

void Client::send(const std::shared_ptr<Call> &call, int nodeIndex)
{
    NodeState &node = m_nodes[nodeIndex];
    if (node.inFlight >= m_options.maxInFlightPerNode) {
        node.queue.push_back([this, call, nodeIndex] { send(call, nodeIndex); });
        return;
    }
    ++node.inFlight;
    QNetworkRequest req = request(node, call->path);
    QNetworkReply *reply = nullptr;
    if (call->method == "POST") {
        req.setHeader(QNetworkRequest::ContentTypeHeader,
            QByteArrayLiteral("application/x-www-form-urlencoded"));
        reply = m_nam->post(req, call->body);
    } else {
        reply = m_nam->get(req);
    }
    const QByteArray pin = node.api.fingerprint;
    const bool insecure = m_options.insecure;
    auto pinMismatch = std::make_shared<bool>(false);
    auto checkPin = [reply, pin, pinMismatch]() -> bool {
        if (pin.isEmpty())
            return true;
        const QSslCertificate peer = reply->sslConfiguration().peerCertificate();
        if (!peer.isNull() && peer.digest(QCryptographicHash::Sha256) == pin)
            return true;
        *pinMismatch = true;
        return false;
    };
    connect(reply, &QNetworkReply::sslErrors, reply,
        [reply, checkPin, pin, insecure](const QList<QSslError> &errors) {
            if (insecure || (!pin.isEmpty() && checkPin()))
                reply->ignoreSslErrors(errors);
        });
    connect(reply, &QNetworkReply::encrypted, reply, [reply, checkPin] {
        if (!checkPin())
            reply->abort();
    });
    connect(reply, &QNetworkReply::downloadProgress, reply, [reply](qint64 received, qint64) {
        if (received > MaxResponseBytes)
            reply->abort();
    });
    QElapsedTimer sent;
    sent.start();
    connect(
        reply, &QNetworkReply::finished, this, [this, call, nodeIndex, reply, pinMismatch, sent] {
            if (*pinMismatch)
                reply->setProperty("_jarvis_pin_mismatch", true);
            Q_EMIT requestFinished(call->endpoint,
                reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(),
                double(sent.nsecsElapsed()) / 1e9);
            finished(call, nodeIndex, reply);
        });
}

void Client::release(int nodeIndex)
{
    NodeState &node = m_nodes[nodeIndex];
    --node.inFlight;
    if (!node.queue.empty() && node.inFlight < m_options.maxInFlightPerNode) {
        auto next = std::move(node.queue.front());
        node.queue.pop_front();
        next();
    }
}

void Client::finished(const std::shared_ptr<Call> &call, int nodeIndex, QNetworkReply *reply)
{
    const QString nodeName = m_nodes.at(nodeIndex).api.name;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QString reason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
    const QNetworkReply::NetworkError netError = reply->error();
    const QByteArray body = reply->readAll();

    Error error;
    error.node = nodeName;
    error.httpStatus = status;
    QJsonValue data;
    bool failover = false;

    if (reply->property("_jarvis_pin_mismatch").toBool()) {
        error.kind = Error::Kind::Tls;
        error.message =
            QStringLiteral("TLS certificate of %1 does not match the pinned SHA-256 fingerprint")
                .arg(nodeName);
        failover = true;
    } else if (status == 0) {
        // No HTTP answer at all.
        failover = call->idempotent || isConnectionLevel(netError);
        if (netError == QNetworkReply::OperationCanceledError
            || netError == QNetworkReply::TimeoutError) {
            error.kind = Error::Kind::Timeout;
            error.message = QStringLiteral("no answer from %1 within %2 ms")
                                .arg(nodeName)
                                .arg(m_options.transferTimeoutMs);
        } else if (netError == QNetworkReply::SslHandshakeFailedError) {
            error.kind = Error::Kind::Tls;
            error.message = QStringLiteral("TLS handshake with %1 failed: %2")
                                .arg(nodeName, reply->errorString());
            failover = true;
        } else {
            error.kind = Error::Kind::Network;
            error.message =
                QStringLiteral("cannot reach %1: %2").arg(nodeName, reply->errorString());
        }
    } else if (call->parseBody && status >= 200 && status < 300) {
        QString why;
        if (!call->parseBody(body, &why)) {
            error.kind = Error::Kind::BadResponse;
            error.message =
                QStringLiteral("invalid answer from %1 for %2: %3").arg(nodeName, call->path, why);
            failover = call->idempotent;
        }
    } else {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
        const QJsonObject object = doc.object();
        const QString pveMessage = firstLine(object.value(QStringLiteral("message")).toString());
        error.errors = object.value(QStringLiteral("errors")).toObject();
        if (status >= 200 && status < 300) {
            if (parseError.error != QJsonParseError::NoError || !doc.isObject()
                || !object.contains(QStringLiteral("data"))) {
                error.kind = Error::Kind::BadResponse;
                error.message = QStringLiteral("invalid answer from %1 for %2: %3")
                                    .arg(nodeName, call->path,
                                        parseError.error != QJsonParseError::NoError
                                            ? parseError.errorString()
                                            : QStringLiteral("no \"data\" member"));
                failover = call->idempotent;
            } else {
                data = object.value(QStringLiteral("data"));
            }
        } else {
            QString detail = pveMessage.isEmpty() ? reason : pveMessage;
            if (detail.isEmpty())
                detail = reply->errorString();
            if (!error.errors.isEmpty()) {
                QStringList parts;
                for (auto it = error.errors.begin(); it != error.errors.end(); ++it)
                    parts.append(
                        it.key() + QStringLiteral(": ") + firstLine(it.value().toString()));
                detail +=
                    QStringLiteral(" (") + parts.join(QStringLiteral("; ")) + QLatin1Char(')');
            }
            if (status == 401 || status == 403) {
                error.kind = Error::Kind::Unauthorized;
                error.message =
                    QStringLiteral("Proxmox refused the API token (HTTP %1 from %2: %3)")
                        .arg(status)
                        .arg(nodeName, detail);
            } else if (status == 595 || status == 596) {
                error.kind = Error::Kind::NodeUnreachable;
                error.message =
                    QStringLiteral("HTTP %1 from %2: %3").arg(status).arg(nodeName, detail);
            } else if (status >= 400 && status < 500) {
                error.kind = Error::Kind::BadRequest;
                error.message =
                    QStringLiteral("HTTP %1 from %2: %3").arg(status).arg(nodeName, detail);
            } else {
                error.kind = Error::Kind::Server;
                error.message =
                    QStringLiteral("HTTP %1 from %2: %3").arg(status).arg(nodeName, detail);
                // Proxmox's own error answer (JSON with `data`) about one node's or guest's data
                // (/nodes/<node>/...: no RRD file yet for a new guest, a refused status read):
                // the API node works, and another one would proxy to the same place. No failover,
                // and its health stays as it is.
                const bool aboutOneNode = call->path.startsWith(QLatin1String("/nodes/"))
                    && doc.isObject() && object.contains(QStringLiteral("data"));
                failover = call->idempotent && !aboutOneNode;
            }
        }
    }

    release(nodeIndex);
    if (error.kind == Error::Kind::None) {
        markSuccess(nodeIndex);
    } else if (failover) {
        markFailure(nodeIndex, error);
        call->lastError = error;
        if (!call->order.isEmpty()) {
            const int next = call->order.takeFirst();
            qCDebug(lcProxmox) << error.message << "- trying" << m_nodes.at(next).api.name;
            send(call, next);
            return;
        }
    }
    if (call->hasContext && !call->context)
        return;
    if (error.kind == Error::Kind::None)
        call->done(Result<QJsonValue> {data, error}); // error.node tells which node answered
    else
        call->done(Result<QJsonValue>::failure(error));
}

void Client::markFailure(int nodeIndex, const Error &error)
{
    NodeState &node = m_nodes[nodeIndex];
    ++node.failures;
    const qint64 delay = qMin<qint64>(
        qint64(m_options.backoffInitialMs) << qMin(node.failures - 1, 16), m_options.backoffMaxMs);
    node.retryAtMs = QDateTime::currentMSecsSinceEpoch() + delay;
    if (node.healthy) {
        node.healthy = false;
        qCWarning(lcProxmox).noquote()
            << error.message
            << QStringLiteral("- skipping %1 for %2 s").arg(node.api.name).arg(delay / 1000.0);
        Q_EMIT nodeHealthChanged(node.api.name, false, error.message);
    }
}

void Client::markSuccess(int nodeIndex)
{
    NodeState &node = m_nodes[nodeIndex];
    m_lastSuccess = QDateTime::currentDateTimeUtc();
    node.failures = 0;
    node.retryAtMs = 0;
    if (!node.healthy) {
        node.healthy = true;
        qCInfo(lcProxmox) << "Proxmox API on" << node.api.name << "answers again";
        Q_EMIT nodeHealthChanged(node.api.name, true, {});
    }
}

QString endpointTemplate(const QString &path)
{
    static const QStringList Actions {QStringLiteral("start"), QStringLiteral("stop"),
        QStringLiteral("shutdown"), QStringLiteral("reboot"), QStringLiteral("suspend"),
        QStringLiteral("resume"), QStringLiteral("current")};
    const auto isWord = [](QStringView s) {
        if (s.isEmpty() || s.size() > 32)
            return false;
        for (const QChar c : s) {
            if (!((c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9') || c == u'_' || c == u'-'))
                return false;
        }
        return true;
    };
    const auto isNumber = [](QStringView s) {
        return !s.isEmpty() && std::all_of(s.begin(), s.end(), [](QChar c) { return c.isDigit(); });
    };
    const qsizetype query = path.indexOf(QLatin1Char('?'));
    const QStringView route = QStringView(path).left(query < 0 ? path.size() : query);
    QString out;
    QStringView previous;
    for (const QStringView part : route.split(u'/', Qt::SkipEmptyParts)) {
        out += QLatin1Char('/');
        if (previous == u"nodes")
            out += QLatin1String("{node}");
        else if (previous == u"qemu" || previous == u"lxc")
            out += QLatin1String("{vmid}");
        else if (previous == u"tasks")
            out += QLatin1String("{upid}");
        else if (previous == u"storage")
            out += QLatin1String("{storage}");
        else if (isNumber(part))
            out += QLatin1String("{id}");
        else if (previous == u"status" && !Actions.contains(part))
            out += QLatin1String("{action}");
        else if (isWord(part))
            out += part;
        else
            out += QLatin1String("{other}");
        previous = part;
    }
    return out.isEmpty() ? QStringLiteral("/") : out;
}

// --- typed calls -------------------------------------------------------------------------------

namespace {
template<typename T> Result<T> fail(const Error &e)
{
    return Result<T>::failure(e);
}

Error shapeError(const QString &what, const Error &answered)
{
    return Error {Error::Kind::BadResponse, 200,
        QStringLiteral("unexpected answer shape from %1 for %2").arg(answered.node, what),
        answered.node, {}};
}
} // namespace

namespace {
// Stable, and only when needed: an answer already in order (the common case) is left untouched.
template<typename T, typename Less> void sortIfNeeded(QList<T> &list, Less less)
{
    if (!std::is_sorted(list.cbegin(), list.cend(), less))
        std::stable_sort(list.begin(), list.end(), less);
}
} // namespace

void sortResources(ClusterResources &r)
{
    sortIfNeeded(r.nodes,
        [](const model::NodeData &a, const model::NodeData &b) { return a.node < b.node; });
    sortIfNeeded(
        r.vms, [](const model::VmData &a, const model::VmData &b) { return a.vmid < b.vmid; });
    sortIfNeeded(r.storage,
        [](const model::StorageData &a, const model::StorageData &b) { return a.id < b.id; });
}

void Client::clusterResources(
    const QObject *context, std::function<void(const Result<ClusterResources> &)> done)
{
    // The body is read by the streaming parser (no QJsonDocument): unparsable JSON or no "data"
    // member is a BadResponse from the transport (with failover), "data" not an array is a shape
    // error, exactly as through get().
    struct Parsed
    {
        std::optional<ClusterResources> resources;
        bool notArray = false;
    };
    auto parsed = std::make_shared<Parsed>();
    getRaw(
        QStringLiteral("/cluster/resources"), context,
        [parsed](const QByteArray &body, QString *why) {
            PveBodyStatus status = PveBodyStatus::Ok;
            parsed->resources = resourcesFromPveJson(body, why, &status);
            parsed->notArray = status == PveBodyStatus::DataNotArray;
            if (parsed->resources)
                sortResources(*parsed->resources); // here, while nothing else shares the lists
            return parsed->resources.has_value() || parsed->notArray;
        },
        [done = std::move(done), parsed](const Result<QJsonValue> &r) {
            if (!r.ok())
                return done(fail<ClusterResources>(r.error));
            if (!parsed->resources)
                return done(fail<ClusterResources>(
                    shapeError(QStringLiteral("/cluster/resources"), r.error)));
            done(Result<ClusterResources>::success(std::move(*parsed->resources)));
        });
}

void Client::clusterStatus(
    const QObject *context, std::function<void(const Result<model::QuorumData> &)> done)
{
    get(QStringLiteral("/cluster/status"), context,
        [done = std::move(done)](const Result<QJsonValue> &r) {
            if (!r.ok())
                return done(fail<model::QuorumData>(r.error));
            if (!r.value->isArray())
                return done(fail<model::QuorumData>(
                    shapeError(QStringLiteral("/cluster/status"), r.error)));
            done(Result<model::QuorumData>::success(quorumFromPve(r.value->toArray())));
        });
}

void Client::nodeStatus(const QString &node, const QObject *context,
    std::function<void(const Result<NodeStatus> &)> done)
{
    const QString path =
        QStringLiteral("/nodes/%1/status").arg(QString::fromUtf8(QUrl::toPercentEncoding(node)));
    get(path, context, [done = std::move(done), path](const Result<QJsonValue> &r) {
        if (!r.ok())
            return done(fail<NodeStatus>(r.error));
        if (!r.value->isObject())
            return done(fail<NodeStatus>(shapeError(path, r.error)));
        done(Result<NodeStatus>::success(nodeStatusFromPve(r.value->toObject())));
    });
}

namespace {
QString timeframeQuery(RrdTimeframe timeframe)
{
    return timeframe == RrdTimeframe::Hour ? QStringLiteral("?timeframe=hour&cf=AVERAGE")
                                           : QStringLiteral("?timeframe=day&cf=AVERAGE");
}
} // namespace

void Client::nodeRrdData(const QString &node, RrdTimeframe timeframe, const QObject *context,
    std::function<void(const Result<QList<RrdPoint>> &)> done)
{
    rrdData(
        QStringLiteral("/nodes/%1/rrddata").arg(QString::fromUtf8(QUrl::toPercentEncoding(node)))
            + timeframeQuery(timeframe),
        true, context, std::move(done));
}

void Client::guestRrdData(const QString &node, model::VmData::Kind kind, int vmid,
    RrdTimeframe timeframe, const QObject *context,
    std::function<void(const Result<QList<RrdPoint>> &)> done)
{
    rrdData(QStringLiteral("/nodes/%1/%2/%3/rrddata")
                .arg(QString::fromUtf8(QUrl::toPercentEncoding(node)),
                    kind == model::VmData::Kind::Lxc ? QStringLiteral("lxc")
                                                     : QStringLiteral("qemu"))
                .arg(vmid)
            + timeframeQuery(timeframe),
        false, context, std::move(done));
}

void Client::rrdData(const QString &path, bool node, const QObject *context,
    std::function<void(const Result<QList<RrdPoint>> &)> done)
{
    get(path, context, [done = std::move(done), path, node](const Result<QJsonValue> &r) {
        if (!r.ok())
            return done(fail<QList<RrdPoint>>(r.error));
        if (!r.value->isArray())
            return done(fail<QList<RrdPoint>>(shapeError(path, r.error)));
        done(Result<QList<RrdPoint>>::success(rrdFromPve(r.value->toArray(), node)));
    });
}

void Client::guestAction(const QString &node, model::VmData::Kind kind, int vmid,
    const QString &action, const QObject *context,
    std::function<void(const Result<QString> &)> done)
{
    const QString path =
        QStringLiteral("/nodes/%1/%2/%3/status/%4")
            .arg(QString::fromUtf8(QUrl::toPercentEncoding(node)),
                kind == model::VmData::Kind::Lxc ? QStringLiteral("lxc") : QStringLiteral("qemu"))
            .arg(vmid)
            .arg(action);
    post(path, {}, context, [done = std::move(done), path](const Result<QJsonValue> &r) {
        if (!r.ok())
            return done(fail<QString>(r.error));
        const QString upid = r.value->toString();
        if (!upid.startsWith(QLatin1String("UPID:")))
            return done(fail<QString>(shapeError(path, r.error)));
        done(Result<QString>::success(upid));
    });
}

void Client::taskStatus(const QString &node, const QString &upid, const QObject *context,
    std::function<void(const Result<TaskStatus> &)> done)
{
    const QString path = QStringLiteral("/nodes/%1/tasks/%2/status")
                             .arg(QString::fromUtf8(QUrl::toPercentEncoding(node)),
                                 QString::fromUtf8(QUrl::toPercentEncoding(upid)));
    get(path, context, [done = std::move(done), path](const Result<QJsonValue> &r) {
        if (!r.ok())
            return done(fail<TaskStatus>(r.error));
        const auto status = taskStatusFromPve(r.value->toObject());
        if (!status)
            return done(fail<TaskStatus>(shapeError(path, r.error)));
        done(Result<TaskStatus>::success(*status));
    });
}

void Client::recentTasks(const QString &node, const QObject *context,
    std::function<void(const Result<QList<TaskStatus>> &)> done)
{
    const QString path = node.isEmpty()
        ? QStringLiteral("/cluster/tasks")
        : QStringLiteral("/nodes/%1/tasks").arg(QString::fromUtf8(QUrl::toPercentEncoding(node)));
    get(path, context, [done = std::move(done), path](const Result<QJsonValue> &r) {
        if (!r.ok())
            return done(fail<QList<TaskStatus>>(r.error));
        if (!r.value->isArray())
            return done(fail<QList<TaskStatus>>(shapeError(path, r.error)));
        QList<TaskStatus> tasks;
        const QJsonArray rows = r.value->toArray();
        for (const QJsonValue &row : rows) {
            if (std::optional<TaskStatus> task = taskFromPveList(row.toObject()))
                tasks.append(std::move(*task));
        }
        done(Result<QList<TaskStatus>>::success(std::move(tasks)));
    });
}

} // namespace jarvis::proxmox
