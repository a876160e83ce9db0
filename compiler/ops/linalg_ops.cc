// Linear algebra: MatMul (NumPy matmul semantics) and Dense (x·w + b), with
// their gradients.
#include <fmt/format.h>

#include <algorithm>

#include "compiler/ops/cost_model.h"
#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"
#include "runtime/core/shape_rules.h"

namespace graphc::ops {
namespace {

std::vector<TensorType> infer_matmul(const InferContext& ctx) {
  expect_dtype_class(ctx, 0, DTypeClass::float_);
  expect_same_dtype(ctx, 1, 0);
  expect_min_rank(ctx, 0, "a", 1);
  expect_min_rank(ctx, 1, "b", 1);
  const TensorType& a = ctx.input(0);
  const TensorType& b = ctx.input(1);
  bool transpose_a = ctx.attrs().get_bool("transpose_a");
  bool transpose_b = ctx.attrs().get_bool("transpose_b");
  MatMulDims dims = matmul_dims(a.shape, b.shape, transpose_a, transpose_b);
  if (dims.k_a != dims.k_b) {
    ctx.fail(fmt::format("inner dims differ: a {}{} has K = {}, b {}{} has K = {}", a.to_string(),
                         transpose_a && !dims.a_is_vector ? " (transposed)" : "", dims.k_a, b.to_string(),
                         transpose_b && !dims.b_is_vector ? " (transposed)" : "", dims.k_b));
  }
  auto shape = matmul_output_shape(dims);
  if (!shape) {
    ctx.fail(fmt::format("batch dims {} of a {} and {} of b {} do not broadcast", shape_to_string(dims.a_batch),
                         a.to_string(), shape_to_string(dims.b_batch), b.to_string()));
  }
  return {{a.dtype, *shape}};
}

std::vector<TensorType> infer_dense(const InferContext& ctx) {
  expect_dtype_class(ctx, 0, DTypeClass::float_);
  for (size_t i = 1; i < ctx.num_inputs(); ++i) expect_same_dtype(ctx, i, 0);
  expect_min_rank(ctx, 0, "x", 1);
  ctx.expect_rank(1, 2);
  const TensorType& x = ctx.input(0);
  const TensorType& w = ctx.input(1);
  bool transpose_w = ctx.attrs().get_bool("transpose_w");
  int64_t k = x.shape.back();
  int64_t w_k = transpose_w ? w.shape[1] : w.shape[0];
  int64_t m = transpose_w ? w.shape[0] : w.shape[1];
  if (w_k != k) {
    ctx.fail(fmt::format("input 1 (w) has shape {}, expected {} with K = {} from x {}", w.to_string(),
                         transpose_w ? "[M, K] (transpose_w)" : "[K, M]", k, x.to_string()));
  }
  if (ctx.num_inputs() > 2) {
    expect_shape(ctx, 2, "b", {m}, fmt::format("[M] with M = {} from w {}", m, w.to_string()));
  }
  Shape out = x.shape;
  out.back() = m;
  return {{x.dtype, out}};
}

int64_t matmul_reduction_length(const AttrMap& attrs, const std::vector<TensorType>& inputs) {
  return matmul_dims(inputs[0].shape, inputs[1].shape, attrs.get_bool("transpose_a"), attrs.get_bool("transpose_b")).k_a;
}

int64_t dense_reduction_length(const AttrMap&, const std::vector<TensorType>& inputs) {
  return inputs[0].shape.back();
}

using Gradients = std::vector<ir::Value*>;

ir::Value* matmul(GradientContext& g, ir::Value* a, ir::Value* b, bool transpose_a, bool transpose_b) {
  return g.add("MatMul", {a, b}, {{"transpose_a", attr_bool(transpose_a)}, {"transpose_b", attr_bool(transpose_b)}});
}

/// In matrix form, for C = op(A)·op(B) with op a transpose or not:
///   dA = dC·op(B)ᵀ, or op(B)·dCᵀ when A is transposed, and likewise dB.
/// A 1-D operand is promoted ([K] → [1, K] for a, [K, 1] for b; its
/// transpose flag does nothing) and dC reshaped to the unsqueezed output;
/// the results are summed over broadcast batch dims and shaped back.
Gradients matmul_gradient(GradientContext& g) {
  const Shape& a = g.input(0)->type().shape;
  const Shape& b = g.input(1)->type().shape;
  MatMulDims dims = matmul_dims(a, b, g.attrs().get_bool("transpose_a"), g.attrs().get_bool("transpose_b"));
  bool ta = g.attrs().get_bool("transpose_a") && !dims.a_is_vector;
  bool tb = g.attrs().get_bool("transpose_b") && !dims.b_is_vector;
  Shape a2 = dims.a_is_vector ? Shape{1, a[0]} : a;
  Shape b2 = dims.b_is_vector ? Shape{b[0], 1} : b;
  Shape out = *broadcast_shapes(dims.a_batch, dims.b_batch);
  out.insert(out.end(), {dims.m, dims.n});
  ir::Value* dc = g.reshape(g.grad(), out);
  ir::Value* da = nullptr;
  ir::Value* db = nullptr;
  if (g.wants_grad(0)) {
    ir::Value* b_matrix = g.reshape(g.input(1), b2);
    da = ta ? matmul(g, b_matrix, dc, tb, true) : matmul(g, dc, b_matrix, false, !tb);
    da = g.reshape(g.reduce_to(da, a2), a);
  }
  if (g.wants_grad(1)) {
    ir::Value* a_matrix = g.reshape(g.input(0), a2);
    db = tb ? matmul(g, dc, a_matrix, true, ta) : matmul(g, a_matrix, dc, !ta, false);
    db = g.reshape(g.reduce_to(db, b2), b);
  }
  return {da, db};
}

/// dx = dy·wᵀ (a Dense with the other transpose_w); dw from the rows of x
/// and dy flattened to [R, K] and [R, M]; db = dy summed over the rows.
Gradients dense_gradient(GradientContext& g) {
  bool transpose_w = g.attrs().get_bool("transpose_w");
  Gradients grads(g.node().inputs().size());
  if (g.wants_grad(0)) {
    grads[0] = g.add("Dense", {g.grad(), g.input(1)}, {{"transpose_w", attr_bool(!transpose_w)}});
  }
  if (g.wants_grad(1)) {
    int64_t k = g.input(0)->type().shape.back();
    int64_t m = g.grad()->type().shape.back();
    ir::Value* x_rows = g.reshape(g.input(0), {num_elements(g.input(0)->type().shape) / std::max<int64_t>(k, 1), k});
    ir::Value* dy_rows = g.reshape(g.grad(), {x_rows->type().shape[0], m});
    grads[1] = transpose_w ? matmul(g, dy_rows, x_rows, true, false) : matmul(g, x_rows, dy_rows, true, false);
  }
  if (grads.size() > 2 && g.wants_grad(2)) grads[2] = g.reduce_to(g.grad(), g.input(2)->type().shape);
  return grads;
}

}  // namespace

void register_linalg_ops(OpRegistry& r) {
  r.add(OpBuilder("MatMul")
                      .doc("NumPy matmul: 1-D operands promoted and squeezed, batch dims broadcast.")
                      .input("a")
                      .input("b")
                      .output("y")
                      .attr("transpose_a", AttrType::bool_, attr_bool(false), "swap the last two dims of a (rank >= 2)")
                      .attr("transpose_b", AttrType::bool_, attr_bool(false), "swap the last two dims of b (rank >= 2)")
                      .infer(infer_matmul)
                      .gradient(matmul_gradient)
                      .cost(multiply_accumulate_cost(matmul_reduction_length)));

  r.add(OpBuilder("Dense")
                      .doc("y = x·w + b over the last dim of x: [..., K] -> [..., M].")
                      .input("x")
                      .input("w")
                      .optional_input("b")
                      .output("y")
                      .attr("transpose_w", AttrType::bool_, attr_bool(false), "w is [M, K] instead of [K, M]")
                      .infer(infer_dense)
                      .gradient(dense_gradient)
                      .cost(multiply_accumulate_cost(dense_reduction_length)));
}

}  // namespace graphc::ops
