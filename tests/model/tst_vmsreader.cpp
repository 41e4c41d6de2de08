// model::vmsFromWireJson / vmsFromEventArgsJson (the `vms` snapshot read straight from its text)
// against the Qt path they promise to match: json::read, then vmFromJson on every object of the
// array. Over the recorded fixtures (as jarvisd sends them) and hostile inputs, data-driven; with
// and without a hint.
#include "model/clusterdata.h"
#include "protocol/jsonreader.h"
#include "proxmox/pvereader.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTest>

using namespace jarvis;
using namespace jarvis::model;
using namespace Qt::Literals::StringLiterals;

namespace {

// What the QJsonArray path gives for `text`.
std::optional<QList<VmData>> viaQt(QByteArrayView text)
{
    const std::optional<QJsonValue> value = json::read(text);
    if (!value || !value->isArray())
        return std::nullopt;
    QList<VmData> out;
    for (const QJsonValue &element : value->toArray()) {
        if (!element.isObject())
            continue;
        if (std::optional<VmData> vm = vmFromJson(element.toObject()))
            out.append(std::move(*vm));
    }
    return out;
}

QByteArray wire(const QList<VmData> &vms)
{
    QByteArray out;
    appendJson(out, vms);
    return out;
}

QByteArray deep(int depth)
{
    return QByteArray(depth, '[') + QByteArray(depth, ']');
}

} // namespace

class TestVmsReader : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void sameAsQt_data();
    void sameAsQt();
    void eventArgs_data();
    void eventArgs();
    void hintChangesNothing();
    void hintFollowsGuests();
};

void TestVmsReader::sameAsQt_data()
{
    QTest::addColumn<QByteArray>("text");

    // Every recorded Proxmox answer, as jarvisd puts its guests on the wire.
    const QDir fixtures(QStringLiteral(JARVIS_FIXTURES_DIR));
    for (const QString &name : fixtures.entryList({u"*.json"_s}, QDir::Files, QDir::Name)) {
        QFile file(fixtures.filePath(name));
        QVERIFY(file.open(QIODevice::ReadOnly));
        const std::optional<proxmox::ClusterResources> r =
            proxmox::resourcesFromPveJson(file.readAll());
        if (r && !r->vms.isEmpty())
            QTest::addRow("fixture %s", qPrintable(name)) << wire(r->vms);
    }

    const auto row = [](const char *name, const char *text) {
        QTest::addRow("%s", name) << QByteArray(text);
    };
    const QByteArray ok = R"({"vmid":100,"node":"pve1")";
    const auto member = [&](const char *name, const QByteArray &members) {
        QTest::addRow("%s", name) << "[" + ok + "," + members + "}]";
    };
    // documents
    row("empty text", "");
    row("spaces only", "  ");
    row("empty array", "[]");
    row("empty array, spaces", " \n[ \t]\r ");
    row("object", "{}");
    row("number", "5");
    row("string", R"("vms")");
    row("unterminated", "[");
    row("unterminated row", R"([{"vmid":1,"node":"a")");
    row("trailing comma", R"([{"vmid":1,"node":"a"},])");
    row("trailing text", R"([{"vmid":1,"node":"a"}] x)");
    row("second value", "[] []");
    row("extra bracket", "[]]");
    row("not objects", R"([1,"x",null,true,[],[{"vmid":1,"node":"a"}]])");
    row("empty objects", "[{},{}]");
    row("minimal rows", R"([{"vmid":1,"node":"a"},{"vmid":2,"node":"b"}])");
    row("spaces everywhere", " [ { \"vmid\" : 1 , \"node\" : \"a\" } , { } ] ");
    // required fields
    row("no vmid", R"([{"node":"a"}])");
    row("no node", R"([{"vmid":1}])");
    row("vmid 0", R"([{"vmid":0,"node":"a"}])");
    row("vmid negative", R"([{"vmid":-5,"node":"a"}])");
    row("vmid string", R"([{"vmid":"1","node":"a"}])");
    row("vmid fraction", R"([{"vmid":1.5,"node":"a"},{"vmid":2.4,"node":"b"}])");
    row("vmid exponent", R"([{"vmid":1e2,"node":"a"}])");
    row("vmid past int", R"([{"vmid":3000000000,"node":"a"}])");
    row("vmid huge", R"([{"vmid":1e300,"node":"a"}])");
    row("vmid null", R"([{"vmid":null,"node":"a"}])");
    row("node empty", R"([{"vmid":1,"node":""}])");
    row("node number", R"([{"vmid":1,"node":5}])");
    row("node null", R"([{"vmid":1,"node":null}])");
    // repeated members: the last counts
    row("repeat bad then good", R"([{"vmid":"x","node":"a","vmid":7}])");
    row("repeat good then bad", R"([{"vmid":7,"node":"a","vmid":"x"}])");
    row("repeat good then null", R"([{"vmid":7,"node":"a","cpu":0.5,"cpu":null}])");
    row("repeat tags", R"([{"vmid":7,"node":"a","tags":[1],"tags":["b"]}])");
    row("repeat type", R"([{"vmid":7,"node":"a","type":"kvm","type":"lxc"}])");
    // every field, right and wrong
    member("all fields", R"("name":"web","type":"lxc","status":"running","cpu":0.25,"maxcpu":4,
        "mem":1024,"maxmem":4096,"disk":1,"maxdisk":2,"uptime":3,"netin":4,"netout":5,
        "diskread":6,"diskwrite":7,"template":false,"tags":["a","b"],"lock":"backup",
        "protected":true)");
    member("type qemu", R"("type":"qemu")");
    member("type empty", R"("type":"")");
    member("type unknown", R"("type":"kvm")");
    member("type number", R"("type":1)");
    member("type null", R"("type":null)");
    member("name number", R"("name":1)");
    member("status bool", R"("status":true)");
    member("cpu string", R"("cpu":"0.5")");
    member("cpu integer", R"("cpu":1)");
    member("cpu exponent", R"("cpu":1.5e-3)");
    member("cpu negative zero", R"("cpu":-0)");
    member("maxcpu fraction", R"("maxcpu":2.5)");
    member("maxcpu past int", R"("maxcpu":2147483648)");
    member("maxcpu int min", R"("maxcpu":-2147483648)");
    member("mem fraction", R"("mem":10.5)");
    member("mem big", R"("mem":9223372036854775807)");
    member("mem past qint64", R"("mem":9223372036854775808)");
    member("mem -2^63", R"("mem":-9223372036854775808)");
    member("mem 1e19", R"("mem":1e19)");
    member("mem bool", R"("mem":true)");
    member("template number", R"("template":1)");
    member("template true", R"("template":true)");
    member("protected string", R"("protected":"yes")");
    member("tags string", R"("tags":"a;b")");
    member("tags empty", R"("tags":[])");
    member("tags with number", R"("tags":["a",1])");
    member("tags with null", R"("tags":["a",null])");
    member("tags nested", R"("tags":[["a"]])");
    member("tags null", R"("tags":null)");
    member("tags unterminated", R"("tags":["a")");
    member("lock number", R"("lock":1)");
    member("unknown members", R"("x":{"y":[1,2,{"z":null}]},"w":"v","vmid2":1)");
    member("escaped key", R"("\u006eame":"escaped","n\u0061me2":1)");
    member("escaped vmid key", R"("\u0076mid":"bad")");
    member("non-ASCII key", R"("nämé":"x")");
    member("escaped strings", R"("name":"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00")");
    member("lone surrogate", R"("name":"\ud800x")");
    member("UTF-8 name", "\"name\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
    member("BOM at the start", "\"name\":\"\xef\xbb\xbfweb\"");
    member("invalid UTF-8", "\"name\":\"\xc3\x28\"");
    member("overlong UTF-8", "\"name\":\"\xc0\xaf\"");
    member("surrogate in UTF-8", "\"name\":\"\xed\xa0\x80\"");
    member("raw control character", "\"name\":\"a\x01\"");
    member("raw newline", "\"name\":\"a\nb\"");
    member("invalid escape", R"("name":"\x")");
    member("short unicode escape", R"("name":"\u12")");
    member("number leading zero", R"("cpu":01)");
    member("number bare dot", R"("cpu":1.)");
    member("number plus", R"("cpu":+1)");
    member("number infinite", R"("cpu":1e400)");
    member("literal typo", R"("template":tru)");
    member("null typo", R"("lock":nul)");
    member("missing colon", R"("lock" "x")");
    member("missing value", R"("lock":)");
    member("unquoted key", R"(lock:"x")");
    // nesting: QJsonDocument's limit, 1024
    QTest::addRow("nesting 1023 in an unknown member") << "[" + ok + ",\"x\":" + deep(1021) + "}]";
    QTest::addRow("nesting 1025 in an unknown member") << "[" + ok + ",\"x\":" + deep(1023) + "}]";
    QTest::addRow("nesting 1025 in tags") << "[" + ok + ",\"tags\":[" + deep(1022) + "]}]";
    QTest::addRow("nesting 1024 in tags") << "[" + ok + ",\"tags\":[" + deep(1021) + "]}]";
    QTest::addRow("nesting 1025 as an element") << "[" + deep(1024) + "]";
    QTest::addRow("nesting 1024 as an element") << "[" + deep(1023) + "]";
}

void TestVmsReader::sameAsQt()
{
    QFETCH(QByteArray, text);
    const std::optional<QList<VmData>> expected = viaQt(text);
    QString error;
    const std::optional<QList<VmData>> got = vmsFromWireJson(text, &error);
    QCOMPARE(got.has_value(), expected.has_value());
    QCOMPARE(error.isEmpty(), got.has_value());
    if (got)
        QVERIFY(*got == *expected);
}

void TestVmsReader::eventArgs_data()
{
    QTest::addColumn<QByteArray>("args");
    QTest::addColumn<bool>("valid");
    const QByteArray rows = R"([{"vmid":1,"node":"a"},{"vmid":2,"node":"b","type":"lxc"}])";
    QTest::addRow("one argument") << "[" + rows + "]" << true;
    QTest::addRow("name blanked") << "[      " + rows + "]" << true;
    QTest::addRow("spaces") << " [ " + rows + " ] " << true;
    QTest::addRow("no argument") << QByteArray("[   ]") << false;
    QTest::addRow("two arguments") << "[" + rows + ",1]" << false;
    QTest::addRow("not an array") << QByteArray("[{}]") << false;
    QTest::addRow("not wrapped") << rows << false;
    QTest::addRow("trailing text") << "[" + rows + "]x" << false;
    QTest::addRow("unterminated") << "[" + rows << false;
}

void TestVmsReader::eventArgs()
{
    QFETCH(QByteArray, args);
    QFETCH(bool, valid);
    QString error;
    const std::optional<QList<VmData>> got = vmsFromEventArgsJson(args, &error);
    QCOMPARE(got.has_value(), valid);
    QCOMPARE(error.isEmpty(), valid);
    if (!valid)
        return;
    const std::optional<QJsonValue> value = json::read(args);
    QVERIFY(value && value->isArray());
    const QByteArray inner = QJsonDocument(value->toArray().first().toArray()).toJson();
    QVERIFY(*got == *viaQt(inner));
}

// The hint only shares strings: rows read with any hint equal rows read without one.
void TestVmsReader::hintChangesNothing()
{
    QList<VmData> before;
    for (int i = 0; i < 5; ++i) {
        VmData vm;
        vm.vmid = 100 + i;
        vm.node = u"pve%1"_s.arg(i % 2);
        vm.name = u"guest%1"_s.arg(i);
        vm.status = u"running"_s;
        vm.tags = {u"a"_s, u"b%1"_s.arg(i)};
        vm.lock = i == 3 ? u"backup"_s : QString();
        before.append(vm);
    }
    QList<VmData> after = before;
    after.removeAt(1);
    after[0].name = u"renamed"_s;
    after[2].tags = {u"a"_s};
    after[3].lock.clear();
    const QByteArray text = wire(after);
    const auto hint = [&](qsizetype row) {
        return row < before.size() ? &before.at(row) : nullptr;
    };
    const std::optional<QList<VmData>> hinted = vmsFromWireJson(text, nullptr, hint);
    QVERIFY(hinted);
    QVERIFY(*hinted == after);
    QVERIFY(*hinted == *vmsFromWireJson(text));
    // shared, not copied, where equal: the guest after the removed one with its own old row
    QVERIFY(hinted->at(1).node.constData() == before.at(2).node.constData());
    QVERIFY(hinted->at(1).name.constData() == before.at(2).name.constData());
}

// The hint is followed by vmid: after guests removed or added in the middle, every later guest
// still shares its strings with its own row of the hint (a snapshot where guests come and go
// allocates only for what changed).
void TestVmsReader::hintFollowsGuests()
{
    QList<VmData> before;
    for (int i = 0; i < 30; ++i) {
        VmData vm;
        vm.vmid = 100 + i;
        vm.node = u"pve%1"_s.arg(i % 3);
        vm.name = u"guest%1"_s.arg(i);
        vm.status = u"running"_s;
        vm.tags = {u"t%1"_s.arg(i)};
        before.append(vm);
    }
    QList<VmData> after = before;
    after.remove(20, 3); // three gone together
    after.removeAt(10);
    after.removeAt(2);
    VmData added = before.at(5);
    added.vmid = 1000;
    added.name = u"new"_s;
    after.insert(7, added);
    const std::optional<QList<VmData>> hinted = vmsFromWireJson(wire(after), nullptr,
        [&](qsizetype row) { return row < before.size() ? &before.at(row) : nullptr; });
    QVERIFY(hinted);
    QCOMPARE(*hinted, after);
    for (const VmData &vm : *hinted) {
        if (vm.vmid == added.vmid)
            continue;
        const VmData &old = before.at(vm.vmid - 100);
        QVERIFY2(vm.name.constData() == old.name.constData(), qPrintable(vm.name));
        QVERIFY2(vm.tags.constData() == old.tags.constData(), qPrintable(vm.name));
    }
}

QTEST_GUILESS_MAIN(TestVmsReader)

#include "tst_vmsreader.moc"
