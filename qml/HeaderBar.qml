import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The header: cluster name, quorum, online nodes, running guests, Live/Stale with the age,
// Reconnecting…, the views and Log out.
Rectangle {
    id: bar
    property var session
    property var nodesModel
    property var guestsModel
    property int currentView: 0
    signal viewSelected(int index)
    signal logoutRequested()

    readonly property var quorum: session ? session.quorum : ({})
    readonly property bool hasQuorum: quorum && quorum.quorate !== undefined

    implicitHeight: 56 + (banner.visible ? banner.height : 0)
    color: Theme.panel
    border.color: Theme.border

    Rectangle {
        id: banner
        objectName: "reconnectBanner"
        visible: bar.session && bar.session.reconnecting
        anchors.top: parent.top
        width: parent.width
        height: 24
        color: Theme.warn
        Accessible.role: Accessible.AlertMessage
        Accessible.name: reconnectLabel.text
        Text {
            id: reconnectLabel
            anchors.centerIn: parent
            text: bar.session ? (bar.session.reconnectText || "Reconnecting…") : ""
            color: "#1b1300"
            font.bold: true
        }
    }

    RowLayout {
        anchors.left: parent.left
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        height: 56
        anchors.leftMargin: 16
        anchors.rightMargin: 12
        spacing: 22

        Column {
            Text { text: "J.A.R.V.I.S."; color: Theme.accent; font.pixelSize: 10; font.letterSpacing: 2; font.bold: true }
            Text {
                text: bar.quorum && bar.quorum.clusterName ? bar.quorum.clusterName : "Proxmox cluster"
                color: Theme.text
                font.pixelSize: 17
                font.bold: true
            }
        }
        Stat {
            label: "Quorum"
            value: bar.hasQuorum ? (bar.quorum.quorate ? "quorate " : "not quorate ") + bar.quorum.totalVotes + "/" + bar.quorum.expectedVotes : "—"
            tone: bar.hasQuorum ? (bar.quorum.quorate ? Theme.ok : Theme.bad) : Theme.text
            accessibleValue: bar.hasQuorum ? value + " votes" : "unknown"
        }
        Stat {
            objectName: "nodesStat"
            label: "Nodes"
            value: bar.nodesModel ? bar.nodesModel.onlineCount + "/" + bar.nodesModel.count : "—"
            accessibleValue: value + " online"
        }
        Stat {
            objectName: "guestsStat"
            label: "Guests"
            value: bar.guestsModel ? bar.guestsModel.runningCount + "/" + bar.guestsModel.count : "—"
            accessibleValue: value + " running"
        }
        Row {
            spacing: 6
            objectName: "liveIndicator"
            Accessible.role: Accessible.StaticText
            Accessible.name: liveText.text
            Rectangle {
                anchors.verticalCenter: parent.verticalCenter
                width: 10; height: 10; radius: 5
                color: bar.session && bar.session.live ? Theme.ok : Theme.bad
            }
            Text {
                id: liveText
                text: bar.session && bar.session.live ? "Live" : "Stale " + (bar.session ? bar.session.ageText : "")
                color: Theme.text
                font.pixelSize: Theme.fontSize
            }
        }
        Item { Layout.fillWidth: true }
        TabBar {
            id: tabs
            currentIndex: bar.currentView
            onCurrentIndexChanged: bar.viewSelected(currentIndex)
            Accessible.name: "Views"
            TabButton { text: "Dashboard"; width: implicitWidth + 16 }
            TabButton { text: "Terminal"; width: implicitWidth + 16 }
        }
        Button {
            text: "Log out"
            flat: true
            onClicked: bar.logoutRequested()
        }
    }

    component Stat: Column {
        property string label
        property string value
        property string accessibleValue
        property color tone: Theme.text
        Accessible.role: Accessible.StaticText
        Accessible.name: label + " " + accessibleValue
        Text { text: parent.label; color: Theme.muted; font.pixelSize: Theme.smallFont }
        Text { text: parent.value; color: parent.tone; font.pixelSize: 15; font.bold: true }
    }
}
