import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Connect: server URL, password, Remember me (off, with the reason, when no keychain runs),
// and what went wrong in words.
Item {
    id: page
    property var session
    property string initialServer: "http://127.0.0.1:8080"

    function submit() {
        if (session)
            session.login(server.text, password.text, remember.checked && session.keychainAvailable)
    }

    Rectangle {
        anchors.centerIn: parent
        width: 420
        height: form.implicitHeight + 48
        color: Theme.panel
        radius: Theme.radius
        border.color: Theme.border

        ColumnLayout {
            id: form
            anchors.fill: parent
            anchors.margins: 24
            spacing: 10

            Text { text: "J.A.R.V.I.S."; color: Theme.accent; font.pixelSize: 12; font.letterSpacing: 3; font.bold: true }
            Text { text: "Connect to jarvisd"; color: Theme.text; font.pixelSize: 20; font.bold: true }

            Label { text: "Server"; color: Theme.muted }
            TextField {
                id: server
                objectName: "serverField"
                Layout.fillWidth: true
                text: page.session && page.session.serverUrl ? page.session.serverUrl : page.initialServer
                placeholderText: "https://jarvis.lan:8443"
                Accessible.name: "Server"
                onAccepted: password.forceActiveFocus()
            }
            Label { text: "Password"; color: Theme.muted }
            TextField {
                id: password
                objectName: "passwordField"
                Layout.fillWidth: true
                echoMode: TextInput.Password
                focus: true
                Accessible.name: "Password"
                onAccepted: page.submit()
            }
            CheckBox {
                id: remember
                objectName: "rememberBox"
                text: "Remember me"
                enabled: page.session ? page.session.keychainAvailable : false
                checked: false
                Accessible.description: page.session ? page.session.keychainMessage : ""
            }
            Text {
                visible: text !== ""
                Layout.fillWidth: true
                text: page.session ? page.session.keychainMessage : ""
                color: Theme.warn
                wrapMode: Text.Wrap
                font.pixelSize: Theme.smallFont
            }
            Text {
                objectName: "loginError"
                visible: text !== ""
                Layout.fillWidth: true
                text: page.session ? page.session.errorText : ""
                color: Theme.bad
                wrapMode: Text.Wrap
                Accessible.role: Accessible.AlertMessage
                Accessible.name: text
            }
            Button {
                objectName: "loginButton"
                Layout.fillWidth: true
                text: page.session && page.session.state === "loggingIn" ? "Logging in…" : "Log in"
                enabled: !page.session || page.session.state !== "loggingIn"
                highlighted: true
                onClicked: page.submit()
            }
        }
    }
}
