import QtQuick

// A small line of 0..1 values (the last samples of CPU or memory), drawn on a Canvas.
Canvas {
    id: spark
    property var values: []
    property color color: Theme.accent
    implicitWidth: 120
    implicitHeight: 24
    onValuesChanged: requestPaint()
    onWidthChanged: requestPaint()
    onHeightChanged: requestPaint()
    onPaint: {
        const ctx = getContext("2d")
        ctx.reset()
        const v = values || []
        if (v.length < 2)
            return
        const step = width / (v.length - 1)
        ctx.strokeStyle = color
        ctx.lineWidth = 1.5
        ctx.beginPath()
        for (let i = 0; i < v.length; i++) {
            const x = i * step
            const y = height - 1 - Math.max(0, Math.min(1, v[i])) * (height - 2)
            if (i === 0)
                ctx.moveTo(x, y)
            else
                ctx.lineTo(x, y)
        }
        ctx.stroke()
    }
}
