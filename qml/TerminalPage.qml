import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Jarvis.Console.Native

// A shell on a node over /terminal: pick the node, Open; the TerminalItem takes the keyboard.
// Protected nodes are not offered (jarvisd refuses their terminals).
Item {
    id: page
    property var session
    property var nodesModel
    readonly property alias terminalSession: term

    function openTerminal() {
        if (page.session && nodeBox.currentText !== "")
            term.open(page.session.serverUrl, page.session.token, nodeBox.currentText)
        screen.forceActiveFocus()
    }

    TerminalSession {
        id: term
        objectName: "terminalSession"
        terminal: screen
        Component.onCompleted: if (page.session) page.session.prepareTerminal(term)
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 12
        spacing: 8
        RowLayout {
            spacing: 8
            Label { text: "Node"; color: Theme.muted }
            ComboBox {
                id: nodeBox
                objectName: "terminalNode"
                Accessible.name: "Node"
                model: page.session ? page.session.terminalNodes : []
                implicitWidth: 180
            }
            Button {
                objectName: "terminalOpen"
                text: term.state === "open" || term.state === "connecting" ? "Reopen" : "Open"
                enabled: nodeBox.currentText !== ""
                onClicked: page.openTerminal()
            }
            Button {
                text: "Close"
                enabled: term.state === "open" || term.state === "connecting"
                onClicked: term.close()
            }
            Text {
                objectName: "terminalState"
                Layout.fillWidth: true
                text: term.state === "open" ? "Connected to " + term.node + (term.host ? " (" + term.host + ")" : "")
                    : term.state === "connecting" ? "Connecting…"
                    : term.state === "exited" ? "The shell ended (exit code " + term.exitCode + ")"
                    : term.state === "failed" ? term.errorText : ""
                color: term.state === "failed" ? Theme.bad : Theme.muted
                elide: Text.ElideRight
            }
        }
        Rectangle {
            Layout.fillWidth: true
            Layout.fillHeight: true
            color: "#000000"
            border.color: screen.activeFocus ? Theme.accent : Theme.border
            radius: 4
            TerminalItem {
                id: screen
                objectName: "terminalItem"
                anchors.fill: parent
                anchors.margins: 4
                focus: true
                Accessible.role: Accessible.Terminal
                Accessible.name: "Terminal"
            }
        }
    }
}
