#pragma once

#include "ssh/connectionoptions.h"
#include "ssh/error.h"
#include "ssh/execchannel.h"
#include "ssh/shellchannel.h"

#include <QHostAddress>
#include <QList>
#include <QObject>

#include <functional>
#include <memory>

struct ssh_channel_struct;
struct ssh_counter_struct;
struct ssh_event_struct;
struct ssh_key_struct;
struct ssh_session_struct;
class QHostInfo;
class QSocketNotifier;
class QTimer;

namespace jarvis::core {
class Ticker;
}

namespace jarvis::ssh {

class Channel;

// One libssh session to one host, driven by the Qt event loop and never blocking it: the host
// name is resolved with QHostInfo (libssh would resolve synchronously), libssh runs in non-blocking
// mode, and its socket is watched by one read notifier plus a write notifier that is enabled only
// while libssh has output waiting (ssh_get_poll_flags() & SSH_WRITE_PENDING). Connect and
// authentication have deadlines (libssh ignores its own timeout in non-blocking mode); they and
// the keepalive run on options().clock (tests step a core::ManualClock).
// ~/.ssh/config and the system known_hosts are never read; the host key is checked against
// options().knownHostsFile only (see ConnectionOptions). Authentication: the one public key in
// options().keyFile. Keepalive: keepalive@openssh.com every keepaliveMs, plus TCP keepalive; three
// intervals without a byte from the server count as a dropped connection.
//
// Channels (ShellChannel, ExecChannel) are multiplexed on the connection and served from its
// notifier. A channel ending never ends the connection; the connection ending ends every channel
// with an error.
//
// Signals: connected() once the session is authenticated; errorOccurred() when an attempt fails
// (Resolve, Connect, Timeout, HostKey, Auth); disconnected() when an established connection ends
// (Dropped; also after disconnectFromHost()). One attempt per connectToHost(); the Pool reconnects.
// Owned by its QObject parent; main thread only (the session and its channels stay on it).
class Connection : public QObject
{
    Q_OBJECT
public:
    enum class State { Idle, Resolving, Connecting, Authenticating, Connected, Disconnected };
    Q_ENUM(State)
    using ExecCallback = std::function<void(const Result<ExecResult> &)>;

    explicit Connection(ConnectionOptions options, QObject *parent = nullptr);
    ~Connection() override;

    // Starts an attempt from Idle or Disconnected; ignored in any other state.
    void connectToHost();
    // Ends the attempt or the session; channels end with an error. Emits disconnected() if it was
    // connected, errorOccurred() if it was still connecting.
    void disconnectFromHost();

    State state() const { return m_state; }
    bool isConnected() const { return m_state == State::Connected; }
    const ConnectionOptions &options() const { return m_options; }
    QString endpoint() const; // "host:port"
    QHostAddress peerAddress() const { return m_address; }
    QString hostKeyFingerprint() const { return m_fingerprint; } // "SHA256:..." after key exchange
    // The ciphers in use, "in" (server to us) and "out"; empty before key exchange.
    QString cipherIn() const;
    QString cipherOut() const;
    // The MAC we send with ("aead-gcm", "aead-poly1305" for AEAD ciphers, else e.g.
    // "hmac-sha2-256-etm@openssh.com") and the key exchange, as libssh names them (OpenSSH's
    // names); empty before key exchange.
    QString macOut() const;
    QString keyExchange() const;
    Error lastError() const { return m_lastError; }
    int channelCount() const { return int(m_channels.size()); }
    // Bytes on the wire (encrypted) in this session so far.
    quint64 bytesReceived() const;
    quint64 bytesSent() const;
    // Counters for tests and diagnostics: passes of the pump over the connected session, and
    // keepalive requests sent (an idle session pumps a few times per keepalive, never spins).
    quint64 pumpCount() const { return m_pumps; }
    quint64 keepalivesSent() const { return m_keepalivesSent; }

    // Channels opened before the connection is up wait for it (and fail if it fails).
    ShellChannel *openShell(const ShellOptions &options = {}, QObject *parent = nullptr);
    ExecChannel *openExec(
        const QString &command, const ExecOptions &options = {}, QObject *parent = nullptr);
    // Runs `command` and calls `done` once with the result, only while `context` lives.
    void exec(const QString &command, const ExecOptions &options, const QObject *context,
        ExecCallback done);

Q_SIGNALS:
    void stateChanged(jarvis::ssh::Connection::State state);
    void connected();
    void errorOccurred(const jarvis::ssh::Error &error);
    void disconnected(const jarvis::ssh::Error &reason);

private:
    QString negotiated(const char *(*get)(ssh_session_struct *)) const; // empty unless connected
    friend class Channel;

    void setState(State state);
    void resolve();
    void onResolved(const QHostInfo &info);
    void startAttempt();
    void process();
    void stepConnect(int rc);
    bool checkHostKey();
    void startAuth();
    void stepAuth();
    void becomeConnected();
    void serviceChannels();
    void serviceRetired();
    void onDeadline();
    void onKeepalive();
    void fail(const Error &error);
    void drop(const Error &reason);
    void abortChannels(const Error &error);
    void teardownSession();
    void updateNotifiers();
    void schedulePump();
    bool sessionAlive() const;
    QString libsshError() const;

    // For channels.
    ssh_session_struct *session() const { return m_session; }
    void attach(Channel *channel);
    void detach(Channel *channel);
    void retire(ssh_channel_struct *channel, bool opening);
    void afterChannelCall();

    ConnectionOptions m_options;
    State m_state = State::Idle;
    ssh_session_struct *m_session = nullptr;
    ssh_event_struct *m_event = nullptr;
    ssh_key_struct *m_key = nullptr;
    int m_fd = -1;
    QSocketNotifier *m_readNotifier = nullptr; // child, one per socket
    QSocketNotifier *m_writeNotifier = nullptr; // child, one per socket
    core::Ticker *m_deadline; // child
    core::Ticker *m_keepalive; // child
    QTimer *m_pump; // child: one pump pass per turn of the event loop
    int m_lookupId = -1;
    QList<QHostAddress> m_addresses;
    qsizetype m_addressIndex = 0;
    QHostAddress m_address;
    QString m_fingerprint;
    Error m_lastError;
    QList<Channel *> m_channels; // attached, not owned
    QList<ssh_channel_struct *> m_retired; // closed by their owner while still opening
    std::unique_ptr<ssh_counter_struct> m_socketCounter; // libssh counts the socket's bytes
    quint64 m_lastBytesIn = 0;
    qint64 m_lastReceiveMs = 0; // options().clock's monotonicMs() of the last byte from the server
    int m_attempt = 0;
    bool m_keepaliveDue = false;
    bool m_pumpRequested = false;
    quint64 m_pumps = 0;
    quint64 m_keepalivesSent = 0;
};

} // namespace jarvis::ssh
