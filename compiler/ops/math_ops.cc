// More elementwise math: rounding, trigonometric and hyperbolic functions,
// the parameterised activations (LeakyRelu, Elu, Selu, ...), NaN/inf tests,
// Mod and PRelu.
#include <fmt/format.h>

#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"

namespace graphc::ops {
namespace {

struct MathOp {
  const char* name;
  const char* doc;
  DTypeClass dtypes;
};

constexpr MathOp kUnaryOps[] = {
    {"Abs", "|x|.", DTypeClass::numeric},
    {"Sign", "-1, 0 or 1 by the sign of x (NaN stays NaN).", DTypeClass::numeric},
    {"Floor", "Largest integer <= x.", DTypeClass::float_},
    {"Ceil", "Smallest integer >= x.", DTypeClass::float_},
    {"Round", "Nearest integer, halves to even.", DTypeClass::float_},
    {"Sin", "Sine.", DTypeClass::float_},
    {"Cos", "Cosine.", DTypeClass::float_},
    {"Tan", "Tangent.", DTypeClass::float_},
    {"Asin", "Arcsine.", DTypeClass::float_},
    {"Acos", "Arccosine.", DTypeClass::float_},
    {"Atan", "Arctangent.", DTypeClass::float_},
    {"Sinh", "Hyperbolic sine.", DTypeClass::float_},
    {"Cosh", "Hyperbolic cosine.", DTypeClass::float_},
    {"Asinh", "Inverse hyperbolic sine.", DTypeClass::float_},
    {"Acosh", "Inverse hyperbolic cosine.", DTypeClass::float_},
    {"Atanh", "Inverse hyperbolic tangent.", DTypeClass::float_},
    {"Softplus", "log(1 + e^x).", DTypeClass::float_},
    {"Softsign", "x / (1 + |x|).", DTypeClass::float_},
    {"HardSwish", "x * max(0, min(1, x/6 + 1/2)).", DTypeClass::float_},
};

struct ParamOp {
  const char* name;
  const char* doc;
  std::vector<std::pair<const char*, float>> params;
};

const std::vector<ParamOp>& param_ops() {
  static const std::vector<ParamOp> ops = {
      {"LeakyRelu", "x < 0 ? alpha*x : x.", {{"alpha", 0.01f}}},
      {"Elu", "x < 0 ? alpha*(e^x - 1) : x.", {{"alpha", 1.0f}}},
      {"Celu", "max(0, x) + min(0, alpha*(e^(x/alpha) - 1)).", {{"alpha", 1.0f}}},
      {"Selu", "gamma * (x <= 0 ? alpha*(e^x - 1) : x).", {{"alpha", 1.67326319217681884765625f}, {"gamma", 1.05070102214813232421875f}}},
      {"HardSigmoid", "max(0, min(1, alpha*x + beta)).", {{"alpha", 0.2f}, {"beta", 0.5f}}},
      {"ThresholdedRelu", "x > alpha ? x : 0.", {{"alpha", 1.0f}}},
      {"Shrink", "x < -lambd ? x + bias : x > lambd ? x - bias : 0.", {{"lambd", 0.5f}, {"bias", 0.0f}}},
  };
  return ops;
}

std::vector<TensorType> infer_bool_test(const InferContext& ctx) {
  expect_dtype_class(ctx, 0, DTypeClass::float_);
  return {{DType::boolean, ctx.input(0).shape}};
}

}  // namespace

void register_math_ops(OpRegistry& r) {
  for (const MathOp& op : kUnaryOps) {
    r.add(OpBuilder(op.name).doc(op.doc).input("x").output("y").infer(unary_elementwise(op.dtypes)));
  }
  for (const ParamOp& op : param_ops()) {
    OpBuilder b(op.name);
    b.doc(op.doc).input("x").output("y").infer(unary_elementwise(DTypeClass::float_));
    for (const auto& [name, value] : op.params) {
      b.attr(name, AttrType::float_, attr_float(value), fmt::format("{} in the formula: {}", name, op.doc));
    }
    r.add(std::move(b));
  }
  r.add(OpBuilder("IsNaN").doc("x is NaN, as bool.").input("x").output("y").infer(infer_bool_test));
  r.add(OpBuilder("IsInf")
            .doc("x is +inf (with detect_positive) or -inf (with detect_negative), as bool.")
            .input("x")
            .output("y")
            .attr("detect_negative", AttrType::bool_, attr_bool(true), "report -inf")
            .attr("detect_positive", AttrType::bool_, attr_bool(true), "report +inf")
            .infer(infer_bool_test));
  r.add(OpBuilder("Mod")
            .doc("Remainder, broadcasting: with fmod the sign of a (C fmod), else of b (Python %).")
            .input("a")
            .input("b")
            .output("y")
            .attr("fmod", AttrType::bool_, attr_bool(false), "C fmod semantics (sign of the dividend)")
            .infer(broadcasting_binary(DTypeClass::numeric)));
  r.add(OpBuilder("PRelu")
            .doc("x < 0 ? slope*x : x, slope broadcasting to x.")
            .input("x")
            .input("slope")
            .output("y")
            .infer([](const InferContext& ctx) {
              std::vector<TensorType> out = broadcasting_binary(DTypeClass::float_)(ctx);
              if (out[0].shape != ctx.input(0).shape) {
                ctx.fail(fmt::format("slope {} must broadcast to x {}", ctx.input(1).to_string(), ctx.input(0).to_string()));
              }
              return out;
            }));
}

}  // namespace graphc::ops
