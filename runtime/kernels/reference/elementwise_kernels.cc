// Reference kernels of the elementwise ops: broadcasting binary arithmetic,
// unary math and activations, and Cast.
#include <fmt/format.h>

#include <cmath>
#include <numbers>
#include <type_traits>

#include "graphc/error.h"
#include "runtime/core/shape_rules.h"
#include "runtime/kernels/reference/element_conversion.h"
#include "runtime/kernels/reference/elementwise.h"
#include "runtime/kernels/reference/index_maps.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/scalar_ops.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {
namespace {

/// out[i] = op(a[.], b[.]) with NumPy broadcasting. An operand whose shape is
/// the output's is read in place; a broadcast one through an offset map.
template <class T, class Op>
class BinaryKernel final : public Kernel {
 public:
  BinaryKernel(const KernelSpec& spec, const Shape& out_shape)
      : node_(spec.node()),
        op_name_(spec.op()),
        a_map_(broadcast_offsets_if_needed(spec.inputs[0].shape, out_shape)),
        b_map_(broadcast_offsets_if_needed(spec.inputs[1].shape, out_shape)) {}

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const T* a = in[0]->data<T>();
    const T* b = in[1]->data<T>();
    T* y = out[0]->data<T>();
    int64_t n = out[0]->num_elements();
    for (int64_t i = 0; i < n; ++i) {
      T x = a[a_map_.empty() ? i : a_map_[i]];
      T z = b[b_map_.empty() ? i : b_map_[i]];
      if constexpr (std::is_integral_v<T> && std::is_same_v<Op, scalar::Div>) {
        if (z == 0) throw Error::at_node(node_, op_name_, fmt::format("integer division by zero ({} / 0)", x));
      }
      y[i] = Op{}(x, z);
    }
  }

 private:
  std::string node_;
  std::string op_name_;
  std::vector<int64_t> a_map_;
  std::vector<int64_t> b_map_;
};

/// A binary op over f32, i32 and i64.
template <class Op>
KernelFactory numeric_binary() {
  return [](const KernelSpec& spec) {
    check_binary(spec, {DType::f32, DType::i32, DType::i64});
    return visit_numeric(spec, spec.inputs[0].dtype, [&](auto type) -> std::unique_ptr<Kernel> {
      return std::make_unique<BinaryKernel<decltype(type), Op>>(spec, spec.outputs[0].shape);
    });
  };
}

/// 1 / (1 + e^-x), evaluated so that e^ never overflows.
float sigmoid(float x) {
  if (x >= 0) return 1.0f / (1.0f + std::exp(-x));
  float e = std::exp(x);
  return e / (1.0f + e);
}

float gelu_exact(float x) { return 0.5f * x * (1.0f + std::erf(x * static_cast<float>(std::numbers::sqrt2 / 2))); }

float gelu_tanh(float x) {
  const auto k = static_cast<float>(std::numbers::sqrt2 * std::numbers::inv_sqrtpi);  // sqrt(2/pi)
  return 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
}

std::unique_ptr<Kernel> make_gelu(const KernelSpec& spec) {
  check_unary(spec, {DType::f32});
  const std::string& approximate = spec.attrs.get_string("approximate");
  if (approximate == "none") return map_kernel<float>(gelu_exact);
  if (approximate == "tanh") return map_kernel<float>(gelu_tanh);
  fail(spec, fmt::format("attribute 'approximate' is \"{}\", expected \"none\" or \"tanh\"", approximate));
}

std::unique_ptr<Kernel> make_neg(const KernelSpec& spec) {
  check_unary(spec, {DType::f32, DType::i32, DType::i64});
  return visit_numeric(spec, spec.inputs[0].dtype, [](auto type) {
    using T = decltype(type);
    return map_kernel<T>([](T x) { return scalar::Sub{}(T{0}, x); });
  });
}

std::unique_ptr<Kernel> make_cast(const KernelSpec& spec) {
  expect_arity(spec, 1, 1, 1);
  DType to = spec.attrs.get_dtype("to");
  expect_output_type(spec, 0, {to, spec.inputs[0].shape});
  ElementConverter convert = element_converter(spec.inputs[0].dtype, to);
  return make_kernel([convert](std::span<const Tensor* const> in, std::span<Tensor* const> out) {
    convert(in[0]->raw_data(), out[0]->raw_data(), in[0]->num_elements());
  });
}

}  // namespace

void check_unary(const KernelSpec& spec, std::initializer_list<DType> dtypes) {
  expect_arity(spec, 1, 1, 1);
  expect_input_dtype(spec, 0, dtypes);
  expect_output_type(spec, 0, spec.inputs[0]);
}

void check_binary(const KernelSpec& spec, std::initializer_list<DType> dtypes) {
  expect_arity(spec, 2, 2, 1);
  expect_input_dtype(spec, 0, dtypes);
  expect_one_dtype(spec);
  auto shape = broadcast_shapes(spec.inputs[0].shape, spec.inputs[1].shape);
  if (!shape) {
    fail(spec, fmt::format("input shapes {} and {} do not broadcast", shape_to_string(spec.inputs[0].shape),
                           shape_to_string(spec.inputs[1].shape)));
  }
  expect_output_type(spec, 0, {spec.inputs[0].dtype, *shape});
}

void register_reference_elementwise_kernels(KernelRegistry& r) {
  r.add("Add", numeric_binary<scalar::Add>());
  r.add("Sub", numeric_binary<scalar::Sub>());
  r.add("Mul", numeric_binary<scalar::Mul>());
  r.add("Div", numeric_binary<scalar::Div>());
  r.add("Maximum", numeric_binary<scalar::Maximum>());
  r.add("Minimum", numeric_binary<scalar::Minimum>());
  r.add("Pow", [](const KernelSpec& spec) -> std::unique_ptr<Kernel> {
    check_binary(spec, {DType::f32});
    return std::make_unique<BinaryKernel<float, scalar::Pow>>(spec, spec.outputs[0].shape);
  });

  r.add("Neg", make_neg);
  r.add("Exp", float_unary([](float x) { return std::exp(x); }));
  r.add("Log", float_unary([](float x) { return std::log(x); }));
  r.add("Sqrt", float_unary([](float x) { return std::sqrt(x); }));
  r.add("Rsqrt", float_unary([](float x) { return 1.0f / std::sqrt(x); }));
  r.add("Tanh", float_unary([](float x) { return std::tanh(x); }));
  r.add("Sigmoid", float_unary(sigmoid));
  r.add("Relu", float_unary([](float x) { return x < 0.0f ? 0.0f : x; }));  // NaN stays NaN
  r.add("Erf", float_unary([](float x) { return std::erf(x); }));
  r.add("Gelu", make_gelu);
  r.add("Cast", make_cast);
}

}  // namespace graphc
