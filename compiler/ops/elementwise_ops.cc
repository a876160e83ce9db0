// Elementwise ops: broadcasting binary arithmetic, unary math and
// activations, and Cast.
#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"

namespace graphc::ops {
namespace {

struct ElementwiseOp {
  const char* name;
  const char* doc;
  DTypeClass dtypes;
};

constexpr ElementwiseOp kBinaryOps[] = {
    {"Add", "a + b, broadcasting.", DTypeClass::numeric},
    {"Sub", "a - b, broadcasting.", DTypeClass::numeric},
    {"Mul", "a * b, broadcasting.", DTypeClass::numeric},
    {"Div", "a / b, broadcasting; integer division truncates toward zero.", DTypeClass::numeric},
    {"Maximum", "max(a, b), broadcasting.", DTypeClass::numeric},
    {"Minimum", "min(a, b), broadcasting.", DTypeClass::numeric},
    {"Pow", "a ^ b, broadcasting.", DTypeClass::float_},
};

constexpr ElementwiseOp kUnaryOps[] = {
    {"Neg", "-x.", DTypeClass::numeric},
    {"Exp", "e^x.", DTypeClass::float_},
    {"Log", "Natural logarithm.", DTypeClass::float_},
    {"Sqrt", "Square root.", DTypeClass::float_},
    {"Rsqrt", "1 / sqrt(x).", DTypeClass::float_},
    {"Tanh", "Hyperbolic tangent.", DTypeClass::float_},
    {"Sigmoid", "1 / (1 + e^-x).", DTypeClass::float_},
    {"Relu", "max(x, 0).", DTypeClass::float_},
    {"Erf", "The error function.", DTypeClass::float_},
};

}  // namespace

void register_elementwise_ops(OpRegistry& r) {
  for (const ElementwiseOp& op : kBinaryOps) {
    r.add(
        OpBuilder(op.name).doc(op.doc).input("a").input("b").output("y").infer(broadcasting_binary(op.dtypes)));
  }
  for (const ElementwiseOp& op : kUnaryOps) {
    r.add(OpBuilder(op.name).doc(op.doc).input("x").output("y").infer(unary_elementwise(op.dtypes)));
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
                      }));

  r.add(
      OpBuilder("Cast")
          .doc("Converts x to dtype `to`: float->int truncates, ->bool is x != 0, f16/bf16 round to nearest even.")
          .input("x")
          .output("y")
          .attr("to", AttrType::dtype, "target dtype")
          .infer([](const InferContext& ctx) {
            return std::vector<TensorType>{{ctx.attrs().get_dtype("to"), ctx.input(0).shape}};
          }));
}

}  // namespace graphc::ops
