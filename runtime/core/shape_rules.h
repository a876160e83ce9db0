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

}  // namespace graphc
