import QtQuick
import QtQuick.Layouts

// The nodes, one card each, side by side (scrolls sideways when there are many).
ListView {
    id: view
    orientation: ListView.Horizontal
    spacing: 10
    clip: true
    implicitHeight: 176
    boundsBehavior: Flickable.StopAtBounds
    Accessible.role: Accessible.List
    Accessible.name: "Nodes"
    delegate: NodeCard {
        width: Math.max(280, (view.width - view.spacing * (Math.min(view.count, 4) - 1)) / Math.max(1, Math.min(view.count, 4)))
        height: view.height
    }
}
