pragma Singleton
import QtQuick

// Colours, sizes and formatting shared by every view (a dark theme like the dashboard's).
QtObject {
    readonly property color bg: "#0e1318"
    readonly property color panel: "#161d24"
    readonly property color panelAlt: "#1c252e"
    readonly property color rowAlt: "#18212a"
    readonly property color border: "#2a3540"
    readonly property color text: "#e6edf3"
    readonly property color muted: "#8c99a6"
    readonly property color accent: "#4aa3ff"
    readonly property color ok: "#3fb950"
    readonly property color warn: "#d29922"
    readonly property color bad: "#f85149"
    readonly property int radius: 6
    readonly property int pad: 12
    readonly property int fontSize: 13
    readonly property int smallFont: 11

    function statusColor(status) {
        if (status === "running" || status === "online" || status === "active")
            return ok
        if (status === "stopped" || status === "offline" || status === "inactive")
            return bad
        return warn
    }
    function severityColor(s) {
        return s === "critical" || s === "error" ? bad : s === "warning" ? warn : accent
    }
    function fractionColor(f) {
        return f >= 0.9 ? bad : f >= 0.75 ? warn : accent
    }
    function pct(f) {
        if (f === undefined || f === null || isNaN(f))
            return "—"
        return (f * 100).toFixed(f < 0.1 ? 1 : 0) + " %"
    }
    function bytes(n) {
        if (!n || n <= 0)
            return "0 B"
        const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        let i = 0
        while (n >= 1024 && i < units.length - 1) {
            n /= 1024
            i++
        }
        return (n >= 100 || i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[i]
    }
    function duration(s) {
        if (!s || s <= 0)
            return "—"
        const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60)
        if (d > 0)
            return d + "d " + h + "h"
        if (h > 0)
            return h + "h " + m + "m"
        return m + "m"
    }
    function time(iso) {
        const d = new Date(iso)
        return isNaN(d.getTime()) ? iso : d.toLocaleTimeString(Qt.locale(), "HH:mm:ss")
    }
}
