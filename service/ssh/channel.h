#pragma once

#include "ssh/error.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QString>

#include <memory>

struct ssh_channel_struct;
struct ssh_session_struct;

namespace jarvis::ssh {

class Connection;

// The base of every channel multiplexed on one Connection: opens an SSH "session" channel once
// the connection is up, runs the subclass's requests (pty, shell, exec), reads its data when the
// connection's socket notifier fires (a channel never has a notifier of its own), queues partial
// writes until the remote window takes them, and notices the end (EOF, exit status, close).
//
// Flow control: while setReadPaused(true), the channel is not read at all. libssh 0.10 then keeps
// what already arrived in the channel's buffer and stops enlarging the channel's receive window
// (it only sends WINDOW_ADJUST when the application reads), so the server stops sending once the
// window (at most 1.28 MB, libssh's WINDOWBASE) is used up and the remote program blocks on its
// output. Other channels on the same connection keep flowing.
// But a read in libssh 0.10 re-opens the window to 1.28 MB without counting what libssh still
// buffers (0.11 counts it): a reader that took less than libssh held per read let that buffer grow
// by up to a window per read (tens of MB under load). So a read drains everything libssh holds
// into the channel's read-ahead (m_readAhead), which is handed out ReadBudget at a time and read
// again only once it is empty: libssh's buffer plus the read-ahead stay within about two windows.
//
// Owned by its QObject parent (or whoever created it). Closing or deleting a channel never closes
// the connection; a connection that goes away ends its channels with an error. Main thread only.
class Channel : public QObject
{
    Q_OBJECT
public:
    enum class State {
        Waiting, // for the connection to be up
        Opening, // channel open and requests in flight
        Open,
        Closed, // ended, failed or closed locally; final
    };
    Q_ENUM(State)

    ~Channel() override;

    State state() const { return m_state; }
    bool isOpen() const { return m_state == State::Open; }
    Connection *connection() const;

    void setReadPaused(bool paused);
    bool isReadPaused() const { return m_readPaused; }

    // Bytes written but not yet accepted by the remote window.
    qsizetype bytesToWrite() const { return m_writeBuffer.size() - m_writeOffset; }
    // Of those, what the remote window has no room for yet (the rest goes with the next pump).
    qsizetype bytesBeyondWindow() const;

    // Exit status and signal name ("TERM") as reported by the server; -1 / empty if none.
    int exitStatus() const { return m_exitStatus; }
    QString exitSignal() const { return m_exitSignal; }

    // Sends EOF (end of the remote program's input) once everything written so far has gone out.
    void closeWriteChannel();
    // Closes the channel from this side. No signal is emitted; the connection stays up.
    void close();

protected:
    Channel(Connection *connection, QObject *parent);

    // The requests that follow the channel open (pty, shell, exec). Called again while it returns
    // SSH_AGAIN; sets `m_requestName` so a failure can say which request failed.
    virtual int sendRequests(ssh_channel_struct *channel) = 0;
    virtual void handleOpened() = 0;
    virtual void handleData(const QByteArray &data, bool isStderr) = 0;
    virtual void handleFinished(int exitStatus, const QString &exitSignal) = 0;
    virtual void handleError(const Error &error) = 0;

    // Queues `data`; the connection's pump writes it (see wake()).
    void enqueueWrite(const QByteArray &data);
    // Asks the connection's pump to serve this channel soon: every write to the session (data,
    // requests, EOF) is made from there, one channel after another, never from inside a caller's
    // event handler, so no interleaving of resizes, input and reads can reach libssh.
    void wake();
    // Called from the pump while the channel is open, before queued data: requests such as a
    // window change.
    virtual void sendRequestsWhileOpen(ssh_channel_struct *) { }
    // Ends the channel with `error` (e.g. a deadline of the subclass).
    void fail(const Error &error);
    ssh_channel_struct *handle() const { return m_channel; }
    // After a libssh call on handle() made outside service(): lets the connection catch up.
    void afterCall();
    QString describe() const; // "host:port" of the connection, for messages

    QString m_requestName = QStringLiteral("channel open");

private:
    friend class Connection;
    struct Callbacks;

    // Called by the connection from its notifier; returns true when it stopped reading with data
    // still buffered (the connection then comes back soon).
    bool service();
    // The connection is gone: forget the libssh channel without touching it.
    void forgetHandle() { m_channel = nullptr; }
    void abort(const Error &error);
    void release();
    bool readAvailable();
    void flushWrites();
    void checkFinished();
    Error channelError(const QString &what) const;
    bool sessionAlive() const;

    static void onExitStatus(
        ssh_session_struct *session, ssh_channel_struct *channel, int status, void *userdata);
    static void onExitSignal(ssh_session_struct *session, ssh_channel_struct *channel,
        const char *signal, int core, const char *errmsg, const char *lang, void *userdata);

    QPointer<Connection> m_connection;
    ssh_channel_struct *m_channel = nullptr;
    std::unique_ptr<Callbacks> m_callbacks;
    State m_state = State::Waiting;
    bool m_channelOpen = false; // the SSH channel open was confirmed
    bool m_readPaused = false;
    QByteArray m_readAhead[2]; // drained from libssh, not yet handed out: stdout, stderr
    QByteArray m_writeBuffer;
    qsizetype m_writeOffset = 0;
    bool m_eofRequested = false;
    bool m_eofSent = false;
    int m_exitStatus = -1;
    QString m_exitSignal;
};

// 128 + the signal number for a signal name ("TERM" -> 143), as shells report it; -1 if unknown.
int exitCodeForSignal(const QString &signal);

} // namespace jarvis::ssh
