// Reductions over a set of axes: ReduceSum, ReduceMax, ReduceMean, with
// their gradients.
#include <algorithm>

#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"
#include "runtime/core/shape_rules.h"

namespace graphc::ops {
namespace {

ShapeFn reduction(DTypeClass dtypes) {
  return [dtypes](const InferContext& ctx) {
    expect_dtype_class(ctx, 0, dtypes);
    const TensorType& x = ctx.input(0);
    std::vector<int64_t> axes = resolved_axes(ctx, "axes", reduction_axes);
    return std::vector<TensorType>{{x.dtype, reduced_shape(x.shape, axes, ctx.attrs().get_bool("keepdims"))}};
  };
}

using Gradients = std::vector<ir::Value*>;

/// `grad` (of the reduction's output) reshaped to keep the reduced dims and
/// broadcast back to x's shape: each input element gets its reduction's.
ir::Value* spread(GradientContext& g, ir::Value* grad) {
  const Shape& x = g.input(0)->type().shape;
  auto axes = *reduction_axes(g.attrs().get_ints("axes"), static_cast<int64_t>(x.size()));
  return g.broadcast_to(g.reshape(grad, reduced_shape(x, axes, true)), x);
}

Gradients sum_gradient(GradientContext& g) { return {spread(g, g.grad())}; }

Gradients mean_gradient(GradientContext& g) {
  int64_t count = num_elements(g.input(0)->type().shape) / std::max<int64_t>(num_elements(g.grad()->type().shape), 1);
  return {spread(g, g.add("Mul", {g.grad(), g.scalar(1.0f / static_cast<float>(count))}))};
}

/// Ties share the gradient equally (ReduceMaxGrad).
Gradients max_gradient(GradientContext& g) {
  return {g.add("ReduceMaxGrad", {g.grad(), g.input(0), g.output()},
                {{"axes", g.attrs().get("axes")}, {"keepdims", g.attrs().get("keepdims")}})};
}

OpBuilder reduce_op(const char* name, const char* doc, DTypeClass dtypes, GradientFn gradient) {
  OpBuilder op(name);
  op.doc(doc)
      .input("x")
      .output("y")
      .attr("axes", AttrType::ints, attr_ints({}), "axes to reduce; [] = all")
      .attr("keepdims", AttrType::bool_, attr_bool(true), "keep reduced dims as 1")
      .infer(reduction(dtypes))
      .gradient(std::move(gradient));
  return op;
}

}  // namespace

void register_reduce_ops(OpRegistry& r) {
  r.add(reduce_op("ReduceSum", "Sum over `axes`.", DTypeClass::numeric, sum_gradient));
  r.add(reduce_op("ReduceMax", "Maximum over `axes`.", DTypeClass::numeric, max_gradient));
  r.add(reduce_op("ReduceMean", "Mean over `axes`.", DTypeClass::float_, mean_gradient));
}

}  // namespace graphc::ops
