import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The main overview: nodes across the top, the guests table, storage and the event log beside it.
Item {
    id: overview
    property var session
    property var nodesModel
    property var guestsModel // GuestFilterModel
    property var storageModel
    property var eventsModel

    HistoryPopup {
        id: history
        parent: Overlay.overlay
        session: overview.session
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 12
        spacing: 12

        NodesView {
            objectName: "nodesView"
            Layout.fillWidth: true
            Layout.preferredHeight: 176
            model: overview.nodesModel
        }

        RowLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: 12

            Panel {
                Layout.fillWidth: true
                Layout.fillHeight: true
                title: "Guests"
                figure: overview.guestsModel ? overview.guestsModel.count + " shown" : ""
                GuestsView {
                    objectName: "guestsView"
                    anchors.fill: parent
                    model: overview.guestsModel
                    nodeNames: overview.session ? overview.session.nodeNames : []
                    pending: overview.session ? overview.session.pending : ({})
                    failure: overview.session ? overview.session.actionError : ""
                    onActionRequested: (action, g, confirmed) => overview.session.runAction(action, g.vmid, g.node, g.type, g.name, confirmed)
                    onDismissFailure: overview.session.dismissActionError()
                    onChartsRequested: (g) => {
                        history.targetId = (g.type === "lxc" ? "lxc/" : "qemu/") + g.vmid
                        history.targetTitle = g.name + " (" + g.vmid + ") · " + (g.type === "lxc" ? "CT" : "VM") + " on " + g.node
                        history.open()
                    }
                }
            }

            ColumnLayout {
                Layout.preferredWidth: 330
                Layout.maximumWidth: 330
                Layout.fillHeight: true
                spacing: 12
                Panel {
                    Layout.fillWidth: true
                    Layout.preferredHeight: 250
                    title: "Storage"
                    figure: overview.storageModel ? overview.storageModel.count + "" : ""
                    StorageView { anchors.fill: parent; model: overview.storageModel }
                }
                Panel {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    title: "Event log"
                    EventLog { anchors.fill: parent; model: overview.eventsModel }
                }
            }
        }
    }
}
