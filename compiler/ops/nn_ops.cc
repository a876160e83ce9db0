// Neural-network ops: convolution, pooling, normalisation and softmax.
// Images are NCHW; pads are [top, left, bottom, right].
#include <fmt/format.h>

#include <algorithm>

#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"
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

std::vector<TensorType> infer_conv2d(const InferContext& ctx) {
  expect_dtype_class(ctx, 0, DTypeClass::float_);
  for (size_t i = 1; i < ctx.num_inputs(); ++i) expect_same_dtype(ctx, i, 0);
  ctx.expect_rank(0, 4);
  ctx.expect_rank(1, 4);
  const TensorType& x = ctx.input(0);
  const TensorType& w = ctx.input(1);
  int64_t groups = ctx.attrs().get_int("groups");
  int64_t channels = x.shape[1];
  int64_t out_channels = w.shape[0];
  if (groups < 1) ctx.fail(fmt::format("attribute 'groups' = {} must be >= 1", groups));
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
      .infer(infer_pool);
  return op;
}

OpBuilder softmax_op(const char* name, const char* doc) {
  OpBuilder op(name);
  op.doc(doc).input("x").output("y").attr("axis", AttrType::int_, attr_int(-1), "the axis").infer(infer_softmax);
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
                      .infer(infer_conv2d));

  r.add(pool_op("MaxPool", "Max over each window; padding never wins."));
  OpBuilder avg_pool = pool_op("AvgPool", "Mean over each window.");
  avg_pool.attr("count_include_pad", AttrType::bool_, attr_bool(false), "divide by the full window size");
  r.add(avg_pool);

  r.add(OpBuilder("GlobalAvgPool")
                      .doc("Mean over the spatial dims: [N, C, ...] -> [N, C, 1, ...].")
                      .input("x")
                      .output("y")
                      .infer(infer_global_avg_pool));

  r.add(OpBuilder("BatchNorm")
                      .doc("Inference batch norm: (x - mean) / sqrt(var + epsilon) * scale + bias over channel dim 1.")
                      .input("x")
                      .input("scale")
                      .input("bias")
                      .input("mean")
                      .input("var")
                      .output("y")
                      .attr("epsilon", AttrType::float_, attr_float(1e-5f), "added to var")
                      .infer(infer_batch_norm));

  r.add(OpBuilder("LayerNorm")
                      .doc("Normalises over dims axis..rank-1, then scales and shifts.")
                      .input("x")
                      .input("scale")
                      .optional_input("bias")
                      .output("y")
                      .attr("axis", AttrType::int_, attr_int(-1), "first normalised dim")
                      .attr("epsilon", AttrType::float_, attr_float(1e-5f), "added to the variance")
                      .infer(infer_layer_norm));

  r.add(softmax_op("Softmax", "exp(x) / sum(exp(x)) along `axis`, max-subtracted."));
  r.add(softmax_op("LogSoftmax", "log(Softmax(x)) along `axis`, max-subtracted."));
}

}  // namespace graphc::ops
