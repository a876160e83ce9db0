// Elementwise ops: broadcasting binary arithmetic, unary math and
// activations, and Cast, with their gradients.
//
// In place (OpSchema::may_overwrite): a unary op's y may be written over x, a
// binary op's y over a (when a has y's type; lowering checks it). Every
// kernel of these ops reads element i of the operand before it writes y[i]
// and reads no other element of it afterwards: the reference kernels map
// index by index, oneDNN's eltwise primitive documents src == dst and its
// binary primitive src0 == dst (our binary kernel passes a as src0 whenever
// a has the output's shape). y over b is left out: oneDNN does not document
// src1 == dst.
#include <numbers>

#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"

namespace graphc::ops {
namespace {

using Gradients = std::vector<ir::Value*>;

/// The gradients of a broadcasting binary op from its full-shape partials
/// (null where not wanted): each summed back to its operand's shape.
Gradients reduced(GradientContext& g, ir::Value* da, ir::Value* db) {
  return {da != nullptr && g.wants_grad(0) ? g.reduce_to(da, g.input(0)->type().shape) : nullptr,
          db != nullptr && g.wants_grad(1) ? g.reduce_to(db, g.input(1)->type().shape) : nullptr};
}

Gradients add_gradient(GradientContext& g) { return reduced(g, g.grad(), g.grad()); }

Gradients sub_gradient(GradientContext& g) {
  return reduced(g, g.grad(), g.wants_grad(1) ? g.add("Neg", {g.grad()}) : nullptr);
}

Gradients mul_gradient(GradientContext& g) {
  return reduced(g, g.wants_grad(0) ? g.add("Mul", {g.grad(), g.input(1)}) : nullptr,
                 g.wants_grad(1) ? g.add("Mul", {g.grad(), g.input(0)}) : nullptr);
}

/// y = a / b: da = g / b, db = -(g / b) · y.
Gradients div_gradient(GradientContext& g) {
  ir::Value* da = g.add("Div", {g.grad(), g.input(1)});
  return reduced(g, da, g.wants_grad(1) ? g.add("Neg", {g.add("Mul", {da, g.output()})}) : nullptr);
}

/// MaximumGrad/MinimumGrad route each element of g to the operand picked.
template <const char* kOp>
Gradients select_gradient(GradientContext& g) {
  std::vector<ir::Value*> parts = g.add_node(kOp, {g.grad(), g.input(0), g.input(1)}, {}, 2);
  return reduced(g, parts[0], parts[1]);
}
constexpr char kMaximumGrad[] = "MaximumGrad";
constexpr char kMinimumGrad[] = "MinimumGrad";

/// y = a^b: da = g · b · a^(b-1), db = g · y · ln a (a > 0).
Gradients pow_gradient(GradientContext& g) {
  ir::Value* a = g.input(0);
  ir::Value* b = g.input(1);
  ir::Value* da = g.wants_grad(0)
                      ? g.add("Mul", {g.grad(), g.add("Mul", {b, g.add("Pow", {a, g.add("Sub", {b, g.scalar(1)})})})})
                      : nullptr;
  ir::Value* db = g.wants_grad(1) ? g.add("Mul", {g.grad(), g.add("Mul", {g.output(), g.add("Log", {a})})}) : nullptr;
  return reduced(g, da, db);
}

/// A unary op's gradient g · f'(x), given f'(x) built from x and y.
template <ir::Value* (*kDerivative)(GradientContext&)>
Gradients chain(GradientContext& g) {
  return {g.add("Mul", {g.grad(), kDerivative(g)})};
}

ir::Value* exp_derivative(GradientContext& g) { return g.output(); }
ir::Value* log_derivative(GradientContext& g) { return g.add("Div", {g.scalar(1), g.input(0)}); }
ir::Value* sqrt_derivative(GradientContext& g) { return g.add("Div", {g.scalar(0.5f), g.output()}); }
/// d/dx x^-1/2 = -y³/2.
ir::Value* rsqrt_derivative(GradientContext& g) {
  ir::Value* y = g.output();
  return g.add("Mul", {g.scalar(-0.5f), g.add("Mul", {y, g.add("Mul", {y, y})})});
}
ir::Value* tanh_derivative(GradientContext& g) {
  return g.add("Sub", {g.scalar(1), g.add("Mul", {g.output(), g.output()})});
}
ir::Value* sigmoid_derivative(GradientContext& g) {
  return g.add("Mul", {g.output(), g.add("Sub", {g.scalar(1), g.output()})});
}
/// d/dx erf(x) = 2/√π · e^(-x²).
ir::Value* erf_derivative(GradientContext& g) {
  ir::Value* x = g.input(0);
  ir::Value* bell = g.add("Exp", {g.add("Neg", {g.add("Mul", {x, x})})});
  return g.add("Mul", {g.scalar(static_cast<float>(std::numbers::inv_sqrtpi * 2)), bell});
}

Gradients neg_gradient(GradientContext& g) { return {g.add("Neg", {g.grad()})}; }
/// ReluGrad reads y = relu(x), not x: y > 0 exactly where x > 0 (NaN in
/// both cases fails the test), and x then has no reader besides Relu, so
/// fuse-epilogue can fold the Relu into the Conv2D/Dense producing x.
Gradients relu_gradient(GradientContext& g) { return {g.add("ReluGrad", {g.grad(), g.output()})}; }
Gradients gelu_gradient(GradientContext& g) {
  return {g.add("GeluGrad", {g.grad(), g.input(0)}, {{"approximate", g.attrs().get("approximate")}})};
}
/// Only f32 values carry gradients, so one reaches Cast only from f32 to f32.
Gradients cast_gradient(GradientContext& g) { return {g.grad()}; }

struct ElementwiseOp {
  const char* name;
  const char* doc;
  DTypeClass dtypes;
  Gradients (*gradient)(GradientContext&);
};

constexpr ElementwiseOp kBinaryOps[] = {
    {"Add", "a + b, broadcasting.", DTypeClass::numeric, add_gradient},
    {"Sub", "a - b, broadcasting.", DTypeClass::numeric, sub_gradient},
    {"Mul", "a * b, broadcasting.", DTypeClass::numeric, mul_gradient},
    {"Div", "a / b, broadcasting; integer division truncates toward zero.", DTypeClass::numeric, div_gradient},
    {"Maximum", "max(a, b), broadcasting.", DTypeClass::numeric, select_gradient<kMaximumGrad>},
    {"Minimum", "min(a, b), broadcasting.", DTypeClass::numeric, select_gradient<kMinimumGrad>},
    {"Pow", "a ^ b, broadcasting.", DTypeClass::float_, pow_gradient},
};

constexpr ElementwiseOp kUnaryOps[] = {
    {"Neg", "-x.", DTypeClass::numeric, neg_gradient},
    {"Exp", "e^x.", DTypeClass::float_, chain<exp_derivative>},
    {"Log", "Natural logarithm.", DTypeClass::float_, chain<log_derivative>},
    {"Sqrt", "Square root.", DTypeClass::float_, chain<sqrt_derivative>},
    {"Rsqrt", "1 / sqrt(x).", DTypeClass::float_, chain<rsqrt_derivative>},
    {"Tanh", "Hyperbolic tangent.", DTypeClass::float_, chain<tanh_derivative>},
    {"Sigmoid", "1 / (1 + e^-x).", DTypeClass::float_, chain<sigmoid_derivative>},
    {"Relu", "max(x, 0).", DTypeClass::float_, relu_gradient},
    {"Erf", "The error function.", DTypeClass::float_, chain<erf_derivative>},
};

}  // namespace

void register_elementwise_ops(OpRegistry& r) {
  for (const ElementwiseOp& op : kBinaryOps) {
    r.add(
        OpBuilder(op.name)
              .doc(op.doc)
              .input("a")
              .input("b")
              .output("y")
              .infer(broadcasting_binary(op.dtypes))
              .gradient(op.gradient)
              .may_overwrite(0, 0)
              .elementwise());
  }
  for (const ElementwiseOp& op : kUnaryOps) {
    r.add(OpBuilder(op.name)
              .doc(op.doc)
              .input("x")
              .output("y")
              .infer(unary_elementwise(op.dtypes))
              .gradient(op.gradient)
              .may_overwrite(0, 0)
              .elementwise());
  }

  ShapeFn unary_float = unary_elementwise(DTypeClass::float_);
  r.add(OpBuilder("Gelu")
                      .doc("x * Phi(x), exact or with the tanh approximation.")
                      .input("x")
                      .output("y")
                      .attr("approximate", AttrType::string, attr_string("none"), "\"none\" or \"tanh\"")
                      .infer([unary_float](const InferContext& ctx) {
                        one_of(ctx, "approximate", {"none", "tanh"});
                        return unary_float(ctx);
                      })
                      .gradient(gelu_gradient)
                      .may_overwrite(0, 0)
                      .elementwise());

  r.add(
      OpBuilder("Cast")
          .doc("Converts x to dtype `to`: float->int truncates, ->bool is x != 0, f16/bf16 round to nearest even.")
          .input("x")
          .output("y")
          .attr("to", AttrType::dtype, "target dtype")
          .infer([](const InferContext& ctx) {
            return std::vector<TensorType>{{ctx.attrs().get_dtype("to"), ctx.input(0).shape}};
          })
          .gradient(cast_gradient));
}

}  // namespace graphc::ops
