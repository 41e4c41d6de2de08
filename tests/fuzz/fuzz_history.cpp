// libFuzzer target for the history file reader (service/history/store.h, Store::load), which
// reads jarvisd's history file at start. Input: a file. It is tried as it is, and with its
// header's size and checksum repaired (so that mutations reach the structure checks instead of
// stopping at the checksum). Checks: a refused image leaves the store unchanged and says why; an
// accepted one saves to an image that loads again to the same bytes, answers every series with
// arrays as long as `t`, and takes new polls.
#include "fuzzcheck.h"
#include "history/store.h"

#include <QtEndian>

#include <cstring>

using namespace jarvis;

namespace {
constexpr qint64 Now = 1750000000000; // ms

QList<model::VmData> someGuests()
{
    model::VmData vm;
    vm.vmid = 100;
    vm.node = QStringLiteral("pve1");
    vm.status = QStringLiteral("running");
    vm.cpu = 0.5;
    vm.mem = 1 << 20;
    vm.netin = 1000;
    return {vm};
}

void checkSeries(const history::Series &s)
{
    const int channels = s.hasTemperature ? history::ChannelCount : history::Temperature;
    for (int ch = 0; ch < channels; ++ch)
        FUZZ_CHECK(s.values[ch].size() == s.t.size());
    for (size_t i = 1; i < s.t.size(); ++i)
        FUZZ_CHECK(s.t[i] >= s.t[i - 1]);
}

void tryImage(const QByteArray &image)
{
    history::Store store;
    store.recordGuests(Now, someGuests());
    const QByteArray before = store.save();
    QString why;
    if (!store.load(image, &why)) {
        FUZZ_CHECK(!why.isEmpty());
        FUZZ_CHECK(store.save() == before);
        return;
    }
    const QByteArray again = store.save();
    history::Store second;
    QString why2;
    FUZZ_CHECK(second.load(again, &why2));
    FUZZ_CHECK(second.save() == again);
    QList<history::EntityRef> all = store.nodes() + store.guests();
    for (const history::EntityRef &e : all) {
        for (history::Range range : {history::Range::Hour, history::Range::Day}) {
            const auto s = store.series(e.id, range, Now);
            FUZZ_CHECK(s.has_value());
            checkSeries(*s);
        }
    }
    store.recordGuests(Now + 15000, someGuests());
    store.recordNodes(Now + 15000, {});
    const auto s = store.series(QStringLiteral("qemu/100"), history::Range::Hour, Now + 20000);
    FUZZ_CHECK(s.has_value());
    checkSeries(*s);
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    tryImage(bytes);
    if (bytes.size() >= history::ImageHeaderSize) {
        QByteArray repaired = bytes;
        const QByteArrayView payload(repaired.constData() + history::ImageHeaderSize,
            repaired.size() - history::ImageHeaderSize);
        const quint64 le[2] = {qToLittleEndian(quint64(payload.size())),
            qToLittleEndian(history::imageChecksum(payload))};
        std::memcpy(repaired.data() + history::ImageHeaderSize - 16, le, 16);
        tryImage(repaired);
    }
    return 0;
}
