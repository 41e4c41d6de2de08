import QtQuick

// A time chart for the history popup: one or more lines (`lines`: [{values, color, label}]) over
// `times` (unix seconds), the `span` seconds ending at the newest sample; a NaN value is a gap.
// The y axis runs from 0 to `maxValue`, or to the data's top when it is 0 (at least `minTop`);
// `format` labels the top and the latest values.
Item {
    id: chart
    property string title
    property var times: []
    property var lines: []
    property int span: 3600
    property real maxValue: 0
    property real minTop: 1
    property var format: (v) => String(v)
    readonly property int samples: times ? times.length : 0

    implicitHeight: 150
    Accessible.role: Accessible.Graphic
    Accessible.name: title + ", " + samples + " samples"

    function yTop() {
        if (maxValue > 0)
            return maxValue
        let m = minTop
        for (const l of lines)
            for (const v of l.values)
                if (isFinite(v) && v > m)
                    m = v
        return m * 1.1
    }
    function latest(values) {
        for (let i = values.length - 1; i >= 0; i--)
            if (isFinite(values[i]))
                return format(values[i])
        return "—"
    }

    Rectangle {
        anchors.fill: parent
        color: Theme.panelAlt
        radius: Theme.radius
        border.color: Theme.border
    }
    Row {
        id: caption
        x: 8
        y: 6
        spacing: 12
        Text { text: chart.title; color: Theme.accent; font.pixelSize: Theme.smallFont; font.bold: true }
        Repeater {
            model: chart.lines
            Text {
                required property var modelData
                text: (chart.lines.length > 1 ? modelData.label + " " : "") + chart.latest(modelData.values)
                color: modelData.color
                font.pixelSize: Theme.smallFont
            }
        }
    }
    Text {
        anchors.right: parent.right
        anchors.rightMargin: 8
        y: 6
        text: chart.samples ? chart.format(chart.yTop()) : ""
        color: Theme.muted
        font.pixelSize: 10
    }
    Canvas {
        id: canvas
        anchors.fill: parent
        anchors.topMargin: 24
        anchors.margins: 8
        onPaint: {
            const ctx = getContext("2d")
            ctx.reset()
            ctx.strokeStyle = Theme.border
            ctx.lineWidth = 1
            for (const f of [0, 0.5, 1]) {
                const y = Math.round(height - 1 - f * (height - 2)) + 0.5
                ctx.beginPath()
                ctx.moveTo(0, y)
                ctx.lineTo(width, y)
                ctx.stroke()
            }
            const t = chart.times || []
            if (!t.length)
                return
            const end = t[t.length - 1]
            const start = end - chart.span
            const top = chart.yTop()
            for (const l of chart.lines) {
                const v = l.values
                ctx.strokeStyle = l.color
                ctx.fillStyle = l.color
                ctx.lineWidth = 1.5
                ctx.beginPath()
                let open = false
                for (let i = 0; i < v.length && i < t.length; i++) {
                    if (t[i] < start || !isFinite(v[i])) {
                        open = false
                        continue
                    }
                    const x = (t[i] - start) / chart.span * width
                    const y = height - 1 - Math.max(0, Math.min(1, v[i] / top)) * (height - 2)
                    if (open) {
                        ctx.lineTo(x, y)
                    } else {
                        if (!(i + 1 < v.length && isFinite(v[i + 1])))
                            ctx.fillRect(x - 1, y - 1, 2, 2)
                        ctx.moveTo(x, y)
                    }
                    open = true
                }
                ctx.stroke()
            }
        }
    }
    onTimesChanged: canvas.requestPaint()
    onLinesChanged: canvas.requestPaint()
    onSpanChanged: canvas.requestPaint()
}
