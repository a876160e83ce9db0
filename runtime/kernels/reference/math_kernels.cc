// Reference kernels of math_ops.cc: rounding, trigonometric and hyperbolic
// functions, parameterised activations, IsNaN/IsInf, Mod and PRelu.
#include <fmt/format.h>

#include <cmath>
#include <type_traits>

#include "graphc/error.h"
#include "runtime/core/shape_rules.h"
#include "runtime/kernels/reference/index_maps.h"
#include "runtime/kernels/reference/reference_kernels.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {
namespace {

template <class T, class Fn>
std::unique_ptr<Kernel> map_kernel(Fn fn) {
  return make_kernel([fn](std::span<const Tensor* const> in, std::span<Tensor* const> out) {
    const T* x = in[0]->data<T>();
    T* y = out[0]->data<T>();
    int64_t n = out[0]->num_elements();
    for (int64_t i = 0; i < n; ++i) y[i] = fn(x[i]);
  });
}

void check_unary(const KernelSpec& spec, std::initializer_list<DType> dtypes) {
  expect_arity(spec, 1, 1, 1);
  expect_input_dtype(spec, 0, dtypes);
  expect_output_type(spec, 0, spec.inputs[0]);
}

template <class Fn>
KernelFactory float_unary(Fn fn) {
  return [fn](const KernelSpec& spec) {
    check_unary(spec, {DType::f32});
    return map_kernel<float>(fn);
  };
}

/// A float op whose function takes the node's float attributes.
template <class Make>
KernelFactory float_param(Make make) {
  return [make](const KernelSpec& spec) {
    check_unary(spec, {DType::f32});
    return map_kernel<float>(make(spec.attrs));
  };
}

std::unique_ptr<Kernel> make_abs(const KernelSpec& spec) {
  check_unary(spec, {DType::f32, DType::i32, DType::i64});
  return visit_numeric(spec, spec.inputs[0].dtype, [](auto type) {
    using T = decltype(type);
    return map_kernel<T>([](T x) -> T {
      if constexpr (std::is_integral_v<T>) {
        using U = std::make_unsigned_t<T>;
        return x < 0 ? static_cast<T>(U{0} - static_cast<U>(x)) : x;  // |INT_MIN| wraps to INT_MIN, like Neg
      } else {
        return std::fabs(x);
      }
    });
  });
}

std::unique_ptr<Kernel> make_sign(const KernelSpec& spec) {
  check_unary(spec, {DType::f32, DType::i32, DType::i64});
  return visit_numeric(spec, spec.inputs[0].dtype, [](auto type) {
    using T = decltype(type);
    return map_kernel<T>([](T x) {
      if constexpr (std::is_floating_point_v<T>) {
        if (std::isnan(x)) return x;
      }
      return static_cast<T>((x > T{0}) - (x < T{0}));
    });
  });
}

std::unique_ptr<Kernel> make_bool_test(const KernelSpec& spec, bool nan, bool neg, bool pos) {
  expect_arity(spec, 1, 1, 1);
  expect_input_dtype(spec, 0, {DType::f32});
  expect_output_type(spec, 0, {DType::boolean, spec.inputs[0].shape});
  return make_kernel([nan, neg, pos](std::span<const Tensor* const> in, std::span<Tensor* const> out) {
    const float* x = in[0]->data<float>();
    bool* y = out[0]->data<bool>();
    int64_t n = out[0]->num_elements();
    for (int64_t i = 0; i < n; ++i) {
      y[i] = nan ? std::isnan(x[i]) : std::isinf(x[i]) && ((x[i] > 0 && pos) || (x[i] < 0 && neg));
    }
  });
}

/// Broadcasting binary kernel: y[i] = fn(a[.], b[.]).
template <class T, class Fn>
std::unique_ptr<Kernel> binary_kernel(const KernelSpec& spec, Fn fn) {
  const Shape& out_shape = spec.outputs[0].shape;
  auto offsets = [&](const Shape& from) {
    return from == out_shape ? std::vector<int64_t>{} : broadcast_offsets(from, out_shape);
  };
  return make_kernel([fn, a_map = offsets(spec.inputs[0].shape), b_map = offsets(spec.inputs[1].shape)](
                         std::span<const Tensor* const> in, std::span<Tensor* const> out) {
    const T* a = in[0]->data<T>();
    const T* b = in[1]->data<T>();
    T* y = out[0]->data<T>();
    int64_t n = out[0]->num_elements();
    for (int64_t i = 0; i < n; ++i) y[i] = fn(a[a_map.empty() ? i : a_map[i]], b[b_map.empty() ? i : b_map[i]]);
  });
}

void check_binary(const KernelSpec& spec, std::initializer_list<DType> dtypes) {
  expect_arity(spec, 2, 2, 1);
  expect_input_dtype(spec, 0, dtypes);
  expect_one_dtype(spec);
  auto shape = broadcast_shapes(spec.inputs[0].shape, spec.inputs[1].shape);
  if (!shape) fail(spec, "input shapes do not broadcast");
  expect_output_type(spec, 0, {spec.inputs[0].dtype, *shape});
}

std::unique_ptr<Kernel> make_mod(const KernelSpec& spec) {
  check_binary(spec, {DType::f32, DType::i32, DType::i64});
  bool fmod = spec.attrs.get_bool("fmod");
  std::string node = spec.node();
  return visit_numeric(spec, spec.inputs[0].dtype, [&](auto type) {
    using T = decltype(type);
    return binary_kernel<T>(spec, [fmod, node](T a, T b) -> T {
      if constexpr (std::is_integral_v<T>) {
        if (b == 0) throw Error::at_node(node, "Mod", fmt::format("integer modulo by zero ({} % 0)", a));
        if (b == -1) return 0;  // a % -1 overflows for INT_MIN
        T r = a % b;
        if (!fmod && r != 0 && ((r < 0) != (b < 0))) r += b;
        return r;
      } else {
        T r = std::fmod(a, b);
        if (!fmod && r != 0 && ((r < 0) != (b < 0))) r += b;
        return r;
      }
    });
  });
}

std::unique_ptr<Kernel> make_prelu(const KernelSpec& spec) {
  check_binary(spec, {DType::f32});
  if (spec.outputs[0].shape != spec.inputs[0].shape) fail(spec, "slope must broadcast to x");
  return binary_kernel<float>(spec, [](float x, float slope) { return x < 0 ? slope * x : x; });
}

}  // namespace

void register_reference_math_kernels(KernelRegistry& r) {
  r.add("Abs", make_abs);
  r.add("Sign", make_sign);
  r.add("Floor", float_unary([](float x) { return std::floor(x); }));
  r.add("Ceil", float_unary([](float x) { return std::ceil(x); }));
  r.add("Round", float_unary([](float x) { return std::nearbyint(x); }));  // default rounding: halves to even
  r.add("Sin", float_unary([](float x) { return std::sin(x); }));
  r.add("Cos", float_unary([](float x) { return std::cos(x); }));
  r.add("Tan", float_unary([](float x) { return std::tan(x); }));
  r.add("Asin", float_unary([](float x) { return std::asin(x); }));
  r.add("Acos", float_unary([](float x) { return std::acos(x); }));
  r.add("Atan", float_unary([](float x) { return std::atan(x); }));
  r.add("Sinh", float_unary([](float x) { return std::sinh(x); }));
  r.add("Cosh", float_unary([](float x) { return std::cosh(x); }));
  r.add("Asinh", float_unary([](float x) { return std::asinh(x); }));
  r.add("Acosh", float_unary([](float x) { return std::acosh(x); }));
  r.add("Atanh", float_unary([](float x) { return std::atanh(x); }));
  r.add("Softplus", float_unary([](float x) {
          // log(1 + e^x) without overflow: x + log1p(e^-x) for large x.
          return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
        }));
  r.add("Softsign", float_unary([](float x) { return x / (1.0f + std::fabs(x)); }));
  r.add("HardSwish", float_unary([](float x) { return x * std::max(0.0f, std::min(1.0f, x / 6.0f + 0.5f)); }));
  r.add("LeakyRelu", float_param([](const AttrMap& a) {
          float alpha = a.get_float("alpha");
          return [alpha](float x) { return x < 0 ? alpha * x : x; };
        }));
  r.add("Elu", float_param([](const AttrMap& a) {
          float alpha = a.get_float("alpha");
          return [alpha](float x) { return x < 0 ? alpha * std::expm1(x) : x; };
        }));
  r.add("Celu", float_param([](const AttrMap& a) {
          float alpha = a.get_float("alpha");
          return [alpha](float x) { return std::max(0.0f, x) + std::min(0.0f, alpha * std::expm1(x / alpha)); };
        }));
  r.add("Selu", float_param([](const AttrMap& a) {
          float alpha = a.get_float("alpha");
          float gamma = a.get_float("gamma");
          return [alpha, gamma](float x) { return gamma * (x <= 0 ? alpha * std::expm1(x) : x); };
        }));
  r.add("HardSigmoid", float_param([](const AttrMap& a) {
          float alpha = a.get_float("alpha");
          float beta = a.get_float("beta");
          return [alpha, beta](float x) { return std::max(0.0f, std::min(1.0f, alpha * x + beta)); };
        }));
  r.add("ThresholdedRelu", float_param([](const AttrMap& a) {
          float alpha = a.get_float("alpha");
          return [alpha](float x) { return x > alpha ? x : 0.0f; };
        }));
  r.add("Shrink", float_param([](const AttrMap& a) {
          float lambd = a.get_float("lambd");
          float bias = a.get_float("bias");
          return [lambd, bias](float x) { return x < -lambd ? x + bias : x > lambd ? x - bias : 0.0f; };
        }));
  r.add("IsNaN", [](const KernelSpec& spec) { return make_bool_test(spec, true, false, false); });
  r.add("IsInf", [](const KernelSpec& spec) {
    return make_bool_test(spec, false, spec.attrs.get_bool("detect_negative"), spec.attrs.get_bool("detect_positive"));
  });
  r.add("Mod", make_mod);
  r.add("PRelu", make_prelu);
}

}  // namespace graphc
