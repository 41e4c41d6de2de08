// The temperature output parsers (ssh/temperature.h) on recorded outputs: lm-sensors `sensors -j`
// from an Intel host (coretemp + nvme + acpitz) and an AMD host (k10temp), the default command's
// thermal-zone lines, empty output, garbage, and implausible readings.

#include "ssh/temperature.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using jarvis::ssh::parseSensorsJson;
using jarvis::ssh::parseTemperatures;
using jarvis::ssh::parseThermalZones;
using Zones = QMap<QString, double>;

Q_DECLARE_METATYPE(Zones)

namespace {

// `sensors -j` on an Intel desktop (lm-sensors 3.6), trimmed to two cores.
const QByteArray IntelSensors = R"({
   "coretemp-isa-0000":{
      "Adapter": "ISA adapter",
      "Package id 0":{
         "temp1_input": 47.000,
         "temp1_max": 80.000,
         "temp1_crit": 100.000,
         "temp1_crit_alarm": 0.000
      },
      "Core 0":{
         "temp2_input": 45.000,
         "temp2_max": 80.000,
         "temp2_crit": 100.000,
         "temp2_crit_alarm": 0.000
      },
      "Core 1":{
         "temp3_input": 44.000,
         "temp3_max": 80.000,
         "temp3_crit": 100.000,
         "temp3_crit_alarm": 0.000
      }
   },
   "nvme-pci-0100":{
      "Adapter": "PCI adapter",
      "Composite":{
         "temp1_input": 38.850,
         "temp1_max": 81.850,
         "temp1_min": -273.150,
         "temp1_crit": 84.850,
         "temp1_alarm": 0.000
      },
      "Sensor 1":{
         "temp2_input": 38.850,
         "temp2_max": 65261.850,
         "temp2_min": -273.150
      }
   },
   "acpitz-acpi-0":{
      "Adapter": "ACPI interface",
      "temp1":{
         "temp1_input": 27.800,
         "temp1_crit": 119.000
      }
   }
}
)";

// `sensors -j` on an AMD Ryzen host: k10temp plus a board chip with fans and voltages.
const QByteArray AmdSensors = R"({
   "k10temp-pci-00c3":{
      "Adapter": "PCI adapter",
      "Tctl":{
         "temp1_input": 52.625
      },
      "Tccd1":{
         "temp3_input": 48.500
      }
   },
   "nct6798-isa-0290":{
      "Adapter": "ISA adapter",
      "in0":{
         "in0_input": 0.312,
         "in0_min": 0.000,
         "in0_max": 1.744
      },
      "fan2":{
         "fan2_input": 1061.000,
         "fan2_min": 0.000
      },
      "SYSTIN":{
         "temp1_input": 31.000,
         "temp1_max": 80.000,
         "temp1_max_hyst": 75.000,
         "temp1_type": 4.000
      },
      "AUXTIN0":{
         "temp3_input": -62.000,
         "temp3_type": 4.000
      },
      "AUXTIN1":{
         "temp4_input": 127.000
      },
      "PCH_CHIP_TEMP":{
         "temp8_input": 0.000
      }
   }
}
)";

// The default command on a Proxmox host with two ACPI zones, a package zone and a broken one.
const QByteArray ThermalZones = "acpitz 27800\n"
                                "acpitz 29800\n"
                                "x86_pkg_temp 47000\n"
                                "iwlwifi_1 -273150\n"
                                "pch_cannonlake 41500\n";

} // namespace

class TestTemperature : public QObject
{
    Q_OBJECT

private slots:
    void parse_data();
    void parse();
    void formatsAreNotMixed();
    void defaultCommandRunsHere();
};

void TestTemperature::parse_data()
{
    QTest::addColumn<QByteArray>("output");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<Zones>("zones");

    QTest::newRow("intel sensors -j")
        << IntelSensors << true
        << Zones {{QStringLiteral("coretemp-isa-0000/Package id 0"), 47.0},
               {QStringLiteral("coretemp-isa-0000/Core 0"), 45.0},
               {QStringLiteral("coretemp-isa-0000/Core 1"), 44.0},
               {QStringLiteral("nvme-pci-0100/Composite"), 38.85},
               {QStringLiteral("nvme-pci-0100/Sensor 1"), 38.85},
               {QStringLiteral("acpitz-acpi-0/temp1"), 27.8}};
    // -62 and 0 are error values; 127 is plausible (the limit is 150).
    QTest::newRow("amd sensors -j") << AmdSensors << true
                                    << Zones {{QStringLiteral("k10temp-pci-00c3/Tctl"), 52.625},
                                           {QStringLiteral("k10temp-pci-00c3/Tccd1"), 48.5},
                                           {QStringLiteral("nct6798-isa-0290/SYSTIN"), 31.0},
                                           {QStringLiteral("nct6798-isa-0290/AUXTIN1"), 127.0}};
    QTest::newRow("thermal zones")
        << ThermalZones << true
        << Zones {{QStringLiteral("acpitz"), 27.8}, {QStringLiteral("acpitz#1"), 29.8},
               {QStringLiteral("x86_pkg_temp"), 47.0}, {QStringLiteral("pch_cannonlake"), 41.5}};
    QTest::newRow("thermal zones, CRLF and blank lines")
        << QByteArray("\r\nacpitz 30000\r\n\r\nacpitz 31000\r\nacpitz 32000\r\n") << true
        << Zones {{QStringLiteral("acpitz"), 30.0}, {QStringLiteral("acpitz#1"), 31.0},
               {QStringLiteral("acpitz#2"), 32.0}};
    QTest::newRow("zone type with a space")
        << QByteArray("SEN1 cpu 45500\n") << true << Zones {{QStringLiteral("SEN1 cpu"), 45.5}};
    QTest::newRow("empty output") << QByteArray() << true << Zones {};
    QTest::newRow("white space only") << QByteArray(" \n\n") << true << Zones {};
    QTest::newRow("empty sensors object") << QByteArray("{}\n") << true << Zones {};
    QTest::newRow("absurd and negative readings")
        << QByteArray("a 0\nb -40000\nc 255000\nd 150001\ne 150000\nf 1\n") << true
        << Zones {{QStringLiteral("e"), 150.0}, {QStringLiteral("f"), 0.001}};
    QTest::newRow("sensors absurd values")
        << QByteArray(R"({"x-isa-0":{"t":{"temp1_input":6553.5},"u":{"temp2_input":-273.15},)"
                      R"("v":{"temp3_input":"45"},"w":{"temp4_input":null}}})")
        << true << Zones {};
    QTest::newRow("garbage") << QByteArray("sh: 1: sensors: not found\n") << false << Zones {};
    QTest::newRow("one garbage line spoils the output")
        << QByteArray("acpitz 27800\nPermission denied\n") << false << Zones {};
    QTest::newRow("non-numeric reading") << QByteArray("acpitz 27.8C\n") << false << Zones {};
    QTest::newRow("reading without a name") << QByteArray("27800\n") << false << Zones {};
    QTest::newRow("truncated json")
        << IntelSensors.left(IntelSensors.size() / 2) << false << Zones {};
    QTest::newRow("json array") << QByteArray("[1,2]") << false << Zones {};
    QTest::newRow("binary") << QByteArray("\x7f"
                                          "ELF\x02\x01\x01\0\0",
        9) << false << Zones {};
}

void TestTemperature::parse()
{
    QFETCH(QByteArray, output);
    QFETCH(bool, ok);
    QFETCH(Zones, zones);

    const std::optional<Zones> parsed = parseTemperatures(output);
    QCOMPARE(parsed.has_value(), ok);
    if (!ok)
        return;
    QCOMPARE(parsed->keys(), zones.keys());
    for (auto it = zones.cbegin(); it != zones.cend(); ++it)
        QVERIFY2(qFuzzyCompare(parsed->value(it.key()), it.value()), qPrintable(it.key()));
}

void TestTemperature::formatsAreNotMixed()
{
    QVERIFY(!parseSensorsJson(ThermalZones).has_value());
    QVERIFY(!parseThermalZones(IntelSensors).has_value());
    QCOMPARE(parseSensorsJson(IntelSensors)->size(), 6);
    QCOMPARE(parseThermalZones(ThermalZones)->size(), 4);
}

// The constant default command is valid sh, exits 0 and prints the zone format (or nothing in a
// container without thermal zones).
void TestTemperature::defaultCommandRunsHere()
{
    QProcess sh;
    sh.start(QStringLiteral("/bin/sh"),
        {QStringLiteral("-c"), jarvis::ssh::defaultTemperatureCommand()});
    QVERIFY(sh.waitForFinished(10000));
    QCOMPARE(sh.exitCode(), 0);
    QVERIFY2(parseThermalZones(sh.readAllStandardOutput()).has_value(),
        sh.readAllStandardError().constData());
}

QTEST_GUILESS_MAIN(TestTemperature)
#include "tst_temperature.moc"
