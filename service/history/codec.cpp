#include "history/codec.h"

#include <algorithm>
#include <cmath>

namespace jarvis::history {

namespace {
// ln of the largest byte value each width represents, over the codes left for it (code 0 is
// zero, code 1 is one).
const double Log16 = std::log(std::ldexp(1.0, 48)) / 65533.0;
const double Log8 = std::log(std::ldexp(1.0, 44)) / 253.0;

template<typename Code> Code encodeLinear(double value, double perUnit, int top)
{
    const double scaled = std::clamp(value * perUnit, 0.0, double(top));
    return Code(std::lround(scaled));
}

template<typename Code> Code encodeLog(double value, double step, int top)
{
    if (!(value >= 0.5))
        return 0;
    if (value < 1.0)
        return 1;
    const double code = 1.0 + std::log(value) / step;
    return Code(std::lround(std::min(code, double(top))));
}

double decodeLog(int code, double step)
{
    return code == 0 ? 0.0 : std::exp(double(code - 1) * step);
}
} // namespace

quint16 encode16(Scale scale, double value)
{
    if (std::isnan(value))
        return Null16;
    switch (scale) {
    case Scale::Fraction:
        return encodeLinear<quint16>(value, 65534.0, 65534);
    case Scale::Bytes:
        return encodeLog<quint16>(value, Log16, 65534);
    case Scale::Celsius:
        return encodeLinear<quint16>(value, 100.0, 65534);
    }
    return Null16;
}

double decode16(Scale scale, quint16 code)
{
    if (code == Null16)
        return std::nan("");
    switch (scale) {
    case Scale::Fraction:
        return code / 65534.0;
    case Scale::Bytes:
        return decodeLog(code, Log16);
    case Scale::Celsius:
        return code / 100.0;
    }
    return std::nan("");
}

quint8 encode8(Scale scale, double value)
{
    if (std::isnan(value))
        return Null8;
    switch (scale) {
    case Scale::Fraction:
        return encodeLinear<quint8>(value, 254.0, 254);
    case Scale::Bytes:
        return encodeLog<quint8>(value, Log8, 254);
    case Scale::Celsius:
        return encodeLinear<quint8>(value, 2.0, 254);
    }
    return Null8;
}

double decode8(Scale scale, quint8 code)
{
    if (code == Null8)
        return std::nan("");
    switch (scale) {
    case Scale::Fraction:
        return code / 254.0;
    case Scale::Bytes:
        return decodeLog(code, Log8);
    case Scale::Celsius:
        return code / 2.0;
    }
    return std::nan("");
}

double maxError16(Scale scale)
{
    switch (scale) {
    case Scale::Fraction:
        return 0.5 / 65534.0;
    case Scale::Bytes:
        return std::expm1(Log16 / 2);
    case Scale::Celsius:
        return 0.005;
    }
    return 0;
}

double maxError8(Scale scale)
{
    switch (scale) {
    case Scale::Fraction:
        return 0.5 / 254.0;
    case Scale::Bytes:
        return std::expm1(Log8 / 2);
    case Scale::Celsius:
        return 0.25;
    }
    return 0;
}

} // namespace jarvis::history
