// Reference kernels of the shape ops, for any dtype: Reshape, Flatten
// (copies), Transpose, Slice, Pad (copies through an offset map), Concat,
// Split (block copies along an axis) and Gather.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "graphc/error.h"
#include "runtime/core/shape_rules.h"
#include "runtime/kernels/reference/data_movement.h"
#include "runtime/kernels/reference/element_conversion.h"
#include "runtime/kernels/reference/index_maps.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {
namespace {

int64_t rank_of(const TensorType& t) { return static_cast<int64_t>(t.shape.size()); }

/// Whether Reshape's `target` (0 = copy the input dim, -1 = inferred) can
/// give `out` for input shape `in`; the element counts are checked apart.
bool reshape_target_matches(const std::vector<int64_t>& target, const Shape& in, const Shape& out) {
  if (target.size() != out.size() || std::count(target.begin(), target.end(), -1) > 1) return false;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t t = target[i];
    bool ok = t == -1 || (t == 0 ? i < in.size() && in[i] == out[i] : t == out[i]);
    if (!ok) return false;
  }
  return true;
}

std::unique_ptr<Kernel> make_reshape(const KernelSpec& spec) {
  expect_arity(spec, 1, 2, 1);
  const TensorType& x = spec.inputs[0];
  const TensorType& y = spec.outputs[0];
  bool from_input = spec.inputs.size() == 2;
  if (from_input == spec.attrs.has("shape")) {
    fail(spec, fmt::format("exactly one of input 1 (shape) and attribute 'shape' must give the target shape, "
                           "found {}",
                           from_input ? "both" : "neither"));
  }
  if (from_input) {
    expect_input_dtype(spec, 1, {DType::i32, DType::i64});
    if (rank_of(spec.inputs[1]) != 1)
      fail(spec, fmt::format("input 1 (shape) must be 1-D, found {}", spec.inputs[1].to_string()));
  } else if (std::vector<int64_t> target = spec.attrs.get_ints("shape");
             !reshape_target_matches(target, x.shape, y.shape)) {
    fail(spec, fmt::format("attribute 'shape' = [{}] does not give output {} for x {}", fmt::join(target, ","),
                           y.to_string(), x.to_string()));
  }
  if (y.dtype != x.dtype || num_elements(y.shape) != num_elements(x.shape)) {
    fail(spec, fmt::format("output {} must have the dtype and element count of x {}", y.to_string(), x.to_string()));
  }
  return make_copy_kernel();
}

std::unique_ptr<Kernel> make_flatten(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  const TensorType& x = spec.inputs[0];
  int64_t rank = rank_of(x);
  int64_t axis = spec.attrs.get_int("axis");
  if (axis < -rank || axis > rank) {
    fail(spec,
         fmt::format("attribute 'axis' = {} is out of range [{}, {}] for x {}", axis, -rank, rank, x.to_string()));
  }
  if (axis < 0) axis += rank;
  Shape outer(x.shape.begin(), x.shape.begin() + axis);
  Shape inner(x.shape.begin() + axis, x.shape.end());
  expect_output_type(spec, 0, {x.dtype, {num_elements(outer), num_elements(inner)}});
  return make_copy_kernel();
}

std::unique_ptr<Kernel> make_transpose(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  const TensorType& x = spec.inputs[0];
  std::vector<int64_t> attr = spec.attrs.get_ints("perm");
  auto perm = transpose_perm(attr, rank_of(x));
  if (!perm) {
    fail(spec, fmt::format("attribute 'perm' = [{}] is not a permutation of the {} dims of x {}", fmt::join(attr, ","),
                           rank_of(x), x.to_string()));
  }
  std::vector<int64_t> in_strides = strides_of(x.shape);
  Shape out;
  std::vector<int64_t> strides;
  for (int64_t p : *perm) {
    out.push_back(x.shape[p]);
    strides.push_back(in_strides[p]);
  }
  expect_output_type(spec, 0, {x.dtype, out});
  return make_offset_copy_kernel(x.dtype, strided_offsets(out, strides));
}

std::unique_ptr<Kernel> make_slice(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  const TensorType& x = spec.inputs[0];
  std::vector<int64_t> starts = spec.attrs.get_ints("starts");
  std::vector<int64_t> ends = spec.attrs.get_ints("ends");
  std::vector<int64_t> axes = spec.attrs.get_ints("axes");
  std::vector<int64_t> steps = spec.attrs.get_ints("steps");
  auto ints = [](const std::vector<int64_t>& v) { return fmt::format("[{}]", fmt::join(v, ",")); };
  bool lengths_ok = ends.size() == starts.size() && (axes.empty() || axes.size() == starts.size()) &&
                    (steps.empty() || steps.size() == starts.size());
  if (!lengths_ok) {
    fail(spec, fmt::format("attributes starts = {}, ends = {}, axes = {}, steps = {} must have equal lengths "
                           "(axes and steps may be [])",
                           ints(starts), ints(ends), ints(axes), ints(steps)));
  }
  if (axes.empty() ? starts.size() > x.shape.size() : !normalize_axes(axes, rank_of(x))) {
    fail(spec, fmt::format("the sliced axes (axes = {}, starts = {}) must be distinct axes of x {}", ints(axes),
                           ints(starts), x.to_string()));
  }
  if (std::find(steps.begin(), steps.end(), 0) != steps.end()) {
    fail(spec, fmt::format("attribute 'steps' = {} must not contain 0", ints(steps)));
  }
  std::vector<SliceRange> ranges = slice_ranges(x.shape, starts, ends, axes, steps);
  std::vector<int64_t> in_strides = strides_of(x.shape);
  Shape out;
  std::vector<int64_t> strides;
  int64_t base = 0;
  for (size_t d = 0; d < ranges.size(); ++d) {
    out.push_back(ranges[d].size);
    strides.push_back(in_strides[d] * ranges[d].step);
    base += in_strides[d] * ranges[d].start;
  }
  expect_output_type(spec, 0, {x.dtype, out});
  return make_offset_copy_kernel(x.dtype, strided_offsets(out, strides, base));
}

/// The input element each position of a padded dim reads (-1: the fill).
std::vector<int64_t> padded_sources(int64_t dim, int64_t before, int64_t after, const std::string& mode) {
  std::vector<int64_t> sources;
  for (int64_t i = -before; i < dim + after; ++i) {
    if (i >= 0 && i < dim)
      sources.push_back(i);
    else if (mode == "edge")
      sources.push_back(std::clamp<int64_t>(i, 0, dim - 1));
    else if (mode == "reflect")
      sources.push_back(i < 0 ? -i : 2 * (dim - 1) - i);
    else
      sources.push_back(-1);
  }
  return sources;
}

std::unique_ptr<Kernel> make_pad(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  const TensorType& x = spec.inputs[0];
  auto rank = static_cast<size_t>(rank_of(x));
  std::vector<int64_t> pads = ints_attr(spec, "pads", 2 * rank, 0);
  const std::string& mode = spec.attrs.get_string("mode");
  if (mode != "constant" && mode != "reflect" && mode != "edge") {
    fail(spec, fmt::format("attribute 'mode' is \"{}\", expected \"constant\", \"reflect\" or \"edge\"", mode));
  }
  // Built one dim at a time: the offsets of the padded prefix dims, times
  // the sources of the next dim.
  std::vector<int64_t> in_strides = strides_of(x.shape);
  std::vector<int64_t> offsets{0};
  Shape out;
  for (size_t d = 0; d < rank; ++d) {
    int64_t dim = x.shape[d];
    int64_t widest = std::max(pads[d], pads[rank + d]);
    if ((mode == "reflect" && widest >= dim) || (mode == "edge" && widest > 0 && dim == 0)) {
      fail(spec, fmt::format("mode \"{}\" cannot pad dim {} = {} of x {} by {} ({})", mode, d, dim, x.to_string(),
                             widest, mode == "reflect" ? "reflect needs pads < dim" : "edge needs a non-empty dim"));
    }
    std::vector<int64_t> sources = padded_sources(dim, pads[d], pads[rank + d], mode);
    std::vector<int64_t> next;
    for (int64_t prefix : offsets) {
      for (int64_t s : sources) next.push_back(prefix < 0 || s < 0 ? -1 : prefix + s * in_strides[d]);
    }
    offsets = std::move(next);
    out.push_back(static_cast<int64_t>(sources.size()));
  }
  expect_output_type(spec, 0, {x.dtype, out});
  float value = spec.attrs.get_float("value");
  std::vector<std::byte> fill(dtype_size(x.dtype));
  element_converter(DType::f32, x.dtype)(&value, fill.data(), 1);
  return make_offset_copy_kernel(x.dtype, std::move(offsets), std::move(fill));
}

/// A tensor cut into parts along one axis, as rows of bytes: viewed as
/// [outer, Σ sizes · inner], part p holds bytes [starts[p], starts[p] +
/// sizes[p]) of every row. Concat gathers the parts into rows, Split
/// scatters rows into the parts.
struct AxisParts {
  int64_t outer = 0;
  size_t row_bytes = 0;
  std::vector<size_t> part_bytes;
  std::vector<size_t> part_starts;

  AxisParts(const Shape& whole, int64_t axis, const std::vector<int64_t>& sizes, DType dtype) {
    outer = num_elements(Shape(whole.begin(), whole.begin() + axis));
    size_t inner = static_cast<size_t>(num_elements(Shape(whole.begin() + axis + 1, whole.end()))) * dtype_size(dtype);
    for (int64_t size : sizes) {
      part_starts.push_back(row_bytes);
      part_bytes.push_back(static_cast<size_t>(size) * inner);
      row_bytes += part_bytes.back();
    }
  }
};

std::unique_ptr<Kernel> make_concat(const KernelSpec& spec) {
  expect_arity(spec, 1, SIZE_MAX, 1);
  expect_one_dtype(spec);
  const TensorType& first = spec.inputs[0];
  int64_t axis = axis_attr(spec, "axis", rank_of(first));
  Shape out = first.shape;
  out[axis] = 0;
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    Shape expected = first.shape;
    expected[axis] = rank_of(spec.inputs[i]) == rank_of(first) ? spec.inputs[i].shape[axis] : 0;
    expect_input_shape(spec, i, expected, fmt::format("the dims of input 0 except along axis {}", axis));
    sizes.push_back(expected[axis]);
    out[axis] += expected[axis];
  }
  expect_output_type(spec, 0, {first.dtype, out});
  return make_kernel([parts = AxisParts(out, axis, sizes, first.dtype)](std::span<const Tensor* const> in,
                                                                        std::span<Tensor* const> out) {
    auto* y = static_cast<std::byte*>(out[0]->raw_data());
    for (int64_t o = 0; o < parts.outer; ++o) {
      for (size_t p = 0; p < in.size(); ++p) {
        const auto* x = static_cast<const std::byte*>(in[p]->raw_data());
        std::memcpy(y + o * parts.row_bytes + parts.part_starts[p], x + o * parts.part_bytes[p], parts.part_bytes[p]);
      }
    }
  });
}

std::unique_ptr<Kernel> make_split(const KernelSpec& spec) {
  bool has_sizes = spec.attrs.has("sizes");
  if (has_sizes == spec.attrs.has("num_outputs")) {
    fail(spec, fmt::format("exactly one of attributes 'sizes' and 'num_outputs' must be set, found {}",
                           has_sizes ? "both" : "neither"));
  }
  std::vector<int64_t> sizes = has_sizes ? spec.attrs.get_ints("sizes") : std::vector<int64_t>{};
  int64_t count = has_sizes ? static_cast<int64_t>(sizes.size()) : spec.attrs.get_int("num_outputs");
  if (count < 1) fail(spec, fmt::format("Split needs at least 1 output, found {}", count));
  expect_arity(spec, 1, 1, static_cast<size_t>(count));
  expect_one_dtype(spec);
  const TensorType& x = spec.inputs[0];
  int64_t axis = axis_attr(spec, "axis", rank_of(x));
  int64_t dim = x.shape[axis];
  if (has_sizes) {
    bool non_negative = std::all_of(sizes.begin(), sizes.end(), [](int64_t s) { return s >= 0; });
    if (!non_negative || std::accumulate(sizes.begin(), sizes.end(), int64_t{0}) != dim) {
      fail(spec, fmt::format("attribute 'sizes' = [{}] must be non-negative and sum to dim {} = {} of x {}",
                             fmt::join(sizes, ","), axis, dim, x.to_string()));
    }
  } else {
    if (dim % count != 0) {
      fail(spec, fmt::format("attribute 'num_outputs' = {} must divide dim {} = {} of x {}", count, axis, dim,
                             x.to_string()));
    }
    sizes.assign(static_cast<size_t>(count), dim / count);
  }
  for (size_t i = 0; i < sizes.size(); ++i) {
    TensorType part = x;
    part.shape[axis] = sizes[i];
    expect_output_type(spec, i, part);
  }
  return make_kernel([parts = AxisParts(x.shape, axis, sizes, x.dtype)](std::span<const Tensor* const> in,
                                                                        std::span<Tensor* const> out) {
    const auto* x = static_cast<const std::byte*>(in[0]->raw_data());
    for (int64_t o = 0; o < parts.outer; ++o) {
      for (size_t p = 0; p < out.size(); ++p) {
        auto* y = static_cast<std::byte*>(out[p]->raw_data());
        std::memcpy(y + o * parts.part_bytes[p], x + o * parts.row_bytes + parts.part_starts[p], parts.part_bytes[p]);
      }
    }
  });
}

/// Gather along `axis`: data viewed as [outer, dim, inner], output as
/// [outer, count (indices), inner]; each index picks one inner block.
template <class Index>
class GatherKernel final : public Kernel {
 public:
  GatherKernel(const KernelSpec& spec, int64_t axis) : node_(spec.node()), op_(spec.op()) {
    const Shape& data = spec.inputs[0].shape;
    outer_ = num_elements(Shape(data.begin(), data.begin() + axis));
    dim_ = data[axis];
    count_ = num_elements(spec.inputs[1].shape);
    block_bytes_ = static_cast<size_t>(num_elements(Shape(data.begin() + axis + 1, data.end()))) *
                   dtype_size(spec.inputs[0].dtype);
    data_type_ = spec.inputs[0].to_string();
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const auto* data = static_cast<const std::byte*>(in[0]->raw_data());
    const Index* indices = in[1]->data<Index>();
    auto* y = static_cast<std::byte*>(out[0]->raw_data());
    for (int64_t o = 0; o < outer_; ++o) {
      for (int64_t j = 0; j < count_; ++j, y += block_bytes_) {
        int64_t index = indices[j] < 0 ? indices[j] + dim_ : indices[j];
        if (index < 0 || index >= dim_) {
          throw Error::at_node(node_, op_,
                               fmt::format("index {} (indices element {}) is out of range for a dim of "
                                           "{} in data {}",
                                           indices[j], j, dim_, data_type_));
        }
        std::memcpy(y, data + (o * dim_ + index) * block_bytes_, block_bytes_);
      }
    }
  }

 private:
  std::string node_, op_;
  std::string data_type_;
  int64_t outer_ = 0, dim_ = 0, count_ = 0;
  size_t block_bytes_ = 0;
};

std::unique_ptr<Kernel> make_gather(const KernelSpec& spec) {
  expect_arity(spec, 2, 2, 1);
  expect_input_dtype(spec, 1, {DType::i32, DType::i64});
  const TensorType& data = spec.inputs[0];
  const Shape& indices = spec.inputs[1].shape;
  int64_t axis = axis_attr(spec, "axis", rank_of(data));
  Shape out(data.shape.begin(), data.shape.begin() + axis);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), data.shape.begin() + axis + 1, data.shape.end());
  expect_output_type(spec, 0, {data.dtype, out});
  if (spec.inputs[1].dtype == DType::i32) return std::make_unique<GatherKernel<int32_t>>(spec, axis);
  return std::make_unique<GatherKernel<int64_t>>(spec, axis);
}

}  // namespace

void register_reference_shape_kernels(KernelRegistry& r) {
  r.add("Reshape", make_reshape);
  r.add("Flatten", make_flatten);
  r.add("Transpose", make_transpose);
  r.add("Slice", make_slice);
  r.add("Pad", make_pad);
  r.add("Concat", make_concat);
  r.add("Split", make_split);
  r.add("Gather", make_gather);
}

}  // namespace graphc
