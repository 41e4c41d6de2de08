import QtQuick

// A small line of 0..1 values over time (a node's CPU or memory for the last hour), drawn on a
// Canvas: x from `times` (unix seconds) over the `span` seconds that end at the newest sample, a
// NaN value (no sample: the node was offline, the history has a hole) a gap in the line.
// Without `times` the values are spread evenly.
Canvas {
    id: spark
    property var values: []
    property var times: []
    property int span: 3600
    property color color: Theme.accent
    implicitWidth: 120
    implicitHeight: 24
    onValuesChanged: requestPaint()
    onTimesChanged: requestPaint()
    onWidthChanged: requestPaint()
    onHeightChanged: requestPaint()
    onPaint: {
        const ctx = getContext("2d")
        ctx.reset()
        const v = values || []
        const t = times && times.length === v.length ? times : null
        if (v.length < 1)
            return
        const end = t ? t[t.length - 1] : v.length - 1
        const start = t ? end - span : 0
        const range = Math.max(1, end - start)
        ctx.strokeStyle = color
        ctx.fillStyle = color
        ctx.lineWidth = 1.5
        ctx.beginPath()
        let open = false
        for (let i = 0; i < v.length; i++) {
            const x0 = t ? t[i] : i
            if (x0 < start || !isFinite(v[i])) {
                open = false
                continue
            }
            const x = (x0 - start) / range * width
            const y = height - 1 - Math.max(0, Math.min(1, v[i])) * (height - 2)
            if (open) {
                ctx.lineTo(x, y)
            } else {
                // a lone sample between gaps is a dot
                const next = i + 1 < v.length && isFinite(v[i + 1])
                if (!next)
                    ctx.fillRect(x - 1, y - 1, 2, 2)
                ctx.moveTo(x, y)
            }
            open = true
        }
        ctx.stroke()
    }
}
