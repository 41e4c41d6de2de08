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

// How execute_ssh will treat one command line: the tier, and the exact command line that goes to
// sshd when it runs. The policy judges exactly what runs: a YELLOW command is sent as its tokens,
// each shell-quoted (so the remote shell expands nothing), a RED one as the caller wrote it.
struct CommandPlan
{
    Tier tier = Tier::Black;
    QString invalid; // not empty: refused outright (ErrorKind::InvalidRequest) for this reason
    QString toRun; // what is sent to sshd (empty when invalid or BLACK)
    QString reason; // why this tier, in words
};

// The safety rules of PROTOCOL.md section 4: GREEN runs; YELLOW runs (audited); RED only with
// `confirmed`; BLACK never; a protected node or guest refuses every non-GREEN tool. Also the
// execute_ssh classification: control characters -> refused; deny-list -> BLACK; the read-only
// table (exact programs with argument rules, PROTOCOL.md section 4) -> YELLOW; else RED.
// Pure and cheap; main thread.
class SafetyPolicy
{
public:
    SafetyPolicy(QStringList protectedNodes, QList<int> protectedVmids);

    // nullopt = allowed; otherwise the reason it is blocked.
    std::optional<QString> check(
        const Tool &tool, Tier tier, const QJsonObject &args, bool confirmed) const;

    // execute_ssh: everything about one command line.
    CommandPlan planCommand(const QString &command) const;
    // execute_ssh: the tier of one command line (an invalid one is BLACK: it never runs).
    Tier classifyCommand(const QString &command) const { return planCommand(command).tier; }

    bool isProtectedNode(const QString &node) const;
    bool isProtectedVmid(int vmid) const { return m_protectedVmids.contains(vmid); }
    // A guest is protected when its vmid is, or the node it runs on is (what /cluster's
    // `protected` says).
    bool isProtectedGuest(int vmid, const QString &node) const
    {
        return isProtectedVmid(vmid) || isProtectedNode(node);
    }

    // Why a command line cannot be run at all (control characters, invalid Unicode, empty), or
    // nullopt.
    static std::optional<QString> invalidCommand(const QString &command);
    // POSIX shell quoting of one word: 'word', with ' written as '\''.
    static QString shellQuote(const QString &word);

private:
    QSet<QString> m_protectedNodes; // lower case
    QSet<int> m_protectedVmids;
    QList<QRegularExpression> m_denied;
};

} // namespace jarvis::tools
