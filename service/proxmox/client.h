#pragma once

#include "proxmox/pvedata.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSslCertificate>
#include <QUrl>
#include <QUrlQuery>

#include <deque>
#include <functional>
#include <optional>

class QNetworkAccessManager;
class QNetworkReply;
class QNetworkRequest;

namespace jarvis::proxmox {

// One error type for everything that can go wrong talking to Proxmox.
struct Error
{
    enum class Kind {
        None,
        Network, // refused, reset, DNS, ...
        Timeout, // transfer timeout (includes a server that never answers)
        Tls, // certificate not trusted / fingerprint mismatch
        Unauthorized, // HTTP 401 / 403
        BadRequest, // other 4xx (PVE parameter errors)
        Server, // HTTP 500 and other 5xx
        NodeUnreachable, // HTTP 595 / 596: the node that should do the work cannot be reached
        BadResponse, // not JSON, or JSON of the wrong shape
        NotConfigured, // no such node in the configuration
    };
    Kind kind = Kind::None;
    int httpStatus = 0;
    QString message; // one line: what failed, where
    QString node; // the API node that answered (or failed)
    QJsonObject errors; // PVE per-parameter errors, if any

    bool isError() const { return kind != Kind::None; }
    static QString kindName(Kind kind);
};

template<typename T> struct Result
{
    std::optional<T> value;
    Error error; // kind None on success; `node` then says which API node answered

    bool ok() const { return value.has_value(); }
    static Result success(T v) { return Result {std::move(v), {}}; }
    static Result failure(Error e) { return Result {std::nullopt, std::move(e)}; }
};

struct ApiNode
{
    QString name;
    QUrl apiUrl; // e.g. https://192.168.1.10:8006 (path /api2/json is added)
    QByteArray fingerprint; // SHA-256 of the certificate (raw 32 bytes), empty = none pinned
};

struct ClientOptions
{
    QString tokenId; // USER@REALM!TOKENID
    QString tokenSecret;
    QList<QSslCertificate> caCertificates; // trust these (pve-root-ca.pem); empty = system store
    bool insecure = false; // accept any certificate (labs only)
    int transferTimeoutMs = 10000;
    int maxInFlightPerNode = 4;
    int backoffInitialMs = 2000;
    int backoffMaxMs = 60000;
};

// The Proxmox VE API client: one QNetworkAccessManager, API-token auth, TLS accepted only by
// fingerprint pin or CA (or insecure), a transfer timeout on every request, at most
// maxInFlightPerNode requests in flight per API node, and failover: a call goes to the first
// healthy configured node; a node that fails at the connection level (or answers 5xx on an
// idempotent call, except Proxmox's own error answer about one node's or guest's data, a
// /nodes/... path) is put in backoff and the next node is tried. Callbacks run on the main thread
// and only while `context` lives. Replies are auto-deleted; nothing blocks.
class Client : public QObject
{
    Q_OBJECT
public:
    using JsonCallback = std::function<void(const Result<QJsonValue> &)>;

    Client(ClientOptions options, QList<ApiNode> nodes, QObject *parent = nullptr);
    ~Client() override;

    // Low level: `path` below /api2/json (e.g. "/cluster/resources"); the callback gets `data`,
    // raw Proxmox JSON: for proxmox/ and its tests only; everything else uses the typed calls.
    void get(const QString &path, const QObject *context, JsonCallback done);
    void post(
        const QString &path, const QUrlQuery &form, const QObject *context, JsonCallback done);

    // Typed calls. The resources come sorted: nodes by name, guests by vmid, storage by id.
    void clusterResources(
        const QObject *context, std::function<void(const Result<ClusterResources> &)> done);
    void clusterStatus(
        const QObject *context, std::function<void(const Result<model::QuorumData> &)> done);
    void nodeStatus(const QString &node, const QObject *context,
        std::function<void(const Result<NodeStatus> &)> done);
    // action: start|stop|shutdown|reboot|suspend|resume. The callback gets the UPID.
    void guestAction(const QString &node, model::VmData::Kind kind, int vmid, const QString &action,
        const QObject *context, std::function<void(const Result<QString> &)> done);
    void taskStatus(const QString &node, const QString &upid, const QObject *context,
        std::function<void(const Result<TaskStatus> &)> done);
    // Recent tasks of one node, or of the cluster when `node` is empty (rows that cannot be read
    // are skipped).
    void recentTasks(const QString &node, const QObject *context,
        std::function<void(const Result<QList<TaskStatus>> &)> done);

    // A node's or a guest's RRD history (rrddata, cf=AVERAGE): `timeframe` hour is 1-minute
    // points for about the last 70 minutes, day 30-minute points for about 35 hours.
    void nodeRrdData(const QString &node, RrdTimeframe timeframe, const QObject *context,
        std::function<void(const Result<QList<RrdPoint>> &)> done);
    void guestRrdData(const QString &node, model::VmData::Kind kind, int vmid,
        RrdTimeframe timeframe, const QObject *context,
        std::function<void(const Result<QList<RrdPoint>> &)> done);

    // Health as last seen.
    bool isReachable() const; // at least one node answered its last request
    QDateTime lastSuccessAt() const { return m_lastSuccess; }
    QStringList nodeNames() const;
    int inFlight(const QString &node) const;

Q_SIGNALS:
    void nodeHealthChanged(const QString &node, bool healthy, const QString &error);
    // Every HTTP attempt (a failover retry is another one), before its caller hears of it:
    // `endpoint` is endpointTemplate() of the path, `status` the HTTP status or 0 when there was
    // no HTTP answer (network, timeout, TLS), `seconds` from sending to the end of the answer.
    void requestFinished(const QString &endpoint, int status, double seconds);

private:
    struct NodeState
    {
        ApiNode api;
        bool healthy = true;
        int failures = 0;
        qint64 retryAtMs = 0;
        int inFlight = 0;
        std::deque<std::function<void()>> queue;
    };
    struct Call;

    QList<int> candidates() const;
    // Internal variant of get() for the big answers: a 2xx body goes to `parse` as raw bytes (no
    // QJsonDocument); parse returns false with the reason for a BadResponse.
    using RawParser = std::function<bool(const QByteArray &body, QString *why)>;
    void getRaw(const QString &path, const QObject *context, RawParser parse, JsonCallback done);
    void start(const std::shared_ptr<Call> &call);
    void send(const std::shared_ptr<Call> &call, int nodeIndex);
    void finished(const std::shared_ptr<Call> &call, int nodeIndex, QNetworkReply *reply);
    void release(int nodeIndex);
    void markFailure(int nodeIndex, const Error &error);
    void markSuccess(int nodeIndex);
    QNetworkRequest request(const NodeState &node, const QString &path) const;
    void rrdData(const QString &path, bool node, const QObject *context,
        std::function<void(const Result<QList<RrdPoint>> &)> done);

    ClientOptions m_options;
    QList<NodeState> m_nodes;
    QNetworkAccessManager *m_nam; // child
    QDateTime m_lastSuccess;
};

// Sorts the lists as clusterResources() delivers them (stable: equal keys keep PVE's order).
void sortResources(ClusterResources &resources);

// The route of an API path with its variable parts named, for a bounded metrics label:
// "/nodes/pve1/qemu/100/status/start" -> "/nodes/{node}/qemu/{vmid}/status/start",
// "/nodes/pve1/tasks/UPID:.../status" -> "/nodes/{node}/tasks/{upid}/status". The query is
// dropped; numbers become {id}; a segment that is not a short lower-case word becomes {other}.
QString endpointTemplate(const QString &path);

// "AB:CD:..." (any case, colons optional) -> 32 raw bytes; empty on malformed input.
QByteArray parseFingerprint(const QString &text);

} // namespace jarvis::proxmox
