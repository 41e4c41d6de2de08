#pragma once

#include <QByteArray>
#include <QMap>
#include <QString>

#include <optional>

namespace jarvis::ssh {

// Turning a node's temperature command output into {sensor: celsius}. Pure functions, no I/O.
//
// Two formats are understood:
//  - the default command's (defaultTemperatureCommand()): one line per readable
//    /sys/class/thermal/thermal_zone*, "<type> <millidegrees>", e.g. "x86_pkg_temp 47000".
//    Sensors are named by their zone type; repeated types get "#1", "#2", ... in zone order
//    ("acpitz", "acpitz#1").
//  - lm-sensors JSON (`sensors -j`): {chip: {"Adapter": ..., feature: {"temp1_input": 45.0, ...}}}.
//    Every `temp<N>_input` becomes "<chip>/<feature>", e.g. "coretemp-isa-0000/Package id 0",
//    "nvme-pci-0100/Composite", "k10temp-pci-00c3/Tctl"; fans, voltages, limits (`_max`,
//    `_crit`, ...) and alarms are ignored. Repeated names get "#1", ... as above.
// Readings outside isPlausibleCelsius() (sensor error values such as -273.15, 0 or 255, or
// misscaled millidegrees) are left out; the rest of the output still counts.
// Empty output (a node without sensors) is an empty map; output in neither format is nullopt.

// The command run when `[temperature] command=` is empty. A constant: nothing from a client or
// a node name is ever put into it. Exits 0 even when no zone is readable.
QString defaultTemperatureCommand();

// Readings accepted as real: above 0 °C and at most 150 °C.
bool isPlausibleCelsius(double celsius);

std::optional<QMap<QString, double>> parseThermalZones(const QByteArray &output);
std::optional<QMap<QString, double>> parseSensorsJson(const QByteArray &output);
// Output starting with '{' (after white space) is lm-sensors JSON; anything else thermal zones.
std::optional<QMap<QString, double>> parseTemperatures(const QByteArray &output);

} // namespace jarvis::ssh
