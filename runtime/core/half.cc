// f16/bf16 conversions with round-to-nearest-even, on the bit patterns.
//
// float is binary32: 1 sign bit, 8 exponent bits (bias 127), 23 mantissa bits.
// f16 is 1 + 5 (bias 15) + 10; bf16 is the top half of a float, 1 + 8 + 7.
// Rounding a mantissa to fewer bits looks at the dropped bits: more than half
// an ulp rounds up, exactly half rounds to the even neighbour; a carry out of
// the mantissa correctly bumps the exponent.
#include "runtime/core/half.h"

#include <bit>
#include <cmath>

namespace graphc {
namespace {

/// `value >> shift` rounded to nearest, ties to even (shift >= 1).
uint64_t shift_right_rounded(uint64_t value, int shift) {
  uint64_t kept = value >> shift;
  uint64_t dropped = value & ((uint64_t{1} << shift) - 1);
  uint64_t half = uint64_t{1} << (shift - 1);
  if (dropped > half || (dropped == half && (kept & 1) != 0)) ++kept;
  return kept;
}

/// An integer rounded to `bits` significant bits (nearest, ties to even), as
/// a float. The result has at most 24 significant bits, so float holds it
/// exactly and a later conversion to a format with `bits` bits is exact too.
float round_to_significant_bits(int64_t value, int bits) {
  uint64_t magnitude = value < 0 ? uint64_t{0} - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  int length = std::bit_width(magnitude);
  if (length > bits) {
    int shift = length - bits;
    magnitude = shift_right_rounded(magnitude, shift) << shift;
  }
  float rounded = static_cast<float>(magnitude);
  return value < 0 ? -rounded : rounded;
}

}  // namespace

uint16_t float_to_f16(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  uint32_t magnitude = bits & 0x7FFFFFFF;
  if (magnitude > 0x7F800000) return sign | 0x7E00;   // NaN
  if (magnitude >= 0x477FF000) return sign | 0x7C00;  // >= 65520 (halfway past 65504) rounds to inf
  int exponent = static_cast<int>(magnitude >> 23);   // biased by 127
  uint32_t mantissa = magnitude & 0x7FFFFF;
  if (exponent >= 113) {  // >= 2^-14: an f16 normal
    uint32_t rebased = (static_cast<uint32_t>(exponent - 112) << 23) | mantissa;
    return sign | static_cast<uint16_t>(shift_right_rounded(rebased, 13));
  }
  // An f16 subnormal counts units of 2^-24. The float is (mantissa | 2^23) *
  // 2^(exponent - 150), i.e. that significand shifted right by 126 - exponent
  // units; below 2^-25 (shift > 24) everything rounds to zero.
  int shift = 126 - exponent;
  if (shift > 24) return sign;
  return sign | static_cast<uint16_t>(shift_right_rounded(mantissa | 0x800000, shift));
}

float f16_to_float(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1F;
  uint32_t mantissa = bits & 0x3FF;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign != 0 ? -magnitude : magnitude;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7F800000 | (mantissa << 13));  // inf, NaN
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t float_to_bf16(float value) {
  uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & 0x7FFFFFFF) > 0x7F800000) return static_cast<uint16_t>((bits >> 16) | 0x0040);  // quiet NaN
  return static_cast<uint16_t>(shift_right_rounded(bits, 16));
}

float bf16_to_float(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

uint16_t int_to_f16(int64_t value) { return float_to_f16(round_to_significant_bits(value, 11)); }

uint16_t int_to_bf16(int64_t value) { return float_to_bf16(round_to_significant_bits(value, 8)); }

}  // namespace graphc
