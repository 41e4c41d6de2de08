// Runs a libFuzzer entry point (fuzz_wsframe.cpp or fuzz_wsinflate.cpp, chosen at compile time
// with FUZZ_SMOKE_WSFRAME / FUZZ_SMOKE_WSINFLATE) over a few thousand deterministic inputs:
// pseudo-random bytes and mutated valid inputs. Built with any compiler, run by ctest.
// Arguments: files to replay instead (e.g. crash reproducers), or "--write-corpus DIR" to
// save the valid seeds for libFuzzer.
#include "fuzzmutate.h"
#include "net/wsdeflate.h"
#include "wstestutil.h"

#include <QDir>
#include <QFile>

#include <cstdio>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

using Bytes = QByteArray;
using jarvis::fuzz::mutate;
using jarvis::fuzz::randomBytes;

Bytes randomText(std::mt19937 &rng, int maxLength)
{
    static const char *pieces[] = {"a", "hello ", "{\"id\":1}", "\xc3\xa9", "\xe2\x82\xac",
        "\xf0\x9f\x98\x80", " ", "vm-42", "\xed\x9f\xbf"};
    Bytes out;
    const int count = int(rng() % (maxLength + 1));
    for (int i = 0; i < count; ++i)
        out += pieces[rng() % (sizeof pieces / sizeof *pieces)];
    return out;
}

#ifdef FUZZ_SMOKE_WSFRAME
// [options][window][frames]: a valid conversation of a few frames.
Bytes validInput(std::mt19937 &rng)
{
    const quint8 flags = quint8(rng() & 0xFF);
    const bool deflate = flags & 1;
    Bytes out;
    out += char(flags);
    out += char(7); // 15-bit window
    wstest::ClientDeflater deflater;
    const int frames = 1 + int(rng() % 5);
    for (int i = 0; i < frames; ++i) {
        const quint32 mask = quint32(rng());
        switch (rng() % 7) {
        case 0:
            out += wstest::frame(0x81, randomText(rng, 20), mask);
            break;
        case 1:
            out += wstest::frame(0x82, randomBytes(rng, 300), mask);
            break;
        case 2: {
            const Bytes text = randomText(rng, 30);
            const qsizetype cut = text.isEmpty() ? 0 : qsizetype(rng() % text.size());
            out += wstest::frame(0x01, text.left(cut), mask);
            out += wstest::frame(0x89, randomBytes(rng, 10), mask);
            out += wstest::frame(0x80, text.mid(cut), mask);
            break;
        }
        case 3:
            out += wstest::frame(0x89 + int(rng() % 2), randomBytes(rng, 125), mask);
            break;
        case 4:
            if (deflate) {
                const Bytes compressed = deflater.compress(randomText(rng, 200), flags & 2);
                const qsizetype cut =
                    compressed.isEmpty() ? 0 : qsizetype(rng() % compressed.size());
                out += wstest::frame(0x41, compressed.left(cut), mask);
                out += wstest::frame(0x80, compressed.mid(cut), mask);
            } else {
                out += wstest::frame(0x81, randomText(rng, 200), mask, 16);
            }
            break;
        case 5:
            out += wstest::frame(0x82, randomBytes(rng, 70), mask, 64);
            break;
        case 6:
            out += wstest::closeFrame(1000 + int(rng() % 3), randomText(rng, 5));
            break;
        }
    }
    return out;
}
const char *const TargetName = "wsframe";
#else
// [options][compressed message]
Bytes validInput(std::mt19937 &rng)
{
    const quint8 flags = quint8(rng() & 0xF0); // 15-bit window, smallest maxSize varies below
    Bytes out;
    out += char(flags | (rng() % 4));
    jarvis::net::ws::Deflater deflater(int(rng() % 10));
    Bytes plain = rng() % 2 ? randomText(rng, 400) : randomBytes(rng, 400);
    if (rng() % 4 == 0)
        plain += Bytes(int(rng() % 100000), 'z');
    out += deflater.compressMessage(plain);
    return out;
}
const char *const TargetName = "wsinflate";
#endif

void runOne(const Bytes &input)
{
    LLVMFuzzerTestOneInput(
        reinterpret_cast<const uint8_t *>(input.constData()), size_t(input.size()));
}

} // namespace

int main(int argc, char **argv)
{
    if (argc == 3 && QByteArray(argv[1]) == "--write-corpus") {
        QDir().mkpath(QString::fromLocal8Bit(argv[2]));
        std::mt19937 rng(1);
        for (int i = 0; i < 200; ++i) {
            QFile file(QString::fromLocal8Bit(argv[2]) + QStringLiteral("/seed-%1").arg(i));
            if (file.open(QIODevice::WriteOnly))
                file.write(validInput(rng));
        }
        return 0;
    }
    if (argc > 1) {
        for (int i = 1; i < argc; ++i) {
            QFile file(QString::fromLocal8Bit(argv[i]));
            if (!file.open(QIODevice::ReadOnly)) {
                std::fprintf(stderr, "cannot read %s\n", argv[i]);
                return 1;
            }
            runOne(file.readAll());
        }
        std::printf("%s: replayed %d file(s)\n", TargetName, argc - 1);
        return 0;
    }

    std::mt19937 rng(20240611);
    int runs = 0;
    for (int i = 0; i < 2000; ++i, ++runs)
        runOne(randomBytes(rng, 400));
    for (int i = 0; i < 1000; ++i, runs += 2) {
        const Bytes valid = validInput(rng);
        runOne(valid);
        runOne(mutate(rng, valid));
    }
    for (int i = 0; i < 1000; ++i, ++runs)
        runOne(mutate(rng, mutate(rng, validInput(rng))));
    std::printf("%s: %d inputs, no failure\n", TargetName, runs);
    return 0;
}
