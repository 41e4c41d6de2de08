// jarvis-bench-server: the jarvisd Application (loopback, plain HTTP, no cluster) driven by a
// control namespace, for the fan-out benchmark (tests/bench/run-fanout.sh, docs/PERFORMANCE.md).
//
//   jarvis-bench-server --payload FILE [--port N]     (port 0 picks a free one)
//   env: JARVIS_JWT_SECRET (default: a fixed bench secret)
//
// Clients connect to the JWT-protected /cluster namespace that Application registers. The
// unprotected /bench namespace takes `run {count, rateHz}` with an ack: it broadcasts the payload
// file's JSON value `count` times on /cluster as event `vms`, broadcast k at start + k / rateHz.
// After each broadcast it emits `sent {k, t, callUs}` to the control socket: t is the
// CLOCK_MONOTONIC time (microseconds) taken right before the Namespace::broadcast call, callUs
// how long the call took. The ack ({count}) follows the last one. The load generator reads the
// same clock (system-wide on Linux), so send-to-receipt needs no stamp in the payload.
// tests/bench/reference-server.mjs is the same server on npm socket.io.
#include "app/application.h"
#include "app/runner.h"
#include "config/config.h"
#include "realtime/sioserver.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <unistd.h>

using jarvis::realtime::AckCallback;
using jarvis::realtime::Message;
using jarvis::realtime::Namespace;
using jarvis::realtime::SioSocket;

namespace {

const QByteArray DefaultSecret = "jarvis-bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz";

qint64 monotonicMicros()
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

[[noreturn]] void fail(const QString &message)
{
    std::fprintf(stderr, "jarvis-bench-server: %s\n", qPrintable(message));
    std::exit(2);
}

// One `run`: broadcasts on a precise single-shot timer re-armed for each deadline, so a slow
// broadcast delays the next one but never shifts the schedule. Deletes itself after the ack.
class BenchRun : public QObject
{
public:
    BenchRun(Namespace *cluster, SioSocket *control, const Message &payload, int count,
        double rateHz, AckCallback ack, QObject *parent)
        : QObject(parent)
        , m_cluster(cluster)
        , m_control(control)
        , m_payload(payload)
        , m_count(count)
        , m_periodUs(1e6 / rateHz)
        , m_ack(std::move(ack))
        , m_startUs(monotonicMicros())
    {
        m_timer.setSingleShot(true);
        m_timer.setTimerType(Qt::PreciseTimer);
        connect(&m_timer, &QTimer::timeout, this, &BenchRun::onTick);
        onTick();
    }

private:
    void onTick()
    {
        const qint64 before = monotonicMicros();
        m_cluster->broadcast(QStringLiteral("vms"), m_payload);
        const qint64 callUs = monotonicMicros() - before;
        if (m_control) {
            m_control->emitEvent(QStringLiteral("sent"),
                Message::of(QJsonObject {{QStringLiteral("k"), m_sent},
                    {QStringLiteral("t"), before}, {QStringLiteral("callUs"), callUs}}));
        }
        if (++m_sent >= m_count) {
            if (m_ack)
                m_ack(Message::of(QJsonObject {{QStringLiteral("count"), m_count}}));
            deleteLater();
            return;
        }
        const qint64 next = m_startUs + qint64(double(m_sent) * m_periodUs);
        m_timer.start(int(qMax<qint64>(0, (next - monotonicMicros() + 999) / 1000)));
    }

    Namespace *m_cluster;
    QPointer<SioSocket> m_control;
    Message m_payload;
    int m_count;
    double m_periodUs;
    AckCallback m_ack;
    qint64 m_startUs;
    int m_sent = 0;
    QTimer m_timer;
};

} // namespace

int main(int argc, char **argv)
{
    jarvis::app::prepareProcess();
    QCoreApplication qapp(argc, argv);
    QString payloadPath;
    int port = 0;
    const QStringList args = QCoreApplication::arguments();
    for (qsizetype i = 1; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--payload") && i + 1 < args.size())
            payloadPath = args[++i];
        else if (args[i] == QLatin1String("--port") && i + 1 < args.size())
            port = args[++i].toInt();
        else
            fail(QStringLiteral("usage: jarvis-bench-server --payload FILE [--port N]"));
    }
    QFile file(payloadPath);
    if (payloadPath.isEmpty() || !file.open(QIODevice::ReadOnly))
        fail(QStringLiteral("cannot read the payload file '%1'").arg(payloadPath));
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (document.isNull())
        fail(QStringLiteral("%1: %2").arg(payloadPath, parseError.errorString()));
    const Message payload {QJsonArray {document.isArray() ? QJsonValue(document.array())
                                                          : QJsonValue(document.object())},
        {}};

    jarvis::config::Config config;
    config.listen = QStringLiteral("127.0.0.1");
    config.port = port;
    config.jwtSecret = qEnvironmentVariableIsSet("JARVIS_JWT_SECRET") ? qgetenv("JARVIS_JWT_SECRET")
                                                                      : DefaultSecret;
    config.adminPassword = QStringLiteral("jarvis-bench");
    config.auditFile =
        QDir::temp().filePath(QStringLiteral("jarvis-bench-%1/audit.jsonl").arg(::getuid()));
    jarvis::app::Application application(config);

    Namespace *cluster = application.sio()->findNamespace(QStringLiteral("/cluster"));
    if (!cluster)
        fail(QStringLiteral("the Application has no /cluster namespace"));
    Namespace *control = application.sio()->addNamespace(QStringLiteral("/bench"));
    auto running = std::make_shared<QPointer<BenchRun>>();
    control->on(QStringLiteral("run"),
        [cluster, payload, running, &application](
            SioSocket *socket, const Message &message, const AckCallback &ack) {
            const QJsonObject options = message.args.at(0).toObject();
            const int count = options.value(QStringLiteral("count")).toInt(200);
            const double rateHz = options.value(QStringLiteral("rateHz")).toDouble(10);
            if (*running || count < 1 || rateHz <= 0) {
                if (ack)
                    ack(Message::of(QJsonObject {
                        {QStringLiteral("error"), QStringLiteral("busy or bad arguments")}}));
                return;
            }
            *running = new BenchRun(cluster, socket, payload, count, rateHz, ack, &application);
        });

    QString error;
    if (!application.start(&error))
        fail(error);
    std::signal(SIGPIPE, SIG_IGN);
    std::printf("jarvis-bench-server: listening on %s pid %lld\n", qPrintable(application.url()),
        qint64(QCoreApplication::applicationPid()));
    std::fflush(stdout);
    return QCoreApplication::exec(); // until SIGTERM ends the process
}
