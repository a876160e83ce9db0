// Conversion of elements between any two dtypes with Cast's semantics
// (docs/ops.md): float → int truncates toward zero (NaN → 0, out-of-range
// values saturate), int → narrower int keeps the low bits, → bool is x ≠ 0,
// bool → 0 or 1, and → f16/bf16 rounds once to nearest even.
#pragma once

#include <cstdint>

#include "graphc/tensor.h"

namespace graphc {

/// Converts `count` elements at `src` into `dst` (which must not overlap).
using ElementConverter = void (*)(const void* src, void* dst, int64_t count);

/// The converter from dtype `from` to dtype `to`.
ElementConverter element_converter(DType from, DType to);

}  // namespace graphc
