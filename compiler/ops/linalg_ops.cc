// Linear algebra: MatMul (NumPy matmul semantics) and Dense (x·w + b).
#include <fmt/format.h>

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

}  // namespace

void register_linalg_ops(OpRegistry& r) {
  r.add(OpBuilder("MatMul")
                      .doc("NumPy matmul: 1-D operands promoted and squeezed, batch dims broadcast.")
                      .input("a")
                      .input("b")
                      .output("y")
                      .attr("transpose_a", AttrType::bool_, attr_bool(false), "swap the last two dims of a (rank >= 2)")
                      .attr("transpose_b", AttrType::bool_, attr_bool(false), "swap the last two dims of b (rank >= 2)")
                      .infer(infer_matmul));

  r.add(OpBuilder("Dense")
                      .doc("y = x·w + b over the last dim of x: [..., K] -> [..., M].")
                      .input("x")
                      .input("w")
                      .optional_input("b")
                      .output("y")
                      .attr("transpose_w", AttrType::bool_, attr_bool(false), "w is [M, K] instead of [K, M]")
                      .infer(infer_dense));
}

}  // namespace graphc::ops
