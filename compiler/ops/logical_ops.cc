// Comparisons (-> bool), boolean logic and Where.
#include <fmt/format.h>

#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"
#include "runtime/core/shape_rules.h"

namespace graphc::ops {
namespace {

/// Broadcasting binary op over `allowed` dtypes with a bool result.
ShapeFn comparison(std::initializer_list<DType> allowed) {
  std::vector<DType> dtypes(allowed);
  return [dtypes](const InferContext& ctx) {
    DType d = ctx.input(0).dtype;
    if (std::find(dtypes.begin(), dtypes.end(), d) == dtypes.end()) {
      std::vector<std::string_view> names;
      for (DType a : dtypes) names.push_back(dtype_name(a));
      ctx.fail(fmt::format("input 0 has dtype {}, expected one of {}", dtype_name(d), fmt::join(names, ", ")));
    }
    expect_same_dtype(ctx, 1, 0);
    auto shape = broadcast_shapes(ctx.input(0).shape, ctx.input(1).shape);
    if (!shape) {
      ctx.fail(fmt::format("inputs a {} and b {} do not broadcast", ctx.input(0).to_string(), ctx.input(1).to_string()));
    }
    return std::vector<TensorType>{{DType::boolean, *shape}};
  };
}

std::vector<TensorType> infer_where(const InferContext& ctx) {
  ctx.expect_dtype(0, {DType::boolean});
  expect_same_dtype(ctx, 2, 1);
  auto ab = broadcast_shapes(ctx.input(1).shape, ctx.input(2).shape);
  auto shape = ab ? broadcast_shapes(ctx.input(0).shape, *ab) : std::nullopt;
  if (!shape) {
    ctx.fail(fmt::format("condition {}, a {} and b {} do not broadcast", ctx.input(0).to_string(),
                         ctx.input(1).to_string(), ctx.input(2).to_string()));
  }
  return {{ctx.input(1).dtype, *shape}};
}

/// condition ? a : b: a gets g where the condition holds, b the rest, each
/// summed back over its broadcasting; the condition gets none.
std::vector<ir::Value*> where_gradient(GradientContext& g) {
  std::vector<ir::Value*> grads(3);
  ir::Value* cond = g.input(0);
  if (g.wants_grad(1)) {
    grads[1] = g.reduce_to(g.add("Where", {cond, g.grad(), g.scalar(0)}), g.input(1)->type().shape);
  }
  if (g.wants_grad(2)) {
    grads[2] = g.reduce_to(g.add("Where", {cond, g.scalar(0), g.grad()}), g.input(2)->type().shape);
  }
  return grads;
}

}  // namespace

void register_logical_ops(OpRegistry& r) {
  const auto numeric = {DType::f32, DType::i32, DType::i64};
  const auto equatable = {DType::f32, DType::i32, DType::i64, DType::boolean};
  r.add(OpBuilder("Equal").doc("a == b, broadcasting.").input("a").input("b").output("y").infer(comparison(equatable)));
  r.add(OpBuilder("Less").doc("a < b, broadcasting.").input("a").input("b").output("y").infer(comparison(numeric)));
  r.add(OpBuilder("LessOrEqual").doc("a <= b, broadcasting.").input("a").input("b").output("y").infer(comparison(numeric)));
  r.add(OpBuilder("Greater").doc("a > b, broadcasting.").input("a").input("b").output("y").infer(comparison(numeric)));
  r.add(OpBuilder("GreaterOrEqual").doc("a >= b, broadcasting.").input("a").input("b").output("y").infer(comparison(numeric)));
  r.add(OpBuilder("And").doc("a && b, broadcasting.").input("a").input("b").output("y").infer(comparison({DType::boolean})));
  r.add(OpBuilder("Or").doc("a || b, broadcasting.").input("a").input("b").output("y").infer(comparison({DType::boolean})));
  r.add(OpBuilder("Xor").doc("a != b, broadcasting.").input("a").input("b").output("y").infer(comparison({DType::boolean})));
  r.add(OpBuilder("Not").doc("!x.").input("x").output("y").infer([](const InferContext& ctx) {
    ctx.expect_dtype(0, {DType::boolean});
    return std::vector<TensorType>{ctx.input(0)};
  }));
  r.add(OpBuilder("Where")
            .doc("condition ? a : b, all three broadcasting.")
            .input("condition")
            .input("a")
            .input("b")
            .output("y")
            .infer(infer_where)
            .gradient(where_gradient));
}

}  // namespace graphc::ops
