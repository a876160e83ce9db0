// Reference kernels of tensor_ops.cc: Squeeze/Unsqueeze (copies), Shape and
// Size (from the static input type), Expand and Tile (offset copies),
// GatherElements, Trilu and CumSum.
#include <fmt/format.h>

#include <cstring>

#include "graphc/error.h"
#include "runtime/core/shape_rules.h"
#include "runtime/core/tensor_op_shapes.h"
#include "runtime/kernels/reference/data_movement.h"
#include "runtime/kernels/reference/index_maps.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/scalar_ops.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {
namespace {

int64_t rank_of(const TensorType& t) { return static_cast<int64_t>(t.shape.size()); }

std::unique_ptr<Kernel> make_squeeze(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  auto out = squeeze_shape(spec.inputs[0].shape, spec.attrs.get_ints("axes"));
  if (!out) fail(spec, "attribute 'axes' does not name dims of size 1");
  expect_output_type(spec, 0, {spec.inputs[0].dtype, *out});
  return make_copy_kernel();
}

std::unique_ptr<Kernel> make_unsqueeze(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  auto out = unsqueeze_shape(spec.inputs[0].shape, spec.attrs.get_ints("axes"));
  if (!out) fail(spec, "attribute 'axes' is out of range or repeated");
  expect_output_type(spec, 0, {spec.inputs[0].dtype, *out});
  return make_copy_kernel();
}

/// A kernel writing a fixed i64 tensor (Shape, Size: known from static types).
std::unique_ptr<Kernel> constant_i64(std::vector<int64_t> values) {
  return make_kernel([values](std::span<const Tensor* const>, std::span<Tensor* const> out) {
    std::copy(values.begin(), values.end(), out[0]->data<int64_t>());
  });
}

std::unique_ptr<Kernel> make_shape(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  const Shape& x = spec.inputs[0].shape;
  std::optional<int64_t> end;
  if (spec.attrs.has("end")) end = spec.attrs.get_int("end");
  auto [s, e] = shape_range(rank_of(spec.inputs[0]), spec.attrs.get_int("start"), end);
  expect_output_type(spec, 0, {DType::i64, {e - s}});
  return constant_i64({x.begin() + s, x.begin() + e});
}

std::unique_ptr<Kernel> make_size(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  expect_output_type(spec, 0, {DType::i64, {}});
  return constant_i64({num_elements(spec.inputs[0].shape)});
}

std::unique_ptr<Kernel> make_expand(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  auto out = expand_shape(spec.inputs[0].shape, spec.attrs.get_ints("shape"));
  if (!out) fail(spec, "x does not broadcast with attribute 'shape'");
  expect_output_type(spec, 0, {spec.inputs[0].dtype, *out});
  return make_offset_copy_kernel(spec.inputs[0].dtype, broadcast_offsets(spec.inputs[0].shape, *out));
}

std::unique_ptr<Kernel> make_tile(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  const Shape& x = spec.inputs[0].shape;
  auto out = tile_shape(x, spec.attrs.get_ints("repeats"));
  if (!out) fail(spec, "attribute 'repeats' must have one entry >= 0 per dim");
  expect_output_type(spec, 0, {spec.inputs[0].dtype, *out});
  // Output index i maps to input index i mod dim along every axis.
  std::vector<int64_t> strides = strides_of(x);
  std::vector<int64_t> offsets(static_cast<size_t>(num_elements(*out)));
  std::vector<int64_t> index(out->size(), 0);
  for (size_t i = 0; i < offsets.size(); ++i) {
    int64_t off = 0;
    for (size_t d = 0; d < index.size(); ++d) off += (index[d] % x[d]) * strides[d];
    offsets[i] = off;
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < (*out)[d]) break;
      index[d] = 0;
    }
  }
  return make_offset_copy_kernel(spec.inputs[0].dtype, std::move(offsets));
}

template <class Index>
std::unique_ptr<Kernel> gather_elements_kernel(const KernelSpec& spec, int64_t axis) {
  const Shape& data = spec.inputs[0].shape;
  const Shape& indices = spec.inputs[1].shape;
  std::vector<int64_t> data_strides = strides_of(data);
  // For each output element: its data offset with the axis coordinate 0
  // (the axis stride zeroed), to which run() adds index * stride.
  std::vector<int64_t> zeroed = data_strides;
  zeroed[axis] = 0;
  std::vector<int64_t> base = strided_offsets(indices, zeroed);
  size_t width = dtype_size(spec.inputs[0].dtype);
  return make_kernel([base = std::move(base), width, dim = data[axis], stride = data_strides[axis],
                      node = spec.node(), data_type = spec.inputs[0].to_string()](std::span<const Tensor* const> in,
                                                                                  std::span<Tensor* const> out) {
    const auto* x = static_cast<const std::byte*>(in[0]->raw_data());
    const Index* idx = in[1]->data<Index>();
    auto* y = static_cast<std::byte*>(out[0]->raw_data());
    for (size_t i = 0; i < base.size(); ++i) {
      int64_t k = idx[i] < 0 ? idx[i] + dim : idx[i];
      if (k < 0 || k >= dim) {
        throw Error::at_node(node, "GatherElements",
                             fmt::format("index {} (indices element {}) is out of range for dim {} of data {}", idx[i],
                                         i, dim, data_type));
      }
      std::memcpy(y + i * width, x + (base[i] + k * stride) * static_cast<int64_t>(width), width);
    }
  });
}

std::unique_ptr<Kernel> make_gather_elements(const KernelSpec& spec) {
  expect_arity(spec, 2, 2, 1);
  expect_input_dtype(spec, 1, {DType::i32, DType::i64});
  const Shape& data = spec.inputs[0].shape;
  const Shape& indices = spec.inputs[1].shape;
  int64_t axis = axis_attr(spec, "axis", rank_of(spec.inputs[0]));
  if (indices.size() != data.size()) fail(spec, "indices must have the rank of data");
  for (size_t d = 0; d < data.size(); ++d) {
    if (static_cast<int64_t>(d) != axis && indices[d] > data[d]) fail(spec, "indices exceed data");
  }
  expect_output_type(spec, 0, {spec.inputs[0].dtype, indices});
  if (spec.inputs[1].dtype == DType::i32) return gather_elements_kernel<int32_t>(spec, axis);
  return gather_elements_kernel<int64_t>(spec, axis);
}

std::unique_ptr<Kernel> make_trilu(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  expect_min_rank(spec, 0, 2);
  expect_output_type(spec, 0, spec.inputs[0]);
  const Shape& x = spec.inputs[0].shape;
  int64_t rows = x[x.size() - 2], cols = x[x.size() - 1];
  bool upper = spec.attrs.get_bool("upper");
  int64_t k = spec.attrs.get_int("k");
  size_t width = dtype_size(spec.inputs[0].dtype);
  return make_kernel([rows, cols, upper, k, width](std::span<const Tensor* const> in, std::span<Tensor* const> out) {
    const auto* src = static_cast<const std::byte*>(in[0]->raw_data());
    auto* dst = static_cast<std::byte*>(out[0]->raw_data());
    int64_t n = out[0]->num_elements();
    for (int64_t i = 0; i < n; ++i) {
      int64_t r = (i / cols) % rows, c = i % cols;
      bool keep = upper ? c - r >= k : c - r <= k;
      if (keep) {
        std::memcpy(dst + i * width, src + i * width, width);
      } else {
        std::memset(dst + i * width, 0, width);
      }
    }
  });
}

template <class T>
std::unique_ptr<Kernel> cumsum_kernel(const Shape& x, int64_t axis, bool exclusive, bool reverse) {
  int64_t outer = num_elements(Shape(x.begin(), x.begin() + axis));
  int64_t dim = x[axis];
  int64_t inner = num_elements(Shape(x.begin() + axis + 1, x.end()));
  return make_kernel([=](std::span<const Tensor* const> in, std::span<Tensor* const> out) {
    const T* src = in[0]->data<T>();
    T* dst = out[0]->data<T>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t j = 0; j < inner; ++j) {
        T acc{0};
        for (int64_t s = 0; s < dim; ++s) {
          int64_t d = reverse ? dim - 1 - s : s;
          int64_t at = (o * dim + d) * inner + j;
          if (exclusive) {
            dst[at] = acc;
            acc = scalar::Add{}(acc, src[at]);
          } else {
            acc = scalar::Add{}(acc, src[at]);
            dst[at] = acc;
          }
        }
      }
    }
  });
}

std::unique_ptr<Kernel> make_cumsum(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  expect_input_dtype(spec, 0, {DType::f32, DType::i32, DType::i64});
  expect_output_type(spec, 0, spec.inputs[0]);
  const Shape& x = spec.inputs[0].shape;
  int64_t axis = axis_attr(spec, "axis", rank_of(spec.inputs[0]));
  bool exclusive = spec.attrs.get_bool("exclusive");
  bool reverse = spec.attrs.get_bool("reverse");
  return visit_numeric(spec, spec.inputs[0].dtype, [&](auto type) {
    return cumsum_kernel<decltype(type)>(x, axis, exclusive, reverse);
  });
}

}  // namespace

void register_reference_tensor_kernels(KernelRegistry& r) {
  r.add("Squeeze", make_squeeze);
  r.add("Unsqueeze", make_unsqueeze);
  r.add("Shape", make_shape);
  r.add("Size", make_size);
  r.add("Expand", make_expand);
  r.add("Tile", make_tile);
  r.add("GatherElements", make_gather_elements);
  r.add("Trilu", make_trilu);
  r.add("CumSum", make_cumsum);
}

}  // namespace graphc
