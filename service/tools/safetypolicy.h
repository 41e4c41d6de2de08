#pragma once

#include "tools/tool.h"

#include <QJsonObject>
#include <QList>
#include <QRegularExpression>
#include <QSet>
#include <QString>
#include <QStringList>

#include <optional>

namespace jarvis::tools {

// The safety rules of PROTOCOL.md section 4: GREEN runs; YELLOW runs (audited); RED only with
// `confirmed`; BLACK never; a protected node or guest refuses every non-GREEN tool. Also the
// execute_ssh classification: deny-list -> BLACK, read-only allow-list -> YELLOW, else RED.
// Pure and cheap; main thread.
class SafetyPolicy
{
public:
    SafetyPolicy(QStringList protectedNodes, QList<int> protectedVmids);

    // nullopt = allowed; otherwise the reason it is blocked.
    std::optional<QString> check(
        const Tool &tool, Tier tier, const QJsonObject &args, bool confirmed) const;

    // execute_ssh: the tier of one shell command.
    Tier classifyCommand(const QString &command) const;
    void setReadOnlyCommands(QStringList prefixes) { m_readOnly = std::move(prefixes); }

    bool isProtectedNode(const QString &node) const;
    bool isProtectedVmid(int vmid) const { return m_protectedVmids.contains(vmid); }

private:
    QSet<QString> m_protectedNodes; // lower case
    QSet<int> m_protectedVmids;
    QStringList m_readOnly;
    QList<QRegularExpression> m_denied;
};

} // namespace jarvis::tools
