// ONNX neural-network ops lowered onto the registry: Gemm, MatMul, Conv,
// ConvTranspose and pooling (1-D forms through a unit height, auto_pad and
// output_shape to explicit pads),
// normalisations (as reductions where ONNX asks for more than our fused
// ops give), softmax forms, Dropout in inference, and the NLL/softmax
// cross-entropy losses, and the recurrent LSTM and GRU.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "compiler/import/onnx_converter.h"

namespace graphc::onnx_import {
namespace {

int64_t rank_of(const TensorType& t) { return static_cast<int64_t>(t.shape.size()); }

std::vector<int64_t> iota(int64_t from, int64_t to) {
  std::vector<int64_t> out;
  for (int64_t i = from; i < to; ++i) out.push_back(i);
  return out;
}

ir::Value* reduce(OnnxNode& n, const char* op, ir::Value* x, const std::vector<int64_t>& axes, bool keepdims) {
  return n.emit(op, {x}, {{"axes", a_ints(axes)}, {"keepdims", a_bool(keepdims)}});
}

void matmul(OnnxNode& n) { n.set_output(0, n.emit("MatMul", {n.input(0), n.input(1)})); }

void gemm(OnnxNode& n) {
  float alpha = n.attr_float("alpha", 1.0f);
  float beta = n.attr_float("beta", 1.0f);
  ir::Value* y = n.emit("MatMul", {n.input(0), n.input(1)},
                        {{"transpose_a", a_bool(n.attr_int("transA", 0) != 0)},
                         {"transpose_b", a_bool(n.attr_int("transB", 0) != 0)}});
  if (alpha != 1.0f) y = n.emit("Mul", {y, n.scalar(DType::f32, alpha)});
  if (n.has_input(2) && beta != 0.0f) {
    ir::Value* c = n.input(2);
    if (beta != 1.0f) c = n.emit("Mul", {c, n.scalar(DType::f32, beta)});
    y = n.emit("Add", {y, c});
  }
  n.set_output(0, y);
}

/// Explicit [begins..., ends...] pads of a sliding window op, from `pads` or
/// `auto_pad` (SAME_* pads so that out = ceil(in / stride)).
std::vector<int64_t> window_pads(OnnxNode& n, const std::vector<int64_t>& kernel, const std::vector<int64_t>& strides,
                                 const std::vector<int64_t>& dilations) {
  size_t r = kernel.size();
  std::string auto_pad = n.attr_string("auto_pad", "NOTSET");
  if (auto_pad == "NOTSET") {
    std::vector<int64_t> pads = n.attr_ints("pads", std::vector<int64_t>(2 * r, 0));
    if (pads.size() != 2 * r) n.fail(fmt::format("attribute 'pads' must have {} entries", 2 * r));
    return pads;
  }
  if (auto_pad == "VALID") return std::vector<int64_t>(2 * r, 0);
  if (auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") n.fail(fmt::format("unknown auto_pad '{}'", auto_pad));
  const TensorType& xt = n.input_type(0);
  if (xt.shape.size() != r + 2) n.fail(fmt::format("input {} must have rank {}", xt.to_string(), r + 2));
  Shape spatial(xt.shape.begin() + 2, xt.shape.end());
  std::vector<int64_t> pads(2 * r, 0);
  for (size_t d = 0; d < r; ++d) {
    int64_t out = (spatial[d] + strides[d] - 1) / strides[d];
    int64_t total = std::max<int64_t>(0, (out - 1) * strides[d] + (kernel[d] - 1) * dilations[d] + 1 - spatial[d]);
    int64_t small = total / 2;
    pads[d] = auto_pad == "SAME_UPPER" ? small : total - small;
    pads[r + d] = total - pads[d];
  }
  return pads;
}

/// Lifts a 1-D window op to 2-D: [N, C, L] -> [N, C, 1, L].
ir::Value* to_2d(OnnxNode& n, ir::Value* x) { return n.emit("Unsqueeze", {x}, {{"axes", a_ints({2})}}); }

std::vector<int64_t> lift(const std::vector<int64_t>& v, int64_t fill) {
  return {fill, v[0]};
}
std::vector<int64_t> lift_pads(const std::vector<int64_t>& p) { return {0, p[0], 0, p[1]}; }

/// The window of a convolution, per spatial dim (pads: begins, then ends).
struct ConvWindow {
  std::vector<int64_t> strides, pads, dilations;
  std::vector<int64_t> output_padding;  // ConvTranspose only
};

/// Emits Conv2D or ConvTranspose over inputs x, w and the optional bias
/// with ONNX's `group`; a 1-D window (one entry per attr) through a unit
/// height.
void emit_convolution(OnnxNode& n, const char* op, ConvWindow window) {
  bool one_d = window.strides.size() == 1;
  ir::Value* x = n.input(0);
  ir::Value* w = n.input(1);
  if (one_d) {
    x = to_2d(n, x);
    w = to_2d(n, w);
    window.strides = lift(window.strides, 1);
    window.dilations = lift(window.dilations, 1);
    window.pads = lift_pads(window.pads);
    if (!window.output_padding.empty()) window.output_padding = lift(window.output_padding, 0);
  }
  std::vector<ir::Value*> inputs = {x, w};
  if (n.has_input(2)) inputs.push_back(n.input(2));
  Attrs attrs = {{"strides", a_ints(window.strides)},
                 {"pads", a_ints(window.pads)},
                 {"dilations", a_ints(window.dilations)},
                 {"groups", a_int(n.attr_int("group", 1))}};
  if (!window.output_padding.empty()) attrs["output_padding"] = a_ints(window.output_padding);
  ir::Value* y = n.emit(op, inputs, attrs);
  if (one_d) y = n.emit("Squeeze", {y}, {{"axes", a_ints({2})}});
  n.set_output(0, y);
}

void conv(OnnxNode& n) {
  const TensorType& wt = n.input_type(1);
  int64_t r = rank_of(wt) - 2;
  if (r != 1 && r != 2) n.fail(fmt::format("{}-D convolutions are not supported (only 1-D and 2-D), found weight {}", r, wt.to_string()));
  std::vector<int64_t> kernel(wt.shape.begin() + 2, wt.shape.end());
  std::vector<int64_t> strides = n.attr_ints("strides", std::vector<int64_t>(r, 1));
  std::vector<int64_t> dilations = n.attr_ints("dilations", std::vector<int64_t>(r, 1));
  if (static_cast<int64_t>(strides.size()) != r || static_cast<int64_t>(dilations.size()) != r) {
    n.fail(fmt::format("attributes 'strides' and 'dilations' must have {} entries", r));
  }
  std::vector<int64_t> pads = window_pads(n, kernel, strides, dilations);
  emit_convolution(n, "Conv2D", {strides, pads, dilations, {}});
}

/// ConvTranspose (1-D through a unit height, as Conv). output_shape, and
/// auto_pad SAME_* (output = input · stride), fix the total padding
/// stride·(in − 1) + output_padding + dilation·(kernel − 1) + 1 − out per
/// dim: SAME_UPPER puts its smaller half first, NOTSET and SAME_LOWER its
/// larger; a negative total (the output is longer than the transposed
/// window) becomes output_padding at the end, as onnxruntime does.
void conv_transpose(OnnxNode& n) {
  const TensorType& xt = n.input_type(0);
  const TensorType& wt = n.input_type(1);
  int64_t r = rank_of(wt) - 2;
  if (r != 1 && r != 2) {
    n.fail(fmt::format("{}-D transposed convolutions are not supported (only 1-D and 2-D), found weight {}", r,
                       wt.to_string()));
  }
  if (rank_of(xt) != r + 2) {
    n.fail(fmt::format("input {} must have rank {} like w {}", xt.to_string(), r + 2, wt.to_string()));
  }
  std::vector<int64_t> kernel(wt.shape.begin() + 2, wt.shape.end());
  if (n.has_attr("kernel_shape") && n.attr_ints("kernel_shape") != kernel) {
    n.fail(fmt::format("attribute 'kernel_shape' = [{}] differs from w {}", fmt::join(n.attr_ints("kernel_shape"), ","),
                       wt.to_string()));
  }
  auto per_dim = [&](const char* attr, int64_t fallback) {
    std::vector<int64_t> v = n.attr_ints(attr, std::vector<int64_t>(r, fallback));
    if (static_cast<int64_t>(v.size()) != r) n.fail(fmt::format("attribute '{}' must have {} entries", attr, r));
    return v;
  };
  std::vector<int64_t> strides = per_dim("strides", 1);
  std::vector<int64_t> dilations = per_dim("dilations", 1);
  std::vector<int64_t> output_padding = per_dim("output_padding", 0);
  std::string auto_pad = n.attr_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") {
    n.fail(fmt::format("unknown auto_pad '{}'", auto_pad));
  }
  std::vector<int64_t> pads = n.attr_ints("pads", std::vector<int64_t>(2 * r, 0));
  if (auto_pad == "VALID") pads.assign(2 * r, 0);
  if (static_cast<int64_t>(pads.size()) != 2 * r) n.fail(fmt::format("attribute 'pads' must have {} entries", 2 * r));
  std::vector<int64_t> output_shape = n.attr_ints("output_shape");
  if (static_cast<int64_t>(output_shape.size()) == r + 2) {  // the full [N, M, spatial...] form
    output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
  }
  if (!output_shape.empty() && static_cast<int64_t>(output_shape.size()) != r) {
    n.fail(fmt::format("attribute 'output_shape' must have {} entries", r));
  }
  if (output_shape.empty() && auto_pad.rfind("SAME_", 0) == 0) {
    for (int64_t d = 0; d < r; ++d) output_shape.push_back(xt.shape[2 + d] * strides[d]);
  }
  for (size_t d = 0; d < output_shape.size(); ++d) {
    int64_t total = strides[d] * (xt.shape[2 + d] - 1) + output_padding[d] + dilations[d] * (kernel[d] - 1) + 1 -
                    output_shape[d];
    int64_t small = total / 2;
    pads[d] = total < 0 ? 0 : auto_pad == "SAME_UPPER" ? small : total - small;
    pads[r + d] = total < 0 ? 0 : total - pads[d];
    if (total < 0) output_padding[d] -= total;
  }
  emit_convolution(n, "ConvTranspose", {strides, pads, dilations, output_padding});
}

void pool(OnnxNode& n, const char* op) {
  n.expect_outputs_at_most(1, "pooling indices are not supported");
  std::vector<int64_t> kernel = n.attr_ints("kernel_shape");
  auto r = static_cast<int64_t>(kernel.size());
  if (r != 1 && r != 2) n.fail(fmt::format("{}-D pooling is not supported (only 1-D and 2-D), found kernel_shape [{}]", r, fmt::join(kernel, ",")));
  std::vector<int64_t> strides = n.attr_ints("strides", std::vector<int64_t>(r, 1));
  std::vector<int64_t> dilations = n.attr_ints("dilations", std::vector<int64_t>(r, 1));
  for (int64_t d : dilations) {
    if (d != 1) n.fail("pooling dilations other than 1 are not supported");
  }
  if (n.attr_int("storage_order", 0) != 0) n.fail("storage_order 1 is not supported");
  std::vector<int64_t> pads = window_pads(n, kernel, strides, dilations);
  ir::Value* x = n.input(0);
  if (r == 1) {
    x = to_2d(n, x);
    kernel = lift(kernel, 1);
    strides = lift(strides, 1);
    pads = lift_pads(pads);
  }
  Attrs attrs = {{"kernel", a_ints(kernel)},
                 {"strides", a_ints(strides)},
                 {"pads", a_ints(pads)},
                 {"ceil_mode", a_bool(n.attr_int("ceil_mode", 0) != 0)}};
  if (std::string(op) == "AvgPool") attrs["count_include_pad"] = a_bool(n.attr_int("count_include_pad", 0) != 0);
  ir::Value* y = n.emit(op, {x}, attrs);
  if (r == 1) y = n.emit("Squeeze", {y}, {{"axes", a_ints({2})}});
  n.set_output(0, y);
}

void max_pool(OnnxNode& n) { pool(n, "MaxPool"); }
void average_pool(OnnxNode& n) { pool(n, "AvgPool"); }

void global_average_pool(OnnxNode& n) { n.set_output(0, n.emit("GlobalAvgPool", {n.input(0)})); }

void global_max_pool(OnnxNode& n) {
  const TensorType& xt = n.input_type(0);
  n.set_output(0, reduce(n, "ReduceMax", n.input(0), iota(2, rank_of(xt)), true));
}

void batch_norm(OnnxNode& n) {
  if (n.attr_int("training_mode", 0) != 0) n.fail("training mode (batch statistics) is not supported");
  n.expect_outputs_at_most(1, "running statistics are outputs of training mode only");
  n.set_output(0, n.emit("BatchNorm", {n.input(0), n.input(1), n.input(2), n.input(3), n.input(4)},
                         {{"epsilon", a_float(n.attr_float("epsilon", 1e-5f))}}));
}

/// Normalises x over `axes`: returns (x - mean) and 1/sqrt(var + eps), with
/// mean and the inverse deviation keeping the reduced dims.
struct Normalised {
  ir::Value* centred;
  ir::Value* mean;
  ir::Value* inv_std;
};
Normalised normalise(OnnxNode& n, ir::Value* x, const std::vector<int64_t>& axes, float epsilon) {
  ir::Value* mean = reduce(n, "ReduceMean", x, axes, true);
  ir::Value* centred = n.emit("Sub", {x, mean});
  ir::Value* var = reduce(n, "ReduceMean", n.emit("Mul", {centred, centred}), axes, true);
  ir::Value* inv_std = n.emit("Rsqrt", {n.emit("Add", {var, n.scalar(DType::f32, epsilon)})});
  return {centred, mean, inv_std};
}

void layer_norm(OnnxNode& n) {
  const TensorType& xt = n.input_type(0);
  int64_t rank = rank_of(xt);
  int64_t axis = n.attr_int("axis", -1);
  if (axis < -rank || axis >= rank) n.fail(fmt::format("axis {} is out of range for x {}", axis, xt.to_string()));
  if (axis < 0) axis += rank;
  ir::Value* x = n.input(0);
  if (xt.dtype != DType::f32) x = n.emit("Cast", {x}, {{"to", a_dtype(DType::f32)}});
  Normalised norm = normalise(n, x, iota(axis, rank), n.attr_float("epsilon", 1e-5f));
  ir::Value* y = n.emit("Mul", {n.emit("Mul", {norm.centred, norm.inv_std}), n.input(1)});
  if (n.has_input(2)) y = n.emit("Add", {y, n.input(2)});
  n.set_output(0, y);
  n.set_output(1, norm.mean);
  n.set_output(2, norm.inv_std);
}

/// [C] -> [C, 1, ..., 1] so that it broadcasts against [N, C, spatial...].
ir::Value* per_channel(OnnxNode& n, ir::Value* v, int64_t rank) {
  std::vector<int64_t> shape(static_cast<size_t>(rank - 1), 1);
  shape[0] = -1;
  return n.emit("Reshape", {v}, {{"shape", a_ints(shape)}});
}

void instance_norm(OnnxNode& n) {
  const TensorType& xt = n.input_type(0);
  int64_t rank = rank_of(xt);
  if (rank < 3) n.fail(fmt::format("input {} must have rank >= 3", xt.to_string()));
  Normalised norm = normalise(n, n.input(0), iota(2, rank), n.attr_float("epsilon", 1e-5f));
  ir::Value* y = n.emit("Mul", {n.emit("Mul", {norm.centred, norm.inv_std}), per_channel(n, n.input(1), rank)});
  n.set_output(0, n.emit("Add", {y, per_channel(n, n.input(2), rank)}));
}

void mean_variance_norm(OnnxNode& n) {
  std::vector<int64_t> axes = n.attr_ints("axes", {0, 2, 3});
  Normalised norm = normalise(n, n.input(0), axes, 1e-9f);
  n.set_output(0, n.emit("Mul", {norm.centred, norm.inv_std}));
}

/// Softmax, LogSoftmax and Hardmax before opset 13 coerce the input to 2-D
/// at `axis` ([prod(dims[:axis]), prod(dims[axis:])]) and work on its rows.
template <bool Log>
void softmax(OnnxNode& n) {
  const char* op = Log ? "LogSoftmax" : "Softmax";
  if (n.opset() >= 13) {
    n.set_output(0, n.emit(op, {n.input(0)}, {{"axis", a_int(n.attr_int("axis", -1))}}));
    return;
  }
  const TensorType& xt = n.input_type(0);
  int64_t rank = rank_of(xt);
  int64_t axis = n.attr_int("axis", 1);
  if (axis < -rank || axis > rank) n.fail(fmt::format("axis {} is out of range for x {}", axis, xt.to_string()));
  if (axis < 0) axis += rank;
  if (axis == rank - 1) {
    n.set_output(0, n.emit(op, {n.input(0)}, {{"axis", a_int(-1)}}));
    return;
  }
  ir::Value* flat = n.emit("Flatten", {n.input(0)}, {{"axis", a_int(axis)}});
  ir::Value* y = n.emit(op, {flat}, {{"axis", a_int(-1)}});
  n.set_output(0, n.emit("Reshape", {y}, {{"shape", a_ints(xt.shape)}}));
}

void hardmax(OnnxNode& n) {
  const TensorType& xt = n.input_type(0);
  int64_t rank = rank_of(xt);
  ir::Value* x = n.input(0);
  int64_t axis = n.attr_int("axis", n.opset() >= 13 ? -1 : 1);
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1)) n.fail(fmt::format("axis {} is out of range", axis));
  if (axis < 0) axis += rank;
  Shape work = xt.shape;
  if (n.opset() < 13) {
    x = n.emit("Flatten", {x}, {{"axis", a_int(axis)}});
    work = {num_elements(Shape(xt.shape.begin(), xt.shape.begin() + axis)),
            num_elements(Shape(xt.shape.begin() + axis, xt.shape.end()))};
    axis = 1;
  }
  // one-hot of the first maximum: ArgMax == iota along the axis.
  ir::Value* arg = n.emit("ArgMax", {x}, {{"axis", a_int(axis)}, {"keepdims", a_bool(true)}});
  Shape iota_shape(work.size(), 1);
  iota_shape[static_cast<size_t>(axis)] = work[static_cast<size_t>(axis)];
  Tensor positions(DType::i64, iota_shape);
  for (int64_t i = 0; i < positions.num_elements(); ++i) positions.data<int64_t>()[i] = i;
  ir::Value* hit = n.emit("Equal", {arg, n.constant(positions)});
  ir::Value* y = n.emit("Cast", {hit}, {{"to", a_dtype(xt.dtype)}});
  if (n.opset() < 13) y = n.emit("Reshape", {y}, {{"shape", a_ints(xt.shape)}});
  n.set_output(0, y);
}

void dropout(OnnxNode& n) {
  if (n.opset() >= 12 && n.has_input(2)) {
    if (n.required_scalar(2, "training_mode") != 0) n.fail("training mode is not supported");
  }
  if (n.opset() < 7 && n.attr_int("is_test", 0) == 0) n.fail("training mode (is_test = 0) is not supported");
  n.set_output(0, n.emit("Identity", {n.input(0)}));
  if (n.has_output(1)) {
    Tensor ones(DType::boolean, n.input_type(0).shape);
    std::fill(ones.data<bool>(), ones.data<bool>() + ones.num_elements(), true);
    n.set_output(1, n.constant(ones));
  }
}

/// NegativeLogLikelihoodLoss over log-probabilities `input` [N, C, d...] and
/// integer `target` [N, d...]: loss = -input[n, target, d] * weight[target],
/// 0 where target == ignore_index; reduced by "none", "sum" or "mean"
/// (sum / total weight).
ir::Value* nll_loss(OnnxNode& n, ir::Value* input, ir::Value* target, ir::Value* weight,
                    const std::string& reduction) {
  const TensorType tt = *n.type_of(target);
  DType fdtype = n.type_of(input).value().dtype;
  ir::Value* index = target;
  ir::Value* w = nullptr;  // per-element weight, shape of target
  if (n.has_attr("ignore_index")) {
    ir::Value* ignore = n.scalar(tt.dtype, static_cast<double>(n.attr_int("ignore_index", 0)));
    ir::Value* ignored = n.emit("Equal", {target, ignore});
    index = n.emit("Where", {ignored, n.scalar(tt.dtype, 0), target});
    w = n.emit("Cast", {n.emit("Not", {ignored})}, {{"to", a_dtype(fdtype)}});
  }
  if (weight != nullptr) {
    ir::Value* picked = n.emit("Gather", {weight, index}, {{"axis", a_int(0)}});
    w = w ? n.emit("Mul", {w, picked}) : picked;
  }
  ir::Value* gathered = n.emit("GatherElements", {input, n.emit("Unsqueeze", {index}, {{"axes", a_ints({1})}})},
                               {{"axis", a_int(1)}});
  ir::Value* loss = n.emit("Neg", {n.emit("Squeeze", {gathered}, {{"axes", a_ints({1})}})});
  if (w) loss = n.emit("Mul", {loss, w});
  if (reduction == "none") return loss;
  ir::Value* total = reduce(n, "ReduceSum", loss, {}, false);
  if (reduction == "sum") return total;
  if (reduction != "mean") n.fail(fmt::format("unknown reduction '{}'", reduction));
  if (!w) return n.emit("Div", {total, n.scalar(fdtype, static_cast<double>(num_elements(tt.shape)))});
  return n.emit("Div", {total, reduce(n, "ReduceSum", w, {}, false)});
}

void negative_log_likelihood_loss(OnnxNode& n) {
  n.input_type(0);
  n.input_type(1);
  ir::Value* weight = n.has_input(2) ? n.input(2) : nullptr;
  n.set_output(0, nll_loss(n, n.input(0), n.input(1), weight, n.attr_string("reduction", "mean")));
}

void softmax_cross_entropy_loss(OnnxNode& n) {
  n.input_type(0);
  n.input_type(1);
  ir::Value* log_prob = n.emit("LogSoftmax", {n.input(0)}, {{"axis", a_int(1)}});
  ir::Value* weight = n.has_input(2) ? n.input(2) : nullptr;
  n.set_output(0, nll_loss(n, log_prob, n.input(1), weight, n.attr_string("reduction", "mean")));
  n.set_output(1, log_prob);
}

/// Resize (opset 10: scales; from 11: roi, scales, sizes) and Upsample: the
/// output sizes are fixed here from `sizes`, or floor(dim * scale).
void resize(OnnxNode& n) {
  const TensorType& xt = n.input_type(0);
  bool upsample = n.op_type() == "Upsample";
  std::vector<float> scales;
  std::vector<int64_t> sizes;
  std::vector<float> roi;
  auto floats_of = [&](size_t i, const char* what) {
    std::vector<float> out;
    if (!n.has_input(i)) return out;
    Tensor t = n.required_constant(i, what);
    if (t.dtype() != DType::f32) n.fail(fmt::format("input {} ({}) must be float", i, what));
    out.assign(t.data<float>(), t.data<float>() + t.num_elements());
    return out;
  };
  if (upsample && n.opset() < 9) {
    scales = n.attr_floats("scales");
  } else if (upsample || n.opset() < 11) {
    scales = floats_of(1, "scales");
  } else {
    roi = floats_of(1, "roi");
    scales = floats_of(2, "scales");
    if (n.has_input(3)) sizes = n.required_ints(3, "sizes");
  }
  size_t rank = xt.shape.size();
  if (sizes.empty()) {
    if (scales.size() != rank) n.fail(fmt::format("needs {} scales or sizes, found {} scales", rank, scales.size()));
    for (size_t d = 0; d < rank; ++d) {
      sizes.push_back(static_cast<int64_t>(std::floor(static_cast<double>(scales[d]) * static_cast<double>(xt.shape[d]))));
    }
  } else {
    scales.clear();
  }
  std::string mode = n.attr_string("mode", "nearest");
  if (mode == "bilinear") mode = "linear";
  bool legacy = upsample || n.opset() < 11;
  std::string ctm = legacy ? "asymmetric" : n.attr_string("coordinate_transformation_mode", "half_pixel");
  Attrs attrs = {{"sizes", a_ints(sizes)},
                 {"mode", a_string(mode)},
                 {"coordinate_transformation_mode", a_string(ctm)},
                 {"nearest_mode", a_string(legacy ? "floor" : n.attr_string("nearest_mode", "round_prefer_floor"))},
                 {"cubic_coeff_a", a_float(n.attr_float("cubic_coeff_a", -0.75f))},
                 {"exclude_outside", a_bool(n.attr_int("exclude_outside", 0) != 0)},
                 {"extrapolation_value", a_float(n.attr_float("extrapolation_value", 0.0f))}};
  if (!scales.empty()) {
    proto::AttrValue v;
    for (float f : scales) v.mutable_list()->add_f(f);
    attrs["scales"] = v;
  }
  if (ctm == "tf_crop_and_resize") {
    if (roi.size() != 2 * rank) n.fail("tf_crop_and_resize needs roi with 2*rank entries");
    proto::AttrValue v;
    for (float f : roi) v.mutable_list()->add_f(f);
    attrs["roi"] = v;
  }
  n.set_output(0, n.emit("Resize", {n.input(0)}, attrs));
}

/// LSTM and GRU (opsets 7 and 14). graphc's ops may omit only trailing
/// inputs, so an omitted input before the last one given becomes what ONNX
/// means by its absence: a zero bias or initial state, full-length
/// sequences. Activations other than the defaults are rejected by the op
/// (naming the node and the attribute); their alpha/beta here.
void recurrent(OnnxNode& n, const char* op, size_t max_inputs) {
  for (const char* a : {"activation_alpha", "activation_beta"}) {
    if (n.has_attr(a)) n.reject_attr(a, "only the default activations (which take no parameters) are supported");
  }
  int64_t layout = n.attr_int("layout", 0);
  Attrs attrs{{"direction", a_string(n.attr_string("direction", "forward"))},
              {"hidden_size", a_int(n.attr_int("hidden_size", 0))},
              {"layout", a_int(layout)}};
  if (n.has_attr("clip")) attrs["clip"] = a_float(n.attr_float("clip", 0.0f));
  if (const onnx::AttributeProto* activations = n.attr("activations")) {
    proto::AttrValue list;
    list.mutable_list();
    for (const std::string& name : activations->strings()) list.mutable_list()->add_s(name);
    attrs["activations"] = list;
  }
  bool lstm = std::string(op) == "LSTM";
  if (lstm) attrs["input_forget"] = a_bool(n.attr_int("input_forget", 0) != 0);
  if (!lstm) attrs["linear_before_reset"] = a_bool(n.attr_int("linear_before_reset", 0) != 0);

  size_t given = 3;
  for (size_t i = 3; i < std::min(n.num_inputs(), max_inputs); ++i) {
    if (n.has_input(i)) given = i + 1;
  }
  std::vector<ir::Value*> inputs;
  for (size_t i = 0; i < given; ++i) {
    if (n.has_input(i)) {
      inputs.push_back(n.input(i));
      continue;
    }
    const Shape& x = n.input_type(0).shape;
    const Shape& w = n.input_type(1).shape;
    if (x.size() != 3 || w.size() != 3) n.fail("X and W must have rank 3");
    int64_t seq_length = x[layout == 0 ? 0 : 1], batch = x[layout == 0 ? 1 : 0];
    int64_t hidden = n.attr_int("hidden_size", 0) > 0 ? n.attr_int("hidden_size", 0) : n.input_type(2).shape.back();
    Shape state = layout == 0 ? Shape{w[0], batch, hidden} : Shape{batch, w[0], hidden};
    if (i == 3) {
      inputs.push_back(n.constant(Tensor(DType::f32, {w[0], 2 * w[1]})));  // zero bias
    } else if (i == 4) {
      Tensor lengths(DType::i32, {batch});
      std::fill_n(lengths.data<int32_t>(), batch, static_cast<int32_t>(seq_length));
      inputs.push_back(n.constant(lengths));
    } else {
      inputs.push_back(n.constant(Tensor(DType::f32, state)));  // zero initial state
    }
  }
  size_t outputs = lstm ? 3 : 2;
  std::vector<ir::Value*> values = n.emit_multi(op, inputs, attrs, static_cast<int>(outputs));
  for (size_t i = 0; i < outputs; ++i) {
    if (n.has_output(i)) n.set_output(i, values[i]);
  }
}

void lstm(OnnxNode& n) { recurrent(n, "LSTM", 8); }
void gru(OnnxNode& n) { recurrent(n, "GRU", 6); }

}  // namespace

void register_nn_converters(ConverterTable& t) {
  t["MatMul"] = matmul;
  t["Gemm"] = gemm;
  t["Conv"] = conv;
  t["ConvTranspose"] = conv_transpose;
  t["MaxPool"] = max_pool;
  t["AveragePool"] = average_pool;
  t["GlobalAveragePool"] = global_average_pool;
  t["GlobalMaxPool"] = global_max_pool;
  t["BatchNormalization"] = batch_norm;
  t["LayerNormalization"] = layer_norm;
  t["InstanceNormalization"] = instance_norm;
  t["MeanVarianceNormalization"] = mean_variance_norm;
  t["Softmax"] = softmax<false>;
  t["LogSoftmax"] = softmax<true>;
  t["Hardmax"] = hardmax;
  t["Dropout"] = dropout;
  t["NegativeLogLikelihoodLoss"] = negative_log_likelihood_loss;
  t["SoftmaxCrossEntropyLoss"] = softmax_cross_entropy_loss;
  t["Resize"] = resize;
  t["Upsample"] = resize;
  t["LSTM"] = lstm;
  t["GRU"] = gru;
}

}  // namespace graphc::onnx_import
