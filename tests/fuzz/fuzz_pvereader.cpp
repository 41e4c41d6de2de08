// libFuzzer target for the streaming PVE reader (service/proxmox/pvereader.h), which reads the
// Proxmox API's /cluster/resources answer. Input: one response body.
// Checks, against QJsonDocument::fromJson plus resourcesFromPve() (which the reader promises to
// match): the same accept/reject, the same status for the JSON shape (no "data", "data" not an
// array), the same nodes, guests and storage; a refusal has a reason.
#include "fuzzcheck.h"
#include "proxmox/pvereader.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace jarvis::model;
using namespace jarvis::proxmox;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray body(reinterpret_cast<const char *>(data), qsizetype(size));
    QString error;
    PveBodyStatus status = PveBodyStatus::Ok;
    const std::optional<ClusterResources> streamed = resourcesFromPveJson(body, &error, &status);
    FUZZ_CHECK(streamed.has_value() == (status == PveBodyStatus::Ok));
    FUZZ_CHECK(streamed.has_value() == error.isEmpty());

    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        FUZZ_CHECK(status == PveBodyStatus::Malformed);
        return 0;
    }
    FUZZ_CHECK(status != PveBodyStatus::Malformed);
    const QJsonObject object = document.object();
    if (!document.isObject() || !object.contains(QLatin1String("data"))) {
        FUZZ_CHECK(status == PveBodyStatus::NoData);
        return 0;
    }
    const QJsonValue rows = object.value(QLatin1String("data"));
    if (!rows.isArray()) {
        FUZZ_CHECK(status == PveBodyStatus::DataNotArray);
        return 0;
    }
    FUZZ_CHECK(status == PveBodyStatus::Ok);
    const ClusterResources expected = resourcesFromPve(rows.toArray());
    FUZZ_CHECK(streamed->nodes == expected.nodes);
    FUZZ_CHECK(streamed->vms == expected.vms);
    FUZZ_CHECK(streamed->storage == expected.storage);
    return 0;
}
