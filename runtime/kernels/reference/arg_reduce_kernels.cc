// Reference kernels of arg_reduce_ops.cc: ArgMax/ArgMin and
// ReduceMin/ReduceProd. The input is viewed as kept dims x reduced dims,
// as in reduce_kernels.cc: output element o folds the input elements at
// kept[o] + reduced[r] for every r, in C order.
#include <fmt/format.h>

#include <cmath>
#include <type_traits>

#include "runtime/core/shape_rules.h"
#include "runtime/kernels/reference/index_maps.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/scalar_ops.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {
namespace {

struct FoldMaps {
  std::vector<int64_t> kept;
  std::vector<int64_t> reduced;
};

FoldMaps fold_maps(const Shape& x, const std::vector<int64_t>& axes) {
  Shape kept = reduced_shape(x, axes, true);
  Shape reduced(x.size(), 1);
  for (int64_t a : axes) reduced[a] = x[a];
  std::vector<int64_t> strides = strides_of(x);
  return {strided_offsets(kept, strides), strided_offsets(reduced, strides)};
}

template <class T, bool Max>
std::unique_ptr<Kernel> arg_kernel(FoldMaps maps, bool last) {
  return make_kernel([maps = std::move(maps), last](std::span<const Tensor* const> in, std::span<Tensor* const> out) {
    const T* x = in[0]->data<T>();
    int64_t* y = out[0]->data<int64_t>();
    for (size_t o = 0; o < maps.kept.size(); ++o) {
      int64_t best = 0;
      T best_value = x[maps.kept[o]];
      for (size_t r = 1; r < maps.reduced.size(); ++r) {
        T v = x[maps.kept[o] + maps.reduced[r]];
        if (scalar::is_nan(best_value)) break;  // NaN wins, first one
        bool better = scalar::is_nan(v) || (Max ? v > best_value : v < best_value) || (last && v == best_value);
        if (better) {
          best = static_cast<int64_t>(r);
          best_value = v;
        }
      }
      y[o] = best;
    }
  });
}

template <bool Max>
std::unique_ptr<Kernel> make_arg(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  expect_input_dtype(spec, 0, {DType::f32, DType::i32, DType::i64});
  const Shape& x = spec.inputs[0].shape;
  int64_t axis = axis_attr(spec, "axis", static_cast<int64_t>(x.size()));
  if (x[axis] == 0) fail(spec, "the searched dim is empty");
  expect_output_type(spec, 0, {DType::i64, reduced_shape(x, {axis}, spec.attrs.get_bool("keepdims"))});
  bool last = spec.attrs.get_bool("select_last_index");
  return visit_numeric(spec, spec.inputs[0].dtype, [&](auto type) {
    return arg_kernel<decltype(type), Max>(fold_maps(x, {axis}), last);
  });
}

template <class T, class Op>
std::unique_ptr<Kernel> fold_kernel(FoldMaps maps, T init) {
  return make_kernel([maps = std::move(maps), init](std::span<const Tensor* const> in, std::span<Tensor* const> out) {
    const T* x = in[0]->data<T>();
    T* y = out[0]->data<T>();
    for (size_t o = 0; o < maps.kept.size(); ++o) {
      T acc = init;
      for (int64_t r : maps.reduced) acc = Op{}(acc, x[maps.kept[o] + r]);
      y[o] = acc;
    }
  });
}

/// ReduceMin (Prod = false) or ReduceProd.
template <bool Prod>
std::unique_ptr<Kernel> make_reduce(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  expect_input_dtype(spec, 0, {DType::f32, DType::i32, DType::i64});
  const Shape& x = spec.inputs[0].shape;
  std::vector<int64_t> attr = spec.attrs.get_ints("axes");
  auto axes = reduction_axes(attr, static_cast<int64_t>(x.size()));
  if (!axes) fail(spec, fmt::format("axes [{}] are out of range or repeated", fmt::join(attr, ",")));
  expect_output_type(spec, 0, {spec.inputs[0].dtype, reduced_shape(x, *axes, spec.attrs.get_bool("keepdims"))});
  if constexpr (!Prod) {
    for (int64_t a : *axes) {
      if (x[a] == 0) fail(spec, "the minimum of an empty dim has no value");
    }
  }
  return visit_numeric(spec, spec.inputs[0].dtype, [&](auto type) {
    using T = decltype(type);
    if constexpr (Prod) {
      return fold_kernel<T, scalar::Mul>(fold_maps(x, *axes), T{1});
    } else {
      T init = std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
      return fold_kernel<T, scalar::Minimum>(fold_maps(x, *axes), init);
    }
  });
}

}  // namespace

void register_reference_arg_reduce_kernels(KernelRegistry& r) {
  r.add("ArgMax", make_arg<true>);
  r.add("ArgMin", make_arg<false>);
  r.add("ReduceMin", make_reduce<false>);
  r.add("ReduceProd", make_reduce<true>);
}

}  // namespace graphc
