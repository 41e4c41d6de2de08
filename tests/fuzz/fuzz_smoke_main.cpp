// The smoke run of a libFuzzer entry point (fuzz_<name>.cpp), for every build and ctest: each file
// of the target's committed seed corpus, then a few thousand deterministic inputs made from it
// (small mutations, two seeds spliced) and random bytes. A failed FUZZ_CHECK or a sanitizer
// report aborts, which fails the test.
// Usage: fuzz_smoke_<name> CORPUS_DIR          the smoke run
//        fuzz_smoke_<name> --replay FILE...    runs the given inputs (e.g. a crash artifact)
#include "fuzzmutate.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cstdio>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

void runOne(const QByteArray &input)
{
    LLVMFuzzerTestOneInput(
        reinterpret_cast<const uint8_t *>(input.constData()), size_t(input.size()));
}

bool readFile(const QString &path, QByteArray *out)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "cannot read %s\n", qPrintable(path));
        return false;
    }
    *out = file.readAll();
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    const QByteArray name = QFileInfo(QString::fromLocal8Bit(argv[0])).fileName().toLocal8Bit();
    if (argc >= 2 && QByteArray(argv[1]) == "--replay") {
        for (int i = 2; i < argc; ++i) {
            QByteArray input;
            if (!readFile(QString::fromLocal8Bit(argv[i]), &input))
                return 1;
            runOne(input);
        }
        std::printf("%s: replayed %d file(s), no failure\n", name.constData(), argc - 2);
        return 0;
    }
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR | --replay FILE...\n", name.constData());
        return 2;
    }

    const QDir dir(QString::fromLocal8Bit(argv[1]));
    std::vector<QByteArray> seeds;
    for (const QString &file : dir.entryList(QDir::Files, QDir::Name)) {
        QByteArray input;
        if (!readFile(dir.filePath(file), &input))
            return 1;
        seeds.push_back(input);
    }
    if (seeds.empty()) {
        std::fprintf(stderr, "%s: no seed in %s\n", name.constData(), argv[1]);
        return 1;
    }

    int runs = 0;
    for (const QByteArray &seed : seeds) {
        runOne(seed);
        ++runs;
    }
    std::mt19937 rng(20261205);
    const auto anySeed = [&] { return seeds[rng() % seeds.size()]; };
    for (int i = 0; i < 3000; ++i, ++runs)
        runOne(jarvis::fuzz::mutate(rng, anySeed()));
    for (int i = 0; i < 500; ++i, ++runs) {
        const QByteArray a = anySeed();
        const QByteArray b = anySeed();
        runOne(
            a.left(qsizetype(rng() % (a.size() + 1))) + b.mid(qsizetype(rng() % (b.size() + 1))));
    }
    for (int i = 0; i < 500; ++i, ++runs)
        runOne(jarvis::fuzz::randomBytes(rng, 300));
    std::printf("%s: %zu seeds, %d inputs, no failure\n", name.constData(), seeds.size(), runs);
    return 0;
}
