// Reference kernels of index_ops.cc: TopK, GatherND and ScatterND.
//
// TopK sorts each line along the axis by (rank, position): the largest (or
// smallest) first, a NaN before every number (as ArgMax and ArgMin count
// it the extremum), ties in index order. GatherND and ScatterND address
// slices of data by index tuples: tuple t names the coordinates of data's
// dims batch_dims.. batch_dims + k − 1 (negative ones wrap), within the
// batch t belongs to; an index out of range is a run-time error naming the
// node. ScatterND applies the tuples in order, so with a repeated tuple the
// last update wins (reduction "none") or all of them combine.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <numeric>

#include "graphc/error.h"
#include "runtime/core/index_op_shapes.h"
#include "runtime/core/shape_rules.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/scalar_ops.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {
namespace {

template <class T>
std::unique_ptr<Kernel> top_k_kernel(const Shape& x, int64_t axis, int64_t k, bool largest) {
  int64_t outer = num_elements(Shape(x.begin(), x.begin() + axis));
  int64_t dim = x[axis];
  int64_t inner = num_elements(Shape(x.begin() + axis + 1, x.end()));
  return make_kernel([=](std::span<const Tensor* const> in, std::span<Tensor* const> out) {
    const T* src = in[0]->data<T>();
    T* values = out[0]->data<T>();
    int64_t* indices = out[1]->data<int64_t>();
    std::vector<int64_t> order(static_cast<size_t>(dim));
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t j = 0; j < inner; ++j) {
        const T* line = src + o * dim * inner + j;
        auto before = [&](int64_t a, int64_t b) {
          T va = line[a * inner], vb = line[b * inner];
          if (scalar::is_nan(va) || scalar::is_nan(vb)) return !scalar::is_nan(vb) || (scalar::is_nan(va) && a < b);
          if (va != vb) return largest ? va > vb : va < vb;
          return a < b;
        };
        std::iota(order.begin(), order.end(), int64_t{0});
        std::partial_sort(order.begin(), order.begin() + k, order.end(), before);
        for (int64_t r = 0; r < k; ++r) {
          int64_t at = (o * k + r) * inner + j;
          values[at] = line[order[r] * inner];
          indices[at] = order[r];
        }
      }
    }
  });
}

std::unique_ptr<Kernel> make_top_k(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 2);
  expect_input_dtype(spec, 0, {DType::f32, DType::i32, DType::i64});
  const Shape& x = spec.inputs[0].shape;
  int64_t axis = axis_attr(spec, "axis", static_cast<int64_t>(x.size()));
  int64_t k = spec.attrs.get_int("k");
  auto shape = top_k_shape(x, axis, k);
  if (!shape) fail(spec, fmt::format("attribute 'k' = {} is not in [0, {}]", k, x[axis]));
  expect_output_type(spec, 0, {spec.inputs[0].dtype, *shape});
  expect_output_type(spec, 1, {DType::i64, *shape});
  bool largest = spec.attrs.get_bool("largest");
  return visit_numeric(spec, spec.inputs[0].dtype,
                       [&](auto type) { return top_k_kernel<decltype(type)>(x, axis, k, largest); });
}

/// Where GatherND's and ScatterND's index tuples point: tuple t (entries
/// t·k .. t·k + k − 1 of indices) addresses the slice of `slice` elements
/// at data offset (t / tuples_per_batch)·batch_stride + Σ_j wrap(entry j)·
/// stride of dim batch_dims + j.
class TupleAddress {
 public:
  TupleAddress(const KernelSpec& spec, const TensorType& data, const Shape& indices, int64_t batch_dims)
      : node_(spec.node()), op_(spec.op()), data_(data.to_string()), batch_dims_(batch_dims), k_(indices.back()) {
    const Shape& d = data.shape;
    std::vector<int64_t> strides = strides_of(d);
    dims_.assign(d.begin() + batch_dims, d.begin() + batch_dims + k_);
    strides_.assign(strides.begin() + batch_dims, strides.begin() + batch_dims + k_);
    tuples_ = num_elements(Shape(indices.begin(), indices.end() - 1));
    tuples_per_batch_ = num_elements(Shape(indices.begin() + batch_dims, indices.end() - 1));
    batch_stride_ = num_elements(Shape(d.begin() + batch_dims, d.end()));
    slice_ = num_elements(Shape(d.begin() + batch_dims + k_, d.end()));
  }

  int64_t tuples() const { return tuples_; }
  int64_t slice() const { return slice_; }

  /// The data offset of tuple t's slice.
  template <class Index>
  int64_t offset(const Index* indices, int64_t t) const {
    int64_t at = tuples_per_batch_ == 0 ? 0 : t / tuples_per_batch_ * batch_stride_;
    for (int64_t j = 0; j < k_; ++j) {
      auto i = static_cast<int64_t>(indices[t * k_ + j]);
      int64_t wrapped = i < 0 ? i + dims_[j] : i;
      if (wrapped < 0 || wrapped >= dims_[j]) {
        throw Error::at_node(node_, op_,
                             fmt::format("index {} (indices element {}) is out of range for dim {} of data {}", i,
                                         t * k_ + j, batch_dims_ + j, data_));
      }
      at += wrapped * strides_[j];
    }
    return at;
  }

 private:
  std::string node_, op_, data_;
  int64_t batch_dims_, k_;
  std::vector<int64_t> dims_, strides_;
  int64_t tuples_ = 0, tuples_per_batch_ = 0, batch_stride_ = 0, slice_ = 0;
};

template <class Index>
std::unique_ptr<Kernel> gather_nd_kernel(TupleAddress address, size_t width) {
  return make_kernel(
      [address = std::move(address), width](std::span<const Tensor* const> in, std::span<Tensor* const> out) {
        const auto* data = static_cast<const std::byte*>(in[0]->raw_data());
        const Index* indices = in[1]->data<Index>();
        auto* y = static_cast<std::byte*>(out[0]->raw_data());
        size_t bytes = static_cast<size_t>(address.slice()) * width;
        for (int64_t t = 0; t < address.tuples(); ++t) {
          std::memcpy(y + static_cast<size_t>(t) * bytes,
                      data + static_cast<size_t>(address.offset(indices, t)) * width, bytes);
        }
      });
}

std::unique_ptr<Kernel> make_gather_nd(const KernelSpec& spec) {
  expect_arity(spec, 2, 2, 1);
  expect_input_dtype(spec, 1, {DType::i32, DType::i64});
  const TensorType& data = spec.inputs[0];
  const Shape& indices = spec.inputs[1].shape;
  int64_t batch_dims = spec.attrs.get_int("batch_dims");
  auto shape = gather_nd_shape(data.shape, indices, batch_dims);
  if (!shape)
    fail(spec, fmt::format("indices {} do not address data {}", spec.inputs[1].to_string(), data.to_string()));
  expect_output_type(spec, 0, {data.dtype, *shape});
  TupleAddress address(spec, data, indices, batch_dims);
  size_t width = dtype_size(data.dtype);
  if (spec.inputs[1].dtype == DType::i32) return gather_nd_kernel<int32_t>(std::move(address), width);
  return gather_nd_kernel<int64_t>(std::move(address), width);
}

/// ScatterND: y = data, then each tuple's slice combined with its update.
/// `combine(dst, src, n)` combines n elements.
template <class Index, class Combine>
std::unique_ptr<Kernel> scatter_nd_kernel(TupleAddress address, size_t width, Combine combine) {
  return make_kernel(
      [address = std::move(address), width, combine](std::span<const Tensor* const> in, std::span<Tensor* const> out) {
        auto* y = static_cast<std::byte*>(out[0]->raw_data());
        if (out[0]->raw_data() != in[0]->raw_data()) std::memcpy(y, in[0]->raw_data(), out[0]->num_elements() * width);
        const Index* indices = in[1]->data<Index>();
        const auto* updates = static_cast<const std::byte*>(in[2]->raw_data());
        size_t bytes = static_cast<size_t>(address.slice()) * width;
        for (int64_t t = 0; t < address.tuples(); ++t) {
          combine(y + static_cast<size_t>(address.offset(indices, t)) * width, updates + static_cast<size_t>(t) * bytes,
                  address.slice());
        }
      });
}

/// Combines n elements of T with Op: dst[i] = Op(dst[i], src[i]).
template <class T, class Op>
void combine_elements(std::byte* dst, const std::byte* src, int64_t n) {
  auto* d = reinterpret_cast<T*>(dst);
  const auto* s = reinterpret_cast<const T*>(src);
  for (int64_t i = 0; i < n; ++i) d[i] = Op{}(d[i], s[i]);
}

template <class Index>
std::unique_ptr<Kernel> scatter_nd_for(const KernelSpec& spec, TupleAddress address) {
  DType dtype = spec.inputs[0].dtype;
  size_t width = dtype_size(dtype);
  const std::string& reduction = spec.attrs.get_string("reduction");
  if (reduction == "none") {
    return scatter_nd_kernel<Index>(std::move(address), width,
                                    [width](std::byte* dst, const std::byte* src, int64_t n) {
                                      std::memcpy(dst, src, static_cast<size_t>(n) * width);
                                    });
  }
  return visit_numeric(spec, dtype, [&](auto type) -> std::unique_ptr<Kernel> {
    using T = decltype(type);
    if (reduction == "add")
      return scatter_nd_kernel<Index>(std::move(address), width, combine_elements<T, scalar::Add>);
    if (reduction == "mul")
      return scatter_nd_kernel<Index>(std::move(address), width, combine_elements<T, scalar::Mul>);
    if (reduction == "max") {
      return scatter_nd_kernel<Index>(std::move(address), width, combine_elements<T, scalar::Maximum>);
    }
    if (reduction == "min") {
      return scatter_nd_kernel<Index>(std::move(address), width, combine_elements<T, scalar::Minimum>);
    }
    fail(spec, fmt::format("unknown reduction '{}'", reduction));
  });
}

std::unique_ptr<Kernel> make_scatter_nd(const KernelSpec& spec) {
  expect_arity(spec, 3, 3, 1);
  expect_input_dtype(spec, 1, {DType::i32, DType::i64});
  const TensorType& data = spec.inputs[0];
  const Shape& indices = spec.inputs[1].shape;
  auto updates = scatter_nd_updates_shape(data.shape, indices);
  if (!updates)
    fail(spec, fmt::format("indices {} do not address data {}", spec.inputs[1].to_string(), data.to_string()));
  expect_input_shape(spec, 2, *updates, "indices.shape[:-1] + data.shape[k:]");
  if (spec.inputs[2].dtype != data.dtype) fail(spec, "updates must have data's dtype");
  expect_output_type(spec, 0, data);
  TupleAddress address(spec, data, indices, 0);
  if (spec.inputs[1].dtype == DType::i32) return scatter_nd_for<int32_t>(spec, std::move(address));
  return scatter_nd_for<int64_t>(spec, std::move(address));
}

}  // namespace

void register_reference_index_kernels(KernelRegistry& r) {
  r.add("TopK", make_top_k);
  r.add("GatherND", make_gather_nd);
  r.add("ScatterND", make_scatter_nd);
}

}  // namespace graphc
