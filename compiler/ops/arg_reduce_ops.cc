// Reductions reduce_ops.cc does not have: ArgMax/ArgMin (index of the
// extremum along one axis) and ReduceMin/ReduceProd, with the latter's
// gradients.
#include <fmt/format.h>

#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"
#include "runtime/core/shape_rules.h"

namespace graphc::ops {
namespace {

std::vector<TensorType> infer_arg(const InferContext& ctx) {
  expect_dtype_class(ctx, 0, DTypeClass::numeric);
  const TensorType& x = ctx.input(0);
  int64_t axis = ctx.axis(ctx.attrs().get_int("axis"), static_cast<int64_t>(x.shape.size()));
  if (x.shape[axis] == 0) ctx.fail(fmt::format("cannot take the extremum of the empty dim {} of x {}", axis, x.to_string()));
  return {{DType::i64, reduced_shape(x.shape, {axis}, ctx.attrs().get_bool("keepdims"))}};
}

std::vector<TensorType> infer_reduce(const InferContext& ctx) {
  expect_dtype_class(ctx, 0, DTypeClass::numeric);
  const TensorType& x = ctx.input(0);
  std::vector<int64_t> axes = resolved_axes(ctx, "axes", reduction_axes);
  return {{x.dtype, reduced_shape(x.shape, axes, ctx.attrs().get_bool("keepdims"))}};
}

OpBuilder arg_op(const char* name, const char* doc) {
  OpBuilder op(name);
  op.doc(doc)
      .input("x")
      .output("y")
      .attr("axis", AttrType::int_, attr_int(0), "the searched axis")
      .attr("keepdims", AttrType::bool_, attr_bool(true), "keep the axis as 1")
      .attr("select_last_index", AttrType::bool_, attr_bool(false), "on ties, the last index instead of the first")
      .infer(infer_arg);
  return op;
}

OpBuilder reduce_op(const char* name, const char* doc, GradientFn gradient) {
  OpBuilder op(name);
  op.doc(doc)
      .input("x")
      .output("y")
      .attr("axes", AttrType::ints, attr_ints({}), "axes to reduce; [] = all")
      .attr("keepdims", AttrType::bool_, attr_bool(true), "keep reduced dims as 1")
      .infer(infer_reduce)
      .gradient(std::move(gradient));
  return op;
}

using Gradients = std::vector<ir::Value*>;

/// The minimum's gradient is shared equally by the elements equal to it:
/// ReduceMaxGrad only compares x with y, so it serves ReduceMin too.
Gradients min_gradient(GradientContext& g) {
  return {g.add("ReduceMaxGrad", {g.grad(), g.input(0), g.output()},
                {{"axes", g.attrs().get("axes")}, {"keepdims", g.attrs().get("keepdims")}})};
}

/// dx = g · (product of the other elements of x's reduction), without
/// dividing by zero: with p the product of the reduction's non-zero elements
/// and z its number of zeros, the others' product is p / x where z = 0,
/// p at the one zero where z = 1, and 0 otherwise.
Gradients prod_gradient(GradientContext& g) {
  ir::Value* x = g.input(0);
  const Shape& shape = x->type().shape;
  auto axes = *reduction_axes(g.attrs().get_ints("axes"), static_cast<int64_t>(shape.size()));
  std::map<std::string, proto::AttrValue> keep{{"axes", g.attrs().get("axes")}, {"keepdims", attr_bool(true)}};
  ir::Value* zero = g.scalar(0);
  ir::Value* is_zero = g.add("Equal", {x, zero});
  ir::Value* safe = g.add("Where", {is_zero, g.scalar(1), x});
  ir::Value* product = g.add("ReduceProd", {safe}, keep);
  ir::Value* zero_count = g.add("Cast", {is_zero}, {{"to", attr_dtype(DType::f32)}});  // 1 at each zero
  ir::Value* zeros = g.add("ReduceSum", {zero_count}, keep);
  ir::Value* other_zeros = g.add("Sub", {zeros, zero_count});
  ir::Value* others = g.add("Where", {g.add("Equal", {other_zeros, zero}), g.add("Div", {product, safe}), zero});
  return {g.add("Mul", {g.reshape(g.grad(), reduced_shape(shape, axes, true)), others})};
}

}  // namespace

void register_arg_reduce_ops(OpRegistry& r) {
  r.add(arg_op("ArgMax", "Index (i64) of the maximum along `axis`; NaN counts as the maximum."));
  r.add(arg_op("ArgMin", "Index (i64) of the minimum along `axis`; NaN counts as the minimum."));
  r.add(reduce_op("ReduceMin", "Minimum over `axes`.", min_gradient));
  r.add(reduce_op("ReduceProd", "Product over `axes`.", prod_gradient));
}

}  // namespace graphc::ops
