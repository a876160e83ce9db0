// Shape arithmetic shared by shape inference (compiler) and kernels (runtime),
// so both sides agree by construction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "graphc/tensor.h"

namespace graphc {

/// NumPy broadcasting of two shapes; std::nullopt when incompatible.
std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b);

/// Resolves a possibly negative axis (counted from the end) against `rank`;
/// std::nullopt when it is outside [-rank, rank).
std::optional<int64_t> normalize_axis(int64_t axis, int64_t rank);

/// C-order strides (in elements) of a shape.
std::vector<int64_t> strides_of(const Shape& shape);

/// Output length of a sliding window (convolution or pooling) along one dim.
/// Returns a value < 1 when the window does not fit.
int64_t window_output_size(int64_t input, int64_t kernel, int64_t stride, int64_t pad_begin,
                           int64_t pad_end, int64_t dilation, bool ceil_mode = false);

/// Resolves each axis against `rank`, keeping their order; std::nullopt when
/// one is outside [-rank, rank) or two resolve to the same axis.
std::optional<std::vector<int64_t>> normalize_axes(const std::vector<int64_t>& axes, int64_t rank);

/// The axes a reduction (ReduceSum/Mean/Max) folds, sorted: `axes` resolved
/// against `rank`, or every axis when `axes` is empty; std::nullopt as for
/// normalize_axes.
std::optional<std::vector<int64_t>> reduction_axes(const std::vector<int64_t>& axes, int64_t rank);

/// `input` with the (sorted, resolved) `axes` removed, or kept as 1s.
Shape reduced_shape(const Shape& input, const std::vector<int64_t>& axes, bool keepdims);

/// Transpose's permutation: `perm` resolved (negative entries count from the
/// end), or the reversed dims when it is empty; std::nullopt unless it is a
/// permutation of 0..rank-1. Output dim i is input dim perm[i].
std::optional<std::vector<int64_t>> transpose_perm(const std::vector<int64_t>& perm, int64_t rank);

/// The elements one dim of a Slice visits: start, start + step, ... (`size`
/// of them; size 0 selects nothing).
struct SliceRange {
  int64_t start = 0;
  int64_t step = 1;
  int64_t size = 0;
};

/// ONNX Slice along a dim of length `dim`: negative `start`/`end` count from
/// the end, both are clamped (to [0, dim] for a positive step, to [0, dim-1]
/// and [-1, dim-1] for a negative one). `step` must not be 0.
SliceRange slice_range(int64_t dim, int64_t start, int64_t end, int64_t step);

/// Slice's range for every dim of `input` (unsliced dims are [0, dim) step 1).
/// `axes` empty means 0..starts.size()-1, `steps` empty means all 1s. The
/// attributes must be valid: equal lengths, distinct in-range axes, no zero
/// step (infer-shapes checks them and names the node otherwise).
std::vector<SliceRange> slice_ranges(const Shape& input, const std::vector<int64_t>& starts,
                                     const std::vector<int64_t>& ends, const std::vector<int64_t>& axes,
                                     const std::vector<int64_t>& steps);

/// MatMul's operands seen as batches of matrices: `a` is a_batch + [m, k_a]
/// and `b` is b_batch + [k_b, n] after the transposes (which swap the last
/// two dims of a rank >= 2 operand) and after promoting a 1-D `a` to [1, K]
/// and a 1-D `b` to [K, 1]. Both operands must have rank >= 1.
struct MatMulDims {
  Shape a_batch;
  Shape b_batch;
  int64_t m = 1;
  int64_t k_a = 1;
  int64_t k_b = 1;
  int64_t n = 1;
  bool a_is_vector = false;  // the promoted dim is dropped from the output
  bool b_is_vector = false;
};
MatMulDims matmul_dims(const Shape& a, const Shape& b, bool transpose_a, bool transpose_b);

/// MatMul's output: broadcast(a_batch, b_batch) + [m, n], without the dims
/// added for 1-D operands; std::nullopt when k_a != k_b or the batch dims do
/// not broadcast.
std::optional<Shape> matmul_output_shape(const MatMulDims& dims);

}  // namespace graphc
