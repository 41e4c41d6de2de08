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
            // Trust on first use: the server's certificate is not signed by a CA this system
            // trusts; its fingerprint is shown, pinned when the user confirms it.
            Rectangle {
                objectName: "tlsConfirm"
                visible: page.session && page.session.state === "confirmTls"
                Layout.fillWidth: true
                implicitHeight: tlsColumn.implicitHeight + 16
                color: Qt.rgba(Theme.warn.r, Theme.warn.g, Theme.warn.b, 0.12)
                border.color: Theme.warn
                radius: Theme.radius
                ColumnLayout {
                    id: tlsColumn
                    anchors.fill: parent
                    anchors.margins: 8
                    Text {
                        Layout.fillWidth: true
                        wrapMode: Text.Wrap
                        color: Theme.text
                        text: "First connection to " + (page.session ? page.session.tlsServer : "")
                              + ". Its certificate is not signed by an authority this system trusts. "
                              + "Trust it only if this SHA-256 fingerprint is the one of your jarvisd:"
                    }
                    TextEdit {
                        objectName: "tlsFingerprint"
                        Layout.fillWidth: true
                        readOnly: true
                        selectByMouse: true
                        wrapMode: TextEdit.WrapAnywhere
                        color: Theme.text
                        font.family: "monospace"
                        font.pixelSize: Theme.smallFont
                        text: page.session ? page.session.tlsFingerprint : ""
                        Accessible.name: "Certificate fingerprint"
                    }
                    RowLayout {
                        Button {
                            objectName: "tlsTrust"
                            text: "Trust and connect"
                            onClicked: page.session.confirmTls(true)
                        }
                        Button {
                            objectName: "tlsCancel"
                            text: "Cancel"
                            onClicked: page.session.confirmTls(false)
                        }
                    }
                }
            }
            Button {
                objectName: "loginButton"
                Layout.fillWidth: true
                text: page.session && page.session.state === "loggingIn" ? "Logging in…" : "Log in"
                enabled: !page.session || page.session.state === "connect"
                highlighted: true
                onClicked: page.submit()
            }
        }
    }
}
