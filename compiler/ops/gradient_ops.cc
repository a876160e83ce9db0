// Gradient ops: the backward computations that existing ops cannot express,
// added by the gradient builders of the other family files.
//
// A backward op takes the forward op's attributes (plus the forward input
// shape where it cannot be recovered) and is checked by running the forward
// op's own shape function: dy must have the type the forward op gives.
// Backward ops are not differentiable themselves (no second derivatives).
#include <fmt/format.h>

#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"

namespace graphc::ops {
namespace {

/// What forward op `op` gives for `inputs` under this node's attributes.
std::vector<TensorType> forward_types(const InferContext& ctx, const char* op, std::vector<TensorType> inputs) {
  InferContext forward(ctx.attrs(), std::move(inputs), {});
  return OpRegistry::global().find(op)->infer(forward);
}

/// Checks input i (a gradient of op's output) has the forward output's type.
void expect_gradient_of(const InferContext& ctx, size_t i, const TensorType& forward, const char* op) {
  if (ctx.input(i) == forward) return;
  ctx.fail(fmt::format("input {} has type {}, expected {} (the type of {}'s output for these attributes)", i,
                       ctx.input(i).to_string(), forward.to_string(), op));
}

/// The forward input type an `attr` (ints) gives, in f32.
TensorType shape_attr(const InferContext& ctx, const char* attr) {
  std::vector<int64_t> dims = ctx.attrs().get_ints(attr);
  for (int64_t d : dims) {
    if (d < 0) ctx.fail(fmt::format("attribute '{}' = [{}] has a negative dim", attr, fmt::join(dims, ",")));
  }
  return {DType::f32, dims};
}

/// A backward op whose dy (input 0) is the gradient of `forward`'s output for
/// the forward inputs `forward_inputs` gives, and whose outputs have the
/// types `results` gives.
using ForwardInputs = std::function<std::vector<TensorType>(const InferContext&)>;
ShapeFn backward(const char* forward, ForwardInputs forward_inputs, ShapeFn results) {
  return [=](const InferContext& ctx) {
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      if (ctx.input(i).dtype != DType::i32 && ctx.input(i).dtype != DType::i64) ctx.expect_dtype(i, {DType::f32});
    }
    expect_gradient_of(ctx, 0, forward_types(ctx, forward, forward_inputs(ctx)).front(), forward);
    return results(ctx);
  };
}

/// Forward inputs: this node's inputs from `first` on, in order.
ForwardInputs inputs_from(size_t first) {
  return [first](const InferContext& ctx) {
    std::vector<TensorType> types;
    for (size_t i = first; i < ctx.num_inputs(); ++i) types.push_back(ctx.input(i));
    return types;
  };
}

/// Forward inputs: the f32 tensor of shape attr `attr`, then this node's
/// inputs from `first` on (Conv2DBackpropFilter puts x first, so `before`).
ForwardInputs shape_attr_and_inputs(const char* attr, size_t first, bool before = true) {
  return [=](const InferContext& ctx) {
    std::vector<TensorType> types = inputs_from(first)(ctx);
    types.insert(before ? types.begin() : types.end(), shape_attr(ctx, attr));
    return types;
  };
}

ShapeFn outputs_like(std::vector<size_t> inputs) {
  return [inputs](const InferContext& ctx) {
    std::vector<TensorType> types;
    for (size_t i : inputs) types.push_back(ctx.input(i));
    return types;
  };
}

ShapeFn output_from_attr(const char* attr) {
  return [attr](const InferContext& ctx) { return std::vector<TensorType>{shape_attr(ctx, attr)}; };
}

/// The window attributes of Conv2D and the pooling ops, for their backward ops.
OpBuilder& conv_attrs(OpBuilder& op) {
  return op.attr("strides", AttrType::ints, attr_ints({1, 1}), "[SH, SW]")
      .attr("pads", AttrType::ints, attr_ints({0, 0, 0, 0}), "[top, left, bottom, right]")
      .attr("dilations", AttrType::ints, attr_ints({1, 1}), "[DH, DW]")
      .attr("groups", AttrType::int_, attr_int(1), "channel groups");
}

OpBuilder& pool_attrs(OpBuilder& op) {
  return op.attr("kernel", AttrType::ints, "[KH, KW]")
      .attr("strides", AttrType::ints, attr_ints({1, 1}), "[SH, SW]")
      .attr("pads", AttrType::ints, attr_ints({0, 0, 0, 0}), "[top, left, bottom, right]")
      .attr("ceil_mode", AttrType::bool_, attr_bool(false), "as the forward op");
}

/// dx of an elementwise activation: dy and x of one shape. dx may be
/// written over dy: the reference kernel maps index by index, and oneDNN's
/// eltwise backward documents diff_src == diff_dst.
OpBuilder activation_grad(const char* name, const char* doc) {
  OpBuilder op(name);
  op.may_overwrite(0, 0).elementwise();
  op.doc(doc).input("dy").input("x").output("dx").infer([](const InferContext& ctx) {
    expect_dtype_class(ctx, 0, DTypeClass::float_);
    expect_same_dtype(ctx, 1, 0);
    if (ctx.input(1) != ctx.input(0)) {
      ctx.fail(fmt::format("dy {} and x {} must have one type", ctx.input(0).to_string(), ctx.input(1).to_string()));
    }
    return std::vector<TensorType>{ctx.input(1)};
  });
  return op;
}

/// MaximumGrad and MinimumGrad: dy in the broadcast shape of a and b; both
/// outputs in that shape (the builder reduces them to a's and b's shapes).
OpBuilder select_grad(const char* name, const char* forward, const char* doc) {
  OpBuilder op(name);
  op.doc(doc).input("dy").input("a").input("b").output("da").output("db").infer(
      backward(forward, inputs_from(1), outputs_like({0, 0})));
  return op;
}

}  // namespace

void register_gradient_ops(OpRegistry& r) {
  r.add(activation_grad("ReluGrad", "dx = dy where x > 0, else 0."));
  OpBuilder gelu_grad = activation_grad("GeluGrad", "dx = dy · Gelu'(x).");
  gelu_grad.attr("approximate", AttrType::string, attr_string("none"), "as the forward Gelu");
  r.add(gelu_grad);
  r.add(select_grad("MaximumGrad", "Maximum", "da = dy where Maximum picked a (a > b or a is NaN), db the rest."));
  r.add(select_grad("MinimumGrad", "Minimum", "da = dy where Minimum picked a (a < b or a is NaN), db the rest."));

  r.add(OpBuilder("ReduceMaxGrad")
            .doc("dx: dy shared equally by the elements equal to their reduction's max y.")
            .input("dy")
            .input("x")
            .input("y")
            .output("dx")
            .attr("axes", AttrType::ints, attr_ints({}), "as ReduceMax")
            .attr("keepdims", AttrType::bool_, attr_bool(true), "as ReduceMax")
            .infer(backward("ReduceMax", inputs_from(1), outputs_like({1}))));

  OpBuilder conv_input("Conv2DBackpropInput");
  conv_input.doc("dx of Conv2D (a transposed convolution of dy with w).")
      .input("dy")
      .input("w")
      .output("dx")
      .attr("input_shape", AttrType::ints, "the shape of Conv2D's x")
      .infer(backward("Conv2D", shape_attr_and_inputs("input_shape", 1), output_from_attr("input_shape")))
      .channels_last({0}, {0});
  r.add(conv_attrs(conv_input));

  OpBuilder conv_filter("Conv2DBackpropFilter");
  conv_filter.doc("dw of Conv2D (the correlation of x with dy) and, with `bias_gradient`, db: dy summed over all "
                  "but the channel dim (one pass over dy for both).")
      .input("dy")
      .input("x")
      .output("dw")
      .output("db")
      .output_count([](const AttrMap& attrs) { return attrs.has("bias_gradient") && attrs.get_bool("bias_gradient") ? 2 : 1; })
      .attr("filter_shape", AttrType::ints, "the shape of Conv2D's w")
      .attr("bias_gradient", AttrType::bool_, attr_bool(false), "also output db [O]")
      .infer(backward("Conv2D", shape_attr_and_inputs("filter_shape", 1, false), [](const InferContext& ctx) {
        std::vector<TensorType> types{shape_attr(ctx, "filter_shape")};
        if (ctx.attrs().get_bool("bias_gradient")) types.push_back({DType::f32, {types[0].shape.at(0)}});
        return types;
      }))
      .channels_last({0, 1}, {});
  r.add(conv_attrs(conv_filter));

  OpBuilder max_pool("MaxPoolGrad");
  max_pool.doc("dx of MaxPool: each window's dy goes to its (first) max.")
      .input("dy")
      .input("x")
      .output("dx")
      .infer(backward("MaxPool", inputs_from(1), outputs_like({1})))
      .channels_last({0, 1}, {0});
  r.add(pool_attrs(max_pool));

  OpBuilder avg_pool("AvgPoolGrad");
  avg_pool.doc("dx of AvgPool: each window's dy spread over its counted taps.")
      .input("dy")
      .output("dx")
      .attr("count_include_pad", AttrType::bool_, attr_bool(false), "as AvgPool")
      .attr("input_shape", AttrType::ints, "the shape of AvgPool's x")
      .infer(backward("AvgPool", shape_attr_and_inputs("input_shape", 1), output_from_attr("input_shape")))
      .channels_last({0}, {0});
  r.add(pool_attrs(avg_pool));

  r.add(OpBuilder("LayerNormGrad")
            .doc("dx, dscale, dbias of LayerNorm (the statistics are recomputed from x).")
            .input("dy")
            .input("x")
            .input("scale")
            .output("dx")
            .output("dscale")
            .output("dbias")
            .attr("axis", AttrType::int_, attr_int(-1), "as LayerNorm")
            .attr("epsilon", AttrType::float_, attr_float(1e-5f), "as LayerNorm")
            .infer(backward("LayerNorm", inputs_from(1), outputs_like({1, 2, 2}))));

  r.add(OpBuilder("BatchNormTrainingGrad")
            .doc("dx, dscale, dbias of BatchNormTraining's y (the batch statistics are recomputed from x).")
            .input("dy")
            .input("x")
            .input("scale")
            .output("dx")
            .output("dscale")
            .output("dbias")
            .attr("epsilon", AttrType::float_, attr_float(1e-5f), "as BatchNormTraining")
            .attr("momentum", AttrType::float_, attr_float(0.1f), "as BatchNormTraining (unused)")
            .infer(backward(
                "BatchNormTraining",
                [](const InferContext& ctx) {
                  const TensorType& scale = ctx.input(2);
                  return std::vector<TensorType>{ctx.input(1), scale, scale, scale, scale};
                },
                outputs_like({1, 2, 2}))));

  r.add(OpBuilder("SliceGrad")
            .doc("dx of Slice: dy scattered into zeros at the sliced positions.")
            .input("dy")
            .output("dx")
            .attr("starts", AttrType::ints, "as Slice")
            .attr("ends", AttrType::ints, "as Slice")
            .attr("axes", AttrType::ints, attr_ints({}), "as Slice")
            .attr("steps", AttrType::ints, attr_ints({}), "as Slice")
            .attr("input_shape", AttrType::ints, "the shape of Slice's x")
            .infer(backward("Slice", shape_attr_and_inputs("input_shape", 1), output_from_attr("input_shape"))));

  r.add(OpBuilder("PadGrad")
            .doc("dx of Pad: every padded element's dy added to the element it copies (the fill gets none).")
            .input("dy")
            .output("dx")
            .attr("pads", AttrType::ints, "as Pad")
            .attr("mode", AttrType::string, attr_string("constant"), "as Pad")
            .attr("value", AttrType::float_, attr_float(0.0f), "as Pad (unused)")
            .attr("input_shape", AttrType::ints, "the shape of Pad's x")
            .infer(backward("Pad", shape_attr_and_inputs("input_shape", 1), output_from_attr("input_shape"))));

  r.add(OpBuilder("GatherGrad")
            .doc("d(data) of Gather: each dy block added to the data block its index picked.")
            .input("dy")
            .input("indices")
            .output("ddata")
            .attr("axis", AttrType::int_, attr_int(0), "as Gather")
            .attr("input_shape", AttrType::ints, "the shape of Gather's data")
            .infer(backward("Gather", shape_attr_and_inputs("input_shape", 1), output_from_attr("input_shape"))));
}

}  // namespace graphc::ops
