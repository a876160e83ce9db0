// More elementwise math: rounding, trigonometric and hyperbolic functions,
// the parameterised activations (LeakyRelu, Elu, Selu, ...), NaN/inf tests,
// Mod and PRelu, with the gradients of the differentiable ones.
#include <fmt/format.h>

#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"

namespace graphc::ops {
namespace {

using Gradients = std::vector<ir::Value*>;

/// A unary op's gradient g · f'(x), given f'(x) built from x and y.
template <ir::Value* (*kDerivative)(GradientContext&)>
Gradients chain(GradientContext& g) {
  return {g.add("Mul", {g.grad(), kDerivative(g)})};
}

ir::Value* square(GradientContext& g, ir::Value* v) { return g.add("Mul", {v, v}); }
ir::Value* param(GradientContext& g, const char* name) { return g.scalar(g.attrs().get_float(name)); }
/// cond ? a : b (Where, broadcasting).
ir::Value* select(GradientContext& g, ir::Value* cond, ir::Value* a, ir::Value* b) {
  return g.add("Where", {cond, a, b});
}
/// x `op` c for a comparison op and a scalar c.
ir::Value* compare(GradientContext& g, const char* op, ir::Value* x, float c) { return g.add(op, {x, g.scalar(c)}); }

/// |x|' = sign(x), 0 at 0.
ir::Value* abs_derivative(GradientContext& g) { return g.add("Sign", {g.input(0)}); }
ir::Value* sin_derivative(GradientContext& g) { return g.add("Cos", {g.input(0)}); }
ir::Value* cos_derivative(GradientContext& g) { return g.add("Neg", {g.add("Sin", {g.input(0)})}); }
/// tan' = 1 + y².
ir::Value* tan_derivative(GradientContext& g) { return g.add("Add", {g.scalar(1), square(g, g.output())}); }
/// asin' = 1/√(1 - x²).
ir::Value* asin_derivative(GradientContext& g) {
  return g.add("Rsqrt", {g.add("Sub", {g.scalar(1), square(g, g.input(0))})});
}
ir::Value* acos_derivative(GradientContext& g) { return g.add("Neg", {asin_derivative(g)}); }
/// atan' = 1/(1 + x²).
ir::Value* atan_derivative(GradientContext& g) {
  return g.add("Div", {g.scalar(1), g.add("Add", {g.scalar(1), square(g, g.input(0))})});
}
ir::Value* sinh_derivative(GradientContext& g) { return g.add("Cosh", {g.input(0)}); }
ir::Value* cosh_derivative(GradientContext& g) { return g.add("Sinh", {g.input(0)}); }
/// asinh' = 1/√(x² + 1).
ir::Value* asinh_derivative(GradientContext& g) {
  return g.add("Rsqrt", {g.add("Add", {square(g, g.input(0)), g.scalar(1)})});
}
/// acosh' = 1/√(x² - 1).
ir::Value* acosh_derivative(GradientContext& g) {
  return g.add("Rsqrt", {g.add("Sub", {square(g, g.input(0)), g.scalar(1)})});
}
/// atanh' = 1/(1 - x²).
ir::Value* atanh_derivative(GradientContext& g) {
  return g.add("Div", {g.scalar(1), g.add("Sub", {g.scalar(1), square(g, g.input(0))})});
}
/// softplus' = sigmoid(x).
ir::Value* softplus_derivative(GradientContext& g) { return g.add("Sigmoid", {g.input(0)}); }
/// softsign' = 1/(1 + |x|)².
ir::Value* softsign_derivative(GradientContext& g) {
  return g.add("Div", {g.scalar(1), square(g, g.add("Add", {g.scalar(1), g.add("Abs", {g.input(0)})}))});
}
/// hardswish' = 0 for x < -3, 1 for x > 3, x/3 + 1/2 between (the kinks
/// take the middle piece, where the forward's clamp is inactive).
ir::Value* hard_swish_derivative(GradientContext& g) {
  ir::Value* x = g.input(0);
  ir::Value* middle = g.add("Add", {g.add("Mul", {x, g.scalar(1.0f / 3.0f)}), g.scalar(0.5f)});
  return select(g, compare(g, "Less", x, -3), g.scalar(0),
                select(g, compare(g, "Greater", x, 3), g.scalar(1), middle));
}
/// leakyrelu' = x < 0 ? alpha : 1.
ir::Value* leaky_relu_derivative(GradientContext& g) {
  return select(g, compare(g, "Less", g.input(0), 0), param(g, "alpha"), g.scalar(1));
}
/// elu' = x < 0 ? alpha·e^x : 1 (e^min(x, 0), so large x cannot overflow).
ir::Value* elu_derivative(GradientContext& g) {
  ir::Value* x = g.input(0);
  ir::Value* e = g.add("Exp", {g.add("Minimum", {x, g.scalar(0)})});
  return select(g, compare(g, "Less", x, 0), g.add("Mul", {param(g, "alpha"), e}), g.scalar(1));
}
/// celu' = e^(min(x, 0)/alpha): e^(x/alpha) below 0, 1 above.
ir::Value* celu_derivative(GradientContext& g) {
  return g.add("Exp", {g.add("Div", {g.add("Minimum", {g.input(0), g.scalar(0)}), param(g, "alpha")})});
}
/// selu' = gamma · (x <= 0 ? alpha·e^x : 1).
ir::Value* selu_derivative(GradientContext& g) {
  ir::Value* x = g.input(0);
  ir::Value* gamma = param(g, "gamma");
  ir::Value* e = g.add("Exp", {g.add("Minimum", {x, g.scalar(0)})});
  return select(g, compare(g, "LessOrEqual", x, 0), g.add("Mul", {gamma, g.add("Mul", {param(g, "alpha"), e})}),
                gamma);
}
/// hardsigmoid' = alpha where 0 < y < 1 (the clamp inactive), else 0.
ir::Value* hard_sigmoid_derivative(GradientContext& g) {
  ir::Value* y = g.output();
  ir::Value* inside = g.add("And", {compare(g, "Greater", y, 0), compare(g, "Less", y, 1)});
  return select(g, inside, param(g, "alpha"), g.scalar(0));
}
/// thresholdedrelu' = x > alpha ? 1 : 0.
Gradients thresholded_relu_gradient(GradientContext& g) {
  ir::Value* pass = g.add("Greater", {g.input(0), param(g, "alpha")});
  return {select(g, pass, g.grad(), g.scalar(0))};
}
/// shrink' = |x| > lambd ? 1 : 0 (the forward's zero band includes ±lambd).
Gradients shrink_gradient(GradientContext& g) {
  ir::Value* pass = g.add("Greater", {g.add("Abs", {g.input(0)}), param(g, "lambd")});
  return {select(g, pass, g.grad(), g.scalar(0))};
}

/// y = a mod b = a - b·q with q = floor(a/b) (or trunc(a/b) with fmod),
/// piecewise constant: da = g, db = -g·q where q = (a - y)/b.
Gradients mod_gradient(GradientContext& g) {
  ir::Value* a = g.input(0);
  ir::Value* b = g.input(1);
  Gradients grads(2);
  if (g.wants_grad(0)) grads[0] = g.reduce_to(g.grad(), a->type().shape);
  if (g.wants_grad(1)) {
    ir::Value* q = g.add("Div", {g.add("Sub", {a, g.output()}), b});
    grads[1] = g.reduce_to(g.add("Neg", {g.add("Mul", {g.grad(), q})}), b->type().shape);
  }
  return grads;
}

/// y = x < 0 ? slope·x : x: dx = x < 0 ? g·slope : g, dslope = x < 0 ? g·x : 0
/// summed back over slope's broadcasting.
Gradients prelu_gradient(GradientContext& g) {
  ir::Value* x = g.input(0);
  ir::Value* slope = g.input(1);
  ir::Value* negative = compare(g, "Less", x, 0);
  Gradients grads(2);
  if (g.wants_grad(0)) grads[0] = select(g, negative, g.add("Mul", {g.grad(), slope}), g.grad());
  if (g.wants_grad(1)) {
    grads[1] = g.reduce_to(select(g, negative, g.add("Mul", {g.grad(), x}), g.scalar(0)), slope->type().shape);
  }
  return grads;
}

struct MathOp {
  const char* name;
  const char* doc;
  DTypeClass dtypes;
  Gradients (*gradient)(GradientContext&);  // null: not differentiable
};

constexpr MathOp kUnaryOps[] = {
    {"Abs", "|x|.", DTypeClass::numeric, chain<abs_derivative>},
    {"Sign", "-1, 0 or 1 by the sign of x (NaN stays NaN).", DTypeClass::numeric, nullptr},
    {"Floor", "Largest integer <= x.", DTypeClass::float_, nullptr},
    {"Ceil", "Smallest integer >= x.", DTypeClass::float_, nullptr},
    {"Round", "Nearest integer, halves to even.", DTypeClass::float_, nullptr},
    {"Sin", "Sine.", DTypeClass::float_, chain<sin_derivative>},
    {"Cos", "Cosine.", DTypeClass::float_, chain<cos_derivative>},
    {"Tan", "Tangent.", DTypeClass::float_, chain<tan_derivative>},
    {"Asin", "Arcsine.", DTypeClass::float_, chain<asin_derivative>},
    {"Acos", "Arccosine.", DTypeClass::float_, chain<acos_derivative>},
    {"Atan", "Arctangent.", DTypeClass::float_, chain<atan_derivative>},
    {"Sinh", "Hyperbolic sine.", DTypeClass::float_, chain<sinh_derivative>},
    {"Cosh", "Hyperbolic cosine.", DTypeClass::float_, chain<cosh_derivative>},
    {"Asinh", "Inverse hyperbolic sine.", DTypeClass::float_, chain<asinh_derivative>},
    {"Acosh", "Inverse hyperbolic cosine.", DTypeClass::float_, chain<acosh_derivative>},
    {"Atanh", "Inverse hyperbolic tangent.", DTypeClass::float_, chain<atanh_derivative>},
    {"Softplus", "log(1 + e^x).", DTypeClass::float_, chain<softplus_derivative>},
    {"Softsign", "x / (1 + |x|).", DTypeClass::float_, chain<softsign_derivative>},
    {"HardSwish", "x * max(0, min(1, x/6 + 1/2)).", DTypeClass::float_, chain<hard_swish_derivative>},
};

struct ParamOp {
  const char* name;
  const char* doc;
  std::vector<std::pair<const char*, float>> params;
  Gradients (*gradient)(GradientContext&);
};

const std::vector<ParamOp>& param_ops() {
  static const std::vector<ParamOp> ops = {
      {"LeakyRelu", "x < 0 ? alpha*x : x.", {{"alpha", 0.01f}}, chain<leaky_relu_derivative>},
      {"Elu", "x < 0 ? alpha*(e^x - 1) : x.", {{"alpha", 1.0f}}, chain<elu_derivative>},
      {"Celu", "max(0, x) + min(0, alpha*(e^(x/alpha) - 1)).", {{"alpha", 1.0f}}, chain<celu_derivative>},
      {"Selu", "gamma * (x <= 0 ? alpha*(e^x - 1) : x).", {{"alpha", 1.67326319217681884765625f}, {"gamma", 1.05070102214813232421875f}}, chain<selu_derivative>},
      {"HardSigmoid", "max(0, min(1, alpha*x + beta)).", {{"alpha", 0.2f}, {"beta", 0.5f}}, chain<hard_sigmoid_derivative>},
      {"ThresholdedRelu", "x > alpha ? x : 0.", {{"alpha", 1.0f}}, thresholded_relu_gradient},
      {"Shrink", "x < -lambd ? x + bias : x > lambd ? x - bias : 0.", {{"lambd", 0.5f}, {"bias", 0.0f}}, shrink_gradient},
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
    OpBuilder b(op.name);
    b.doc(op.doc).input("x").output("y").infer(unary_elementwise(op.dtypes));
    if (op.gradient != nullptr) b.gradient(op.gradient);
    r.add(std::move(b));
  }
  for (const ParamOp& op : param_ops()) {
    OpBuilder b(op.name);
    b.doc(op.doc).input("x").output("y").infer(unary_elementwise(DTypeClass::float_)).gradient(op.gradient);
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
            .infer(broadcasting_binary(DTypeClass::numeric))
            .gradient(mod_gradient));
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
            })
            .gradient(prelu_gradient));
}

}  // namespace graphc::ops
