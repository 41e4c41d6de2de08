#pragma once

#include "demo/simulatedcluster.h"

#include <QAbstractHttpServer>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QPointer>
#include <QRegularExpression>
#include <QSslConfiguration>
#include <QString>
#include <QUrl>

#include <functional>
#include <optional>

class QTcpSocket;

namespace jarvis::demo {

// Endpoint keys: what request counters are kept under and what faults match.
namespace endpoint {
inline constexpr char Version[] = "version"; // GET /version
inline constexpr char ClusterResources[] = "cluster/resources"; // GET /cluster/resources
inline constexpr char ClusterStatus[] = "cluster/status"; // GET /cluster/status
inline constexpr char Nodes[] = "nodes"; // GET /nodes
inline constexpr char NodeStatus[] = "nodes/{node}/status"; // GET /nodes/{node}/status
// GET /nodes/{node}/rrddata and /nodes/{node}/{qemu|lxc}/{vmid}/rrddata
inline constexpr char RrdData[] = "rrddata";
// POST /nodes/{node}/{qemu|lxc}/{vmid}/status/{action}; "status/start" etc. name one action
inline constexpr char Power[] = "status/{action}";
inline constexpr char Tasks[] = "tasks"; // GET /nodes/{node}/tasks
inline constexpr char TaskStatus[] = "tasks/status"; // GET /nodes/{node}/tasks/{upid}/status
inline constexpr char Other[] = "other"; // anything else (answered 501)
} // namespace endpoint

// One injected misbehaviour.
struct Fault
{
    Q_GADGET
public:
    enum class Kind {
        ServerError, // 500, PVE error body; `message` is also the reason phrase
        NodeUnreachable, // 595 "No route to host", no body: pveproxy could not reach the node
        ConnectionTimeout, // 596 "Connection timed out", no body: the node went silent
        Hang, // no answer at all; the request stays pending until the client gives up
        Garbage, // 200 with a body that is not JSON
        WrongShape, // 200 with JSON whose `data` has the wrong type (object for a list, ...)
        Truncated, // 200 with the first half of the real body
        Slow, // the real answer, after `delayMs`
        Unauthorized, // 401 "invalid token value!"
    };
    Q_ENUM(Kind)
    Kind kind = Kind::ServerError;
    int delayMs = 0; // wait this long before answering (any kind but Hang)
    QString message; // overrides the default error text / reason phrase
};

// Which requests a fault applies to. Empty fields match everything.
struct FaultRule
{
    QString endpoint; // an endpoint key; "status/start" etc. match one power action
    QRegularExpression path; // matched against the path below /api2/json, e.g. "^/nodes/pve2/"
    QString node; // only requests addressed to this node (node-scoped endpoints)
    Fault fault;
    int count = -1; // how many matching requests it affects; -1 = until removed

    static FaultRule on(const QString &endpoint, Fault::Kind kind, int delayMs = 0)
    {
        FaultRule rule;
        rule.endpoint = endpoint;
        rule.fault.kind = kind;
        rule.fault.delayMs = delayMs;
        return rule;
    }
};

// A real HTTP(S) server speaking the subset of the Proxmox VE API that jarvisd calls, over a
// SimulatedCluster: /api2/json/{version, cluster/resources, cluster/status, nodes,
// nodes/{node}/status, nodes/{node}/{qemu|lxc}/{vmid}/status/{action}, nodes/{node}/tasks,
// nodes/{node}/tasks/{upid}/status}. It checks the PVEAPIToken header, answers like pveproxy
// (status line reason = first line of the error, `{"data":null,"message":...}` bodies, empty bodies
// for 401/595/596, Connection: close on errors), answers 595 for calls to an offline node, injects
// faults and counts requests per endpoint. Used by `jarvisd --demo` in-process and by tests on
// 127.0.0.1:0. Owns the cluster model and its listening sockets; everything runs on the thread it
// lives on, nothing blocks: delayed answers use timers and write only if the client is still
// connected, hung requests keep only a guarded pointer to the socket.
class PveSimulator : public QAbstractHttpServer
{
    Q_OBJECT
public:
    struct Options
    {
        ClusterOptions cluster;
        QString tokenId = QStringLiteral("root@pam!jarvis");
        QString tokenSecret = QStringLiteral("5c5b4b5e-7d1a-4c0e-9a57-0d3f3a1c2b6e");
        int unauthorizedDelayMs = 0; // real PVE delays every 401 by 3 s
    };

    explicit PveSimulator(QObject *parent = nullptr);
    explicit PveSimulator(const Options &options, QObject *parent = nullptr);
    ~PveSimulator() override;

    // Listens on address:port (0 = any free port); HTTPS when `ssl` is given (it must carry the
    // certificate and private key). Returns the port, or 0 with errorString() set.
    quint16 listen(const QHostAddress &address = QHostAddress::LocalHost, quint16 port = 0,
        const std::optional<QSslConfiguration> &ssl = std::nullopt);
    quint16 port() const { return m_port; }
    bool isTls() const { return m_tls; }
    QUrl baseUrl() const; // "https://127.0.0.1:PORT" (no path)
    // SHA-256 of the served certificate as PVE writes it ("AB:CD:..."); empty without TLS.
    QString sslFingerprint() const;
    QString errorString() const { return m_error; }

    const Options &options() const { return m_options; }
    QString authorizationHeader() const; // "PVEAPIToken=root@pam!jarvis=SECRET"
    SimulatedCluster &cluster() { return m_cluster; }
    bool setNodeOnline(const QString &node, bool online)
    {
        return m_cluster.setNodeOnline(node, online);
    }

    // Faults: the first matching rule wins. Returns an id for removeFault().
    int injectFault(const FaultRule &rule);
    void removeFault(int id);
    void clearFaults();
    int pendingHangs() const; // hung requests whose client is still connected
    // Answers held back by a delay (a Slow fault, a fault's delayMs, unauthorizedDelayMs) since
    // the start: held now, and in all. Lets tests check a delay deterministically.
    int heldAnswers() const { return m_held; }
    int delayedAnswers() const { return m_delayed; }

    // Requests received per endpoint key, whatever their outcome.
    int requestCount(const QString &endpointKey) const { return m_counts.value(endpointKey); }
    QHash<QString, int> requestCounts() const { return m_counts; }
    int totalRequests() const { return m_total; }
    void resetRequestCounts();

Q_SIGNALS:
    void requestHandled(const QString &endpointKey, int status); // once the answer is written

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    struct Call;
    struct Rule
    {
        int id;
        FaultRule rule;
    };

    void dispatch(const Call &call, QTcpSocket *socket);
    ApiAnswer answer(const Call &call);
    void applyFault(const Call &call, const Fault &fault, QTcpSocket *socket);
    std::optional<Fault> takeFault(const Call &call);
    // pveproxy's error text for the Authorization header; empty when the token is right.
    QString authenticate(const QByteArray &authorization, QString *user) const;
    void write(QTcpSocket *socket, const Call &call, int status, const QString &reason,
        const QByteArray &body);
    void writeAnswer(QTcpSocket *socket, const Call &call, const ApiAnswer &answer);
    void later(int delayMs, QTcpSocket *socket, std::function<void(QTcpSocket *)> then);

    Options m_options;
    SimulatedCluster m_cluster;
    QList<Rule> m_rules;
    int m_nextRuleId = 1;
    mutable QList<QPointer<QTcpSocket>> m_hung;
    QHash<QString, int> m_counts;
    int m_total = 0;
    int m_held = 0;
    int m_delayed = 0;
    quint16 m_port = 0;
    bool m_tls = false;
    QString m_fingerprint;
    QString m_error;
    QHostAddress m_address;
};

} // namespace jarvis::demo
