// Shape arithmetic of the tensor ops (tensor_ops.cc, tensor_kernels.cc):
// shared by shape inference and kernels, so both agree by construction.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "graphc/tensor.h"

namespace graphc {

/// Squeeze: `input` without the dims `axes` (which must be 1), or without
/// every dim of 1 when `axes` is empty; std::nullopt when an axis is out of
/// range, repeated or not of size 1.
std::optional<Shape> squeeze_shape(const Shape& input, const std::vector<int64_t>& axes);

/// Unsqueeze: `input` with dims of 1 inserted at `axes`, which index the
/// output (rank + |axes|); std::nullopt when one is out of range or repeated.
std::optional<Shape> unsqueeze_shape(const Shape& input, const std::vector<int64_t>& axes);

/// Shape's [start, end) range of dims for a rank-`rank` input, with ONNX
/// clamping (negative values count from the end; the range may be empty).
std::pair<int64_t, int64_t> shape_range(int64_t rank, int64_t start, std::optional<int64_t> end);

/// Tile: dim d times repeats[d]; std::nullopt when the lengths differ or a
/// repeat is negative.
std::optional<Shape> tile_shape(const Shape& input, const std::vector<int64_t>& repeats);

/// Expand: `input` broadcast with `shape` (ONNX Expand: bidirectional
/// broadcasting, so a 1 in `shape` keeps the input's dim).
std::optional<Shape> expand_shape(const Shape& input, const std::vector<int64_t>& shape);

}  // namespace graphc
