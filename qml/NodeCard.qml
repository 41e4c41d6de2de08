import QtQuick
import QtQuick.Layouts

// One node: status, CPU, memory, disk, uptime, load, hottest temperature, CPU/memory sparklines.
Rectangle {
    id: card
    required property string name
    required property string status
    required property real cpu
    required property int maxcpu
    required property real mem
    required property real maxmem
    required property real memFraction
    required property real disk
    required property real maxdisk
    required property real diskFraction
    required property real uptime
    required property var loadavg
    required property real hottest
    required property bool hasTemperature
    required property var cpuHistory
    required property var memHistory
    required property var historyTimes
    required property bool isProtected

    implicitWidth: 300
    implicitHeight: 176
    color: Theme.panelAlt
    radius: Theme.radius
    border.color: Theme.border
    Accessible.role: Accessible.Grouping
    Accessible.name: name
    Accessible.description: status

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 10
        spacing: 5
        RowLayout {
            spacing: 6
            Text {
                text: card.name
                color: Theme.text
                font.pixelSize: 15
                font.bold: true
                Layout.fillWidth: true
                elide: Text.ElideRight
            }
            Pill {
                visible: card.isProtected
                text: "protected"
                tone: Theme.warn
            }
            Pill {
                text: card.status
                tone: Theme.statusColor(card.status)
            }
        }
        UsageBar {
            Layout.fillWidth: true
            label: "CPU"
            fraction: card.cpu
            text: Theme.pct(card.cpu) + " of " + card.maxcpu
        }
        UsageBar {
            Layout.fillWidth: true
            label: "Memory"
            fraction: card.memFraction
            text: Theme.bytes(card.mem) + " / " + Theme.bytes(card.maxmem)
        }
        UsageBar {
            Layout.fillWidth: true
            label: "Disk"
            fraction: card.diskFraction
            text: Theme.bytes(card.disk) + " / " + Theme.bytes(card.maxdisk)
        }
        RowLayout {
            spacing: 10
            Text {
                text: "Up " + Theme.duration(card.uptime)
                color: Theme.muted
                font.pixelSize: Theme.smallFont
            }
            Text {
                text: card.loadavg && card.loadavg.length ? "Load " + card.loadavg.map(v => Number(v).toFixed(2)).join(" ") : ""
                color: Theme.muted
                font.pixelSize: Theme.smallFont
            }
            Item { Layout.fillWidth: true }
            Text {
                text: card.hasTemperature ? Math.round(card.hottest) + " °C" : "— °C"
                color: card.hasTemperature && card.hottest >= 80 ? Theme.bad
                     : card.hasTemperature && card.hottest >= 70 ? Theme.warn : Theme.text
                font.pixelSize: Theme.smallFont
                Accessible.name: card.hasTemperature ? "Hottest " + Math.round(card.hottest) + " °C" : "Temperature unknown"
            }
        }
        RowLayout {
            spacing: 8
            Text { text: "CPU 1 h"; color: Theme.muted; font.pixelSize: 10 }
            Sparkline {
                Layout.fillWidth: true
                Layout.preferredHeight: 22
                values: card.cpuHistory
                times: card.historyTimes
                color: Theme.accent
            }
            Text { text: "Mem 1 h"; color: Theme.muted; font.pixelSize: 10 }
            Sparkline {
                Layout.fillWidth: true
                Layout.preferredHeight: 22
                values: card.memHistory
                times: card.historyTimes
                color: "#a371f7"
            }
        }
    }
}
