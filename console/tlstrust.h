#pragma once

#include <QHash>
#include <QObject>
#include <QSslCertificate>
#include <QSslError>
#include <QString>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;

namespace jarvis::core {
class Clock;
}
namespace jarvis::client {
class SocketIoClient;
}

namespace jarvis::console {

// TLS trust for the console: the system's CAs, or trust on first use. A server whose certificate
// the system does not trust (jarvisd's own self-signed one) is shown to the user by its SHA-256
// fingerprint once; confirmed, the fingerprint is pinned for that host:port in a file, and from
// then on exactly that certificate is accepted there. A different certificate at a pinned
// address is refused loudly (Changed), never silently re-pinned.
//
// The order that keeps the password safe: probe() the server first (it only completes a TLS
// handshake and sends nothing), log in only when the verdict is trusted() (or after the user
// confirmed FirstUse and setPin()), and send every request through a QNetworkAccessManager and
// SocketIoClient that applyTo() configured: they accept the pinned certificate and nothing else
// the system does not trust, so a request to a server with another certificate fails in the
// handshake, before a byte of it is sent.
//
// The pin file: one line per server, "host:port FINGERPRINT" (the fingerprint as
// fingerprint() writes it), written atomically, mode 0600. Lines that do not read are ignored
// (loadError() says so). Lives on the thread it was created on; callbacks come from its loop.
class TlsTrust : public QObject
{
    Q_OBJECT
public:
    enum class Verdict {
        SystemTrusted, // the certificate chains to a system CA and names the host
        PinMatches, // not system-trusted, but exactly the pinned certificate
        FirstUse, // not system-trusted, nothing pinned for host:port: ask the user
        Changed, // not system-trusted, and not the pinned certificate: refuse
        NotEncrypted, // an http:// (ws://) URL: there is no certificate to check
        Failed, // no TLS handshake (refused, timed out, not a TLS server, bad URL)
    };
    Q_ENUM(Verdict)

    struct Probe
    {
        Verdict verdict = Verdict::Failed;
        QString server; // host:port
        QString fingerprint; // the certificate the server presented (empty when none)
        QString pinnedFingerprint; // what is pinned for host:port (empty when nothing)
        QSslCertificate certificate;
        QList<QSslError> errors; // why the system does not trust it
        QString errorString; // Failed: why

        // Safe to send the password: system-trusted or the pinned certificate.
        bool trusted() const
        {
            return verdict == Verdict::SystemTrusted || verdict == Verdict::PinMatches;
        }
        // One or two sentences for the user.
        QString message() const;
    };
    using ProbeCallback = std::function<void(const Probe &)>;

    static constexpr int DefaultProbeTimeout = 10000; // ms

    // Pins are read from `pinFile` now and written there by setPin()/removePin(); the probe's
    // deadline runs on `clock` (null: the system clock).
    explicit TlsTrust(const QString &pinFile, QObject *parent = nullptr);
    TlsTrust(const QString &pinFile, core::Clock *clock, QObject *parent);
    ~TlsTrust() override;

    // "AB:CD:..." (upper-case hex, colon-separated) of the certificate's SHA-256 digest, the
    // format of PROTOCOL.md's tlsFingerprint and of `openssl x509 -fingerprint -sha256`.
    static QString fingerprint(const QSslCertificate &certificate);
    // "host:port" of a server URL (the scheme's default port when none; IPv6 in brackets;
    // host in lower case); empty when the URL has no host.
    static QString serverKey(const QUrl &server);

    // Where jarvis-console keeps its pins: <AppDataLocation>/tls-pins (with the application's
    // names set, ~/.local/share/jarvis/jarvis-console/tls-pins, or under $XDG_DATA_HOME).
    static QString defaultPinFile();

    QString pinFile() const { return m_file; }
    QString loadError() const { return m_loadError; }
    // The pinned fingerprint for the server, empty when none.
    QString pin(const QUrl &server) const;
    // Pins `fingerprint` (as fingerprint() writes it; case and separators are normalised) for
    // the server and saves the file. False, with *error, when the fingerprint is not a SHA-256
    // one or the file cannot be written (nothing changes then).
    bool setPin(const QUrl &server, const QString &fingerprint, QString *error = nullptr);
    bool removePin(const QUrl &server, QString *error = nullptr);

    // Connects to the server with TLS (system CAs, the host's name checked), looks at its
    // certificate and disconnects; nothing is sent. `done` runs exactly once, from the event loop,
    // unless `context` is destroyed first.
    void probe(const QUrl &server, const QObject *context, ProbeCallback done,
        int timeoutMs = DefaultProbeTimeout);

    // Every reply of `nam` accepts the certificate pinned for its URL's host:port (read when the
    // handshake happens, so later pins count) and nothing else the system does not trust.
    void applyTo(QNetworkAccessManager *nam);
    // `client` accepts the certificate pinned for `server` now (call again after setPin()).
    void applyTo(client::SocketIoClient *client, const QUrl &server) const;

private:
    void load();
    bool save(const QHash<QString, QString> &pins, QString *error) const;

    QString m_file;
    core::Clock *m_clock;
    QHash<QString, QString> m_pins; // host:port -> fingerprint
    QString m_loadError;
};

} // namespace jarvis::console
