// Finite-difference gradient checks of every differentiable op, driven by
// the op registry: an op with a gradient builder and no configuration in
// kCases fails the suite, and so does an op without a builder that is not
// listed in kNotDifferentiable.
//
// Each case builds Placeholders → op → loss = Σ_outputs ReduceSum(y · r)
// with fixed random weights r, runs autodiff with respect to the f32
// Placeholders, compiles at -O1 (reference kernels) and compares every
// analytic gradient element with the central difference
// (L(x + ε) − L(x − ε)) / 2ε of the same module's f32 loss, within
// |analytic − numeric| ≤ atol + rtol · max(|analytic|, |numeric|).
// Defaults: ε = 1e-2, atol = 2e-3, rtol = 2e-2. Inputs of ops with kinks
// (Relu, max, pooling) are spaced ≥ 0.03 apart and away from 0 so that no
// perturbation crosses a kink.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <numeric>
#include <random>
#include <sstream>

#include "compiler/ops/op_registry.h"
#include "compiler/passes/pass.h"
#include "graphc/session.h"
#include "test_graphs.h"

using namespace graphc;
using namespace graphc::testing;

namespace {

enum class Fill {
  uniform,    // U(-1, 1)
  positive,   // U(0.5, 2)
  above_one,  // U(1.5, 3), for domains x > 1 (Acosh)
  zeros,      // U(-1, 1), but exactly 0 at flat index i with i % 7 < 2
  spaced,     // distinct values 0.1 apart, none within 0.02 of 0 or of another input's
  labels,     // integers in [0, range) (booleans for DT_BOOL)
  indices,    // integers in [-range, range), with repeats
  distinct,   // 0, 1, ..., n-1 shuffled (n elements): index tuples that never repeat
};

struct Input {
  Shape shape;
  Fill fill = Fill::uniform;
  std::string dtype = "DT_FLOAT";
  int64_t range = 0;  // labels and indices
};

struct Case {
  std::vector<Input> inputs;
  std::string attrs = "";           // attr blocks, as text
  std::vector<int> outputs = {};    // the outputs the loss uses; {} = all
  float rtol = 2e-2f, atol = 2e-3f;
};

Input f(Shape shape, Fill fill = Fill::uniform) { return {std::move(shape), fill}; }
Input labels(Shape shape, int64_t classes) { return {std::move(shape), Fill::labels, "DT_INT32", classes}; }
Input mask(Shape shape) { return {std::move(shape), Fill::labels, "DT_BOOL", 2}; }
Input indices(Shape shape, int64_t dim, const char* dtype = "DT_INT64") {
  return {std::move(shape), Fill::indices, dtype, dim};
}
Input distinct(Shape shape) { return {std::move(shape), Fill::distinct, "DT_INT64"}; }

std::string attr(const std::string& name, const std::string& value) {
  return fmt::format("attr {{ key: '{}' value {{ {} }} }} ", name, value);
}
std::string ints(const std::string& name, const std::vector<int64_t>& v) {
  std::string list;
  for (int64_t i : v) list += fmt::format("i: {} ", i);
  return attr(name, "list { " + list + "}");
}

const Fill kSpaced = Fill::spaced;
const Fill kPositive = Fill::positive;
const Fill kAboveOne = Fill::above_one;
const Fill kZeros = Fill::zeros;

/// Every differentiable op's configurations.
const std::map<std::string, std::vector<Case>> kCases = {
    {"Add", {{{f({2, 1, 3}), f({4, 1})}}, {{f({2, 3}), f({3})}}}},
    {"Sub", {{{f({2, 3}), f({2, 1})}}}},
    {"Mul", {{{f({2, 3}), f({1, 3})}}}},
    {"Div", {{{f({2, 3}), f({3}, kPositive)}}}},
    {"Maximum", {{{f({2, 3}, kSpaced), f({3}, kSpaced)}}}},
    {"Minimum", {{{f({2, 3}, kSpaced), f({2, 1}, kSpaced)}}}},
    {"Pow", {{{f({2, 3}, kPositive), f({3})}}}},
    {"Neg", {{{f({2, 3})}}}},
    {"Exp", {{{f({2, 3})}}}},
    {"Log", {{{f({2, 3}, kPositive)}}}},
    {"Sqrt", {{{f({2, 3}, kPositive)}}}},
    {"Rsqrt", {{{f({2, 3}, kPositive)}}}},
    {"Tanh", {{{f({2, 3})}}}},
    {"Sigmoid", {{{f({2, 3})}}}},
    {"Relu", {{{f({3, 4}, kSpaced)}}}},
    {"Erf", {{{f({2, 3})}}}},
    {"Gelu", {{{f({2, 3})}}, {{f({2, 3})}, attr("approximate", "s: 'tanh'")}}},
    {"Cast", {{{f({2, 3})}, attr("to", "type: DT_FLOAT")}}},
    {"Identity", {{{f({3})}}}},
    {"MatMul",
     {{{f({2, 3}), f({3, 4})}},
      {{f({3, 2}), f({4, 3})}, attr("transpose_a", "b: true") + attr("transpose_b", "b: true")},
      {{f({2, 1, 2, 3}), f({3, 4, 3})}, attr("transpose_b", "b: true")},
      {{f({3}), f({2, 3, 4})}},
      {{f({3, 2}), f({3})}, attr("transpose_a", "b: true")}}},
    {"Dense", {{{f({2, 3, 4}), f({4, 5}), f({5})}}, {{f({2, 4}), f({5, 4})}, attr("transpose_w", "b: true")}}},
    {"Conv2D",
     {{{f({2, 4, 5, 5}), f({6, 2, 3, 3}), f({6})}, ints("strides", {2, 1}) + ints("pads", {1, 0, 1, 1}) +
                                                        attr("groups", "i: 2")},
      {{f({1, 2, 6, 5}), f({3, 2, 2, 2})}, ints("dilations", {2, 1}) + ints("pads", {0, 1, 1, 0})}}},
    // Groups and a bias; output_padding >= stride (x padded for dw, dx sliced).
    {"ConvTranspose",
     {{{f({2, 4, 3, 3}), f({4, 3, 3, 3}), f({6})},
       ints("strides", {2, 1}) + ints("pads", {1, 0, 0, 1}) + ints("output_padding", {1, 0}) + attr("groups", "i: 2")},
      {{f({1, 2, 3, 2}), f({2, 1, 2, 2})},
       ints("strides", {2, 2}) + ints("dilations", {2, 1}) + ints("output_padding", {2, 1}) +
           ints("pads", {0, 1, 1, 0})}}},
    // LSTM and GRU (T 3, N 2, I 2, H 2): every direction, with and without
    // initial states, sequence lengths in [0, 3], layout 1, and gradients
    // through Y, Y_h and Y_c together or through one of them alone.
    {"LSTM",
     {{{f({3, 2, 2}), f({1, 8, 2}), f({1, 8, 2}), f({1, 16})}},
      {{f({3, 2, 2}), f({2, 8, 2}), f({2, 8, 2}), f({2, 16}), labels({2}, 4), f({2, 2, 2}), f({2, 2, 2}), f({2, 6})},
       attr("direction", "s: 'bidirectional'")},
      {{f({2, 3, 2}), f({1, 8, 2}), f({1, 8, 2}), f({1, 16}), labels({2}, 4), f({2, 1, 2})},
       attr("direction", "s: 'reverse'") + attr("layout", "i: 1"), {1}},
      {{f({3, 2, 2}), f({1, 8, 2}), f({1, 8, 2}), f({1, 16}), labels({2}, 4), f({1, 2, 2}), f({1, 2, 2})},
       attr("input_forget", "b: true"), {2}}}},
    {"GRU",
     {{{f({3, 2, 2}), f({1, 6, 2}), f({1, 6, 2}), f({1, 12})}},
      {{f({3, 2, 2}), f({2, 6, 2}), f({2, 6, 2}), f({2, 12}), labels({2}, 4), f({2, 2, 2})},
       attr("direction", "s: 'bidirectional'") + attr("linear_before_reset", "b: true")},
      {{f({2, 3, 2}), f({1, 6, 2}), f({1, 6, 2}), f({1, 12}), labels({2}, 4), f({2, 1, 2})},
       attr("direction", "s: 'reverse'") + attr("layout", "i: 1"), {1}},
      {{f({3, 2, 2}), f({1, 6, 2}), f({1, 6, 2}), f({1, 12}), labels({2}, 4), f({1, 2, 2})},
       attr("linear_before_reset", "b: true"), {0}}}},
    {"MaxPool",
     {{{f({1, 2, 5, 5}, kSpaced)}, ints("kernel", {3, 3}) + ints("strides", {2, 2}) + ints("pads", {1, 1, 1, 1})},
      {{f({1, 2, 5, 4}, kSpaced)}, ints("kernel", {2, 2}) + ints("strides", {2, 2}) + attr("ceil_mode", "b: true")}}},
    {"AvgPool",
     {{{f({1, 2, 5, 5})}, ints("kernel", {3, 3}) + ints("strides", {2, 2}) + ints("pads", {1, 1, 1, 1}) +
                              attr("count_include_pad", "b: true")},
      {{f({1, 2, 5, 4})}, ints("kernel", {2, 3}) + ints("strides", {2, 2}) + attr("ceil_mode", "b: true")}}},
    {"GlobalAvgPool", {{{f({2, 3, 4, 4})}}}},
    {"BatchNorm", {{{f({3, 2, 4}), f({2}), f({2}), f({2}), f({2}, kPositive)}}}},
    {"BatchNormTraining", {{{f({4, 3, 2, 2}), f({3}), f({3}), f({3}), f({3}, kPositive)}, "", {0}}}},
    {"LayerNorm",
     {{{f({2, 3, 4}), f({3, 4}), f({3, 4})}, attr("axis", "i: -2")}, {{f({4, 5}), f({5})}}}},
    {"Softmax", {{{f({2, 5})}}, {{f({2, 3, 4})}, attr("axis", "i: 1")}}},
    {"LogSoftmax", {{{f({2, 5})}}, {{f({2, 3, 4})}, attr("axis", "i: 1")}}},
    {"ReduceSum", {{{f({2, 3, 4})}, ints("axes", {1}) + attr("keepdims", "b: false")}, {{f({2, 3})}}}},
    {"ReduceMean", {{{f({2, 3, 4})}, ints("axes", {0, 2})}}},
    {"ReduceMax", {{{f({2, 3, 4}, kSpaced)}, ints("axes", {1})}}},
    {"Reshape", {{{f({2, 6})}, ints("shape", {3, -1, 2})}}},
    {"Transpose", {{{f({2, 3, 4})}, ints("perm", {2, 0, 1})}}},
    {"Concat", {{{f({2, 1}), f({2, 3}), f({2, 2})}, attr("axis", "i: 1")}}},
    {"Split",
     {{{f({4, 3})}, ints("sizes", {1, 3})},
      {{f({2, 6})}, attr("axis", "i: 1") + attr("num_outputs", "i: 3"), {0, 2}}}},
    {"Slice",
     {{{f({5, 6})}, ints("starts", {1, -1}) + ints("ends", {4, -7}) + ints("axes", {0, 1}) + ints("steps", {2, -2})}}},
    {"Gather", {{{f({5, 3}), indices({4}, 5)}}, {{f({2, 3}), indices({2, 2}, 3, "DT_INT32")}, attr("axis", "i: 1")}}},
    {"Flatten", {{{f({2, 3, 4})}, attr("axis", "i: 2")}}},
    {"Pad",
     {{{f({3, 4})}, ints("pads", {1, 2, 2, 1}) + attr("mode", "s: 'reflect'")},
      {{f({3, 4})}, ints("pads", {0, 2, 2, 1}) + attr("mode", "s: 'edge'")},
      {{f({3, 4})}, ints("pads", {1, 0, 0, 1}) + attr("value", "f: 3")}}},
    {"Expand", {{{f({3, 1})}, ints("shape", {2, 3, 4})}}},
    // Resize: up and down, every mode, edges clamped or excluded, and
    // tf_crop_and_resize with outputs outside x (no gradient there).
    {"Resize",
     {{{f({1, 2, 3, 4})}, ints("sizes", {1, 2, 5, 7})},
      {{f({5, 7})}, ints("sizes", {3, 4}) + attr("mode", "s: 'linear'")},
      {{f({3, 4})}, ints("sizes", {5, 6}) + attr("mode", "s: 'cubic'") + attr("exclude_outside", "b: true")},
      {{f({3, 4})},
       ints("sizes", {4, 7}) + attr("mode", "s: 'cubic'") + attr("coordinate_transformation_mode", "s: 'align_corners'")},
      {{f({4, 5})}, ints("sizes", {3, 3}) + attr("mode", "s: 'linear'") +
                         attr("coordinate_transformation_mode", "s: 'tf_crop_and_resize'") +
                         attr("roi", "list { f: 0.1 f: -0.2 f: 0.9 f: 1.1 }") + attr("extrapolation_value", "f: 2")}}},
    // More math. kSpaced keeps |x| <= 0.28 for Asin, Acos, Atanh (well inside
    // (-1, 1)) and x away from the kinks of the piecewise ops.
    {"Abs", {{{f({3, 4}, kSpaced)}}}},
    {"Sin", {{{f({2, 3})}}}},
    {"Cos", {{{f({2, 3})}}}},
    {"Tan", {{{f({2, 3})}}}},
    {"Asin", {{{f({2, 3}, kSpaced)}}}},
    {"Acos", {{{f({2, 3}, kSpaced)}}}},
    {"Atan", {{{f({2, 3})}}}},
    {"Sinh", {{{f({2, 3})}}}},
    {"Cosh", {{{f({2, 3})}}}},
    {"Asinh", {{{f({2, 3})}}}},
    {"Acosh", {{{f({2, 3}, kAboveOne)}}}},
    {"Atanh", {{{f({2, 3}, kSpaced)}}}},
    {"Softplus", {{{f({2, 3})}}}},
    {"Softsign", {{{f({3, 4}, kSpaced)}}}},
    // 64 spaced values span [-3.18, 3.12], both kinks (±3) 0.02 from the nearest.
    {"HardSwish", {{{f({8, 8}, kSpaced)}}}},
    {"LeakyRelu", {{{f({3, 4}, kSpaced)}}, {{f({3, 4}, kSpaced)}, attr("alpha", "f: 0.3")}}},
    {"Elu", {{{f({3, 4}, kSpaced)}}, {{f({3, 4}, kSpaced)}, attr("alpha", "f: 0.5")}}},
    {"Celu", {{{f({3, 4}, kSpaced)}}, {{f({2, 3})}, attr("alpha", "f: 0.7")}}},
    {"Selu", {{{f({3, 4}, kSpaced)}}}},
    // Kinks at x = ±0.25, 0.03 from the nearest spaced values.
    {"HardSigmoid", {{{f({3, 4}, kSpaced)}, attr("alpha", "f: 2") + attr("beta", "f: 0.5")}}},
    // A jump at x = 0.15, between the spaced 0.12 and 0.22.
    {"ThresholdedRelu", {{{f({3, 4}, kSpaced)}, attr("alpha", "f: 0.15")}}},
    // Jumps at ±0.25, 0.03 from the nearest spaced values.
    {"Shrink", {{{f({3, 4}, kSpaced)}, attr("lambd", "f: 0.25") + attr("bias", "f: 0.1")}}},
    // |a| <= 0.28 < b: a/b crosses an integer only where a crosses 0, which
    // the spaced values never come near.
    {"Mod",
     {{{f({2, 3}, kSpaced), f({3}, kPositive)}},
      {{f({2, 3}, kSpaced), f({2, 1}, kPositive)}, attr("fmod", "b: true")}}},
    {"PRelu", {{{f({2, 3, 4}, kSpaced), f({3, 1})}}, {{f({2, 3}, kSpaced), f({3})}}}},
    // Tensor ops.
    {"Squeeze", {{{f({2, 1, 3, 1})}, ints("axes", {1, 3})}, {{f({1, 3, 1})}}}},
    {"Unsqueeze", {{{f({2, 3})}, ints("axes", {0, 3})}}},
    {"Tile", {{{f({2, 3})}, ints("repeats", {2, 3})}, {{f({1, 2, 2})}, ints("repeats", {3, 1, 2})}}},
    {"GatherElements",
     {{{f({3, 4}), indices({2, 4}, 3)}},
      {{f({3, 4}), indices({4, 3}, 3, "DT_INT32")}},
      {{f({3, 4}), indices({3, 5}, 4)}, attr("axis", "i: -1")}}},
    // Index ops. TopK's spaced values never tie, nor swap places under ±ε.
    {"TopK",
     {{{f({3, 5}, kSpaced)}, attr("k", "i: 3"), {0}},
      {{f({4, 2, 3}, kSpaced)}, attr("k", "i: 2") + attr("axis", "i: 0") + attr("largest", "b: false"), {0}}}},
    {"GatherND",
     {{{f({3, 4}), indices({5, 2}, 3)}},
      {{f({2, 3, 4}), indices({2, 2, 1}, 3, "DT_INT32")}, attr("batch_dims", "i: 1")},
      {{f({2, 3, 4}), indices({2, 3, 2}, 3)}, attr("batch_dims", "i: 1")}}},
    // Without a reduction the tuples must not repeat (ONNX leaves repeats undefined).
    {"ScatterND",
     {{{f({5, 3}), distinct({3, 1}), f({3, 3})}},
      {{f({4, 3}), indices({5, 2}, 3), f({5})}, attr("reduction", "s: 'add'")}}},
    {"Trilu", {{{f({2, 3, 4})}, attr("k", "i: 1")}, {{f({4, 3})}, attr("upper", "b: false") + attr("k", "i: -1")}}},
    {"CumSum",
     {{{f({2, 4})}, attr("axis", "i: 1")},
      {{f({3, 2})}, attr("axis", "i: 0") + attr("exclusive", "b: true") + attr("reverse", "b: true")},
      {{f({2, 3})}, attr("axis", "i: -1") + attr("exclusive", "b: true")}}},
    {"Where",
     {{{mask({2, 3}), f({2, 3}), f({3})}},
      {{mask({3, 1}), f({1, 4}), f({3, 4})}}}},
    // More reductions.
    {"ReduceMin",
     {{{f({2, 3, 4}, kSpaced)}, ints("axes", {1})},
      {{f({2, 3, 4}, kSpaced)}, ints("axes", {0, 2}) + attr("keepdims", "b: false")}}},
    // The product is multilinear, so central differences are exact at zeros
    // too: in the third case, rows 4, 1 and 0 hold no, one and two zeros.
    {"ReduceProd",
     {{{f({2, 3, 4})}, ints("axes", {1})},
      {{f({2, 3})}, attr("keepdims", "b: false")},
      {{f({6, 4}, kZeros)}, ints("axes", {1})}}},
    {"SoftmaxCrossEntropy", {{{f({4, 5}), labels({4}, 5)}}}},
    {"MeanSquaredError", {{{f({3, 4}), f({3, 4})}}}},
};

/// Ops without a gradient builder, and why.
const std::map<std::string, std::string> kNotDifferentiable = {
    {"Placeholder", "a graph input: differentiated with respect to, not through"},
    {"Variable", "trainable state: differentiated with respect to, not through"},
    {"Const", "a literal"},
    {"ReluGrad", "a backward op (no second derivatives)"},
    {"GeluGrad", "a backward op"},
    {"MaximumGrad", "a backward op"},
    {"MinimumGrad", "a backward op"},
    {"ReduceMaxGrad", "a backward op"},
    {"Conv2DBackpropInput", "a backward op"},
    {"Conv2DBackpropFilter", "a backward op"},
    {"MaxPoolGrad", "a backward op"},
    {"AvgPoolGrad", "a backward op"},
    {"LayerNormGrad", "a backward op"},
    {"BatchNormTrainingGrad", "a backward op"},
    {"SliceGrad", "a backward op"},
    {"PadGrad", "a backward op"},
    {"GatherGrad", "a backward op"},
    {"ResizeGrad", "a backward op"},
    {"LSTMGrad", "a backward op"},
    {"GRUGrad", "a backward op"},
    {"SoftmaxCrossEntropyGrad", "a backward op"},
    {"LabelMask", "made by fuse-elementwise after autodiff; constant in the logits"},
    {"And", "bool"}, {"Or", "bool"}, {"Xor", "bool"}, {"Not", "bool"},
    {"Equal", "bool output"}, {"Greater", "bool output"}, {"GreaterOrEqual", "bool output"},
    {"Less", "bool output"}, {"LessOrEqual", "bool output"}, {"IsInf", "bool output"}, {"IsNaN", "bool output"},
    {"ArgMax", "integer output"}, {"ArgMin", "integer output"}, {"Shape", "integer output"}, {"Size", "integer output"},
    {"Sign", "piecewise constant: zero gradient"}, {"Floor", "piecewise constant: zero gradient"},
    {"Ceil", "piecewise constant: zero gradient"}, {"Round", "piecewise constant: zero gradient"},
    {"SGDUpdate", "an optimizer update: applies gradients"}, {"MomentumUpdate", "an optimizer update"},
    {"AdamUpdate", "an optimizer update"},
    {"FusedConv2D", "made by fusion, after autodiff"}, {"FusedDense", "made by fusion, after autodiff"},
    {"FusedMatMul", "made by fusion, after autodiff"}, {"FusedElementwise", "made by fusion, after autodiff"},
};

/// Values for an input, deterministic per (case, input).
template <class T>
std::vector<T> fill_values(const Input& in, size_t input_index, std::mt19937& rng) {
  auto n = static_cast<size_t>(num_elements(in.shape));
  std::vector<T> values(n);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f), positive(0.5f, 2.0f), above_one(1.5f, 3.0f);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::shuffle(order.begin(), order.end(), rng);
  for (size_t i = 0; i < n; ++i) {
    switch (in.fill) {
      case Fill::uniform: values[i] = static_cast<T>(uniform(rng)); break;
      case Fill::positive: values[i] = static_cast<T>(positive(rng)); break;
      case Fill::above_one: values[i] = static_cast<T>(above_one(rng)); break;
      case Fill::zeros: values[i] = static_cast<T>(i % 7 < 2 ? 0.0f : uniform(rng)); break;
      case Fill::spaced:
        values[i] = static_cast<T>((static_cast<float>(order[i]) - static_cast<float>(n / 2)) * 0.1f + 0.02f +
                                   0.03f * static_cast<float>(input_index));
        break;
      case Fill::labels: values[i] = static_cast<T>(static_cast<int64_t>(rng() % in.range)); break;
      case Fill::indices: values[i] = static_cast<T>(static_cast<int64_t>(rng() % (2 * in.range)) - in.range); break;
      case Fill::distinct: values[i] = static_cast<T>(order[i]); break;
    }
  }
  return values;
}

Tensor input_tensor(const Input& in, size_t input_index, std::mt19937& rng) {
  if (in.dtype == "DT_BOOL") {
    std::vector<int32_t> values = fill_values<int32_t>(in, input_index, rng);
    Tensor t(DType::boolean, in.shape);
    for (size_t i = 0; i < values.size(); ++i) t.data<bool>()[i] = values[i] != 0;
    return t;
  }
  if (in.dtype == "DT_INT32") return make_tensor<int32_t>(in.shape, fill_values<int32_t>(in, input_index, rng));
  if (in.dtype == "DT_INT64") return make_tensor<int64_t>(in.shape, fill_values<int64_t>(in, input_index, rng));
  return make_tensor<float>(in.shape, fill_values<float>(in, input_index, rng));
}

/// The GraphDef text of Placeholders x0.. → op y, without the loss.
std::string forward_text(const std::string& op, const Case& c) {
  std::string text;
  std::vector<std::string> names;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    names.push_back(fmt::format("x{}", i));
    text += placeholder_node(names.back(), c.inputs[i].shape, c.inputs[i].dtype);
  }
  return text + op_node("y", op, names, c.attrs);
}

/// The full graph: forward, then loss = Σ ReduceSum(y_i · r_i).
std::string loss_text(const std::string& op, const Case& c, std::mt19937& rng) {
  auto forward = import_text(forward_text(op, c) + signature_text({}, {{"y", "y"}}));
  passes::PassContext ctx;
  passes::infer_shapes(*forward, ctx);
  const ir::Node* y = forward->find("y");
  std::vector<int> used = c.outputs;
  if (used.empty()) {
    for (size_t i = 0; i < y->num_outputs(); ++i) used.push_back(static_cast<int>(i));
  }
  std::string text = forward_text(op, c);
  std::string sum;
  std::uniform_real_distribution<float> weight(-1.0f, 1.0f);
  for (int i : used) {
    const Shape& shape = y->output(i)->type().shape;
    std::vector<float> r(static_cast<size_t>(num_elements(shape)));
    for (float& v : r) v = weight(rng);
    std::string port = i == 0 ? "y" : fmt::format("y:{}", i);
    text += const_node(fmt::format("r{}", i), shape, r) +
            op_node(fmt::format("p{}", i), "Mul", {port, fmt::format("r{}", i)}) +
            op_node(fmt::format("s{}", i), "ReduceSum", {fmt::format("p{}", i)}, attr("keepdims", "b: false"));
    std::string term = fmt::format("s{}", i);
    if (!sum.empty()) text += op_node(fmt::format("t{}", i), "Add", {sum, term});
    sum = sum.empty() ? term : fmt::format("t{}", i);
  }
  std::vector<std::pair<std::string, std::string>> inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i) inputs.emplace_back(fmt::format("x{}", i), fmt::format("x{}", i));
  return text + op_node("loss", "Identity", {sum}) + signature_text(inputs, {{"loss", "loss"}});
}

/// Checks one case; returns the number of gradient elements compared.
size_t check_case(const std::string& op, const Case& c, size_t case_index) {
  std::mt19937 rng(static_cast<uint32_t>(std::hash<std::string>{}(op) + case_index));
  auto graph = import_text(loss_text(op, c, rng));
  passes::PassContext ctx;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    if (c.inputs[i].dtype == "DT_FLOAT") ctx.wrt.push_back(fmt::format("x{}", i));
  }
  passes::verify(*graph, ctx);
  passes::infer_shapes(*graph, ctx);
  passes::autodiff(*graph, ctx);
  CompileOptions options;
  options.opt_level = 1;
  std::ostringstream diag;
  Session session(Module::from_proto(compile_graph(*graph, options, diag)));

  std::vector<Tensor> inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    inputs.push_back(input_tensor(c.inputs[i], i, rng));
    session.set_input(fmt::format("x{}", i), inputs.back());
  }
  session.run();
  auto loss_at = [&](size_t i, int64_t e, float value) {
    Tensor& x = session.input(fmt::format("x{}", i));
    float saved = x.data<float>()[e];
    x.data<float>()[e] = value;
    session.run();
    x.data<float>()[e] = saved;
    return static_cast<double>(session.output("loss").data<float>()[0]);
  };
  const double eps = 1e-2;
  size_t compared = 0;
  for (const std::string& name : ctx.wrt) {
    size_t i = std::stoul(name.substr(1));
    session.run();
    std::vector<float> analytic = values_of<float>(session.output("grad/" + name));
    for (int64_t e = 0; e < inputs[i].num_elements(); ++e) {
      float x = inputs[i].data<float>()[e];
      double numeric = (loss_at(i, e, static_cast<float>(x + eps)) - loss_at(i, e, static_cast<float>(x - eps))) /
                       (2 * eps);
      double a = analytic[static_cast<size_t>(e)];
      INFO(op << " case " << case_index << ": d loss / d " << name << "[" << e << "] analytic " << a << ", numeric "
              << numeric);
      CHECK(std::abs(a - numeric) <= c.atol + c.rtol * std::max(std::abs(a), std::abs(numeric)));
      ++compared;
    }
  }
  return compared;
}

}  // namespace

TEST_CASE("Every op either has a gradient with a check configuration or is declared not differentiable",
          "[grad]") {
  const auto& registry = ops::OpRegistry::global();
  for (const std::string& op : registry.names()) {
    INFO("op " << op);
    if (registry.find(op)->gradient) {
      CHECK(kCases.count(op) == 1);  // a differentiable op needs a configuration in kCases
      CHECK(kNotDifferentiable.count(op) == 0);
    } else {
      CHECK(kNotDifferentiable.count(op) == 1);  // add a gradient builder, or list the op in kNotDifferentiable
    }
  }
  for (const auto& [op, cases] : kCases) {
    INFO("op " << op);
    CHECK(registry.find(op) != nullptr);
    CHECK(!cases.empty());
  }
}

TEST_CASE("Analytic gradients match central differences for every differentiable op", "[grad]") {
  const auto& registry = ops::OpRegistry::global();
  for (const auto& [op, cases] : kCases) {
    if (registry.find(op) == nullptr || !registry.find(op)->gradient) continue;  // reported by the test above
    for (size_t i = 0; i < cases.size(); ++i) {
      DYNAMIC_SECTION(op << " case " << i) { CHECK(check_case(op, cases[i], i) > 0); }
    }
  }
}
