#pragma once

#include <QFile>
#include <QProcess>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QString>
#include <QTemporaryDir>

#include <optional>

// A self-signed certificate for 127.0.0.1 made with the openssl command line, for tests that need
// a TLS server (the PVE simulator under HTTPS).
struct TlsFixture
{
    QSslCertificate certificate;
    QSslKey key;
    QString certPath;
    QString keyPath;

    // Creates the files in `dir`; nullopt when openssl fails.
    static std::optional<TlsFixture> create(
        const QTemporaryDir &dir, const QString &name = QStringLiteral("server"))
    {
        TlsFixture f;
        f.certPath = dir.filePath(name + QStringLiteral(".crt"));
        f.keyPath = dir.filePath(name + QStringLiteral(".key"));
        QProcess openssl;
        openssl.start(QStringLiteral("openssl"),
            {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                QStringLiteral("ec_paramgen_curve:prime256v1"), QStringLiteral("-nodes"),
                QStringLiteral("-keyout"), f.keyPath, QStringLiteral("-out"), f.certPath,
                QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"),
                QStringLiteral("/CN=") + name, QStringLiteral("-addext"),
                QStringLiteral("subjectAltName=IP:127.0.0.1,DNS:localhost")});
        if (!openssl.waitForFinished(30000) || openssl.exitCode() != 0)
            return std::nullopt;
        QFile cert(f.certPath);
        QFile key(f.keyPath);
        if (!cert.open(QIODevice::ReadOnly) || !key.open(QIODevice::ReadOnly))
            return std::nullopt;
        f.certificate = QSslCertificate(cert.readAll(), QSsl::Pem);
        f.key = QSslKey(key.readAll(), QSsl::Ec, QSsl::Pem);
        if (f.certificate.isNull() || f.key.isNull())
            return std::nullopt;
        return f;
    }

    QSslConfiguration serverConfiguration() const
    {
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.setLocalCertificate(certificate);
        ssl.setPrivateKey(key);
        ssl.setPeerVerifyMode(QSslSocket::VerifyNone);
        return ssl;
    }

    QByteArray sha256() const { return certificate.digest(QCryptographicHash::Sha256); }
};
