// Reductions reduce_ops.cc does not have: ArgMax/ArgMin (index of the
// extremum along one axis) and ReduceMin/ReduceProd.
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

OpBuilder reduce_op(const char* name, const char* doc) {
  OpBuilder op(name);
  op.doc(doc)
      .input("x")
      .output("y")
      .attr("axes", AttrType::ints, attr_ints({}), "axes to reduce; [] = all")
      .attr("keepdims", AttrType::bool_, attr_bool(true), "keep reduced dims as 1")
      .infer(infer_reduce);
  return op;
}

}  // namespace

void register_arg_reduce_ops(OpRegistry& r) {
  r.add(arg_op("ArgMax", "Index (i64) of the maximum along `axis`; NaN counts as the maximum."));
  r.add(arg_op("ArgMin", "Index (i64) of the minimum along `axis`; NaN counts as the minimum."));
  r.add(reduce_op("ReduceMin", "Minimum over `axes`."));
  r.add(reduce_op("ReduceProd", "Product over `axes`."));
}

}  // namespace graphc::ops
