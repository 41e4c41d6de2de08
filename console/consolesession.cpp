#include "consolesession.h"

#include "client/socketioclient.h"
#include "consolestorage.h"
#include "core/clock.h"
#include "login.h"
#include "model/clusterdata.h"
#include "models/historyseries.h"
#include "models/nodelistmodel.h"
#include "secretstore.h"
#include "terminal/terminalsession.h"
#include "tlstrust.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

#include <cmath>
#include <limits>
#include <utility>

namespace jarvis::console {

namespace {

constexpr qint64 StaleAfterMs = 30000; // without nodes or vms (the dashboard's rule)
constexpr qint64 StorageStaleAfterMs = 60000; // without storage

const QString ExpiredNotice = QStringLiteral("Your session has expired. Log in again.");
const QString InvalidNotice = QStringLiteral(
    "Your session is no longer valid (the server may have restarted). Log in again.");

QJsonObject bodyOf(QNetworkReply *reply)
{
    const QJsonDocument doc = QJsonDocument::fromJson(reply->readAll());
    return doc.isObject() ? doc.object() : QJsonObject();
}

int statusOf(QNetworkReply *reply)
{
    return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
}

QString capitalised(QString s)
{
    if (!s.isEmpty())
        s[0] = s[0].toUpper();
    return s;
}

const char *const Verbs[][2] = {{"start", "Starting…"}, {"shutdown", "Shutting down…"},
    {"stop", "Stopping…"}, {"restart", "Restarting…"}};

QString verbing(const QString &action)
{
    for (const auto &v : Verbs) {
        if (action == QLatin1String(v[0]))
            return QString::fromUtf8(v[1]);
    }
    return QStringLiteral("Working…");
}

} // namespace

ConsoleSession::ConsoleSession(SecretStore *store, QObject *parent)
    : ConsoleSession(store, nullptr, parent)
{ }

ConsoleSession::ConsoleSession(SecretStore *store, core::Clock *clock, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_nam(new QNetworkAccessManager(this))
    , m_clock(core::Clock::orSystem(clock))
    , m_ticker(m_clock->createTicker(this))
{
    m_ticker->setInterval(1000);
    connect(m_ticker, &core::Ticker::timeout, this, &ConsoleSession::liveChanged);
    checkKeychain();
}

void ConsoleSession::setNodeModel(const NodeListModel *nodes)
{
    if (m_nodes)
        disconnect(m_nodes.data(), nullptr, this, nullptr);
    m_nodes = nodes;
    if (nodes) {
        // Names come and go with rows; whether a terminal may be opened also with a node's
        // status and protection.
        auto rowsChanged = [this] {
            Q_EMIT nodeNamesChanged();
            Q_EMIT terminalNodesChanged();
        };
        connect(nodes, &QAbstractItemModel::rowsInserted, this, rowsChanged);
        connect(nodes, &QAbstractItemModel::rowsRemoved, this, rowsChanged);
        connect(nodes, &QAbstractItemModel::modelReset, this, rowsChanged);
        connect(nodes, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex &, const QModelIndex &, const QList<int> &roles) {
                if (roles.isEmpty() || roles.contains(NodeListModel::OnlineRole)
                    || roles.contains(NodeListModel::IsProtectedRole))
                    Q_EMIT terminalNodesChanged();
            });
    }
    Q_EMIT nodeNamesChanged();
    Q_EMIT terminalNodesChanged();
}

QStringList ConsoleSession::nodeNames() const
{
    QStringList names;
    for (int row = 0; m_nodes && row < m_nodes->rowCount(); ++row)
        names.append(m_nodes->data(m_nodes->index(row), NodeListModel::NameRole).toString());
    names.sort();
    return names;
}

QStringList ConsoleSession::terminalNodes() const
{
    QStringList names;
    for (int row = 0; m_nodes && row < m_nodes->rowCount(); ++row) {
        const QModelIndex index = m_nodes->index(row);
        if (m_nodes->data(index, NodeListModel::OnlineRole).toBool()
            && !m_nodes->data(index, NodeListModel::IsProtectedRole).toBool())
            names.append(m_nodes->data(index, NodeListModel::NameRole).toString());
    }
    names.sort();
    return names;
}

bool ConsoleSession::isConnected() const
{
    return m_cluster && m_cluster->isConnected();
}

ConsoleSession::~ConsoleSession()
{
    stopLive();
}

void ConsoleSession::setReconnectDelays(int initialMs, int maxMs)
{
    m_reconnectInitial = initialMs;
    m_reconnectMax = maxMs;
}

QUrl ConsoleSession::normaliseServer(const QString &text)
{
    return storage::normaliseServer(text);
}

QString ConsoleSession::toolFor(const QString &action, const QString &guestType)
{
    return action
        + (guestType == QLatin1String("lxc") ? QLatin1String("_container") : QLatin1String("_vm"));
}

QString ConsoleSession::actionFailureText(
    const QString &label, int httpStatus, const QJsonObject &body, const QString &networkError)
{
    const QString error = body.value(QLatin1String("error")).toString();
    QString why;
    switch (httpStatus) {
    case 0:
        why = QStringLiteral("the server could not be reached (%1)").arg(networkError);
        break;
    case 400:
        why = QStringLiteral("the server refused the request: %1").arg(error);
        break;
    case 403:
        why = QStringLiteral("refused by the safety policy: %1").arg(error);
        break;
    case 404:
        why = QStringLiteral("the server does not know this action: %1").arg(error);
        break;
    case 502:
        why = QStringLiteral("Proxmox reported an error: %1").arg(error);
        break;
    default:
        why = error.isEmpty() ? QStringLiteral("HTTP %1").arg(httpStatus)
                              : QStringLiteral("%1 (HTTP %2)").arg(error).arg(httpStatus);
    }
    return QStringLiteral("%1 failed: %2").arg(label, why);
}

QString ConsoleSession::secretKey(const QUrl &server) const
{
    return storage::tokenKey(server);
}

void ConsoleSession::checkKeychain()
{
    // A read tells whether a keychain runs at all (NotFound is fine).
    m_store->read(QStringLiteral("probe"), this, [this](const SecretStore::Result &r) {
        const bool available = r.status != SecretStore::Status::NoKeychain;
        const QString message = available
            ? QString()
            : QStringLiteral("No keychain is running (%1): Remember me "
                             "is off, the session is not stored.")
                  .arg(r.message);
        if (available == m_keychainAvailable && message == m_keychainMessage)
            return;
        m_keychainAvailable = available;
        m_keychainMessage = message;
        Q_EMIT keychainChanged();
    });
}

void ConsoleSession::setState(const QString &state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged();
}

void ConsoleSession::setError(const QString &message)
{
    if (m_error == message)
        return;
    m_error = message;
    Q_EMIT errorTextChanged();
}

QNetworkRequest ConsoleSession::request(const QString &path) const
{
    QUrl url = m_server;
    url.setPath(path);
    QNetworkRequest req(url);
    req.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    req.setTransferTimeout(m_requestTimeout);
    if (!m_token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    return req;
}

void ConsoleSession::login(const QString &server, const QString &password, bool remember)
{
    const QUrl url = normaliseServer(server);
    if (!url.isValid() || url.isEmpty()) {
        setError(QStringLiteral("The server address is not valid: give http://host:port or "
                                "https://host:port"));
        Q_EMIT loginFailed(m_error);
        return;
    }
    if (password.isEmpty()) {
        setError(QStringLiteral("Enter the password"));
        Q_EMIT loginFailed(m_error);
        return;
    }
    stopLive();
    abortLogin();
    if (m_server != url) {
        m_server = url;
        Q_EMIT serverUrlChanged();
    }
    m_token.clear();
    m_pendingPassword.clear();
    setError({});
    setState(QStringLiteral("loggingIn"));
    if (!m_trust || url.scheme() != QLatin1String("https")) {
        postLogin(password, remember);
        return;
    }
    // The password goes only to a server whose certificate is trusted or pinned.
    m_trust->probe(url, this, [this, url, password, remember](const TlsTrust::Probe &probe) {
        if (m_server != url || m_state != QLatin1String("loggingIn"))
            return; // another login by now
        if (probe.trusted()) {
            postLogin(password, remember);
        } else if (probe.verdict == TlsTrust::Verdict::FirstUse) {
            m_tlsServer = probe.server;
            m_tlsFingerprint = probe.fingerprint;
            m_pendingPassword = password;
            m_pendingRemember = remember;
            setState(QStringLiteral("confirmTls"));
        } else {
            setState(QStringLiteral("connect"));
            setError(probe.message());
            Q_EMIT loginFailed(m_error);
        }
    });
}

void ConsoleSession::confirmTls(bool trusted)
{
    if (m_state != QLatin1String("confirmTls"))
        return;
    const QString password = std::exchange(m_pendingPassword, QString());
    if (!trusted) {
        setState(QStringLiteral("connect"));
        setError(QStringLiteral("Not connected: the certificate of %1 was not trusted.")
                     .arg(m_tlsServer));
        return;
    }
    QString error;
    if (!m_trust->setPin(m_server, m_tlsFingerprint, &error)) {
        setState(QStringLiteral("connect"));
        setError(QStringLiteral("The certificate could not be pinned: %1").arg(error));
        Q_EMIT loginFailed(m_error);
        return;
    }
    setState(QStringLiteral("loggingIn"));
    postLogin(password, m_pendingRemember);
}

void ConsoleSession::setTlsTrust(TlsTrust *trust)
{
    m_trust = trust;
    if (m_trust)
        m_trust->applyTo(m_nam);
}

void ConsoleSession::prepareTerminal(QObject *terminalSession)
{
    auto *terminal = qobject_cast<TerminalSession *>(terminalSession);
    if (!terminal || !m_trust)
        return;
    QPointer<TlsTrust> trust = m_trust;
    terminal->setClientSetup([trust, this](client::SocketIoClient *c) {
        if (trust)
            trust->applyTo(c, m_server);
    });
}

void ConsoleSession::postLogin(const QString &password, bool remember)
{
    QNetworkReply *reply = console::postLogin(m_nam, m_server, password, {}, m_requestTimeout);
    m_loginReply = reply;
    connect(reply, &QNetworkReply::finished, this, [this, reply, remember] {
        reply->deleteLater();
        if (reply != m_loginReply)
            return; // replaced
        const LoginAnswer answer = readLoginAnswer(reply);
        if (!answer.ok()) {
            const QString failure = answer.status == 0
                ? QStringLiteral("Cannot connect to %1: %2")
                      .arg(m_server.toString(), reply->errorString())
                : capitalised(answer.failure);
            setState(QStringLiteral("connect"));
            setError(failure);
            Q_EMIT loginFailed(failure);
            return;
        }
        m_token = answer.token;
        const QString key = secretKey(m_server);
        if (remember && m_keychainAvailable) {
            m_store->write(key, m_token, this, [this](const SecretStore::Result &r) {
                if (r.status == SecretStore::Status::NoKeychain) {
                    m_keychainAvailable = false;
                    m_keychainMessage = QStringLiteral("No keychain is running (%1): the session "
                                                       "was not remembered.")
                                            .arg(r.message);
                    Q_EMIT keychainChanged();
                } else if (!r.ok()) {
                    m_keychainMessage =
                        QStringLiteral("The session was not remembered: %1").arg(r.message);
                    Q_EMIT keychainChanged();
                }
            });
        } else if (m_keychainAvailable) {
            m_store->remove(key, this, [](const SecretStore::Result &) {});
        }
        startLive();
    });
}

void ConsoleSession::resume(const QString &server)
{
    const QUrl url = normaliseServer(server);
    if (url.isEmpty() || !m_keychainAvailable)
        return;
    m_store->read(secretKey(url), this, [this, url](const SecretStore::Result &r) {
        if (!r.ok() || m_state != QLatin1String("connect"))
            return;
        m_server = url;
        Q_EMIT serverUrlChanged();
        m_token = r.secret;
        setState(QStringLiteral("loggingIn"));
        QNetworkReply *reply = m_nam->get(request(QStringLiteral("/api/auth/session")));
        m_loginReply = reply;
        connect(reply, &QNetworkReply::finished, this, [this, reply] {
            reply->deleteLater();
            if (reply != m_loginReply)
                return;
            const int status = statusOf(reply);
            if (status == 200) {
                startLive();
                return;
            }
            m_token.clear();
            setState(QStringLiteral("connect"));
            if (status == 401) {
                m_store->remove(secretKey(m_server), this, [](const SecretStore::Result &) {});
                const QString reason = bodyOf(reply).value(QLatin1String("reason")).toString();
                setError(reason == QLatin1String("expired") ? ExpiredNotice : InvalidNotice);
            } else {
                setError(QStringLiteral("Cannot connect to %1: %2")
                             .arg(m_server.toString(), reply->errorString()));
            }
        });
    });
}

// A login or session check in flight is dropped (its finished() is then ignored), and the
// password kept for a certificate confirmation is forgotten.
void ConsoleSession::abortLogin()
{
    m_pendingPassword.clear();
    if (QNetworkReply *previous = m_loginReply.data()) {
        m_loginReply = nullptr;
        previous->abort();
    }
}

void ConsoleSession::logout()
{
    if (!m_server.isEmpty() && m_keychainAvailable)
        m_store->remove(secretKey(m_server), this, [](const SecretStore::Result &) {});
    abortLogin();
    stopLive();
    m_token.clear();
    setError({});
    setState(QStringLiteral("connect"));
}

void ConsoleSession::sessionEnded(const QString &message)
{
    if (m_state == QLatin1String("connect"))
        return;
    if (m_keychainAvailable)
        m_store->remove(secretKey(m_server), this, [](const SecretStore::Result &) {});
    abortLogin();
    stopLive();
    m_token.clear();
    setState(QStringLiteral("connect"));
    setError(message);
    Q_EMIT loginFailed(message);
}

void ConsoleSession::startLive()
{
    stopLive();
    const QJsonObject auth {{QStringLiteral("token"), m_token}};
    m_cluster = new client::SocketIoClient(this);
    m_events = new client::SocketIoClient(this);
    for (client::SocketIoClient *c : {m_cluster, m_events}) {
        c->setReconnectDelays(m_reconnectInitial, m_reconnectMax);
        c->setConnectTimeout(m_requestTimeout);
        if (m_trust)
            m_trust->applyTo(c, m_server);
        connect(
            c, &client::SocketIoClient::connectError, this, &ConsoleSession::onSocketConnectError);
    }
    // connected, live and reconnecting change at once, not at the next tick.
    connect(m_cluster, &client::SocketIoClient::connected, this, [this] {
        if (!setReconnecting(false))
            Q_EMIT liveChanged();
    });
    connect(m_cluster, &client::SocketIoClient::disconnected, this, [this](const QString &reason) {
        if (reason == QLatin1String("io server disconnect")) {
            // The server ended the namespace (e.g. it shut down cleanly): try again, like the
            // dashboard does.
            m_cluster->connectToServer(
                m_server, QStringLiteral("/cluster"), {{QStringLiteral("token"), m_token}});
        }
        if (!setReconnecting(true, QStringLiteral("Reconnecting… (%1)").arg(reason)))
            Q_EMIT liveChanged();
    });
    connect(m_cluster, &client::SocketIoClient::reconnecting, this, [this](int attempt, int delay) {
        setReconnecting(true,
            QStringLiteral("Reconnecting… attempt %1 in %2 s")
                .arg(attempt)
                .arg(QString::number(delay / 1000.0, 'f', 1)));
    });
    connect(m_events, &client::SocketIoClient::disconnected, this, [this](const QString &reason) {
        if (reason == QLatin1String("io server disconnect"))
            m_events->connectToServer(
                m_server, QStringLiteral("/events"), {{QStringLiteral("token"), m_token}});
    });

    auto arrayHandler = [this](int seen, void (ConsoleSession::*signal)(const QJsonArray &)) {
        return [this, seen, signal](const QJsonArray &args, const QList<QByteArray> &,
                   const client::AckResponder &) {
            if (!args.at(0).isArray())
                return; // not a snapshot: nothing on screen is replaced by an empty list
            const QJsonArray list = args.at(0).toArray();
            Q_EMIT(this->*signal)(list);
            markUpdate(seen);
        };
    };
    m_cluster->on(
        QStringLiteral("nodes"), this, arrayHandler(Nodes, &ConsoleSession::nodesReceived));
    m_cluster->on(QStringLiteral("vms"), this, arrayHandler(Vms, &ConsoleSession::vmsReceived));
    m_cluster->onRaw(QStringLiteral("vms"), this, [this](QByteArrayView args) {
        if (!m_vmsText || !m_vmsText(args))
            return false; // decoded and handed to vmsReceived() instead
        markUpdate(Vms);
        return true;
    });
    m_cluster->on(
        QStringLiteral("storage"), this, arrayHandler(Storage, &ConsoleSession::storageReceived));
    m_cluster->on(QStringLiteral("temperature"), this,
        arrayHandler(0, &ConsoleSession::temperaturesReceived));
    m_cluster->on(QStringLiteral("history"), this,
        [this](const QJsonArray &args, const QList<QByteArray> &, const client::AckResponder &) {
            if (args.at(0).isObject())
                Q_EMIT historyReceived(args.at(0)); // not an object: nothing to seed
        });
    m_cluster->on(QStringLiteral("quorum"), this,
        [this](const QJsonArray &args, const QList<QByteArray> &, const client::AckResponder &) {
            const std::optional<model::QuorumData> quorum =
                model::quorumFromJson(args.at(0).toObject());
            if (!quorum)
                return; // not a QuorumData: the last good one stays
            m_quorum = model::toJson(*quorum).toVariantMap();
            Q_EMIT quorumChanged();
        });
    auto eventHandler = [this](const QJsonArray &args, const QList<QByteArray> &,
                            const client::AckResponder &) {
        if (args.at(0).isObject())
            onEvent(args.at(0).toObject());
    };
    m_events->on(QStringLiteral("event"), this, eventHandler);
    m_events->on(QStringLiteral("alert"), this, eventHandler);

    m_cluster->connectToServer(m_server, QStringLiteral("/cluster"), auth);
    m_events->connectToServer(m_server, QStringLiteral("/events"), auth);
    m_ticker->start();
    setState(QStringLiteral("connected"));
    Q_EMIT loggedIn();
}

void ConsoleSession::stopLive()
{
    for (client::SocketIoClient *c : {m_cluster, m_events}) {
        if (c) {
            c->disconnect(this);
            c->disconnectFromServer();
            c->deleteLater();
        }
    }
    m_cluster = nullptr;
    m_events = nullptr;
    // Actions of this session end with it: their answers must not touch the next one (a resumed
    // session has the same token).
    for (const QPointer<QNetworkReply> &reply : std::exchange(m_actionReplies, {})) {
        if (reply) {
            reply->disconnect(this);
            reply->abort();
            reply->deleteLater();
        }
    }
    m_ticker->stop();
    const bool had = m_seen != 0;
    m_seen = 0;
    m_reconnecting = false;
    m_reconnectText.clear();
    m_failingPolls.clear();
    m_lastUpdate = -1;
    m_lastStorage = -1;
    m_quorum.clear();
    m_pending.clear();
    Q_EMIT quorumChanged();
    Q_EMIT pendingChanged();
    Q_EMIT liveChanged();
    if (had)
        Q_EMIT snapshotChanged();
}

void ConsoleSession::onSocketConnectError(const QString &message, const QJsonValue &data)
{
    if (message == QLatin1String("unauthorized")) {
        const QString reason = data.toObject().value(QLatin1String("reason")).toString();
        sessionEnded(reason == QLatin1String("expired") ? ExpiredNotice : InvalidNotice);
        return;
    }
    if (sender() == m_cluster)
        setReconnecting(true, QStringLiteral("Reconnecting… (%1)").arg(message));
}

bool ConsoleSession::setReconnecting(bool on, const QString &text)
{
    const QString t = on ? (text.isEmpty() ? QStringLiteral("Reconnecting…") : text) : QString();
    if (m_reconnecting == on && m_reconnectText == t)
        return false;
    m_reconnecting = on;
    m_reconnectText = t;
    Q_EMIT liveChanged();
    return true;
}

qint64 ConsoleSession::sinceMs(qint64 then) const
{
    return then < 0 ? -1 : m_clock->monotonicMs() - then;
}

void ConsoleSession::markUpdate(int seen)
{
    m_lastUpdate = m_clock->monotonicMs();
    if (seen & Storage)
        m_lastStorage = m_lastUpdate;
    const bool before = hasSnapshot();
    m_seen |= seen;
    if (hasSnapshot() != before)
        Q_EMIT snapshotChanged();
    Q_EMIT liveChanged();
}

bool ConsoleSession::isLive() const
{
    const qint64 age = sinceMs(m_lastUpdate);
    const qint64 storageAge = sinceMs(m_lastStorage);
    return isConnected() && m_failingPolls.isEmpty() && age >= 0 && age < StaleAfterMs
        && storageAge < StorageStaleAfterMs;
}

int ConsoleSession::ageSeconds() const
{
    const qint64 age = sinceMs(m_lastUpdate);
    return age < 0 ? -1 : int(age / 1000);
}

QString ConsoleSession::ageText() const
{
    const int s = ageSeconds();
    if (s < 0)
        return QStringLiteral("no data yet");
    return s < 60 ? QStringLiteral("%1 s ago").arg(s) : QStringLiteral("%1 min ago").arg(s / 60);
}

void ConsoleSession::onEvent(const QJsonObject &event)
{
    const QJsonObject data = event.value(QLatin1String("data")).toObject();
    const QString kind = data.value(QLatin1String("kind")).toString();
    if (kind == QLatin1String("poll")) {
        const QString source = data.value(QLatin1String("source")).toString();
        m_failingPolls.removeAll(source);
        if (!data.value(QLatin1String("ok")).toBool(true) && source != QLatin1String("temperature"))
            m_failingPolls.append(source);
        Q_EMIT liveChanged();
    } else if (kind == QLatin1String("task")) {
        // Task progress for a guest an action of ours runs on.
        const QJsonObject target = data.value(QLatin1String("target")).toObject();
        const int vmid = target.value(QLatin1String("vmid")).toInt(-1);
        const QString key = QString::number(vmid);
        if (m_pending.contains(key)) {
            const QString status = data.value(QLatin1String("status")).toString();
            const QString type = data.value(QLatin1String("taskType")).toString();
            const QString base = m_pending.value(key).toString().section(QLatin1String(" ·"), 0, 0);
            setPending(vmid,
                status == QLatin1String("running")
                    ? QStringLiteral("%1 · task %2 running").arg(base, type)
                    : QStringLiteral("%1 · task %2 %3")
                          .arg(base, type, data.value(QLatin1String("exitstatus")).toString())
                          .trimmed());
        }
    }
    Q_EMIT eventReceived(event);
}

void ConsoleSession::setPending(int vmid, const QString &text)
{
    const QString key = QString::number(vmid);
    if (text.isEmpty())
        m_pending.remove(key);
    else
        m_pending.insert(key, text);
    Q_EMIT pendingChanged();
}

void ConsoleSession::runAction(const QString &action, int vmid, const QString &node,
    const QString &type, const QString &name, bool confirmed)
{
    static const QStringList actions {QStringLiteral("start"), QStringLiteral("shutdown"),
        QStringLiteral("stop"), QStringLiteral("restart")};
    const QString label = QStringLiteral("%1 %2 (%3)").arg(capitalised(action), name).arg(vmid);
    if (!actions.contains(action)) {
        m_actionError = QStringLiteral("Unknown action %1").arg(action);
        Q_EMIT actionErrorChanged();
        return;
    }
    if (m_state != QLatin1String("connected"))
        return;
    if (m_pending.contains(QString::number(vmid))) {
        m_actionError = QStringLiteral("%1: an action is already running on this guest").arg(label);
        Q_EMIT actionErrorChanged();
        return;
    }
    QJsonObject body {{QStringLiteral("tool"), toolFor(action, type)},
        {QStringLiteral("args"),
            QJsonObject {{QStringLiteral("node"), node}, {QStringLiteral("vmid"), vmid}}}};
    if (action != QLatin1String("start"))
        body.insert(QStringLiteral("confirmed"), confirmed);
    dismissActionError();
    setPending(vmid, verbing(action));
    Q_EMIT guestBusyChanged(vmid, true);

    QNetworkRequest req = request(QStringLiteral("/api/tools/execute"));
    req.setTransferTimeout(0); // the answer comes when the Proxmox task ended
    QNetworkReply *reply = m_nam->post(req, QJsonDocument(body).toJson(QJsonDocument::Compact));
    m_actionReplies.removeAll(nullptr);
    m_actionReplies.append(reply); // aborted by stopLive()
    connect(reply, &QNetworkReply::finished, this, [this, reply, vmid, action, label] {
        reply->deleteLater();
        m_actionReplies.removeAll(reply);
        setPending(vmid, {});
        Q_EMIT guestBusyChanged(vmid, false);
        const int status = statusOf(reply);
        const QJsonObject body = bodyOf(reply);
        if (status == 200 && body.value(QLatin1String("success")).toBool()) {
            Q_EMIT actionFinished(vmid, action, true, {});
            return;
        }
        if (status == 401) {
            const QString reason = body.value(QLatin1String("reason")).toString();
            sessionEnded(reason == QLatin1String("expired") ? ExpiredNotice : InvalidNotice);
            return;
        }
        m_actionError = actionFailureText(label, status, body, reply->errorString());
        Q_EMIT actionErrorChanged();
        Q_EMIT actionFinished(vmid, action, false, m_actionError);
    });
}

void ConsoleSession::dismissActionError()
{
    if (m_actionError.isEmpty())
        return;
    m_actionError.clear();
    Q_EMIT actionErrorChanged();
}

void ConsoleSession::refresh()
{
    if (m_cluster)
        m_cluster->emitEvent(QStringLiteral("refresh"));
}

namespace {

QVariantMap seriesForQml(const HistorySeries &s)
{
    QList<double> memFraction = s.mem;
    for (double &m : memFraction)
        m = std::isnan(m) || !(s.maxmem > 0) ? std::numeric_limits<double>::quiet_NaN()
                                             : SnapshotListModel::fraction(m, s.maxmem);
    return {
        {QStringLiteral("id"), s.id},
        {QStringLiteral("node"), s.node},
        {QStringLiteral("range"), s.range},
        {QStringLiteral("t"), toVariantList(s.t)},
        {QStringLiteral("cpu"), toVariantList(s.cpu)},
        {QStringLiteral("mem"), toVariantList(s.mem)},
        {QStringLiteral("memFraction"), toVariantList(memFraction)},
        {QStringLiteral("maxmem"), s.maxmem},
        {QStringLiteral("netin"), toVariantList(s.netin)},
        {QStringLiteral("netout"), toVariantList(s.netout)},
        {QStringLiteral("diskread"), toVariantList(s.diskread)},
        {QStringLiteral("diskwrite"), toVariantList(s.diskwrite)},
        {QStringLiteral("temperature"), toVariantList(s.temperature)},
    };
}

} // namespace

void ConsoleSession::requestHistory(const QString &id, const QString &range)
{
    if (!m_cluster || !m_cluster->isConnected()) {
        Q_EMIT historyAnswered(
            id, range, false, {}, QStringLiteral("Not connected to the Jarvis service."));
        return;
    }
    const QJsonObject ask {{QStringLiteral("id"), id}, {QStringLiteral("range"), range}};
    m_cluster->emitEvent(QStringLiteral("history"), QJsonArray {ask}, {}, this,
        [this, id, range](const client::AckResult &result) {
            if (!result.ok()) {
                Q_EMIT historyAnswered(id, range, false, {},
                    QStringLiteral("No answer from the Jarvis service (%1).")
                        .arg(result.errorString()));
                return;
            }
            const QJsonObject answer = result.args.at(0).toObject();
            if (answer.value(QLatin1String("ok")) == QJsonValue(true)) {
                const std::optional<HistorySeries> s =
                    historySeriesFromJson(answer.value(QLatin1String("series")));
                if (s && s->id == id) {
                    Q_EMIT historyAnswered(id, range, true, seriesForQml(*s), {});
                    return;
                }
                Q_EMIT historyAnswered(id, range, false, {},
                    QStringLiteral("The service sent a history the console cannot read."));
                return;
            }
            const QString error = answer.value(QLatin1String("error")).toString();
            Q_EMIT historyAnswered(id, range, false, {},
                error.isEmpty()
                    ? QStringLiteral("The service sent an answer the console cannot read.")
                    : error);
        });
}

} // namespace jarvis::console
