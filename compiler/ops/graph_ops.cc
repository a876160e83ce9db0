// Graph ops: the sources of a graph (Placeholder, Const, Variable) and Identity.
#include <fmt/format.h>

#include "compiler/ops/initializers.h"
#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"
#include "runtime/core/tensor_proto.h"

namespace graphc::ops {
namespace {

std::vector<TensorType> infer_placeholder(const InferContext& ctx) {
  TensorType type{ctx.attrs().get_dtype("dtype"), ctx.attrs().get_shape("shape")};
  for (int64_t d : type.shape) {
    if (d < -1) ctx.fail(fmt::format("attribute 'shape' = {} has a dim < -1", shape_to_string(type.shape)));
  }
  return {type};
}

std::vector<TensorType> infer_const(const InferContext& ctx) {
  const proto::TensorProto& value = ctx.attrs().get_tensor("value");
  DType dtype = dtype_from_proto(value.dtype(), fmt::format("node '{}' (Const) attribute 'value'", ctx.attrs().node()));
  Shape shape(value.dims().begin(), value.dims().end());
  for (int64_t d : shape) {
    if (d < 0) ctx.fail(fmt::format("attribute 'value' has dims {} with a negative dim", shape_to_string(shape)));
  }
  return {{dtype, shape}};
}

}  // namespace

void register_graph_ops(OpRegistry& r) {
  r.add(OpBuilder("Placeholder")
                      .doc("A graph input; -1 dims are fixed at compile time.")
                      .output("y")
                      .attr("dtype", AttrType::dtype, "element type")
                      .attr("shape", AttrType::shape, "static shape; -1 = unknown until compile time")
                      .stateful()
                      .infer(infer_placeholder));

  r.add(OpBuilder("Const")
                      .doc("A literal tensor.")
                      .output("y")
                      .attr("value", AttrType::tensor, "the tensor")
                      .constant()
                      .infer(infer_const));

  r.add(
      OpBuilder("Variable")
          .doc("Trainable state, initialised at compile time by its initializer.")
          .output("y")
          .attr("dtype", AttrType::dtype, attr_dtype(DType::f32), "element type")
          .attr("shape", AttrType::shape, "fully known shape")
          .attr("initializer", AttrType::string, attr_string("glorot_uniform"),
                "zeros, ones, constant, uniform, normal, glorot_uniform, glorot_normal, he_uniform or he_normal")
          .attr("seed", AttrType::int_, attr_int(0), "mixed with the node name's hash")
          .attr("value", AttrType::float_, attr_float(0.0f), "the value of \"constant\"")
          .attr("scale", AttrType::float_, attr_float(0.05f), "half-width of \"uniform\", stddev of \"normal\"")
          .optional_attr("initial_value", AttrType::tensor,
                         "trained weights (graphc compile --weights CHECKPOINT): used instead of the initializer")
          .stateful()
          .infer([](const InferContext& ctx) { return std::vector<TensorType>{variable_type(ctx.attrs())}; }));

  r.add(OpBuilder("Identity")
            .doc("y = x, any dtype.")
            .input("x")
            .output("y")
            .infer(same_as_input(0))
            .gradient([](GradientContext& g) { return std::vector<ir::Value*>{g.grad()}; }));
}

}  // namespace graphc::ops
