// Precomputed element offsets for the reference kernels that walk one tensor
// in another's index space (broadcasting, transposes, slices, reductions).
//
// A factory builds the map once; run() then reads `source[map[i]]` for each
// element i of its output (or input) in C order, with no index arithmetic.
// The maps cost 8 bytes per element, which the reference kernels accept for
// loops that are obviously correct.
#pragma once

#include <cstdint>
#include <vector>

#include "graphc/tensor.h"

namespace graphc {

/// For each element of `shape` in C order: base + Σ index[d] · strides[d].
std::vector<int64_t> strided_offsets(const Shape& shape, const std::vector<int64_t>& strides, int64_t base = 0);

/// For each element of `to` in C order, the offset of the element of `from`
/// it reads when `from` is broadcast to `to` (NumPy rules: `from` is aligned
/// to the right and its dims of 1 repeat). `from` must broadcast to `to`.
std::vector<int64_t> broadcast_offsets(const Shape& from, const Shape& to);

/// As broadcast_offsets, but empty when `from` is `to`: an operand that
/// already has the output's shape is read in place, element i for element i.
std::vector<int64_t> broadcast_offsets_if_needed(const Shape& from, const Shape& to);

}  // namespace graphc
