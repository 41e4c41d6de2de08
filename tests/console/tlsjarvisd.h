#pragma once

// A jarvisd process serving HTTPS with a given certificate (a configuration file whose [server]
// has tlsCert/tlsKey; --demo ignores TLS), pointed at an in-process PVE simulator. For the TLS
// trust tests (tst_tlstrust, tst_consoletls). What it writes to stderr is kept: logins() counts the
// passwords it accepted ("login from"), failedLogins() the ones it refused.
#include "demo/pvesimulator.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QUrl>

#include <memory>

class TlsJarvisd
{
public:
    static constexpr int Wait = 20000;

    TlsJarvisd(QString program, QString password, QByteArray jwtSecret)
        : m_program(std::move(program))
        , m_password(std::move(password))
        , m_secret(std::move(jwtSecret))
    { }
    ~TlsJarvisd() { stop(); }

    // Empty on success, else why it did not start. `port` 0: a free one.
    QString start(const QTemporaryDir &dir, const jarvis::demo::PveSimulator &sim,
        const jarvis::demo::PveSimulator::Options &o, const QString &cert, const QString &key,
        int port)
    {
        stop();
        // Files of its own: two jarvisd may not share an audit log.
        const QString stem = dir.filePath(
            QStringLiteral("jarvisd-%1-%2").arg(reinterpret_cast<quintptr>(this)).arg(++m_runs));
        const QString configPath = stem + QStringLiteral(".conf");
        QFile conf(configPath);
        if (!conf.open(QIODevice::WriteOnly))
            return QStringLiteral("cannot write the config");
        conf.write(QStringLiteral("[server]\nlisten=127.0.0.1\nport=%1\ntlsCert=%2\ntlsKey=%3\n\n"
                                  "[proxmox]\ntokenId=%4\ntokenSecret=%5\n\n[audit]\nfile=%6\n\n"
                                  "[node.pve1]\nhost=127.0.0.1\napiUrl=%7\n")
                       .arg(port)
                       .arg(cert, key, o.tokenId, o.tokenSecret,
                           stem + QStringLiteral("-audit.jsonl"), sim.baseUrl().toString())
                       .toUtf8());
        conf.close();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("JARVIS_ADMIN_PASSWORD"), m_password);
        env.insert(QStringLiteral("JARVIS_JWT_SECRET"), QString::fromLatin1(m_secret));
        env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("*.debug=false"));
        m_process = std::make_unique<QProcess>();
        m_process->setProcessEnvironment(env);
        m_output.clear();
        m_errors.clear();
        QObject::connect(m_process.get(), &QProcess::readyReadStandardOutput, m_process.get(),
            [this] { m_output += m_process->readAllStandardOutput(); });
        QObject::connect(m_process.get(), &QProcess::readyReadStandardError, m_process.get(),
            [this] { m_errors += m_process->readAllStandardError(); });
        m_process->start(m_program, {QStringLiteral("--config"), configPath});
        static const QRegularExpression listening(QStringLiteral("listening on (https://\\S+)"));
        QRegularExpressionMatch match;
        QDeadlineTimer deadline(Wait);
        while (!deadline.hasExpired() && m_process->state() != QProcess::NotRunning) {
            match = listening.match(QString::fromUtf8(m_output));
            if (match.hasMatch())
                break;
            QSignalSpy more(m_process.get(), &QProcess::readyReadStandardOutput);
            more.wait(200);
        }
        if (!match.hasMatch())
            return QStringLiteral("jarvisd did not start: %1").arg(QString::fromUtf8(m_errors));
        url = QUrl(match.captured(1));
        url.setPath(QString());
        return {};
    }

    void stop()
    {
        if (!m_process || m_process->state() == QProcess::NotRunning)
            return;
        m_process->terminate();
        if (!m_process->waitForFinished(Wait))
            m_process->kill();
        m_process->waitForFinished(Wait);
    }

    // What it logged so far (the event loop must run for more to arrive).
    QString errors() const { return QString::fromUtf8(m_errors); }
    int logins() const { return int(m_errors.count("login from ")); }
    int failedLogins() const { return int(m_errors.count("login failed from ")); }

    QUrl url;

private:
    QString m_program;
    QString m_password;
    QByteArray m_secret;
    std::unique_ptr<QProcess> m_process;
    QByteArray m_output;
    QByteArray m_errors;
    int m_runs = 0;
};

// A certificate authority and a server certificate for 127.0.0.1 and localhost that it signed,
// made with the openssl command line in `dir` (ca.crt, leaf.crt, leaf.key); false when openssl
// failed. For "trusted by the system": the test adds ca.crt to what its process trusts.
inline bool makeCaSignedCertificate(const QTemporaryDir &dir)
{
    const QString ca = dir.filePath(QStringLiteral("ca"));
    const QString leaf = dir.filePath(QStringLiteral("leaf"));
    QFile ext(dir.filePath(QStringLiteral("leaf.ext")));
    if (!ext.open(QIODevice::WriteOnly))
        return false;
    ext.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
              "extendedKeyUsage=serverAuth\n");
    ext.close();
    const auto run = [](const QStringList &args) {
        QProcess p;
        p.start(QStringLiteral("openssl"), args);
        return p.waitForFinished(30000) && p.exitStatus() == QProcess::NormalExit
            && p.exitCode() == 0;
    };
    const QStringList ecKey {QStringLiteral("-newkey"), QStringLiteral("ec"),
        QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:prime256v1"),
        QStringLiteral("-nodes")};
    return run(QStringList {QStringLiteral("req"), QStringLiteral("-x509")} + ecKey
               + QStringList {QStringLiteral("-keyout"), ca + QStringLiteral(".key"),
                   QStringLiteral("-out"), ca + QStringLiteral(".crt"), QStringLiteral("-days"),
                   QStringLiteral("2"), QStringLiteral("-subj"),
                   QStringLiteral("/CN=Jarvis Test CA"), QStringLiteral("-addext"),
                   QStringLiteral("basicConstraints=critical,CA:TRUE"), QStringLiteral("-addext"),
                   QStringLiteral("keyUsage=critical,keyCertSign,cRLSign")})
        && run(QStringList {QStringLiteral("req"), QStringLiteral("-new")} + ecKey
            + QStringList {QStringLiteral("-keyout"), leaf + QStringLiteral(".key"),
                QStringLiteral("-out"), leaf + QStringLiteral(".csr"), QStringLiteral("-subj"),
                QStringLiteral("/CN=127.0.0.1")})
        && run({QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"),
            leaf + QStringLiteral(".csr"), QStringLiteral("-CA"), ca + QStringLiteral(".crt"),
            QStringLiteral("-CAkey"), ca + QStringLiteral(".key"),
            QStringLiteral("-CAcreateserial"), QStringLiteral("-out"),
            leaf + QStringLiteral(".crt"), QStringLiteral("-days"), QStringLiteral("2"),
            QStringLiteral("-extfile"), ext.fileName()});
}
