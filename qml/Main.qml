import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The console's window: Connect until logged in, then the header and the views.
ApplicationWindow {
    id: window
    property var session
    property var nodesModel
    property var guestsModel // GuestListModel (the header's counts)
    property var guestFilter // GuestFilterModel (the table)
    property var storageModel
    property var eventsModel
    property var terminalSession
    property string initialServer: "http://127.0.0.1:8080"

    width: 1280
    height: 800
    visible: true
    title: session && session.state === "connected" ? "Jarvis console — " + session.serverUrl : "Jarvis console"
    color: Theme.bg
    palette.window: Theme.bg
    palette.windowText: Theme.text
    palette.base: Theme.panelAlt
    palette.alternateBase: Theme.rowAlt
    palette.text: Theme.text
    palette.button: Theme.panelAlt
    palette.buttonText: Theme.text
    palette.highlight: Theme.accent
    palette.highlightedText: "#ffffff"
    palette.placeholderText: Theme.muted
    palette.mid: Theme.border
    palette.light: Theme.border
    palette.dark: Theme.border
    palette.shadow: "#000000"
    palette.toolTipBase: Theme.panelAlt
    palette.toolTipText: Theme.text
    palette.brightText: "#ffffff"

    readonly property bool loggedIn: session && session.state === "connected"

    header: HeaderBar {
        visible: window.loggedIn
        height: visible ? implicitHeight : 0
        session: window.session
        nodesModel: window.nodesModel
        guestsModel: window.guestsModel
        currentView: views.currentIndex
        onViewSelected: (i) => {
            views.currentIndex = i
            if (i === 1)
                terminalLoader.wanted = true
        }
        onLogoutRequested: window.session.logout()
    }

    ConnectPage {
        objectName: "connectPage"
        anchors.fill: parent
        visible: !window.loggedIn
        session: window.session
        initialServer: window.initialServer
    }

    StackLayout {
        id: views
        objectName: "views"
        anchors.fill: parent
        visible: window.loggedIn
        Overview {
            objectName: "overview"
            session: window.session
            nodesModel: window.nodesModel
            guestsModel: window.guestFilter
            storageModel: window.storageModel
            eventsModel: window.eventsModel
        }
        // Made when first shown, kept while logged in (switching views keeps the shell).
        Loader {
            id: terminalLoader
            objectName: "terminalPage"
            property bool wanted: false
            active: wanted && window.loggedIn
            sourceComponent: TerminalPage {
                session: window.session
                nodesModel: window.nodesModel
            }
        }
    }
}
