#pragma once

#include <QString>

#include <functional>
#include <optional>

namespace jarvis::setup {

// What stops jarvis-setup: a message for stderr and the exit code (docs/PROTOCOL.md section 7).
struct SetupError
{
    QString message;
    int exitCode = 1;
};

// Output on stdout, one line at a time.
void say(const QString &text);

// Questions on stdout, answers from stdin one line each: a terminal or a pipe (tests,
// automation). Secret answers are not echoed on a terminal. An answer that does not validate is
// said to be wrong, and the question is asked again; stdin closed before an answer is a
// SetupError. Reading blocks: jarvis-setup asks only while nothing else is in flight.
class Prompter
{
public:
    // Returns the error message for a bad answer, or an empty string.
    using Validator = std::function<QString(const QString &)>;

    QString ask(
        const QString &question, const QString &defaultAnswer = {}, const Validator &validate = {});
    // Empty answers are allowed only when `allowEmpty` (then "" means "keep what is there").
    QString askSecret(const QString &question, bool allowEmpty);
    bool confirm(const QString &question, bool defaultAnswer);

private:
    QString readLine(const QString &question, bool hidden);
};

} // namespace jarvis::setup
