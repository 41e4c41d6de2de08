// libFuzzer target for the execute_ssh classifier (tools::SafetyPolicy::classifyCommand), which
// decides whether a shell command from a client runs as YELLOW (no confirmation). Input: the
// command as UTF-8 (invalid sequences become U+FFFD, as in a JSON request).
// Invariants that must hold whatever the rules are:
//  - the tier is YELLOW, RED or BLACK (execute_ssh is never GREEN), and the same on every call;
//  - a command containing a control character (any C0 including tab, CR and LF; DEL; any C1;
//    U+2028, U+2029) is never YELLOW: the shell or a terminal may read it otherwise than the
//    classifier did;
//  - a command of plain words (no quote, backslash, '#', '$', '`', brackets, redirection or
//    separator) followed by "; rm -rf /" is never YELLOW: the second command always runs.
#include "fuzzcheck.h"
#include "tools/safetypolicy.h"

using namespace jarvis::tools;

namespace {

bool isControl(char16_t c)
{
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029;
}

bool hasControl(const QString &command)
{
    for (QChar c : command) {
        if (isControl(c.unicode()))
            return true;
    }
    return false;
}

bool isPlainWords(const QString &command)
{
    for (QChar c : command) {
        if (isControl(c.unicode()) || QStringView(u"'\"\\#$`(){}[]<>|&;!*?~=").contains(c))
            return false;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const SafetyPolicy policy({}, {});
    const QString command =
        QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const Tier tier = policy.classifyCommand(command);
    FUZZ_CHECK(tier == Tier::Yellow || tier == Tier::Red || tier == Tier::Black);
    FUZZ_CHECK(policy.classifyCommand(command) == tier);
    if (hasControl(command))
        FUZZ_CHECK(tier != Tier::Yellow);
    if (isPlainWords(command))
        FUZZ_CHECK(policy.classifyCommand(command + QStringLiteral("; rm -rf /")) != Tier::Yellow);
    return 0;
}
