#pragma once

// The console's real window (Main.qml with the real session and models, as jarvis-console builds
// it), shown offscreen, and how the end-to-end tests find and click its items. The test's own
// source imports the QML module: Q_IMPORT_QML_PLUGIN(Jarvis_ConsolePlugin).
#include "consolestate.h"
#include "qmltypes.h"
#include "secretstore.h"
#include "tlstrust.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickWindow>
#include <QTest>

struct ConsoleWindow
{
    jarvis::console::MemorySecretStore store;
    jarvis::console::ConsoleState state {&store};
    QQmlApplicationEngine engine;
    QQuickWindow *window = nullptr;

    // `trust` (not owned, may be null) as jarvis-console sets it: the pins of its file.
    bool load(jarvis::console::TlsTrust *trust = nullptr)
    {
        if (trust)
            state.session.setTlsTrust(trust);
        jarvis::console::registerQmlTypes(&engine);
        engine.setInitialProperties(state.initialProperties());
        engine.load(QUrl(QStringLiteral("qrc:/qt/qml/Jarvis/Console/Main.qml")));
        if (engine.rootObjects().size() != 1)
            return false;
        window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
        return window && QTest::qWaitForWindowExposed(window);
    }
};

inline QPointF centre(QQuickItem *item)
{
    return item->mapToScene(QPointF(item->width() / 2, item->height() / 2));
}

// The visible item of that name in the visual tree under `item` (ListView delegates have no
// QObject parent, so findChild() does not see them).
inline QQuickItem *visibleChild(QQuickItem *item, const QString &name)
{
    if (!item->isVisible())
        return nullptr;
    if (item->objectName() == name)
        return item;
    const auto children = item->childItems();
    for (QQuickItem *child : children) {
        if (QQuickItem *found = visibleChild(child, name))
            return found;
    }
    return nullptr;
}

inline QQuickItem *visibleChild(QQuickWindow *window, const QString &name)
{
    return visibleChild(window->contentItem(), name);
}

// Clicks the visible, enabled item of that name; false when there is none.
inline bool clickItem(QQuickWindow *window, const QString &name)
{
    QQuickItem *item = visibleChild(window, name);
    if (!item || !item->isEnabled())
        return false;
    QTest::mouseClick(window, Qt::LeftButton, {}, centre(item).toPoint());
    return true;
}

struct RunResult
{
    int exitCode = -1; // -1: it crashed or did not end within 30 s
    QByteArray out;
    QByteArray err;
    qint64 elapsedMs = 0;
};

// Runs the jarvis-console that $JARVIS_CONSOLE names to its end (at most 30 s), offscreen, in
// `env`; the event loop runs meanwhile.
inline RunResult runConsole(const QStringList &args, QProcessEnvironment env)
{
    QProcess p;
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    p.setProcessEnvironment(env);
    QElapsedTimer t;
    t.start();
    p.start(qEnvironmentVariable("JARVIS_CONSOLE"), args);
    RunResult r;
    if (!p.waitForStarted(10000))
        return r;
    while (p.state() != QProcess::NotRunning && t.elapsed() < 30000)
        QTest::qWait(20);
    if (p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.elapsedMs = t.elapsed();
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}
