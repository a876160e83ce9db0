// Shape arithmetic shared by shape inference and kernels.
#include "runtime/core/shape_rules.h"

#include <algorithm>
#include <numeric>

namespace graphc {

std::optional<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::optional<int64_t> normalize_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> strides_of(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

int64_t window_output_size(int64_t input, int64_t kernel, int64_t stride, int64_t pad_begin, int64_t pad_end,
                           int64_t dilation, bool ceil_mode) {
  int64_t span = dilation * (kernel - 1) + 1;
  int64_t room = input + pad_begin + pad_end - span;
  if (room < 0) return 0;
  int64_t out = (ceil_mode ? (room + stride - 1) / stride : room / stride) + 1;
  // With ceil_mode, the last window must start inside the input or its
  // leading padding (ONNX and PyTorch agree on this rule).
  if (ceil_mode && (out - 1) * stride >= input + pad_begin) --out;
  return out;
}

namespace {

/// 0, 1, ..., rank-1.
std::vector<int64_t> all_axes(int64_t rank) {
  std::vector<int64_t> axes(static_cast<size_t>(rank));
  std::iota(axes.begin(), axes.end(), 0);
  return axes;
}

}  // namespace

std::optional<std::vector<int64_t>> normalize_axes(const std::vector<int64_t>& axes, int64_t rank) {
  std::vector<int64_t> out;
  std::vector<bool> seen(static_cast<size_t>(std::max<int64_t>(rank, 0)), false);
  for (int64_t axis : axes) {
    auto a = normalize_axis(axis, rank);
    if (!a || seen[*a]) return std::nullopt;
    seen[*a] = true;
    out.push_back(*a);
  }
  return out;
}

std::optional<std::vector<int64_t>> reduction_axes(const std::vector<int64_t>& axes, int64_t rank) {
  if (axes.empty()) return all_axes(rank);
  auto out = normalize_axes(axes, rank);
  if (out) std::sort(out->begin(), out->end());
  return out;
}

Shape reduced_shape(const Shape& input, const std::vector<int64_t>& axes, bool keepdims) {
  Shape out;
  for (size_t i = 0; i < input.size(); ++i) {
    bool reduced = std::binary_search(axes.begin(), axes.end(), static_cast<int64_t>(i));
    if (!reduced) out.push_back(input[i]);
    else if (keepdims) out.push_back(1);
  }
  return out;
}

std::optional<std::vector<int64_t>> transpose_perm(const std::vector<int64_t>& perm, int64_t rank) {
  if (perm.empty()) {
    std::vector<int64_t> reversed = all_axes(rank);
    std::reverse(reversed.begin(), reversed.end());
    return reversed;
  }
  auto resolved = normalize_axes(perm, rank);
  if (!resolved || static_cast<int64_t>(resolved->size()) != rank) return std::nullopt;
  return resolved;
}

SliceRange slice_range(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  // A step longer than the dim visits at most one element either way;
  // clamping it keeps the arithmetic below from overflowing.
  int64_t longest = std::max<int64_t>(dim, 1);
  step = std::clamp(step, -longest, longest);
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    return {start, step, end > start ? (end - start + step - 1) / step : 0};
  }
  if (dim == 0) return {0, step, 0};
  start = std::clamp<int64_t>(start, 0, dim - 1);
  end = std::clamp<int64_t>(end, -1, dim - 1);
  return {start, step, start > end ? (start - end - step - 1) / -step : 0};
}

std::vector<SliceRange> slice_ranges(const Shape& input, const std::vector<int64_t>& starts,
                                     const std::vector<int64_t>& ends, const std::vector<int64_t>& axes,
                                     const std::vector<int64_t>& steps) {
  std::vector<SliceRange> ranges;
  for (int64_t dim : input) ranges.push_back({0, 1, dim});
  auto rank = static_cast<int64_t>(input.size());
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t axis = axes.empty() ? static_cast<int64_t>(i) : *normalize_axis(axes[i], rank);
    int64_t step = steps.empty() ? 1 : steps[i];
    ranges[axis] = slice_range(input[axis], starts[i], ends[i], step);
  }
  return ranges;
}

MatMulDims matmul_dims(const Shape& a, const Shape& b, bool transpose_a, bool transpose_b) {
  MatMulDims d;
  if (a.size() == 1) {
    d.a_is_vector = true;
    d.k_a = a[0];
  } else {
    d.a_batch.assign(a.begin(), a.end() - 2);
    d.m = a[a.size() - 2];
    d.k_a = a[a.size() - 1];
    if (transpose_a) std::swap(d.m, d.k_a);
  }
  if (b.size() == 1) {
    d.b_is_vector = true;
    d.k_b = b[0];
  } else {
    d.b_batch.assign(b.begin(), b.end() - 2);
    d.k_b = b[b.size() - 2];
    d.n = b[b.size() - 1];
    if (transpose_b) std::swap(d.k_b, d.n);
  }
  return d;
}

std::optional<Shape> matmul_output_shape(const MatMulDims& dims) {
  if (dims.k_a != dims.k_b) return std::nullopt;
  auto out = broadcast_shapes(dims.a_batch, dims.b_batch);
  if (!out) return std::nullopt;
  if (!dims.a_is_vector) out->push_back(dims.m);
  if (!dims.b_is_vector) out->push_back(dims.n);
  return out;
}

}  // namespace graphc
