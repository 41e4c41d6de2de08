#include "demo/simulatedcluster.h"

#include "demo/jsonwriter.h"

#include <QDateTime>
#include <QRegularExpression>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace jarvis::demo {

namespace {

constexpr qint64 KiB = 1024;
constexpr qint64 MiB = 1024 * KiB;
constexpr qint64 GiB = 1024 * MiB;
constexpr int MaxTasks = 10000;
constexpr int MinVmid = 100;
constexpr qint64 MaxVmid = 999999999;

const char PveVersion[] = "pve-manager/8.2.4/faa83925c9641325";
const char KernelRelease[] = "6.8.8-2-pve";
const char KernelVersion[] = "#1 SMP PREEMPT_DYNAMIC PMX 6.8.8-2 (2024-06-24T09:00Z)";
const char CpuFlags[] =
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx "
    "fxsr sse sse2 ht syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl "
    "xtopology nonstop_tsc cpuid pni pclmulqdq vmx ssse3 fma cx16 pcid sse4_1 sse4_2 "
    "x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm abm avx2 bmi1 bmi2 erms";

// splitmix64: a well-mixed 64-bit hash, the only source of "randomness" here.
quint64 mix(quint64 x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

double unit(quint64 key, qint64 step)
{
    return double(mix(key ^ (quint64(step) * 0xD1B54A32D192ED03ULL)) >> 11) * 0x1.0p-53;
}

// Smooth noise in [0, 1): value noise with smoothstep between integer steps. Its slope is at most
// 1.5 per unit of x, which keeps the counters below monotonic.
double smooth(quint64 key, double x)
{
    const double step = std::floor(x);
    double f = x - step;
    const double a = unit(key, qint64(step));
    const double b = unit(key, qint64(step) + 1);
    f = f * f * (3 - 2 * f);
    return a + (b - a) * f;
}

// A byte counter since the guest started: `rate` bytes/s on average, wobbling but never decreasing.
qint64 counter(quint64 key, double rate, double seconds)
{
    constexpr double Period = 10;
    constexpr double Wobble = 5; // < Period / 1.5
    const double value =
        rate * seconds + Wobble * rate * (smooth(key, seconds / Period) - smooth(key, 0));
    return value > 0 ? qint64(value) : 0;
}

template<typename T, size_t N> const T &pick(const std::array<T, N> &values, quint64 hash)
{
    return values[hash % N];
}

struct CuratedGuest
{
    int vmid;
    GuestKind kind;
    int node;
    const char *name;
    int cores;
    int memMiB;
    int diskGiB;
    bool running;
    const char *tags;
    const char *lock;
    bool isTemplate;
};

const CuratedGuest Curated[] = {
    {100, GuestKind::Qemu, 0, "web-frontend", 2, 4096, 32, true, "prod;web", "", false},
    {101, GuestKind::Qemu, 0, "postgres-main", 4, 16384, 128, true, "db;prod", "", false},
    {102, GuestKind::Qemu, 1, "gitlab", 4, 8192, 100, true, "dev", "backup", false},
    {103, GuestKind::Qemu, 1, "win11-desktop", 4, 8192, 80, false, "", "", false},
    {104, GuestKind::Qemu, 2, "k8s-control-1", 2, 4096, 40, true, "k8s", "", false},
    {105, GuestKind::Qemu, 2, "k8s-worker-1", 4, 8192, 60, true, "k8s", "", false},
    {106, GuestKind::Qemu, 0, "home-assistant", 2, 2048, 32, true, "iot", "", false},
    {107, GuestKind::Qemu, 1, "debian12-template", 2, 2048, 20, false, "", "", true},
    {200, GuestKind::Lxc, 0, "pihole", 1, 512, 8, true, "dns;infra", "", false},
    {201, GuestKind::Lxc, 1, "nginx-proxy", 1, 1024, 8, true, "infra", "", false},
    {202, GuestKind::Lxc, 2, "grafana", 2, 2048, 16, true, "monitoring", "", false},
    {203, GuestKind::Lxc, 2, "minio", 2, 4096, 200, false, "", "", false},
};

const std::array<const char *, 16> GeneratedNames = {"app", "api", "cache", "worker", "db",
    "ci-runner", "mail", "vpn", "proxy", "build", "test", "analytics", "search", "queue", "ldap",
    "backup-agent"};
const std::array<const char *, 8> GeneratedTags = {
    "prod", "dev", "staging", "k8s", "infra", "db", "web", "batch"};
const std::array<const char *, 4> CpuModels = {"Intel(R) Xeon(R) E-2388G CPU @ 3.20GHz",
    "AMD EPYC 7313P 16-Core Processor", "Intel(R) Core(TM) i7-6700 CPU @ 3.40GHz",
    "AMD Ryzen 9 5950X 16-Core Processor"};

QByteArray fakeFingerprint(quint64 key)
{
    QByteArray bytes;
    for (int i = 0; i < 4; ++i) {
        const quint64 v = mix(key + quint64(i));
        bytes.append(reinterpret_cast<const char *>(&v), sizeof v);
    }
    return bytes.toHex(':').toUpper();
}

QByteArray hex8(quint64 value)
{
    return QByteArray::number(value & 0xFFFFFFFFULL, 16).toUpper().rightJustified(8, '0');
}

bool exitOk(const QByteArray &status)
{
    return status == "OK";
}

} // namespace

std::optional<GuestKind> guestKindFromPath(const QString &segment)
{
    if (segment == QLatin1String("qemu"))
        return GuestKind::Qemu;
    if (segment == QLatin1String("lxc"))
        return GuestKind::Lxc;
    return std::nullopt;
}

std::optional<PowerAction> powerActionFromPath(const QString &segment)
{
    static const QHash<QString, PowerAction> actions = {
        {QStringLiteral("start"), PowerAction::Start},
        {QStringLiteral("stop"), PowerAction::Stop},
        {QStringLiteral("shutdown"), PowerAction::Shutdown},
        {QStringLiteral("reboot"), PowerAction::Reboot},
        {QStringLiteral("suspend"), PowerAction::Suspend},
        {QStringLiteral("resume"), PowerAction::Resume},
    };
    const auto it = actions.constFind(segment);
    if (it == actions.constEnd())
        return std::nullopt;
    return *it;
}

QString toPath(GuestKind kind)
{
    return kind == GuestKind::Qemu ? QStringLiteral("qemu") : QStringLiteral("lxc");
}

QString toPath(PowerAction action)
{
    switch (action) {
    case PowerAction::Start:
        return QStringLiteral("start");
    case PowerAction::Stop:
        return QStringLiteral("stop");
    case PowerAction::Shutdown:
        return QStringLiteral("shutdown");
    case PowerAction::Reboot:
        return QStringLiteral("reboot");
    case PowerAction::Suspend:
        return QStringLiteral("suspend");
    case PowerAction::Resume:
        return QStringLiteral("resume");
    }
    return {};
}

ApiAnswer ApiAnswer::ok(QByteArray json, qint64 total)
{
    ApiAnswer answer;
    answer.data = std::move(json);
    answer.total = total;
    return answer;
}

ApiAnswer ApiAnswer::error(int status, const QString &message)
{
    ApiAnswer answer;
    answer.status = status;
    answer.message = message;
    return answer;
}

ApiAnswer ApiAnswer::parameterError(const QString &parameter, const QString &problem)
{
    ApiAnswer answer = error(400, QStringLiteral("Parameter verification failed."));
    answer.errors.append({parameter, problem});
    return answer;
}

SimulatedCluster::SimulatedCluster(const ClusterOptions &options)
    : m_options(options)
{
    m_options.nodes = std::max(1, m_options.nodes);
    m_options.guests = std::max(0, m_options.guests);
    m_options.storagesPerNode = std::max(0, m_options.storagesPerNode);
    m_options.sharedStorages = std::max(0, m_options.sharedStorages);
    m_options.taskDurationMs = std::max(0, m_options.taskDurationMs);
    m_epoch = m_options.startEpoch > 0 ? double(m_options.startEpoch)
                                       : double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
    m_clock.start();
    build();
}

SimulatedCluster::~SimulatedCluster() = default;

double SimulatedCluster::now() const
{
    const double real = m_options.realTimeClock ? double(m_clock.elapsed()) / 1000.0 : 0.0;
    return m_epoch + real + m_offset;
}

void SimulatedCluster::advance(double seconds)
{
    if (seconds > 0)
        m_offset += seconds;
}

void SimulatedCluster::setTaskDurationMs(int ms)
{
    m_options.taskDurationMs = std::max(0, ms);
}

void SimulatedCluster::build()
{
    const quint64 seed = mix(m_options.seed);
    const double t0 = m_epoch;

    static const std::array<int, 6> cpuChoices = {8, 12, 16, 24, 32, 48};
    static const std::array<qint64, 4> memChoices = {32 * GiB, 64 * GiB, 128 * GiB, 256 * GiB};
    static const std::array<qint64, 4> diskChoices = {94 * GiB, 222 * GiB, 449 * GiB, 876 * GiB};
    m_nodes.resize(size_t(m_options.nodes));
    for (int i = 0; i < m_options.nodes; ++i) {
        Node &node = m_nodes[size_t(i)];
        node.key = mix(seed ^ (0x1000 + quint64(i)));
        node.name = (m_options.nodePrefix + QString::number(i + 1)).toUtf8();
        node.ip = i < 200
            ? "192.168.100." + QByteArray::number(11 + i)
            : "10.0." + QByteArray::number(i / 250) + '.' + QByteArray::number(i % 250 + 1);
        node.fingerprint = fakeFingerprint(node.key);
        node.maxcpu = pick(cpuChoices, node.key);
        node.sockets = node.maxcpu >= 32 ? 2 : 1;
        node.cpuModel = pick(CpuModels, node.key >> 8);
        node.mhz = 2800 + double((node.key >> 16) % 9) * 100;
        node.maxmem = pick(memChoices, node.key >> 24) - 350 * MiB; // the kernel keeps some
        node.maxdisk = pick(diskChoices, node.key >> 32) + qint64((node.key >> 40) % 1000) * MiB;
        node.rootUsed = 3 * GiB + qint64((node.key >> 20) % 4000) * MiB;
        node.swap = (node.key >> 44) % 2 ? 8 * GiB : 0;
        node.bootAt = t0 - double(86400 + (node.key >> 12) % (45 * 86400));
        m_nodeByName.insert(QString::fromUtf8(node.name), i);
    }

    m_guests.reserve(size_t(m_options.guests));
    const int curatedCount = int(sizeof Curated / sizeof Curated[0]);
    for (int i = 0; i < m_options.guests; ++i) {
        Guest guest;
        guest.key = mix(seed ^ (0x100000 + quint64(i)));
        const quint64 h = guest.key;
        if (i < curatedCount) {
            const CuratedGuest &c = Curated[i];
            guest.vmid = c.vmid;
            guest.kind = c.kind;
            guest.node = c.node % m_options.nodes;
            guest.name = c.name;
            guest.maxcpu = c.cores;
            guest.maxmem = qint64(c.memMiB) * MiB;
            guest.maxdisk = qint64(c.diskGiB) * GiB;
            guest.tags = c.tags;
            guest.lock = c.lock;
            guest.isTemplate = c.isTemplate;
            guest.state = c.running ? State::Running : State::Stopped;
        } else {
            static const std::array<int, 5> cores = {1, 2, 2, 4, 8};
            static const std::array<qint64, 6> mem = {
                512 * MiB, 1 * GiB, 2 * GiB, 4 * GiB, 8 * GiB, 16 * GiB};
            static const std::array<qint64, 6> disk = {
                8 * GiB, 16 * GiB, 32 * GiB, 64 * GiB, 128 * GiB, 256 * GiB};
            guest.vmid = 1000 + i;
            guest.kind = (h % 10) < 7 ? GuestKind::Qemu : GuestKind::Lxc;
            guest.node = i % m_options.nodes;
            guest.name = QByteArray(pick(GeneratedNames, h >> 4)) + '-' + QByteArray::number(i);
            guest.maxcpu = pick(cores, h >> 8);
            guest.maxmem = pick(mem, h >> 12);
            guest.maxdisk = pick(disk, h >> 16);
            const quint64 roll = (h >> 20) % 100;
            guest.isTemplate = roll < 2;
            guest.state = roll < 2 || roll >= 80 ? State::Stopped
                                                 : (roll < 4 ? State::Paused : State::Running);
            if ((h >> 28) % 2) {
                guest.tags = pick(GeneratedTags, h >> 30);
                if ((h >> 34) % 3 == 0)
                    guest.tags += ';' + QByteArray(pick(GeneratedTags, h >> 36));
            }
            if (guest.state == State::Running && (h >> 40) % 100 == 0)
                guest.lock = "backup";
        }
        guest.cpuLoad = 0.01 + unit(h, 1) * (unit(h, 2) < 0.2 ? 0.6 : 0.2);
        guest.memShare = 0.3 + unit(h, 3) * 0.55;
        guest.diskShare = 0.1 + unit(h, 4) * 0.7;
        guest.netRate = 500 + unit(h, 5) * unit(h, 6) * 2.0e6;
        const Node &node = m_nodes[size_t(guest.node)];
        const double nodeUptime = t0 - node.bootAt;
        guest.startedAt = t0 - std::max(60.0, nodeUptime * (0.2 + 0.8 * unit(h, 7)));
        m_guestByVmid.insert(guest.vmid, int(m_guests.size()));
        m_guests.push_back(std::move(guest));
    }

    for (int n = 0; n < m_options.nodes; ++n) {
        const Node &node = m_nodes[size_t(n)];
        for (int j = 0; j < m_options.storagesPerNode; ++j) {
            Storage s;
            s.node = n;
            s.key = mix(node.key ^ (0x5000 + quint64(j)));
            switch (j) {
            case 0:
                s.name = "local";
                s.plugin = "dir";
                s.content = "backup,iso,vztmpl";
                s.maxdisk = node.maxdisk; // the root file system, as on a default install
                break;
            case 1:
                s.name = "local-zfs";
                s.plugin = "zfspool";
                s.content = "images,rootdir";
                s.maxdisk = qint64(1800 + s.key % 2000) * GiB;
                break;
            case 2:
                s.name = "local-lvm";
                s.plugin = "lvmthin";
                s.content = "images,rootdir";
                s.maxdisk = qint64(400 + s.key % 1500) * GiB;
                break;
            default:
                s.name = "data" + QByteArray::number(j + 1);
                s.plugin = "dir";
                s.content = "images,rootdir,backup";
                s.maxdisk = qint64(1000 + s.key % 3000) * GiB;
            }
            s.usedShare = 0.05 + unit(s.key, 1) * 0.7;
            m_storages.push_back(s);
        }
    }
    for (int j = 0; j < m_options.sharedStorages; ++j) {
        Storage s;
        s.shared = true;
        s.key = mix(seed ^ (0x7000 + quint64(j)));
        switch (j) {
        case 0:
            s.name = "backup";
            s.plugin = "nfs";
            s.content = "backup,iso,vztmpl";
            s.maxdisk = 8 * 1024 * GiB;
            break;
        case 1:
            s.name = "ceph-vm";
            s.plugin = "rbd";
            s.content = "images,rootdir";
            s.maxdisk = 12 * 1024 * GiB;
            break;
        default:
            s.name = "shared" + QByteArray::number(j + 1);
            s.plugin = "nfs";
            s.content = "images";
            s.maxdisk = qint64(2 + s.key % 10) * 1024 * GiB;
        }
        s.usedShare = 0.2 + unit(s.key, 1) * 0.6;
        m_storages.push_back(s);
    }
}

int SimulatedCluster::nodeIndex(const QString &name) const
{
    return m_nodeByName.value(name, -1);
}

int SimulatedCluster::guestIndex(int vmid) const
{
    return m_guestByVmid.value(vmid, -1);
}

bool SimulatedCluster::hostedOn(int guest, int node, GuestKind kind) const
{
    return guest >= 0 && m_guests[size_t(guest)].node == node
        && m_guests[size_t(guest)].kind == kind;
}

QStringList SimulatedCluster::nodeNames() const
{
    QStringList names;
    names.reserve(int(m_nodes.size()));
    for (const Node &node : m_nodes)
        names.append(QString::fromUtf8(node.name));
    return names;
}

bool SimulatedCluster::hasNode(const QString &node) const
{
    return nodeIndex(node) >= 0;
}

bool SimulatedCluster::isNodeOnline(const QString &node) const
{
    const int i = nodeIndex(node);
    return i >= 0 && m_nodes[size_t(i)].online;
}

bool SimulatedCluster::setNodeOnline(const QString &node, bool online)
{
    const int i = nodeIndex(node);
    if (i < 0)
        return false;
    settle();
    m_nodes[size_t(i)].online = online;
    return true;
}

int SimulatedCluster::onlineNodeCount() const
{
    return int(
        std::count_if(m_nodes.begin(), m_nodes.end(), [](const Node &n) { return n.online; }));
}

bool SimulatedCluster::isQuorate() const
{
    return onlineNodeCount() * 2 > int(m_nodes.size());
}

QString SimulatedCluster::localNode() const
{
    return QString::fromUtf8(m_nodes[size_t(m_local)].name);
}

void SimulatedCluster::setSslFingerprint(const QString &fingerprint)
{
    m_sslFingerprint = fingerprint.toLatin1();
}

GuestInfo SimulatedCluster::info(const Guest &guest) const
{
    GuestInfo i;
    i.vmid = guest.vmid;
    i.kind = guest.kind;
    i.name = QString::fromUtf8(guest.name);
    i.node = QString::fromUtf8(m_nodes[size_t(guest.node)].name);
    i.status = guest.state == State::Running ? QStringLiteral("running")
        : guest.state == State::Paused       ? QStringLiteral("paused")
                                             : QStringLiteral("stopped");
    i.lock = QString::fromUtf8(guest.lock);
    i.isTemplate = guest.isTemplate;
    return i;
}

QList<GuestInfo> SimulatedCluster::guests()
{
    settle();
    QList<GuestInfo> list;
    list.reserve(int(m_guests.size()));
    for (const Guest &guest : m_guests)
        list.append(info(guest));
    return list;
}

std::optional<GuestInfo> SimulatedCluster::guest(int vmid)
{
    settle();
    const int i = guestIndex(vmid);
    if (i < 0)
        return std::nullopt;
    return info(m_guests[size_t(i)]);
}

std::optional<TaskInfo> SimulatedCluster::task(const QString &upid)
{
    settle();
    const Task *t = findTask(upid.toUtf8());
    if (!t)
        return std::nullopt;
    TaskInfo i;
    i.upid = QString::fromUtf8(t->upid);
    i.node = QString::fromUtf8(m_nodes[size_t(t->node)].name);
    i.type = QString::fromUtf8(t->type);
    i.id = QString::number(t->vmid);
    i.user = QString::fromUtf8(t->user);
    i.running = !t->done;
    i.exitstatus = QString::fromUtf8(t->exitstatus);
    return i;
}

// --- metrics -------------------------------------------------------------------------------

SimulatedCluster::GuestSample SimulatedCluster::sample(const Guest &guest, double t) const
{
    GuestSample s;
    if (guest.state == State::Stopped)
        return s;
    const double up = std::max(0.0, t - guest.startedAt);
    const quint64 k = guest.key;
    s.uptime = qint64(up);
    if (guest.state == State::Running)
        s.cpu = std::clamp(guest.cpuLoad * (0.4 + 1.2 * smooth(k + 1, t / 20)), 0.0005, 1.0);
    s.mem = qint64(double(guest.maxmem)
        * std::min(0.98, guest.memShare * (0.9 + 0.2 * smooth(k + 2, t / 120))));
    if (guest.kind == GuestKind::Lxc) // qemu reports no disk usage without the guest agent
        s.disk = qint64(double(guest.maxdisk) * guest.diskShare) + qint64(up) * 64;
    s.netin = counter(k + 3, guest.netRate, up);
    s.netout = counter(k + 4, guest.netRate * 0.6, up);
    s.diskread = counter(k + 5, guest.netRate * 0.3, up);
    s.diskwrite = counter(k + 6, guest.netRate * 0.5, up);
    return s;
}

std::vector<SimulatedCluster::GuestSample> SimulatedCluster::sampleGuests(double t) const
{
    std::vector<GuestSample> samples;
    samples.reserve(m_guests.size());
    for (const Guest &guest : m_guests)
        samples.push_back(sample(guest, t));
    return samples;
}

std::vector<SimulatedCluster::NodeSample> SimulatedCluster::sampleNodes(
    double t, const std::vector<GuestSample> &guests) const
{
    std::vector<double> cores(m_nodes.size(), 0.0);
    std::vector<qint64> mem(m_nodes.size(), 0);
    for (size_t i = 0; i < m_guests.size(); ++i) {
        const Guest &guest = m_guests[i];
        cores[size_t(guest.node)] += guests[i].cpu * guest.maxcpu;
        mem[size_t(guest.node)] += guests[i].mem;
    }
    std::vector<NodeSample> samples(m_nodes.size());
    for (size_t i = 0; i < m_nodes.size(); ++i) {
        const Node &node = m_nodes[i];
        NodeSample &s = samples[i];
        const double busy = cores[i] / node.maxcpu;
        s.cpu = std::clamp(0.005 + 0.02 * smooth(node.key + 1, t / 15) + 0.9 * busy, 0.0, 1.0);
        const qint64 overhead = 1536 * MiB
            + qint64(double(node.maxmem) * (0.03 + 0.02 * smooth(node.key + 2, t / 300)));
        s.mem = std::min(overhead + mem[i], qint64(double(node.maxmem) * 0.97));
        s.uptime = qint64(std::max(0.0, t - node.bootAt));
        s.disk = node.rootUsed + s.uptime * 20; // logs grow
        const double running = s.cpu * node.maxcpu;
        s.load[0] = running * (0.8 + 0.4 * smooth(node.key + 3, t / 60));
        s.load[1] = running * (0.9 + 0.2 * smooth(node.key + 4, t / 300));
        s.load[2] = running * (0.95 + 0.1 * smooth(node.key + 5, t / 900));
    }
    return samples;
}

// --- tasks ---------------------------------------------------------------------------------

SimulatedCluster::Task *SimulatedCluster::findTask(const QByteArray &upid)
{
    const auto it = m_taskByUpid.constFind(upid);
    if (it == m_taskByUpid.constEnd())
        return nullptr;
    return &m_tasks[size_t(*it - m_firstTaskSerial)];
}

void SimulatedCluster::settle()
{
    const double t = now();
    const qint64 end = m_firstTaskSerial + qint64(m_tasks.size());
    std::vector<Task *> due;
    for (qint64 serial = std::max(m_pendingFrom, m_firstTaskSerial); serial < end; ++serial) {
        Task &task = m_tasks[size_t(serial - m_firstTaskSerial)];
        if (!task.done && task.endAt <= t)
            due.push_back(&task);
    }
    std::stable_sort(
        due.begin(), due.end(), [](const Task *a, const Task *b) { return a->endAt < b->endAt; });
    for (Task *task : due)
        finish(*task);
    while (m_pendingFrom < end && m_tasks[size_t(m_pendingFrom - m_firstTaskSerial)].done)
        ++m_pendingFrom;
    while (int(m_tasks.size()) > MaxTasks && m_tasks.front().done) {
        m_taskByUpid.remove(m_tasks.front().upid);
        m_tasks.pop_front();
        ++m_firstTaskSerial;
    }
}

QString SimulatedCluster::workerError(const Task &task) const
{
    const int g = guestIndex(task.vmid);
    const bool here = hostedOn(g, task.node, task.kind);
    const QString vmid = QString::number(task.vmid);
    const QString node = QString::fromUtf8(m_nodes[size_t(task.node)].name);
    const bool qemu = task.kind == GuestKind::Qemu;
    const QString noConfig =
        QStringLiteral("unable to find configuration file for VM %1 on node '%2'").arg(vmid, node);
    const QString notRunning =
        (qemu ? QStringLiteral("VM %1 not running") : QStringLiteral("CT %1 not running"))
            .arg(vmid);
    const Guest *guest = here ? &m_guests[size_t(g)] : nullptr;
    const QString locked = guest
        ? (qemu ? QStringLiteral("VM is locked (%1)") : QStringLiteral("CT is locked (%1)"))
              .arg(QString::fromUtf8(guest->lock))
        : QString();

    switch (task.action) {
    case PowerAction::Start:
        if (!guest) {
            return QStringLiteral("Configuration file 'nodes/%1/%2/%3.conf' does not exist")
                .arg(node, qemu ? QStringLiteral("qemu-server") : QStringLiteral("lxc"), vmid);
        }
        if (guest->isTemplate)
            return qemu ? QStringLiteral("you can't start a vm if it's a template")
                        : QStringLiteral("you can't start a CT if it's a template");
        if (qemu && guest->lock == "backup" && guest->state != State::Stopped)
            return {}; // PVE resumes the guest in its running QEMU instance
        if (!guest->lock.isEmpty())
            return locked;
        if (guest->state != State::Stopped)
            return (qemu ? QStringLiteral("VM %1 already running")
                         : QStringLiteral("CT %1 already running"))
                .arg(vmid);
        return {};
    case PowerAction::Stop:
    case PowerAction::Shutdown:
        if (!guest)
            return qemu ? noConfig : notRunning;
        if (guest->state == State::Stopped)
            return qemu ? QString() : notRunning;
        if (!guest->lock.isEmpty())
            return locked;
        return {};
    case PowerAction::Reboot:
    case PowerAction::Suspend:
    case PowerAction::Resume:
        if (!guest)
            return qemu ? noConfig : notRunning;
        if (guest->state == State::Stopped)
            return notRunning;
        return {};
    }
    return {};
}

void SimulatedCluster::finish(Task &task)
{
    const QString error = workerError(task);
    task.done = true;
    task.endtime = qint64(task.endAt);
    task.exitstatus = error.isEmpty() ? QByteArray("OK") : error.toUtf8();
    if (!error.isEmpty())
        return;
    Guest &guest = m_guests[size_t(guestIndex(task.vmid))];
    switch (task.action) {
    case PowerAction::Start:
        if (guest.state == State::Stopped) {
            guest.state = State::Running;
            guest.startedAt = task.endAt;
        }
        break;
    case PowerAction::Stop:
    case PowerAction::Shutdown:
        guest.state = State::Stopped;
        break;
    case PowerAction::Reboot:
        guest.state = State::Running;
        guest.startedAt = task.endAt;
        break;
    case PowerAction::Suspend:
        if (guest.state == State::Running)
            guest.state = State::Paused;
        break;
    case PowerAction::Resume:
        if (guest.state == State::Paused)
            guest.state = State::Running;
        break;
    }
}

// --- the API -------------------------------------------------------------------------------

ApiAnswer SimulatedCluster::version() const
{
    JsonWriter w;
    w.beginObject();
    w.field("version", "8.2.4");
    w.field("release", "8.2");
    w.field("repoid", "faa83925c9641325");
    w.endObject();
    return ApiAnswer::ok(w.take());
}

// The members a node entry of /cluster/resources and of /nodes start with (the object is left
// open).
void SimulatedCluster::beginNodeEntry(JsonWriter &w, const Node &node)
{
    w.beginObject();
    w.key("id");
    w.joined({"node/", view(node.name)});
    w.field("type", "node");
    w.field("node", node.name);
    w.field("status", node.online ? "online" : "offline");
    w.field("level", "");
}

void SimulatedCluster::writeGuest(JsonWriter &w, const Guest &guest, const GuestSample &s) const
{
    const Node &node = m_nodes[size_t(guest.node)];
    w.beginObject();
    char vmid[16];
    const auto digits = std::to_chars(vmid, vmid + sizeof vmid, guest.vmid);
    w.key("id");
    w.joined({guest.kind == GuestKind::Qemu ? "qemu/" : "lxc/",
        std::string_view(vmid, size_t(digits.ptr - vmid))});
    w.field("type", guest.kind == GuestKind::Qemu ? "qemu" : "lxc");
    w.field("vmid", guest.vmid);
    w.field("name", guest.name);
    w.field("node", node.name);
    if (!node.online) {
        // The node's metrics left the cluster's cache with it; only the configuration is known.
        w.field("status", "unknown");
    } else {
        w.field("status",
            guest.state == State::Running      ? "running"
                : guest.state == State::Paused ? "paused"
                                               : "stopped");
        w.field("cpu", s.cpu);
        w.field("mem", s.mem);
        w.field("disk", s.disk);
        w.field("uptime", s.uptime);
        w.field("netin", s.netin);
        w.field("netout", s.netout);
        w.field("diskread", s.diskread);
        w.field("diskwrite", s.diskwrite);
    }
    w.field("maxcpu", guest.maxcpu);
    w.field("maxmem", guest.maxmem);
    w.field("maxdisk", guest.maxdisk);
    w.field("template", guest.isTemplate ? 1 : 0);
    if (!guest.tags.isEmpty())
        w.field("tags", guest.tags);
    if (!guest.lock.isEmpty())
        w.field("lock", guest.lock);
    w.endObject();
}

ApiAnswer SimulatedCluster::clusterResources(const QString &type)
{
    static const QStringList types = {QStringLiteral("vm"), QStringLiteral("storage"),
        QStringLiteral("node"), QStringLiteral("sdn")};
    if (!type.isEmpty() && !types.contains(type)) {
        return ApiAnswer::parameterError(QStringLiteral("type"),
            QStringLiteral("value '%1' does not have a value in the enumeration '%2'")
                .arg(type, types.join(QStringLiteral(", "))));
    }
    settle();
    const double t = now();
    const bool all = type.isEmpty();
    JsonWriter w(qsizetype(m_guests.size()) * 340 + qsizetype(m_nodes.size()) * 800 + 256);
    w.beginArray();
    const bool vms = all || type == QLatin1String("vm");
    const bool nodes = all || type == QLatin1String("node");
    const std::vector<GuestSample> guestSamples =
        vms || nodes ? sampleGuests(t) : std::vector<GuestSample>();
    if (vms) {
        for (size_t i = 0; i < m_guests.size(); ++i)
            writeGuest(w, m_guests[i], guestSamples[i]);
    }
    if (nodes) {
        const std::vector<NodeSample> samples = sampleNodes(t, guestSamples);
        for (size_t i = 0; i < m_nodes.size(); ++i) {
            const Node &node = m_nodes[i];
            beginNodeEntry(w, node);
            if (node.online) {
                w.field("cgroup-mode", 2);
                w.field("cpu", samples[i].cpu);
                w.field("mem", samples[i].mem);
                w.field("disk", samples[i].disk);
                w.field("uptime", samples[i].uptime);
            }
            w.field("maxcpu", node.maxcpu);
            w.field("maxmem", node.maxmem);
            w.field("maxdisk", node.maxdisk);
            w.endObject();
        }
    }
    if (all || type == QLatin1String("storage")) {
        for (size_t i = 0; i < m_nodes.size(); ++i) {
            const Node &node = m_nodes[i];
            for (const Storage &s : m_storages) {
                if (!s.shared && s.node != int(i))
                    continue;
                w.beginObject();
                w.key("id");
                w.joined({"storage/", view(node.name), "/", view(s.name)});
                w.field("type", "storage");
                w.field("storage", s.name);
                w.field("node", node.name);
                w.field("status", node.online ? "available" : "unknown");
                w.field("plugintype", s.plugin);
                w.field("content", s.content);
                w.field("shared", s.shared ? 1 : 0);
                if (node.online) {
                    qint64 used = qint64(
                        double(s.maxdisk) * (s.usedShare + 0.01 * smooth(s.key + 1, t / 600)));
                    if (!s.shared && s.name == "local")
                        used = node.rootUsed + qint64(std::max(0.0, t - node.bootAt)) * 20;
                    w.field("disk", used);
                    w.field("maxdisk", s.maxdisk);
                }
                w.endObject();
            }
        }
    }
    if (all || type == QLatin1String("sdn")) {
        for (const Node &node : m_nodes) {
            w.beginObject();
            w.key("id");
            w.joined({"sdn/", view(node.name), "/localnetwork"});
            w.field("type", "sdn");
            w.field("sdn", "localnetwork");
            w.field("node", node.name);
            w.field("status", node.online ? "ok" : "unknown");
            w.endObject();
        }
    }
    w.endArray();
    return ApiAnswer::ok(w.take());
}

ApiAnswer SimulatedCluster::clusterStatus()
{
    JsonWriter w;
    w.beginArray();
    if (m_nodes.size() > 1) { // a standalone node has no cluster row
        w.beginObject();
        w.field("type", "cluster");
        w.field("id", "cluster");
        w.field("name", m_options.clusterName);
        w.field("version", int(m_nodes.size()) + 1);
        w.field("nodes", int(m_nodes.size()));
        w.field("quorate", isQuorate() ? 1 : 0);
        w.endObject();
    }
    for (size_t i = 0; i < m_nodes.size(); ++i) {
        const Node &node = m_nodes[i];
        w.beginObject();
        w.field("type", "node");
        w.key("id");
        w.joined({"node/", view(node.name)});
        w.field("name", node.name);
        w.field("nodeid", m_nodes.size() > 1 ? int(i) + 1 : 0);
        w.field("ip", node.ip);
        w.field("online", node.online ? 1 : 0);
        w.field("local", int(i) == m_local ? 1 : 0);
        w.field("level", "");
        w.endObject();
    }
    w.endArray();
    return ApiAnswer::ok(w.take());
}

ApiAnswer SimulatedCluster::nodes()
{
    settle();
    const double t = now();
    const std::vector<NodeSample> samples = sampleNodes(t, sampleGuests(t));
    JsonWriter w;
    w.beginArray();
    for (size_t i = 0; i < m_nodes.size(); ++i) {
        const Node &node = m_nodes[i];
        beginNodeEntry(w, node);
        w.field(
            "ssl_fingerprint", m_sslFingerprint.isEmpty() ? node.fingerprint : m_sslFingerprint);
        if (node.online) {
            w.field("cpu", samples[i].cpu);
            w.field("mem", samples[i].mem);
            w.field("disk", samples[i].disk);
            w.field("uptime", samples[i].uptime);
        }
        w.field("maxcpu", node.maxcpu);
        w.field("maxmem", node.maxmem);
        w.field("maxdisk", node.maxdisk);
        w.endObject();
    }
    w.endArray();
    return ApiAnswer::ok(w.take());
}

ApiAnswer SimulatedCluster::nodeStatus(const QString &nodeName)
{
    const int i = nodeIndex(nodeName);
    if (i < 0)
        return ApiAnswer::error(500, QStringLiteral("no such node '%1'").arg(nodeName));
    settle();
    const double t = now();
    const Node &node = m_nodes[size_t(i)];
    const NodeSample s = sampleNodes(t, sampleGuests(t))[size_t(i)];
    const auto load = [](double v) { return QByteArray::number(v, 'f', 2); };

    JsonWriter w;
    w.beginObject();
    w.field("uptime", s.uptime);
    w.field("cpu", s.cpu);
    w.field("idle", 0);
    w.field("wait", 0.0005 + 0.004 * smooth(node.key + 6, t / 30));
    w.key("loadavg");
    w.beginArray();
    for (double v : s.load)
        w.value(load(v));
    w.endArray();
    w.field("pveversion", PveVersion);
    w.field("kversion", QByteArray("Linux ") + KernelRelease + ' ' + KernelVersion);
    w.key("current-kernel");
    w.beginObject();
    w.field("sysname", "Linux");
    w.field("release", KernelRelease);
    w.field("version", KernelVersion);
    w.field("machine", "x86_64");
    w.endObject();
    w.key("boot-info");
    w.beginObject();
    w.field("mode", "efi");
    w.field("secureboot", 0);
    w.endObject();
    w.key("cpuinfo");
    w.beginObject();
    w.field("model", node.cpuModel);
    w.field("sockets", node.sockets);
    w.field("cores", std::max(1, node.maxcpu / (node.sockets * 2)));
    w.field("cpus", node.maxcpu);
    w.field("mhz", QByteArray::number(node.mhz, 'f', 3));
    w.field("hvm", "1");
    w.field("user_hz", 100);
    w.field("flags", CpuFlags);
    w.endObject();
    w.key("memory");
    w.beginObject();
    w.field("total", node.maxmem);
    w.field("used", s.mem);
    w.field("free", node.maxmem - s.mem);
    w.field("available", node.maxmem - s.mem + node.maxmem / 50);
    w.endObject();
    w.key("swap");
    w.beginObject();
    const qint64 swapUsed =
        node.swap ? qint64(double(node.swap) * 0.02 * smooth(node.key + 7, t / 600)) : 0;
    w.field("total", node.swap);
    w.field("used", swapUsed);
    w.field("free", node.swap - swapUsed);
    w.endObject();
    w.key("rootfs");
    w.beginObject();
    w.field("total", node.maxdisk);
    w.field("used", s.disk);
    w.field("free", node.maxdisk - s.disk);
    w.field("avail", node.maxdisk - s.disk);
    w.endObject();
    w.key("ksm");
    w.beginObject();
    w.field("shared", 0);
    w.endObject();
    w.endObject();
    return ApiAnswer::ok(w.take());
}

ApiAnswer SimulatedCluster::rrdData(const QString &nodeName, std::optional<GuestKind> kind,
    const QString &vmidText, const QString &timeframe, const QString &cf)
{
    static const QHash<QString, int> steps = {{QStringLiteral("hour"), 60},
        {QStringLiteral("day"), 1800}, {QStringLiteral("week"), 10800},
        {QStringLiteral("month"), 43200}, {QStringLiteral("year"), 604800}};
    if (timeframe.isEmpty())
        return ApiAnswer::parameterError(QStringLiteral("timeframe"),
            QStringLiteral("property is missing and it is not optional"));
    if (!steps.contains(timeframe))
        return ApiAnswer::parameterError(QStringLiteral("timeframe"),
            QStringLiteral("value '%1' does not have a value in the enumeration 'hour, day, week, "
                           "month, year'")
                .arg(timeframe));
    if (!cf.isEmpty() && cf != QLatin1String("AVERAGE") && cf != QLatin1String("MAX"))
        return ApiAnswer::parameterError(QStringLiteral("cf"),
            QStringLiteral("value '%1' does not have a value in the enumeration 'AVERAGE, MAX'")
                .arg(cf));
    const int n = nodeIndex(nodeName);
    if (n < 0)
        return ApiAnswer::error(500, QStringLiteral("no such node '%1'").arg(nodeName));
    int g = -1;
    if (kind) {
        bool ok = false;
        const int vmid = vmidText.trimmed().toInt(&ok);
        if (!ok)
            return ApiAnswer::parameterError(QStringLiteral("vmid"),
                QStringLiteral("type check ('integer') failed - got '%1'").arg(vmidText));
        g = guestIndex(vmid);
        if (!hostedOn(g, n, *kind))
            return ApiAnswer::error(500,
                QStringLiteral("Configuration file 'nodes/%1/%2/%3.conf' does not exist")
                    .arg(nodeName,
                        *kind == GuestKind::Qemu ? QStringLiteral("qemu-server")
                                                 : QStringLiteral("lxc"))
                    .arg(vmid));
    }
    settle();
    const int step = steps.value(timeframe);
    constexpr int Points = 70;
    const double t = now();
    const qint64 end = qint64(std::floor(t / step)) * step; // the step under way starts here
    const Node &node = m_nodes[size_t(n)];
    const auto rate = [&](quint64 key, double perSecond, double startedAt, double at) {
        const double from = std::max(0.0, at - startedAt);
        const double to = std::max(0.0, at + step - startedAt);
        return double(counter(key, perSecond, to) - counter(key, perSecond, from)) / step;
    };

    JsonWriter w(Points * 256);
    w.beginArray();
    for (int i = 0; i < Points; ++i) {
        const qint64 at = end - qint64(Points - 1 - i) * step;
        w.beginObject();
        w.field("time", at);
        if (at < end) {
            const double mid = double(at) + step / 2.0;
            if (g >= 0) {
                const Guest &guest = m_guests[size_t(g)];
                const GuestSample s = sample(guest, mid);
                const bool up = guest.state != State::Stopped && guest.startedAt <= at;
                w.field("cpu", s.cpu);
                w.field("maxcpu", guest.maxcpu);
                w.field("mem", s.mem);
                w.field("maxmem", guest.maxmem);
                w.field("disk", s.disk);
                w.field("maxdisk", guest.maxdisk);
                const quint64 k = guest.key;
                const double r = guest.netRate;
                w.field("netin", up ? rate(k + 3, r, guest.startedAt, at) : 0.0);
                w.field("netout", up ? rate(k + 4, r * 0.6, guest.startedAt, at) : 0.0);
                w.field("diskread", up ? rate(k + 5, r * 0.3, guest.startedAt, at) : 0.0);
                w.field("diskwrite", up ? rate(k + 6, r * 0.5, guest.startedAt, at) : 0.0);
            } else {
                const std::vector<GuestSample> guests = sampleGuests(mid);
                const NodeSample s = sampleNodes(mid, guests)[size_t(n)];
                double netin = 0, netout = 0;
                for (size_t j = 0; j < m_guests.size(); ++j) {
                    const Guest &guest = m_guests[j];
                    if (guest.node != n || guest.state == State::Stopped || guest.startedAt > at)
                        continue;
                    netin += rate(guest.key + 3, guest.netRate, guest.startedAt, at);
                    netout += rate(guest.key + 4, guest.netRate * 0.6, guest.startedAt, at);
                }
                w.field("cpu", s.cpu);
                w.field("maxcpu", node.maxcpu);
                w.field("iowait", 0.0005 + 0.004 * smooth(node.key + 6, mid / 30));
                w.field("loadavg", s.load[0]);
                w.field("memused", s.mem);
                w.field("memtotal", node.maxmem);
                w.field("netin", netin);
                w.field("netout", netout);
                w.field("rootused", s.disk);
                w.field("roottotal", node.maxdisk);
                w.field("swaptotal", node.swap);
                w.field("swapused", qint64(0));
            }
        }
        w.endObject();
    }
    w.endArray();
    return ApiAnswer::ok(w.take());
}

ApiAnswer SimulatedCluster::power(const QString &nodeName, GuestKind kind, const QString &vmidText,
    PowerAction action, const QString &user)
{
    static const QRegularExpression integer(QStringLiteral("^\\s*[+-]?\\d+\\s*$"));
    if (!integer.match(vmidText).hasMatch()) {
        return ApiAnswer::parameterError(QStringLiteral("vmid"),
            QStringLiteral("type check ('integer') failed - got '%1'").arg(vmidText));
    }
    const qint64 vmid = vmidText.trimmed().toLongLong();
    if (vmid < MinVmid)
        return ApiAnswer::parameterError(QStringLiteral("vmid"),
            QStringLiteral("value must have a minimum value of %1").arg(MinVmid));
    if (vmid > MaxVmid)
        return ApiAnswer::parameterError(QStringLiteral("vmid"),
            QStringLiteral("value must have a maximum value of %1").arg(MaxVmid));
    const int n = nodeIndex(nodeName);
    if (n < 0)
        return ApiAnswer::error(500, QStringLiteral("no such node '%1'").arg(nodeName));

    settle();
    const int g = guestIndex(int(vmid));
    const bool here = hostedOn(g, n, kind);
    const State state = here ? m_guests[size_t(g)].state : State::Stopped;
    const QString id = QString::number(vmid);
    const bool qemu = kind == GuestKind::Qemu;
    const auto fail = [](const QString &message) { return ApiAnswer::error(500, message); };
    const QString noConfig =
        QStringLiteral("unable to find configuration file for VM %1 on node '%2'")
            .arg(id, nodeName);
    const QString noQuorum = QStringLiteral("cluster not ready - no quorum?");

    // The checks PVE makes before it forks the worker; what the worker finds is in workerError().
    if (qemu) {
        switch (action) {
        case PowerAction::Start:
            if (!isQuorate())
                return fail(noQuorum);
            break;
        case PowerAction::Stop:
            break;
        case PowerAction::Shutdown:
            if (state == State::Paused)
                return fail(QStringLiteral("VM is paused - cannot shutdown"));
            break;
        case PowerAction::Reboot:
            if (state == State::Paused)
                return fail(QStringLiteral("VM is paused - cannot shutdown"));
            [[fallthrough]];
        case PowerAction::Suspend:
        case PowerAction::Resume:
            if (!here)
                return fail(noConfig);
            if (state == State::Stopped)
                return fail(QStringLiteral("VM %1 not running").arg(id));
            break;
        }
    } else {
        const bool running = here && state != State::Stopped;
        switch (action) {
        case PowerAction::Start:
            if (running)
                return fail(QStringLiteral("CT %1 already running").arg(id));
            if (!isQuorate())
                return fail(noQuorum);
            break;
        case PowerAction::Stop:
        case PowerAction::Shutdown:
        case PowerAction::Suspend:
            if (!running)
                return fail(QStringLiteral("CT %1 not running").arg(id));
            break;
        case PowerAction::Resume:
            if (!running)
                return fail(QStringLiteral("CT %1 not running").arg(id));
            if (state == State::Running)
                return fail(QStringLiteral("CT %1 already running").arg(id));
            break;
        case PowerAction::Reboot:
            if (!running)
                return fail(QStringLiteral("VM %1 not running").arg(id)); // sic, as PVE says it
            break;
        }
    }

    static const char *const qemuTypes[] = {
        "qmstart", "qmstop", "qmshutdown", "qmreboot", "qmpause", "qmresume"};
    static const char *const lxcTypes[] = {
        "vzstart", "vzstop", "vzshutdown", "vzreboot", "vzsuspend", "vzresume"};
    const double t = now();
    const Node &node = m_nodes[size_t(n)];
    Task task;
    ++m_taskCounter;
    task.type = (qemu ? qemuTypes : lxcTypes)[int(action)];
    task.user = user.toUtf8();
    task.node = n;
    task.vmid = int(vmid);
    task.kind = kind;
    task.action = action;
    task.pid = quint32(1000 + mix(m_options.seed ^ (m_taskCounter * 0x9E37ULL)) % 4000000);
    task.pstart = quint32(std::max(0.0, t - node.bootAt) * 100);
    task.starttime = qint64(t);
    task.endAt = t + m_options.taskDurationMs / 1000.0;
    do {
        task.upid = "UPID:" + node.name + ':' + hex8(task.pid) + ':' + hex8(task.pstart) + ':'
            + hex8(quint64(task.starttime)) + ':' + task.type + ':' + QByteArray::number(vmid) + ':'
            + task.user + ':';
        ++task.pid; // only matters when a pid repeats within one second
    } while (m_taskByUpid.contains(task.upid));
    --task.pid;
    m_taskByUpid.insert(task.upid, m_firstTaskSerial + qint64(m_tasks.size()));
    m_tasks.push_back(task);
    if (m_options.taskDurationMs == 0)
        settle();

    JsonWriter w;
    w.value(task.upid);
    return ApiAnswer::ok(w.take());
}

void SimulatedCluster::writeTask(JsonWriter &w, const Task &task, bool listEntry) const
{
    w.beginObject();
    w.field("upid", task.upid);
    w.field("node", m_nodes[size_t(task.node)].name);
    w.field("pid", qint64(task.pid));
    w.field("pstart", qint64(task.pstart));
    w.field("starttime", task.starttime);
    w.field("type", task.type);
    w.field("id", QByteArray::number(task.vmid));
    const qsizetype bang = task.user.indexOf('!');
    if (bang >= 0) {
        w.field("user", task.user.left(bang));
        w.field("tokenid", task.user.mid(bang + 1));
    } else {
        w.field("user", task.user);
    }
    if (listEntry) {
        if (task.done) {
            w.field("endtime", task.endtime);
            w.field("status", task.exitstatus);
        } else {
            w.field("status", "RUNNING");
        }
    } else {
        w.field("status", task.done ? "stopped" : "running");
        if (task.done)
            w.field("exitstatus", task.exitstatus);
    }
    w.endObject();
}

ApiAnswer SimulatedCluster::taskStatus(const QString &nodeName, const QString &upid)
{
    static const QRegularExpression format(
        QStringLiteral("^UPID:([a-zA-Z0-9]([a-zA-Z0-9\\-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-"
                       "Fa-f]{8,9}):([0-9A-Fa-f]{8}):"
                       "([^:\\s]+):([^:\\s]*):([^:\\s]+):$"));
    const QRegularExpressionMatch match = format.match(upid);
    if (!match.hasMatch())
        return ApiAnswer::parameterError(
            QStringLiteral("upid"), QStringLiteral("unable to parse worker upid"));
    settle();
    const Task *task = findTask(upid.toUtf8());
    // The task log lives on the node named in the UPID; asked elsewhere, the file is not there.
    if (!task || match.captured(1) != nodeName
        || m_nodes[size_t(task->node)].name != nodeName.toUtf8())
        return ApiAnswer::parameterError(QStringLiteral("upid"), QStringLiteral("no such task"));
    JsonWriter w;
    writeTask(w, *task, false);
    return ApiAnswer::ok(w.take());
}

ApiAnswer SimulatedCluster::tasks(const QString &nodeName, const TaskQuery &query)
{
    const int n = nodeIndex(nodeName);
    if (n < 0)
        return ApiAnswer::error(500, QStringLiteral("no such node '%1'").arg(nodeName));
    settle();
    const bool active =
        query.source == QLatin1String("active") || query.source == QLatin1String("all");
    const bool archive = query.source != QLatin1String("active");
    qint64 count = 0;
    int limit = query.limit;
    JsonWriter w;
    w.beginArray();
    const auto consider = [&](const Task &task) {
        if (task.node != n)
            return;
        if (!query.typeFilter.isEmpty() && task.type != query.typeFilter.toUtf8())
            return;
        if (query.vmid && task.vmid != query.vmid)
            return;
        if (query.errors && task.done && exitOk(task.exitstatus))
            return;
        if (count++ < query.start || limit <= 0)
            return;
        writeTask(w, task, true);
        --limit;
    };
    if (active) {
        for (auto it = m_tasks.rbegin(); it != m_tasks.rend(); ++it) {
            if (!it->done)
                consider(*it);
        }
    }
    if (archive) {
        std::vector<const Task *> finished;
        for (const Task &task : m_tasks) {
            if (task.done)
                finished.push_back(&task);
        }
        // The archive is ordered by end time, newest first.
        std::stable_sort(finished.begin(), finished.end(),
            [](const Task *a, const Task *b) { return a->endAt > b->endAt; });
        for (const Task *task : finished)
            consider(*task);
    }
    w.endArray();
    return ApiAnswer::ok(w.take(), count);
}

} // namespace jarvis::demo
