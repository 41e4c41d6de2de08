import QtQuick
import QtQuick.Controls
import QtTest
import Jarvis.Console

// A guest's charts (HistoryPopup), fed by a stand-in for the session: it asks the hour when
// opened and 24 h when told, shows loading until the answer, the charts with the answer's
// samples (nulls are gaps: NaN), an error in words with Retry, and ignores answers for another
// guest or range. And the guests table asks for it when a guest's name is clicked.
Item {
    id: top
    width: 1100
    height: 700

    QtObject {
        id: fakeSession
        property var asked: []
        signal historyAnswered(string id, string range, bool ok, var series, string error)
        function requestHistory(id, range) {
            asked = asked.concat([id + " " + range])
        }
    }

    function series(id, n, step) {
        const t = [], cpu = [], mem = [], z = []
        for (let i = 0; i < n; i++) {
            t.push(1750000000 - step * (n - 1 - i))
            cpu.push(i === 3 ? NaN : (i % 10) / 10)
            mem.push(i === 3 ? NaN : 1048576 * i)
            z.push(1024 * i)
        }
        return { id: id, t: t, cpu: cpu, mem: mem, memFraction: cpu, maxmem: 1048576 * n,
                 netin: z, netout: z, diskread: z, diskwrite: z, temperature: [] }
    }

    HistoryPopup {
        id: popup
        session: fakeSession
        targetId: "qemu/101"
        targetTitle: "postgres-main (101) · VM on pve1"
    }

    ListModel { id: guests }
    GuestsView {
        id: view
        y: 400
        width: 1100
        height: 200
        model: guests
    }
    SignalSpy {
        id: charts
        target: view
        signalName: "chartsRequested"
    }

    TestCase {
        name: "HistoryPopup"
        when: windowShown

        function init() {
            fakeSession.asked = []
            popup.open()
            tryCompare(popup, "opened", true)
        }
        function cleanup() {
            popup.close()
            tryCompare(popup, "visible", false)
        }
        function chart(name) {
            const c = findChild(popup.contentItem, name)
            verify(c, name)
            return c
        }

        function test_hourThenDay() {
            compare(fakeSession.asked, ["qemu/101 hour"])
            compare(popup.phase, "loading")
            verify(findChild(popup.contentItem, "historyLoading").visible)
            fakeSession.historyAnswered("qemu/101", "hour", true, top.series("qemu/101", 60, 60), "")
            compare(popup.phase, "ready")
            tryCompare(findChild(popup.contentItem, "historyCharts"), "visible", true)
            for (const name of ["chartCpu", "chartMemory", "chartNetwork", "chartDisk"])
                compare(chart(name).samples, 60)
            verify(isNaN(chart("chartCpu").lines[0].values[3]), "a null stays a gap")
            compare(chart("chartCpu").span, 3600)
            compare(chart("chartNetwork").lines.length, 2)
            waitForRendering(popup.contentItem)

            mouseClick(findChild(popup.header, "rangeDay"))
            compare(fakeSession.asked, ["qemu/101 hour", "qemu/101 day"])
            compare(popup.phase, "loading")
            // A late answer for the hour, and one for another guest, change nothing.
            fakeSession.historyAnswered("qemu/101", "hour", true, top.series("qemu/101", 5, 60), "")
            fakeSession.historyAnswered("qemu/102", "day", true, top.series("qemu/102", 5, 60), "")
            compare(popup.phase, "loading")
            fakeSession.historyAnswered("qemu/101", "day", true, top.series("qemu/101", 1440, 60), "")
            compare(popup.phase, "ready")
            compare(chart("chartCpu").samples, 1440)
            compare(chart("chartCpu").span, 86400)
        }

        function test_errorAndRetry() {
            fakeSession.historyAnswered("qemu/101", "hour", false, {}, "no history for qemu/101")
            compare(popup.phase, "error")
            const error = findChild(popup.contentItem, "historyError")
            tryCompare(error, "visible", true)
            verify(!findChild(popup.contentItem, "historyCharts").visible)
            mouseClick(findChild(popup.contentItem, "historyRetry"))
            compare(fakeSession.asked, ["qemu/101 hour", "qemu/101 hour"])
            compare(popup.phase, "loading")
            fakeSession.historyAnswered("qemu/101", "hour", true, top.series("qemu/101", 10, 60), "")
            compare(popup.phase, "ready")
        }

        function test_escapeCloses() {
            keyClick(Qt.Key_Escape)
            tryCompare(popup, "visible", false)
        }
    }

    TestCase {
        name: "GuestsViewCharts"
        when: windowShown

        function test_nameAsksForCharts() {
            guests.clear()
            guests.append({ vmid: 100, name: "web", node: "pve1", type: "qemu", status: "running",
                            cpu: 0.1, maxcpu: 2, mem: 1, maxmem: 2, uptime: 10, tags: [], lock: "",
                            template: false, isProtected: false, canStart: false, canShutdown: true,
                            canStop: true, canRestart: true, disabledReason: "", busy: false })
            waitForRendering(view)
            const name = findChild(view, "name-100")
            verify(name)
            compare(name.Accessible.name, "web: charts")
            mouseClick(name)
            compare(charts.count, 1)
            compare(charts.signalArguments[0][0].vmid, 100)
            compare(charts.signalArguments[0][0].type, "qemu")
        }
    }
}
