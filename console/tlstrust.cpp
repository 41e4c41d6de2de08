#include "tlstrust.h"

#include "client/socketioclient.h"
#include "core/clock.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSslSocket>
#include <QStandardPaths>

#include <algorithm>
#include <cctype>
#include <memory>

namespace jarvis::console {

namespace {

// 64 hex digits, with or without separators, in any case -> "AB:CD:..."; empty when not.
QString normaliseFingerprint(const QString &text)
{
    QString hex;
    hex.reserve(64);
    for (const QChar c : text) {
        if (c == QLatin1Char(':') || c.isSpace())
            continue;
        if (!std::isxdigit(static_cast<unsigned char>(c.toLatin1())))
            return {};
        hex.append(c.toUpper());
    }
    if (hex.size() != 64)
        return {};
    QString out;
    out.reserve(95);
    for (int i = 0; i < 64; i += 2) {
        if (i)
            out.append(QLatin1Char(':'));
        out.append(QStringView(hex).mid(i, 2));
    }
    return out;
}

bool isTlsScheme(const QString &scheme)
{
    return scheme == QLatin1String("https") || scheme == QLatin1String("wss");
}

bool isPlainScheme(const QString &scheme)
{
    return scheme == QLatin1String("http") || scheme == QLatin1String("ws");
}

} // namespace

QString TlsTrust::Probe::message() const
{
    switch (verdict) {
    case Verdict::SystemTrusted:
        return QStringLiteral("The certificate of %1 is trusted by the system.").arg(server);
    case Verdict::PinMatches:
        return QStringLiteral("%1 presented the certificate you accepted before (SHA-256 %2).")
            .arg(server, fingerprint);
    case Verdict::FirstUse:
        return QStringLiteral("%1 is not vouched for by a certificate authority this computer "
                              "trusts. Its certificate's SHA-256 fingerprint is %2. Accept it "
                              "only if it is the one jarvisd shows for this server.")
            .arg(server, fingerprint);
    case Verdict::Changed:
        return QStringLiteral("The certificate of %1 has CHANGED: it was %2 and is now %3. "
                              "Refusing to connect: someone may be intercepting the connection. "
                              "If the server's certificate was replaced on purpose, remove the "
                              "old fingerprint and connect again.")
            .arg(server, pinnedFingerprint, fingerprint);
    case Verdict::NotEncrypted:
        return QStringLiteral("%1 is not using TLS: the password and all data travel "
                              "unencrypted.")
            .arg(server);
    case Verdict::Failed:
        return QStringLiteral("No TLS connection to %1: %2").arg(server, errorString);
    }
    return {};
}

TlsTrust::TlsTrust(const QString &pinFile, QObject *parent)
    : TlsTrust(pinFile, nullptr, parent)
{ }

TlsTrust::TlsTrust(const QString &pinFile, core::Clock *clock, QObject *parent)
    : QObject(parent)
    , m_file(pinFile)
    , m_clock(core::Clock::orSystem(clock))
{
    load();
}

TlsTrust::~TlsTrust() = default;

QString TlsTrust::fingerprint(const QSslCertificate &certificate)
{
    if (certificate.isNull())
        return {};
    return QString::fromLatin1(certificate.digest(QCryptographicHash::Sha256).toHex(':').toUpper());
}

QString TlsTrust::serverKey(const QUrl &server)
{
    if (!server.isValid() || server.host().isEmpty())
        return {};
    const QString scheme = server.scheme().toLower();
    const int defaultPort = isTlsScheme(scheme) ? 443 : (isPlainScheme(scheme) ? 80 : -1);
    const int port = server.port(defaultPort);
    if (port <= 0)
        return {};
    QString host = server.host().toLower();
    if (host.contains(QLatin1Char(':')))
        host = QLatin1Char('[') + host + QLatin1Char(']');
    return host + QLatin1Char(':') + QString::number(port);
}

QString TlsTrust::defaultPinFile()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)
        + QStringLiteral("/tls-pins");
}

void TlsTrust::load()
{
    m_pins.clear();
    m_loadError.clear();
    QFile file(m_file);
    if (!file.exists())
        return;
    if (!file.open(QIODevice::ReadOnly)) {
        m_loadError = QStringLiteral("cannot read %1: %2").arg(m_file, file.errorString());
        return;
    }
    QStringList bad;
    int lineNumber = 0;
    while (!file.atEnd()) {
        ++lineNumber;
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        const QStringList parts = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        const QString fp = parts.size() == 2 ? normaliseFingerprint(parts.at(1)) : QString();
        // The key must be one serverKey() would write: host:port.
        const QString key = parts.value(0);
        const qsizetype colon = key.lastIndexOf(QLatin1Char(':'));
        bool portOk = false;
        const int port = colon > 0 ? key.mid(colon + 1).toInt(&portOk) : 0;
        if (fp.isEmpty() || !portOk || port <= 0 || port > 65535) {
            bad.append(QString::number(lineNumber));
            continue;
        }
        m_pins.insert(key.toLower(), fp);
    }
    if (!bad.isEmpty())
        m_loadError =
            QStringLiteral("%1: ignored line(s) %2 (not \"host:port SHA-256-fingerprint\")")
                .arg(m_file, bad.join(QStringLiteral(", ")));
}

bool TlsTrust::save(const QHash<QString, QString> &pins, QString *error) const
{
    const QFileInfo info(m_file);
    if (!QDir().mkpath(info.absolutePath())) {
        if (error)
            *error = QStringLiteral("cannot create %1").arg(info.absolutePath());
        return false;
    }
    QSaveFile file(m_file);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(m_file, file.errorString());
        return false;
    }
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    QStringList keys = pins.keys();
    std::sort(keys.begin(), keys.end());
    QByteArray text = "# jarvis-console: pinned TLS certificates (host:port SHA-256)\n";
    for (const QString &key : std::as_const(keys))
        text += key.toUtf8() + ' ' + pins.value(key).toLatin1() + '\n';
    file.write(text);
    if (!file.commit()) {
        if (error)
            *error = QStringLiteral("cannot write %1: %2").arg(m_file, file.errorString());
        return false;
    }
    QFile::setPermissions(m_file, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return true;
}

QString TlsTrust::pin(const QUrl &server) const
{
    return m_pins.value(serverKey(server));
}

bool TlsTrust::setPin(const QUrl &server, const QString &fingerprint, QString *error)
{
    const QString key = serverKey(server);
    const QString fp = normaliseFingerprint(fingerprint);
    if (key.isEmpty() || fp.isEmpty()) {
        if (error)
            *error = key.isEmpty()
                ? QStringLiteral("not a server URL: %1").arg(server.toString())
                : QStringLiteral("not a SHA-256 fingerprint: %1").arg(fingerprint);
        return false;
    }
    QHash<QString, QString> next = m_pins;
    next.insert(key, fp);
    if (!save(next, error))
        return false;
    m_pins = std::move(next);
    return true;
}

bool TlsTrust::removePin(const QUrl &server, QString *error)
{
    const QString key = serverKey(server);
    if (!m_pins.contains(key))
        return true;
    QHash<QString, QString> next = m_pins;
    next.remove(key);
    if (!save(next, error))
        return false;
    m_pins = std::move(next);
    return true;
}

void TlsTrust::probe(const QUrl &server, const QObject *context, ProbeCallback done, int timeoutMs)
{
    struct State
    {
        QPointer<const QObject> context;
        ProbeCallback done;
        bool finished = false;
    };
    auto state = std::make_shared<State>(State {context, std::move(done)});
    Probe result;
    result.server = serverKey(server);
    result.pinnedFingerprint = m_pins.value(result.server);

    const QString scheme = server.scheme().toLower();
    if (result.server.isEmpty() || (!isTlsScheme(scheme) && !isPlainScheme(scheme))) {
        result.errorString =
            QStringLiteral("not an http(s) server URL: %1").arg(server.toDisplayString());
        if (result.server.isEmpty())
            result.server = server.toDisplayString();
    } else if (isPlainScheme(scheme)) {
        result.verdict = Verdict::NotEncrypted;
    }
    if (result.server.isEmpty() || !isTlsScheme(scheme)) {
        QMetaObject::invokeMethod(
            this,
            [state, result] {
                if (state->context)
                    state->done(result);
            },
            Qt::QueuedConnection);
        return;
    }

    auto *socket = new QSslSocket(this);
    socket->setPeerVerifyName(server.host());
    core::Ticker *deadline = m_clock->createTicker(socket);
    deadline->setSingleShot(true);
    // Ends the probe once: the socket goes (later: this may run inside its signals), `done` runs.
    auto finish = [state, socket, deadline](Probe probe) {
        if (state->finished)
            return;
        state->finished = true;
        deadline->stop();
        QMetaObject::invokeMethod(
            socket,
            [socket] {
                socket->abort();
                socket->deleteLater();
            },
            Qt::QueuedConnection);
        if (state->context)
            state->done(probe);
    };
    connect(socket, &QSslSocket::encrypted, this, [socket, result, finish]() mutable {
        result.verdict = Verdict::SystemTrusted;
        result.certificate = socket->peerCertificate();
        result.fingerprint = fingerprint(result.certificate);
        finish(result);
    });
    connect(socket, &QSslSocket::sslErrors, this,
        [socket, result, finish](const QList<QSslError> &errors) mutable {
            // Never ignored here: the handshake stops, nothing is sent.
            result.certificate = socket->peerCertificate();
            result.fingerprint = fingerprint(result.certificate);
            result.errors = errors;
            if (result.fingerprint.isEmpty()) {
                result.verdict = Verdict::Failed;
                result.errorString = errors.isEmpty() ? QStringLiteral("no certificate")
                                                      : errors.constFirst().errorString();
            } else if (result.pinnedFingerprint.isEmpty()) {
                result.verdict = Verdict::FirstUse;
            } else if (result.pinnedFingerprint == result.fingerprint) {
                result.verdict = Verdict::PinMatches;
            } else {
                result.verdict = Verdict::Changed;
            }
            finish(result);
        });
    connect(socket, &QAbstractSocket::errorOccurred, this,
        [socket, result, finish](QAbstractSocket::SocketError) mutable {
            result.verdict = Verdict::Failed;
            result.errorString = socket->errorString();
            finish(result);
        });
    connect(deadline, &core::Ticker::timeout, this, [result, finish, timeoutMs]() mutable {
        result.verdict = Verdict::Failed;
        result.errorString = QStringLiteral("no TLS handshake within %1 ms").arg(timeoutMs);
        finish(result);
    });
    deadline->startIn(qMax(1, timeoutMs));
    socket->connectToHostEncrypted(server.host(), quint16(server.port(443)));
}

void TlsTrust::applyTo(QNetworkAccessManager *nam)
{
    connect(nam, &QNetworkAccessManager::sslErrors, this,
        [this](QNetworkReply *reply, const QList<QSslError> &errors) {
            const QString pinned = m_pins.value(serverKey(reply->url()));
            if (pinned.isEmpty())
                return;
            if (fingerprint(reply->sslConfiguration().peerCertificate()) == pinned)
                reply->ignoreSslErrors(errors);
        });
}

void TlsTrust::applyTo(client::SocketIoClient *client, const QUrl &server) const
{
    const QString pinned = pin(server);
    QByteArray digest;
    if (!pinned.isEmpty())
        digest = QByteArray::fromHex(pinned.toLatin1()); // fromHex skips the colons
    client->setPinnedCertificateDigest(digest);
}

} // namespace jarvis::console
