#include "pveprobe.h"

#include <QCryptographicHash>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTimer>

#include <memory>

namespace jarvis::setup {

namespace {

constexpr qint64 MaxAnswerBytes = 64 * 1024 * 1024;

// The privileges jarvisd's calls need (docs/PROTOCOL.md section 6, service/proxmox/client.cpp):
// /cluster/resources lists nodes (Sys.Audit), guests (VM.Audit) and storage (Datastore.Audit);
// /cluster/status, /nodes/{node}/status and the task list and status need Sys.Audit; the
// start/stop/shutdown/reboot tools need VM.PowerMgmt. Nothing that changes configuration.
const char RolePrivileges[] = "VM.Audit,VM.PowerMgmt,Sys.Audit,Datastore.Audit";

struct Answer
{
    int status = 0; // HTTP status; 0 = no HTTP answer
    QJsonValue data;
    QString reason; // reason phrase (pveproxy puts the error there)
    QString networkError;
    bool pinMismatch = false;
    QString presentedFingerprint;
    bool tlsRefused = false;
};

Answer call(QNetworkAccessManager &nam, const QUrl &base, const QString &path,
    const QString &tokenId, const QString &tokenSecret, const PveTls &tls, int timeoutMs)
{
    QUrl url = base;
    url.setPath(QStringLiteral("/api2/json") + path);
    QNetworkRequest req(url);
    req.setRawHeader(
        "Authorization", "PVEAPIToken=" + tokenId.toUtf8() + '=' + tokenSecret.toUtf8());
    req.setRawHeader("Accept", "application/json");
    req.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    req.setTransferTimeout(timeoutMs);
    if (url.scheme() == QLatin1String("https")) {
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        if (!tls.caCertificates.isEmpty())
            ssl.setCaCertificates(tls.caCertificates);
        req.setSslConfiguration(ssl);
    }
    QNetworkReply *reply = nam.get(req);
    auto answer = std::make_shared<Answer>();
    const QString pin = tls.fingerprint;
    // As jarvisd does: with a pin, exactly that certificate and nothing else; with a CA file
    // (or neither), the ordinary verification against those CAs. Checked before the request
    // (with the token) is sent: a failed check aborts in the handshake.
    auto pinMatches = [reply, pin, answer] {
        const QSslCertificate peer = reply->sslConfiguration().peerCertificate();
        answer->presentedFingerprint = fingerprintOf(peer);
        return !peer.isNull() && answer->presentedFingerprint == pin;
    };
    QObject::connect(reply, &QNetworkReply::sslErrors, reply,
        [reply, pin, pinMatches, answer](const QList<QSslError> &errors) {
            if (!pin.isEmpty() && pinMatches())
                reply->ignoreSslErrors(errors);
            else if (!pin.isEmpty())
                answer->pinMismatch = true;
            else
                answer->tlsRefused = true;
        });
    QObject::connect(reply, &QNetworkReply::encrypted, reply, [reply, pin, pinMatches, answer] {
        if (!pin.isEmpty() && !pinMatches()) {
            answer->pinMismatch = true;
            reply->abort();
        }
    });
    QObject::connect(reply, &QNetworkReply::downloadProgress, reply, [reply](qint64 got, qint64) {
        if (got > MaxAnswerBytes)
            reply->abort();
    });
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    answer->status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    answer->reason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
    if (reply->error() != QNetworkReply::NoError && answer->status == 0)
        answer->networkError = reply->errorString();
    if (answer->status == 200) {
        const QJsonDocument doc = QJsonDocument::fromJson(reply->readAll());
        answer->data = doc.object().value(QLatin1String("data"));
    }
    reply->deleteLater();
    return *answer;
}

QString describeFailure(const Answer &a, const QString &what, const QUrl &url, const PveTls &tls)
{
    const QString server = QStringLiteral("%1:%2").arg(url.host()).arg(url.port(8006));
    if (a.pinMismatch) {
        return QStringLiteral("TLS mismatch: %1 presents a certificate with SHA-256 fingerprint "
                              "%2, not the expected %3; nothing was sent")
            .arg(server,
                a.presentedFingerprint.isEmpty() ? QStringLiteral("(none)")
                                                 : a.presentedFingerprint,
                tls.fingerprint);
    }
    if (a.tlsRefused) {
        return QStringLiteral("TLS refused: the certificate of %1 does not chain to the given CA "
                              "file (or does not name that host); nothing was sent")
            .arg(server);
    }
    switch (a.status) {
    case 0:
        return QStringLiteral("host unreachable: %1 (%2)").arg(server, a.networkError);
    case 401:
        return QStringLiteral("token refused (401 %1): check the token ID and its secret")
            .arg(a.reason);
    case 403:
        return QStringLiteral("permission missing (403 %1) for %2: give the token the role with "
                              "%3 on /")
            .arg(a.reason, what, QLatin1String(RolePrivileges));
    default:
        return QStringLiteral("%1 answered HTTP %2 %3").arg(what).arg(a.status).arg(a.reason);
    }
}

} // namespace

QString fingerprintOf(const QSslCertificate &certificate)
{
    if (certificate.isNull())
        return {};
    return QString::fromLatin1(certificate.digest(QCryptographicHash::Sha256).toHex(':').toUpper());
}

QString normaliseFingerprint(const QString &text)
{
    QString hex = text.trimmed();
    hex.remove(QLatin1Char(':'));
    static const QRegularExpression re(QStringLiteral("^[0-9A-Fa-f]{64}$"));
    if (!re.match(hex).hasMatch())
        return {};
    return QString::fromLatin1(QByteArray::fromHex(hex.toLatin1()).toHex(':').toUpper());
}

PresentedCertificate fetchCertificate(const QUrl &url, int timeoutMs)
{
    PresentedCertificate out;
    QSslSocket socket;
    socket.setPeerVerifyMode(QSslSocket::VerifyNone); // only to read the certificate
    QEventLoop loop;
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&socket, &QSslSocket::encrypted, &loop, &QEventLoop::quit);
    QObject::connect(&socket, &QAbstractSocket::errorOccurred, &loop, &QEventLoop::quit);
    QObject::connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
    deadline.start(timeoutMs);
    socket.connectToHostEncrypted(url.host(), quint16(url.port(8006)));
    loop.exec();
    if (socket.isEncrypted()) {
        out.certificate = socket.peerCertificate();
        out.fingerprint = fingerprintOf(out.certificate);
    }
    if (out.certificate.isNull()) {
        out.error = socket.error() != QAbstractSocket::UnknownSocketError
            ? socket.errorString()
            : QStringLiteral("no TLS handshake within %1 s").arg(timeoutMs / 1000);
    }
    socket.abort(); // nothing is sent
    return out;
}

QString PveReport::summary() const
{
    if (!ok)
        return problem;
    return QStringLiteral("Proxmox VE %1 answers; the token sees %2 node(s), %3 guest(s) and %4 "
                          "storage(s)")
        .arg(version)
        .arg(nodes)
        .arg(guests)
        .arg(storages);
}

PveReport testConnectivity(const QUrl &apiUrl, const QString &tokenId, const QString &tokenSecret,
    const PveTls &tls, int timeoutMs)
{
    PveReport report;
    QNetworkAccessManager nam;
    const Answer version =
        call(nam, apiUrl, QStringLiteral("/version"), tokenId, tokenSecret, tls, timeoutMs);
    if (version.status != 200) {
        report.problem = describeFailure(version, QStringLiteral("/version"), apiUrl, tls);
        return report;
    }
    report.version = version.data.toObject().value(QLatin1String("version")).toString();
    const Answer resources = call(
        nam, apiUrl, QStringLiteral("/cluster/resources"), tokenId, tokenSecret, tls, timeoutMs);
    if (resources.status != 200 || !resources.data.isArray()) {
        report.problem = resources.status == 200
            ? QStringLiteral("/cluster/resources answered without a list")
            : describeFailure(resources, QStringLiteral("/cluster/resources"), apiUrl, tls);
        return report;
    }
    for (const QJsonValue &v : resources.data.toArray()) {
        const QString type = v.toObject().value(QLatin1String("type")).toString();
        if (type == QLatin1String("node"))
            ++report.nodes;
        else if (type == QLatin1String("qemu") || type == QLatin1String("lxc"))
            ++report.guests;
        else if (type == QLatin1String("storage"))
            ++report.storages;
    }
    if (report.nodes == 0) {
        // Proxmox filters the list by permission instead of answering 403.
        report.problem = QStringLiteral("permission missing: Proxmox VE %1 answers but the token "
                                        "sees no node; give it the role with %2 on /")
                             .arg(report.version, QLatin1String(RolePrivileges));
        return report;
    }
    report.ok = true;
    return report;
}

QString pveumCommands(const QString &tokenId)
{
    const QString user = tokenId.section(QLatin1Char('!'), 0, 0);
    const QString token = tokenId.section(QLatin1Char('!'), 1);
    QStringList lines;
    lines << QStringLiteral("pveum role add JarvisService --privs \"%1\"")
                 .arg(QLatin1String(RolePrivileges));
    // A separate user only when the token is not root's (root@pam has every privilege); the
    // token is privilege-separated, so it has the role and nothing more, whoever its user is.
    if (!user.endsWith(QLatin1String("@pam"))) {
        lines << QStringLiteral("pveum user add %1 --comment \"Jarvis service\"").arg(user)
              << QStringLiteral("pveum acl modify / --users %1 --roles JarvisService").arg(user);
    }
    lines << QStringLiteral("pveum user token add %1 %2 --privsep 1 --comment \"Jarvis\"")
                 .arg(user, token)
          << QStringLiteral("pveum acl modify / --tokens '%1' --roles JarvisService").arg(tokenId);
    return lines.join(QLatin1Char('\n'));
}

} // namespace jarvis::setup
