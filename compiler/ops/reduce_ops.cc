// Reductions over a set of axes: ReduceSum, ReduceMax, ReduceMean.
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

OpBuilder reduce_op(const char* name, const char* doc, DTypeClass dtypes) {
  OpBuilder op(name);
  op.doc(doc)
      .input("x")
      .output("y")
      .attr("axes", AttrType::ints, attr_ints({}), "axes to reduce; [] = all")
      .attr("keepdims", AttrType::bool_, attr_bool(true), "keep reduced dims as 1")
      .infer(reduction(dtypes));
  return op;
}

}  // namespace

void register_reduce_ops(OpRegistry& r) {
  r.add(reduce_op("ReduceSum", "Sum over `axes`.", DTypeClass::numeric));
  r.add(reduce_op("ReduceMax", "Maximum over `axes`.", DTypeClass::numeric));
  r.add(reduce_op("ReduceMean", "Mean over `axes`.", DTypeClass::float_));
}

}  // namespace graphc::ops
