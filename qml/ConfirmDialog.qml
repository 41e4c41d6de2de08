import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Confirmation for a RED action, naming the guest and the consequence:
// "Stop postgres-main (101) on pve1?". Cancel has the focus; Escape cancels.
Dialog {
    id: dialog
    objectName: "confirmDialog"
    property string action
    property string actionLabel
    property var guest: ({})
    signal confirmedAction(string action, var guest)

    readonly property var consequences: ({
        "shutdown": "The guest's operating system is asked to shut down cleanly; its services go offline until it is started again.",
        "stop": "The guest is powered off immediately, like pulling the plug: anything not saved inside it is lost and its services go offline.",
        "restart": "The guest reboots; its services are unavailable until it is back up."
    })
    readonly property string question: actionLabel + " " + (guest.name || "") + " (" + guest.vmid + ") on " + (guest.node || "") + "?"

    modal: true
    focus: true
    anchors.centerIn: Overlay.overlay
    width: Math.min(520, (parent ? parent.width : 520) - 40)
    title: question
    closePolicy: Popup.CloseOnEscape

    background: Rectangle {
        color: Theme.panel
        border.color: Theme.bad
        radius: Theme.radius
    }
    header: Text {
        text: dialog.question
        color: Theme.text
        font.pixelSize: 16
        font.bold: true
        padding: 16
        bottomPadding: 4
        wrapMode: Text.Wrap
    }
    contentItem: Text {
        text: (dialog.consequences[dialog.action] || "") + "\n\n" + ((dialog.guest.type === "lxc") ? "Container" : "Virtual machine") + " " + dialog.guest.vmid + " on node " + dialog.guest.node + "."
        color: Theme.muted
        wrapMode: Text.Wrap
        font.pixelSize: Theme.fontSize
        Accessible.role: Accessible.AlertMessage
        Accessible.name: dialog.question
        Accessible.description: text
    }
    footer: DialogButtonBox {
        background: Rectangle { color: "transparent" }
        Button {
            id: cancelButton
            objectName: "confirmCancel"
            text: "Cancel"
            DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
        }
        Button {
            objectName: "confirmAccept"
            text: dialog.actionLabel
            DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
            palette.button: Theme.bad
            palette.buttonText: "white"
        }
    }
    onOpened: cancelButton.forceActiveFocus()
    onAccepted: confirmedAction(action, guest)
}
