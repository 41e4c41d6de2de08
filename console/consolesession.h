#pragma once

#include <QByteArrayView>
#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QVariantMap>

#include <functional>

class QNetworkAccessManager;
class QNetworkReply;
class QNetworkRequest;

namespace jarvis::client {
class SocketIoClient;
}
namespace jarvis::core {
class Clock;
class Ticker;
} // namespace jarvis::core

namespace jarvis::console {

class NodeListModel;
class SecretStore;
class TlsTrust;

// The console's one connection to a jarvisd, over the public protocol only (PROTOCOL.md):
// REST login (POST /api/auth/login), the token remembered in a SecretStore when asked, Socket.IO
// /cluster and /events through client::SocketIoClient, and guest actions through
// POST /api/tools/execute. What arrives is handed on as signals (nodesReceived, ...) to the list
// models; what the header shows (quorum, Live/Stale with the age, Reconnecting…) and what went
// wrong (in words) are properties for QML.
//
// What is remembered: the token, not the password. A token expires (expiresIn, a day by default)
// and is worth nothing once the server's secret changes; a stored password would be a credential
// for ever. The token goes to the SecretStore (the system keychain) only; where none runs,
// keychainAvailable is false, keychainMessage says why and nothing is remembered.
class ConsoleSession : public QObject
{
    Q_OBJECT
    // "connect" | "confirmTls" (first use of a certificate: tlsFingerprint asks the user) |
    // "loggingIn" | "connected"
    Q_PROPERTY(QString state READ state NOTIFY stateChanged)
    Q_PROPERTY(QString tlsServer READ tlsServer NOTIFY stateChanged)
    Q_PROPERTY(QString tlsFingerprint READ tlsFingerprint NOTIFY stateChanged)
    Q_PROPERTY(QString serverUrl READ serverUrl NOTIFY serverUrlChanged)
    Q_PROPERTY(QString errorText READ errorText NOTIFY errorTextChanged) // for the Connect page
    Q_PROPERTY(bool keychainAvailable READ keychainAvailable NOTIFY keychainChanged)
    Q_PROPERTY(QString keychainMessage READ keychainMessage NOTIFY keychainChanged)
    Q_PROPERTY(bool connected READ isConnected NOTIFY liveChanged) // /cluster connected
    Q_PROPERTY(bool live READ isLive NOTIFY liveChanged)
    Q_PROPERTY(int ageSeconds READ ageSeconds NOTIFY liveChanged) // -1: no data yet
    Q_PROPERTY(QString ageText READ ageText NOTIFY liveChanged)
    Q_PROPERTY(bool reconnecting READ isReconnecting NOTIFY liveChanged)
    Q_PROPERTY(QString reconnectText READ reconnectText NOTIFY liveChanged)
    Q_PROPERTY(QStringList failingPolls READ failingPolls NOTIFY liveChanged)
    Q_PROPERTY(QVariantMap quorum READ quorum NOTIFY quorumChanged) // {} until the first
    Q_PROPERTY(bool hasSnapshot READ hasSnapshot NOTIFY snapshotChanged) // nodes, vms, storage
    Q_PROPERTY(QVariantMap pending READ pending NOTIFY pendingChanged) // "vmid" -> what runs
    Q_PROPERTY(QString actionError READ actionError NOTIFY actionErrorChanged)
    Q_PROPERTY(QString token READ token NOTIFY stateChanged) // for the terminal's CONNECT
    // The node model's names (setNodeModel), sorted, for filters.
    Q_PROPERTY(QStringList nodeNames READ nodeNames NOTIFY nodeNamesChanged)
    // Its online nodes that are not protected (a terminal may be opened there), sorted.
    Q_PROPERTY(QStringList terminalNodes READ terminalNodes NOTIFY terminalNodesChanged)

public:
    // `store` (not owned) keeps the remembered token; `parent` owns the session. The age shown
    // and the staleness run on `clock` (null: the system clock), which outlives the session.
    explicit ConsoleSession(SecretStore *store, QObject *parent = nullptr);
    ConsoleSession(SecretStore *store, core::Clock *clock, QObject *parent);
    ~ConsoleSession() override;

    QString state() const { return m_state; }
    QString serverUrl() const { return m_server.toString(); }
    QUrl server() const { return m_server; }
    QString errorText() const { return m_error; }
    bool keychainAvailable() const { return m_keychainAvailable; }
    QString keychainMessage() const { return m_keychainMessage; }
    bool isConnected() const; // /cluster
    bool isLive() const;
    int ageSeconds() const;
    QString ageText() const;
    bool isReconnecting() const { return m_reconnecting; }
    QString reconnectText() const { return m_reconnectText; }
    QStringList failingPolls() const { return m_failingPolls; }
    QVariantMap quorum() const { return m_quorum; }
    bool hasSnapshot() const { return m_seen == (Nodes | Vms | Storage); }
    QVariantMap pending() const { return m_pending; }
    QString actionError() const { return m_actionError; }
    QString token() const { return m_token; }
    QString tlsServer() const { return m_tlsServer; }
    QString tlsFingerprint() const { return m_tlsFingerprint; }

    // TLS: https servers are probed before the password is sent; a certificate the system does
    // not trust is shown by its fingerprint (state "confirmTls") and pinned when confirmed; a
    // changed one is refused. Not owned; null: the system's CAs only.
    void setTlsTrust(TlsTrust *trust);
    // The user confirmed (or refused) the fingerprint shown in "confirmTls".
    Q_INVOKABLE void confirmTls(bool trusted);
    // Gives a TerminalSession the same TLS trust for its /terminal connection.
    Q_INVOKABLE void prepareTerminal(QObject *terminalSession);
    // The nodes the session's data went to (not owned; null: none): nodeNames and terminalNodes
    // are read from it.
    void setNodeModel(const NodeListModel *nodes);
    QStringList nodeNames() const;
    QStringList terminalNodes() const;

    // A user-typed server ("host:8080", "https://jarvis.lan") as a base URL; invalid: empty.
    static QUrl normaliseServer(const QString &text);
    // The tool for a power action on a guest: "stop" + "lxc" -> "stop_container".
    static QString toolFor(const QString &action, const QString &guestType);
    // How an action's failure reads: "Stop postgres-main (101) failed: <why>".
    static QString actionFailureText(
        const QString &label, int httpStatus, const QJsonObject &body, const QString &networkError);

    // Logs in with the password; `remember` keeps the token in the keychain.
    Q_INVOKABLE void login(const QString &server, const QString &password, bool remember);
    // Uses the token remembered for `server`, checked with GET /api/auth/session; when there is
    // none (or it expired) the Connect page stays, with a message for an expired one.
    Q_INVOKABLE void resume(const QString &server);
    // Disconnects and forgets the remembered token.
    Q_INVOKABLE void logout();
    // Start/Shutdown/Stop/Restart on a guest. `confirmed` must be true for the RED ones (the
    // view's dialog said so); Start never needs it.
    Q_INVOKABLE void runAction(const QString &action, int vmid, const QString &node,
        const QString &type, const QString &name, bool confirmed);
    Q_INVOKABLE void dismissActionError();
    // Asks /cluster for a fresh poll (the `refresh` event).
    Q_INVOKABLE void refresh();
    // Asks /cluster for the history of one node or guest (`history` with ack; id "node/<name>",
    // "qemu/<vmid>" or "lxc/<vmid>", range "hour" or "day"); historyAnswered() tells the result.
    Q_INVOKABLE void requestHistory(const QString &id, const QString &range);

    // Settings for tests: the REST timeout and the sockets' reconnect delays.
    void setRequestTimeout(int ms) { m_requestTimeout = ms; }
    void setReconnectDelays(int initialMs, int maxMs);

    // The fast way for `vms` (5000 guests in a few ms): `handler` gets the event's arguments as
    // the packet's JSON text (a view valid during the call, SocketIoClient::onRaw) and returns
    // whether it took them; when it does not, the event arrives decoded through vmsReceived().
    void setVmsTextHandler(std::function<bool(QByteArrayView args)> handler)
    {
        m_vmsText = std::move(handler);
    }

Q_SIGNALS:
    void stateChanged();
    void serverUrlChanged();
    void errorTextChanged();
    void keychainChanged();
    void liveChanged();
    void quorumChanged();
    void snapshotChanged();
    void pendingChanged();
    void actionErrorChanged();
    void nodeNamesChanged();
    void terminalNodesChanged();

    // The data, as it arrives (the models apply it as a diff).
    void nodesReceived(const QJsonArray &nodes);
    void vmsReceived(const QJsonArray &vms);
    void storageReceived(const QJsonArray &storage);
    void temperaturesReceived(const QJsonArray &temperatures);
    // The `history` event's payload as sent ({range, series}); NodeListModel::applyHistory reads
    // it.
    void historyReceived(const QJsonValue &history);
    // The answer to requestHistory(): ok with `series` (the HistorySeries as QML reads it: t,
    // cpu (0..1), memFraction (0..1, of maxmem), mem, maxmem, netin, netout, diskread, diskwrite,
    // temperature; NaN = a gap), or the reason in words.
    void historyAnswered(const QString &id, const QString &range, bool ok,
        const QVariantMap &series, const QString &error);
    void eventReceived(const QJsonObject &event); // /events: `event` and `alert`
    // An action started (busy) or ended on a guest.
    void guestBusyChanged(int vmid, bool busy);
    // An action ended: ok, or the failure in words (also in actionError).
    void actionFinished(int vmid, const QString &action, bool ok, const QString &message);
    // Login failed or the session ended (expired, refused): errorText says why.
    void loginFailed(const QString &message);
    void loggedIn();

private:
    enum Seen { Nodes = 1, Vms = 2, Storage = 4 };

    void setState(const QString &state);
    void postLogin(const QString &password, bool remember);
    void setError(const QString &message);
    void checkKeychain();
    void startLive();
    void stopLive();
    void abortLogin();
    // Back to Connect with `message` (an expired or refused token).
    void sessionEnded(const QString &message);
    QNetworkRequest request(const QString &path) const;
    void onSocketConnectError(const QString &message, const QJsonValue &data);
    void onEvent(const QJsonObject &event);
    void setPending(int vmid, const QString &text);
    void markUpdate(int seen);
    // False when nothing changed (liveChanged not emitted).
    bool setReconnecting(bool on, const QString &text = {});
    qint64 sinceMs(qint64 then) const; // -1 when `then` is -1 (never)
    QString secretKey(const QUrl &server) const;

    SecretStore *m_store;
    TlsTrust *m_trust = nullptr;
    QString m_tlsServer;
    QString m_tlsFingerprint;
    QString m_pendingPassword; // only while "confirmTls" waits for the user
    bool m_pendingRemember = false;
    QNetworkAccessManager *m_nam;
    client::SocketIoClient *m_cluster = nullptr;
    client::SocketIoClient *m_events = nullptr;
    core::Clock *m_clock;
    core::Ticker *m_ticker; // 1 s: the age shown in the header
    QPointer<const NodeListModel> m_nodes;
    QPointer<QNetworkReply> m_loginReply;
    QList<QPointer<QNetworkReply>> m_actionReplies; // POST /api/tools/execute in flight

    QString m_state = QStringLiteral("connect");
    QUrl m_server;
    QString m_token;
    QString m_error;
    bool m_keychainAvailable = true;
    QString m_keychainMessage;
    bool m_reconnecting = false;
    QString m_reconnectText;
    QStringList m_failingPolls;
    QVariantMap m_quorum;
    int m_seen = 0;
    qint64 m_lastUpdate = -1; // any snapshot (the clock's monotonicMs), -1: none yet
    qint64 m_lastStorage = -1;
    QVariantMap m_pending;
    QString m_actionError;
    int m_requestTimeout = 20000;
    int m_reconnectInitial = 1000;
    int m_reconnectMax = 5000;
    std::function<bool(QByteArrayView)> m_vmsText;
};

} // namespace jarvis::console
