import QtQuick
import QtQuick.Layouts

// A titled panel: the title, an optional figure on the right, then the content.
Rectangle {
    id: panel
    property string title
    property string figure
    default property alias content: body.data
    color: Theme.panel
    radius: Theme.radius
    border.color: Theme.border
    Accessible.role: Accessible.Grouping
    Accessible.name: title

    Text {
        id: heading
        x: Theme.pad
        y: 8
        text: panel.title
        color: Theme.text
        font.pixelSize: 15
        font.bold: true
    }
    Text {
        anchors.right: parent.right
        anchors.rightMargin: Theme.pad
        anchors.verticalCenter: heading.verticalCenter
        text: panel.figure
        color: Theme.muted
        font.pixelSize: Theme.smallFont
    }
    Item {
        id: body
        anchors.fill: parent
        anchors.topMargin: heading.y + heading.height + 8
        anchors.margins: Theme.pad
    }
}
