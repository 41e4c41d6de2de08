// jarvis-pvesim: the PVE simulator (service/demo) as a process of its own, for tests that run
// jarvisd elsewhere (make test-install runs it in a Debian root; jarvis-setup's tests ask it).
//
//   jarvis-pvesim [--nodes N] [--guests N] [--port N] [--tls-cert FILE --tls-key FILE]
//
// Listens on 127.0.0.1 (HTTPS with the given PEM certificate and key), then prints key=value
// lines and a last line `ready`:
//   url=https://127.0.0.1:PORT   port=PORT   fingerprint=AB:CD:... (empty without TLS)
//   tokenId=root@pam!jarvis      nodes=pve1,pve2,pve3
// The token secret is JARVIS_PVE_TOKEN_SECRET, or the simulator's default when it is unset. Runs
// until it is killed (SIGTERM).
#include "demo/pvesimulator.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QStringList>

#include <cstdio>

namespace {
void print(const QString &line)
{
    std::printf("%s\n", line.toUtf8().constData());
    std::fflush(stdout);
}

int fail(const QString &message)
{
    std::fprintf(stderr, "jarvis-pvesim: %s\n", message.toUtf8().constData());
    return 2;
}

QByteArray readFile(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        return {};
    }
    return file.readAll();
}
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("The Proxmox VE simulator on 127.0.0.1."));
    parser.addHelpOption();
    const QCommandLineOption nodesOption(QStringLiteral("nodes"), QStringLiteral("Nodes (3)."),
        QStringLiteral("N"), QStringLiteral("3"));
    const QCommandLineOption guestsOption(QStringLiteral("guests"), QStringLiteral("Guests (12)."),
        QStringLiteral("N"), QStringLiteral("12"));
    const QCommandLineOption portOption(QStringLiteral("port"),
        QStringLiteral("Port (0: any free one)."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption certOption(QStringLiteral("tls-cert"),
        QStringLiteral("PEM certificate: serve HTTPS."), QStringLiteral("FILE"));
    const QCommandLineOption keyOption(QStringLiteral("tls-key"),
        QStringLiteral("PEM private key of the certificate."), QStringLiteral("FILE"));
    parser.addOptions({nodesOption, guestsOption, portOption, certOption, keyOption});
    parser.process(app);

    bool ok = false;
    jarvis::demo::PveSimulator::Options options;
    options.cluster.nodes = parser.value(nodesOption).toInt(&ok);
    if (!ok || options.cluster.nodes < 1 || options.cluster.nodes > 200)
        return fail(QStringLiteral("--nodes: an integer from 1 to 200"));
    options.cluster.guests = parser.value(guestsOption).toInt(&ok);
    if (!ok || options.cluster.guests < 0 || options.cluster.guests > 20000)
        return fail(QStringLiteral("--guests: an integer from 0 to 20000"));
    const int port = parser.value(portOption).toInt(&ok);
    if (!ok || port < 0 || port > 65535)
        return fail(QStringLiteral("--port: an integer from 0 to 65535"));
    if (qEnvironmentVariableIsSet("JARVIS_PVE_TOKEN_SECRET"))
        options.tokenSecret = qEnvironmentVariable("JARVIS_PVE_TOKEN_SECRET");

    std::optional<QSslConfiguration> ssl;
    if (parser.isSet(certOption) != parser.isSet(keyOption))
        return fail(QStringLiteral("--tls-cert and --tls-key go together"));
    if (parser.isSet(certOption)) {
        QString error;
        const QByteArray certPem = readFile(parser.value(certOption), &error);
        const QByteArray keyPem =
            error.isEmpty() ? readFile(parser.value(keyOption), &error) : QByteArray();
        if (!error.isEmpty())
            return fail(error);
        const QSslCertificate certificate(certPem, QSsl::Pem);
        QSslKey key(keyPem, QSsl::Ec, QSsl::Pem);
        if (key.isNull())
            key = QSslKey(keyPem, QSsl::Rsa, QSsl::Pem);
        if (certificate.isNull() || key.isNull())
            return fail(QStringLiteral("--tls-cert/--tls-key: not a PEM certificate and key"));
        QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
        configuration.setLocalCertificate(certificate);
        configuration.setPrivateKey(key);
        configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
        ssl = configuration;
    }

    jarvis::demo::PveSimulator simulator(options);
    if (simulator.listen(QHostAddress::LocalHost, quint16(port), ssl) == 0)
        return fail(QStringLiteral("cannot listen: %1").arg(simulator.errorString()));

    QStringList nodes;
    for (int i = 1; i <= options.cluster.nodes; ++i)
        nodes.append(options.cluster.nodePrefix + QString::number(i));
    print(QStringLiteral("url=%1").arg(simulator.baseUrl().toString()));
    print(QStringLiteral("port=%1").arg(simulator.port()));
    print(QStringLiteral("fingerprint=%1").arg(simulator.sslFingerprint()));
    print(QStringLiteral("tokenId=%1").arg(options.tokenId));
    print(QStringLiteral("nodes=%1").arg(nodes.join(QLatin1Char(','))));
    print(QStringLiteral("ready"));
    return QCoreApplication::exec();
}
