// Ops that pick or place elements by index, for ONNX models: TopK (the k
// largest or smallest elements along an axis, and where they were), GatherND
// (the slices of data that index tuples address) and ScatterND (data with
// the addressed slices replaced by, or combined with, updates), with their
// gradients.
#include <fmt/format.h>

#include "compiler/ops/op_registry.h"
#include "compiler/ops/scatter_gradient.h"
#include "compiler/ops/shape_fns.h"
#include "runtime/core/index_op_shapes.h"
#include "runtime/core/shape_rules.h"

namespace graphc::ops {
namespace {

int64_t rank_of(const TensorType& t) { return static_cast<int64_t>(t.shape.size()); }

std::vector<TensorType> infer_top_k(const InferContext& ctx) {
  expect_dtype_class(ctx, 0, DTypeClass::numeric);
  expect_min_rank(ctx, 0, "x", 1);
  const TensorType& x = ctx.input(0);
  int64_t axis = ctx.axis(ctx.attrs().get_int("axis"), rank_of(x));
  int64_t k = ctx.attrs().get_int("k");
  auto shape = top_k_shape(x.shape, axis, k);
  if (!shape) {
    ctx.fail(
        fmt::format("attribute 'k' = {} must be in [0, {}] (dim {} of x {})", k, x.shape[axis], axis, x.to_string()));
  }
  return {{x.dtype, *shape}, {DType::i64, *shape}};
}

std::vector<TensorType> infer_gather_nd(const InferContext& ctx) {
  ctx.expect_dtype(1, {DType::i32, DType::i64});
  const TensorType& data = ctx.input(0);
  const TensorType& indices = ctx.input(1);
  int64_t batch_dims = ctx.attrs().get_int("batch_dims");
  auto shape = gather_nd_shape(data.shape, indices.shape, batch_dims);
  if (!shape) {
    ctx.fail(
        fmt::format("indices {} do not address data {} with batch_dims = {}: expected 0 <= batch_dims < both "
                    "ranks, indices [B..., I..., k] with B = data's first batch_dims dims, and 1 <= k <= "
                    "rank(data) - batch_dims",
                    indices.to_string(), data.to_string(), batch_dims));
  }
  return {{data.dtype, *shape}};
}

std::vector<TensorType> infer_scatter_nd(const InferContext& ctx) {
  ctx.expect_dtype(1, {DType::i32, DType::i64});
  expect_same_dtype(ctx, 2, 0);
  if (one_of(ctx, "reduction", {"none", "add", "mul", "max", "min"}) != "none") {
    expect_dtype_class(ctx, 0, DTypeClass::numeric);
  }
  const TensorType& data = ctx.input(0);
  const TensorType& indices = ctx.input(1);
  auto updates = scatter_nd_updates_shape(data.shape, indices.shape);
  if (!updates) {
    ctx.fail(fmt::format("indices {} must have rank >= 1 and a last dim k in [1, {}] (the rank of data {})",
                         indices.to_string(), rank_of(data), data.to_string()));
  }
  expect_shape(ctx, 2, "updates", *updates,
               fmt::format("{} (indices.shape[:-1] + data.shape[k:] for data {} and indices {})",
                           shape_to_string(*updates), data.to_string(), indices.to_string()));
  return {data};
}

using Gradients = std::vector<ir::Value*>;

/// The values are x's elements at the indices along the axis: the gradient
/// adds g back there. The indices get none.
Gradients top_k_gradient(GradientContext& g) {
  const Shape& x = g.input(0)->type().shape;
  int64_t axis = *normalize_axis(g.attrs().get_int("axis"), static_cast<int64_t>(x.size()));
  return {scatter_add_along_axis(g, g.grad(), g.output(1), x, axis)};
}

/// GatherND copies the slices its index tuples address: the gradient adds
/// g back to them, with ScatterND (reduction "add") into zeros. ScatterND
/// has no batch dims, so with batch_dims = b every tuple gets the b batch
/// coordinates of its position prepended (a constant, Concat-ed).
Gradients gather_nd_gradient(GradientContext& g) {
  const Shape& data = g.input(0)->type().shape;
  ir::Value* indices = g.input(1);
  if (indices->type().dtype != DType::i64) indices = g.add("Cast", {indices}, {{"to", attr_dtype(DType::i64)}});
  int64_t batch_dims = g.attrs().get_int("batch_dims");
  if (batch_dims > 0) {
    const Shape& index_shape = indices->type().shape;
    Shape batch(index_shape.begin(), index_shape.begin() + batch_dims);
    int64_t per_batch = num_elements(Shape(index_shape.begin() + batch_dims, index_shape.end() - 1));
    Shape coord_shape(index_shape.begin(), index_shape.end() - 1);
    coord_shape.push_back(batch_dims);
    std::vector<int64_t> coords;
    for (int64_t b = 0; b < num_elements(batch); ++b) {
      std::vector<int64_t> coord(static_cast<size_t>(batch_dims));
      for (int64_t d = batch_dims - 1, rest = b; d >= 0; rest /= batch[d], --d) coord[d] = rest % batch[d];
      for (int64_t t = 0; t < per_batch; ++t) coords.insert(coords.end(), coord.begin(), coord.end());
    }
    indices = g.add("Concat", {i64_constant(g, coord_shape, coords), indices},
                    {{"axis", attr_int(static_cast<int64_t>(index_shape.size()) - 1)}});
  }
  ir::Value* zeros = g.broadcast_to(g.scalar(0), data);
  return {g.add("ScatterND", {zeros, indices, g.grad()}, {{"reduction", attr_string("add")}}), nullptr};
}

/// Without a reduction, each addressed element of data is replaced: data
/// gets g with those elements zeroed (ScatterND of zeros), each update the
/// g of its element (GatherND). With "add", data gets g unchanged. With
/// repeated indices (undefined in ONNX without a reduction) every copy of
/// an update gets the gradient.
Gradients scatter_nd_gradient(GradientContext& g) {
  const std::string& reduction = g.attrs().get_string("reduction");
  if (reduction != "none" && reduction != "add") {
    g.fail(fmt::format("reduction '{}' is not differentiable (only 'none' and 'add' are)", reduction));
  }
  ir::Value* indices = g.input(1);
  Gradients grads(3);
  if (g.wants_grad(0)) {
    ir::Value* zeros = g.broadcast_to(g.scalar(0), g.input(2)->type().shape);
    grads[0] = reduction == "add" ? g.grad() : g.add("ScatterND", {g.grad(), indices, zeros});
  }
  if (g.wants_grad(2)) grads[2] = g.add("GatherND", {g.grad(), indices});
  return grads;
}

}  // namespace

void register_index_ops(OpRegistry& r) {
  r.add(OpBuilder("TopK")
            .doc("The k largest (or smallest) elements along `axis`, sorted, and their i64 indices.")
            .input("x")
            .output("values")
            .output("indices")
            .attr("k", AttrType::int_, "how many, in [0, dim]")
            .attr("axis", AttrType::int_, attr_int(-1), "the searched axis")
            .attr("largest", AttrType::bool_, attr_bool(true), "the largest (else the smallest) elements")
            .attr("sorted", AttrType::bool_, attr_bool(true), "ONNX's; the outputs are always sorted")
            .infer(infer_top_k)
            .gradient(top_k_gradient));
  r.add(OpBuilder("GatherND")
            .doc("The slices data[b..., indices[b..., i..., :]]: index tuples over data's dims after the batch dims.")
            .input("data")
            .input("indices")
            .output("y")
            .attr("batch_dims", AttrType::int_, attr_int(0), "leading dims data and indices share")
            .infer(infer_gather_nd)
            .gradient(gather_nd_gradient));
  r.add(
      OpBuilder("ScatterND")
          .doc("data with the slice each index tuple addresses replaced by (or combined with) its update.")
          .input("data")
          .input("indices")
          .input("updates")
          .output("y")
          .attr("reduction", AttrType::string, attr_string("none"), "\"none\" | \"add\" | \"mul\" | \"max\" | \"min\"")
          .infer(infer_scatter_nd)
          .gradient(scatter_nd_gradient));
}

}  // namespace graphc::ops
