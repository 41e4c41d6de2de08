// jarvis-bench-json: the JSON readers on the 5000-guest /cluster/resources answer (issue 11):
// the project's streaming reader (proxmox::resourcesFromPveJson), Qt's QJsonDocument plus
// proxmox::resourcesFromPve, and simdjson 3 (Debian's libsimdjson-dev) feeding the same field
// rules (proxmox::detail::appendResourceRow), so all three produce the same typed lists. Also
// simdjson's parse alone. Run on demand (make bench-poll), never by ctest.
//
//   jarvis-bench-json [--nodes 50] [--guests 5000] [--rounds 30]
#include "demo/simulatedcluster.h"
#include "proxmox/pvedata.h"
#include "proxmox/pvereader.h"

#include "benchutil.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <functional>

using namespace jarvis;

namespace {
int argument(const QStringList &args, const QString &name, int fallback)
{
    const qsizetype i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args.at(i + 1).toInt() : fallback;
}

using proxmox::detail::PveRow;
using proxmox::detail::PveValue;

// One simdjson value into a row value (arrays one level deep, like the streaming reader).
void setValue(PveValue &out, simdjson::dom::element e, bool nested)
{
    out.elements.clear();
    out.isInt = false;
    switch (e.type()) {
    case simdjson::dom::element_type::STRING: {
        const std::string_view s = e.get_string().value_unsafe();
        out.kind = QJsonValue::String;
        out.s = QString::fromUtf8(s.data(), qsizetype(s.size()));
        break;
    }
    case simdjson::dom::element_type::INT64:
        out.kind = QJsonValue::Double;
        out.isInt = true;
        out.i = e.get_int64().value_unsafe();
        break;
    case simdjson::dom::element_type::UINT64:
        out.kind = QJsonValue::Double;
        out.d = double(e.get_uint64().value_unsafe());
        break;
    case simdjson::dom::element_type::DOUBLE:
        out.kind = QJsonValue::Double;
        out.d = e.get_double().value_unsafe();
        break;
    case simdjson::dom::element_type::BOOL:
        out.kind = QJsonValue::Bool;
        out.b = e.get_bool().value_unsafe();
        break;
    case simdjson::dom::element_type::NULL_VALUE:
        out.kind = QJsonValue::Null;
        break;
    case simdjson::dom::element_type::OBJECT:
        out.kind = QJsonValue::Object;
        break;
    case simdjson::dom::element_type::ARRAY:
        out.kind = QJsonValue::Array;
        if (!nested) {
            for (simdjson::dom::element item : e.get_array().value_unsafe()) {
                out.elements.emplace_back();
                setValue(out.elements.back(), item, true);
            }
        }
        break;
    }
}

std::optional<proxmox::ClusterResources> simdjsonResources(
    simdjson::dom::parser &parser, const simdjson::padded_string &body)
{
    simdjson::dom::element doc;
    if (parser.parse(body).get(doc))
        return std::nullopt;
    simdjson::dom::array data;
    if (doc["data"].get_array().get(data))
        return std::nullopt;
    proxmox::ClusterResources resources;
    PveRow row;
    for (simdjson::dom::element entry : data) {
        simdjson::dom::object object;
        if (entry.get_object().get(object))
            continue;
        row.clear();
        for (const simdjson::dom::key_value_pair field : object) {
            const int slot = PveRow::slot(field.key.data(), qsizetype(field.key.size()));
            if (slot >= 0)
                setValue(row.values[size_t(slot)], field.value, false);
        }
        proxmox::detail::appendResourceRow(resources, row);
    }
    return resources;
}

struct Figures
{
    double median = 0;
    double best = 0;
};

Figures measure(int rounds, const std::function<qsizetype()> &run)
{
    QList<double> ms;
    for (int i = 0; i < rounds + 2; ++i) {
        const double start = bench::selfCpuSeconds();
        const qsizetype n = run();
        const double end = bench::selfCpuSeconds();
        if (n <= 0)
            std::fprintf(stderr, "a reader returned nothing\n");
        if (i >= 2)
            ms.append((end - start) * 1000);
    }
    std::sort(ms.begin(), ms.end());
    return {ms.at(ms.size() / 2), ms.first()};
}
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    demo::ClusterOptions options;
    options.nodes = argument(args, QStringLiteral("--nodes"), 50);
    options.guests = argument(args, QStringLiteral("--guests"), 5000);
    const int rounds = argument(args, QStringLiteral("--rounds"), 30);
    demo::SimulatedCluster cluster(options);
    const QByteArray body = "{\"data\":" + cluster.clusterResources({}).data + "}";

    // The three must agree before their times mean anything.
    const auto streamed = proxmox::resourcesFromPveJson(body);
    const auto viaQt = proxmox::resourcesFromPve(
        QJsonDocument::fromJson(body).object().value(QStringLiteral("data")).toArray());
    simdjson::dom::parser parser;
    const simdjson::padded_string padded(body.constData(), size_t(body.size()));
    const auto viaSimdjson = simdjsonResources(parser, padded);
    if (!streamed || !viaSimdjson || streamed->vms != viaQt.vms || viaSimdjson->vms != viaQt.vms
        || streamed->nodes != viaQt.nodes || viaSimdjson->nodes != viaQt.nodes
        || streamed->storage != viaQt.storage || viaSimdjson->storage != viaQt.storage) {
        std::fprintf(stderr, "the readers disagree\n");
        return 1;
    }

    std::printf("JSON readers, /cluster/resources of %d nodes / %d guests (%lld bytes), CPU ms per "
                "answer into typed lists, median (best) of %d:\n",
        options.nodes, options.guests, qlonglong(body.size()), rounds);
    const Figures pve =
        measure(rounds, [&] { return proxmox::resourcesFromPveJson(body)->vms.size(); });
    std::printf(
        "  streaming pvereader (resourcesFromPveJson)      %6.2f (%.2f)\n", pve.median, pve.best);
    const Figures qt = measure(rounds, [&] {
        return proxmox::resourcesFromPve(
            QJsonDocument::fromJson(body).object().value(QStringLiteral("data")).toArray())
            .vms.size();
    });
    std::printf(
        "  QJsonDocument + resourcesFromPve                %6.2f (%.2f)\n", qt.median, qt.best);
    const Figures simd = measure(rounds, [&] {
        // The padded copy is part of the cost: the body arrives as a QByteArray.
        const simdjson::padded_string copy(body.constData(), size_t(body.size()));
        return simdjsonResources(parser, copy)->vms.size();
    });
    std::printf("  simdjson %d.%d DOM + the same field rules         %6.2f (%.2f)\n",
        int(simdjson::SIMDJSON_VERSION_MAJOR), int(simdjson::SIMDJSON_VERSION_MINOR), simd.median,
        simd.best);
    const Figures simdParse = measure(rounds, [&] {
        simdjson::dom::element doc;
        return parser.parse(padded).get(doc) ? qsizetype(0) : qsizetype(1);
    });
    std::printf("  simdjson parse alone (no typed lists)           %6.2f (%.2f)\n",
        simdParse.median, simdParse.best);
    std::printf(
        "  simdjson implementation: %s\n", simdjson::get_active_implementation()->name().c_str());
    return 0;
}
