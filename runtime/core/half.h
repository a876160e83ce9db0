// 16-bit floating-point formats: IEEE binary16 (f16) and bfloat16 (bf16).
//
// Values are stored as their raw bit patterns (uint16_t). Conversions to the
// 16-bit formats round to nearest, ties to even, as IEEE 754 requires:
// values past the largest finite number become infinity, tiny values become
// f16 subnormals or zero, and NaN stays NaN (quiet, sign kept). Conversions
// back to float are exact.
#pragma once

#include <cstdint>

namespace graphc {

uint16_t float_to_f16(float value);
float f16_to_float(uint16_t bits);

uint16_t float_to_bf16(float value);
float bf16_to_float(uint16_t bits);

/// An integer rounded once, straight to the 16-bit format (going through
/// float would round twice and can differ on ties).
uint16_t int_to_f16(int64_t value);
uint16_t int_to_bf16(int64_t value);

}  // namespace graphc
