import QtQuick

// A small rounded label ("online", "protected", a tag).
Rectangle {
    property alias text: label.text
    property color tone: Theme.muted
    implicitWidth: label.implicitWidth + 12
    implicitHeight: label.implicitHeight + 4
    radius: height / 2
    color: Qt.rgba(tone.r, tone.g, tone.b, 0.16)
    border.color: Qt.rgba(tone.r, tone.g, tone.b, 0.5)
    Text {
        id: label
        anchors.centerIn: parent
        color: parent.tone
        font.pixelSize: Theme.smallFont
    }
}
