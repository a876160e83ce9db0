// Tests of the f16/bf16 conversions, exhaustively over the 16-bit formats:
// decoding against the format's definition, round trips, and rounding of
// every midpoint between neighbours (ties to even) and of its neighbours.
#include "runtime/core/half.h"

#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>

namespace graphc {
namespace {

/// An f16's value from its definition: (-1)^s · 2^(e-15) · 1.m, or
/// (-1)^s · m · 2^-24 for subnormals (finite patterns only).
double f16_value(uint16_t bits) {
  int exponent = (bits >> 10) & 0x1F;
  int mantissa = bits & 0x3FF;
  double magnitude = exponent == 0 ? std::ldexp(mantissa, -24) : std::ldexp(1024 + mantissa, exponent - 25);
  return (bits & 0x8000) != 0 ? -magnitude : magnitude;
}

/// Checks that `to16` rounds the midpoint between each pair of neighbouring
/// non-negative finite values lo < hi to the even one, anything just above
/// the midpoint to hi and just below to lo, for both signs. `max_finite` is
/// the largest finite pattern, and `past_max` the value the next pattern
/// (infinity) would have with an unbounded exponent.
template <class To16, class From16>
void check_rounding(To16 to16, From16 from16, uint16_t max_finite, double past_max) {
  for (uint32_t lo = 0; lo <= max_finite; ++lo) {
    auto hi = static_cast<uint16_t>(lo + 1);
    double hi_value = lo == max_finite ? past_max : from16(hi);
    auto mid = static_cast<float>((from16(static_cast<uint16_t>(lo)) + hi_value) / 2);  // exact
    uint16_t even = (lo & 1) == 0 ? static_cast<uint16_t>(lo) : hi;
    INFO("lo = " << lo);
    REQUIRE(to16(mid) == even);
    REQUIRE(to16(-mid) == (even | 0x8000));
    REQUIRE(to16(std::nextafter(mid, std::numeric_limits<float>::infinity())) == hi);
    REQUIRE(to16(std::nextafter(mid, 0.0f)) == lo);
  }
}

}  // namespace

TEST_CASE("f16 decodes exactly and every value round trips", "[half][kernels]") {
  for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    auto h = static_cast<uint16_t>(bits);
    bool special = ((h >> 10) & 0x1F) == 0x1F;
    INFO("bits = " << bits);
    if (!special) REQUIRE(static_cast<double>(f16_to_float(h)) == f16_value(h));
    if (special && (h & 0x3FF) != 0) {
      REQUIRE(std::isnan(f16_to_float(h)));
      continue;
    }
    REQUIRE(float_to_f16(f16_to_float(h)) == h);
  }
  CHECK(std::isinf(f16_to_float(0x7C00)));
  CHECK(f16_to_float(0x7BFF) == 65504.0f);
  CHECK(f16_to_float(0x0001) == std::ldexp(1.0f, -24));
}

TEST_CASE("f32 to f16 rounds to nearest even, overflows to inf, keeps NaN", "[half][kernels]") {
  check_rounding(
      float_to_f16, [](uint16_t h) { return static_cast<double>(f16_to_float(h)); }, 0x7BFF, 65536.0);
  CHECK(float_to_f16(std::numeric_limits<float>::max()) == 0x7C00);
  CHECK(float_to_f16(-std::numeric_limits<float>::infinity()) == 0xFC00);
  CHECK(float_to_f16(std::numeric_limits<float>::denorm_min()) == 0x0000);
  CHECK(float_to_f16(-0.0f) == 0x8000);
  uint16_t nan = float_to_f16(std::bit_cast<float>(uint32_t{0xFF800001}));  // a signalling NaN
  CHECK(std::isnan(f16_to_float(nan)));
  CHECK((nan & 0x8000) != 0);
}

TEST_CASE("bf16 is the top half of a float, rounded to nearest even", "[half][kernels]") {
  for (uint32_t bits = 0; bits <= 0xFFFF; ++bits) {
    auto h = static_cast<uint16_t>(bits);
    float value = bf16_to_float(h);
    REQUIRE(std::bit_cast<uint32_t>(value) == bits << 16);
    if (!std::isnan(value)) REQUIRE(float_to_bf16(value) == h);
  }
  check_rounding(
      float_to_bf16, [](uint16_t h) { return static_cast<double>(bf16_to_float(h)); }, 0x7F7F, std::ldexp(1.0, 128));
  // Truncating a NaN whose payload is in the low bits would give infinity.
  CHECK(std::isnan(bf16_to_float(float_to_bf16(std::bit_cast<float>(uint32_t{0x7F800001})))));
}

TEST_CASE("integers convert to f16 and bf16 with one rounding", "[half][kernels]") {
  // Integers below 2^24 are exact floats, so the float conversion rounds once.
  for (int64_t v = -70000; v <= 70000; ++v) {
    INFO("v = " << v);
    REQUIRE(int_to_f16(v) == float_to_f16(static_cast<float>(v)));
    REQUIRE(int_to_bf16(v) == float_to_bf16(static_cast<float>(v)));
  }
  // Above 2^24 a float conversion would round first: 2^30 + 2^22 + 1 is just
  // above the bf16 tie between 2^30 (0x4E80) and 2^30 + 2^23 (0x4E81).
  CHECK(int_to_bf16((int64_t{1} << 30) + (int64_t{1} << 22) + 1) == 0x4E81);
  CHECK(float_to_bf16(static_cast<float>((int64_t{1} << 30) + (int64_t{1} << 22) + 1)) == 0x4E80);
  CHECK(int_to_bf16(std::numeric_limits<int64_t>::min()) == 0xDF00);  // -2^63
  CHECK(int_to_bf16(std::numeric_limits<int64_t>::max()) == 0x5F00);  // rounds up to 2^63
  CHECK(int_to_f16(std::numeric_limits<int64_t>::min()) == 0xFC00);
  CHECK(int_to_f16(65519) == 0x7BFF);
  CHECK(int_to_f16(65520) == 0x7C00);
}

}  // namespace graphc
