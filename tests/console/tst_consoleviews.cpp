// Qt Quick Test for the console's views (qml/tst_*.qml), fed models directly: the QML module
// Jarvis.Console linked in (its static plugin), the C++ types registered like the app does.
#include "qmltypes.h"

#include <QQmlEngine>
#include <QtQml/qqmlextensionplugin.h>
#include <QtQuickTest>

Q_IMPORT_QML_PLUGIN(Jarvis_ConsolePlugin)

class Setup : public QObject
{
    Q_OBJECT
public Q_SLOTS:
    void qmlEngineAvailable(QQmlEngine *engine) { jarvis::console::registerQmlTypes(engine); }
};

QUICK_TEST_MAIN_WITH_SETUP(consoleviews, Setup)

#include "tst_consoleviews.moc"
