import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// One guest's (or node's) history: CPU, memory, network and disk I/O for the last hour or 24 h,
// asked with session.requestHistory (the `history` request with ack, PROTOCOL.md); loading and
// errors in words, with Retry; asked again every minute while open. open() with `targetId`
// ("qemu/101", "lxc/200", "node/pve1") and `targetTitle` set.
Dialog {
    id: popup
    objectName: "historyPopup"
    property var session
    property string targetId
    property string targetTitle
    property string range: "hour"
    property string phase: "loading" // "loading" | "error" | "ready"
    property string error
    property var series: null

    modal: true
    focus: true
    anchors.centerIn: Overlay.overlay
    width: Math.min(980, (parent ? parent.width : 980) - 40)
    height: Math.min(560, (parent ? parent.height : 560) - 40)
    closePolicy: Popup.CloseOnEscape | Popup.CloseOnPressOutside
    title: targetTitle

    function load() {
        phase = "loading"
        error = ""
        if (session)
            session.requestHistory(targetId, range)
    }
    function pick(r) {
        if (range === r)
            return
        range = r
        load()
    }
    onOpened: {
        range = "hour"
        series = null
        load()
    }

    // While open, asked again every minute (every 5 in the 24 h view): the charts keep up.
    Timer {
        interval: popup.range === "day" ? 300000 : 60000
        running: popup.opened && popup.phase === "ready"
        repeat: true
        onTriggered: if (popup.session) popup.session.requestHistory(popup.targetId, popup.range)
    }

    Connections {
        target: popup.session
        function onHistoryAnswered(id, range, ok, series, error) {
            if (!popup.opened || id !== popup.targetId || range !== popup.range)
                return // an answer for another guest or range
            if (ok) {
                popup.series = series
                popup.phase = "ready"
            } else {
                popup.error = error
                popup.phase = "error"
            }
        }
    }

    readonly property int span: range === "day" ? 86400 : 3600
    readonly property var times: series ? series.t : []
    function rate(v) { return Theme.bytes(v) + "/s" }

    background: Rectangle {
        color: Theme.panel
        border.color: Theme.border
        radius: Theme.radius
    }
    header: RowLayout {
        spacing: 8
        Text {
            Layout.fillWidth: true
            Layout.margins: 12
            text: popup.targetTitle
            color: Theme.text
            font.pixelSize: 16
            font.bold: true
            elide: Text.ElideRight
        }
        Button {
            objectName: "rangeHour"
            text: "1 h"
            checkable: true
            checked: popup.range === "hour"
            Accessible.name: "Last hour"
            onClicked: popup.pick("hour")
        }
        Button {
            objectName: "rangeDay"
            text: "24 h"
            checkable: true
            checked: popup.range === "day"
            Accessible.name: "Last 24 hours"
            onClicked: popup.pick("day")
        }
        Button {
            objectName: "historyClose"
            Layout.rightMargin: 12
            text: "Close"
            flat: true
            onClicked: popup.close()
        }
    }

    contentItem: Item {
        RowLayout {
            objectName: "historyLoading"
            anchors.centerIn: parent
            visible: popup.phase === "loading"
            BusyIndicator { running: parent.visible; implicitWidth: 24; implicitHeight: 24 }
            Text {
                text: "Loading the " + (popup.range === "day" ? "last 24 hours" : "last hour") + "…"
                color: Theme.muted
            }
        }
        RowLayout {
            objectName: "historyError"
            anchors.centerIn: parent
            width: parent.width - 40
            visible: popup.phase === "error"
            Text {
                Layout.fillWidth: true
                text: "History unavailable: " + popup.error
                color: Theme.bad
                wrapMode: Text.Wrap
                Accessible.role: Accessible.AlertMessage
                Accessible.name: text
            }
            Button {
                objectName: "historyRetry"
                text: "Retry"
                onClicked: popup.load()
            }
        }
        GridLayout {
            objectName: "historyCharts"
            anchors.fill: parent
            visible: popup.phase === "ready"
            columns: 2
            rowSpacing: 10
            columnSpacing: 10
            TimeChart {
                objectName: "chartCpu"
                Layout.fillWidth: true
                Layout.fillHeight: true
                title: "CPU"
                times: popup.times
                span: popup.span
                maxValue: 1
                format: (v) => Theme.pct(v)
                lines: popup.series ? [{ values: popup.series.cpu, color: Theme.accent, label: "CPU" }] : []
            }
            TimeChart {
                objectName: "chartMemory"
                Layout.fillWidth: true
                Layout.fillHeight: true
                title: popup.series && popup.series.maxmem > 0 ? "Memory (of " + Theme.bytes(popup.series.maxmem) + ")" : "Memory"
                times: popup.times
                span: popup.span
                maxValue: popup.series && popup.series.maxmem > 0 ? popup.series.maxmem : 0
                minTop: 1048576
                format: (v) => Theme.bytes(v)
                lines: popup.series ? [{ values: popup.series.mem, color: "#a371f7", label: "Memory" }] : []
            }
            TimeChart {
                objectName: "chartNetwork"
                Layout.fillWidth: true
                Layout.fillHeight: true
                title: "Network"
                times: popup.times
                span: popup.span
                minTop: 1024
                format: popup.rate
                lines: popup.series ? [{ values: popup.series.netin, color: Theme.ok, label: "in" },
                                       { values: popup.series.netout, color: Theme.warn, label: "out" }] : []
            }
            TimeChart {
                objectName: "chartDisk"
                Layout.fillWidth: true
                Layout.fillHeight: true
                title: "Disk I/O"
                times: popup.times
                span: popup.span
                minTop: 1024
                format: popup.rate
                lines: popup.series ? [{ values: popup.series.diskread, color: "#6cb6ff", label: "read" },
                                       { values: popup.series.diskwrite, color: Theme.bad, label: "write" }] : []
            }
        }
    }
}
