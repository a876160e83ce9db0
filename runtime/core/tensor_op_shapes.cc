// Shape arithmetic of the tensor ops.
#include "runtime/core/tensor_op_shapes.h"

#include <algorithm>

#include "runtime/core/shape_rules.h"

namespace graphc {

std::optional<Shape> squeeze_shape(const Shape& input, const std::vector<int64_t>& axes) {
  auto rank = static_cast<int64_t>(input.size());
  Shape out;
  if (axes.empty()) {
    for (int64_t d : input) {
      if (d != 1) out.push_back(d);
    }
    return out;
  }
  auto resolved = normalize_axes(axes, rank);
  if (!resolved) return std::nullopt;
  for (int64_t a : *resolved) {
    if (input[a] != 1) return std::nullopt;
  }
  for (int64_t d = 0; d < rank; ++d) {
    if (std::find(resolved->begin(), resolved->end(), d) == resolved->end()) out.push_back(input[d]);
  }
  return out;
}

std::optional<Shape> unsqueeze_shape(const Shape& input, const std::vector<int64_t>& axes) {
  auto out_rank = static_cast<int64_t>(input.size() + axes.size());
  auto resolved = normalize_axes(axes, out_rank);
  if (!resolved) return std::nullopt;
  Shape out;
  size_t next = 0;
  for (int64_t d = 0; d < out_rank; ++d) {
    bool inserted = std::find(resolved->begin(), resolved->end(), d) != resolved->end();
    out.push_back(inserted ? 1 : input[next++]);
  }
  return out;
}

std::pair<int64_t, int64_t> shape_range(int64_t rank, int64_t start, std::optional<int64_t> end) {
  auto clamp = [rank](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
  int64_t s = clamp(start);
  int64_t e = end ? clamp(*end) : rank;
  return {s, std::max(s, e)};
}

std::optional<Shape> tile_shape(const Shape& input, const std::vector<int64_t>& repeats) {
  if (repeats.size() != input.size()) return std::nullopt;
  Shape out;
  for (size_t d = 0; d < input.size(); ++d) {
    if (repeats[d] < 0) return std::nullopt;
    out.push_back(input[d] * repeats[d]);
  }
  return out;
}

std::optional<Shape> expand_shape(const Shape& input, const std::vector<int64_t>& shape) {
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
  }
  return broadcast_shapes(input, Shape(shape.begin(), shape.end()));
}

}  // namespace graphc
