import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The guests table: search, node/status/type filters, sortable columns, and per guest
// Start / Shutdown / Stop / Restart, enabled where they apply and disabled with the reason where
// not (protected, locked, template, wrong state, busy). Start runs at once; the RED actions ask
// first (ConfirmDialog). `model` is the GuestFilterModel (or any model with the GuestListModel
// roles); its search/filter/sort properties are set when it has them.
FocusScope {
    id: root
    property var model
    property int total: model ? model.count : 0
    property var nodeNames: []
    property var pending: ({}) // "vmid" -> what runs (session.pending)
    property string failure
    signal actionRequested(string action, var guest, bool confirmed)
    // The guest's name was clicked: show its charts (HistoryPopup).
    signal chartsRequested(var guest)
    signal dismissFailure()

    readonly property var actions: [
        { action: "start", label: "Start" },
        { action: "shutdown", label: "Shutdown" },
        { action: "stop", label: "Stop" },
        { action: "restart", label: "Restart" }
    ]
    readonly property var columns: [
        { key: "vmid", label: "VMID", width: 52 },
        { key: "name", label: "Name", width: -1 },
        { key: "type", label: "Type", width: 40 },
        { key: "node", label: "Node", width: 70 },
        { key: "status", label: "Status", width: 116 },
        { key: "cpu", label: "CPU", width: 56 },
        { key: "mem", label: "Memory", width: 124 },
        { key: "uptime", label: "Uptime", width: 60 },
        { key: "", label: "Actions", width: 262 }
    ]
    property string sortKey: "vmid"
    property bool sortAscending: true

    function setModelProperty(name, value) {
        if (model && model[name] !== undefined)
            model[name] = value
    }
    function sortBy(key) {
        if (sortKey === key)
            sortAscending = !sortAscending
        else {
            sortKey = key
            sortAscending = !(key === "cpu" || key === "mem" || key === "uptime")
        }
        setModelProperty("sortRoleName", sortKey)
        setModelProperty("sortAscending", sortAscending)
    }
    // Why `action` cannot run on `g` now; empty when it can.
    function reason(g, action) {
        if (g.disabledReason)
            return g.disabledReason
        if (g.busy || root.pending[String(g.vmid)] !== undefined)
            return "An action is already running on this guest"
        if (g.template)
            return "Templates cannot be started or stopped"
        const can = action === "start" ? g.canStart : action === "shutdown" ? g.canShutdown
                  : action === "stop" ? g.canStop : g.canRestart
        return can ? "" : "The guest is " + g.status
    }
    // Start at once; the RED ones after the dialog.
    function request(g, action, label) {
        if (action === "start") {
            root.actionRequested(action, g, false)
            return
        }
        confirm.action = action
        confirm.actionLabel = label
        confirm.guest = g
        confirm.open()
    }

    ConfirmDialog {
        id: confirm
        parent: Overlay.overlay
        onConfirmedAction: (action, guest) => root.actionRequested(action, guest, true)
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 8

        RowLayout {
            spacing: 8
            Layout.fillWidth: true
            TextField {
                id: search
                objectName: "guestSearch"
                Layout.fillWidth: true
                placeholderText: "Search name, vmid, node, tag…"
                Accessible.name: "Search"
                onTextChanged: root.setModelProperty("search", text)
            }
            ComboBox {
                objectName: "nodeFilter"
                Accessible.name: "Node filter"
                model: ["All nodes"].concat(root.nodeNames)
                onActivated: (i) => root.setModelProperty("nodeFilter", i === 0 ? "" : currentText)
            }
            ComboBox {
                objectName: "statusFilter"
                Accessible.name: "Status filter"
                model: ["All statuses", "running", "stopped", "paused"]
                onActivated: (i) => root.setModelProperty("statusFilter", i === 0 ? "" : currentText)
            }
            ComboBox {
                objectName: "typeFilter"
                Accessible.name: "Type filter"
                textRole: "text"
                valueRole: "value"
                model: [{ text: "All types", value: "" }, { text: "VM", value: "qemu" }, { text: "CT", value: "lxc" }]
                onActivated: root.setModelProperty("typeFilter", currentValue)
            }
        }

        Rectangle {
            objectName: "actionFailure"
            visible: root.failure !== ""
            Layout.fillWidth: true
            implicitHeight: failureText.implicitHeight + 12
            color: Qt.rgba(Theme.bad.r, Theme.bad.g, Theme.bad.b, 0.15)
            border.color: Theme.bad
            radius: Theme.radius
            Accessible.role: Accessible.AlertMessage
            Accessible.name: root.failure
            RowLayout {
                anchors.fill: parent
                anchors.margins: 6
                Text {
                    id: failureText
                    Layout.fillWidth: true
                    text: root.failure
                    color: Theme.text
                    wrapMode: Text.Wrap
                }
                Button {
                    text: "Dismiss"
                    flat: true
                    onClicked: root.dismissFailure()
                }
            }
        }

        // Column headers (sort buttons).
        Row {
            id: headerRow
            Layout.fillWidth: true
            height: 26
            Repeater {
                model: root.columns
                delegate: Item {
                    required property var modelData
                    width: modelData.width > 0 ? modelData.width : Math.max(80, headerRow.width - 742)
                    height: 26
                    Text {
                        anchors.verticalCenter: parent.verticalCenter
                        leftPadding: 6
                        text: modelData.label + (root.sortKey === modelData.key && modelData.key ? (root.sortAscending ? " ▲" : " ▼") : "")
                        color: Theme.muted
                        font.pixelSize: Theme.smallFont
                        font.bold: true
                    }
                    MouseArea {
                        anchors.fill: parent
                        enabled: modelData.key !== ""
                        cursorShape: enabled ? Qt.PointingHandCursor : Qt.ArrowCursor
                        onClicked: root.sortBy(modelData.key)
                    }
                    Accessible.role: Accessible.ColumnHeader
                    Accessible.name: modelData.label
                }
            }
        }

        ListView {
            id: list
            objectName: "guestList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: root.model
            boundsBehavior: Flickable.StopAtBounds
            ScrollBar.vertical: ScrollBar {}
            Accessible.role: Accessible.Table
            Accessible.name: "Guests"

            delegate: Rectangle {
                id: row
                required property int index
                required property int vmid
                required property string name
                required property string node
                required property string type
                required property string status
                required property real cpu
                required property real mem
                required property real maxmem
                required property real uptime
                required property var tags
                required property string lock
                required property bool template
                required property bool isProtected
                required property bool canStart
                required property bool canShutdown
                required property bool canStop
                required property bool canRestart
                required property string disabledReason
                required property bool busy
                readonly property var guest: ({ vmid: vmid, name: name, node: node, type: type, status: status,
                                                template: template, lock: lock, isProtected: isProtected,
                                                canStart: canStart, canShutdown: canShutdown, canStop: canStop,
                                                canRestart: canRestart, disabledReason: disabledReason, busy: busy })
                readonly property string pendingText: root.pending[String(vmid)] || ""

                width: list.width
                height: 34
                color: index % 2 ? Theme.rowAlt : "transparent"
                Accessible.role: Accessible.Row
                Accessible.name: name + " (" + vmid + ")"

                Row {
                    anchors.fill: parent
                    Cell { width: 52; text: row.vmid }
                    Item {
                        width: Math.max(80, headerRow.width - 742)
                        height: parent.height
                        clip: true
                        Row {
                            anchors.verticalCenter: parent.verticalCenter
                            leftPadding: 6
                            spacing: 4
                            Text {
                                objectName: "name-" + row.vmid
                                text: row.name
                                color: nameArea.containsMouse ? Theme.accent : Theme.text
                                font.pixelSize: Theme.fontSize
                                font.underline: nameArea.containsMouse
                                Accessible.role: Accessible.Button
                                Accessible.name: row.name + ": charts"
                                Accessible.onPressAction: root.chartsRequested(row.guest)
                                MouseArea {
                                    id: nameArea
                                    anchors.fill: parent
                                    hoverEnabled: true
                                    cursorShape: Qt.PointingHandCursor
                                    onClicked: root.chartsRequested(row.guest)
                                }
                            }
                            Pill { visible: row.lock !== ""; text: row.lock; tone: Theme.warn }
                            Pill { visible: row.template; text: "template" }
                            Repeater {
                                model: row.tags || []
                                Pill { required property var modelData; text: modelData; tone: Theme.accent }
                            }
                        }
                    }
                    Cell { width: 40; text: row.type === "lxc" ? "CT" : "VM" }
                    Cell { width: 70; text: row.node }
                    Item {
                        width: 116
                        height: parent.height
                        Row {
                            anchors.verticalCenter: parent.verticalCenter
                            leftPadding: 6
                            spacing: 6
                            BusyIndicator {
                                visible: row.pendingText !== "" || row.busy
                                running: visible
                                width: 16
                                height: 16
                            }
                            Text {
                                objectName: "status-" + row.vmid
                                text: row.pendingText !== "" ? row.pendingText : row.status
                                color: row.pendingText !== "" ? Theme.accent : Theme.statusColor(row.status)
                                font.pixelSize: Theme.fontSize
                                width: 92
                                elide: Text.ElideRight
                            }
                        }
                    }
                    Cell { width: 56; text: row.status === "running" ? Theme.pct(row.cpu) : "—" }
                    Cell {
                        width: 124
                        text: row.status === "running" ? Theme.bytes(row.mem) + " / " + Theme.bytes(row.maxmem) : Theme.bytes(row.maxmem)
                    }
                    Cell { width: 60; text: Theme.duration(row.uptime) }
                    Row {
                        width: 262
                        height: parent.height
                        spacing: 3
                        Repeater {
                            model: root.actions
                            delegate: Item {
                                id: slot
                                required property var modelData
                                readonly property string why: root.reason(row.guest, modelData.action)
                                width: button.implicitWidth
                                height: parent.height
                                Button {
                                    id: button
                                    objectName: "action-" + slot.modelData.action + "-" + row.vmid
                                    anchors.verticalCenter: parent.verticalCenter
                                    text: slot.modelData.label
                                    enabled: slot.why === ""
                                    opacity: enabled ? 1 : 0.4
                                    font.pixelSize: Theme.smallFont
                                    topPadding: 4
                                    bottomPadding: 4
                                    leftPadding: 7
                                    rightPadding: 7
                                    // Basic's 100 px minimum would push Restart out of the row.
                                    implicitWidth: implicitContentWidth + leftPadding + rightPadding
                                    palette.buttonText: slot.modelData.action === "start" ? Theme.text : "#ffb3ad"
                                    Accessible.name: slot.modelData.label + " " + row.name
                                    Accessible.description: slot.why
                                    onClicked: root.request(row.guest, slot.modelData.action, slot.modelData.label)
                                }
                                HoverHandler { id: hover }
                                ToolTip.visible: hover.hovered
                                ToolTip.delay: 400
                                ToolTip.text: slot.why !== "" ? slot.why : slot.modelData.label + " " + row.name
                            }
                        }
                    }
                }
            }

            Text {
                anchors.centerIn: parent
                visible: list.count === 0
                text: root.total > 0 ? "No guest matches." : "No guests yet"
                color: Theme.muted
            }
        }
    }

    component Cell: Item {
        property alias text: label.text
        height: parent ? parent.height : 30
        Text {
            id: label
            anchors.verticalCenter: parent.verticalCenter
            leftPadding: 6
            width: parent.width
            elide: Text.ElideRight
            color: Theme.text
            font.pixelSize: Theme.fontSize
        }
    }
}
