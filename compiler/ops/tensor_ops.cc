// Tensor ops for ONNX models: Squeeze/Unsqueeze, Shape/Size (compile-time
// constants once shapes are static), Expand, Tile, GatherElements, Trilu
// and CumSum, with the gradients of the differentiable ones.
#include <fmt/format.h>

#include "compiler/ops/op_registry.h"
#include "compiler/ops/scatter_gradient.h"
#include "compiler/ops/shape_fns.h"
#include "runtime/core/shape_rules.h"
#include "runtime/core/tensor_op_shapes.h"

namespace graphc::ops {
namespace {

int64_t rank_of(const TensorType& t) { return static_cast<int64_t>(t.shape.size()); }

std::vector<TensorType> infer_squeeze(const InferContext& ctx) {
  std::vector<int64_t> axes = ctx.attrs().get_ints("axes");
  auto out = squeeze_shape(ctx.input(0).shape, axes);
  if (!out) {
    ctx.fail(fmt::format("attribute 'axes' = [{}] must name distinct dims of size 1 of x {}", fmt::join(axes, ","),
                         ctx.input(0).to_string()));
  }
  return {{ctx.input(0).dtype, *out}};
}

std::vector<TensorType> infer_unsqueeze(const InferContext& ctx) {
  std::vector<int64_t> axes = ctx.attrs().get_ints("axes");
  auto out = unsqueeze_shape(ctx.input(0).shape, axes);
  if (!out) {
    ctx.fail(fmt::format("attribute 'axes' = [{}] must be distinct axes in [{}, {}) of the output for x {}",
                         fmt::join(axes, ","), -rank_of(ctx.input(0)) - static_cast<int64_t>(axes.size()),
                         rank_of(ctx.input(0)) + static_cast<int64_t>(axes.size()), ctx.input(0).to_string()));
  }
  return {{ctx.input(0).dtype, *out}};
}

std::optional<int64_t> optional_int(const AttrMap& attrs, const char* name) {
  if (!attrs.has(name)) return std::nullopt;
  return attrs.get_int(name);
}

std::vector<TensorType> infer_shape(const InferContext& ctx) {
  auto [start, end] = shape_range(rank_of(ctx.input(0)), ctx.attrs().get_int("start"), optional_int(ctx.attrs(), "end"));
  return {{DType::i64, {end - start}}};
}

std::vector<TensorType> infer_expand(const InferContext& ctx) {
  std::vector<int64_t> shape = ctx.attrs().get_ints("shape");
  auto out = expand_shape(ctx.input(0).shape, shape);
  if (!out) {
    ctx.fail(fmt::format("x {} does not broadcast with attribute 'shape' = [{}]", ctx.input(0).to_string(),
                         fmt::join(shape, ",")));
  }
  return {{ctx.input(0).dtype, *out}};
}

std::vector<TensorType> infer_tile(const InferContext& ctx) {
  std::vector<int64_t> repeats = ctx.attrs().get_ints("repeats");
  auto out = tile_shape(ctx.input(0).shape, repeats);
  if (!out) {
    ctx.fail(fmt::format("attribute 'repeats' = [{}] must have one entry >= 0 per dim of x {}", fmt::join(repeats, ","),
                         ctx.input(0).to_string()));
  }
  return {{ctx.input(0).dtype, *out}};
}

std::vector<TensorType> infer_gather_elements(const InferContext& ctx) {
  ctx.expect_dtype(1, {DType::i32, DType::i64});
  const TensorType& data = ctx.input(0);
  const TensorType& indices = ctx.input(1);
  int64_t axis = ctx.axis(ctx.attrs().get_int("axis"), rank_of(data));
  if (rank_of(indices) != rank_of(data)) {
    ctx.fail(fmt::format("indices {} must have the rank of data {}", indices.to_string(), data.to_string()));
  }
  for (int64_t d = 0; d < rank_of(data); ++d) {
    if (d != axis && indices.shape[d] > data.shape[d]) {
      ctx.fail(fmt::format("indices {} exceed data {} along dim {}", indices.to_string(), data.to_string(), d));
    }
  }
  return {{data.dtype, indices.shape}};
}

std::vector<TensorType> infer_trilu(const InferContext& ctx) {
  expect_min_rank(ctx, 0, "x", 2);
  return {ctx.input(0)};
}

std::vector<TensorType> infer_cumsum(const InferContext& ctx) {
  expect_dtype_class(ctx, 0, DTypeClass::numeric);
  ctx.axis(ctx.attrs().get_int("axis"), rank_of(ctx.input(0)));
  return {ctx.input(0)};
}

using Gradients = std::vector<ir::Value*>;

/// Squeeze and Unsqueeze: the gradient takes x's shape back.
Gradients reshape_back(GradientContext& g) { return {g.reshape(g.grad(), g.input(0)->type().shape)}; }

/// Each element of x appears once per tile: g viewed as
/// [r0, d0, r1, d1, ...] (the tile index is the outer one) and summed over
/// the repeat dims.
Gradients tile_gradient(GradientContext& g) {
  const Shape& x = g.input(0)->type().shape;
  std::vector<int64_t> repeats = g.attrs().get_ints("repeats");
  Shape split;
  std::vector<int64_t> axes;
  for (size_t d = 0; d < x.size(); ++d) {
    if (repeats[d] != 1) axes.push_back(static_cast<int64_t>(split.size()));
    split.push_back(repeats[d]);
    split.push_back(x[d]);
  }
  if (axes.empty()) return {g.reshape(g.grad(), x)};
  ir::Value* sum =
      g.add("ReduceSum", {g.reshape(g.grad(), split)}, {{"axes", attr_ints(axes)}, {"keepdims", attr_bool(true)}});
  return {g.reshape(sum, x)};
}

/// GatherElements reads data along `axis` by index: the gradient
/// scatter-adds g back (compiler/ops/scatter_gradient.cc). Indices get none.
Gradients gather_elements_gradient(GradientContext& g) {
  const Shape& data = g.input(0)->type().shape;
  int64_t axis = *normalize_axis(g.attrs().get_int("axis"), static_cast<int64_t>(data.size()));
  return {scatter_add_along_axis(g, g.grad(), g.input(1), data, axis), nullptr};
}

/// The same triangle of g.
Gradients trilu_gradient(GradientContext& g) {
  return {g.add("Trilu", {g.grad()}, {{"upper", g.attrs().get("upper")}, {"k", g.attrs().get("k")}})};
}

/// x[j] feeds y[i] for i >= j (i > j exclusive; reversed with `reverse`):
/// the gradient is g's running sum in the other direction.
Gradients cumsum_gradient(GradientContext& g) {
  return {g.add("CumSum", {g.grad()},
                {{"axis", g.attrs().get("axis")},
                 {"exclusive", g.attrs().get("exclusive")},
                 {"reverse", attr_bool(!g.attrs().get_bool("reverse"))}})};
}

}  // namespace

void register_tensor_ops(OpRegistry& r) {
  r.add(OpBuilder("Squeeze")
            .doc("Removes the dims `axes` (each of size 1), or every dim of size 1 when axes = [].")
            .input("x")
            .output("y")
            .attr("axes", AttrType::ints, attr_ints({}), "dims of size 1 to remove; [] = all of them")
            .infer(infer_squeeze)
            .gradient(reshape_back));
  r.add(OpBuilder("Unsqueeze")
            .doc("Inserts dims of size 1 at `axes` (positions in the output).")
            .input("x")
            .output("y")
            .attr("axes", AttrType::ints, "output positions of the new dims")
            .infer(infer_unsqueeze)
            .gradient(reshape_back));
  r.add(OpBuilder("Shape")
            .doc("x's dims [start, end) as a 1-D i64 tensor (a compile-time constant).")
            .input("x")
            .output("y")
            .attr("start", AttrType::int_, attr_int(0), "first dim (negative counts from the end)")
            .optional_attr("end", AttrType::int_, "end dim, exclusive; absent = rank")
            .infer(infer_shape));
  r.add(OpBuilder("Size")
            .doc("x's number of elements as an i64 scalar (a compile-time constant).")
            .input("x")
            .output("y")
            .infer([](const InferContext&) { return std::vector<TensorType>{{DType::i64, {}}}; }));
  r.add(OpBuilder("Expand")
            .doc("Broadcasts x with `shape` (NumPy rules both ways).")
            .input("x")
            .output("y")
            .attr("shape", AttrType::ints, "the shape to broadcast with")
            .infer(infer_expand)
            .gradient([](GradientContext& g) {  // summed back over the broadcast dims
              return std::vector<ir::Value*>{g.reduce_to(g.grad(), g.input(0)->type().shape)};
            }));
  r.add(OpBuilder("Tile")
            .doc("Repeats x repeats[d] times along each dim d.")
            .input("x")
            .output("y")
            .attr("repeats", AttrType::ints, "one count >= 0 per dim")
            .infer(infer_tile)
            .gradient(tile_gradient));
  r.add(OpBuilder("GatherElements")
            .doc("y[i...] = data[i... with index axis replaced by indices[i...]]; negative indices wrap.")
            .input("data")
            .input("indices")
            .output("y")
            .attr("axis", AttrType::int_, attr_int(0), "the indexed axis")
            .infer(infer_gather_elements)
            .gradient(gather_elements_gradient));
  r.add(OpBuilder("Trilu")
            .doc("Keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two dims; zeros elsewhere.")
            .input("x")
            .output("y")
            .attr("upper", AttrType::bool_, attr_bool(true), "keep the upper triangle")
            .attr("k", AttrType::int_, attr_int(0), "diagonal offset")
            .infer(infer_trilu)
            .gradient(trilu_gradient));
  r.add(OpBuilder("CumSum")
            .doc("Running sum along `axis`; `exclusive` leaves out the element itself, `reverse` sums from the end.")
            .input("x")
            .output("y")
            .attr("axis", AttrType::int_, "the summed axis")
            .attr("exclusive", AttrType::bool_, attr_bool(false), "exclude the element itself")
            .attr("reverse", AttrType::bool_, attr_bool(false), "sum from the end")
            .infer(infer_cumsum)
            .gradient(cumsum_gradient));
}

}  // namespace graphc::ops
