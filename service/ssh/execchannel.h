#pragma once

#include "ssh/channel.h"

#include <QByteArray>
#include <QString>

namespace jarvis::core {
class Ticker;
}

namespace jarvis::ssh {

struct ExecOptions
{
    int timeoutMs = 30000; // from creation to exit; 0 = none
    qsizetype maxOutputBytes = 1024 * 1024; // kept per stream; the rest is read and dropped
};

struct ExecResult
{
    int exitCode = -1; // the exit status; 128 + N if killed by signal N; -1 if unknown
    QString exitSignal; // "TERM", ... if the command died from a signal
    QByteArray stdOut;
    QByteArray stdErr;
    bool truncated = false; // a stream passed maxOutputBytes
};

// Runs one command (no PTY, no input: EOF is sent as soon as it starts) on a Connection and
// collects its exit status, stdout and stderr, each bounded; finished() is emitted exactly once,
// with the result (any exit code) or an error: channel failure, dropped connection, or Timeout. On
// a timeout the command is sent SIGTERM through the channel and the channel is closed (OpenSSH
// honours the signal only in privilege-separated sessions, i.e. not for root logins; there the
// command runs on until it ends by itself). Owned by its QObject parent; main thread only.
class ExecChannel : public Channel
{
    Q_OBJECT
public:
    ExecChannel(Connection *connection, QString command, ExecOptions options = {},
        QObject *parent = nullptr);

    QString command() const { return m_command; }
    bool isFinished() const { return m_finished; }

Q_SIGNALS:
    void finished(const jarvis::ssh::Result<jarvis::ssh::ExecResult> &result);

protected:
    int sendRequests(ssh_channel_struct *channel) override;
    void handleOpened() override;
    void handleData(const QByteArray &data, bool isStderr) override;
    void handleFinished(int exitStatus, const QString &exitSignal) override;
    void handleError(const Error &error) override;

private:
    void onTimeout();
    void finish(const Result<ExecResult> &result);

    QString m_command;
    QByteArray m_commandUtf8;
    ExecOptions m_options;
    ExecResult m_result;
    core::Ticker *m_timer; // child: the timeout, on the connection's clock
    bool m_finished = false;
};

} // namespace jarvis::ssh
