#pragma once

// Deterministic hostile inputs for decoder robustness tests: every other round a random string
// (mostly from `alphabet`, sometimes any byte), otherwise a seed with 1 to 4 random mutations
// (byte changed, byte removed, alphabet byte inserted, truncation).
#include <QByteArray>
#include <QList>
#include <QRandomGenerator>

class HostileInput
{
public:
    HostileInput(quint32 seed, QByteArray alphabet, QList<QByteArray> seeds, int maxRandomLength)
        : m_random(seed)
        , m_alphabet(std::move(alphabet))
        , m_seeds(std::move(seeds))
        , m_maxRandomLength(maxRandomLength)
    { }

    QByteArray next(int round)
    {
        QByteArray input;
        if (round % 2 == 0) {
            const int length = int(m_random.bounded(m_maxRandomLength));
            for (int i = 0; i < length; ++i)
                input.append(m_random.bounded(4) == 0 ? char(m_random.bounded(256)) : letter());
            return input;
        }
        input = m_seeds[m_random.bounded(int(m_seeds.size()))];
        const int mutations = 1 + int(m_random.bounded(4));
        for (int m = 0; m < mutations && !input.isEmpty(); ++m) {
            const qsizetype at = m_random.bounded(int(input.size()));
            switch (m_random.bounded(4)) {
            case 0:
                input[at] = char(m_random.bounded(256));
                break;
            case 1:
                input.remove(at, 1);
                break;
            case 2:
                input.insert(at, letter());
                break;
            default:
                input.truncate(at);
                break;
            }
        }
        return input;
    }

    QRandomGenerator &random() { return m_random; }

private:
    char letter() { return m_alphabet.at(m_random.bounded(int(m_alphabet.size()))); }

    QRandomGenerator m_random;
    QByteArray m_alphabet;
    QList<QByteArray> m_seeds;
    int m_maxRandomLength;
};
