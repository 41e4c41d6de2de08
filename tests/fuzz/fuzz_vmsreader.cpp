// libFuzzer target for the console's `vms` reader (model::vmsFromWireJson, shared/model), which
// reads the VMData[] snapshot straight from the packet text. Input: one JSON text.
// Checks, against json::read plus vmFromJson() on every object (the QJsonArray path the reader
// promises to match): the same accept/reject, the same rows; a refusal has a reason; the same
// rows again with the first result as the hint, and wrapped as a `vms` event's arguments.
#include "fuzzcheck.h"
#include "model/clusterdata.h"
#include "protocol/jsonreader.h"

#include <QJsonArray>
#include <QJsonObject>

using namespace jarvis;
using namespace jarvis::model;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray text(reinterpret_cast<const char *>(data), qsizetype(size));
    QString error;
    const std::optional<QList<VmData>> streamed = vmsFromWireJson(text, &error);
    FUZZ_CHECK(streamed.has_value() == error.isEmpty());

    const std::optional<QJsonValue> value = json::read(text);
    if (!value || !value->isArray()) {
        FUZZ_CHECK(!streamed);
        return 0;
    }
    FUZZ_CHECK(streamed.has_value());
    QList<VmData> expected;
    for (const QJsonValue &element : value->toArray()) {
        if (!element.isObject())
            continue;
        if (std::optional<VmData> vm = vmFromJson(element.toObject()))
            expected.append(std::move(*vm));
    }
    FUZZ_CHECK(*streamed == expected);

    const QList<VmData> &previous = *streamed;
    const std::optional<QList<VmData>> hinted = vmsFromWireJson(text, nullptr,
        [&](qsizetype row) { return row < previous.size() ? &previous.at(row) : nullptr; });
    FUZZ_CHECK(hinted && *hinted == expected);

    const QByteArray args = "[      " + text + "]";
    const std::optional<QList<VmData>> fromArgs = vmsFromEventArgsJson(args);
    // The wrapper adds one level of nesting: a text at the limit fails there only.
    if (fromArgs)
        FUZZ_CHECK(*fromArgs == expected);
    else
        FUZZ_CHECK(!json::read(args));
    return 0;
}
