// Neural-network ops: convolution (and its transpose), pooling,
// normalisation and softmax, with their gradients.
// Images are NCHW; pads are [top, left, bottom, right].
#include <fmt/format.h>

#include <algorithm>

#include "compiler/ops/cost_model.h"
#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"
#include "runtime/core/conv_transpose_shape.h"
#include "runtime/core/shape_rules.h"

namespace graphc::ops {
namespace {

void expect_non_negative_epsilon(const InferContext& ctx) {
  float epsilon = ctx.attrs().get_float("epsilon");
  if (!(epsilon >= 0)) ctx.fail(fmt::format("attribute 'epsilon' = {} must be >= 0", epsilon));
}

/// A 2-D sliding window over the H and W dims of an NCHW input.
struct Window2D {
  std::vector<int64_t> kernel;     // [KH, KW]
  std::vector<int64_t> strides;    // [SH, SW]
  std::vector<int64_t> pads;       // [top, left, bottom, right]
  std::vector<int64_t> dilations;  // [DH, DW]
};

/// The window's [OH, OW] over x (input 0); fails when a dim would be empty.
Shape window_output(const InferContext& ctx, const Window2D& w, bool ceil_mode) {
  const TensorType& x = ctx.input(0);
  Shape out(2);
  for (size_t d = 0; d < 2; ++d) {
    out[d] = window_output_size(x.shape[2 + d], w.kernel[d], w.strides[d], w.pads[d], w.pads[2 + d], w.dilations[d],
                                ceil_mode);
    if (out[d] < 1) {
      ctx.fail(
          fmt::format("the window does not fit: x {} padded by [{}] is smaller than kernel [{}] with "
                      "dilations [{}] along {}",
                      x.to_string(), fmt::join(w.pads, ","), fmt::join(w.kernel, ","), fmt::join(w.dilations, ","),
                      d == 0 ? "H" : "W"));
    }
  }
  return out;
}

/// Each output element of Conv2D sums over C/groups · KH · KW products.
int64_t conv2d_reduction_length(const AttrMap&, const std::vector<TensorType>& inputs) {
  const Shape& w = inputs[1].shape;
  return w[1] * w[2] * w[3];
}

/// The checks Conv2D and ConvTranspose share: f32 x and w of rank 4, an
/// optional bias of their dtype, and groups >= 1 (returned).
int64_t conv_groups(const InferContext& ctx) {
  expect_dtype_class(ctx, 0, DTypeClass::float_);
  for (size_t i = 1; i < ctx.num_inputs(); ++i) expect_same_dtype(ctx, i, 0);
  ctx.expect_rank(0, 4);
  ctx.expect_rank(1, 4);
  int64_t groups = ctx.attrs().get_int("groups");
  if (groups < 1) ctx.fail(fmt::format("attribute 'groups' = {} must be >= 1", groups));
  return groups;
}

std::vector<TensorType> infer_conv2d(const InferContext& ctx) {
  int64_t groups = conv_groups(ctx);
  const TensorType& x = ctx.input(0);
  const TensorType& w = ctx.input(1);
  int64_t channels = x.shape[1];
  int64_t out_channels = w.shape[0];
  if (channels % groups != 0 || out_channels % groups != 0) {
    ctx.fail(
        fmt::format("groups = {} must divide both the input channels C = {} of x {} and the output channels "
                    "O = {} of w {}",
                    groups, channels, x.to_string(), out_channels, w.to_string()));
  }
  if (w.shape[1] != channels / groups || w.shape[2] < 1 || w.shape[3] < 1) {
    ctx.fail(
        fmt::format("input 1 (w) has shape {}, expected [O, C/groups, KH, KW] with C/groups = {} from x {} "
                    "and KH, KW >= 1",
                    w.to_string(), channels / groups, x.to_string()));
  }
  if (ctx.num_inputs() > 2) {
    expect_shape(ctx, 2, "b", {out_channels}, fmt::format("[O] with O = {} from w {}", out_channels, w.to_string()));
  }
  Window2D window{{w.shape[2], w.shape[3]},
                  ints_at_least(ctx, "strides", 2, 1),
                  ints_at_least(ctx, "pads", 4, 0),
                  ints_at_least(ctx, "dilations", 2, 1)};
  Shape hw = window_output(ctx, window, false);
  return {{x.dtype, {x.shape[0], out_channels, hw[0], hw[1]}}};
}

/// ConvTranspose: x [N, C, H, W] and w [C, M/groups, KH, KW] give
/// [N, M, OH, OW], OH = SH·(H − 1) + output_padding + DH·(KH − 1) + 1 − pads.
std::vector<TensorType> infer_conv_transpose(const InferContext& ctx) {
  int64_t groups = conv_groups(ctx);
  const TensorType& x = ctx.input(0);
  const TensorType& w = ctx.input(1);
  int64_t channels = x.shape[1];
  if (w.shape[0] != channels || channels % groups != 0 || w.shape[2] < 1 || w.shape[3] < 1) {
    ctx.fail(
        fmt::format("input 1 (w) has shape {}, expected [C, M/groups, KH, KW] with C = {} from x {} (divisible by "
                    "groups = {}) and KH, KW >= 1",
                    w.to_string(), channels, x.to_string(), groups));
  }
  int64_t out_channels = w.shape[1] * groups;
  if (ctx.num_inputs() > 2) {
    expect_shape(ctx, 2, "b", {out_channels},
                 fmt::format("[M] with M = w.shape[1]·groups = {} from w {}", out_channels, w.to_string()));
  }
  std::vector<int64_t> strides = ints_at_least(ctx, "strides", 2, 1);
  std::vector<int64_t> pads = ints_at_least(ctx, "pads", 4, 0);
  std::vector<int64_t> dilations = ints_at_least(ctx, "dilations", 2, 1);
  std::vector<int64_t> output_padding = ints_at_least(ctx, "output_padding", 2, 0);
  Shape y{x.shape[0], out_channels, 0, 0};
  for (size_t d = 0; d < 2; ++d) {
    y[2 + d] = transposed_window_output_size(x.shape[2 + d], w.shape[2 + d], strides[d], pads[d], pads[2 + d],
                                             dilations[d], output_padding[d]);
    if (y[2 + d] < 1) {
      ctx.fail(fmt::format("the output is empty along {}: pads [{}] remove all of the {} positions x {} and w {} "
                           "give with strides [{}], dilations [{}] and output_padding [{}]",
                           d == 0 ? "H" : "W", fmt::join(pads, ","), y[2 + d] + pads[d] + pads[2 + d],
                           x.to_string(), w.to_string(), fmt::join(strides, ","), fmt::join(dilations, ","),
                           fmt::join(output_padding, ",")));
    }
  }
  return {{x.dtype, y}};
}

/// Every x element meets every tap of its group's M/groups filters.
OpCost conv_transpose_cost(const AttrMap&, const std::vector<TensorType>& inputs,
                           const std::vector<TensorType>& outputs) {
  OpCost cost = default_cost(inputs, outputs);
  const Shape& w = inputs[1].shape;
  cost.flops = 2.0 * static_cast<double>(num_elements(inputs[0].shape) * w[1] * w[2] * w[3]);
  return cost;
}

/// MaxPool and AvgPool. A pad must be smaller than the kernel, so every
/// window overlaps the input (an all-padding window has no max and no mean).
std::vector<TensorType> infer_pool(const InferContext& ctx) {
  expect_dtype_class(ctx, 0, DTypeClass::float_);
  ctx.expect_rank(0, 4);
  Window2D window{ints_at_least(ctx, "kernel", 2, 1),
                  ints_at_least(ctx, "strides", 2, 1),
                  ints_at_least(ctx, "pads", 4, 0),
                  {1, 1}};
  for (size_t i = 0; i < 4; ++i) {
    if (window.pads[i] >= window.kernel[i % 2]) {
      ctx.fail(fmt::format("attribute 'pads' = [{}] must be smaller than kernel [{}]", fmt::join(window.pads, ","),
                           fmt::join(window.kernel, ",")));
    }
  }
  const TensorType& x = ctx.input(0);
  Shape hw = window_output(ctx, window, ctx.attrs().get_bool("ceil_mode"));
  return {{x.dtype, {x.shape[0], x.shape[1], hw[0], hw[1]}}};
}

std::vector<TensorType> infer_global_avg_pool(const InferContext& ctx) {
  expect_dtype_class(ctx, 0, DTypeClass::float_);
  expect_min_rank(ctx, 0, "x", 3);
  TensorType y = ctx.input(0);
  std::fill(y.shape.begin() + 2, y.shape.end(), 1);
  return {y};
}

std::vector<TensorType> infer_batch_norm(const InferContext& ctx) {
  expect_dtype_class(ctx, 0, DTypeClass::float_);
  expect_min_rank(ctx, 0, "x", 2);
  expect_non_negative_epsilon(ctx);
  const TensorType& x = ctx.input(0);
  const char* names[] = {"x", "scale", "bias", "mean", "var"};
  for (size_t i = 1; i < 5; ++i) {
    expect_same_dtype(ctx, i, 0);
    expect_shape(ctx, i, names[i], {x.shape[1]}, fmt::format("[C] with C = {} from x {}", x.shape[1], x.to_string()));
  }
  return {x};
}

std::vector<TensorType> infer_layer_norm(const InferContext& ctx) {
  expect_dtype_class(ctx, 0, DTypeClass::float_);
  expect_non_negative_epsilon(ctx);
  const TensorType& x = ctx.input(0);
  int64_t axis = ctx.axis(ctx.attrs().get_int("axis"), static_cast<int64_t>(x.shape.size()));
  Shape normalized(x.shape.begin() + axis, x.shape.end());
  const char* names[] = {"x", "scale", "bias"};
  for (size_t i = 1; i < ctx.num_inputs(); ++i) {
    expect_same_dtype(ctx, i, 0);
    expect_shape(ctx, i, names[i], normalized,
                 fmt::format("x.shape[{}:] = {} from x {}", axis, shape_to_string(normalized), x.to_string()));
  }
  return {x};
}

std::vector<TensorType> infer_softmax(const InferContext& ctx) {
  expect_dtype_class(ctx, 0, DTypeClass::float_);
  const TensorType& x = ctx.input(0);
  ctx.axis(ctx.attrs().get_int("axis"), static_cast<int64_t>(x.shape.size()));
  return {x};
}

/// MaxPool and AvgPool share their window attributes.
OpBuilder pool_op(const char* name, const char* doc) {
  OpBuilder op(name);
  op.doc(doc)
      .input("x")
      .output("y")
      .attr("kernel", AttrType::ints, "[KH, KW]")
      .attr("strides", AttrType::ints, attr_ints({1, 1}), "[SH, SW]")
      .attr("pads", AttrType::ints, attr_ints({0, 0, 0, 0}), "[top, left, bottom, right], each < kernel")
      .attr("ceil_mode", AttrType::bool_, attr_bool(false), "round the output size up")
      .infer(infer_pool)
      .channels_last({0}, {0});
  return op;
}

/// BatchNormTraining: BatchNorm's checks, plus the running statistics' outputs.
std::vector<TensorType> infer_batch_norm_training(const InferContext& ctx) {
  float momentum = ctx.attrs().get_float("momentum");
  if (!(momentum >= 0 && momentum <= 1)) ctx.fail(fmt::format("attribute 'momentum' = {} must be in [0, 1]", momentum));
  std::vector<TensorType> types = infer_batch_norm(ctx);
  types.insert(types.end(), 2, ctx.input(1));
  return types;
}

using Gradients = std::vector<ir::Value*>;

/// The attributes `names` of the forward node, plus `extra`.
std::map<std::string, proto::AttrValue> forward_attrs(const GradientContext& g, std::initializer_list<const char*> names,
                                                      std::map<std::string, proto::AttrValue> extra = {}) {
  for (const char* name : names) extra[name] = g.attrs().get(name);
  return extra;
}

/// The window attributes of Conv2D (and ConvTranspose), plus `extra`.
std::map<std::string, proto::AttrValue> conv_attrs(const GradientContext& g,
                                                   std::map<std::string, proto::AttrValue> extra = {}) {
  return forward_attrs(g, {"strides", "pads", "dilations", "groups"}, std::move(extra));
}

/// The gradient of a per-channel bias [M] added to dy's [N, M, H, W]: dy
/// summed over all but the channel dim; null unless input 2 wants one.
ir::Value* channel_bias_gradient(GradientContext& g) {
  if (g.node().inputs().size() < 3 || !g.wants_grad(2)) return nullptr;
  return g.add("ReduceSum", {g.grad()}, {{"axes", attr_ints({0, 2, 3})}, {"keepdims", attr_bool(false)}});
}

/// dx by Conv2DBackpropInput; dw by Conv2DBackpropFilter, which also gives
/// db when both are wanted (its kernels sum dy in the same pass).
Gradients conv2d_gradient(GradientContext& g) {
  auto shape_of = [&](size_t i) { return attr_ints(g.input(i)->type().shape); };
  Gradients grads(g.node().inputs().size());
  if (g.wants_grad(0)) {
    grads[0] = g.add("Conv2DBackpropInput", {g.grad(), g.input(1)}, conv_attrs(g, {{"input_shape", shape_of(0)}}));
  }
  bool bias = grads.size() > 2 && g.wants_grad(2);
  if (g.wants_grad(1)) {
    std::vector<ir::Value*> parts =
        g.add_node("Conv2DBackpropFilter", {g.grad(), g.input(0)},
                   conv_attrs(g, {{"filter_shape", shape_of(1)}, {"bias_gradient", attr_bool(bias)}}), bias ? 2 : 1);
    grads[1] = parts[0];
    if (bias) grads[2] = parts[1];
  } else if (bias) {
    grads[2] = channel_bias_gradient(g);
  }
  return grads;
}

/// ConvTranspose maps x to y as Conv2D's input gradient maps dy to dx (the
/// transpose of Conv2D under the same attributes, w read as [O = C,
/// C_in/groups = M/groups, KH, KW]). So dx = Conv2D(dy, w) and dw =
/// Conv2DBackpropFilter(x, dy). Conv2D of y's shape gives H + ⌊op/SH⌋ rows
/// (op = output_padding), so when op ≥ stride x is padded at the end with
/// those rows of zeros (which add nothing to y) for dw, and dx is sliced
/// back to x's shape.
Gradients conv_transpose_gradient(GradientContext& g) {
  const Shape& x = g.input(0)->type().shape;
  std::vector<int64_t> strides = g.attrs().get_ints("strides");
  std::vector<int64_t> output_padding = g.attrs().get_ints("output_padding");
  std::vector<int64_t> extra{output_padding[0] / strides[0], output_padding[1] / strides[1]};
  bool padded = extra[0] > 0 || extra[1] > 0;
  Gradients grads(g.node().inputs().size());
  if (g.wants_grad(0)) {
    ir::Value* dx = g.add("Conv2D", {g.grad(), g.input(1)}, conv_attrs(g));
    if (padded) {
      dx = g.add("Slice", {dx},
                 {{"starts", attr_ints({0, 0})}, {"ends", attr_ints({x[2], x[3]})}, {"axes", attr_ints({2, 3})}});
    }
    grads[0] = dx;
  }
  if (g.wants_grad(1)) {
    ir::Value* padded_x = g.input(0);
    if (padded) padded_x = g.add("Pad", {padded_x}, {{"pads", attr_ints({0, 0, 0, 0, 0, 0, extra[0], extra[1]})}});
    grads[1] = g.add("Conv2DBackpropFilter", {padded_x, g.grad()},
                     conv_attrs(g, {{"filter_shape", attr_ints(g.input(1)->type().shape)}}));
  }
  if (grads.size() > 2) grads[2] = channel_bias_gradient(g);
  return grads;
}

Gradients max_pool_gradient(GradientContext& g) {
  return {g.add("MaxPoolGrad", {g.grad(), g.input(0)}, forward_attrs(g, {"kernel", "strides", "pads", "ceil_mode"}))};
}

Gradients avg_pool_gradient(GradientContext& g) {
  return {g.add("AvgPoolGrad", {g.grad()},
                forward_attrs(g, {"kernel", "strides", "pads", "ceil_mode", "count_include_pad"},
                              {{"input_shape", attr_ints(g.input(0)->type().shape)}}))};
}

Gradients global_avg_pool_gradient(GradientContext& g) {
  const Shape& x = g.input(0)->type().shape;
  auto count = static_cast<float>(num_elements(Shape(x.begin() + 2, x.end())));
  return {g.broadcast_to(g.add("Mul", {g.grad(), g.scalar(1.0f / count)}), x)};
}

/// Inference BatchNorm, y = (x - mean)·r·scale + bias with r = (var + ε)^-1/2,
/// differentiated with elementwise ops; per-channel [C] values are reshaped
/// to [C, 1, ...] to broadcast over x, and sums run over every dim but 1.
Gradients batch_norm_gradient(GradientContext& g) {
  const Shape& x = g.input(0)->type().shape;
  Shape channel_shape(x.size() - 1, 1);
  channel_shape[0] = x[1];
  std::vector<int64_t> other_axes{0};
  for (size_t d = 2; d < x.size(); ++d) other_axes.push_back(static_cast<int64_t>(d));
  auto per_channel = [&](ir::Value* v) { return g.reshape(v, channel_shape); };
  auto channel_sum = [&](ir::Value* v) {
    return g.add("ReduceSum", {v}, {{"axes", attr_ints(other_axes)}, {"keepdims", attr_bool(false)}});
  };
  ir::Value* dy = g.grad();
  ir::Value* scale = g.input(1);
  ir::Value* r = g.add("Rsqrt", {g.add("Add", {g.input(4), g.scalar(g.attrs().get_float("epsilon"))})});
  ir::Value* factor = g.add("Mul", {scale, r});
  ir::Value* centered = g.add("Sub", {g.input(0), per_channel(g.input(3))});
  ir::Value* dy_centered = channel_sum(g.add("Mul", {dy, centered}));  // Σ dy·(x - mean)
  ir::Value* dbias = channel_sum(dy);
  Gradients grads(5);
  if (g.wants_grad(0)) grads[0] = g.add("Mul", {dy, per_channel(factor)});
  if (g.wants_grad(1)) grads[1] = g.add("Mul", {dy_centered, r});
  if (g.wants_grad(2)) grads[2] = dbias;
  if (g.wants_grad(3)) grads[3] = g.add("Neg", {g.add("Mul", {dbias, factor})});
  if (g.wants_grad(4)) {
    // d/dvar (var + ε)^-1/2 = -r³/2.
    ir::Value* r3 = g.add("Mul", {r, g.add("Mul", {r, r})});
    grads[4] = g.add("Mul", {g.add("Mul", {dy_centered, scale}), g.add("Mul", {r3, g.scalar(-0.5f)})});
  }
  return grads;
}

/// The running statistics are state, not functions of the loss: no gradient
/// flows through them, nor into running_mean and running_var.
Gradients batch_norm_training_gradient(GradientContext& g) {
  if (g.output_grad(1) != nullptr || g.output_grad(2) != nullptr || g.grad() == nullptr) {
    g.fail("the loss depends on the running statistics (outputs 1 and 2), which are not differentiable");
  }
  std::vector<ir::Value*> parts = g.add_node("BatchNormTrainingGrad", {g.grad(), g.input(0), g.input(1)},
                                             forward_attrs(g, {"epsilon", "momentum"}), 3);
  return {parts[0], parts[1], parts[2], nullptr, nullptr};
}

Gradients layer_norm_gradient(GradientContext& g) {
  std::vector<ir::Value*> parts =
      g.add_node("LayerNormGrad", {g.grad(), g.input(0), g.input(1)}, forward_attrs(g, {"axis", "epsilon"}), 3);
  parts.resize(g.node().inputs().size());
  return parts;
}

std::map<std::string, proto::AttrValue> keepdims_along(const GradientContext& g) {
  return {{"axes", attr_ints({g.attrs().get_int("axis")})}, {"keepdims", attr_bool(true)}};
}

/// dx = y·(dy - Σ dy·y) along the axis.
Gradients softmax_gradient(GradientContext& g) {
  ir::Value* y = g.output();
  ir::Value* dot = g.add("ReduceSum", {g.add("Mul", {g.grad(), y})}, keepdims_along(g));
  return {g.add("Mul", {y, g.add("Sub", {g.grad(), dot})})};
}

/// dx = dy - e^y·Σ dy along the axis.
Gradients log_softmax_gradient(GradientContext& g) {
  ir::Value* total = g.add("ReduceSum", {g.grad()}, keepdims_along(g));
  return {g.add("Sub", {g.grad(), g.add("Mul", {g.add("Exp", {g.output()}), total})})};
}

OpBuilder softmax_op(const char* name, const char* doc, GradientFn gradient) {
  OpBuilder op(name);
  op.doc(doc)
      .input("x")
      .output("y")
      .attr("axis", AttrType::int_, attr_int(-1), "the axis")
      .infer(infer_softmax)
      .gradient(std::move(gradient));
  return op;
}

}  // namespace

void register_nn_ops(OpRegistry& r) {
  r.add(OpBuilder("Conv2D")
                      .doc("2-D cross-correlation over NCHW x with OIHW weights w and optional bias b.")
                      .input("x")
                      .input("w")
                      .optional_input("b")
                      .output("y")
                      .attr("strides", AttrType::ints, attr_ints({1, 1}), "[SH, SW]")
                      .attr("pads", AttrType::ints, attr_ints({0, 0, 0, 0}), "[top, left, bottom, right]")
                      .attr("dilations", AttrType::ints, attr_ints({1, 1}), "[DH, DW]")
                      .attr("groups", AttrType::int_, attr_int(1), "channel groups; divides C and O")
                      .infer(infer_conv2d)
                      .gradient(conv2d_gradient)
                      .cost(multiply_accumulate_cost(conv2d_reduction_length))
                      .channels_last({0}, {0}));

  r.add(OpBuilder("ConvTranspose")
            .doc("2-D transposed convolution (Conv2D's input gradient) of NCHW x with weights w [C, M/groups, "
                 "KH, KW] and optional bias b [M].")
            .input("x")
            .input("w")
            .optional_input("b")
            .output("y")
            .attr("strides", AttrType::ints, attr_ints({1, 1}), "[SH, SW]")
            .attr("pads", AttrType::ints, attr_ints({0, 0, 0, 0}), "[top, left, bottom, right], removed from y")
            .attr("dilations", AttrType::ints, attr_ints({1, 1}), "[DH, DW]")
            .attr("groups", AttrType::int_, attr_int(1), "channel groups; divides C and M")
            .attr("output_padding", AttrType::ints, attr_ints({0, 0}), "[bottom, right] positions added to y")
            .infer(infer_conv_transpose)
            .gradient(conv_transpose_gradient)
            .cost(conv_transpose_cost));

  OpBuilder max_pool = pool_op("MaxPool", "Max over each window; padding never wins.");
  max_pool.gradient(max_pool_gradient);
  r.add(max_pool);
  OpBuilder avg_pool = pool_op("AvgPool", "Mean over each window.");
  avg_pool.attr("count_include_pad", AttrType::bool_, attr_bool(false), "divide by the full window size")
      .gradient(avg_pool_gradient);
  r.add(avg_pool);

  r.add(OpBuilder("GlobalAvgPool")
                      .doc("Mean over the spatial dims: [N, C, ...] -> [N, C, 1, ...].")
                      .input("x")
                      .output("y")
                      .infer(infer_global_avg_pool)
                      .gradient(global_avg_pool_gradient));

  r.add(OpBuilder("BatchNorm")
                      .doc("Inference batch norm: (x - mean) / sqrt(var + epsilon) * scale + bias over channel dim 1.")
                      .input("x")
                      .input("scale")
                      .input("bias")
                      .input("mean")
                      .input("var")
                      .output("y")
                      .attr("epsilon", AttrType::float_, attr_float(1e-5f), "added to var")
                      .infer(infer_batch_norm)
                      .gradient(batch_norm_gradient));

  r.add(OpBuilder("BatchNormTraining")
            .doc("Training batch norm: normalises with the batch's statistics over every dim but 1 and updates "
                 "the running ones: out = (1 - momentum)·running + momentum·batch (the variance unbiased).")
            .input("x")
            .input("scale")
            .input("bias")
            .input("running_mean")
            .input("running_var")
            .output("y")
            .output("running_mean_out")
            .output("running_var_out")
            .attr("epsilon", AttrType::float_, attr_float(1e-5f), "added to the batch variance")
            .attr("momentum", AttrType::float_, attr_float(0.1f), "weight of the batch in the running statistics")
            .infer(infer_batch_norm_training)
            .gradient(batch_norm_training_gradient)
            .in_place(1, 3)
            .in_place(2, 4));

  r.add(OpBuilder("LayerNorm")
                      .doc("Normalises over dims axis..rank-1, then scales and shifts.")
                      .input("x")
                      .input("scale")
                      .optional_input("bias")
                      .output("y")
                      .attr("axis", AttrType::int_, attr_int(-1), "first normalised dim")
                      .attr("epsilon", AttrType::float_, attr_float(1e-5f), "added to the variance")
                      .infer(infer_layer_norm)
                      .gradient(layer_norm_gradient));

  r.add(softmax_op("Softmax", "exp(x) / sum(exp(x)) along `axis`, max-subtracted.", softmax_gradient));
  r.add(softmax_op("LogSoftmax", "log(Softmax(x)) along `axis`, max-subtracted.", log_softmax_gradient));
}

}  // namespace graphc::ops
