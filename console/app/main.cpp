// jarvis-console: the desktop console (issue 12). main.cpp only: the command line, the session,
// the models and the QML window; `--screenshot FILE` logs in, waits for the first nodes, vms and
// storage and the sparklines' history, saves the window as PNG and exits (1 with one line when it
// cannot within 20 s).
#include "consolestate.h"
#include "consolestorage.h"
#include "heap.h"
#include "qmltypes.h"
#include "secretstore.h"
#include "tlstrust.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QImage>
#include <QQmlApplicationEngine>
#include <QQuickWindow>
#include <QSGRendererInterface>
#include <QSettings>
#include <QTextStream>
#include <QTimer>
#include <QtQml/qqmlextensionplugin.h>

#include <cstdio>
#include <memory>
#include <utility>

Q_IMPORT_QML_PLUGIN(Jarvis_ConsolePlugin)

using namespace jarvis::console;

namespace {

constexpr int ScreenshotDeadlineMs = 20000;

[[noreturn]] void failLine(const QString &line)
{
    std::fprintf(stderr, "jarvis-console: %s\n", qPrintable(line));
    std::fflush(stderr);
    std::_Exit(1); // one line, nothing after it (no QML teardown noise)
}

} // namespace

int main(int argc, char *argv[])
{
    // False under the sanitizers (their allocator takes no mallopt) or another C library: then
    // snapshots cost their page faults again, nothing else changes (docs/PERFORMANCE.md).
    const bool heapKept = jarvis::console::keepHeapForSnapshots();
    const bool offscreen = qgetenv("QT_QPA_PLATFORM") == "offscreen";
    bool screenshotMode = false;
    for (int i = 1; i < argc; ++i)
        screenshotMode = screenshotMode || qstrcmp(argv[i], "--screenshot") == 0;
    if (screenshotMode || offscreen) {
        // Renders without a GPU; grabWindow() then reads the software framebuffer.
        QQuickWindow::setGraphicsApi(QSGRendererInterface::Software);
    }
    if (screenshotMode) {
        // For automation: stderr carries our one line, not Qt's warnings.
        qInstallMessageHandler([](QtMsgType type, const QMessageLogContext &, const QString &msg) {
            if (type == QtFatalMsg)
                failLine(msg);
        });
    }
    QGuiApplication app(argc, argv);
    QGuiApplication::setApplicationName(QLatin1String(storage::Application));
    QGuiApplication::setOrganizationName(QLatin1String(storage::Organization));
    QGuiApplication::setApplicationVersion(QStringLiteral(JARVIS_VERSION));
    QGuiApplication::setApplicationDisplayName(QStringLiteral("Jarvis console"));
    QGuiApplication::setDesktopFileName(QStringLiteral("jarvis-console"));
    if (!heapKept)
        qDebug("jarvis-console: the C library kept its own malloc settings (snapshots fault "
               "their memory in again)");

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "The Jarvis desktop console: the cluster's nodes, guests, storage, events and terminals "
        "from a jarvisd.\nThe password may come from JARVIS_CONSOLE_PASSWORD (automation)."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption serverOption(QStringLiteral("server"),
        QStringLiteral("The jarvisd to connect to (default: the last one, or "
                       "http://127.0.0.1:8080)."),
        QStringLiteral("URL"));
    const QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
        QStringLiteral("Log in, wait for the first nodes, vms and storage, save the window as "
                       "PNG to FILE and exit (exit 1 with one line if that fails within 20 s). "
                       "An https server's certificate must be trusted by the system or pinned "
                       "by an earlier interactive login; an unknown one exits 1 with its "
                       "SHA-256 fingerprint, a changed one with both fingerprints."),
        QStringLiteral("FILE"));
    parser.addOption(serverOption);
    parser.addOption(screenshotOption);
    parser.process(app);

    QSettings settings;
    const QString server = parser.isSet(serverOption)
        ? parser.value(serverOption)
        : settings
              .value(QLatin1String(storage::LastServerKey), QStringLiteral("http://127.0.0.1:8080"))
              .toString();
    const QString password = qEnvironmentVariable("JARVIS_CONSOLE_PASSWORD");
    const QString screenshot = parser.value(screenshotOption);
    if (parser.isSet(screenshotOption) && password.isEmpty())
        failLine(QStringLiteral("--screenshot needs the password in JARVIS_CONSOLE_PASSWORD"));
    if (!server.isEmpty() && ConsoleSession::normaliseServer(server).isEmpty())
        failLine(QStringLiteral("not a server URL: %1").arg(server));

    // The screenshot never touches the keychain (nothing is remembered).
    std::unique_ptr<SecretStore> store;
    if (screenshot.isEmpty())
        store = std::make_unique<KeychainSecretStore>();
    else
        store = std::make_unique<MemorySecretStore>();
    ConsoleState state(store.get());
    ConsoleSession &session = state.session;
    // Pinned server certificates (trust on first use): host:port and fingerprint, no secrets.
    const QString pinFile = storage::pinFile();
    QDir().mkpath(QFileInfo(pinFile).absolutePath());
    TlsTrust trust(pinFile);
    session.setTlsTrust(&trust);
    QObject::connect(&session, &ConsoleSession::loggedIn, &app, [&session] {
        QSettings().setValue(QLatin1String(storage::LastServerKey), session.serverUrl());
    });

    QQmlApplicationEngine engine;
    registerQmlTypes(&engine);
    QVariantMap properties = state.initialProperties();
    properties.insert(QStringLiteral("initialServer"), server);
    engine.setInitialProperties(properties);
    engine.load(QUrl(QStringLiteral("qrc:/qt/qml/Jarvis/Console/Main.qml")));
    if (engine.rootObjects().isEmpty())
        failLine(QStringLiteral("the window could not be loaded"));
    auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    if (!window)
        failLine(QStringLiteral("the main QML object is not a window"));

    if (!screenshot.isEmpty()) {
        const QString where = ConsoleSession::normaliseServer(server).toString();
        QObject::connect(&session, &ConsoleSession::loginFailed, &app, [where](const QString &why) {
            failLine(QStringLiteral("cannot log in to %1: %2").arg(where, why));
        });
        // Nobody is there to confirm a certificate seen for the first time: it is not trusted.
        QObject::connect(&session, &ConsoleSession::stateChanged, &app, [&session, where] {
            if (session.state() == QLatin1String("confirmTls"))
                failLine(QStringLiteral("cannot log in to %1: the certificate of %2 is not trusted "
                                        "(SHA-256 fingerprint %3); log in once without "
                                        "--screenshot to confirm it")
                             .arg(where, session.tlsServer(), session.tlsFingerprint()));
        });
        QTimer::singleShot(ScreenshotDeadlineMs, &app, [&session, where] {
            failLine(session.state() == QLatin1String("connected")
                    ? QStringLiteral("no nodes, vms and storage from %1 within 20 s").arg(where)
                    : QStringLiteral("cannot connect to %1 within 20 s").arg(where));
        });
        // The picture waits for the first nodes, vms and storage and then for the sparklines'
        // history (jarvisd sends it right after them), or for the next `nodes` from a jarvisd
        // that sends none.
        auto grab = [window, screenshot, done = std::make_shared<bool>(false)] {
            if (std::exchange(*done, true))
                return;
            // Once the models have the rows, the next grab polishes, lays out and renders.
            QTimer::singleShot(0, window, [window, screenshot] {
                const QImage image = window->grabWindow();
                if (image.isNull() || !image.save(screenshot, "PNG"))
                    failLine(QStringLiteral("cannot write %1").arg(screenshot));
                QCoreApplication::exit(0);
            });
        };
        auto history = std::make_shared<bool>(false);
        QObject::connect(
            &session, &ConsoleSession::historyReceived, &app, [&session, grab, history] {
                *history = true;
                if (session.hasSnapshot())
                    grab();
            });
        QObject::connect(
            &session, &ConsoleSession::snapshotChanged, &app, [&session, grab, history] {
                if (session.hasSnapshot() && *history)
                    grab();
            });
        QObject::connect(&session, &ConsoleSession::nodesReceived, &app, [&session, grab] {
            if (session.hasSnapshot())
                grab(); // a `nodes` after the first snapshots, and no history
        });
    }

    if (!password.isEmpty())
        session.login(server, password, false);
    else
        session.resume(server);
    return app.exec();
}
