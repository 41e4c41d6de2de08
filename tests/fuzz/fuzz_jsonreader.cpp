// libFuzzer target for the strict JSON reader (shared/protocol/jsonreader.h) that the Socket.IO
// decoder reads every client packet with. Input: one JSON text.
// Checks: a refusal has a reason; what the reader accepts, QJsonDocument accepts too (as an array
// element, so one level deeper: not checked at the nesting limit) and decodes to the same value,
// down to integer storage and every UTF-16 unit (but for a string's leading U+FEFF, see below); the
// value written by QJsonDocument reads back the same; a string written by the project's JSON writer
// reads back the same.
#include "../support/jsonsame.h"
#include "fuzzcheck.h"
#include "protocol/jsonreader.h"
#include "protocol/jsonwriter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QVariant>

using namespace jarvis;

namespace {

bool same(const QJsonValue &a, const QJsonValue &b)
{
    return jarvis::test::jsonSame(a, b, jarvis::test::JsonCompare::Exact);
}

int depth(const QJsonValue &value)
{
    int deepest = 0;
    if (value.isArray()) {
        for (const QJsonValue &v : value.toArray())
            deepest = std::max(deepest, depth(v));
        return deepest + 1;
    }
    if (value.isObject()) {
        for (const QJsonValue &v : value.toObject())
            deepest = std::max(deepest, depth(v));
        return deepest + 1;
    }
    return 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    QString error;
    const std::optional<QJsonValue> value = json::read(bytes, &error);
    if (!value) {
        FUZZ_CHECK(!error.isEmpty());
        return 0;
    }
    FUZZ_CHECK(depth(*value) <= json::detail::NestingLimit);
    // QJsonDocument drops a UTF-8 byte order mark at the start of a string (it decodes with
    // QString::fromUtf8); the reader keeps it, as JSON.parse does. Such inputs are compared with
    // Qt on acceptance only; the round trips below still check their values.
    const bool qtDropsBom = bytes.contains("\xEF\xBB\xBF");
    if (depth(*value) < json::detail::NestingLimit) {
        QJsonParseError qtError;
        const QJsonDocument qt = QJsonDocument::fromJson("[" + bytes + "]", &qtError);
        FUZZ_CHECK(qtError.error == QJsonParseError::NoError);
        FUZZ_CHECK(qt.array().size() == 1 && (qtDropsBom || same(*value, qt.array().first())));

        const QByteArray written =
            QJsonDocument(QJsonArray {*value}).toJson(QJsonDocument::Compact);
        const std::optional<QJsonValue> back = json::read(written);
        FUZZ_CHECK(back && back->isArray() && same(back->toArray().first(), *value));
    }
    if (value->isString()) {
        QByteArray written;
        json::appendJsonString(written, value->toString());
        const std::optional<QJsonValue> back = json::read(written);
        FUZZ_CHECK(back && same(*back, *value));
    }
    return 0;
}
