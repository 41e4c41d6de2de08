#pragma once

#include <QtGlobal>

#include <cmath>

// The quantisation of history values (PROTOCOL.md section 5, "HistorySeries"): the hour rings
// keep 16 bits a value, the day rings 8 bits. Three scales:
// - Fraction (cpu, 0..1): linear. 16-bit step 1/65534 (error <= 7.7e-6); 8-bit step 1/254
//   (error <= 0.002, a fifth of a percentage point).
// - Bytes (memory, and bytes per second): logarithmic, so that the error is relative. 0 stands
//   for anything below 0.5; 16 bits cover 1 .. 2^48 with a relative error <= 0.026 %; 8 bits cover
//   1 .. 2^44 (16 TiB) with a relative error <= 6.3 %. Larger values are clamped to the top.
// - Celsius: linear. 16-bit 0.01 °C (0 .. 655.34 °C, error <= 0.005 °C); 8-bit 0.5 °C
//   (0 .. 127 °C, error <= 0.25 °C). Below 0 is clamped to 0.
// The top code of each width (0xFFFF, 0xFF) is null: no value. NaN encodes as null.
namespace jarvis::history {

enum class Scale : quint8 { Fraction, Bytes, Celsius };

inline constexpr quint16 Null16 = 0xFFFF;
inline constexpr quint8 Null8 = 0xFF;

quint16 encode16(Scale scale, double value);
double decode16(Scale scale, quint16 code); // NaN for Null16
quint8 encode8(Scale scale, double value);
double decode8(Scale scale, quint8 code); // NaN for Null8

// Worst-case quantisation error of a value (what the tests hold the codec to): absolute for
// Fraction and Celsius, relative for Bytes >= 1.
double maxError16(Scale scale);
double maxError8(Scale scale);

} // namespace jarvis::history
