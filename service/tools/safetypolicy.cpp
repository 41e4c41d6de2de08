#include "tools/safetypolicy.h"

namespace jarvis::tools {

namespace {
// Read-only commands (a command must start with one of these and contain no shell operator).
const QStringList DefaultReadOnly = {
    QStringLiteral("uptime"),
    QStringLiteral("df"),
    QStringLiteral("free"),
    QStringLiteral("cat /proc/"),
    QStringLiteral("systemctl status"),
    QStringLiteral("journalctl"),
    QStringLiteral("ip addr"),
    QStringLiteral("ip a"),
    QStringLiteral("ip route"),
    QStringLiteral("hostname"),
    QStringLiteral("uname"),
    QStringLiteral("lsblk"),
    QStringLiteral("pvecm status"),
    QStringLiteral("pvesm status"),
    QStringLiteral("qm list"),
    QStringLiteral("pct list"),
    QStringLiteral("sensors"),
    QStringLiteral("zpool status"),
    QStringLiteral("zpool list"),
    QStringLiteral("pveversion"),
    QStringLiteral("top -bn1"),
    QStringLiteral("ps "),
    QStringLiteral("whoami"),
    QStringLiteral("date"),
};

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
        R"(\bsystemctl\s+(reboot|poweroff|halt|kexec)\b)",
        R"(:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:)", // fork bomb
        R"(\b(curl|wget)\b[^|]*\|\s*(sudo\s+)?(ba|z|da|k)?sh\b)", // curl | sh
        R"(>\s*/dev/(sd|nvme|vd|hd)[a-z0-9]*)",
        R"(\bwipefs\b)",
        R"(\b(fdisk|sfdisk|parted|sgdisk)\b)",
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
} // namespace

SafetyPolicy::SafetyPolicy(QStringList protectedNodes, QList<int> protectedVmids)
    : m_readOnly(DefaultReadOnly)
    , m_denied(deniedPatterns())
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

Tier SafetyPolicy::classifyCommand(const QString &command) const
{
    const QString c = command.simplified();
    for (const QRegularExpression &re : m_denied) {
        if (re.match(c).hasMatch())
            return Tier::Black;
    }
    // Anything that chains, redirects or substitutes is not read-only, whatever it starts with.
    static const QRegularExpression shellOperators(QStringLiteral(R"([;&|><`$\n\\])"));
    if (!c.contains(shellOperators)) {
        for (const QString &prefix : m_readOnly) {
            const bool open =
                prefix.endsWith(QLatin1Char(' ')) || prefix.endsWith(QLatin1Char('/'));
            if (c == prefix.trimmed() || c.startsWith(open ? prefix : prefix + QLatin1Char(' ')))
                return Tier::Yellow;
        }
    }
    return Tier::Red;
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
    if (tier == Tier::Red && !confirmed)
        return QStringLiteral("%1 is a RED tool: repeat the request with \"confirmed\": true")
            .arg(tool.name);
    return std::nullopt;
}

} // namespace jarvis::tools
