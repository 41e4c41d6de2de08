import QtQuick
import Jarvis.Console.Native

// A small line of 0..1 values over time (a node's CPU or memory for the last hour): x from
// `times` (unix seconds) over the `span` seconds that end at the newest sample, a NaN value (no
// sample: the node was offline, the history has a hole) a gap in the line. Without `times` the
// values are spread evenly. Painted by SparklineItem (C++, QPainter).
SparklineItem {
    color: Theme.accent
    implicitWidth: 120
    implicitHeight: 24
}
