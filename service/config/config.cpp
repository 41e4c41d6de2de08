#include "config.h"

#include "auth/password.h"
#include "core/configsyntax.h"
#include "net/origin.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QHostAddress>
#include <QRegularExpression>
#include <QStringDecoder>

#include <algorithm>
#include <optional>

// Why not QSettings: on the example of PROTOCOL.md section 7 it turns "a,b" into a QStringList,
// percent-decodes keys and group names, interprets values starting with "@" (@Variant, @Invalid),
// cuts "sensors -j;echo" at the ";", flattens [General], silently merges duplicate groups and keys,
// and reports no line numbers. The strict reader below does none of that.

namespace jarvis::config {

namespace {

using core::isValidFingerprint;
using core::isValidNodeName;
using core::isValidTokenId;

const QString EnvironmentFile = QStringLiteral("environment");
constexpr qint64 MaxFileSize = 1024 * 1024;
constexpr int MinJwtSecretLength = 43;
constexpr int MaxQuotedLength = 60;

// ---- The one list of known groups and keys ------------------------------------------------

const QString NodePrefix = QStringLiteral("node.");
const QString NodeGroupPattern = QStringLiteral("node.NAME");

struct GroupKeys
{
    QString group; // "node.NAME" stands for every [node.*] group
    QStringList keys;
};

const QList<GroupKeys> &knownKeys()
{
    static const QList<GroupKeys> known = {
        {QStringLiteral("server"),
            {QStringLiteral("listen"), QStringLiteral("port"), QStringLiteral("tlsCert"),
                QStringLiteral("tlsKey"), QStringLiteral("allowedOrigins"),
                QStringLiteral("maxPayload"), QStringLiteral("maxBodySize"),
                QStringLiteral("pingInterval"), QStringLiteral("pingTimeout"),
                QStringLiteral("connectTimeout"), QStringLiteral("perMessageDeflate")}},
        {QStringLiteral("auth"),
            {QStringLiteral("username"), QStringLiteral("passwordHash"),
                QStringLiteral("jwtSecret"), QStringLiteral("tokenLifetime")}},
        {QStringLiteral("proxmox"),
            {QStringLiteral("tokenId"), QStringLiteral("tokenSecret"),
                QStringLiteral("tlsFingerprint"), QStringLiteral("caFile"),
                QStringLiteral("insecure")}},
        {QStringLiteral("intervals"),
            {QStringLiteral("nodes"), QStringLiteral("vms"), QStringLiteral("storage"),
                QStringLiteral("temperature"), QStringLiteral("quorum"),
                QStringLiteral("nodeStatus")}},
        {QStringLiteral("safety"),
            {QStringLiteral("protectedNodes"), QStringLiteral("protectedVmids")}},
        {QStringLiteral("ssh"),
            {QStringLiteral("user"), QStringLiteral("keyFile"), QStringLiteral("knownHostsFile"),
                QStringLiteral("strictHostKeys")}},
        {QStringLiteral("temperature"), {QStringLiteral("command")}},
        {QStringLiteral("audit"), {QStringLiteral("file")}},
        {QStringLiteral("metrics"), {QStringLiteral("token")}},
        {QStringLiteral("mcp"),
            {QStringLiteral("enabled"), QStringLiteral("apiKeys"), QStringLiteral("maxSessions"),
                QStringLiteral("sessionIdleTimeout")}},
        {QStringLiteral("history"),
            {QStringLiteral("enabled"), QStringLiteral("file"), QStringLiteral("saveInterval"),
                QStringLiteral("backfill")}},
        {NodeGroupPattern,
            {QStringLiteral("host"), QStringLiteral("apiUrl"), QStringLiteral("sshPort"),
                QStringLiteral("tlsFingerprint")}},
    };
    return known;
}

const GroupKeys *groupSpec(const QString &group)
{
    const QString name = group.startsWith(NodePrefix) ? NodeGroupPattern : group;
    for (const GroupKeys &spec : knownKeys()) {
        if (spec.group == name)
            return &spec;
    }
    return nullptr;
}

QString knownGroupList()
{
    QStringList names;
    for (const GroupKeys &spec : knownKeys())
        names << spec.group;
    return names.join(QLatin1String(", "));
}

// ---- Strict INI reader --------------------------------------------------------------------

struct IniEntry
{
    QString key;
    QString value;
    int line = 0;
};

struct IniGroup
{
    QString name;
    int line = 0;
    QList<IniEntry> entries;

    const IniEntry *find(const QString &key) const
    {
        for (const IniEntry &e : entries) {
            if (e.key == key)
                return &e;
        }
        return nullptr;
    }
};

struct IniFile
{
    QList<IniGroup> groups;

    const IniGroup *find(const QString &name) const
    {
        for (const IniGroup &g : groups) {
            if (g.name == name)
                return &g;
        }
        return nullptr;
    }
};

QString quoted(const QString &value)
{
    if (value.size() <= MaxQuotedLength)
        return QLatin1Char('"') + value + QLatin1Char('"');
    return QLatin1Char('"') + value.left(MaxQuotedLength) + QLatin1String("...\"");
}

// Problems of one source (the file or the environment).
class Problems
{
public:
    Problems(QString file, QList<Problem> *out)
        : m_file(std::move(file))
        , m_out(out)
    { }

    void add(const QString &key, int line, const QString &message) const
    {
        const QString text =
            line > 0 ? QStringLiteral("line %1: %2").arg(line).arg(message) : message;
        m_out->append(Problem {m_file, key, text});
    }

private:
    QString m_file;
    QList<Problem> *m_out;
};

// Groups `[name]`, `key=value`, full-line comments (`;` or `#`), inline comments introduced by
// whitespace + `;`, whitespace trimmed. Values are taken as written: no quotes, escapes, lists.
IniFile parseIni(const QString &text, const Problems &problems)
{
    IniFile ini;
    QHash<QString, qsizetype> groupIndex;
    qsizetype current = -1;

    const QStringList lines = text.split(QLatin1Char('\n'));
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const int lineNo = int(i + 1);
        const QString line = lines[i].trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char(';'))
            || line.startsWith(QLatin1Char('#')))
            continue;

        if (line.startsWith(QLatin1Char('['))) {
            const qsizetype close = line.indexOf(QLatin1Char(']'));
            if (close < 0) {
                problems.add(QString(), lineNo, QStringLiteral("group header without ']'"));
                current = -1;
                continue;
            }
            const QString name = line.mid(1, close - 1).trimmed();
            const QString rest = line.mid(close + 1).trimmed();
            if (!rest.isEmpty() && !rest.startsWith(QLatin1Char(';'))
                && !rest.startsWith(QLatin1Char('#'))) {
                problems.add(name, lineNo, QStringLiteral("unexpected text after ']'"));
            }
            if (name.isEmpty()) {
                problems.add(QString(), lineNo, QStringLiteral("empty group name"));
                current = -1;
                continue;
            }
            const auto it = groupIndex.constFind(name);
            if (it != groupIndex.constEnd()) {
                problems.add(name, lineNo,
                    QStringLiteral("group [%1] appears again (first at line %2)")
                        .arg(name, QString::number(ini.groups[*it].line)));
                current = *it;
                continue;
            }
            current = ini.groups.size();
            groupIndex.insert(name, current);
            ini.groups.append(IniGroup {name, lineNo, {}});
            continue;
        }

        const qsizetype eq = line.indexOf(QLatin1Char('='));
        if (eq < 0) {
            problems.add(
                QString(), lineNo, QStringLiteral("expected key=value, [group] or a comment"));
            continue;
        }
        const QString key = line.left(eq).trimmed();
        QString value = line.mid(eq + 1);
        for (qsizetype j = 1; j < value.size(); ++j) {
            if (value[j] == QLatin1Char(';') && value[j - 1].isSpace()) {
                value.truncate(j);
                break;
            }
        }
        value = value.trimmed();

        if (key.isEmpty()) {
            problems.add(QString(), lineNo, QStringLiteral("empty key before '='"));
            continue;
        }
        if (current < 0) {
            problems.add(key, lineNo, QStringLiteral("key outside of any [group]"));
            continue;
        }
        IniGroup &group = ini.groups[current];
        if (const IniEntry *first = group.find(key)) {
            problems.add(group.name + QLatin1Char('/') + key, lineNo,
                QStringLiteral("duplicate key (first set at line %1)").arg(first->line));
            continue;
        }
        group.entries.append(IniEntry {key, value, lineNo});
    }
    return ini;
}

// ---- Value checks shared by the file and the environment ---------------------------------

std::optional<qint64> parseInteger(const QString &text)
{
    qsizetype start = text.startsWith(QLatin1Char('-')) ? 1 : 0;
    if (text.size() == start || text.size() - start > 18)
        return std::nullopt;
    for (qsizetype i = start; i < text.size(); ++i) {
        if (text[i] < QLatin1Char('0') || text[i] > QLatin1Char('9'))
            return std::nullopt;
    }
    bool ok = false;
    const qint64 value = text.toLongLong(&ok);
    return ok ? std::optional(value) : std::nullopt;
}

QString integerRangeMessage(qint64 min, qint64 max, const QString &got)
{
    return QStringLiteral("must be an integer in %1..%2, got %3")
        .arg(min)
        .arg(max)
        .arg(quoted(got));
}

bool isValidListen(const QString &text)
{
    return text.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0
        || !QHostAddress(text).isNull();
}

const QString ListenMessage = QStringLiteral("must be an IP address or \"localhost\", got %1");

bool hasControlOrSpace(const QString &text)
{
    for (QChar c : text) {
        if (c.isSpace() || c.category() == QChar::Other_Control)
            return true;
    }
    return false;
}

QString defaultAuditFile(const QProcessEnvironment &env)
{
    // systemd's STATE_DIRECTORY may list several directories separated by ':'; use the first.
    const QString stateDir =
        env.value(QStringLiteral("STATE_DIRECTORY")).section(QLatin1Char(':'), 0, 0);
    if (!stateDir.isEmpty())
        return QDir(stateDir).filePath(QStringLiteral("audit.jsonl"));
    return QStringLiteral("/var/lib/jarvis/audit.jsonl");
}

bool isHttpScheme(const QUrl &url)
{
    const QString scheme = url.scheme().toLower();
    return scheme == QLatin1String("http") || scheme == QLatin1String("https");
}

// ---- Reading one group --------------------------------------------------------------------

// Typed access to one group's values; every bad value becomes a problem keyed "group/key" with
// the line it was on. A null group reads as empty. Secret values are never quoted.
class GroupReader
{
public:
    GroupReader(QString name, const IniGroup *group, const Problems &problems, QString baseDir)
        : m_name(std::move(name))
        , m_group(group)
        , m_problems(problems)
        , m_baseDir(std::move(baseDir))
    { }

    bool exists() const { return m_group != nullptr; }

    const IniEntry *entry(const QString &key) const
    {
        return m_group ? m_group->find(key) : nullptr;
    }

    // The value when the key is present and non-empty.
    std::optional<QString> text(const QString &key) const
    {
        const IniEntry *e = entry(key);
        if (!e || e->value.isEmpty())
            return std::nullopt;
        return e->value;
    }

    void problem(const QString &key, const QString &message) const
    {
        const IniEntry *e = entry(key);
        m_problems.add(
            m_name + QLatin1Char('/') + key, e ? e->line : (m_group ? m_group->line : 0), message);
    }

    template<typename T> bool integer(const QString &key, qint64 min, qint64 max, T *out) const
    {
        const IniEntry *e = entry(key);
        if (!e)
            return false;
        const auto value = parseInteger(e->value);
        if (!value || *value < min || *value > max) {
            problem(key, integerRangeMessage(min, max, e->value));
            return false;
        }
        *out = T(*value);
        return true;
    }

    bool boolean(const QString &key, bool *out) const
    {
        const IniEntry *e = entry(key);
        if (!e)
            return false;
        const QString v = e->value.toLower();
        if (v == QLatin1String("true") || v == QLatin1String("1") || v == QLatin1String("yes")) {
            *out = true;
            return true;
        }
        if (v == QLatin1String("false") || v == QLatin1String("0") || v == QLatin1String("no")) {
            *out = false;
            return true;
        }
        problem(key, QStringLiteral("must be true/false/1/0/yes/no, got %1").arg(quoted(e->value)));
        return false;
    }

    // A path, relative ones resolved against the config file's directory.
    std::optional<QString> path(const QString &key) const
    {
        const auto value = text(key);
        if (!value)
            return std::nullopt;
        return QDir::cleanPath(QDir(m_baseDir).absoluteFilePath(*value));
    }

    // A path that must name a readable regular file.
    std::optional<QString> existingFile(const QString &key) const
    {
        const auto value = path(key);
        if (!value)
            return std::nullopt;
        const QFileInfo info(*value);
        if (!info.exists())
            problem(key, QStringLiteral("file does not exist: %1").arg(*value));
        else if (!info.isFile())
            problem(key, QStringLiteral("not a regular file: %1").arg(*value));
        else if (!info.isReadable())
            problem(key, QStringLiteral("file is not readable: %1").arg(*value));
        return value;
    }

    // Comma-separated, items trimmed; an empty item is a problem.
    QStringList list(const QString &key) const
    {
        const auto value = text(key);
        if (!value)
            return {};
        QStringList items;
        bool reported = false;
        for (const QString &raw : value->split(QLatin1Char(','))) {
            const QString item = raw.trimmed();
            if (item.isEmpty()) {
                if (!reported)
                    problem(key, QStringLiteral("empty entry in comma-separated list"));
                reported = true;
                continue;
            }
            items << item;
        }
        return items;
    }

    std::optional<QString> fingerprint(const QString &key) const
    {
        const auto value = text(key);
        if (!value)
            return std::nullopt;
        if (!isValidFingerprint(*value)) {
            problem(key,
                QStringLiteral("must be a SHA-256 fingerprint: 32 colon-separated hex byte "
                               "pairs (AB:CD:...), got %1")
                    .arg(quoted(*value)));
            return std::nullopt;
        }
        return value->toUpper();
    }

private:
    QString m_name;
    const IniGroup *m_group;
    const Problems &m_problems;
    QString m_baseDir;
};

// ---- The loader ---------------------------------------------------------------------------

class Loader
{
public:
    Loader(const QString &file, const QString &baseDir, const QProcessEnvironment &env,
        LoadResult *result)
        : m_fileProblems(file, &result->problems)
        , m_envProblems(EnvironmentFile, &result->problems)
        , m_baseDir(baseDir)
        , m_env(env)
        , m_config(result->config)
    { }

    void checkStructure(const IniFile &ini) const;
    void readFile(const IniFile &ini);
    void applyEnvironment(bool includeProxmox);
    void checkRequirements(const IniFile &ini) const;
    void checkEnvJwtSecret() const;

private:
    GroupReader reader(const IniFile &ini, const QString &group) const
    {
        return GroupReader(group, ini.find(group), m_fileProblems, m_baseDir);
    }
    QString envValue(const char *name) const { return m_env.value(QLatin1String(name)); }

    void readServer(const GroupReader &g);
    void readAuth(const GroupReader &g);
    void readProxmox(const GroupReader &g);
    void readIntervals(const GroupReader &g);
    void readSafety(const GroupReader &g);
    void readSsh(const GroupReader &g);
    void readMcp(const GroupReader &g);
    void readHistory(const GroupReader &g);
    void readNode(const IniGroup &group);

    Problems m_fileProblems;
    Problems m_envProblems;
    QString m_baseDir;
    const QProcessEnvironment &m_env;
    Config &m_config;

    bool m_portSet = false;
    bool m_jwtSecretFromEnv = false;
    bool m_tokenSecretFromEnv = false;
    QString m_jwtSecretText;
};

void Loader::checkStructure(const IniFile &ini) const
{
    for (const IniGroup &group : ini.groups) {
        const GroupKeys *spec = groupSpec(group.name);
        if (!spec) {
            m_fileProblems.add(group.name, group.line,
                QStringLiteral("unknown group [%1]; known groups: %2")
                    .arg(group.name, knownGroupList()));
            continue;
        }
        if (group.name.startsWith(NodePrefix)
            && !isValidNodeName(group.name.mid(NodePrefix.size()))) {
            m_fileProblems.add(group.name, group.line,
                QStringLiteral("node name must be letters, digits, '.', '_' or "
                               "'-' after [node.]"));
        }
        for (const IniEntry &e : group.entries) {
            if (spec->keys.contains(e.key))
                continue;
            QString message = QStringLiteral("unknown key");
            const auto similar =
                std::find_if(spec->keys.cbegin(), spec->keys.cend(), [&e](const QString &known) {
                    return known.compare(e.key, Qt::CaseInsensitive) == 0;
                });
            if (similar != spec->keys.cend())
                message += QStringLiteral(" (did you mean %1?)").arg(*similar);
            else
                message += QStringLiteral("; known keys in [%1]: %2")
                               .arg(spec->group, spec->keys.join(QLatin1String(", ")));
            m_fileProblems.add(group.name + QLatin1Char('/') + e.key, e.line, message);
        }
    }
}

void Loader::readFile(const IniFile &ini)
{
    readServer(reader(ini, QStringLiteral("server")));
    readAuth(reader(ini, QStringLiteral("auth")));
    readProxmox(reader(ini, QStringLiteral("proxmox")));
    readIntervals(reader(ini, QStringLiteral("intervals")));
    readSafety(reader(ini, QStringLiteral("safety")));
    readSsh(reader(ini, QStringLiteral("ssh")));
    readMcp(reader(ini, QStringLiteral("mcp")));

    if (const auto command =
            reader(ini, QStringLiteral("temperature")).text(QStringLiteral("command")))
        m_config.temperatureCommand = *command;

    const auto audit = reader(ini, QStringLiteral("audit")).path(QStringLiteral("file"));
    m_config.auditFile = audit ? *audit : defaultAuditFile(m_env);
    readHistory(reader(ini, QStringLiteral("history")));

    // [metrics] token: NAME:sha256:<hex>[, ...] (hashes only, `jarvisd --new-api-key NAME`).
    const GroupReader metrics = reader(ini, QStringLiteral("metrics"));
    QString why;
    if (!auth::parseApiKeys(metrics.text(QStringLiteral("token")).value_or(QString()),
            &m_config.metricsTokens, &why))
        metrics.problem(QStringLiteral("token"), why);

    for (const IniGroup &group : ini.groups) {
        if (group.name.startsWith(NodePrefix) && isValidNodeName(group.name.mid(NodePrefix.size())))
            readNode(group);
    }
}

void Loader::readHistory(const GroupReader &g)
{
    Config &c = m_config;
    c.historyEnabled = true;
    g.boolean(QStringLiteral("enabled"), &c.historyEnabled);
    g.boolean(QStringLiteral("backfill"), &c.historyBackfill);
    g.integer(QStringLiteral("saveInterval"), 10, 86400, &c.historySaveInterval);
    // file= (empty) keeps nothing across restarts.
    if (const IniEntry *e = g.entry(QStringLiteral("file")))
        c.historyFile =
            e->value.isEmpty() ? QString() : g.path(QStringLiteral("file")).value_or(QString());
    else
        c.historyFile = QFileInfo(c.auditFile).dir().filePath(QStringLiteral("history.bin"));
}

void Loader::readServer(const GroupReader &g)
{
    Config &c = m_config;
    if (const IniEntry *e = g.entry(QStringLiteral("listen"))) {
        if (isValidListen(e->value))
            c.listen = e->value;
        else
            g.problem(QStringLiteral("listen"), ListenMessage.arg(quoted(e->value)));
    }
    m_portSet = g.integer(QStringLiteral("port"), 0, 65535, &c.port);

    const auto cert = g.existingFile(QStringLiteral("tlsCert"));
    const auto key = g.existingFile(QStringLiteral("tlsKey"));
    if (cert && !key)
        g.problem(QStringLiteral("tlsKey"),
            QStringLiteral("tlsCert is set but tlsKey is not; set both or neither"));
    else if (key && !cert)
        g.problem(QStringLiteral("tlsCert"),
            QStringLiteral("tlsKey is set but tlsCert is not; set both or neither"));
    c.tlsCert = cert.value_or(QString());
    c.tlsKey = key.value_or(QString());

    for (const QString &origin : g.list(QStringLiteral("allowedOrigins"))) {
        if (const auto normalised = net::normaliseOrigin(origin)) {
            if (!c.allowedOrigins.contains(*normalised))
                c.allowedOrigins << *normalised;
        } else {
            g.problem(QStringLiteral("allowedOrigins"),
                QStringLiteral("%1 is not an origin of the form http(s)://host[:port] "
                               "(no path, query or user)")
                    .arg(quoted(origin)));
        }
    }

    g.integer(QStringLiteral("maxPayload"), 1, 100000000, &c.maxPayload);
    g.integer(QStringLiteral("maxBodySize"), 1, 1073741824, &c.maxBodySize);
    g.integer(QStringLiteral("pingInterval"), 100, 600000, &c.pingInterval);
    g.integer(QStringLiteral("pingTimeout"), 100, 600000, &c.pingTimeout);
    g.integer(QStringLiteral("connectTimeout"), 100, 600000, &c.connectTimeout);
    g.boolean(QStringLiteral("perMessageDeflate"), &c.perMessageDeflate);
}

void Loader::readAuth(const GroupReader &g)
{
    Config &c = m_config;
    if (const IniEntry *e = g.entry(QStringLiteral("username"))) {
        if (e->value.isEmpty() || hasControlOrSpace(e->value))
            g.problem(QStringLiteral("username"),
                QStringLiteral("must be non-empty without spaces or control characters"));
        else
            c.username = e->value;
    }
    c.passwordHash = g.text(QStringLiteral("passwordHash")).value_or(QString());
    m_jwtSecretText = g.text(QStringLiteral("jwtSecret")).value_or(QString());
    c.jwtSecret = m_jwtSecretText.toUtf8();
    g.integer(QStringLiteral("tokenLifetime"), 60, 31536000, &c.tokenLifetime);
}

void Loader::readProxmox(const GroupReader &g)
{
    Config &c = m_config;
    c.tokenId = g.text(QStringLiteral("tokenId")).value_or(QString());
    c.tokenSecret = g.text(QStringLiteral("tokenSecret")).value_or(QString());
    c.tlsFingerprint = g.fingerprint(QStringLiteral("tlsFingerprint")).value_or(QString());
    c.caFile = g.existingFile(QStringLiteral("caFile")).value_or(QString());
    g.boolean(QStringLiteral("insecure"), &c.insecure);
}

void Loader::readIntervals(const GroupReader &g)
{
    Config &c = m_config;
    g.integer(QStringLiteral("nodes"), 1, 86400, &c.intervalNodes);
    g.integer(QStringLiteral("vms"), 1, 86400, &c.intervalVms);
    g.integer(QStringLiteral("storage"), 1, 86400, &c.intervalStorage);
    g.integer(QStringLiteral("temperature"), 1, 86400, &c.intervalTemperature);
    g.integer(QStringLiteral("quorum"), 1, 86400, &c.intervalQuorum);
    g.integer(QStringLiteral("nodeStatus"), 1, 86400, &c.intervalNodeStatus);
}

void Loader::readSafety(const GroupReader &g)
{
    Config &c = m_config;
    for (const QString &node : g.list(QStringLiteral("protectedNodes"))) {
        if (!c.protectedNodes.contains(node))
            c.protectedNodes << node;
    }
    for (const QString &item : g.list(QStringLiteral("protectedVmids"))) {
        const auto vmid = parseInteger(item);
        if (!vmid || *vmid < 1 || *vmid > 999999999) {
            g.problem(QStringLiteral("protectedVmids"), integerRangeMessage(1, 999999999, item));
            continue;
        }
        if (!c.protectedVmids.contains(int(*vmid)))
            c.protectedVmids << int(*vmid);
    }
}

void Loader::readMcp(const GroupReader &g)
{
    Config &c = m_config;
    g.boolean(QStringLiteral("enabled"), &c.mcpEnabled);
    if (const auto keys = g.text(QStringLiteral("apiKeys")); keys && !keys->trimmed().isEmpty()) {
        QString why;
        if (!auth::parseApiKeys(*keys, &c.mcpApiKeys, &why))
            g.problem(QStringLiteral("apiKeys"),
                QStringLiteral("%1 (entries are NAME:sha256:<64 hex>, as jarvisd --new-api-key "
                               "NAME prints them)")
                    .arg(why));
    }
    g.integer(QStringLiteral("maxSessions"), 1, 10000, &c.mcpMaxSessions);
    g.integer(QStringLiteral("sessionIdleTimeout"), 10, 604800, &c.mcpSessionIdleTimeout);
}

void Loader::readSsh(const GroupReader &g)
{
    Config &c = m_config;
    c.sshConfigured = g.exists();
    if (const IniEntry *e = g.entry(QStringLiteral("user"))) {
        if (e->value.isEmpty() || hasControlOrSpace(e->value))
            g.problem(QStringLiteral("user"),
                QStringLiteral("must be non-empty without spaces or control characters"));
        else
            c.sshUser = e->value;
    }
    c.sshKeyFile = g.existingFile(QStringLiteral("keyFile")).value_or(QString());
    c.sshKnownHostsFile = g.path(QStringLiteral("knownHostsFile")).value_or(QString());
    g.boolean(QStringLiteral("strictHostKeys"), &c.strictHostKeys);
}

void Loader::readNode(const IniGroup &group)
{
    const GroupReader g(group.name, &group, m_fileProblems, m_baseDir);
    NodeConfig node;
    node.name = group.name.mid(NodePrefix.size());

    const auto host = g.text(QStringLiteral("host"));
    if (!host) {
        g.problem(QStringLiteral("host"),
            QStringLiteral("required: the node's address (IP or DNS name)"));
    } else {
        QUrl probe;
        probe.setHost(*host, QUrl::StrictMode);
        if (probe.host().isEmpty() || hasControlOrSpace(*host))
            g.problem(QStringLiteral("host"),
                QStringLiteral("not a valid host name or IP address: %1").arg(quoted(*host)));
        else
            node.host = *host;
    }

    if (const auto api = g.text(QStringLiteral("apiUrl"))) {
        const QUrl url(*api, QUrl::StrictMode);
        if (url.isValid() && isHttpScheme(url) && !url.host().isEmpty() && url.userInfo().isEmpty()
            && !url.hasQuery() && !url.hasFragment())
            node.apiUrl = url;
        else
            g.problem(QStringLiteral("apiUrl"),
                QStringLiteral("must be an http(s)://host[:port] URL, got %1").arg(quoted(*api)));
    } else if (!node.host.isEmpty()) {
        node.apiUrl.setScheme(QStringLiteral("https"));
        node.apiUrl.setHost(node.host);
        node.apiUrl.setPort(8006);
    }

    g.integer(QStringLiteral("sshPort"), 1, 65535, &node.sshPort);
    node.tlsFingerprint = g.fingerprint(QStringLiteral("tlsFingerprint")).value_or(QString());
    m_config.nodes << node;
}

void Loader::applyEnvironment(bool includeProxmox)
{
    Config &c = m_config;
    if (const QString port = envValue("JARVIS_PORT"); !port.isEmpty()) {
        const auto value = parseInteger(port);
        if (value && *value >= 0 && *value <= 65535) {
            c.port = int(*value);
            m_portSet = true;
        } else {
            m_envProblems.add(
                QStringLiteral("JARVIS_PORT"), 0, integerRangeMessage(0, 65535, port));
        }
    }
    if (const QString listen = envValue("JARVIS_LISTEN"); !listen.isEmpty()) {
        if (isValidListen(listen))
            c.listen = listen;
        else
            m_envProblems.add(
                QStringLiteral("JARVIS_LISTEN"), 0, ListenMessage.arg(quoted(listen)));
    }
    if (const QString password = envValue("JARVIS_ADMIN_PASSWORD"); !password.isEmpty()) {
        c.adminPassword = password;
        c.passwordHash.clear();
    }
    if (const QString secret = envValue("JARVIS_JWT_SECRET"); !secret.isEmpty()) {
        m_jwtSecretText = secret;
        c.jwtSecret = secret.toUtf8();
        m_jwtSecretFromEnv = true;
    }
    if (const QString keys = envValue("JARVIS_MCP_API_KEYS"); !keys.trimmed().isEmpty()) {
        QList<auth::ApiKey> parsed;
        QString why;
        if (!auth::parseApiKeys(keys, &parsed, &why)) {
            m_envProblems.add(QStringLiteral("JARVIS_MCP_API_KEYS"), 0, why);
        } else {
            for (const auth::ApiKey &key : std::as_const(parsed)) {
                const bool taken = std::any_of(c.mcpApiKeys.cbegin(), c.mcpApiKeys.cend(),
                    [&key](const auth::ApiKey &k) { return k.name == key.name; });
                if (taken)
                    m_envProblems.add(QStringLiteral("JARVIS_MCP_API_KEYS"), 0,
                        QStringLiteral("key name %1 is also in [mcp] apiKeys").arg(key.name));
                else
                    c.mcpApiKeys.append(key);
            }
        }
    }
    if (includeProxmox) {
        if (const QString secret = envValue("JARVIS_PVE_TOKEN_SECRET"); !secret.isEmpty()) {
            c.tokenSecret = secret;
            m_tokenSecretFromEnv = true;
        }
    }
    if (!m_portSet)
        c.port = c.tlsEnabled() ? 8443 : 8080;
}

void Loader::checkEnvJwtSecret() const
{
    if (m_jwtSecretFromEnv && m_jwtSecretText.size() < MinJwtSecretLength)
        m_envProblems.add(QStringLiteral("JARVIS_JWT_SECRET"), 0,
            QStringLiteral("too short: at least %1 characters required").arg(MinJwtSecretLength));
}

void Loader::checkRequirements(const IniFile &ini) const
{
    const Config &c = m_config;
    const GroupReader auth = reader(ini, QStringLiteral("auth"));
    const GroupReader proxmox = reader(ini, QStringLiteral("proxmox"));

    // [auth]: secrets are never quoted.
    if (m_jwtSecretFromEnv) {
        checkEnvJwtSecret();
    } else if (m_jwtSecretText.isEmpty()) {
        const QString message = QStringLiteral("required: at least %1 characters (or set "
                                               "JARVIS_JWT_SECRET)")
                                    .arg(MinJwtSecretLength);
        auth.problem(QStringLiteral("jwtSecret"), message);
    } else if (m_jwtSecretText.size() < MinJwtSecretLength) {
        auth.problem(QStringLiteral("jwtSecret"),
            QStringLiteral("too short: at least %1 characters required").arg(MinJwtSecretLength));
    }

    if (c.adminPassword.isEmpty()) {
        if (c.passwordHash.isEmpty()) {
            const QString message =
                QStringLiteral("required (generate one with jarvisd --hash-password, or set "
                               "JARVIS_ADMIN_PASSWORD)");
            auth.problem(QStringLiteral("passwordHash"), message);
        } else if (QString why; !auth::isValidPasswordHash(c.passwordHash, &why)) {
            auth.problem(
                QStringLiteral("passwordHash"), QStringLiteral("malformed hash: %1").arg(why));
        }
    }

    // [proxmox]
    if (!proxmox.exists()) {
        m_fileProblems.add(QString(), 0, QStringLiteral("required group [proxmox] is missing"));
    } else {
        if (c.tokenId.isEmpty())
            proxmox.problem(QStringLiteral("tokenId"),
                QStringLiteral("required: USER@REALM!TOKENID, e.g. root@pam!jarvis"));
        else if (!isValidTokenId(c.tokenId))
            proxmox.problem(QStringLiteral("tokenId"),
                QStringLiteral("must be USER@REALM!TOKENID (e.g. root@pam!jarvis), "
                               "got %1")
                    .arg(quoted(c.tokenId)));
        if (c.tokenSecret.isEmpty()) {
            proxmox.problem(QStringLiteral("tokenSecret"),
                QStringLiteral("required (or set JARVIS_PVE_TOKEN_SECRET)"));
        } else if (hasControlOrSpace(c.tokenSecret)) {
            const QString message = QStringLiteral("must not contain spaces or control characters");
            if (m_tokenSecretFromEnv)
                m_envProblems.add(QStringLiteral("JARVIS_PVE_TOKEN_SECRET"), 0, message);
            else
                proxmox.problem(QStringLiteral("tokenSecret"), message);
        }
    }

    // [node.NAME]
    const bool anyNode = std::any_of(ini.groups.cbegin(), ini.groups.cend(),
        [](const IniGroup &g) { return g.name.startsWith(NodePrefix); });
    if (!anyNode)
        m_fileProblems.add(
            QString(), 0, QStringLiteral("at least one [node.NAME] group is required"));
}

} // namespace

QString Problem::toString() const
{
    if (key.isEmpty())
        return file + QLatin1String(": ") + message;
    return file + QLatin1String(": ") + key + QLatin1String(": ") + message;
}

LoadResult load(const QString &path, const QProcessEnvironment &env)
{
    LoadResult result;
    result.config.sourceFile = path;
    const auto fail = [&](const QString &message) {
        result.problems << Problem {path, QString(), message};
        return result;
    };

    if (path.isEmpty())
        return fail(QStringLiteral("no configuration file given"));
    const QFileInfo info(path);
    if (info.isDir())
        return fail(QStringLiteral("cannot read: is a directory"));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("cannot read: %1").arg(file.errorString()));
    const QByteArray bytes = file.read(MaxFileSize + 1);
    if (bytes.size() > MaxFileSize)
        return fail(QStringLiteral("file is larger than %1 bytes").arg(MaxFileSize));
    if (file.error() != QFileDevice::NoError)
        return fail(QStringLiteral("cannot read: %1").arg(file.errorString()));
    return loadText(bytes, path, env);
}

LoadResult loadText(const QByteArray &bytes, const QString &path, const QProcessEnvironment &env)
{
    LoadResult result;
    result.config.sourceFile = path;
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = decoder.decode(bytes);
    if (decoder.hasError()) {
        result.problems << Problem {path, QString(), QStringLiteral("not valid UTF-8")};
        return result;
    }
    if (text.startsWith(QChar(0xFEFF)))
        text.remove(0, 1);

    Loader loader(path, QFileInfo(path).absolutePath(), env, &result);
    const IniFile ini = parseIni(text, Problems(path, &result.problems));
    loader.checkStructure(ini);
    loader.readFile(ini);
    loader.applyEnvironment(true);
    loader.checkRequirements(ini);
    return result;
}

LoadResult demo(const QProcessEnvironment &env)
{
    LoadResult result;
    result.config.demo = true;
    result.config.historyEnabled = true;
    result.config.listen = QStringLiteral("127.0.0.1");
    result.config.port = 8080;

    Loader loader(QString(), QString(), env, &result);
    loader.applyEnvironment(false);
    loader.checkEnvJwtSecret();
    return result;
}

} // namespace jarvis::config
