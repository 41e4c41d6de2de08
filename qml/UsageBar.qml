import QtQuick
import QtQuick.Layouts

// "CPU  ███░░  23 %": a label, a bar of a 0..1 fraction and the figure.
RowLayout {
    id: bar
    property string label
    property real fraction: 0
    property string text
    spacing: 8
    Accessible.role: Accessible.ProgressBar
    Accessible.name: label + " " + text

    Text {
        text: bar.label
        color: Theme.muted
        font.pixelSize: Theme.smallFont
        Layout.preferredWidth: 52
    }
    Rectangle {
        Layout.fillWidth: true
        height: 6
        radius: 3
        color: Theme.border
        Rectangle {
            width: parent.width * Math.max(0, Math.min(1, isNaN(bar.fraction) ? 0 : bar.fraction))
            height: parent.height
            radius: 3
            color: Theme.fractionColor(bar.fraction)
        }
    }
    Text {
        text: bar.text
        color: Theme.text
        font.pixelSize: Theme.smallFont
        horizontalAlignment: Text.AlignRight
        Layout.preferredWidth: 118
        elide: Text.ElideLeft
    }
}
