// Shape arithmetic of the ops that pick or place elements by index
// (index_ops.cc, index_kernels.cc): shared by shape inference and kernels,
// so both agree by construction.
#pragma once

#include <cstdint>
#include <optional>

#include "graphc/tensor.h"

namespace graphc {

/// GatherND's output: indices.shape[:-1] + data.shape[batch_dims + k:] with
/// k = indices.shape[-1]. std::nullopt unless 0 <= batch_dims < min(rank of
/// data, rank of indices), the first batch_dims dims of data and indices
/// agree, and 1 <= k <= rank(data) - batch_dims.
std::optional<Shape> gather_nd_shape(const Shape& data, const Shape& indices, int64_t batch_dims);

/// ScatterND's updates shape: indices.shape[:-1] + data.shape[k:] with
/// k = indices.shape[-1]; std::nullopt unless indices has rank >= 1 and
/// 1 <= k <= rank(data).
std::optional<Shape> scatter_nd_updates_shape(const Shape& data, const Shape& indices);

/// TopK's outputs (values and indices): x's shape with dim `axis` (resolved)
/// replaced by k; std::nullopt unless 0 <= k <= that dim.
std::optional<Shape> top_k_shape(const Shape& x, int64_t axis, int64_t k);

}  // namespace graphc
