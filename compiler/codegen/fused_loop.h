// The loop nest of a fused elementwise kernel.
//
// The iteration shape's dims of size 1 are dropped and adjacent dims are
// merged where every input agrees on whether it broadcasts along both, so
// [N, C, H, W] with a [1, C, 1, 1] bias becomes [N, C, H·W]. The kernel
// then loops over rows (every collapsed dim but the last) and columns (the
// last): along the columns each input is read contiguously (stride 1) or is
// one value (stride 0), which is what LLVM's loop vectoriser wants. An
// input's offset at the start of a row follows from the row index by
// division with constant extents. A kernel with reductions over the last
// axis keeps that axis as its columns, so a row of the loop is a row of
// the reduction.
#pragma once

#include <cstdint>
#include <vector>

#include "graphc/tensor.h"

namespace graphc::codegen {

struct FusedLoop {
  std::vector<int64_t> dims;                  // collapsed; the last is the columns
  std::vector<std::vector<int64_t>> strides;  // per input, per collapsed dim (elements; 0 = broadcast)
  int64_t rows() const;
  int64_t cols() const { return dims.back(); }
};

/// The loop nest over `shape` for inputs of `input_shapes` (each broadcasts
/// to it). With `keep_last` (a kernel with row reductions) the columns are
/// exactly `shape`'s last dim, whatever its size, and the rows its leading
/// dims, collapsed as usual.
FusedLoop collapse_loop(const Shape& shape, const std::vector<Shape>& input_shapes, bool keep_last = false);

}  // namespace graphc::codegen
