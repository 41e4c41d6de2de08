import QtQuick
import QtQuick.Layouts

// The event log, newest first: time, severity, title and message.
ListView {
    id: view
    clip: true
    spacing: 4
    boundsBehavior: Flickable.StopAtBounds
    Accessible.role: Accessible.List
    Accessible.name: "Event log"
    delegate: RowLayout {
        required property string severity
        required property string title
        required property string message
        required property string timestamp
        width: view.width
        spacing: 8
        Accessible.role: Accessible.ListItem
        Accessible.name: title + ": " + message
        Text { text: Theme.time(timestamp); color: Theme.muted; font.pixelSize: Theme.smallFont; Layout.alignment: Qt.AlignTop }
        Rectangle { width: 8; height: 8; radius: 4; color: Theme.severityColor(severity); Layout.alignment: Qt.AlignTop; Layout.topMargin: 4 }
        Text {
            Layout.fillWidth: true
            text: title + (message ? " — " + message : "")
            textFormat: Text.PlainText
            color: Theme.text
            font.pixelSize: Theme.smallFont
            wrapMode: Text.Wrap
            maximumLineCount: 2
            elide: Text.ElideRight
        }
    }
    Text {
        anchors.centerIn: parent
        visible: view.count === 0
        text: "No events yet"
        color: Theme.muted
    }
}
