// libFuzzer target for the streaming PVE reader (service/proxmox/pvereader.h), which reads the
// Proxmox API's /cluster/resources answer. Input: one response body.
// Checks, against QJsonDocument::fromJson plus resourcesFromPve() (which the reader promises to
// match): the same accept/reject, the same status for the JSON shape (no "data", "data" not an
// array), the same nodes, guests and storage; a refusal has a reason. (Bodies with a byte order
// mark inside are only checked for consistency, see below.)
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

    // QJsonDocument drops a UTF-8 byte order mark at the start of a string or key (it decodes
    // with QString::fromUtf8); the reader keeps it, as JSON.parse does. Past the document's own
    // leading one, such a body has no Qt reference to compare with (tst_clusterdata checks it).
    if (body.indexOf("\xEF\xBB\xBF", 1) >= 0)
        return 0;
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
