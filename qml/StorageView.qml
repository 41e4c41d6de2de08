import QtQuick
import QtQuick.Layouts

// Storage per node: name, node, type, status, usage.
ListView {
    id: view
    clip: true
    spacing: 6
    boundsBehavior: Flickable.StopAtBounds
    Accessible.role: Accessible.List
    Accessible.name: "Storage"
    delegate: ColumnLayout {
        required property string storage
        required property string node
        required property string type
        required property string status
        required property real used
        required property real total
        required property real usedFraction
        width: view.width
        spacing: 2
        Accessible.role: Accessible.ListItem
        Accessible.name: storage + " on " + node
        RowLayout {
            Text { text: storage; color: Theme.text; font.pixelSize: Theme.fontSize; font.bold: true }
            Text { text: node + " · " + type; color: Theme.muted; font.pixelSize: Theme.smallFont; Layout.fillWidth: true; elide: Text.ElideRight }
            Text { visible: status !== "active"; text: status; color: Theme.bad; font.pixelSize: Theme.smallFont }
        }
        UsageBar {
            Layout.fillWidth: true
            label: Theme.pct(usedFraction)
            fraction: usedFraction
            text: Theme.bytes(used) + " / " + Theme.bytes(total)
        }
    }
}
