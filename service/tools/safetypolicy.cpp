#include "tools/safetypolicy.h"

#include <QHash>

#include <functional>
#include <utility>

namespace jarvis::tools {

namespace {

// ---- Deny-list: BLACK, never runs, whatever else the line says -------------------------------

QList<QRegularExpression> deniedPatterns()
{
    const char *const patterns[] = {
        R"(\brm\s+(-[a-zA-Z]*[rf][a-zA-Z]*\s+)+(/|/\*|~|\$HOME)(\s|$))", // rm -rf /
        R"(\brm\s+.*--no-preserve-root)",
        R"(\bmkfs(\.\w+)?\b)",
        R"(\bdd\s+.*\bif=)",
        R"(\bdd\s+.*\bof=/dev/)",
        R"(\b(shutdown|reboot|poweroff|halt)\b)",
        R"(\binit\s+[06]\b)",
        R"(\btelinit\s+[06]\b)",
        R"(\bsystemctl\s+(.*\s)?(reboot|poweroff|halt|kexec|soft-reboot)\b)",
        R"(:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:)", // fork bomb
        R"(\b(curl|wget)\b[^|]*\|\s*(sudo\s+)?(ba|z|da|k)?sh\b)", // curl | sh
        R"(>\s*/dev/(sd|nvme|vd|hd|xvd|mmcblk)[a-z0-9]*)",
        R"(\bwipefs\b)",
        R"(\b(fdisk|sfdisk|parted|sgdisk|blkdiscard)\b)",
        R"(\bzpool\s+(destroy|labelclear)\b)",
        R"(\bzfs\s+destroy\b)",
        R"(\b(qm|pct)\s+destroy\b)",
        R"(\bpvecm\s+(delnode|expected)\b)",
        R"(\bchmod\s+(-R\s+)?[0-7]*\s+/\s*$)",
    };
    QList<QRegularExpression> list;
    for (const char *p : patterns)
        list.append(QRegularExpression(QString::fromLatin1(p)));
    return list;
}

// ---- Control characters: refused outright --------------------------------------------------

// C0, DEL, C1, the Unicode line and paragraph separators, and the bidirectional controls that make
// a line read differently from what runs.
bool isRefusedChar(char16_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 || c == 0x061c
        || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e)
        || (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

// ---- Tokeniser: words as a POSIX shell would split them, without any expansion --------------

// Characters a word may hold outside quotes. Anything else (operators, globs, `$`, `~`, `\`,
// `#`, `!`, non-ASCII) means the shell would do more than split words: not read-only.
bool isPlainWordChar(char16_t c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9')
        || c == u'.' || c == u'_' || c == u'/' || c == u':' || c == u'@' || c == u'%' || c == u'+'
        || c == u',' || c == u'=' || c == u'-';
}

// Splits on spaces; '...' and "..." quote (no `\`, `$` or backquote inside double quotes, since
// the shell would expand them). nullopt with `why` when the line is not just words.
std::optional<QStringList> tokenise(const QString &line, QString *why)
{
    QStringList words;
    QString word;
    bool inWord = false;
    for (qsizetype i = 0; i < line.size(); ++i) {
        const char16_t c = line.at(i).unicode();
        if (c == u' ') {
            if (inWord)
                words.append(std::exchange(word, {}));
            inWord = false;
            continue;
        }
        inWord = true;
        if (c == u'\'' || c == u'"') {
            const qsizetype end = line.indexOf(QChar(c), i + 1);
            if (end < 0) {
                *why = QStringLiteral("unterminated quote");
                return std::nullopt;
            }
            const QString quoted = line.mid(i + 1, end - i - 1);
            if (c == u'"'
                && (quoted.contains(QLatin1Char('\\')) || quoted.contains(QLatin1Char('$'))
                    || quoted.contains(QLatin1Char('`')))) {
                *why = QStringLiteral("expansion inside double quotes");
                return std::nullopt;
            }
            word += quoted;
            i = end;
            continue;
        }
        if (!isPlainWordChar(c)) {
            *why = QStringLiteral("shell syntax (%1)").arg(QChar(c));
            return std::nullopt;
        }
        word += QChar(c);
    }
    if (inWord)
        words.append(word);
    if (words.isEmpty()) {
        *why = QStringLiteral("no command");
        return std::nullopt;
    }
    return words;
}

// ---- Values: each returns the canonical form that is sent, or nullopt -----------------------

using Value = std::function<std::optional<QString>(const QString &)>;

Value matching(const char *pattern)
{
    const QRegularExpression re(QStringLiteral("\\A(?:%1)\\z").arg(QLatin1String(pattern)));
    return [re](const QString &v) -> std::optional<QString> {
        if (re.match(v).hasMatch())
            return v;
        return std::nullopt;
    };
}

Value oneOf(QStringList values)
{
    return [values = std::move(values)](const QString &v) -> std::optional<QString> {
        if (values.contains(v))
            return v;
        return std::nullopt;
    };
}

// An absolute path with no `.` or `..` component; repeated slashes collapse. nullopt otherwise.
std::optional<QString> canonicalPath(const QString &path)
{
    if (!path.startsWith(QLatin1Char('/')) || path.size() > 256)
        return std::nullopt;
    QStringList parts;
    for (const QString &part : path.split(QLatin1Char('/'), Qt::SkipEmptyParts)) {
        if (part == QLatin1String(".") || part == QLatin1String(".."))
            return std::nullopt;
        for (const QChar c : part) {
            if (!isPlainWordChar(c.unicode()))
                return std::nullopt;
        }
        parts.append(part);
    }
    return QLatin1Char('/') + parts.join(QLatin1Char('/'));
}

Value listedFile(QStringList files)
{
    return [files = std::move(files)](const QString &v) -> std::optional<QString> {
        const auto path = canonicalPath(v);
        if (path && files.contains(*path))
            return path;
        return std::nullopt;
    };
}

const Value Digits = matching("[0-9]{1,9}");
const Value Unit = matching("[A-Za-z0-9][A-Za-z0-9@._:\\\\-]{0,255}");
const Value Name = matching("[A-Za-z0-9_][A-Za-z0-9._:@-]{0,63}");
const Value Vmid = matching("[1-9][0-9]{2,8}");
const Value Bool01 = oneOf({QStringLiteral("0"), QStringLiteral("1")});
const Value Columns = matching("[A-Za-z0-9_,:%+-]{1,256}");
const Value Text = matching("[^\\x00-\\x1f\\x7f]{1,256}");
const Value TimeSpec = matching("[A-Za-z0-9 :+.-]{1,64}");

// ---- Argument rules ---------------------------------------------------------------------------

enum class Arity {
    Flag, // no value
    Value, // -nVALUE, -n VALUE, --name=VALUE, --name VALUE
    Optional, // -nVALUE, --name=VALUE, or none
    OptionalNext, // as Optional, or the next word when it is a valid value (journalctl -b -1)
};

struct Option
{
    QString name; // "-n" or "--lines" (or "-brief" where combine is off)
    Arity arity = Arity::Flag;
    Value value = {};
};

struct ArgSpec
{
    QList<Option> options;
    Value operand = {}; // empty = no operands
    int maxOperands = 0;
    bool combineShort = true; // getopt: "-hT" is "-h -T", "-n50" is "-n 50"
    QStringList required = {}; // options that must be present (top needs -b and -n)
    int minOperands = 0;
};

Option flag(const char *name)
{
    return {QLatin1String(name), Arity::Flag, {}};
}
Option valued(const char *name, Value value, Arity arity = Arity::Value)
{
    return {QLatin1String(name), arity, std::move(value)};
}
QList<Option> flags(std::initializer_list<const char *> names)
{
    QList<Option> list;
    for (const char *n : names)
        list.append(flag(n));
    return list;
}

const Option *findOption(const ArgSpec &spec, QStringView name)
{
    for (const Option &o : spec.options) {
        if (o.name == name)
            return &o;
    }
    return nullptr;
}

// Matches `args` as getopt would read them against `spec`, appending the canonical words to
// `out`. Returns an empty string when every word is allowed, else the reason.
QString matchArgs(const QStringList &args, qsizetype from, const ArgSpec &spec, QStringList *out)
{
    int operands = 0;
    QSet<QString> seen;
    auto takeValue = [&](const Option &o, const QString &attached, bool hasAttached, qsizetype *i,
                         QString *canonical) -> QString {
        if (hasAttached) {
            const auto v = o.value(attached);
            if (!v)
                return QStringLiteral("value '%1' of %2 is not allowed").arg(attached, o.name);
            *canonical = *v;
            return {};
        }
        if (o.arity == Arity::Optional)
            return {};
        if (*i + 1 < args.size()) {
            if (const auto v = o.value(args.at(*i + 1))) {
                ++*i;
                out->append(*v);
                return {};
            }
        }
        if (o.arity == Arity::OptionalNext)
            return {};
        if (*i + 1 >= args.size())
            return QStringLiteral("%1 needs a value").arg(o.name);
        return QStringLiteral("value '%1' of %2 is not allowed").arg(args.at(*i + 1), o.name);
    };

    for (qsizetype i = from; i < args.size(); ++i) {
        const QString &a = args.at(i);
        if (a == QLatin1String("--") || a == QLatin1String("-"))
            return QStringLiteral("'%1' is not on the read-only table").arg(a);
        if (a.startsWith(QLatin1String("--"))
            || (a.startsWith(QLatin1Char('-')) && !spec.combineShort)) {
            const qsizetype eq = a.indexOf(QLatin1Char('='));
            const QString name = eq < 0 ? a : a.left(eq);
            const Option *o = findOption(spec, name);
            if (!o)
                return QStringLiteral("option %1 is not on the read-only table").arg(name);
            seen.insert(o->name);
            if (o->arity == Arity::Flag) {
                if (eq >= 0)
                    return QStringLiteral("%1 takes no value").arg(name);
                out->append(a);
                continue;
            }
            const qsizetype at = out->size();
            out->append(name);
            QString canonical;
            if (const QString why = takeValue(*o, a.mid(eq + 1), eq >= 0, &i, &canonical);
                !why.isEmpty())
                return why;
            if (eq >= 0)
                (*out)[at] = name + QLatin1Char('=') + canonical;
            continue;
        }
        if (a.startsWith(QLatin1Char('-'))) {
            // Short options, getopt style: letters combine until one takes a value.
            QString word = QStringLiteral("-");
            for (qsizetype k = 1; k < a.size(); ++k) {
                const QString name = QLatin1Char('-') + a.at(k);
                const Option *o = findOption(spec, name);
                if (!o)
                    return QStringLiteral("option %1 is not on the read-only table").arg(name);
                seen.insert(o->name);
                word += a.at(k);
                if (o->arity == Arity::Flag)
                    continue;
                const QString rest = a.mid(k + 1);
                QString canonical;
                if (rest.isEmpty())
                    out->append(word);
                if (const QString why = takeValue(*o, rest, !rest.isEmpty(), &i, &canonical);
                    !why.isEmpty())
                    return why;
                if (!rest.isEmpty())
                    out->append(word + canonical);
                word.clear();
                break;
            }
            if (!word.isEmpty())
                out->append(word);
            continue;
        }
        if (!spec.operand)
            return QStringLiteral("'%1': no operands are allowed here").arg(a);
        if (++operands > spec.maxOperands)
            return QStringLiteral("too many operands");
        const auto v = spec.operand(a);
        if (!v)
            return QStringLiteral("operand '%1' is not allowed").arg(a);
        out->append(*v);
    }
    if (operands < spec.minOperands)
        return QStringLiteral("an operand is required");
    for (const QString &r : spec.required) {
        if (!seen.contains(r))
            return QStringLiteral("%1 is required").arg(r);
    }
    return {};
}

// A program's rules: either one ArgSpec for all its arguments, or one per subcommand (the first
// argument; aliases share a spec).
struct ProgramRule
{
    QString program;
    ArgSpec args; // used when `subcommands` is empty
    QList<std::pair<QStringList, ArgSpec>> subcommands;
    std::function<QString(const QStringList &, QStringList *)> custom = {}; // ip
};

const QStringList ReadableFiles = {
    QStringLiteral("/proc/cpuinfo"),
    QStringLiteral("/proc/meminfo"),
    QStringLiteral("/proc/loadavg"),
    QStringLiteral("/proc/uptime"),
    QStringLiteral("/proc/version"),
    QStringLiteral("/proc/stat"),
    QStringLiteral("/proc/vmstat"),
    QStringLiteral("/proc/diskstats"),
    QStringLiteral("/proc/partitions"),
    QStringLiteral("/proc/mounts"),
    QStringLiteral("/proc/swaps"),
    QStringLiteral("/proc/mdstat"),
    QStringLiteral("/proc/net/dev"),
    QStringLiteral("/proc/pressure/cpu"),
    QStringLiteral("/proc/pressure/memory"),
    QStringLiteral("/proc/pressure/io"),
    QStringLiteral("/etc/os-release"),
    QStringLiteral("/etc/hostname"),
    QStringLiteral("/etc/debian_version"),
};

// ip [-4|-6|-br|-s|-d|-j|-p|-o|-c ...] OBJECT [show|list|ls [dev] IFNAME] | route get ADDRESS
QString matchIp(const QStringList &args, QStringList *out)
{
    static const QStringList globalFlags = {QStringLiteral("-4"), QStringLiteral("-6"),
        QStringLiteral("-br"), QStringLiteral("-brief"), QStringLiteral("-s"),
        QStringLiteral("-stats"), QStringLiteral("-d"), QStringLiteral("-details"),
        QStringLiteral("-j"), QStringLiteral("-json"), QStringLiteral("-p"),
        QStringLiteral("-pretty"), QStringLiteral("-o"), QStringLiteral("-oneline"),
        QStringLiteral("-c"), QStringLiteral("-color")};
    static const QHash<QString, QString> objects = {{QStringLiteral("a"), QStringLiteral("addr")},
        {QStringLiteral("addr"), QStringLiteral("addr")},
        {QStringLiteral("address"), QStringLiteral("addr")},
        {QStringLiteral("l"), QStringLiteral("link")},
        {QStringLiteral("link"), QStringLiteral("link")},
        {QStringLiteral("r"), QStringLiteral("route")},
        {QStringLiteral("ro"), QStringLiteral("route")},
        {QStringLiteral("route"), QStringLiteral("route")},
        {QStringLiteral("n"), QStringLiteral("neigh")},
        {QStringLiteral("neigh"), QStringLiteral("neigh")},
        {QStringLiteral("neighbour"), QStringLiteral("neigh")},
        {QStringLiteral("rule"), QStringLiteral("rule")}};
    static const QStringList showVerbs = {QStringLiteral("show"), QStringLiteral("list"),
        QStringLiteral("ls"), QStringLiteral("lst")};
    static const Value ifname = matching("[A-Za-z0-9_][A-Za-z0-9._@:-]{0,15}");
    static const Value address = matching("[0-9a-fA-F.:]{2,45}(/[0-9]{1,3})?");
    static const Value routeTable = matching("[A-Za-z0-9_]{1,32}");

    qsizetype i = 1;
    while (i < args.size() && args.at(i).startsWith(QLatin1Char('-'))) {
        if (!globalFlags.contains(args.at(i)))
            return QStringLiteral("option %1 of ip is not on the read-only table").arg(args.at(i));
        out->append(args.at(i++));
    }
    if (i >= args.size() || !objects.contains(args.at(i)))
        return QStringLiteral("ip: only addr, link, route, neigh and rule can be shown");
    const QString object = objects.value(args.at(i));
    out->append(args.at(i++));
    if (i >= args.size())
        return {};
    if (object == QLatin1String("route") && args.at(i) == QLatin1String("get")) {
        if (i + 2 != args.size() || !address(args.at(i + 1)))
            return QStringLiteral("ip route get takes one address");
        out->append(args.at(i));
        out->append(args.at(i + 1));
        return {};
    }
    if (!showVerbs.contains(args.at(i)))
        return QStringLiteral("ip %1 %2 is not read-only").arg(object, args.at(i));
    out->append(args.at(i++));
    // show [dev] IFNAME, or for routes: table ID
    if (i < args.size() && object == QLatin1String("route") && args.at(i) == QLatin1String("table")
        && i + 1 < args.size()) {
        if (!routeTable(args.at(i + 1)))
            return QStringLiteral("ip route: bad table");
        out->append(args.at(i));
        out->append(args.at(i + 1));
        i += 2;
    } else if (i < args.size() && object != QLatin1String("route")) {
        if (args.at(i) == QLatin1String("dev")) {
            out->append(args.at(i++));
            if (i >= args.size())
                return QStringLiteral("ip: dev needs an interface name");
        }
        if (!ifname(args.at(i)))
            return QStringLiteral("ip: '%1' is not an interface name").arg(args.at(i));
        out->append(args.at(i++));
    }
    if (i < args.size())
        return QStringLiteral("ip: '%1' is not on the read-only table").arg(args.at(i));
    return {};
}

QList<ProgramRule> readOnlyTable()
{
    const QStringList unitLists = {QStringLiteral("list-units"), QStringLiteral("list-unit-files"),
        QStringLiteral("list-timers"), QStringLiteral("list-sockets"), QStringLiteral("list-jobs")};
    const QList<Option> systemctlCommon = flags({"--no-pager", "-l", "--full", "-a", "--all",
                                              "--plain", "--no-legend", "-q", "--quiet"})
        + QList<Option> {
            valued("--state", Columns), valued("-t", Columns), valued("--type", Columns)};
    const QList<Option> journalOptions =
        flags({"--no-pager", "-q", "--quiet", "-r", "--reverse", "-k", "--dmesg", "-x", "--catalog",
            "-a", "--all", "--utc", "--no-hostname", "-m", "--merge", "--list-boots",
            "--disk-usage", "-l", "--full", "--system", "-e", "--pager-end", "-N", "--fields"})
        + QList<Option> {valued("-u", Unit), valued("--unit", Unit), valued("-t", Name),
            valued("--identifier", Name), valued("-n", Digits, Arity::OptionalNext),
            valued("--lines", Digits, Arity::OptionalNext),
            valued("-p", matching("[0-7a-z.]{1,16}")),
            valued("--priority", matching("[0-7a-z.]{1,16}")), valued("-S", TimeSpec),
            valued("--since", TimeSpec), valued("-U", TimeSpec), valued("--until", TimeSpec),
            valued("-o",
                oneOf({QStringLiteral("short"), QStringLiteral("short-iso"),
                    QStringLiteral("short-iso-precise"), QStringLiteral("short-precise"),
                    QStringLiteral("short-monotonic"), QStringLiteral("short-unix"),
                    QStringLiteral("verbose"), QStringLiteral("json"),
                    QStringLiteral("json-pretty"), QStringLiteral("cat"),
                    QStringLiteral("with-unit")})),
            valued("--output", matching("[a-z-]{1,20}")), valued("-g", Text),
            valued("--grep", Text), valued("-F", Name), valued("--field", Name),
            valued("-b", matching("[+-]?[0-9]{1,6}|[0-9a-f]{32}([+-][0-9]{1,6})?|all"),
                Arity::OptionalNext),
            valued("--boot", matching("[+-]?[0-9]{1,6}|[0-9a-f]{32}([+-][0-9]{1,6})?|all"),
                Arity::OptionalNext),
            valued("--facility", Columns), valued("--output-fields", Columns)};

    QList<ProgramRule> table;
    table.append({QStringLiteral("uptime"), {flags({"-p", "--pretty", "-s", "--since"})}, {}});
    table.append({QStringLiteral("df"),
        {flags({"-a", "--all", "-h", "--human-readable", "-H", "--si", "-i", "--inodes", "-k", "-l",
             "--local", "-P", "--portability", "-T", "--print-type", "--total"})
                + QList<Option> {valued("-t", Name), valued("--type", Name), valued("-x", Name),
                    valued("--exclude-type", Name), valued("--output", Columns, Arity::Optional)},
            canonicalPath, 16},
        {}});
    table.append({QStringLiteral("free"),
        {flags({"-b", "--bytes", "-k", "--kilo", "-m", "--mega", "-g", "--giga", "--tera", "-h",
            "--human", "--si", "-t", "--total", "-w", "--wide", "-l", "--lohi", "-v",
            "--committed"})},
        {}});
    table.append({QStringLiteral("cat"), {{}, listedFile(ReadableFiles), 8, true, {}, 1}, {}});
    table.append({QStringLiteral("systemctl"), {},
        {{{QStringLiteral("status")},
             {systemctlCommon + QList<Option> {valued("-n", Digits), valued("--lines", Digits)},
                 Unit, 16}},
            {{QStringLiteral("is-active"), QStringLiteral("is-enabled"),
                 QStringLiteral("is-failed")},
                {flags({"-q", "--quiet"}), Unit, 16}},
            {{QStringLiteral("is-system-running")}, {}},
            {unitLists, {systemctlCommon + flags({"--failed"}), Unit, 16}},
            {{QStringLiteral("list-dependencies")},
                {systemctlCommon + flags({"--reverse"}), Unit, 1}}}});
    table.append({QStringLiteral("journalctl"), {journalOptions}, {}});
    table.append({QStringLiteral("ip"), {}, {}, matchIp});
    table.append({QStringLiteral("hostname"),
        {flags({"-f", "--fqdn", "--long", "-s", "--short", "-d", "--domain", "-i", "--ip-address",
            "-I", "--all-ip-addresses", "-A", "--all-fqdns", "-a", "--alias"})},
        {}});
    table.append({QStringLiteral("uname"),
        {flags({"-a", "--all", "-s", "--kernel-name", "-n", "--nodename", "-r", "--kernel-release",
            "-v", "--kernel-version", "-m", "--machine", "-p", "--processor", "-i",
            "--hardware-platform", "-o", "--operating-system"})},
        {}});
    table.append({QStringLiteral("lsblk"),
        {flags({"-a", "--all", "-b", "--bytes", "-d", "--nodeps", "-f", "--fs", "-J", "--json",
             "-l", "--list", "-m", "--perms", "-n", "--noheadings", "-p", "--paths", "-t",
             "--topology", "-S", "--scsi", "-T", "--tree", "-z", "--zoned"})
                + QList<Option> {valued("-o", Columns), valued("--output", Columns)},
            matching("/dev/[A-Za-z0-9_-]{1,64}(/[A-Za-z0-9_-]{1,64})?"), 16},
        {}});
    table.append({QStringLiteral("lscpu"),
        {flags({"-a", "--all", "-b", "--online", "-c", "--offline", "-J", "--json", "-y",
            "--physical"})},
        {}});
    table.append({QStringLiteral("dmesg"),
        {flags({"-T", "--ctime", "-k", "--kernel", "-x", "--decode", "-t", "--notime", "-r",
             "--raw", "-d", "--show-delta", "-L", "--nopager", "-P", "-u", "--userspace"})
            + QList<Option> {valued("-l", Columns), valued("--level", Columns),
                valued("-f", Columns), valued("--facility", Columns),
                valued("--time-format",
                    oneOf({QStringLiteral("delta"), QStringLiteral("reltime"),
                        QStringLiteral("ctime"), QStringLiteral("notime"),
                        QStringLiteral("iso")}))}},
        {}});
    table.append(
        {QStringLiteral("pvecm"), {}, {{{QStringLiteral("status"), QStringLiteral("nodes")}, {}}}});
    table.append({QStringLiteral("pvesm"), {},
        {{{QStringLiteral("status")},
            {{valued("--storage", Name), valued("--content", Columns), valued("--enabled", Bool01),
                 valued("--target", Name)},
                {}, 0, false}}}});
    for (const char *guestTool : {"qm", "pct"}) {
        table.append({QLatin1String(guestTool), {},
            {{{QStringLiteral("list")}, {{valued("--full", Bool01)}, {}, 0, false}},
                {{QStringLiteral("status")}, {{valued("--verbose", Bool01)}, Vmid, 1, false}}}});
    }
    table.append({QStringLiteral("pveversion"), {flags({"-v", "--verbose"})}, {}});
    table.append({QStringLiteral("sensors"),
        {flags({"-j", "-A", "--no-adapter", "-u", "-f", "--fahrenheit"})}, {}});
    // zpool/zfs: a number where a pool name goes is an interval (repeat forever): not a name.
    const Value pool = matching("[A-Za-z_][A-Za-z0-9._:-]{0,63}");
    const Value dataset = matching("[A-Za-z_][A-Za-z0-9._:/@-]{0,255}");
    table.append({QStringLiteral("zpool"), {},
        {{{QStringLiteral("status")},
             {flags({"-x", "-v", "-P", "-L", "-D", "-g", "-t", "-e", "-p", "-i", "-s"}), pool, 16}},
            {{QStringLiteral("list")},
                {flags({"-H", "-p", "-P", "-v", "-L", "-g"})
                        + QList<Option> {valued("-o", Columns)},
                    pool, 16}}}});
    table.append({QStringLiteral("zfs"), {},
        {{{QStringLiteral("list")},
            {flags({"-H", "-p", "-r"})
                    + QList<Option> {valued("-o", Columns), valued("-t", Columns),
                        valued("-s", Name), valued("-S", Name), valued("-d", Digits)},
                dataset, 16}}}});
    // top only as a one-shot batch run.
    table.append({QStringLiteral("top"),
        {flags({"-b", "-c", "-i", "-H", "-S", "-1"})
                + QList<Option> {valued("-n", oneOf({QStringLiteral("1")})),
                    valued("-o", matching("[%A-Za-z]{1,16}")),
                    valued("-w", matching("[0-9]{1,3}"), Arity::Optional),
                    valued("-p", matching("[0-9,]{1,128}"))},
            {}, 0, true, {QStringLiteral("-b"), QStringLiteral("-n")}},
        {}});
    table.append({QStringLiteral("ps"),
        {flags({"-e", "-A", "-a", "-d", "-f", "-F", "-l", "-j", "-H", "-w", "-y", "-M", "-L", "-T",
             "--forest", "--no-headers", "--headers"})
                + QList<Option> {valued("-o", Columns), valued("-O", Columns),
                    valued("--format", Columns), valued("-p", matching("[0-9,]{1,128}")),
                    valued("--pid", matching("[0-9,]{1,128}")), valued("-C", Name),
                    valued("-u", Columns), valued("-U", Columns), valued("--sort", Columns)},
            // BSD-style option words without a dash (aux, auxf, axo ...)
            matching("[auxfwj]{1,6}"), 1},
        {}});
    table.append({QStringLiteral("whoami"), {}, {}});
    table.append({QStringLiteral("date"),
        {flags({"-u", "--utc", "--universal", "-R", "--rfc-email"})
                + QList<Option> {valued("-I",
                                     oneOf({QStringLiteral("date"), QStringLiteral("hours"),
                                         QStringLiteral("minutes"), QStringLiteral("seconds"),
                                         QStringLiteral("ns")}),
                                     Arity::Optional),
                    valued("--iso-8601",
                        oneOf({QStringLiteral("date"), QStringLiteral("hours"),
                            QStringLiteral("minutes"), QStringLiteral("seconds"),
                            QStringLiteral("ns")}),
                        Arity::Optional),
                    valued("--rfc-3339",
                        oneOf({QStringLiteral("date"), QStringLiteral("seconds"),
                            QStringLiteral("ns")})),
                    valued("-d", Text), valued("--date", Text)},
            // Only a display format: any other operand sets the clock.
            matching("\\+[^\\x00-\\x1f\\x7f]{0,128}"), 1},
        {}});
    return table;
}

const QList<ProgramRule> &table()
{
    static const QList<ProgramRule> t = readOnlyTable();
    return t;
}

// The read-only verdict: the canonical words on success, else the reason it is not read-only.
QString matchReadOnly(const QStringList &words, QStringList *canonical)
{
    const QString &program = words.first();
    for (const ProgramRule &rule : table()) {
        if (rule.program != program)
            continue;
        canonical->append(program);
        if (rule.custom)
            return rule.custom(words, canonical);
        if (rule.subcommands.isEmpty())
            return matchArgs(words, 1, rule.args, canonical);
        if (words.size() < 2)
            return QStringLiteral("%1 needs a subcommand").arg(program);
        for (const auto &[names, spec] : rule.subcommands) {
            if (names.contains(words.at(1))) {
                canonical->append(words.at(1));
                return matchArgs(words, 2, spec, canonical);
            }
        }
        return QStringLiteral("%1 %2 is not on the read-only table").arg(program, words.at(1));
    }
    return QStringLiteral("%1 is not on the read-only table").arg(program);
}

} // namespace

SafetyPolicy::SafetyPolicy(QStringList protectedNodes, QList<int> protectedVmids)
    : m_denied(deniedPatterns())
{
    for (const QString &n : protectedNodes)
        m_protectedNodes.insert(n.trimmed().toLower());
    for (int v : protectedVmids)
        m_protectedVmids.insert(v);
}

bool SafetyPolicy::isProtectedNode(const QString &node) const
{
    return m_protectedNodes.contains(node.trimmed().toLower());
}

std::optional<QString> SafetyPolicy::invalidCommand(const QString &command)
{
    for (qsizetype i = 0; i < command.size(); ++i) {
        const QChar c = command.at(i);
        if (c.isHighSurrogate() && i + 1 < command.size() && command.at(i + 1).isLowSurrogate()) {
            ++i;
            continue;
        }
        if (c.isSurrogate())
            return QStringLiteral("command holds an unpaired UTF-16 surrogate at position %1")
                .arg(i);
        if (isRefusedChar(c.unicode()))
            return QStringLiteral("command holds a control character (U+%1) at position %2: "
                                  "send one command line without control characters")
                .arg(QString::number(c.unicode(), 16).toUpper().rightJustified(4, QLatin1Char('0')))
                .arg(i);
    }
    if (command.trimmed().isEmpty())
        return QStringLiteral("command is empty");
    return std::nullopt;
}

QString SafetyPolicy::shellQuote(const QString &word)
{
    QString quoted = word;
    quoted.replace(QLatin1Char('\''), QLatin1String("'\\''"));
    return QLatin1Char('\'') + quoted + QLatin1Char('\'');
}

CommandPlan SafetyPolicy::planCommand(const QString &command) const
{
    CommandPlan plan;
    if (const auto invalid = invalidCommand(command)) {
        plan.invalid = *invalid;
        plan.reason = *invalid;
        return plan;
    }
    // The deny-list looks at the line as written and with quotes and backslashes removed, so
    // r''m or \reboot is caught too.
    QString unquoted = command;
    unquoted.remove(QLatin1Char('\'')).remove(QLatin1Char('"')).remove(QLatin1Char('\\'));
    for (const QRegularExpression &re : m_denied) {
        if (re.match(command).hasMatch() || re.match(unquoted).hasMatch()) {
            plan.reason = QStringLiteral("matches the deny-list (%1)").arg(re.pattern());
            return plan;
        }
    }
    QString why;
    if (const auto words = tokenise(command, &why)) {
        QStringList canonical;
        why = matchReadOnly(*words, &canonical);
        if (why.isEmpty()) {
            QStringList quoted;
            for (const QString &w : std::as_const(canonical))
                quoted.append(shellQuote(w));
            plan.tier = Tier::Yellow;
            plan.toRun = quoted.join(QLatin1Char(' '));
            plan.reason = QStringLiteral("on the read-only table");
            return plan;
        }
    }
    plan.tier = Tier::Red;
    plan.toRun = command;
    plan.reason = QStringLiteral("not read-only: %1").arg(why);
    return plan;
}

std::optional<QString> SafetyPolicy::check(
    const Tool &tool, Tier tier, const QJsonObject &args, bool confirmed) const
{
    if (tier == Tier::Black)
        return QStringLiteral("%1 is forbidden (BLACK tier): Jarvis never runs it").arg(tool.name);
    if (tier != Tier::Green) {
        const QString node = args.value(QStringLiteral("node")).toString();
        if (!node.isEmpty() && isProtectedNode(node))
            return QStringLiteral("node %1 is protected: %2 (%3) is refused")
                .arg(node, tool.name, tierName(tier));
        const QJsonValue vmid = args.value(QStringLiteral("vmid"));
        if (vmid.isDouble() && isProtectedVmid(vmid.toInt()))
            return QStringLiteral("guest %1 is protected: %2 (%3) is refused")
                .arg(vmid.toInt())
                .arg(tool.name, tierName(tier));
    }
    if (tier == Tier::Red && !confirmed) {
        QString refusal =
            QStringLiteral("%1 is a RED tool: repeat the request with \"confirmed\": true")
                .arg(tool.name);
        // A command (execute_ssh) says why it is RED: which word took it out of the read-only
        // table.
        const QJsonValue command = args.value(QStringLiteral("command"));
        if (command.isString()) {
            const CommandPlan plan = planCommand(command.toString());
            if (plan.tier == Tier::Red && !plan.reason.isEmpty())
                refusal += QStringLiteral(" (%1)").arg(plan.reason);
        }
        return refusal;
    }
    return std::nullopt;
}

} // namespace jarvis::tools
