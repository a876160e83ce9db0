// Losses: scalar means over a batch, with their gradients
// (SoftmaxCrossEntropy with integer labels, MeanSquaredError), and
// LabelMask, the one-hot of integer labels that fuse-elementwise expands
// SoftmaxCrossEntropy and its gradient with.
#include <fmt/format.h>

#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"

namespace graphc::ops {
namespace {

/// Checks logits (input `first`) is f32 [N, C] and labels (the next input)
/// is i32/i64 [N].
void expect_logits_and_labels(const InferContext& ctx, size_t first) {
  ctx.expect_dtype(first, {DType::f32});
  ctx.expect_rank(first, 2);
  ctx.expect_dtype(first + 1, {DType::i32, DType::i64});
  const TensorType& logits = ctx.input(first);
  expect_shape(ctx, first + 1, "labels", {logits.shape[0]},
               fmt::format("[N] with N = {} from logits {}", logits.shape[0], logits.to_string()));
}

std::vector<TensorType> infer_softmax_cross_entropy(const InferContext& ctx) {
  expect_logits_and_labels(ctx, 0);
  return {{DType::f32, {}}};
}

std::vector<TensorType> infer_softmax_cross_entropy_grad(const InferContext& ctx) {
  ctx.expect_dtype(0, {DType::f32});
  ctx.expect_rank(0, 0);
  expect_logits_and_labels(ctx, 1);
  return {ctx.input(1)};
}

std::vector<TensorType> infer_label_mask(const InferContext& ctx) {
  expect_logits_and_labels(ctx, 0);
  return {ctx.input(0)};
}

std::vector<TensorType> infer_mean_squared_error(const InferContext& ctx) {
  expect_dtype_class(ctx, 0, DTypeClass::float_);
  const TensorType& prediction = ctx.input(0);
  expect_shape(ctx, 1, "target", prediction.shape, fmt::format("the shape of prediction {}", prediction.to_string()));
  expect_same_dtype(ctx, 1, 0);
  return {{DType::f32, {}}};
}

std::vector<ir::Value*> softmax_cross_entropy_gradient(GradientContext& g) {
  return {g.add("SoftmaxCrossEntropyGrad", {g.grad(), g.input(0), g.input(1)}), nullptr};
}

/// d/dp mean((p - t)²) = 2 (p - t) / n, and the negation for t.
std::vector<ir::Value*> mean_squared_error_gradient(GradientContext& g) {
  auto n = static_cast<float>(num_elements(g.input(0)->type().shape));
  ir::Value* factor = g.add("Mul", {g.grad(), g.scalar(2.0f / n)});
  ir::Value* dp = g.add("Mul", {g.add("Sub", {g.input(0), g.input(1)}), factor});
  return {dp, g.wants_grad(1) ? g.add("Neg", {dp}) : nullptr};
}

}  // namespace

void register_loss_ops(OpRegistry& r) {
  r.add(OpBuilder("SoftmaxCrossEntropy")
            .doc("mean over the batch of -log softmax(logits)[label]; a label outside [0, C) is a run-time error.")
            .input("logits")
            .input("labels")
            .output("loss")
            .infer(infer_softmax_cross_entropy)
            .gradient(softmax_cross_entropy_gradient));

  r.add(OpBuilder("SoftmaxCrossEntropyGrad")
            .doc("dlogits = dloss · (softmax(logits) - onehot(labels)) / N.")
            .input("dloss")
            .input("logits")
            .input("labels")
            .output("dlogits")
            .infer(infer_softmax_cross_entropy_grad));

  r.add(OpBuilder("LabelMask")
            .doc("1 where the column of logits is the row's label, else 0 (a one-hot of labels, f32, shaped like "
                 "logits); a label outside [0, C) is a run-time error.")
            .input("logits")
            .input("labels")
            .output("mask")
            .attr("loss_node", AttrType::string, attr_string(""),
                  "the loss node whose labels these are, which a bad label's error names (empty: this node)")
            .attr("loss_op", AttrType::string, attr_string(""), "that node's op")
            .infer(infer_label_mask));

  r.add(OpBuilder("MeanSquaredError")
            .doc("mean((prediction - target)²) over every element.")
            .input("prediction")
            .input("target")
            .output("loss")
            .infer(infer_mean_squared_error)
            .gradient(mean_squared_error_gradient));
}

}  // namespace graphc::ops
