// Reference kernels of the reductions: ReduceSum, ReduceMean, ReduceMax.
//
// The input is viewed as kept dims × reduced dims. Output element o folds
// the input elements at kept_offsets[o] + reduced_offsets[r] for every r, in
// C order. Float sums accumulate in double; integer sums wrap on overflow
// like Add. When the reduced axes are the leading ones (a bias gradient:
// [N, ..., K] summed over all but the last dims), the input is R rows of the
// K outputs' elements, and blocks of columns are folded row by row, reading
// memory in order: the same folds in the same order, so the same results.
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <type_traits>

#include "runtime/core/shape_rules.h"
#include "runtime/kernels/reference/index_maps.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/scalar_ops.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {
namespace {

/// y[o] = fold(Op, init, elements of o) / divisor, in Acc precision. The
/// divisor is the reduced count for a mean, 1 otherwise.
template <class T, class Acc, class Op>
class ReduceKernel final : public Kernel {
 public:
  ReduceKernel(const KernelSpec& spec, Acc init, bool mean) : init_(init) {
    const Shape& x = spec.inputs[0].shape;
    auto rank = static_cast<int64_t>(x.size());
    std::vector<int64_t> attr = spec.attrs.get_ints("axes");
    auto axes = reduction_axes(attr, rank);
    if (!axes)
      fail(spec, fmt::format("axes [{}] are out of range or repeated for rank {}", fmt::join(attr, ","), rank));
    expect_output_type(spec, 0, {spec.inputs[0].dtype, reduced_shape(x, *axes, spec.attrs.get_bool("keepdims"))});

    Shape kept = reduced_shape(x, *axes, true);
    Shape reduced(x.size(), 1);
    for (int64_t a : *axes) reduced[a] = x[a];
    std::vector<int64_t> strides = strides_of(x);
    kept_offsets_ = strided_offsets(kept, strides);
    reduced_offsets_ = strided_offsets(reduced, strides);
    divisor_ = mean ? static_cast<Acc>(reduced_offsets_.size()) : Acc{1};
    // axes are sorted and distinct: they are the leading ones when the last is their count - 1.
    if (!axes->empty() && axes->back() == static_cast<int64_t>(axes->size()) - 1) {
      columns_ = static_cast<int64_t>(kept_offsets_.size());
    }
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const T* x = in[0]->data<T>();
    T* y = out[0]->data<T>();
    if (columns_ > 0) return fold_rows(x, y);
    for (size_t o = 0; o < kept_offsets_.size(); ++o) {
      Acc acc = init_;
      for (int64_t r : reduced_offsets_) acc = Op{}(acc, static_cast<Acc>(x[kept_offsets_[o] + r]));
      y[o] = static_cast<T>(acc / divisor_);
    }
  }

 private:
  /// The leading-axes case: x is R rows of columns_ elements.
  void fold_rows(const T* x, T* y) const {
    constexpr int64_t kBlock = 64;
    const auto rows = static_cast<int64_t>(reduced_offsets_.size());
    Acc acc[kBlock];
    for (int64_t c0 = 0; c0 < columns_; c0 += kBlock) {
      int64_t width = std::min(kBlock, columns_ - c0);
      std::fill_n(acc, width, init_);
      for (int64_t r = 0; r < rows; ++r) {
        const T* row = x + r * columns_ + c0;
        for (int64_t c = 0; c < width; ++c) acc[c] = Op{}(acc[c], static_cast<Acc>(row[c]));
      }
      for (int64_t c = 0; c < width; ++c) y[c0 + c] = static_cast<T>(acc[c] / divisor_);
    }
  }

  Acc init_;
  Acc divisor_;
  std::vector<int64_t> kept_offsets_;
  std::vector<int64_t> reduced_offsets_;
  int64_t columns_ = 0;  // > 0: the reduced axes are the leading ones
};

/// double for float, the type itself for integers.
template <class T>
using SumType = std::conditional_t<std::is_floating_point_v<T>, double, T>;

void check_reduce(const KernelSpec& spec, std::initializer_list<DType> dtypes) {
  expect_arity(spec, 1, 1, 1);
  expect_input_dtype(spec, 0, dtypes);
  expect_one_dtype(spec);
}

std::unique_ptr<Kernel> make_reduce_sum(const KernelSpec& spec) {
  check_reduce(spec, {DType::f32, DType::i32, DType::i64});
  return visit_numeric(spec, spec.inputs[0].dtype, [&](auto type) -> std::unique_ptr<Kernel> {
    using T = decltype(type);
    return std::make_unique<ReduceKernel<T, SumType<T>, scalar::Add>>(spec, SumType<T>{0}, false);
  });
}

std::unique_ptr<Kernel> make_reduce_mean(const KernelSpec& spec) {
  check_reduce(spec, {DType::f32});
  return std::make_unique<ReduceKernel<float, double, scalar::Add>>(spec, 0.0, true);
}

std::unique_ptr<Kernel> make_reduce_max(const KernelSpec& spec) {
  check_reduce(spec, {DType::f32, DType::i32, DType::i64});
  auto kernel = visit_numeric(spec, spec.inputs[0].dtype, [&](auto type) -> std::unique_ptr<Kernel> {
    using T = decltype(type);
    // -inf for float: the identity of max, so NaN still propagates.
    T lowest =
        std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
    return std::make_unique<ReduceKernel<T, T, scalar::Maximum>>(spec, lowest, false);
  });
  // The max of nothing has no value (there is no identity to return).
  if (num_elements(spec.inputs[0].shape) == 0 && num_elements(spec.outputs[0].shape) != 0) {
    fail(spec, fmt::format("ReduceMax over an empty dim of {} has no value", spec.inputs[0].to_string()));
  }
  return kernel;
}

}  // namespace

void register_reference_reduce_kernels(KernelRegistry& r) {
  r.add("ReduceSum", make_reduce_sum);
  r.add("ReduceMean", make_reduce_mean);
  r.add("ReduceMax", make_reduce_max);
}

}  // namespace graphc
