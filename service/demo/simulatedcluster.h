#pragma once

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <deque>
#include <optional>
#include <vector>

namespace jarvis::demo {

class JsonWriter;

enum class GuestKind { Qemu, Lxc };
enum class PowerAction { Start, Stop, Shutdown, Reboot, Suspend, Resume };

// Parses "qemu"/"lxc" and "start"/"stop"/... as they appear in PVE paths.
std::optional<GuestKind> guestKindFromPath(const QString &segment);
std::optional<PowerAction> powerActionFromPath(const QString &segment);
QString toPath(GuestKind kind);
QString toPath(PowerAction action);

// The size and character of a simulated cluster. The defaults are the demo cluster: nodes
// pve1..pve3, 12 guests (qemu 100-107, lxc 200-203), storage "local" on each node plus a shared
// NFS "backup".
struct ClusterOptions
{
    int nodes = 3;
    int guests = 12; // qemu and lxc together
    int storagesPerNode = 1; // node-local: local, local-zfs, local-lvm, data4, ...
    int sharedStorages = 1; // cluster-wide: backup (nfs), ceph-vm (rbd), shared3, ...
    quint64 seed = 1; // same seed + same simulated time = same answers
    QString clusterName = QStringLiteral("jarvis-demo");
    QString nodePrefix = QStringLiteral("pve");
    int taskDurationMs = 1000; // how long a power task stays "running"
    qint64 startEpoch = 0; // simulated Unix time at construction; 0 = the real time
    bool realTimeClock = true; // false: simulated time only moves with advance()
};

// A snapshot of one guest, for tests and the composition root.
struct GuestInfo
{
    int vmid = 0;
    GuestKind kind = GuestKind::Qemu;
    QString name;
    QString node;
    QString status; // "running", "stopped", "paused"
    QString lock; // empty when unlocked
    bool isTemplate = false;
};

// A snapshot of one task.
struct TaskInfo
{
    QString upid;
    QString node;
    QString type; // qmstart, vzstop, ...
    QString id; // the vmid
    QString user; // as in the UPID: "root@pam!jarvis"
    bool running = false;
    QString exitstatus; // "OK" or the error, once stopped
};

// Query parameters of GET /nodes/{node}/tasks that the simulator honours.
struct TaskQuery
{
    int start = 0;
    int limit = 50;
    int vmid = 0; // 0 = any
    bool errors = false;
    QString source = QStringLiteral("archive"); // archive (finished), active (running), all
    QString typeFilter;
};

// What a simulated API call answers, before transport: the JSON of `data`, or a PVE error.
struct ApiAnswer
{
    int status = 200;
    QByteArray data; // JSON value of "data" when status is 200
    QString message; // error text (no trailing newline)
    QList<QPair<QString, QString>> errors; // per-parameter problems of a 400
    qint64 total = -1; // the "total" attribute of lists; -1 = absent

    static ApiAnswer ok(QByteArray json, qint64 total = -1);
    static ApiAnswer error(int status, const QString &message);
    static ApiAnswer parameterError(const QString &parameter, const QString &problem);
};

// The simulated Proxmox VE cluster: nodes, guests, storages and tasks, with metrics that drift
// with simulated time (a pure function of seed, entity and time, so answers are reproducible) and
// guests that change state when a power task finishes. Tasks finish lazily: every call first
// settles the tasks whose end time has passed, so no timers are involved. It renders the data
// of the PVE API calls jarvisd makes, in PVE's shapes; transport, auth, proxying to other nodes
// (595) and faults are the HTTP layer's job (PveSimulator). Plain object, not thread-safe; lives
// on the thread that uses it (the simulator's).
class SimulatedCluster
{
public:
    explicit SimulatedCluster(const ClusterOptions &options = {});
    ~SimulatedCluster();
    SimulatedCluster(const SimulatedCluster &) = delete;
    SimulatedCluster &operator=(const SimulatedCluster &) = delete;

    const ClusterOptions &options() const { return m_options; }

    // Simulated time in Unix seconds: the wall clock (if realTimeClock) plus every advance().
    double now() const;
    void advance(double seconds);
    void setTaskDurationMs(int ms);

    // Topology and state.
    QStringList nodeNames() const;
    bool hasNode(const QString &node) const;
    bool isNodeOnline(const QString &node) const;
    bool setNodeOnline(const QString &node, bool online); // false for an unknown node
    int onlineNodeCount() const;
    bool isQuorate() const;
    QString localNode() const; // the node that answers cluster-wide calls ("local": 1)
    int guestCount() const { return int(m_guests.size()); }
    QList<GuestInfo> guests();
    std::optional<GuestInfo> guest(int vmid);
    std::optional<TaskInfo> task(const QString &upid);
    // Reported as every node's ssl_fingerprint by /nodes (the simulator's real one under TLS).
    void setSslFingerprint(const QString &fingerprint);

    // The API. Node-scoped calls expect an existing, online node.
    ApiAnswer version() const;
    ApiAnswer clusterResources(const QString &type); // "", "vm", "node", "storage", "sdn"
    ApiAnswer clusterStatus();
    ApiAnswer nodes();
    ApiAnswer nodeStatus(const QString &node);
    // `user` is the authenticated token, "root@pam!jarvis"; `vmid` as it appeared in the path.
    ApiAnswer power(const QString &node, GuestKind kind, const QString &vmid, PowerAction action,
        const QString &user);
    ApiAnswer taskStatus(const QString &node, const QString &upid);
    ApiAnswer tasks(const QString &node, const TaskQuery &query);
    // GET /nodes/{node}/rrddata, or a guest's (`kind` set, `vmid` as in the path): 70 points of
    // `timeframe` (hour: 60 s apart, day: 1800 s; week/month/year coarser), sampled from the same
    // metrics the other calls report (rates from the counters' growth over each step); the
    // newest point, the step under way, has only `time`, as in PVE.
    ApiAnswer rrdData(const QString &node, std::optional<GuestKind> kind, const QString &vmid,
        const QString &timeframe, const QString &cf);

private:
    enum class State { Stopped, Running, Paused };

    struct Node
    {
        QByteArray name;
        QByteArray ip;
        QByteArray fingerprint;
        QByteArray cpuModel;
        bool online = true;
        int maxcpu = 0;
        int sockets = 1;
        double mhz = 0;
        qint64 maxmem = 0;
        qint64 maxdisk = 0;
        qint64 rootUsed = 0;
        qint64 swap = 0;
        double bootAt = 0;
        quint64 key = 0;
    };

    struct Guest
    {
        int vmid = 0;
        GuestKind kind = GuestKind::Qemu;
        int node = 0;
        QByteArray name;
        QByteArray tags;
        QByteArray lock;
        bool isTemplate = false;
        State state = State::Stopped;
        double startedAt = 0;
        int maxcpu = 1;
        qint64 maxmem = 0;
        qint64 maxdisk = 0;
        double cpuLoad = 0; // typical fraction of maxcpu while running
        double memShare = 0; // typical fraction of maxmem while running
        double diskShare = 0;
        double netRate = 0; // bytes per second in; out, read and write derive from it
        quint64 key = 0;
    };

    struct Storage
    {
        QByteArray name;
        QByteArray plugin;
        QByteArray content;
        bool shared = false;
        int node = -1; // -1 for shared storage
        qint64 maxdisk = 0;
        double usedShare = 0;
        quint64 key = 0;
    };

    struct Task
    {
        QByteArray upid;
        QByteArray type;
        QByteArray user; // as in the UPID
        int node = 0;
        int vmid = 0;
        GuestKind kind = GuestKind::Qemu;
        PowerAction action = PowerAction::Start;
        quint32 pid = 0;
        quint32 pstart = 0;
        qint64 starttime = 0;
        double endAt = 0;
        bool done = false;
        qint64 endtime = 0;
        QByteArray exitstatus;
    };

    struct GuestSample
    {
        double cpu = 0;
        qint64 mem = 0;
        qint64 disk = 0;
        qint64 uptime = 0;
        qint64 netin = 0, netout = 0, diskread = 0, diskwrite = 0;
    };

    struct NodeSample
    {
        double cpu = 0;
        qint64 mem = 0;
        qint64 disk = 0;
        qint64 uptime = 0;
        double load[3] = {0, 0, 0};
    };

    void build();
    void settle();
    void finish(Task &task);
    QString workerError(const Task &task) const; // empty = the task succeeds
    int nodeIndex(const QString &name) const;
    int guestIndex(int vmid) const;
    bool hostedOn(int guest, int node, GuestKind kind) const;
    GuestSample sample(const Guest &guest, double t) const;
    std::vector<GuestSample> sampleGuests(double t) const;
    std::vector<NodeSample> sampleNodes(double t, const std::vector<GuestSample> &guests) const;
    Task *findTask(const QByteArray &upid);
    void writeGuest(JsonWriter &w, const Guest &guest, const GuestSample &s) const;
    static void beginNodeEntry(JsonWriter &w, const Node &node);
    void writeTask(JsonWriter &w, const Task &task, bool listEntry) const;
    GuestInfo info(const Guest &guest) const;

    ClusterOptions m_options;
    QElapsedTimer m_clock;
    double m_epoch = 0;
    double m_offset = 0;
    int m_local = 0;
    QByteArray m_sslFingerprint;
    std::vector<Node> m_nodes;
    std::vector<Guest> m_guests;
    std::vector<Storage> m_storages;
    QHash<QString, int> m_nodeByName;
    QHash<int, int> m_guestByVmid;
    std::deque<Task> m_tasks; // oldest first, bounded
    qint64 m_firstTaskSerial = 0;
    QHash<QByteArray, qint64> m_taskByUpid;
    qint64 m_pendingFrom = 0; // serial of the oldest task that may still be running
    quint64 m_taskCounter = 0;
};

} // namespace jarvis::demo
