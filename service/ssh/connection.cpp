#include "ssh/connection.h"

#include "core/clock.h"
#include "ssh/channel.h"
#include "ssh/logging.h"

#include <QFile>
#include <QFileInfo>
#include <QHostInfo>
#include <QPointer>
#include <QSocketNotifier>
#include <QTimer>

#include <libssh/libssh.h>
#include <libssh/server.h> // ssh_send_keepalive() is declared there; it works on client sessions

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstring>
#include <utility>

Q_LOGGING_CATEGORY(lcSsh, "jarvis.ssh")

namespace jarvis::ssh {

namespace {

// Socket reads per notifier activation before the channels are served (libssh 0.10 reads at most
// 4 KiB per poll round), so one busy connection cannot hold the loop for long.
constexpr int MaxPollsPerPump = 64;

// Never let libssh (or OpenSSL behind it) prompt on a terminal for an encrypted key's passphrase.
int refusePassphrase(const char *, char *, size_t, int, int, void *)
{
    return -1;
}

// SSH_OPTIONS_HOST parses "user@host:port"; an IPv6 literal needs brackets.
QByteArray hostOption(const QString &host)
{
    QHostAddress address;
    if (address.setAddress(host) && address.protocol() == QAbstractSocket::IPv6Protocol)
        return '[' + host.toUtf8() + ']';
    return host.toUtf8();
}

// libssh 0.10 switches the socket back to blocking mode once the TCP connect completes and then
// writes its whole output buffer with one send(). libssh only sends after poll() reported POLLOUT
// (and only this thread writes to the socket), so on a non-blocking socket send() always makes
// progress, and a peer that stops reading can never stall the event loop in send().
void makeNonBlocking(int fd)
{
    const int flags = ::fcntl(fd, F_GETFL, 0);
    if (flags >= 0 && !(flags & O_NONBLOCK))
        ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

void enableTcpKeepalive(int fd, int keepaliveMs)
{
    int on = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    if (keepaliveMs <= 0)
        return;
    int seconds = qMax(1, keepaliveMs / 1000);
    int count = 3;
    unsigned int userTimeoutMs = 3u * unsigned(keepaliveMs);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &seconds, sizeof seconds);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &seconds, sizeof seconds);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
    // Unacknowledged data for this long ends the connection (a peer that vanished).
    ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &userTimeoutMs, sizeof userTimeoutMs);
}

} // namespace

Connection::Connection(ConnectionOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_deadline(core::Clock::orSystem(m_options.clock)->createTicker(this))
    , m_keepalive(core::Clock::orSystem(m_options.clock)->createTicker(this))
    , m_pump(new QTimer(this))
    , m_socketCounter(std::make_unique<ssh_counter_struct>())
{
    // A repeating zero-interval timer, not a queued call: Qt runs calls queued while it delivers
    // queued calls in the same pass, so a pump that reschedules itself while data keeps coming
    // would never let the event loop turn. One timer (a restarted single-shot one is a new
    // timer each time, which Qt may fire again in the same pass) fires at most once per turn;
    // it stops at the first tick with nothing asked for.
    m_pump->setInterval(0);
    connect(m_pump, &QTimer::timeout, this, [this] {
        if (!m_pumpRequested) {
            m_pump->stop();
            return;
        }
        m_pumpRequested = false;
        process();
    });
    if (!m_options.clock)
        m_options.clock = core::Clock::system();
    m_deadline->setSingleShot(true);
    connect(m_deadline, &core::Ticker::timeout, this, &Connection::onDeadline);
    connect(m_keepalive, &core::Ticker::timeout, this, &Connection::onKeepalive);
}

Connection::~Connection()
{
    m_deadline->stop();
    if (m_lookupId != -1)
        QHostInfo::abortHostLookup(m_lookupId);
    QList<QPointer<Channel>> channels;
    for (Channel *channel : std::as_const(m_channels)) {
        channel->forgetHandle();
        channels.append(channel);
    }
    m_channels.clear();
    m_retired.clear();
    teardownSession();
    if (m_key)
        ssh_key_free(m_key);
    // The channels hear about it once this object is gone, so they cannot call back into it.
    const Error error {
        Error::Kind::Dropped, QStringLiteral("connection to %1 closed").arg(endpoint())};
    for (const QPointer<Channel> &channel : std::as_const(channels)) {
        if (channel) {
            QMetaObject::invokeMethod(
                channel,
                [channel, error] {
                    if (channel)
                        channel->abort(error);
                },
                Qt::QueuedConnection);
        }
    }
}

QString Connection::endpoint() const
{
    return QStringLiteral("%1:%2").arg(m_options.host).arg(m_options.port);
}

quint64 Connection::bytesReceived() const
{
    return m_socketCounter->in_bytes;
}

quint64 Connection::bytesSent() const
{
    return m_socketCounter->out_bytes;
}

void Connection::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

void Connection::connectToHost()
{
    if (m_state != State::Idle && m_state != State::Disconnected)
        return;
    m_lastError = {};
    m_fingerprint.clear();
    m_addresses.clear();
    m_addressIndex = 0;
    const int attempt = ++m_attempt;
    setState(State::Resolving);
    m_deadline->startIn(qMax(1, m_options.connectTimeoutMs));
    // Every outcome is reported from the event loop, never from inside this call.
    QTimer::singleShot(0, this, [this, attempt] {
        if (attempt == m_attempt && m_state == State::Resolving)
            resolve();
    });
}

void Connection::resolve()
{
    if (m_options.host.isEmpty()) {
        fail({Error::Kind::NotConfigured, QStringLiteral("no SSH host configured")});
        return;
    }
    if (m_options.knownHostsFile.isEmpty()) {
        fail({Error::Kind::NotConfigured,
            QStringLiteral("no known_hosts file configured for %1").arg(endpoint())});
        return;
    }
    if (m_options.keyFile.isEmpty()) {
        fail({Error::Kind::NotConfigured,
            QStringLiteral("no SSH key file configured for %1").arg(endpoint())});
        return;
    }
    QHostAddress literal;
    if (literal.setAddress(m_options.host)) {
        m_addresses = {literal};
        startAttempt();
        return;
    }
    m_lookupId = QHostInfo::lookupHost(m_options.host, this, &Connection::onResolved);
}

void Connection::onResolved(const QHostInfo &info)
{
    m_lookupId = -1;
    if (m_state != State::Resolving)
        return;
    m_addresses.clear();
    for (const QHostAddress &address : info.addresses()) {
        if (address.protocol() == QAbstractSocket::IPv4Protocol
            || address.protocol() == QAbstractSocket::IPv6Protocol)
            m_addresses.append(address);
    }
    if (info.error() != QHostInfo::NoError || m_addresses.isEmpty()) {
        fail({Error::Kind::Resolve,
            QStringLiteral("cannot resolve host %1: %2")
                .arg(m_options.host,
                    info.error() != QHostInfo::NoError ? info.errorString()
                                                       : QStringLiteral("no address"))});
        return;
    }
    startAttempt();
}

void Connection::startAttempt()
{
    setState(State::Connecting);
    m_address = m_addresses.at(m_addressIndex);
    routeLibsshLog();
    m_session = ssh_new();
    if (!m_session) {
        fail({Error::Kind::Connect,
            QStringLiteral("cannot create an SSH session for %1").arg(endpoint())});
        return;
    }
    *m_socketCounter = {};
    m_lastBytesIn = 0;
    ssh_set_counters(m_session, m_socketCounter.get(), nullptr);

    const QByteArray address = hostOption(m_address.toString());
    const QByteArray knownHosts = QFile::encodeName(m_options.knownHostsFile);
    const QByteArray user = m_options.user.toUtf8();
    int port = m_options.port;
    bool processConfig = false; // never read ~/.ssh/config or /etc/ssh/ssh_config
    int strict = 1; // unknown keys are decided here, not by libssh
    // AES-GCM first: with AES-NI it decrypts several times faster than chacha20-poly1305
    // (libssh's first choice), which counts when a terminal streams output; the rest of libssh's
    // default list follows, so any server still finds a cipher in common.
    static constexpr char Ciphers[] =
        "aes128-gcm@openssh.com,aes256-gcm@openssh.com,"
        "chacha20-poly1305@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr";
    bool ok = ssh_options_set(m_session, SSH_OPTIONS_HOST, address.constData()) == SSH_OK
        && ssh_options_set(m_session, SSH_OPTIONS_PORT, &port) == SSH_OK
        && ssh_options_set(m_session, SSH_OPTIONS_PROCESS_CONFIG, &processConfig) == SSH_OK
        // Both lookups go to the configured file, so /etc/ssh/ssh_known_hosts never counts.
        && ssh_options_set(m_session, SSH_OPTIONS_KNOWNHOSTS, knownHosts.constData()) == SSH_OK
        && ssh_options_set(m_session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, knownHosts.constData())
            == SSH_OK
        && ssh_options_set(m_session, SSH_OPTIONS_STRICTHOSTKEYCHECK, &strict) == SSH_OK
        && ssh_options_set(m_session, SSH_OPTIONS_CIPHERS_C_S, Ciphers) == SSH_OK
        && ssh_options_set(m_session, SSH_OPTIONS_CIPHERS_S_C, Ciphers) == SSH_OK;
    if (ok && !user.isEmpty())
        ok = ssh_options_set(m_session, SSH_OPTIONS_USER, user.constData()) == SSH_OK;
    if (!ok) {
        fail({Error::Kind::Connect,
            QStringLiteral("invalid SSH options for %1: %2").arg(endpoint(), libsshError())});
        return;
    }
    ssh_set_blocking(m_session, 0);

    qCDebug(lcSsh).noquote() << "connecting to" << endpoint() << "at" << m_address.toString();
    // The first call starts a non-blocking TCP connect to the address (a numeric host: no DNS).
    const int rc = ssh_connect(m_session);
    if (ssh_get_fd(m_session) >= 0 && !m_event) {
        m_event = ssh_event_new();
        if (!m_event || ssh_event_add_session(m_event, m_session) != SSH_OK) {
            fail({Error::Kind::Connect,
                QStringLiteral("cannot set up polling for %1").arg(endpoint())});
            return;
        }
    }
    // From now on libssh knows the host by its configured name: known_hosts lookups (and the host
    // key algorithm preference of the key exchange, which happens later) use "[name]:port".
    const QByteArray name = hostOption(m_options.host);
    if (name != address && ssh_options_set(m_session, SSH_OPTIONS_HOST, name.constData()) != SSH_OK)
        qCWarning(lcSsh).noquote() << "cannot use" << m_options.host
                                   << "for known_hosts lookups; using" << m_address.toString();
    stepConnect(rc);
}

void Connection::process()
{
    if (!m_session) {
        if (m_state == State::Disconnected && !m_channels.isEmpty())
            abortChannels(m_lastError);
        return;
    }
    switch (m_state) {
    case State::Connecting:
        stepConnect(ssh_connect(m_session));
        break;
    case State::Authenticating:
        stepAuth();
        break;
    case State::Connected:
        serviceChannels();
        break;
    default:
        break;
    }
}

void Connection::stepConnect(int rc)
{
    updateNotifiers();
    if (rc == SSH_AGAIN)
        return;
    if (rc != SSH_OK) {
        const QString reason = libsshError();
        const bool reachedServer = ssh_get_serverbanner(m_session) != nullptr;
        teardownSession();
        if (!reachedServer && m_addressIndex + 1 < m_addresses.size()) {
            qCDebug(lcSsh).noquote() << "cannot connect to" << m_address.toString() << reason
                                     << "- trying the next address of" << m_options.host;
            ++m_addressIndex;
            startAttempt();
            return;
        }
        fail({Error::Kind::Connect,
            QStringLiteral("cannot connect to %1: %2").arg(endpoint(), reason)});
        return;
    }
    if (!checkHostKey())
        return;
    startAuth();
}

bool Connection::checkHostKey()
{
    ssh_key serverKey = nullptr;
    if (ssh_get_server_publickey(m_session, &serverKey) != SSH_OK || !serverKey) {
        fail({Error::Kind::HostKey,
            QStringLiteral("cannot read the host key of %1: %2").arg(endpoint(), libsshError())});
        return false;
    }
    unsigned char *hash = nullptr;
    size_t hashLength = 0;
    if (ssh_get_publickey_hash(serverKey, SSH_PUBLICKEY_HASH_SHA256, &hash, &hashLength)
        == SSH_OK) {
        m_fingerprint = QStringLiteral("SHA256:")
            + QString::fromLatin1(
                QByteArray(reinterpret_cast<const char *>(hash), qsizetype(hashLength))
                    .toBase64(QByteArray::OmitTrailingEquals));
        ssh_clean_pubkey_hash(&hash);
    }
    const QString keyType = QString::fromLatin1(ssh_key_type_to_char(ssh_key_type(serverKey)));
    ssh_key_free(serverKey);
    const QString presented = keyType + QLatin1Char(' ') + m_fingerprint;
    const QString &file = m_options.knownHostsFile;

    switch (ssh_session_is_known_server(m_session)) {
    case SSH_KNOWN_HOSTS_OK:
        return true;
    case SSH_KNOWN_HOSTS_CHANGED:
        fail({Error::Kind::HostKey,
            QStringLiteral("host key of %1 has CHANGED: the server presents %2, which does not "
                           "match %3; refusing to connect (if the change is expected, remove the "
                           "old entry from that file)")
                .arg(endpoint(), presented, file)});
        return false;
    case SSH_KNOWN_HOSTS_OTHER:
        fail({Error::Kind::HostKey,
            QStringLiteral("host key of %1 is of another type than the one in %2 (the server "
                           "presents %3); refusing to connect")
                .arg(endpoint(), file, presented)});
        return false;
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
        if (m_options.strictHostKeys) {
            fail({Error::Kind::HostKey,
                QStringLiteral("host key of %1 is not known (the server presents %2); add it to "
                               "%3 (e.g. ssh-keyscan -p %4 %5) or allow trust on first use")
                    .arg(endpoint(), presented, file)
                    .arg(m_options.port)
                    .arg(m_options.host)});
            return false;
        }
        if (ssh_session_update_known_hosts(m_session) != SSH_OK) {
            fail({Error::Kind::HostKey,
                QStringLiteral("cannot record the host key of %1 in %2: %3")
                    .arg(endpoint(), file, libsshError())});
            return false;
        }
        qCInfo(lcSsh).noquote() << "trusted the host key of" << endpoint()
                                << "on first use:" << presented << "recorded in" << file;
        return true;
    case SSH_KNOWN_HOSTS_ERROR:
        break;
    }
    fail({Error::Kind::HostKey,
        QStringLiteral("cannot check the host key of %1 against %2: %3")
            .arg(endpoint(), file, libsshError())});
    return false;
}

void Connection::startAuth()
{
    setState(State::Authenticating);
    m_deadline->startIn(qMax(1, m_options.authTimeoutMs));
    if (!m_key) {
        ssh_key key = nullptr;
        const QByteArray path = QFile::encodeName(m_options.keyFile);
        if (ssh_pki_import_privkey_file(path.constData(), nullptr, refusePassphrase, nullptr, &key)
                != SSH_OK
            || !key) {
            const QFileInfo info(m_options.keyFile);
            const QString reason = !info.exists() ? QStringLiteral("no such file")
                : !info.isReadable()              ? QStringLiteral("not readable")
                                     : QStringLiteral("not an unencrypted private key");
            fail({Error::Kind::Auth,
                QStringLiteral("cannot load the SSH key %1: %2").arg(m_options.keyFile, reason)});
            return;
        }
        m_key = key;
    }
    stepAuth();
}

void Connection::stepAuth()
{
    const int rc = ssh_userauth_publickey(m_session, nullptr, m_key);
    updateNotifiers();
    const QString who = QStringLiteral("%1@%2").arg(
        m_options.user.isEmpty() ? QStringLiteral("(local user)") : m_options.user, endpoint());
    switch (rc) {
    case SSH_AUTH_AGAIN:
        return;
    case SSH_AUTH_SUCCESS:
        becomeConnected();
        return;
    case SSH_AUTH_DENIED:
        fail({Error::Kind::Auth,
            QStringLiteral("%1 refused the key %2").arg(who, m_options.keyFile)});
        return;
    case SSH_AUTH_PARTIAL:
        fail({Error::Kind::Auth,
            QStringLiteral("%1 accepted the key %2 but wants another "
                           "authentication method too")
                .arg(who, m_options.keyFile)});
        return;
    default:
        fail({Error::Kind::Auth,
            QStringLiteral("authentication as %1 failed: %2").arg(who, libsshError())});
        return;
    }
}

void Connection::becomeConnected()
{
    m_deadline->stop();
    m_lastReceiveMs = m_options.clock->monotonicMs();
    m_lastBytesIn = m_socketCounter->in_bytes;
    if (m_options.keepaliveMs > 0)
        m_keepalive->startIn(m_options.keepaliveMs);
    qCInfo(lcSsh).noquote() << "connected to" << endpoint() << "as"
                            << (m_options.user.isEmpty() ? QStringLiteral("the local user")
                                                         : m_options.user)
                            << "host key" << m_fingerprint;
    QPointer<Connection> guard(this);
    setState(State::Connected);
    if (!guard || m_state != State::Connected)
        return;
    Q_EMIT connected();
    if (guard)
        schedulePump(); // channels opened while connecting
}

void Connection::serviceChannels()
{
    QPointer<Connection> guard(this);
    ++m_pumps;
    for (int i = 0; i < MaxPollsPerPump; ++i) {
        if (ssh_event_dopoll(m_event, 0) != SSH_OK)
            break;
    }
    if (!sessionAlive()) {
        drop({Error::Kind::Dropped,
            QStringLiteral("connection to %1 lost: %2").arg(endpoint(), libsshError())});
        return;
    }
    serviceRetired();
    if (m_keepaliveDue) {
        m_keepaliveDue = false;
        // libssh 0.10 keeps one keepalive request outstanding: a call while the previous one is
        // answered only collects the answer, so the second call sends the next one. While the
        // previous one is still unanswered both calls just poll, and the silence counts.
        ssh_send_keepalive(m_session);
        ssh_send_keepalive(m_session);
        ++m_keepalivesSent;
    }

    // A channel's read (ssh_channel_poll) reads the socket when its own buffer is empty, and the
    // packets it pulls in may be for a channel served earlier in this pass: they then wait in
    // libssh's buffers, where no socket notifier sees them, until other traffic arrives (up to a
    // keepalive interval later). So a pass that read anything from the socket is followed by
    // another one.
    const auto bytesInBefore = m_socketCounter->in_bytes;
    bool more = false;
    QList<QPointer<Channel>> channels;
    channels.reserve(m_channels.size());
    for (Channel *channel : std::as_const(m_channels))
        channels.append(channel);
    for (const QPointer<Channel> &channel : std::as_const(channels)) {
        if (!channel || !m_channels.contains(channel.data()))
            continue;
        more |= channel->service();
        if (!guard || m_state != State::Connected)
            return;
        if (!sessionAlive()) {
            drop({Error::Kind::Dropped,
                QStringLiteral("connection to %1 lost: %2").arg(endpoint(), libsshError())});
            return;
        }
    }
    updateNotifiers();
    if (more || m_socketCounter->in_bytes != bytesInBefore)
        schedulePump();
}

void Connection::serviceRetired()
{
    for (qsizetype i = 0; i < m_retired.size();) {
        ssh_channel channel = m_retired.at(i);
        if (ssh_channel_open_session(channel) == SSH_AGAIN) {
            ++i;
            continue;
        }
        ssh_channel_free(channel); // sends CLOSE if it did open; freed when the server answers
        m_retired.removeAt(i);
    }
}

void Connection::onDeadline()
{
    switch (m_state) {
    case State::Resolving:
    case State::Connecting:
        fail({Error::Kind::Timeout,
            QStringLiteral("connecting to %1 timed out after %2 ms")
                .arg(endpoint())
                .arg(m_options.connectTimeoutMs)});
        break;
    case State::Authenticating:
        fail({Error::Kind::Timeout,
            QStringLiteral("authentication on %1 timed out after %2 ms")
                .arg(endpoint())
                .arg(m_options.authTimeoutMs)});
        break;
    default:
        break;
    }
}

void Connection::onKeepalive()
{
    if (m_state != State::Connected)
        return;
    const qint64 now = m_options.clock->monotonicMs();
    if (m_socketCounter->in_bytes != m_lastBytesIn) {
        m_lastBytesIn = m_socketCounter->in_bytes;
        m_lastReceiveMs = now;
    }
    if (now - m_lastReceiveMs >= 3 * qint64(m_options.keepaliveMs)) {
        drop({Error::Kind::Dropped,
            QStringLiteral("connection to %1 lost: no answer for %2 ms")
                .arg(endpoint())
                .arg(now - m_lastReceiveMs)});
        return;
    }
    m_keepaliveDue = true; // sent by the pump, the one place that writes to the session
    schedulePump();
}

void Connection::fail(const Error &error)
{
    m_lastError = error;
    m_deadline->stop();
    if (m_lookupId != -1) {
        QHostInfo::abortHostLookup(m_lookupId);
        m_lookupId = -1;
    }
    for (Channel *channel : std::as_const(m_channels))
        channel->forgetHandle();
    m_retired.clear();
    teardownSession();
    qCWarning(lcSsh).noquote() << error.message;
    QPointer<Connection> guard(this);
    setState(State::Disconnected);
    if (!guard)
        return;
    abortChannels(error); // channels opened while connecting
    if (guard)
        Q_EMIT errorOccurred(error);
}

void Connection::drop(const Error &reason)
{
    if (m_state != State::Connected)
        return;
    m_lastError = reason;
    for (Channel *channel : std::as_const(m_channels))
        channel->forgetHandle();
    m_retired.clear(); // freed with the session
    teardownSession();
    qCWarning(lcSsh).noquote() << reason.message;
    QPointer<Connection> guard(this);
    setState(State::Disconnected);
    if (!guard)
        return;
    abortChannels(reason);
    if (guard)
        Q_EMIT disconnected(reason);
}

void Connection::disconnectFromHost()
{
    switch (m_state) {
    case State::Resolving:
    case State::Connecting:
    case State::Authenticating:
        fail({Error::Kind::Connect,
            QStringLiteral("connection attempt to %1 cancelled").arg(endpoint())});
        break;
    case State::Connected:
        drop({Error::Kind::Dropped, QStringLiteral("connection to %1 closed").arg(endpoint())});
        break;
    default:
        break;
    }
}

void Connection::abortChannels(const Error &error)
{
    QList<QPointer<Channel>> channels;
    for (Channel *channel : std::as_const(m_channels)) {
        channel->forgetHandle();
        channels.append(channel);
    }
    m_channels.clear();
    QPointer<Connection> guard(this);
    for (const QPointer<Channel> &channel : std::as_const(channels)) {
        if (channel)
            channel->abort(error);
        if (!guard)
            return;
    }
}

void Connection::teardownSession()
{
    m_keepalive->stop();
    delete m_readNotifier;
    m_readNotifier = nullptr;
    delete m_writeNotifier;
    m_writeNotifier = nullptr;
    m_fd = -1;
    if (m_session) {
        if (m_event)
            ssh_event_remove_session(m_event, m_session);
        // ssh_disconnect() sends SSH_MSG_DISCONNECT (without waiting) and frees the channels.
        if (m_state == State::Connected)
            ssh_disconnect(m_session);
        ssh_free(m_session);
        m_session = nullptr;
    }
    if (m_event) {
        ssh_event_free(m_event);
        m_event = nullptr;
    }
}

void Connection::updateNotifiers()
{
    const int fd = m_session ? ssh_get_fd(m_session) : -1;
    if (fd != m_fd) {
        delete m_readNotifier;
        m_readNotifier = nullptr;
        delete m_writeNotifier;
        m_writeNotifier = nullptr;
        m_fd = fd;
        if (fd >= 0) {
            m_readNotifier = new QSocketNotifier(fd, QSocketNotifier::Read, this);
            connect(m_readNotifier, &QSocketNotifier::activated, this, &Connection::process);
            m_writeNotifier = new QSocketNotifier(fd, QSocketNotifier::Write, this);
            m_writeNotifier->setEnabled(false);
            connect(m_writeNotifier, &QSocketNotifier::activated, this, &Connection::process);
            enableTcpKeepalive(fd, m_options.keepaliveMs);
        }
    }
    if (fd < 0)
        return;
    if (m_state == State::Connecting)
        makeNonBlocking(fd);
    // Only while libssh waits for POLLOUT; a write notifier left on would fire without end.
    m_writeNotifier->setEnabled((ssh_get_poll_flags(m_session) & SSH_WRITE_PENDING) != 0);
}

void Connection::schedulePump()
{
    m_pumpRequested = true;
    if (!m_pump->isActive())
        m_pump->start();
}

QString Connection::negotiated(const char *(*get)(ssh_session_struct *)) const
{
    const char *name = m_session && m_state == State::Connected ? get(m_session) : nullptr;
    return name ? QString::fromLatin1(name) : QString();
}

QString Connection::cipherIn() const
{
    return negotiated(ssh_get_cipher_in);
}

QString Connection::cipherOut() const
{
    return negotiated(ssh_get_cipher_out);
}

QString Connection::macOut() const
{
    return negotiated(ssh_get_hmac_out);
}

QString Connection::keyExchange() const
{
    return negotiated(ssh_get_kex_algo);
}

bool Connection::sessionAlive() const
{
    return m_session && ssh_is_connected(m_session)
        && !(ssh_get_status(m_session) & (SSH_CLOSED | SSH_CLOSED_ERROR));
}

QString Connection::libsshError() const
{
    if (!m_session)
        return QString();
    const QString error = QString::fromUtf8(ssh_get_error(m_session));
    return error.isEmpty() ? QStringLiteral("unknown error") : error;
}

void Connection::attach(Channel *channel)
{
    m_channels.append(channel);
    schedulePump();
}

void Connection::detach(Channel *channel)
{
    m_channels.removeAll(channel);
}

void Connection::retire(ssh_channel_struct *channel, bool opening)
{
    if (!m_session)
        return;
    if (opening) {
        m_retired.append(channel); // closed once the server answers the open
        schedulePump();
        return;
    }
    ssh_channel_free(channel); // sends CLOSE; libssh frees it when the server's CLOSE arrives
    afterChannelCall();
}

void Connection::afterChannelCall()
{
    // libssh may have read packets while sending; they wait in its buffers, not in the socket.
    updateNotifiers();
    schedulePump();
}

ShellChannel *Connection::openShell(const ShellOptions &options, QObject *parent)
{
    return new ShellChannel(this, options, parent);
}

ExecChannel *Connection::openExec(
    const QString &command, const ExecOptions &options, QObject *parent)
{
    return new ExecChannel(this, command, options, parent);
}

void Connection::exec(
    const QString &command, const ExecOptions &options, const QObject *context, ExecCallback done)
{
    // Not parented to the connection: a channel always finishes (result, error, timeout, or the
    // connection going away), and then it deletes itself.
    auto *channel = new ExecChannel(this, command, options);
    QPointer<const QObject> guard(context);
    const bool hasContext = context != nullptr;
    connect(channel, &ExecChannel::finished, channel,
        [channel, guard, hasContext, done = std::move(done)](const Result<ExecResult> &result) {
            channel->deleteLater();
            if (!hasContext || guard)
                done(result);
        });
}

} // namespace jarvis::ssh
