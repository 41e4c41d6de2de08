#pragma once

#include "ssh/channel.h"

#include <QByteArray>
#include <QString>

namespace jarvis::ssh {

struct ShellOptions
{
    int cols = 80;
    int rows = 24;
    QByteArray term = "xterm-256color";
    bool pty = true; // false: plain pipes (stdout and stderr both arrive in dataReceived)
    // Empty: the user's login shell; otherwise this command (like `ssh -t host command`).
    QString command;
};

// An interactive session on a Connection: a PTY (`term`, cols x rows) and a login shell (or a
// command), raw bytes both ways. Output is not decoded: a multi-byte character may be split across
// two dataReceived() signals (see Utf8Splitter). Input written before the shell is open is kept and
// sent when it opens; a resize before that is used for the PTY request. Backpressure:
// setReadPaused() (see Channel). Owned by its QObject parent; main thread only.
class ShellChannel : public Channel
{
    Q_OBJECT
public:
    ShellChannel(Connection *connection, ShellOptions options = {}, QObject *parent = nullptr);

    // Queued; sent as fast as the remote window allows (bytesToWrite() is what waits). Ignored
    // once the channel is closed or closeWriteChannel() was called.
    void write(const QByteArray &data);
    // 1..1000 each (clamped; callers validate). Sent by the connection's pump if open (a storm of
    // resizes sends the latest size once), else used when the PTY is requested.
    void resize(int cols, int rows);
    int cols() const { return m_options.cols; }
    int rows() const { return m_options.rows; }
    const ShellOptions &options() const { return m_options; }

Q_SIGNALS:
    void opened();
    void dataReceived(const QByteArray &data);
    // The remote side ended: its exit status, 128 + N if it died from signal N, -1 if unknown.
    void closed(int exitStatus);
    void errorOccurred(const jarvis::ssh::Error &error);

protected:
    int sendRequests(ssh_channel_struct *channel) override;
    void handleOpened() override;
    void sendRequestsWhileOpen(ssh_channel_struct *channel) override;
    void handleData(const QByteArray &data, bool isStderr) override;
    void handleFinished(int exitStatus, const QString &exitSignal) override;
    void handleError(const Error &error) override;

private:
    ShellOptions m_options;
    QByteArray m_command; // UTF-8, kept for the exec request
    bool m_ptyRequested = false; // sent: a later resize must follow once the shell is open
    bool m_ptyDone = false;
    bool m_sizeChanged = false; // resized after the PTY request went out; sent by the pump
};

} // namespace jarvis::ssh
