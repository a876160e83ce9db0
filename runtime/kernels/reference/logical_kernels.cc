// Reference kernels of logical_ops.cc: comparisons, boolean logic, Where.
#include <fmt/format.h>

#include <cstring>
#include <functional>

#include "runtime/core/shape_rules.h"
#include "runtime/kernels/reference/index_maps.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {
namespace {

/// Empty when `from` already is `to`; else the broadcast offsets.
std::vector<int64_t> offsets_for(const Shape& from, const Shape& to) {
  return from == to ? std::vector<int64_t>{} : broadcast_offsets(from, to);
}

/// y[i] = Op(a[.], b[.]) as bool, broadcasting.
template <class T, class Op>
std::unique_ptr<Kernel> compare_kernel(const KernelSpec& spec) {
  const Shape& out = spec.outputs[0].shape;
  return make_kernel([a_map = offsets_for(spec.inputs[0].shape, out), b_map = offsets_for(spec.inputs[1].shape, out)](
                         std::span<const Tensor* const> in, std::span<Tensor* const> outs) {
    const T* a = in[0]->data<T>();
    const T* b = in[1]->data<T>();
    bool* y = outs[0]->data<bool>();
    int64_t n = outs[0]->num_elements();
    for (int64_t i = 0; i < n; ++i) y[i] = Op{}(a[a_map.empty() ? i : a_map[i]], b[b_map.empty() ? i : b_map[i]]);
  });
}

void check_compare(const KernelSpec& spec, std::initializer_list<DType> dtypes) {
  expect_arity(spec, 2, 2, 1);
  expect_input_dtype(spec, 0, dtypes);
  expect_input_dtype(spec, 1, {spec.inputs[0].dtype});
  auto shape = broadcast_shapes(spec.inputs[0].shape, spec.inputs[1].shape);
  if (!shape) fail(spec, "input shapes do not broadcast");
  expect_output_type(spec, 0, {DType::boolean, *shape});
}

template <class Op>
KernelFactory comparison(bool allow_bool) {
  return [allow_bool](const KernelSpec& spec) -> std::unique_ptr<Kernel> {
    if (allow_bool) {
      check_compare(spec, {DType::f32, DType::i32, DType::i64, DType::boolean});
    } else {
      check_compare(spec, {DType::f32, DType::i32, DType::i64});
    }
    if (spec.inputs[0].dtype == DType::boolean) return compare_kernel<bool, Op>(spec);
    return visit_numeric(spec, spec.inputs[0].dtype,
                         [&](auto type) { return compare_kernel<decltype(type), Op>(spec); });
  };
}

template <class Op>
KernelFactory logical() {
  return [](const KernelSpec& spec) {
    check_compare(spec, {DType::boolean});
    return compare_kernel<bool, Op>(spec);
  };
}

std::unique_ptr<Kernel> make_not(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  expect_input_dtype(spec, 0, {DType::boolean});
  expect_output_type(spec, 0, spec.inputs[0]);
  return make_kernel([](std::span<const Tensor* const> in, std::span<Tensor* const> out) {
    const bool* x = in[0]->data<bool>();
    bool* y = out[0]->data<bool>();
    for (int64_t i = 0; i < out[0]->num_elements(); ++i) y[i] = !x[i];
  });
}

std::unique_ptr<Kernel> make_where(const KernelSpec& spec) {
  expect_arity(spec, 3, 3, 1);
  expect_input_dtype(spec, 0, {DType::boolean});
  expect_input_dtype(spec, 2, {spec.inputs[1].dtype});
  auto ab = broadcast_shapes(spec.inputs[1].shape, spec.inputs[2].shape);
  auto shape = ab ? broadcast_shapes(spec.inputs[0].shape, *ab) : std::nullopt;
  if (!shape) fail(spec, "condition, a and b do not broadcast");
  expect_output_type(spec, 0, {spec.inputs[1].dtype, *shape});
  size_t width = dtype_size(spec.inputs[1].dtype);
  return make_kernel([width, c_map = broadcast_offsets(spec.inputs[0].shape, *shape),
                      a_map = broadcast_offsets(spec.inputs[1].shape, *shape),
                      b_map = broadcast_offsets(spec.inputs[2].shape, *shape)](std::span<const Tensor* const> in,
                                                                               std::span<Tensor* const> out) {
    const bool* c = in[0]->data<bool>();
    const auto* a = static_cast<const std::byte*>(in[1]->raw_data());
    const auto* b = static_cast<const std::byte*>(in[2]->raw_data());
    auto* y = static_cast<std::byte*>(out[0]->raw_data());
    for (size_t i = 0; i < c_map.size(); ++i) {
      const std::byte* src = c[c_map[i]] ? a + a_map[i] * width : b + b_map[i] * width;
      std::memcpy(y + i * width, src, width);
    }
  });
}

struct Xor {
  bool operator()(bool a, bool b) const { return a != b; }
};

}  // namespace

void register_reference_logical_kernels(KernelRegistry& r) {
  r.add("Equal", comparison<std::equal_to<>>(true));
  r.add("Less", comparison<std::less<>>(false));
  r.add("LessOrEqual", comparison<std::less_equal<>>(false));
  r.add("Greater", comparison<std::greater<>>(false));
  r.add("GreaterOrEqual", comparison<std::greater_equal<>>(false));
  r.add("And", logical<std::logical_and<>>());
  r.add("Or", logical<std::logical_or<>>());
  r.add("Xor", logical<Xor>());
  r.add("Not", make_not);
  r.add("Where", make_where);
}

}  // namespace graphc
