// Shape arithmetic of the index ops.
#include "runtime/core/index_op_shapes.h"

#include <algorithm>

namespace graphc {

std::optional<Shape> gather_nd_shape(const Shape& data, const Shape& indices, int64_t batch_dims) {
  auto data_rank = static_cast<int64_t>(data.size());
  auto index_rank = static_cast<int64_t>(indices.size());
  if (batch_dims < 0 || batch_dims >= std::min(data_rank, index_rank)) return std::nullopt;
  if (!std::equal(data.begin(), data.begin() + batch_dims, indices.begin())) return std::nullopt;
  int64_t k = indices.back();
  if (k < 1 || k > data_rank - batch_dims) return std::nullopt;
  Shape out(indices.begin(), indices.end() - 1);
  out.insert(out.end(), data.begin() + batch_dims + k, data.end());
  return out;
}

std::optional<Shape> scatter_nd_updates_shape(const Shape& data, const Shape& indices) {
  if (indices.empty()) return std::nullopt;
  int64_t k = indices.back();
  if (k < 1 || k > static_cast<int64_t>(data.size())) return std::nullopt;
  Shape updates(indices.begin(), indices.end() - 1);
  updates.insert(updates.end(), data.begin() + k, data.end());
  return updates;
}

std::optional<Shape> top_k_shape(const Shape& x, int64_t axis, int64_t k) {
  if (axis < 0 || axis >= static_cast<int64_t>(x.size()) || k < 0 || k > x[axis]) return std::nullopt;
  Shape out = x;
  out[axis] = k;
  return out;
}

}  // namespace graphc
