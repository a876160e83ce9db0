// ONNX shape, indexing and reduction ops. Inputs that decide the output
// shape (Reshape's shape, Slice's starts/ends/axes/steps, Squeeze's axes,
// Expand's shape, ...) became inputs in later opsets; both forms are read
// here and passed to the registry's ops as attributes or constant inputs.
#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "compiler/import/onnx_converter.h"
#include "compiler/import/onnx_model.h"

namespace graphc::onnx_import {
namespace {

/// An axes-like list given as attribute `attr` (before `input_since`) or as
/// optional input `input` (from `input_since` on); std::nullopt when absent.
std::optional<std::vector<int64_t>> attr_or_input(OnnxNode& n, const std::string& attr, size_t input,
                                                  int input_since) {
  if (n.opset() < input_since) {
    if (!n.has_attr(attr)) return std::nullopt;
    return n.attr_ints(attr);
  }
  if (!n.has_input(input)) return std::nullopt;
  return n.required_ints(input, attr);
}

void reshape(OnnxNode& n) {
  if (n.opset() < 5) {
    n.set_output(0, n.emit("Reshape", {n.input(0)}, {{"shape", a_ints(n.attr_ints("shape"))}}));
    return;
  }
  if (n.attr_int("allowzero", 0) != 0) {
    auto target = n.constant_input(1);
    if (!target) n.fail("allowzero = 1 needs a constant shape");
    std::vector<int64_t> dims = n.required_ints(1, "shape");
    if (std::find(dims.begin(), dims.end(), 0) != dims.end()) n.fail("allowzero = 1 with a 0 in the shape is not supported");
  }
  // A shape known now (constant, or computed from static shapes) is passed
  // as a fresh constant; otherwise the compiler evaluates it once input
  // shapes are fixed.
  if (auto target = n.constant_input(1)) {
    n.set_output(0, n.emit("Reshape", {n.input(0), n.constant(*target)}));
    return;
  }
  n.set_output(0, n.emit("Reshape", {n.input(0), n.input(1)}));
}

void flatten(OnnxNode& n) { n.set_output(0, n.emit("Flatten", {n.input(0)}, {{"axis", a_int(n.attr_int("axis", 1))}})); }

void transpose(OnnxNode& n) {
  Attrs attrs;
  if (n.has_attr("perm")) attrs["perm"] = a_ints(n.attr_ints("perm"));
  n.set_output(0, n.emit("Transpose", {n.input(0)}, attrs));
}

void concat(OnnxNode& n) {
  std::vector<ir::Value*> inputs;
  for (size_t i = 0; i < n.num_inputs(); ++i) inputs.push_back(n.input(i));
  n.set_output(0, n.emit("Concat", inputs, {{"axis", a_int(n.attr_int("axis", 1))}}));
}

void split(OnnxNode& n) {
  auto sizes = attr_or_input(n, "split", 1, 13);
  Attrs attrs = {{"axis", a_int(n.attr_int("axis", 0))}};
  int count = static_cast<int>(n.num_outputs());
  if (sizes && !sizes->empty()) {
    attrs["sizes"] = a_ints(*sizes);
    count = static_cast<int>(sizes->size());
  } else {
    attrs["num_outputs"] = a_int(count);
  }
  auto outs = n.emit_multi("Split", {n.input(0)}, attrs, count);
  for (size_t i = 0; i < outs.size(); ++i) n.set_output(i, outs[i]);
}

void slice(OnnxNode& n) {
  std::vector<int64_t> starts, ends, axes, steps;
  if (n.opset() < 10) {
    starts = n.attr_ints("starts");
    ends = n.attr_ints("ends");
    axes = n.attr_ints("axes");
  } else {
    starts = n.required_ints(1, "starts");
    ends = n.required_ints(2, "ends");
    if (n.has_input(3)) axes = n.required_ints(3, "axes");
    if (n.has_input(4)) steps = n.required_ints(4, "steps");
  }
  n.set_output(0, n.emit("Slice", {n.input(0)},
                         {{"starts", a_ints(starts)}, {"ends", a_ints(ends)}, {"axes", a_ints(axes)}, {"steps", a_ints(steps)}}));
}

void gather(OnnxNode& n) {
  n.set_output(0, n.emit("Gather", {n.input(0), n.input(1)}, {{"axis", a_int(n.attr_int("axis", 0))}}));
}

void gather_elements(OnnxNode& n) {
  n.set_output(0, n.emit("GatherElements", {n.input(0), n.input(1)}, {{"axis", a_int(n.attr_int("axis", 0))}}));
}

void squeeze(OnnxNode& n) {
  auto axes = attr_or_input(n, "axes", 1, 13);
  n.set_output(0, n.emit("Squeeze", {n.input(0)}, {{"axes", a_ints(axes.value_or(std::vector<int64_t>{}))}}));
}

void unsqueeze(OnnxNode& n) {
  auto axes = attr_or_input(n, "axes", 1, 13);
  if (!axes) n.fail("axes are required");
  n.set_output(0, n.emit("Unsqueeze", {n.input(0)}, {{"axes", a_ints(*axes)}}));
}

void shape(OnnxNode& n) {
  Attrs attrs = {{"start", a_int(n.attr_int("start", 0))}};
  if (n.has_attr("end")) attrs["end"] = a_int(n.attr_int("end", 0));
  n.set_output(0, n.emit("Shape", {n.input(0)}, attrs));
}

void size(OnnxNode& n) { n.set_output(0, n.emit("Size", {n.input(0)})); }

void expand(OnnxNode& n) {
  n.set_output(0, n.emit("Expand", {n.input(0)}, {{"shape", a_ints(n.required_ints(1, "shape"))}}));
}

void tile(OnnxNode& n) {
  n.set_output(0, n.emit("Tile", {n.input(0)}, {{"repeats", a_ints(n.required_ints(1, "repeats"))}}));
}

/// ConstantOfShape: a constant whose shape is known now.
void constant_of_shape(OnnxNode& n) {
  std::vector<int64_t> dims = n.required_ints(0, "shape");
  for (int64_t d : dims) {
    if (d < 0) n.fail(fmt::format("shape [{}] has a negative dim", fmt::join(dims, ",")));
  }
  Tensor fill(DType::f32, {1});
  if (const auto* value = n.attr("value")) fill = tensor_from_onnx(value->t(), fmt::format("node '{}' attribute 'value'", n.display_name()));
  if (fill.num_elements() != 1) n.fail("attribute 'value' must hold one element");
  Tensor out(fill.dtype(), Shape(dims.begin(), dims.end()));
  size_t width = dtype_size(fill.dtype());
  auto* dst = static_cast<std::byte*>(out.raw_data());
  for (int64_t i = 0; i < out.num_elements(); ++i) std::memcpy(dst + i * width, fill.raw_data(), width);
  n.set_output(0, n.constant(out));
}

/// Range: start, limit and delta known now give a constant.
void range(OnnxNode& n) {
  Tensor start = n.required_constant(0, "start");
  double s = n.required_scalar(0, "start");
  double limit = n.required_scalar(1, "limit");
  double delta = n.required_scalar(2, "delta");
  if (delta == 0) n.fail("delta must not be 0");
  int64_t count = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((limit - s) / delta)));
  Tensor out(start.dtype(), {count});
  for (int64_t i = 0; i < count; ++i) {
    switch (start.dtype()) {
      case DType::f32: out.data<float>()[i] = static_cast<float>(start.data<float>()[0] + i * static_cast<float>(delta)); break;
      case DType::i32: out.data<int32_t>()[i] = static_cast<int32_t>(s + i * delta); break;
      case DType::i64: out.data<int64_t>()[i] = static_cast<int64_t>(s) + i * static_cast<int64_t>(delta); break;
      default: n.fail(fmt::format("dtype {} is not supported", dtype_name(start.dtype())));
    }
  }
  n.set_output(0, n.constant(out));
}

void constant(OnnxNode& n) {
  std::string where = fmt::format("node '{}' (Constant)", n.display_name());
  if (const auto* a = n.attr("value")) {
    n.set_output(0, n.constant(tensor_from_onnx(a->t(), where)));
  } else if (const auto* f = n.attr("value_float")) {
    Tensor t(DType::f32, {});
    t.data<float>()[0] = f->f();
    n.set_output(0, n.constant(t));
  } else if (const auto* fs = n.attr("value_floats")) {
    Tensor t(DType::f32, {fs->floats_size()});
    std::copy(fs->floats().begin(), fs->floats().end(), t.data<float>());
    n.set_output(0, n.constant(t));
  } else if (const auto* i = n.attr("value_int")) {
    Tensor t(DType::i64, {});
    t.data<int64_t>()[0] = i->i();
    n.set_output(0, n.constant(t));
  } else if (const auto* is = n.attr("value_ints")) {
    n.set_output(0, n.ints_constant({is->ints().begin(), is->ints().end()}));
  } else {
    n.fail("only tensor, float and int constants are supported (not sparse or string ones)");
  }
}

void pad(OnnxNode& n) {
  std::vector<int64_t> pads;
  float value = 0.0f;
  if (n.opset() < 11) {
    pads = n.attr_ints(n.opset() < 2 ? "paddings" : "pads");
    value = n.attr_float("value", 0.0f);
  } else {
    pads = n.required_ints(1, "pads");
    if (n.has_input(2)) value = static_cast<float>(n.required_scalar(2, "constant_value"));
    if (n.has_input(3)) n.fail("the axes input is not supported");
  }
  n.set_output(0, n.emit("Pad", {n.input(0)},
                         {{"pads", a_ints(pads)}, {"mode", a_string(n.attr_string("mode", "constant"))}, {"value", a_float(value)}}));
}

/// ReduceX: axes from the attribute, or (ReduceSum from opset 13) from
/// input 1, where `noop_with_empty_axes` makes empty axes the identity.
void reduce_axes(OnnxNode& n, std::vector<int64_t>& axes, bool& noop) {
  bool from_input = n.op_type() == "ReduceSum" && n.opset() >= 13;
  if (from_input) {
    if (n.has_input(1)) axes = n.required_ints(1, "axes");
  } else {
    axes = n.attr_ints("axes");
  }
  noop = axes.empty() && n.attr_int("noop_with_empty_axes", 0) != 0;
}

ir::Value* reduce_op(OnnxNode& n, const char* op, ir::Value* x, const std::vector<int64_t>& axes, bool keepdims) {
  return n.emit(op, {x}, {{"axes", a_ints(axes)}, {"keepdims", a_bool(keepdims)}});
}

template <const char* Op>
void reduce(OnnxNode& n) {
  std::vector<int64_t> axes;
  bool noop = false;
  reduce_axes(n, axes, noop);
  bool keep = n.attr_int("keepdims", 1) != 0;
  ir::Value* x = n.input(0);
  std::string kind = Op;
  if (noop) {
    n.set_output(0, n.emit("Identity", {x}));
    return;
  }
  ir::Value* y = nullptr;
  if (kind == "L1") {
    y = reduce_op(n, "ReduceSum", n.emit("Abs", {x}), axes, keep);
  } else if (kind == "L2") {
    y = n.emit("Sqrt", {reduce_op(n, "ReduceSum", n.emit("Mul", {x, x}), axes, keep)});
  } else if (kind == "SumSquare") {
    y = reduce_op(n, "ReduceSum", n.emit("Mul", {x, x}), axes, keep);
  } else if (kind == "LogSum") {
    y = n.emit("Log", {reduce_op(n, "ReduceSum", x, axes, keep)});
  } else if (kind == "LogSumExp") {
    // max-shifted: log(sum(exp(x - m))) + m
    ir::Value* m = reduce_op(n, "ReduceMax", x, axes, true);
    ir::Value* s = reduce_op(n, "ReduceSum", n.emit("Exp", {n.emit("Sub", {x, m})}), axes, keep);
    ir::Value* m_out = keep ? m : reduce_op(n, "ReduceMax", x, axes, false);
    y = n.emit("Add", {n.emit("Log", {s}), m_out});
  } else {
    y = reduce_op(n, Op, x, axes, keep);
  }
  n.set_output(0, y);
}
/// TopK: k is an attribute before opset 10, a 1-element input from then on
/// (which must be known when the graph is compiled).
void top_k(OnnxNode& n) {
  int64_t k = 0;
  if (n.opset() < 10) {
    k = n.attr_int("k", -1);
    if (k < 0) n.fail("attribute 'k' is required before opset 10");
  } else {
    std::vector<int64_t> ks = n.required_ints(1, "k");
    if (ks.size() != 1) n.fail(fmt::format("input 1 (k) must hold one value, found {}", ks.size()));
    k = ks[0];
  }
  std::vector<ir::Value*> outputs = n.emit_multi("TopK", {n.input(0)},
                                                 {{"k", a_int(k)},
                                                  {"axis", a_int(n.attr_int("axis", -1))},
                                                  {"largest", a_bool(n.attr_int("largest", 1) != 0)},
                                                  {"sorted", a_bool(n.attr_int("sorted", 1) != 0)}},
                                                 2);
  n.set_output(0, outputs[0]);
  n.set_output(1, outputs[1]);
}

void gather_nd(OnnxNode& n) {
  n.set_output(0, n.emit("GatherND", {n.input(0), n.input(1)}, {{"batch_dims", a_int(n.attr_int("batch_dims", 0))}}));
}

void scatter_nd(OnnxNode& n) {
  n.set_output(0, n.emit("ScatterND", {n.input(0), n.input(1), n.input(2)},
                         {{"reduction", a_string(n.attr_string("reduction", "none"))}}));
}

constexpr char kReduceSum[] = "ReduceSum", kReduceMean[] = "ReduceMean", kReduceMax[] = "ReduceMax",
               kReduceMin[] = "ReduceMin", kReduceProd[] = "ReduceProd", kL1[] = "L1", kL2[] = "L2",
               kSumSquare[] = "SumSquare", kLogSum[] = "LogSum", kLogSumExp[] = "LogSumExp";

template <const char* Op>
void arg_reduce(OnnxNode& n) {
  n.set_output(0, n.emit(Op, {n.input(0)},
                         {{"axis", a_int(n.attr_int("axis", 0))},
                          {"keepdims", a_bool(n.attr_int("keepdims", 1) != 0)},
                          {"select_last_index", a_bool(n.attr_int("select_last_index", 0) != 0)}}));
}
constexpr char kArgMax[] = "ArgMax", kArgMin[] = "ArgMin";

void cum_sum(OnnxNode& n) {
  n.set_output(0, n.emit("CumSum", {n.input(0)},
                         {{"axis", a_int(static_cast<int64_t>(n.required_scalar(1, "axis")))},
                          {"exclusive", a_bool(n.attr_int("exclusive", 0) != 0)},
                          {"reverse", a_bool(n.attr_int("reverse", 0) != 0)}}));
}

void trilu(OnnxNode& n) {
  int64_t k = n.has_input(1) ? static_cast<int64_t>(n.required_scalar(1, "k")) : 0;
  n.set_output(0, n.emit("Trilu", {n.input(0)}, {{"upper", a_bool(n.attr_int("upper", 1) != 0)}, {"k", a_int(k)}}));
}

void eye_like(OnnxNode& n) {
  const TensorType& xt = n.input_type(0);
  if (xt.shape.size() != 2) n.fail(fmt::format("input {} must be 2-D", xt.to_string()));
  DType dtype = xt.dtype;
  if (n.has_attr("dtype")) {
    auto d = dtype_from_onnx(static_cast<int32_t>(n.attr_int("dtype", 1)));
    if (!d) n.fail("unsupported dtype");
    dtype = *d;
  }
  int64_t k = n.attr_int("k", 0);
  Tensor ones(DType::f32, xt.shape);
  for (int64_t r = 0; r < xt.shape[0]; ++r) {
    int64_t c = r + k;
    if (c >= 0 && c < xt.shape[1]) ones.data<float>()[r * xt.shape[1] + c] = 1.0f;
  }
  ir::Value* y = n.constant(ones);
  if (dtype != DType::f32) y = n.emit("Cast", {y}, {{"to", a_dtype(dtype)}});
  n.set_output(0, y);
}

/// DepthToSpace / SpaceToDepth as Reshape -> Transpose -> Reshape.
void depth_to_space(OnnxNode& n) {
  const TensorType& xt = n.input_type(0);
  if (xt.shape.size() != 4) n.fail("input must be 4-D");
  int64_t b = n.attr_int("blocksize", 0);
  if (b < 1 || xt.shape[1] % (b * b) != 0) n.fail("blocksize must be >= 1 and its square must divide C");
  int64_t N = xt.shape[0], C = xt.shape[1], H = xt.shape[2], W = xt.shape[3];
  bool crd = n.attr_string("mode", "DCR") == "CRD";
  std::vector<int64_t> split = crd ? std::vector<int64_t>{N, C / (b * b), b, b, H, W} : std::vector<int64_t>{N, b, b, C / (b * b), H, W};
  std::vector<int64_t> perm = crd ? std::vector<int64_t>{0, 1, 4, 2, 5, 3} : std::vector<int64_t>{0, 3, 4, 1, 5, 2};
  ir::Value* y = n.emit("Reshape", {n.input(0)}, {{"shape", a_ints(split)}});
  y = n.emit("Transpose", {y}, {{"perm", a_ints(perm)}});
  n.set_output(0, n.emit("Reshape", {y}, {{"shape", a_ints({N, C / (b * b), H * b, W * b})}}));
}

void space_to_depth(OnnxNode& n) {
  const TensorType& xt = n.input_type(0);
  if (xt.shape.size() != 4) n.fail("input must be 4-D");
  int64_t b = n.attr_int("blocksize", 0);
  int64_t N = xt.shape[0], C = xt.shape[1], H = xt.shape[2], W = xt.shape[3];
  if (b < 1 || H % b != 0 || W % b != 0) n.fail("blocksize must be >= 1 and divide H and W");
  ir::Value* y = n.emit("Reshape", {n.input(0)}, {{"shape", a_ints({N, C, H / b, b, W / b, b})}});
  y = n.emit("Transpose", {y}, {{"perm", a_ints({0, 3, 5, 1, 2, 4})}});
  n.set_output(0, n.emit("Reshape", {y}, {{"shape", a_ints({N, C * b * b, H / b, W / b})}}));
}

/// HannWindow, HammingWindow, BlackmanWindow: constants of a size known now.
/// w[n] = a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N) with N = size
/// (periodic) or size - 1 (symmetric).
void window(OnnxNode& n) {
  double size = n.required_scalar(0, "size");
  if (size < 0 || size > (1 << 24)) n.fail(fmt::format("size {} is out of range", size));
  auto count = static_cast<int64_t>(size);
  bool periodic = n.attr_int("periodic", 1) != 0;
  double a0 = 0.5, a1 = 0.5, a2 = 0.0;
  if (n.op_type() == "HammingWindow") a0 = 25.0 / 46.0, a1 = 1.0 - 25.0 / 46.0;
  if (n.op_type() == "BlackmanWindow") a0 = 0.42, a1 = 0.5, a2 = 0.08;
  double denom = periodic ? static_cast<double>(count) : static_cast<double>(count - 1);
  Tensor w(DType::f32, {count});
  constexpr double kPi = 3.14159265358979323846;
  for (int64_t i = 0; i < count; ++i) {
    double x = denom > 0 ? static_cast<double>(i) / denom : 0.0;
    w.data<float>()[i] = static_cast<float>(a0 - a1 * std::cos(2 * kPi * x) + a2 * std::cos(4 * kPi * x));
  }
  ir::Value* y = n.constant(w);
  auto dtype = dtype_from_onnx(static_cast<int32_t>(n.attr_int("output_datatype", onnx::TensorProto::FLOAT)));
  if (!dtype) n.fail("unsupported output_datatype");
  if (*dtype != DType::f32) y = n.emit("Cast", {y}, {{"to", a_dtype(*dtype)}});
  n.set_output(0, y);
}

/// OneHot(indices, depth, values [off, on]) along `axis`: indices (negative
/// ones wrap) compared with positions 0..depth-1.
void one_hot(OnnxNode& n) {
  const TensorType& it = n.input_type(0);
  double depth_value = n.required_scalar(1, "depth");
  auto depth = static_cast<int64_t>(depth_value);
  if (depth < 1) n.fail(fmt::format("depth {} must be >= 1", depth_value));
  int64_t rank = static_cast<int64_t>(it.shape.size()) + 1;
  int64_t axis = n.attr_int("axis", -1);
  if (axis < -rank || axis >= rank) n.fail(fmt::format("axis {} is out of range", axis));
  if (axis < 0) axis += rank;
  ir::Value* indices = n.input(0);
  if (it.dtype != DType::i64) indices = n.emit("Cast", {indices}, {{"to", a_dtype(DType::i64)}});
  ir::Value* negative = n.emit("Less", {indices, n.scalar(DType::i64, 0)});
  indices = n.emit("Where", {negative, n.emit("Add", {indices, n.scalar(DType::i64, static_cast<double>(depth))}), indices});
  indices = n.emit("Unsqueeze", {indices}, {{"axes", a_ints({axis})}});
  Shape iota_shape(static_cast<size_t>(rank), 1);
  iota_shape[static_cast<size_t>(axis)] = depth;
  Tensor positions(DType::i64, iota_shape);
  for (int64_t i = 0; i < depth; ++i) positions.data<int64_t>()[i] = i;
  ir::Value* hit = n.emit("Equal", {indices, n.constant(positions)});
  const TensorType& vt = n.input_type(2);
  if (num_elements(vt.shape) != 2) n.fail("values must hold [off, on]");
  ir::Value* off = n.emit("Slice", {n.input(2)}, {{"starts", a_ints({0})}, {"ends", a_ints({1})}});
  ir::Value* on = n.emit("Slice", {n.input(2)}, {{"starts", a_ints({1})}, {"ends", a_ints({2})}});
  n.set_output(0, n.emit("Where", {hit, on, off}));
}

}  // namespace

void register_shape_converters(ConverterTable& t) {
  t["Reshape"] = reshape;
  t["Flatten"] = flatten;
  t["Transpose"] = transpose;
  t["Concat"] = concat;
  t["Split"] = split;
  t["Slice"] = slice;
  t["Gather"] = gather;
  t["GatherElements"] = gather_elements;
  t["GatherND"] = gather_nd;
  t["ScatterND"] = scatter_nd;
  t["TopK"] = top_k;
  t["Squeeze"] = squeeze;
  t["Unsqueeze"] = unsqueeze;
  t["Shape"] = shape;
  t["Size"] = size;
  t["Expand"] = expand;
  t["Tile"] = tile;
  t["ConstantOfShape"] = constant_of_shape;
  t["Range"] = range;
  t["Constant"] = constant;
  t["Pad"] = pad;
  t["ReduceSum"] = reduce<kReduceSum>;
  t["ReduceMean"] = reduce<kReduceMean>;
  t["ReduceMax"] = reduce<kReduceMax>;
  t["ReduceMin"] = reduce<kReduceMin>;
  t["ReduceProd"] = reduce<kReduceProd>;
  t["ReduceL1"] = reduce<kL1>;
  t["ReduceL2"] = reduce<kL2>;
  t["ReduceSumSquare"] = reduce<kSumSquare>;
  t["ReduceLogSum"] = reduce<kLogSum>;
  t["ReduceLogSumExp"] = reduce<kLogSumExp>;
  t["ArgMax"] = arg_reduce<kArgMax>;
  t["ArgMin"] = arg_reduce<kArgMin>;
  t["CumSum"] = cum_sum;
  t["Trilu"] = trilu;
  t["EyeLike"] = eye_like;
  t["DepthToSpace"] = depth_to_space;
  t["SpaceToDepth"] = space_to_depth;
  t["HannWindow"] = window;
  t["HammingWindow"] = window;
  t["BlackmanWindow"] = window;
  t["OneHot"] = one_hot;
}

}  // namespace graphc::onnx_import
