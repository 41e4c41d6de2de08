import QtQuick
import QtQuick.Controls
import QtTest
import Jarvis.Console

// The guests table's actions: the RED ones (Shutdown, Stop, Restart) ask first in a dialog that
// names the guest and run only when confirmed; Start runs at once; a protected guest's actions
// are disabled and say why.
Item {
    id: top
    width: 1100
    height: 480

    ListModel {
        id: guests
    }

    function guestRow(vmid, name, node, type, status, extra) {
        const running = status === "running"
        const row = {
            vmid: vmid, name: name, node: node, type: type, status: status,
            cpu: running ? 0.12 : 0, maxcpu: 2, mem: running ? 512 * 1048576 : 0, maxmem: 2048 * 1048576,
            uptime: running ? 7200 : 0, tags: [], lock: "", template: false, isProtected: false,
            canStart: !running, canShutdown: running, canStop: running, canRestart: running,
            disabledReason: "", busy: false
        }
        for (const k in extra)
            row[k] = extra[k]
        return row
    }

    GuestsView {
        id: view
        anchors.fill: parent
        model: guests
        nodeNames: ["pve1", "pve2"]
    }

    SignalSpy {
        id: requested
        target: view
        signalName: "actionRequested"
    }

    TestCase {
        name: "GuestsView"
        when: windowShown

        function init() {
            guests.clear()
            guests.append(top.guestRow(100, "web", "pve1", "qemu", "running", {}))
            guests.append(top.guestRow(101, "postgres-main", "pve1", "qemu", "running", {
                isProtected: true, canShutdown: false, canStop: false, canRestart: false,
                disabledReason: "Protected guest" }))
            guests.append(top.guestRow(102, "cache", "pve2", "lxc", "stopped", {}))
            requested.clear()
            waitForRendering(view)
        }

        function cleanup() {
            const d = dialog()
            if (d.opened)
                d.close()
            tryCompare(d, "visible", false)
        }

        function dialog() {
            return findChild(view, "confirmDialog")
        }
        function button(action, vmid) {
            const b = findChild(view, "action-" + action + "-" + vmid)
            verify(b, "the " + action + " button of guest " + vmid)
            return b
        }

        function test_redActionAsksFirst_data() {
            return [
                { tag: "Shutdown", action: "shutdown" },
                { tag: "Stop", action: "stop" },
                { tag: "Restart", action: "restart" }
            ]
        }
        function test_redActionAsksFirst(data) {
            const b = button(data.action, 100)
            verify(b.enabled)
            mouseClick(b)
            const d = dialog()
            tryCompare(d, "opened", true)
            compare(d.question, data.tag + " web (100) on pve1?")
            compare(requested.count, 0, "nothing runs before the confirmation")
            const accept = findChild(d.footer, "confirmAccept")
            verify(accept)
            compare(accept.text, data.tag)
            mouseClick(accept)
            tryCompare(requested, "count", 1)
            compare(requested.signalArguments[0][0], data.action)
            compare(requested.signalArguments[0][1].vmid, 100)
            compare(requested.signalArguments[0][1].node, "pve1")
            compare(requested.signalArguments[0][2], true, "confirmed")
            tryCompare(d, "visible", false)
        }

        function test_cancelRunsNothing() {
            mouseClick(button("stop", 100))
            const d = dialog()
            tryCompare(d, "opened", true)
            mouseClick(findChild(d.footer, "confirmCancel"))
            tryCompare(d, "visible", false)
            compare(requested.count, 0)
        }

        function test_escapeCancels() {
            mouseClick(button("restart", 100))
            const d = dialog()
            tryCompare(d, "opened", true)
            keyClick(Qt.Key_Escape)
            tryCompare(d, "visible", false)
            compare(requested.count, 0)
        }

        function test_startRunsAtOnce() {
            const b = button("start", 102)
            verify(b.enabled)
            mouseClick(b)
            tryCompare(requested, "count", 1)
            compare(requested.signalArguments[0][0], "start")
            compare(requested.signalArguments[0][1].vmid, 102)
            compare(requested.signalArguments[0][1].type, "lxc")
            compare(requested.signalArguments[0][2], false, "Start needs no confirmation")
            verify(!dialog().visible, "no dialog for Start")
        }

        function test_protectedGuestDisabledWithReason_data() {
            return [{ tag: "start" }, { tag: "shutdown" }, { tag: "stop" }, { tag: "restart" }]
        }
        function test_protectedGuestDisabledWithReason(data) {
            const b = button(data.tag, 101)
            verify(!b.enabled, data.tag + " is disabled on a protected guest")
            compare(b.Accessible.description, "Protected guest")
            mouseClick(b)
            compare(requested.count, 0)
            verify(!dialog().visible)
        }

        function test_stateDisablesWithReason() {
            // A stopped guest: Start only; a running one: everything but Start.
            verify(button("start", 102).enabled)
            for (const a of ["shutdown", "stop", "restart"]) {
                verify(!button(a, 102).enabled)
                compare(button(a, 102).Accessible.description, "The guest is stopped")
            }
            verify(!button("start", 100).enabled)
            compare(button("start", 100).Accessible.description, "The guest is running")
        }

        function test_busyGuestDisabled() {
            view.pending = { "100": "Stopping…" }
            for (const a of ["start", "shutdown", "stop", "restart"])
                verify(!button(a, 100).enabled)
            compare(button("stop", 100).Accessible.description, "An action is already running on this guest")
            compare(findChild(view, "status-100").text, "Stopping…")
            view.pending = {}
            verify(button("stop", 100).enabled)
        }
    }
}
