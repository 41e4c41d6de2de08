#include "qmltypes.h"

#include "consolesession.h"
#include "sparklineitem.h"
#include "terminal/terminalitem.h"
#include "terminal/terminalsession.h"

#include <QQmlEngine>
#include <QtQml>

namespace jarvis::console {

void registerQmlTypes(QQmlEngine *engine)
{
    static bool registered = false;
    if (!registered) {
        registered = true;
        const char *uri = "Jarvis.Console.Native";
        qmlRegisterUncreatableType<ConsoleSession>(
            uri, 1, 0, "ConsoleSession", QStringLiteral("made by the application"));
        qmlRegisterType<SparklineItem>(uri, 1, 0, "SparklineItem");
        qmlRegisterType<TerminalItem>(uri, 1, 0, "TerminalItem");
        qmlRegisterType<TerminalSession>(uri, 1, 0, "TerminalSession");
    }
    if (engine)
        engine->addImportPath(QStringLiteral("qrc:/qt/qml"));
}

} // namespace jarvis::console
