#include "prompter.h"

#include <cstdio>
#include <iostream>
#include <string>

#include <termios.h>
#include <unistd.h>

namespace jarvis::setup {

void say(const QString &text)
{
    std::fputs(qPrintable(text + QLatin1Char('\n')), stdout);
    std::fflush(stdout);
}

namespace {

// Echo off on a terminal for the lifetime of this object.
class NoEcho
{
public:
    NoEcho()
    {
        if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &m_saved) == 0) {
            termios quiet = m_saved;
            quiet.c_lflag &= ~tcflag_t(ECHO);
            m_active = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
    }
    ~NoEcho()
    {
        if (m_active) {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &m_saved);
            std::fputs("\n", stdout);
        }
    }
    NoEcho(const NoEcho &) = delete;
    NoEcho &operator=(const NoEcho &) = delete;

private:
    termios m_saved {};
    bool m_active = false;
};

} // namespace

QString Prompter::readLine(const QString &question, bool hidden)
{
    std::fputs(qPrintable(question), stdout);
    std::fflush(stdout);
    std::string line;
    bool got = false;
    {
        std::optional<NoEcho> noEcho;
        if (hidden)
            noEcho.emplace();
        got = bool(std::getline(std::cin, line));
    }
    if (!got) {
        std::fputs("\n", stdout);
        throw SetupError {QStringLiteral("no answer to \"%1\": standard input ended")
                              .arg(question.trimmed().section(QLatin1String(" ["), 0, 0)),
            2};
    }
    if (!isatty(STDIN_FILENO))
        std::fputs("\n", stdout); // the answer's line ends, as on a terminal
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return QString::fromStdString(line);
}

QString Prompter::ask(
    const QString &question, const QString &defaultAnswer, const Validator &validate)
{
    const QString text = defaultAnswer.isEmpty()
        ? question + QStringLiteral(": ")
        : QStringLiteral("%1 [%2]: ").arg(question, defaultAnswer);
    for (;;) {
        QString answer = readLine(text, false).trimmed();
        if (answer.isEmpty())
            answer = defaultAnswer;
        const QString problem = validate
            ? validate(answer)
            : (answer.isEmpty() ? QStringLiteral("an answer is needed") : QString());
        if (problem.isEmpty())
            return answer;
        say(QStringLiteral("  Not accepted: %1. Please answer again.").arg(problem));
    }
}

QString Prompter::askSecret(const QString &question, bool allowEmpty)
{
    const QString text = allowEmpty
        ? QStringLiteral("%1 [empty: keep the current one]: ").arg(question)
        : question + QStringLiteral(": ");
    for (;;) {
        const QString answer = readLine(text, true);
        if (!answer.isEmpty() || allowEmpty)
            return answer;
        say(QStringLiteral("  Not accepted: an answer is needed. Please answer again."));
    }
}

bool Prompter::confirm(const QString &question, bool defaultAnswer)
{
    const QString text =
        question + (defaultAnswer ? QStringLiteral(" [Y/n]: ") : QStringLiteral(" [y/N]: "));
    for (;;) {
        const QString answer = readLine(text, false).trimmed().toLower();
        if (answer.isEmpty())
            return defaultAnswer;
        if (answer == QLatin1String("y") || answer == QLatin1String("yes"))
            return true;
        if (answer == QLatin1String("n") || answer == QLatin1String("no"))
            return false;
        say(QStringLiteral("  Not accepted: answer yes or no. Please answer again."));
    }
}

} // namespace jarvis::setup
