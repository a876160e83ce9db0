// LSTM and GRU (rnn_ops.cc, reference/rnn_kernels.cc, onednn/rnn_kernels.cc):
// shape inference and its errors; properties of the reference kernels
// (sequence lengths, reverse and bidirectional runs, layout 1); the oneDNN
// kernels against the reference kernels on several geometries; both against
// PyTorch's LSTM and GRU, forward and backward (vectors in tests/data/rnn,
// written by make_vectors.py there); the fallback with a reason for what
// oneDNN does not serve. The gradients are also checked by finite
// differences in gradient_check_test.cc and the forward kernels against
// ONNX's test data by the conformance suite.
//
// Tolerance of oneDNN against the reference, forward and backward: rtol
// 1e-4, atol 1e-5 (f32 sums in another order, and oneDNN's own sigmoid and
// tanh).
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>

#include "compiler/ops/op_schema.h"
#include "graphc/session.h"
#include "graphc/npy.h"
#include "op_family_test_util.h"
#include "runtime/core/rnn_shapes.h"
#include "runtime/src/kernel_selection.h"
#include "runtime/src/module_impl.h"
#include "test_graphs.h"

using namespace graphc;
using namespace graphc::testing;
using ops::attr_bool;
using ops::attr_float;
using ops::attr_int;
using ops::attr_string;

namespace {

TensorType f32(Shape shape) { return {DType::f32, std::move(shape)}; }

/// Random inputs X, W, R, B (and initial_h, initial_c, P when `states`)
/// for `geometry`, with all-T sequence lengths in between.
std::vector<Tensor> random_inputs(const RnnGeometry& g, size_t count, uint32_t seed) {
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < count; ++i) {
    if (i == kRnnSequenceLens) {
      Tensor lengths(DType::i32, {g.batch});
      std::fill_n(lengths.data<int32_t>(), g.batch, static_cast<int32_t>(g.seq_length));
      inputs.push_back(lengths);
    } else {
      inputs.push_back(random_tensor(g.input(i), seed + static_cast<uint32_t>(i), -0.6f, 0.6f));
    }
  }
  return inputs;
}

RnnGeometry geometry(RnnCell cell, int64_t T, int64_t N, int64_t I, int64_t H, const std::string& direction,
                     int64_t layout = 0) {
  RnnGeometry g;
  g.cell = cell;
  g.seq_length = T, g.batch = N, g.input_size = I, g.hidden = H, g.layout = layout;
  g.directions = direction == "bidirectional" ? 2 : 1;
  g.reverse = direction == "reverse";
  return g;
}

const char* op_of(RnnCell cell) { return cell == RnnCell::lstm ? "LSTM" : "GRU"; }

Attrs rnn_attrs(const std::string& direction, int64_t layout = 0) {
  return {{"direction", attr_string(direction)}, {"layout", attr_int(layout)}};
}

void expect_close(const Tensor& got, const Tensor& want, float rtol, float atol, const std::string& what) {
  REQUIRE(got.type() == want.type());
  int64_t bad = 0;
  for (int64_t i = 0; i < got.num_elements(); ++i) {
    float g = got.data<float>()[i], w = want.data<float>()[i];
    if (std::abs(g - w) <= atol + rtol * std::abs(w)) continue;
    if (bad++ < 5) UNSCOPED_INFO(fmt::format("{} element {}: got {} want {}", what, i, g, w));
  }
  CHECK(bad == 0);
}

/// The kernel selection picks for a spec at -O2, with inputs `constants`
/// (by index) passed as module constants.
SelectedKernel select_rnn(const AttrMap& attrs, const std::vector<Tensor>& inputs,
                          const std::vector<TensorType>& outputs, const std::vector<size_t>& constants) {
  std::vector<TensorType> in_types;
  for (const Tensor& t : inputs) in_types.push_back(t.type());
  std::vector<const Tensor*> constant_ptrs(inputs.size(), nullptr);
  for (size_t i : constants) constant_ptrs[i] = &inputs[i];
  return select_kernel(KernelSpec{attrs, in_types, outputs, constant_ptrs}, proto::OPTIMISED_KERNEL);
}

std::vector<Tensor> run(const Kernel& kernel, const std::vector<Tensor>& inputs, const std::vector<TensorType>& types) {
  std::vector<Tensor> outputs(types.begin(), types.end());
  std::vector<const Tensor*> in;
  std::vector<Tensor*> out;
  for (const Tensor& t : inputs) in.push_back(&t);
  for (Tensor& t : outputs) out.push_back(&t);
  kernel.run(in, out);
  return outputs;
}

std::vector<TensorType> output_types(const RnnGeometry& g) {
  std::vector<TensorType> types;
  for (const Shape& s : g.outputs()) types.push_back(f32(s));
  return types;
}

/// The gradient op's output types: dX, dW, dR, dB, d_initial_h (, d_initial_c, dP).
std::vector<TensorType> grad_output_types(const RnnGeometry& g) {
  std::vector<TensorType> types{f32(g.x()), f32(g.w()), f32(g.r()), f32(g.b()), f32(g.state())};
  if (g.cell == RnnCell::lstm) {
    types.push_back(f32(g.state()));
    types.push_back(f32(g.p()));
  }
  return types;
}

/// The gradient op's inputs: random output gradients, then random_inputs.
std::vector<Tensor> grad_inputs(const RnnGeometry& g, size_t count, uint32_t seed) {
  std::vector<Tensor> inputs;
  for (const TensorType& t : output_types(g)) inputs.push_back(random_tensor(t.shape, seed++, -1.0f, 1.0f));
  for (Tensor& t : random_inputs(g, count, seed)) inputs.push_back(std::move(t));
  return inputs;
}

/// Runs `inputs` of `op` on the oneDNN kernel (which must be chosen) and on
/// the reference kernel, and compares every output. The
/// forward op's inputs start at `first`; its sequence_lens is always a
/// constant (oneDNN needs it to be all T), W, R, B and P are when
/// `constant_weights`.
void check_onednn(const std::string& op, const Attrs& attrs, const std::vector<Tensor>& inputs,
                  const std::vector<TensorType>& outputs, size_t first, bool constant_weights) {
  AttrMap map = attrs_with_defaults(op, attrs);
  std::vector<size_t> constants;
  for (size_t i : {kRnnW, kRnnR, kRnnB, kRnnSequenceLens, kRnnP}) {
    if (first + i < inputs.size() && (constant_weights || i == kRnnSequenceLens)) constants.push_back(first + i);
  }
  SelectedKernel fast = select_rnn(map, inputs, outputs, constants);
  INFO("fallback reason: " << fast.fallback_reason);
  REQUIRE(fast.backend == "onednn");
  std::vector<TensorType> in_types;
  for (const Tensor& t : inputs) in_types.push_back(t.type());
  auto reference = KernelRegistry::reference().create(KernelSpec{map, in_types, outputs});
  std::vector<Tensor> want = run(*reference, inputs, outputs);
  // Twice: the second run reuses the thread's scratch block.
  for (int repeat = 0; repeat < 2; ++repeat) {
    std::vector<Tensor> got = run(*fast.kernel, inputs, outputs);
    for (size_t i = 0; i < got.size(); ++i) expect_close(got[i], want[i], 1e-4f, 1e-5f, fmt::format("output {}", i));
  }
}

/// The geometries the oneDNN kernels are checked on.
struct CheckedGeometry {
  int64_t T, N, I, H;
  const char* direction;
  int64_t layout;
  size_t inputs;  // how many of X, W, R, B, sequence_lens, initial_h, initial_c, P
};
const CheckedGeometry kCheckedGeometries[] = {
    {5, 3, 4, 8, "forward", 0, 3},        // no bias, zero states
    {4, 1, 3, 5, "reverse", 0, 4},        // batch 1, odd hidden size, bias
    {6, 2, 5, 7, "bidirectional", 0, 6},  // initial_h
    {3, 4, 2, 3, "bidirectional", 1, 8},  // layout 1, every input (peepholes for LSTM)
    {7, 2, 6, 1, "forward", 0, 7},        // hidden size 1, initial_c
    {9, 16, 32, 64, "bidirectional", 0, 8},  // large enough for oneDNN's blocked weights
};

}  // namespace

TEST_CASE("LSTM and GRU shapes", "[rnn][ops]") {
  auto lstm = infer_types("LSTM", {f32({5, 2, 3}), f32({1, 16, 3}), f32({1, 16, 4})});
  REQUIRE(lstm.size() == 3);
  CHECK(lstm[0].shape == Shape{5, 1, 2, 4});
  CHECK(lstm[1].shape == Shape{1, 2, 4});
  CHECK(lstm[2].shape == Shape{1, 2, 4});
  auto gru = infer_types("GRU", {f32({2, 5, 3}), f32({2, 12, 3}), f32({2, 12, 4}), f32({2, 24})},
                         rnn_attrs("bidirectional", 1));
  REQUIRE(gru.size() == 2);
  CHECK(gru[0].shape == Shape{2, 5, 2, 4});
  CHECK(gru[1].shape == Shape{2, 2, 4});
  auto with_lengths = infer_types(
      "LSTM", {f32({5, 2, 3}), f32({1, 16, 3}), f32({1, 16, 4}), f32({1, 32}), {DType::i64, {2}}, f32({1, 2, 4}),
               f32({1, 2, 4}), f32({1, 12})},
      {{"hidden_size", attr_int(4)}});
  CHECK(with_lengths[0].shape == Shape{5, 1, 2, 4});
  auto grads = infer_types("LSTMGrad", {f32({5, 1, 2, 4}), f32({1, 2, 4}), f32({1, 2, 4}), f32({5, 2, 3}),
                                        f32({1, 16, 3}), f32({1, 16, 4})});
  REQUIRE(grads.size() == 7);
  CHECK(grads[0].shape == Shape{5, 2, 3});
  CHECK(grads[3].shape == Shape{1, 32});
  CHECK(grads[6].shape == Shape{1, 12});
  // An output gradient may be a scalar (its value everywhere); another shape is an error.
  auto scalar_grads = infer_types("GRUGrad", {f32({}), f32({1, 2, 4}), f32({5, 2, 3}), f32({1, 12, 3}),
                                              f32({1, 12, 4})});
  CHECK(scalar_grads[0].shape == Shape{5, 2, 3});
  require_node_error([] { infer_types("GRUGrad", {f32({5, 1, 2, 4}), f32({2, 4}), f32({5, 2, 3}), f32({1, 12, 3}),
                                                  f32({1, 12, 4})}); },
                     "input 1 has type f32[2,4], expected f32[1,2,4] (the type of the forward op's output 1) or f32[]");
}

TEST_CASE("LSTM and GRU shape errors name the node and what is wrong", "[rnn][ops]") {
  require_node_error([] { infer_types("LSTM", {f32({5, 2, 3}), f32({1, 12, 3}), f32({1, 16, 4})}); },
                     "input 1 (W) has shape [1,12,3], expected [num_directions, gates·hidden_size, input_size] = "
                     "[1,16,3]");
  require_node_error(
      [] {
        infer_types("GRU", {f32({5, 2, 3}), f32({1, 12, 3}), f32({1, 12, 4})}, {{"hidden_size", attr_int(5)}});
      },
      "input 1 (W) has shape [1,12,3], expected [num_directions, gates·hidden_size, input_size] = [1,15,3]");
  require_node_error(
      [] { infer_types("GRU", {f32({5, 2, 3}), f32({1, 12, 3}), f32({1, 12, 4})}, rnn_attrs("bidirectional")); },
      "num_directions = 2 for direction 'bidirectional'");
  require_node_error([] { infer_types("GRU", {f32({5, 2, 3}), f32({1, 12, 3}), f32({1, 12, 4})}, rnn_attrs("up")); },
                     "attribute 'direction' = 'up' must be forward, reverse or bidirectional");
  require_node_error(
      [] {
        proto::AttrValue relu;
        relu.mutable_list()->add_s("Relu");
        relu.mutable_list()->add_s("Tanh");
        infer_types("GRU", {f32({5, 2, 3}), f32({1, 12, 3}), f32({1, 12, 4})}, {{"activations", relu}});
      },
      "attribute 'activations' = [Relu, Tanh] is not supported");
  require_node_error(
      [] {
        infer_types("GRU", {f32({5, 2, 3}), f32({1, 12, 3}), f32({1, 12, 4}), f32({1, 24}), f32({2})});
      },
      "input 4 has dtype f32");
  require_node_error(
      [] { infer_types("LSTM", {f32({5, 2, 3}), f32({1, 16, 3}), f32({1, 16, 4})}, {{"clip", attr_float(-1)}}); },
      "attribute 'clip' = -1 must be > 0");
  require_node_error(
      [] {
        infer_types("LSTM", {f32({5, 2, 3}), f32({1, 16, 3}), f32({1, 16, 4}), f32({1, 32}), {DType::i32, {2}},
                             f32({2, 1, 4})});
      },
      "input 5 (initial_h) has shape [2,1,4], expected [num_directions, batch, hidden_size] = [1,2,4]");
}

TEST_CASE("LSTM and GRU reference kernels: sequence lengths, reverse, bidirectional, layout 1", "[rnn][kernels]") {
  RnnCell cell = GENERATE(RnnCell::lstm, RnnCell::gru);
  INFO(op_of(cell));
  const char* op = op_of(cell);
  RnnGeometry g = geometry(cell, 4, 3, 2, 3, "forward");
  size_t count = cell == RnnCell::lstm ? 8 : 6;
  std::vector<Tensor> inputs = random_inputs(g, count, 5);
  Attrs attrs = cell == RnnCell::gru ? Attrs{{"linear_before_reset", attr_bool(true)}} : Attrs{};
  std::vector<Tensor> full = run_op(op, inputs, attrs);
  const int64_t T = 4, N = 3, H = 3;

  SECTION("a sequence of length L: Y is zero from L on and Y_h is Y at L - 1") {
    std::vector<Tensor> cut = inputs;
    cut[kRnnSequenceLens] = tensor<int32_t>({N}, {4, 2, 0});
    std::vector<Tensor> out = run_op(op, cut, attrs);
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t n = 0; n < N; ++n) {
        int64_t length = n == 0 ? 4 : n == 1 ? 2 : 0;
        for (int64_t j = 0; j < H; ++j) {
          float y = out[0].data<float>()[(t * N + n) * H + j];
          CHECK(y == (t < length ? full[0].data<float>()[(t * N + n) * H + j] : 0.0f));
          float last = length == 0 ? inputs[kRnnInitialH].data<float>()[n * H + j]
                                   : out[0].data<float>()[((length - 1) * N + n) * H + j];
          if (t == 0) CHECK(out[1].data<float>()[n * H + j] == last);
        }
      }
    }
  }

  SECTION("reverse is forward over the time-reversed X, and bidirectional stacks both") {
    Tensor reversed_x(inputs[0].type());
    for (int64_t t = 0; t < T; ++t) {
      std::copy_n(inputs[0].data<float>() + (T - 1 - t) * N * 2, N * 2, reversed_x.data<float>() + t * N * 2);
    }
    std::vector<Tensor> reversed_inputs = inputs;
    reversed_inputs[0] = reversed_x;
    std::vector<Tensor> forward_of_reversed = run_op(op, reversed_inputs, attrs);
    Attrs reverse_attrs = attrs;
    reverse_attrs["direction"] = attr_string("reverse");
    std::vector<Tensor> reverse = run_op(op, inputs, reverse_attrs);
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t i = 0; i < N * H; ++i) {
        CHECK(reverse[0].data<float>()[t * N * H + i] == forward_of_reversed[0].data<float>()[(T - 1 - t) * N * H + i]);
      }
    }
    CHECK(values<float>(reverse[1]) == values<float>(forward_of_reversed[1]));

    // Bidirectional: direction 0 has the forward weights, direction 1 the reverse's.
    RnnGeometry bi = geometry(cell, T, N, 2, H, "bidirectional");
    std::vector<Tensor> bi_inputs{inputs[0]};
    for (size_t i = 1; i < count; ++i) {
      if (i == kRnnSequenceLens) {
        bi_inputs.push_back(inputs[i]);
        continue;
      }
      Tensor both(DType::f32, bi.input(i));
      std::copy_n(inputs[i].data<float>(), inputs[i].num_elements(), both.data<float>());
      std::copy_n(inputs[i].data<float>(), inputs[i].num_elements(), both.data<float>() + inputs[i].num_elements());
      bi_inputs.push_back(both);
    }
    Attrs bi_attrs = attrs;
    bi_attrs["direction"] = attr_string("bidirectional");
    std::vector<Tensor> out = run_op(op, bi_inputs, bi_attrs);
    CHECK(out[0].shape() == Shape{T, 2, N, H});
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t i = 0; i < N * H; ++i) {
        CHECK(out[0].data<float>()[(t * 2) * N * H + i] == full[0].data<float>()[t * N * H + i]);
        CHECK(out[0].data<float>()[(t * 2 + 1) * N * H + i] == reverse[0].data<float>()[t * N * H + i]);
      }
    }
  }

  SECTION("layout 1 is layout 0 with batch and time (or direction) swapped") {
    RnnGeometry batchwise = geometry(cell, T, N, 2, H, "forward", 1);
    std::vector<Tensor> swapped = inputs;
    auto swap01 = [](const Tensor& t, int64_t a, int64_t b, int64_t inner) {
      Tensor out(DType::f32, {b, a, inner});
      for (int64_t i = 0; i < a; ++i) {
        for (int64_t j = 0; j < b; ++j) {
          std::copy_n(t.data<float>() + (i * b + j) * inner, inner, out.data<float>() + (j * a + i) * inner);
        }
      }
      return out;
    };
    swapped[0] = swap01(inputs[0], T, N, 2);
    swapped[kRnnInitialH] = swap01(inputs[kRnnInitialH], 1, N, H);
    if (cell == RnnCell::lstm) swapped[kRnnInitialC] = swap01(inputs[kRnnInitialC], 1, N, H);
    Attrs batch_attrs = attrs;
    batch_attrs["layout"] = attr_int(1);
    std::vector<Tensor> out = run_op(op, swapped, batch_attrs);
    CHECK(out[0].shape() == batchwise.y());
    CHECK(values<float>(out[0]) == values<float>(swap01(full[0], T, N, H)));
    CHECK(values<float>(out[1]) == values<float>(full[1]));
  }
}

TEST_CASE("oneDNN LSTM and GRU match the reference", "[rnn][kernels][onednn]") {
  RnnCell cell = GENERATE(RnnCell::lstm, RnnCell::gru);
  bool lbr = GENERATE(false, true);
  bool constant_weights = GENERATE(false, true);
  if (cell == RnnCell::lstm && lbr) return;  // linear_before_reset is GRU's
  for (const CheckedGeometry& c : kCheckedGeometries) {
    RnnGeometry g = geometry(cell, c.T, c.N, c.I, c.H, c.direction, c.layout);
    size_t count = std::min(c.inputs, g.max_inputs());
    INFO(fmt::format("{} lbr {} constant {}: T {} N {} I {} H {} {} layout {} with {} inputs", op_of(cell), lbr,
                     constant_weights, c.T, c.N, c.I, c.H, c.direction, c.layout, count));
    Attrs attrs = rnn_attrs(c.direction, c.layout);
    if (cell == RnnCell::gru) attrs["linear_before_reset"] = attr_bool(lbr);
    check_onednn(op_of(cell), attrs, random_inputs(g, count, 11), output_types(g), 0, constant_weights);
  }
}

TEST_CASE("oneDNN LSTMGrad and GRUGrad match the reference", "[rnn][kernels][onednn]") {
  RnnCell cell = GENERATE(RnnCell::lstm, RnnCell::gru);
  bool lbr = GENERATE(false, true);
  if (cell == RnnCell::lstm && lbr) return;
  for (const CheckedGeometry& c : kCheckedGeometries) {
    RnnGeometry g = geometry(cell, c.T, c.N, c.I, c.H, c.direction, c.layout);
    size_t count = std::min(c.inputs, g.max_inputs());
    INFO(fmt::format("{}Grad lbr {}: T {} N {} I {} H {} {} layout {} with {} inputs", op_of(cell), lbr, c.T, c.N,
                     c.I, c.H, c.direction, c.layout, count));
    Attrs attrs = rnn_attrs(c.direction, c.layout);
    if (cell == RnnCell::gru) attrs["linear_before_reset"] = attr_bool(lbr);
    check_onednn(std::string(op_of(cell)) + "Grad", attrs, grad_inputs(g, count, 31), grad_output_types(g),
                 g.num_outputs(), false);
  }
}

TEST_CASE("A scalar output gradient of LSTMGrad and GRUGrad stands for its value everywhere",
          "[rnn][kernels][onednn]") {
  RnnCell cell = GENERATE(RnnCell::lstm, RnnCell::gru);
  RnnGeometry g = geometry(cell, 4, 3, 2, 5, "bidirectional", 1);
  std::string op = std::string(op_of(cell)) + "Grad";
  std::vector<Tensor> full = grad_inputs(g, 6, 5);
  std::vector<Tensor> scalars = full;
  for (size_t i = 0; i < g.num_outputs(); ++i) {
    float value = 0.25f * static_cast<float>(i) - 0.3f;
    std::fill_n(full[i].data<float>(), full[i].num_elements(), value);
    scalars[i] = Tensor(DType::f32, {});
    scalars[i].data<float>()[0] = value;
  }
  AttrMap attrs = attrs_with_defaults(op, rnn_attrs("bidirectional", 1));
  std::vector<TensorType> in_types;
  for (const Tensor& t : full) in_types.push_back(t.type());
  auto reference = KernelRegistry::reference().create(KernelSpec{attrs, in_types, grad_output_types(g)});
  std::vector<Tensor> want = run(*reference, full, grad_output_types(g));
  check_onednn(op, rnn_attrs("bidirectional", 1), scalars, grad_output_types(g), g.num_outputs(), false);
  std::vector<TensorType> scalar_types;
  for (const Tensor& t : scalars) scalar_types.push_back(t.type());
  auto scalar_reference = KernelRegistry::reference().create(KernelSpec{attrs, scalar_types, grad_output_types(g)});
  std::vector<Tensor> got = run(*scalar_reference, scalars, grad_output_types(g));
  for (size_t i = 0; i < got.size(); ++i) CHECK(values<float>(got[i]) == values<float>(want[i]));
}

// PyTorch's GRU is ONNX's with linear_before_reset = 1. PyTorch computed in
// float64 from the same float32 inputs: rtol 1e-4, atol 1e-5 as above.
TEST_CASE("LSTM, GRU and their gradients match PyTorch, on the reference and the oneDNN kernels",
          "[rnn][kernels][onednn]") {
  RnnCell cell = GENERATE(RnnCell::lstm, RnnCell::gru);
  bool lstm = cell == RnnCell::lstm;
  std::string name = lstm ? "lstm" : "gru";
  auto vector = [&](const std::string& what) {
    return read_npy(fmt::format("{}/tests/data/rnn/{}_{}.npy", GRAPHC_SOURCE_DIR, name, what));
  };
  RnnGeometry g = geometry(cell, 5, 3, 4, 6, "bidirectional");
  Tensor lengths(DType::i32, {g.batch});
  std::fill_n(lengths.data<int32_t>(), g.batch, static_cast<int32_t>(g.seq_length));
  std::vector<Tensor> inputs{vector("x"), vector("w"), vector("r"), vector("b"), lengths, vector("h0")};
  std::vector<Tensor> grad_inputs{vector("dy"), vector("dyh")};
  std::vector<Tensor> forward_want{vector("y"), vector("yh")};
  std::vector<Tensor> grad_want{vector("dx"), vector("dw"), vector("dr"), vector("db"), vector("dh0")};
  if (lstm) {
    inputs.push_back(vector("c0"));
    grad_inputs.push_back(vector("dyc"));
    forward_want.push_back(vector("yc"));
    grad_want.push_back(vector("dc0"));
    grad_want.push_back(Tensor(DType::f32, g.p()));  // no peepholes: dP is zero
    std::fill_n(grad_want.back().data<float>(), grad_want.back().num_elements(), 0.0f);
  }
  for (const Tensor& t : inputs) grad_inputs.push_back(t);
  Attrs attrs = rnn_attrs("bidirectional");
  if (!lstm) attrs["linear_before_reset"] = attr_bool(true);

  auto check = [&](const std::string& op, const std::vector<Tensor>& in, const std::vector<Tensor>& want,
                   size_t first) {
    AttrMap map = attrs_with_defaults(op, attrs);
    std::vector<TensorType> in_types, out_types;
    for (const Tensor& t : in) in_types.push_back(t.type());
    for (const Tensor& t : want) out_types.push_back(t.type());
    SelectedKernel fast = select_rnn(map, in, out_types, {first + kRnnSequenceLens});
    INFO("fallback reason: " << fast.fallback_reason);
    REQUIRE(fast.backend == "onednn");
    auto reference = KernelRegistry::reference().create(KernelSpec{map, in_types, out_types});
    for (const Kernel* kernel : {reference.get(), fast.kernel.get()}) {
      std::vector<Tensor> got = run(*kernel, in, out_types);
      for (size_t i = 0; i < got.size(); ++i) {
        expect_close(got[i], want[i], 1e-4f, 1e-5f,
                     fmt::format("{} output {} ({})", op, i, kernel == reference.get() ? "reference" : "oneDNN"));
      }
    }
  };
  check(op_of(cell), inputs, forward_want, 0);
  check(std::string(op_of(cell)) + "Grad", grad_inputs, grad_want, g.num_outputs());
}

TEST_CASE("bound oneDNN LSTM and LSTMGrad read X from the new storage a session input was given",
          "[rnn][onednn][session]") {
  // Layout 0: both kernels read X where it is stored (layout 1 copies it).
  std::string text = placeholder_node("x", {4, 2, 3}) + placeholder_node("w", {1, 20, 3}) +
                     placeholder_node("r", {1, 20, 5}) + placeholder_node("dy", {4, 1, 2, 5}) +
                     op_node("lstm", "LSTM", {"x", "w", "r"}) +
                     op_node("grad", "LSTMGrad", {"dy", "lstm:1", "lstm:2", "x", "w", "r"}) +
                     signature_text({{"x", "x"}, {"w", "w"}, {"r", "r"}, {"dy", "dy"}}, {{"y", "lstm"}, {"dx", "grad"}});
  auto module = Module::from_proto(compile_text(text, 2));
  int onednn_steps = 0;
  for (const LoadedStep& step : module->impl().steps) onednn_steps += step.backend == "onednn";
  REQUIRE(onednn_steps == 2);
  Tensor x1 = random_tensor({4, 2, 3}, 1), x2 = random_tensor({4, 2, 3}, 2);
  auto feed = [](Session& session, const Tensor& x) {
    session.set_input("x", x);
    session.set_input("w", random_tensor({1, 20, 3}, 3));
    session.set_input("r", random_tensor({1, 20, 5}, 4));
    session.set_input("dy", random_tensor({4, 1, 2, 5}, 5));
  };
  Session fresh(module);
  feed(fresh, x2);
  fresh.run();
  Session session(module);
  feed(session, x1);
  session.run();
  CHECK(values<float>(session.output("y")) != values<float>(fresh.output("y")));
  session.input("x") = x2;  // a handle to x2's storage, not a copy
  session.run();
  CHECK(values<float>(session.output("y")) == values<float>(fresh.output("y")));
  CHECK(values<float>(session.output("dx")) == values<float>(fresh.output("dx")));
}

TEST_CASE("LSTM and GRU fall back to the reference kernel for what oneDNN does not serve", "[rnn][kernels][onednn]") {
  RnnGeometry g = geometry(RnnCell::lstm, 4, 2, 3, 5, "forward");
  std::vector<Tensor> inputs = random_inputs(g, 5, 3);
  auto reason = [&](const Attrs& attrs, const std::vector<size_t>& constants) {
    SelectedKernel k = select_rnn(attrs_with_defaults("LSTM", attrs), inputs, output_types(g), constants);
    CHECK(k.backend == "reference");
    return k.fallback_reason;
  };
  CHECK_THAT(reason({{"clip", attr_float(1.0f)}}, {}), Catch::Contains("clip"));
  CHECK_THAT(reason({{"input_forget", attr_bool(true)}}, {}), Catch::Contains("input_forget"));
  CHECK_THAT(reason({}, {}), Catch::Contains("sequence_lens is not a module constant"));
  inputs[kRnnSequenceLens].data<int32_t>()[1] = 2;
  CHECK_THAT(reason({}, {kRnnSequenceLens}), Catch::Contains("sequence_lens[1] = 2 is not seq_length 4"));
  inputs[kRnnSequenceLens].data<int32_t>()[1] = 4;
  SelectedKernel served = select_rnn(attrs_with_defaults("LSTM", {}), inputs, output_types(g), {kRnnSequenceLens});
  CHECK(served.backend == "onednn");
}

TEST_CASE("a sequence length outside [0, T] is a run-time error naming the node", "[rnn][kernels]") {
  RnnGeometry g = geometry(RnnCell::gru, 3, 2, 2, 2, "forward");
  std::vector<Tensor> inputs = random_inputs(g, 5, 1);
  inputs[kRnnSequenceLens].data<int32_t>()[0] = 4;
  require_node_error([&] { run_op("GRU", inputs); }, "sequence_lens[0] = 4 is outside [0, 3]");
}

// Not run by default: `graphc_tests "[.rnn_timing]"` prints the oneDNN and
// reference kernels' times side by side on one LSTM and one GRU, forward
// and backward.
TEST_CASE("LSTM and GRU kernel timings, oneDNN against the reference", "[.rnn_timing]") {
  for (RnnCell cell : {RnnCell::lstm, RnnCell::gru}) {
    for (bool backward : {false, true}) {
      RnnGeometry g = geometry(cell, 32, 16, 64, 128, "bidirectional");
      std::string op = std::string(op_of(cell)) + (backward ? "Grad" : "");
      size_t first = backward ? g.num_outputs() : 0;
      std::vector<Tensor> inputs = backward ? grad_inputs(g, 4, 7) : random_inputs(g, 4, 7);
      AttrMap attrs = attrs_with_defaults(op, rnn_attrs("bidirectional"));
      std::vector<TensorType> outputs = backward ? grad_output_types(g) : output_types(g);
      SelectedKernel fast = select_rnn(attrs, inputs, outputs, {first + kRnnW, first + kRnnR, first + kRnnB});
      REQUIRE(fast.backend == "onednn");
      std::vector<TensorType> in_types;
      for (const Tensor& t : inputs) in_types.push_back(t.type());
      auto reference = KernelRegistry::reference().create(KernelSpec{attrs, in_types, outputs});
      auto seconds = [&](const Kernel& k, int iters) {
        run(k, inputs, outputs);
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < iters; ++i) run(k, inputs, outputs);
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / iters;
      };
      double onednn = seconds(*fast.kernel, 20);
      double ref = seconds(*reference, 3);
      WARN(fmt::format("{} T 32 N 16 I 64 H 128 bidirectional: oneDNN {:.3f} ms, reference {:.3f} ms, ratio {:.1f}x",
                       op, onednn * 1e3, ref * 1e3, ref / onednn));
    }
  }
}
