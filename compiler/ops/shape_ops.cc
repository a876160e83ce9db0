// Shape ops: move or select elements without arithmetic on them, for any
// dtype (Reshape, Transpose, Concat, Split, Slice, Gather, Flatten, Pad),
// with their gradients (which move the gradient back the same way).
#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <numeric>

#include "compiler/ops/op_registry.h"
#include "compiler/ops/shape_fns.h"
#include "graphc/error.h"
#include "runtime/core/shape_rules.h"

namespace graphc::ops {
namespace {

int64_t rank_of(const TensorType& t) { return static_cast<int64_t>(t.shape.size()); }

/// Reshape's target as written: from the constant shape input or the attr.
std::vector<int64_t> reshape_target(const InferContext& ctx) {
  bool from_input = ctx.num_inputs() > 1;
  if (from_input == ctx.attrs().has("shape")) {
    ctx.fail(fmt::format("exactly one of input 1 (shape) and attribute 'shape' must give the target shape, found {}",
                         from_input ? "both" : "neither"));
  }
  if (!from_input) return ctx.attrs().get_ints("shape");
  ctx.expect_dtype(1, {DType::i32, DType::i64});
  ctx.expect_rank(1, 1);
  const Tensor* shape = ctx.constant(1);
  if (!shape) {
    ctx.fail(
        fmt::format("input 1 (shape) {} must be a compile-time constant (a Const, or a subgraph of "
                    "constants), found a value computed at run time",
                    ctx.input(1).to_string()));
  }
  if (shape->dtype() == DType::i32) {
    const int32_t* dims = shape->data<int32_t>();
    return {dims, dims + shape->num_elements()};
  }
  const int64_t* dims = shape->data<int64_t>();
  return {dims, dims + shape->num_elements()};
}

std::vector<TensorType> infer_reshape(const InferContext& ctx) {
  const TensorType& x = ctx.input(0);
  std::vector<int64_t> target = reshape_target(ctx);
  auto fail = [&](const std::string& why) {
    ctx.fail(fmt::format("cannot reshape x {} to [{}]: {}", x.to_string(), fmt::join(target, ","), why));
  };
  Shape out;
  std::optional<size_t> inferred;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == 0 && i >= x.shape.size()) fail(fmt::format("entry {} is 0 but x has no dim {} to copy", i, i));
    if (d == -1 && inferred) fail("more than one entry is -1");
    if (d < -1) fail(fmt::format("entry {} is {} (expected >= -1)", i, d));
    if (d == -1) inferred = i;
    out.push_back(d == 0 ? x.shape[i] : d == -1 ? 1 : d);
  }
  int64_t total = num_elements(x.shape);
  int64_t known = num_elements(out);
  if (inferred) {
    if (known == 0) fail("the -1 entry is ambiguous next to a 0-sized dim");
    if (total % known != 0) {
      fail(fmt::format("the -1 entry cannot be inferred: {} elements are not a multiple of {}", total, known));
    }
    out[*inferred] = total / known;
  } else if (known != total) {
    fail(fmt::format("the target has {} elements, x has {}", known, total));
  }
  return {{x.dtype, out}};
}

std::vector<TensorType> infer_transpose(const InferContext& ctx) {
  const TensorType& x = ctx.input(0);
  std::vector<int64_t> perm_attr = ctx.attrs().get_ints("perm");
  auto perm = transpose_perm(perm_attr, rank_of(x));
  if (!perm) {
    ctx.fail(fmt::format("attribute 'perm' = [{}] must be a permutation of 0..{} for x {}", fmt::join(perm_attr, ","),
                         rank_of(x) - 1, x.to_string()));
  }
  Shape out;
  for (int64_t p : *perm) out.push_back(x.shape[p]);
  return {{x.dtype, out}};
}

std::vector<TensorType> infer_concat(const InferContext& ctx) {
  const TensorType& first = ctx.input(0);
  int64_t axis = ctx.axis(ctx.attrs().get_int("axis"), rank_of(first));
  TensorType out = first;
  for (size_t i = 1; i < ctx.num_inputs(); ++i) {
    expect_same_dtype(ctx, i, 0);
    const TensorType& t = ctx.input(i);
    bool same_other_dims = t.shape.size() == first.shape.size();
    for (size_t d = 0; same_other_dims && d < t.shape.size(); ++d) {
      same_other_dims = static_cast<int64_t>(d) == axis || t.shape[d] == first.shape[d];
    }
    if (!same_other_dims) {
      ctx.fail(fmt::format("input {} has shape {}, expected the dims of input 0 {} except along axis {}", i,
                           t.to_string(), first.to_string(), axis));
    }
    out.shape[axis] += t.shape[axis];
  }
  return {out};
}

/// Split's number of outputs, from exactly one of `sizes` and `num_outputs`.
int split_output_count(const AttrMap& attrs) {
  auto fail = [&](const std::string& message) { throw Error::at_node(attrs.node(), attrs.op(), message); };
  bool has_sizes = attrs.has("sizes");
  if (has_sizes == attrs.has("num_outputs")) {
    fail(fmt::format("exactly one of attributes 'sizes' and 'num_outputs' must be set, found {}",
                     has_sizes ? "both" : "neither"));
  }
  int64_t count = has_sizes ? static_cast<int64_t>(attrs.get_ints("sizes").size()) : attrs.get_int("num_outputs");
  if (count < 1 || count > std::numeric_limits<int>::max()) {
    fail(has_sizes ? "attribute 'sizes' must not be empty"
                   : fmt::format("attribute 'num_outputs' = {} must be >= 1", count));
  }
  return static_cast<int>(count);
}

std::vector<TensorType> infer_split(const InferContext& ctx) {
  const TensorType& x = ctx.input(0);
  int64_t axis = ctx.axis(ctx.attrs().get_int("axis"), rank_of(x));
  int64_t dim = x.shape[axis];
  int count = split_output_count(ctx.attrs());
  std::vector<int64_t> sizes;
  if (ctx.attrs().has("sizes")) {
    sizes = ctx.attrs().get_ints("sizes");
    bool non_negative = std::all_of(sizes.begin(), sizes.end(), [](int64_t s) { return s >= 0; });
    if (!non_negative || std::accumulate(sizes.begin(), sizes.end(), int64_t{0}) != dim) {
      ctx.fail(fmt::format("attribute 'sizes' = [{}] must be non-negative and sum to dim {} = {} of x {}",
                           fmt::join(sizes, ","), axis, dim, x.to_string()));
    }
  } else {
    if (dim % count != 0) {
      ctx.fail(
          fmt::format("attribute 'num_outputs' = {} must divide dim {} = {} of x {}", count, axis, dim, x.to_string()));
    }
    sizes.assign(static_cast<size_t>(count), dim / count);
  }
  std::vector<TensorType> outputs(sizes.size(), x);
  for (size_t i = 0; i < sizes.size(); ++i) outputs[i].shape[axis] = sizes[i];
  return outputs;
}

std::vector<TensorType> infer_slice(const InferContext& ctx) {
  const TensorType& x = ctx.input(0);
  const AttrMap& attrs = ctx.attrs();
  std::vector<int64_t> starts = attrs.get_ints("starts");
  std::vector<int64_t> ends = attrs.get_ints("ends");
  std::vector<int64_t> axes = attrs.get_ints("axes");
  std::vector<int64_t> steps = attrs.get_ints("steps");
  auto expect_length = [&](const char* attr, const std::vector<int64_t>& values) {
    if (values.size() == starts.size()) return;
    ctx.fail(fmt::format("attribute '{}' = [{}] must have as many entries as 'starts' = [{}]", attr,
                         fmt::join(values, ","), fmt::join(starts, ",")));
  };
  expect_length("ends", ends);
  if (!axes.empty()) {
    expect_length("axes", axes);
    resolved_axes(ctx, "axes", normalize_axes);
  } else if (static_cast<int64_t>(starts.size()) > rank_of(x)) {
    ctx.fail(fmt::format("attribute 'starts' = [{}] has more entries than x {} has dims", fmt::join(starts, ","),
                         x.to_string()));
  }
  if (!steps.empty()) {
    expect_length("steps", steps);
    if (std::find(steps.begin(), steps.end(), 0) != steps.end()) {
      ctx.fail(fmt::format("attribute 'steps' = [{}] must not contain 0", fmt::join(steps, ",")));
    }
  }
  Shape out;
  for (const SliceRange& range : slice_ranges(x.shape, starts, ends, axes, steps)) out.push_back(range.size);
  return {{x.dtype, out}};
}

std::vector<TensorType> infer_gather(const InferContext& ctx) {
  ctx.expect_dtype(1, {DType::i32, DType::i64});
  const TensorType& data = ctx.input(0);
  const TensorType& indices = ctx.input(1);
  int64_t axis = ctx.axis(ctx.attrs().get_int("axis"), rank_of(data));
  Shape out(data.shape.begin(), data.shape.begin() + axis);
  out.insert(out.end(), indices.shape.begin(), indices.shape.end());
  out.insert(out.end(), data.shape.begin() + axis + 1, data.shape.end());
  return {{data.dtype, out}};
}

std::vector<TensorType> infer_flatten(const InferContext& ctx) {
  const TensorType& x = ctx.input(0);
  int64_t rank = rank_of(x);
  int64_t axis = ctx.attrs().get_int("axis");
  if (axis < -rank || axis > rank) {
    ctx.fail(fmt::format("attribute 'axis' = {} is out of range [{}, {}] for x {}", axis, -rank, rank, x.to_string()));
  }
  if (axis < 0) axis += rank;
  Shape outer(x.shape.begin(), x.shape.begin() + axis);
  Shape inner(x.shape.begin() + axis, x.shape.end());
  return {{x.dtype, {num_elements(outer), num_elements(inner)}}};
}

std::vector<TensorType> infer_pad(const InferContext& ctx) {
  const TensorType& x = ctx.input(0);
  auto rank = static_cast<size_t>(rank_of(x));
  std::vector<int64_t> pads = ints_at_least(ctx, "pads", 2 * rank, 0);
  const std::string& mode = one_of(ctx, "mode", {"constant", "reflect", "edge"});
  Shape out = x.shape;
  for (size_t d = 0; d < rank; ++d) {
    int64_t dim = x.shape[d];
    int64_t widest = std::max(pads[d], pads[rank + d]);
    if (mode == "reflect" && widest >= dim) {
      ctx.fail(fmt::format("mode \"reflect\" needs pads < dim, but pads = [{}] pad dim {} = {} of x {} by {}",
                           fmt::join(pads, ","), d, dim, x.to_string(), widest));
    }
    if (mode == "edge" && widest > 0 && dim == 0) {
      ctx.fail(fmt::format("mode \"edge\" cannot pad the empty dim {} of x {}", d, x.to_string()));
    }
    out[d] += pads[d] + pads[rank + d];
  }
  return {{x.dtype, out}};
}

using Gradients = std::vector<ir::Value*>;

/// Reshape and Flatten: the gradient takes x's shape back (a shape input
/// gets none).
Gradients reshape_gradient(GradientContext& g) {
  Gradients grads(g.node().inputs().size());
  grads[0] = g.reshape(g.grad(), g.input(0)->type().shape);
  return grads;
}

Gradients transpose_gradient(GradientContext& g) {
  auto rank = static_cast<int64_t>(g.input(0)->type().shape.size());
  std::vector<int64_t> perm = *transpose_perm(g.attrs().get_ints("perm"), rank);
  std::vector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<int64_t>(i);
  return {g.add("Transpose", {g.grad()}, {{"perm", attr_ints(inverse)}})};
}

/// The gradient is cut along the axis into the inputs' pieces.
Gradients concat_gradient(GradientContext& g) {
  const auto& inputs = g.node().inputs();
  if (inputs.size() == 1) return {g.grad()};
  int64_t axis = *normalize_axis(g.attrs().get_int("axis"), rank_of(inputs[0]->type()));
  std::vector<int64_t> sizes;
  for (const ir::Value* v : inputs) sizes.push_back(v->type().shape[axis]);
  return g.add_node("Split", {g.grad()}, {{"axis", attr_int(axis)}, {"sizes", attr_ints(sizes)}},
                    static_cast<int>(inputs.size()));
}

/// The pieces' gradients joined again, zeros for pieces none flows into.
Gradients split_gradient(GradientContext& g) {
  std::vector<ir::Value*> pieces;
  for (size_t i = 0; i < g.node().num_outputs(); ++i) {
    ir::Value* grad = g.output_grad(i);
    pieces.push_back(grad != nullptr ? grad : g.broadcast_to(g.scalar(0), g.output(i)->type().shape));
  }
  return {g.add("Concat", pieces, {{"axis", g.attrs().get("axis")}})};
}

/// A backward op taking the forward attributes `attrs` and x's shape.
ir::Value* backward_op(GradientContext& g, const char* op, std::vector<ir::Value*> inputs,
                       std::initializer_list<const char*> attrs) {
  std::map<std::string, proto::AttrValue> values{{"input_shape", attr_ints(g.input(0)->type().shape)}};
  for (const char* a : attrs) values[a] = g.attrs().get(a);
  return g.add(op, inputs, std::move(values));
}

Gradients slice_gradient(GradientContext& g) {
  return {backward_op(g, "SliceGrad", {g.grad()}, {"starts", "ends", "axes", "steps"})};
}

Gradients gather_gradient(GradientContext& g) {
  return {backward_op(g, "GatherGrad", {g.grad(), g.input(1)}, {"axis"}), nullptr};
}

Gradients pad_gradient(GradientContext& g) {
  return {backward_op(g, "PadGrad", {g.grad()}, {"pads", "mode", "value"})};
}

}  // namespace

void register_shape_ops(OpRegistry& r) {
  r.add(OpBuilder("Reshape")
                      .doc("Same elements, new shape; 0 copies the input dim, one -1 is inferred.")
                      .input("x")
                      .optional_input("shape")
                      .output("y")
                      .optional_attr("shape", AttrType::ints, "the target, when input 1 is absent")
                      .infer(infer_reshape)
                      .gradient(reshape_gradient));

  r.add(OpBuilder("Transpose")
                      .doc("Permutes dims: output dim i is input dim perm[i].")
                      .input("x")
                      .output("y")
                      .attr("perm", AttrType::ints, attr_ints({}), "a permutation of 0..rank-1; [] = reversed")
                      .infer(infer_transpose)
                      .gradient(transpose_gradient));

  r.add(OpBuilder("Concat")
                      .doc("Joins inputs along `axis`; other dims must match.")
                      .variadic_input("x", 1)
                      .output("y")
                      .attr("axis", AttrType::int_, attr_int(0), "the joined axis")
                      .infer(infer_concat)
                      .gradient(concat_gradient));

  r.add(OpBuilder("Split")
                      .doc("Cuts x along `axis` into pieces of `sizes`, or `num_outputs` equal pieces.")
                      .input("x")
                      .output("y")
                      .output_count(split_output_count)
                      .attr("axis", AttrType::int_, attr_int(0), "the cut axis")
                      .optional_attr("sizes", AttrType::ints, "piece sizes, summing to the dim")
                      .optional_attr("num_outputs", AttrType::int_, "number of equal pieces, dividing the dim")
                      .infer(infer_split)
                      .gradient(split_gradient));

  r.add(OpBuilder("Slice")
                      .doc("ONNX Slice: clamped bounds, negative indices from the end, negative steps walk backwards.")
                      .input("x")
                      .output("y")
                      .attr("starts", AttrType::ints, "first index per sliced axis")
                      .attr("ends", AttrType::ints, "end index (exclusive) per sliced axis")
                      .attr("axes", AttrType::ints, attr_ints({}), "sliced axes; [] = 0..n-1")
                      .attr("steps", AttrType::ints, attr_ints({}), "non-zero steps; [] = 1s")
                      .infer(infer_slice)
                      .gradient(slice_gradient));

  r.add(OpBuilder("Gather")
                      .doc("Picks slices of data along `axis` at indices; negative indices wrap.")
                      .input("data")
                      .input("indices")
                      .output("y")
                      .attr("axis", AttrType::int_, attr_int(0), "the indexed axis")
                      .infer(infer_gather)
                      .gradient(gather_gradient));

  r.add(OpBuilder("Flatten")
                      .doc("[prod(dims[:axis]), prod(dims[axis:])].")
                      .input("x")
                      .output("y")
                      .attr("axis", AttrType::int_, attr_int(1), "in [-rank, rank]")
                      .infer(infer_flatten)
                      .gradient(reshape_gradient));

  r.add(OpBuilder("Pad")
                      .doc("Pads each dim by pads[d] before and pads[rank + d] after.")
                      .input("x")
                      .output("y")
                      .attr("pads", AttrType::ints, "2*rank ints >= 0: all begins, then all ends")
                      .attr("mode", AttrType::string, attr_string("constant"), "\"constant\", \"reflect\" or \"edge\"")
                      .attr("value", AttrType::float_, attr_float(0.0f), "the fill value of \"constant\"")
                      .infer(infer_pad)
                      .gradient(pad_gradient));
}

}  // namespace graphc::ops
