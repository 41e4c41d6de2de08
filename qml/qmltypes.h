#pragma once

class QQmlEngine;

namespace jarvis::console {

// Registers the console's C++ types for QML under "Jarvis.Console.Native" 1.0 (the session, the
// list models, the terminal) and adds qrc:/qt/qml to `engine`'s import path (Qt 6.4 does not
// have it by default). Call once before loading Main.qml.
void registerQmlTypes(QQmlEngine *engine);

} // namespace jarvis::console
