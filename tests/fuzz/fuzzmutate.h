#pragma once

// Deterministic input makers for the smoke runs of the fuzz targets (fuzz_smoke_main.cpp,
// tests/net/fuzz_smoke.cpp): random bytes and small mutations of valid inputs.
#include <QByteArray>

#include <random>

namespace jarvis::fuzz {

inline QByteArray randomBytes(std::mt19937 &rng, int maxLength)
{
    QByteArray out;
    const int length = int(rng() % (maxLength + 1));
    for (int i = 0; i < length; ++i)
        out += char(rng() & 0xFF);
    return out;
}

// 1 to 4 of: flip a bit, replace, insert or delete a byte, truncate, duplicate a slice.
inline QByteArray mutate(std::mt19937 &rng, QByteArray input)
{
    const int mutations = 1 + int(rng() % 4);
    for (int m = 0; m < mutations; ++m) {
        const qsizetype pos = input.isEmpty() ? 0 : qsizetype(rng() % input.size());
        switch (rng() % 6) {
        case 0:
            if (!input.isEmpty())
                input[pos] = char(input[pos] ^ (1 << (rng() % 8)));
            break;
        case 1:
            if (!input.isEmpty())
                input[pos] = char(rng() & 0xFF);
            break;
        case 2:
            input.insert(pos, char(rng() & 0xFF));
            break;
        case 3:
            if (!input.isEmpty())
                input.remove(pos, 1);
            break;
        case 4:
            input.truncate(pos);
            break;
        case 5:
            input.insert(pos, input.mid(pos, qsizetype(rng() % 16)));
            break;
        }
    }
    return input;
}

} // namespace jarvis::fuzz
