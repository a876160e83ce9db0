// The fusion passes and their kernels: fuse-epilogue (oneDNN post-ops) and
// fuse-elementwise (LLVM-generated loops). Each model is compiled at -O1
// (no fusion, reference kernels) and -O2; the outputs must agree within the
// tolerance stated per case, and the -O2 module must really use the fused
// kernel (not a silent fallback).
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <sstream>

#include "graphc/session.h"
#include "runtime/src/module_impl.h"
#include "test_graphs.h"

namespace graphc {
namespace {

using testing::compile_text;
using testing::const_node;
using testing::op_node;
using testing::placeholder_node;
using testing::random_tensor;
using testing::signature_text;

struct Input {
  std::string name;
  Shape shape;
  float low = -2.0f, high = 2.0f;
};

/// Runs `module` on `inputs` (random, seeded by position) and returns output `output`.
Tensor run(proto::Module module, const std::vector<Input>& inputs, const std::string& output) {
  Session session(Module::from_proto(std::move(module)));
  for (size_t i = 0; i < inputs.size(); ++i) {
    session.set_input(inputs[i].name, random_tensor(inputs[i].shape, 7 + static_cast<uint32_t>(i), inputs[i].low,
                                                    inputs[i].high));
  }
  session.run();
  return session.output(output).clone();
}

/// The steps of `module` that run op `op`, with the backend each loaded with.
std::vector<std::string> backends_of(const proto::Module& module, const std::string& op) {
  auto loaded = Module::from_proto(module);
  std::vector<std::string> backends;
  for (const auto& step : loaded->impl().steps) {
    if (step.op != op) continue;
    INFO(step.node << ": " << step.fallback_reason);
    backends.push_back(step.backend);
  }
  return backends;
}

void expect_close(const Tensor& got, const Tensor& want, float rtol, float atol) {
  REQUIRE(got.type() == want.type());
  const float* g = got.data<float>();
  const float* w = want.data<float>();
  int64_t bad = 0;
  for (int64_t i = 0; i < got.num_elements(); ++i) {
    bool same = g[i] == w[i] || (std::isnan(g[i]) && std::isnan(w[i]));  // incl. infinities
    if (same || std::abs(g[i] - w[i]) <= atol + rtol * std::abs(w[i])) continue;
    if (bad++ < 5) UNSCOPED_INFO(fmt::format("element {}: fused {} reference {}", i, g[i], w[i]));
  }
  CHECK(bad == 0);
}

/// Compiles `text` at -O1 and -O2, checks that -O2 has `fused_op` steps on
/// `backend`, and compares output `output`.
void check_fusion(const std::string& text, const std::vector<Input>& inputs, const std::string& output,
                  const std::string& fused_op, const std::string& backend, float rtol, float atol) {
  proto::Module reference = compile_text(text, 1);
  proto::Module fused = compile_text(text, 2);
  std::vector<std::string> backends = backends_of(fused, fused_op);
  REQUIRE(!backends.empty());
  for (const auto& b : backends) CHECK(b == backend);
  expect_close(run(fused, inputs, output), run(reference, inputs, output), rtol, atol);
}

std::string attr_text(const std::string& key, const std::string& value) {
  return fmt::format("attr {{ key: '{}' value {{ {} }} }}", key, value);
}

TEST_CASE("fuse-epilogue: Dense + Relu becomes one oneDNN matmul with a post-op", "[fusion][onednn]") {
  std::string text = placeholder_node("x", {5, 24}) + placeholder_node("w", {24, 17}) + placeholder_node("b", {17}) +
                     op_node("d", "Dense", {"x", "w", "b"}) + op_node("r", "Relu", {"d"}) +
                     signature_text({{"x", "x"}, {"w", "w"}, {"b", "b"}}, {{"y", "r"}});
  check_fusion(text, {{"x", {5, 24}}, {"w", {24, 17}}, {"b", {17}}}, "y", "FusedDense", "onednn", 1e-5f, 1e-5f);
  proto::Module fused = compile_text(text, 2);
  REQUIRE(fused.fusion_size() >= 1);
  CHECK(fused.fusion(0).pass() == "fuse-epilogue");
  CHECK(fused.fusion(0).ops_size() == 2);
  CHECK(fused.fusion(0).reason().empty());
}

TEST_CASE("fuse-epilogue: Conv2D + residual Add + Relu, and MatMul + bias + Gelu", "[fusion][onednn]") {
  SECTION("conv with a residual") {
    std::string text =
        placeholder_node("x", {2, 3, 9, 7}) + placeholder_node("w", {4, 3, 3, 3}) + placeholder_node("b", {4}) +
        placeholder_node("skip", {2, 4, 9, 7}) +
        op_node("c", "Conv2D", {"x", "w", "b"}, attr_text("pads", "list { i: 1 i: 1 i: 1 i: 1 }")) +
        op_node("s", "Add", {"skip", "c"}) + op_node("r", "Relu", {"s"}) +
        signature_text({{"x", "x"}, {"w", "w"}, {"b", "b"}, {"skip", "skip"}}, {{"y", "r"}});
    check_fusion(text, {{"x", {2, 3, 9, 7}}, {"w", {4, 3, 3, 3}}, {"b", {4}}, {"skip", {2, 4, 9, 7}}}, "y",
                 "FusedConv2D", "onednn", 1e-4f, 1e-4f);
  }
  SECTION("conv with a clip to [0, 6] (ONNX's Clip, Relu6)") {
    std::string text = placeholder_node("x", {1, 4, 10, 10}) + placeholder_node("w", {6, 4, 3, 3}) +
                       const_node("zero", {}, {0.0f}) + const_node("six", {}, {6.0f}) +
                       op_node("c", "Conv2D", {"x", "w"}) + op_node("lo", "Maximum", {"c", "zero"}) +
                       op_node("hi", "Minimum", {"lo", "six"}) + signature_text({{"x", "x"}, {"w", "w"}}, {{"y", "hi"}});
    check_fusion(text, {{"x", {1, 4, 10, 10}, -3, 3}, {"w", {6, 4, 3, 3}}}, "y", "FusedConv2D", "onednn", 1e-4f, 1e-4f);
  }
  SECTION("dense with a clip, then tanh: two eltwise post-ops") {
    std::string text = placeholder_node("x", {3, 16}) + placeholder_node("w", {16, 8}) +
                       const_node("cap", {}, {0.25f}) + op_node("d", "Dense", {"x", "w"}) +
                       op_node("m", "Minimum", {"d", "cap"}) + op_node("t", "Tanh", {"m"}) +
                       signature_text({{"x", "x"}, {"w", "w"}}, {{"y", "t"}});
    check_fusion(text, {{"x", {3, 16}}, {"w", {16, 8}}}, "y", "FusedDense", "onednn", 1e-5f, 1e-5f);
  }
  SECTION("matmul with a broadcast bias and gelu") {
    std::string approximate = GENERATE(std::string("none"), std::string("tanh"));
    std::string text = placeholder_node("a", {2, 6, 32}) + placeholder_node("m", {32, 48}) +
                       placeholder_node("bias", {48}) + op_node("mm", "MatMul", {"a", "m"}) +
                       op_node("ab", "Add", {"mm", "bias"}) +
                       op_node("g", "Gelu", {"ab"}, attr_text("approximate", fmt::format("s: '{}'", approximate))) +
                       signature_text({{"a", "a"}, {"m", "m"}, {"bias", "bias"}}, {{"y", "g"}});
    check_fusion(text, {{"a", {2, 6, 32}}, {"m", {32, 48}}, {"bias", {48}}}, "y", "FusedMatMul", "onednn", 1e-4f,
                 1e-4f);
  }
}

/// `count` values in [low, high), the same for the same seed.
std::vector<float> random_values(int64_t count, uint32_t seed, float low, float high) {
  Tensor t = random_tensor({count}, seed, low, high);
  return {t.data<float>(), t.data<float>() + count};
}

TEST_CASE("fold-batchnorm folds BatchNorm into constant Conv2D weights, then the epilogue fuses", "[fusion][onednn]") {
  std::string text =
      placeholder_node("x", {2, 3, 8, 8}) + const_node("w", {5, 3, 3, 3}, random_values(135, 1, -1, 1)) +
      const_node("cb", {5}, random_values(5, 2, -1, 1)) + const_node("scale", {5}, random_values(5, 3, 0.5f, 2)) +
      const_node("shift", {5}, random_values(5, 4, -1, 1)) + const_node("mean", {5}, random_values(5, 5, -1, 1)) +
      const_node("var", {5}, random_values(5, 6, 0.1f, 2)) + op_node("c", "Conv2D", {"x", "w", "cb"}) +
      op_node("bn", "BatchNorm", {"c", "scale", "shift", "mean", "var"}) + op_node("r", "Relu", {"bn"}) +
      signature_text({{"x", "x"}}, {{"y", "r"}});
  check_fusion(text, {{"x", {2, 3, 8, 8}}}, "y", "FusedConv2D", "onednn", 1e-4f, 1e-4f);
  proto::Module fused = compile_text(text, 2);
  for (const auto& step : fused.steps()) CHECK(step.op() != "BatchNorm");
}

TEST_CASE("fuse-epilogue leaves an output with other readers alone, and says why", "[fusion]") {
  std::string text = placeholder_node("x", {4, 8}) + placeholder_node("w", {8, 8}) +
                     op_node("d", "Dense", {"x", "w"}) + op_node("r", "Relu", {"d"}) + op_node("t", "Tanh", {"d"}) +
                     signature_text({{"x", "x"}, {"w", "w"}}, {{"r", "r"}, {"t", "t"}});
  proto::Module fused = compile_text(text, 2);
  bool reported = false;
  for (const auto& d : fused.fusion()) {
    if (d.pass() != "fuse-epilogue") continue;
    CHECK(d.node() == "d");
    CHECK_THAT(d.reason(), Catch::Contains("has 2 readers"));
    reported = true;
  }
  CHECK(reported);
}

TEST_CASE("fuse-elementwise: generated kernels match the reference", "[fusion][codegen]") {
  // Broadcasting along leading, middle and trailing dims, a scalar
  // constant folded into the code, sizes not divisible by the vector
  // width, and one large enough to split across threads.
  Shape shape = GENERATE(Shape{7}, Shape{3, 5, 17}, Shape{2, 33, 1, 9}, Shape{301, 257});
  Shape bias = shape;
  bias.front() = 1;  // broadcast along the first dim
  Shape column(shape.size(), 1);
  column.back() = shape.back();  // a row vector
  INFO("shape " << shape_to_string(shape));
  std::string text = placeholder_node("x", shape) + placeholder_node("bias", bias) +
                     placeholder_node("col", column) + const_node("half", {}, {0.5f}) +
                     op_node("a", "Add", {"x", "bias"}) + op_node("m", "Mul", {"a", "half"}) +
                     op_node("t", "Tanh", {"m"}) + op_node("s", "Sigmoid", {"col"}) + op_node("p", "Mul", {"t", "s"}) +
                     op_node("e", "Exp", {"p"}) + op_node("g", "Gelu", {"a"}) + op_node("q", "Sub", {"e", "g"}) +
                     op_node("r", "Relu", {"q"}) + op_node("mx", "Maximum", {"r", "t"}) +
                     signature_text({{"x", "x"}, {"bias", "bias"}, {"col", "col"}}, {{"y", "mx"}, {"t", "t"}});
  std::vector<Input> inputs = {{"x", shape}, {"bias", bias}, {"col", column}};
  check_fusion(text, inputs, "y", "FusedElementwise", "generated", 2e-6f, 1e-6f);
  // The second output of the group ("t", read outside it) is right too.
  proto::Module fused = compile_text(text, 2);
  expect_close(run(fused, inputs, "t"), run(compile_text(text, 1), inputs, "t"), 2e-6f, 1e-6f);
}

TEST_CASE("generated exp, tanh, sigmoid, erf, gelu and log keep a few ulp of the C library", "[fusion][codegen]") {
  // y = f(x) + zero, zero an input, so the group has two ops and fuses.
  // Log is a libm call from generated code, resolved when the module loads.
  std::string op = GENERATE(std::string("Exp"), std::string("Tanh"), std::string("Sigmoid"), std::string("Erf"),
                            std::string("Gelu"), std::string("Log"));
  INFO(op);
  Shape shape{4099};
  std::string text = placeholder_node("x", shape) + placeholder_node("zero", shape) + op_node("f", op, {"x"}) +
                     op_node("y", "Add", {"f", "zero"}) + signature_text({{"x", "x"}, {"zero", "zero"}}, {{"y", "y"}});
  Tensor x(DType::f32, shape), zero(DType::f32, shape);
  float* px = x.data<float>();
  // Across the range where each function changes, the overflow edges, and special values.
  for (int64_t i = 0; i < 4096; ++i) px[i] = -110.0f + 220.0f * static_cast<float>(i) / 4095.0f;
  for (int64_t i = 0; i < 2048; i += 2) px[i] = static_cast<float>(i - 1024) / 256.0f;  // [-4, 4] densely
  px[4096] = std::numeric_limits<float>::quiet_NaN();
  px[4097] = std::numeric_limits<float>::infinity();
  px[4098] = 1e-6f;
  proto::Module fused = compile_text(text, 2);
  REQUIRE(backends_of(fused, "FusedElementwise") == std::vector<std::string>{"generated"});
  auto result = [&](proto::Module m) {
    Session session(Module::from_proto(std::move(m)));
    session.set_input("x", x);
    session.set_input("zero", zero);
    session.run();
    return session.output("y").clone();
  };
  // Generated code against the reference kernels (the C library): relative
  // error within 8 ulp, absolute within 2e-7 near zero crossings. Exact
  // Gelu, x·(1 + erf(x/√2))/2, cancels for x < −3 in any f32 evaluation (the
  // reference's too): there an erf error of a few ulp of 1 becomes |x| times
  // that in absolute terms, hence 1e-6.
  float atol = op == "Gelu" ? 1e-6f : 2e-7f;
  expect_close(result(fused), result(compile_text(text, 1)), 8 * std::numeric_limits<float>::epsilon(), atol);
}

TEST_CASE("fuse-elementwise leaves shape changes and single ops alone, and says why", "[fusion]") {
  std::string text = placeholder_node("x", {4, 6}) + placeholder_node("v", {6}) + op_node("r", "Relu", {"x"}) +
                     op_node("s", "Sigmoid", {"v"}) + op_node("a", "Add", {"r", "s"}) +
                     signature_text({{"x", "x"}, {"v", "v"}}, {{"y", "a"}});
  proto::Module fused = compile_text(text, 2);
  bool sigmoid_reported = false;
  for (const auto& d : fused.fusion()) {
    if (d.pass() == "fuse-elementwise" && d.node() == "s") {
      CHECK_THAT(d.reason(), Catch::Contains("no producer"));
      sigmoid_reported = true;
    }
  }
  CHECK(sigmoid_reported);
  REQUIRE(backends_of(fused, "FusedElementwise") == std::vector<std::string>{"generated"});
}

TEST_CASE("a module whose generated code is for another CPU runs the reference kernels", "[fusion][codegen]") {
  std::string text = placeholder_node("x", {10}) + op_node("e", "Exp", {"x"}) + op_node("n", "Neg", {"e"}) +
                     signature_text({{"x", "x"}}, {{"y", "n"}});
  proto::Module fused = compile_text(text, 2);
  fused.mutable_jit()->set_cpu("a-cpu-from-elsewhere");
  auto loaded = Module::from_proto(fused);
  bool found = false;
  for (const auto& step : loaded->impl().steps) {
    if (step.op != "FusedElementwise") continue;
    CHECK(step.backend == "reference");
    CHECK_THAT(step.fallback_reason, Catch::Contains("a-cpu-from-elsewhere"));
    found = true;
  }
  CHECK(found);
  expect_close(run(fused, {{"x", {10}}}, "y"), run(compile_text(text, 1), {{"x", {10}}}, "y"), 0, 0);
}


// --- Row reductions inside generated kernels -------------------------------

std::string last_axis(int64_t rank) {
  return fmt::format("attr {{ key: 'axes' value {{ list {{ i: {} }} }} }} attr {{ key: 'keepdims' value {{ b: true }} }}",
                     rank - 1);
}

/// x (rows × cols), its row max m and exp(x - m), and the row sums of the
/// exponentials: the start of softmax, log-softmax and log-sum-exp.
std::string exp_rows(const std::string& x, int64_t rank) {
  return op_node(x + "_max", "ReduceMax", {x}, last_axis(rank)) + op_node(x + "_shifted", "Sub", {x, x + "_max"}) +
         op_node(x + "_exp", "Exp", {x + "_shifted"}) + op_node(x + "_sum", "ReduceSum", {x + "_exp"}, last_axis(rank));
}

/// Compiles `text` at -O1 and -O2, checks that -O2 runs it as generated
/// FusedElementwise steps with no `unfused_op` left, and compares every
/// output in `outputs`.
void check_row_fusion(const std::string& text, const std::vector<Input>& inputs, const std::vector<std::string>& outputs,
                      const std::string& unfused_op, float rtol, float atol) {
  proto::Module reference = compile_text(text, 1);
  proto::Module fused = compile_text(text, 2);
  std::vector<std::string> backends = backends_of(fused, "FusedElementwise");
  REQUIRE(!backends.empty());
  for (const auto& b : backends) CHECK(b == "generated");
  if (!unfused_op.empty()) CHECK(backends_of(fused, unfused_op).empty());
  for (const auto& name : outputs) {
    INFO("output " << name);
    expect_close(run(fused, inputs, name), run(reference, inputs, name), rtol, atol);
  }
}

TEST_CASE("fuse-elementwise: softmax, log-softmax, layer norm, attention and cross-entropy tails match the reference",
          "[fusion][codegen]") {
  // Row lengths below, at and above the vector width, and rows enough for
  // the row-wise kernel to split them over threads.
  int64_t cols = GENERATE(1, 3, 17, 64, 1000);
  int64_t rows = GENERATE_COPY(1, 7, (int64_t{1} << 17) / cols + 3);
  INFO("rows " << rows << " cols " << cols);
  Shape x{rows, cols};
  std::string in_x = placeholder_node("x", x);

  SECTION("softmax and log-softmax spelled out (as ONNX's _expanded graphs are), magnitudes up to 80") {
    bool log = GENERATE(false, true);
    INFO((log ? "log-softmax" : "softmax"));
    std::string out = log ? op_node("log_sum", "Log", {"x_sum"}) + op_node("y", "Sub", {"x_shifted", "log_sum"})
                          : op_node("y", "Div", {"x_exp", "x_sum"});
    std::string text = in_x + exp_rows("x", 2) + out + signature_text({{"x", "x"}}, {{"y", "y"}});
    check_row_fusion(text, {{"x", x, -80.0f, 80.0f}}, {"y"}, "ReduceSum", 2e-5f, 1e-6f);
  }

  SECTION("layer norm with gamma and beta after a residual add, rows far from zero") {
    // Each row sits at an offset up to ±100 from zero with a spread of ±2:
    // the two-pass variance keeps it (one pass, E[x²] - E[x]², would not).
    Shape offset{rows, 1}, c{cols};
    std::string text = in_x + placeholder_node("offset", offset) + placeholder_node("gamma", c) +
                       placeholder_node("beta", c) + op_node("a", "Add", {"x", "offset"}) +
                       op_node("y", "LayerNorm", {"a", "gamma", "beta"}, "attr { key: 'epsilon' value { f: 1e-5 } }") +
                       signature_text({{"x", "x"}, {"offset", "offset"}, {"gamma", "gamma"}, {"beta", "beta"}},
                                      {{"y", "y"}});
    // The reference keeps the mean in double; the fused kernel rounds it to
    // f32 (half an ulp of 100: 3.8e-6), which a short row's deviation (three
    // random values may lie within 0.05) and gamma (up to 2) magnify.
    check_row_fusion(text, {{"x", x}, {"offset", offset, -100.0f, 100.0f}, {"gamma", c}, {"beta", c}}, {"y"},
                     "LayerNorm", 1e-4f, 5e-4f);
  }

  SECTION("layer norm as ONNX's LayerNormalization imports it, with its mean and inverse deviation") {
    Shape c{cols};
    std::string text = in_x + placeholder_node("gamma", c) + placeholder_node("beta", c) +
                       const_node("eps", {}, {1e-5f}) + op_node("mean", "ReduceMean", {"x"}, last_axis(2)) +
                       op_node("d", "Sub", {"x", "mean"}) + op_node("d2", "Mul", {"d", "d"}) +
                       op_node("var", "ReduceMean", {"d2"}, last_axis(2)) + op_node("ve", "Add", {"var", "eps"}) +
                       op_node("r", "Rsqrt", {"ve"}) + op_node("n", "Mul", {"d", "r"}) +
                       op_node("g", "Mul", {"n", "gamma"}) + op_node("y", "Add", {"g", "beta"}) +
                       signature_text({{"x", "x"}, {"gamma", "gamma"}, {"beta", "beta"}},
                                      {{"y", "y"}, {"mean", "mean"}, {"inv_std", "r"}});
    check_row_fusion(text, {{"x", x, -80.0f, 80.0f}, {"gamma", c}, {"beta", c}}, {"y", "mean", "inv_std"}, "ReduceMean",
                     2e-5f, 2e-5f);
  }

  SECTION("attention: scale, a mask with -inf entries, softmax") {
    Shape scores{2, rows, cols}, mask{1, rows, cols};
    Tensor m = random_tensor(mask, 8, -1.0f, 1.0f);
    for (int64_t i = 0; i < m.num_elements(); i += 3) m.data<float>()[i] = -std::numeric_limits<float>::infinity();
    std::string text = placeholder_node("x", scores) + placeholder_node("mask", mask) +
                       const_node("scale", {}, {0.125f}) + op_node("s", "Mul", {"x", "scale"}) +
                       op_node("masked", "Add", {"s", "mask"}) + exp_rows("masked", 3) +
                       op_node("y", "Div", {"masked_exp", "masked_sum"}) +
                       signature_text({{"x", "x"}, {"mask", "mask"}}, {{"y", "y"}});
    proto::Module fused = compile_text(text, 2);
    REQUIRE(backends_of(fused, "FusedElementwise") == std::vector<std::string>{"generated"});
    auto result = [&](proto::Module module) {
      Session session(Module::from_proto(std::move(module)));
      session.set_input("x", random_tensor(scores, 7, -640.0f, 640.0f));
      session.set_input("mask", m);
      session.run();
      return session.output("y").clone();
    };
    // A row of one column whose only entry is masked is NaN in both.
    expect_close(result(fused), result(compile_text(text, 1)), 2e-5f, 1e-6f);
  }

  SECTION("cross-entropy tails: per-row loss log Σ exp(x) - x·onehot, and the gradient (softmax - onehot)·dloss") {
    Tensor onehot(DType::f32, x);
    std::fill_n(onehot.data<float>(), onehot.num_elements(), 0.0f);
    for (int64_t r = 0; r < rows; ++r) onehot.data<float>()[r * cols + (r * 7) % cols] = 1.0f;
    std::string text =
        in_x + placeholder_node("onehot", x) + placeholder_node("dloss", {}) + exp_rows("x", 2) +
        op_node("log_sum", "Log", {"x_sum"}) + op_node("lse", "Add", {"log_sum", "x_max"}) +
        op_node("xt", "Mul", {"x", "onehot"}) + op_node("picked", "ReduceSum", {"xt"}, last_axis(2)) +
        op_node("row_loss", "Sub", {"lse", "picked"}) +
        op_node("loss", "ReduceMean", {"row_loss"}, "attr { key: 'keepdims' value { b: false } }") +
        op_node("p", "Div", {"x_exp", "x_sum"}) + op_node("pt", "Sub", {"p", "onehot"}) +
        op_node("dx", "Mul", {"pt", "dloss"}) +
        signature_text({{"x", "x"}, {"onehot", "onehot"}, {"dloss", "dloss"}},
                       {{"row_loss", "row_loss"}, {"loss", "loss"}, {"dx", "dx"}});
    // Two kernels: x·onehot reads only graph inputs, so it starts a group
    // of its own (grouping follows producers; siblings are not merged).
    proto::Module fused = compile_text(text, 2);
    REQUIRE(backends_of(fused, "FusedElementwise") == std::vector<std::string>{"generated", "generated"});
    auto result = [&](proto::Module module, const std::string& name) {
      Session session(Module::from_proto(std::move(module)));
      session.set_input("x", random_tensor(x, 7, -80.0f, 80.0f));
      session.set_input("onehot", onehot);
      Tensor dloss(DType::f32, {});
      *dloss.data<float>() = 1.0f / static_cast<float>(rows);
      session.set_input("dloss", dloss);
      session.run();
      return session.output(name).clone();
    };
    proto::Module reference = compile_text(text, 1);
    // A row's loss is log-sum-exp minus the picked logit, both up to 80:
    // one ulp of 80 (7.6e-6) is the absolute error of that cancellation.
    for (const char* name : {"row_loss", "loss", "dx"}) {
      INFO(name);
      expect_close(result(fused, name), result(reference, name), 2e-5f, 2e-5f);
    }
  }
}

TEST_CASE("row-wise generated kernels give bit-identical results on 1 and 2 threads", "[fusion][codegen]") {
  Shape x{1500, 1000}, c{1000};
  std::string text = placeholder_node("x", x) + placeholder_node("gamma", c) + const_node("k", {}, {0.5f}) +
                     op_node("s", "Mul", {"x", "k"}) + exp_rows("s", 2) + op_node("p", "Div", {"s_exp", "s_sum"}) +
                     op_node("y", "LayerNorm", {"p", "gamma"}) + op_node("z", "Tanh", {"y"}) +
                     signature_text({{"x", "x"}, {"gamma", "gamma"}}, {{"z", "z"}});
  proto::Module fused = compile_text(text, 2);
  REQUIRE(!backends_of(fused, "FusedElementwise").empty());
  auto on_cores = [&](int cores) {
    proto::Module m = fused;
    m.mutable_devices(0)->set_cores(cores);
    return testing::bytes_of(run(m, {{"x", x, -80.0f, 80.0f}, {"gamma", c}}, "z"));
  };
  CHECK(on_cores(1) == on_cores(2));
}

TEST_CASE("fuse-elementwise keeps Softmax on its primitive and expands LayerNorm, and says why", "[fusion]") {
  std::string text = placeholder_node("x", {4, 10}) + placeholder_node("gamma", {10}) + op_node("e", "Exp", {"x"}) +
                     op_node("s", "Softmax", {"e"}) + op_node("y", "LayerNorm", {"s", "gamma"}) +
                     op_node("z", "Relu", {"y"}) + signature_text({{"x", "x"}, {"gamma", "gamma"}}, {{"z", "z"}});
  proto::Module module = compile_text(text, 2);
  bool softmax_reported = false, layer_norm_expanded = false;
  for (const auto& d : module.fusion()) {
    if (d.node() == "s") {
      CHECK_THAT(d.reason(), Catch::Contains("stays one op for its oneDNN primitive"));
      softmax_reported = true;
    }
    if (!d.reason().empty()) continue;
    for (const auto& op : d.ops()) {
      layer_norm_expanded |= op.find("from LayerNorm y, expanded to fuse with z") != std::string::npos;
    }
  }
  CHECK(softmax_reported);
  CHECK(layer_norm_expanded);
  CHECK(backends_of(module, "LayerNorm").empty());
  REQUIRE(backends_of(module, "Softmax").size() == 1);
  expect_close(run(module, {{"x", {4, 10}}, {"gamma", {10}}}, "z"),
               run(compile_text(text, 1), {{"x", {4, 10}}, {"gamma", {10}}}, "z"), 1e-5f, 1e-5f);
}


// --- SoftmaxCrossEntropy and its gradient inside generated kernels --------

/// logits = x·0.5 + bias (producer-side elementwise ops), the loss, and the
/// gradient scaled by dloss·3 (a consumer-side op); labels of `dtype`.
std::string cross_entropy_text(int64_t rows, int64_t cols, const std::string& dtype) {
  return placeholder_node("x", {rows, cols}) + placeholder_node("bias", {cols}) +
         placeholder_node("labels", {rows}, dtype) + placeholder_node("dloss", {}) + const_node("half", {}, {0.5f}) +
         const_node("three", {}, {3.0f}) + op_node("xs", "Mul", {"x", "half"}) +
         op_node("logits", "Add", {"xs", "bias"}) +
         op_node("loss", "SoftmaxCrossEntropy", {"logits", "labels"}) + op_node("dl", "Mul", {"dloss", "three"}) +
         op_node("grad", "SoftmaxCrossEntropyGrad", {"dl", "logits", "labels"}) +
         signature_text({{"x", "x"}, {"bias", "bias"}, {"labels", "labels"}, {"dloss", "dloss"}},
                        {{"loss", "loss"}, {"dlogits", "grad"}});
}

/// Labels (i32 or i64) in [0, cols), the same for the same seed.
Tensor random_labels(int64_t rows, int64_t cols, DType dtype, uint32_t seed) {
  Tensor labels(dtype, {rows});
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int64_t> label(0, cols - 1);
  for (int64_t r = 0; r < rows; ++r) {
    if (dtype == DType::i32) labels.data<int32_t>()[r] = static_cast<int32_t>(label(gen));
    if (dtype == DType::i64) labels.data<int64_t>()[r] = label(gen);
  }
  return labels;
}

/// Runs `module` of cross_entropy_text on random inputs with `labels`; the
/// outputs loss and dlogits.
std::map<std::string, Tensor> run_cross_entropy(proto::Module module, int64_t cols, const Tensor& labels) {
  int64_t rows = labels.shape()[0];
  Session session(Module::from_proto(std::move(module)));
  session.set_input("x", random_tensor({rows, cols}, 7, -20.0f, 20.0f));
  session.set_input("bias", random_tensor({cols}, 8, -2.0f, 2.0f));
  session.set_input("labels", labels);
  session.set_input("dloss", random_tensor({}, 9, 0.5f, 2.0f));
  session.run();
  return {{"loss", session.output("loss").clone()}, {"dlogits", session.output("dlogits").clone()}};
}

TEST_CASE("fuse-elementwise: SoftmaxCrossEntropy and its gradient run in one generated kernel, as the reference",
          "[fusion][codegen]") {
  // Row lengths below, at and above the vector width (1000: the
  // exponentials stay in the row buffer), one row, rows enough to split
  // over threads, and both label dtypes.
  int64_t cols = GENERATE(1, 7, 33, 1000);
  int64_t rows = GENERATE_COPY(1, 5, (int64_t{1} << 17) / cols + 3);
  std::string dtype = GENERATE(std::string("DT_INT32"), std::string("DT_INT64"));
  INFO("rows " << rows << " cols " << cols << " " << dtype);
  std::string text = cross_entropy_text(rows, cols, dtype);
  proto::Module fused = compile_text(text, 2);
  REQUIRE(backends_of(fused, "FusedElementwise") == std::vector<std::string>{"generated"});
  CHECK(backends_of(fused, "SoftmaxCrossEntropy").empty());
  CHECK(backends_of(fused, "SoftmaxCrossEntropyGrad").empty());
  Tensor labels = random_labels(rows, cols, dtype == "DT_INT32" ? DType::i32 : DType::i64, 10);
  auto got = run_cross_entropy(fused, cols, labels);
  auto want = run_cross_entropy(compile_text(text, 1), cols, labels);
  // The loss: a row's log-sum-exp (logits up to ±12) minus its picked
  // logit, rounded to f32 per row before the mean (the reference keeps
  // the row in double): a few ulp of 12 (1e-6) of absolute error.
  expect_close(got.at("loss"), want.at("loss"), 1e-5f, 5e-6f);
  // The gradient: softmax (exp a few ulp off the C library's) minus the
  // one-hot, times dloss·3/N; where the softmax is near 1 the difference
  // cancels, so the absolute error is an ulp of dloss·3/N (up to 6/N).
  expect_close(got.at("dlogits"), want.at("dlogits"), 2e-5f, 2e-6f / static_cast<float>(rows));
}

TEST_CASE("fused cross-entropy is bit-identical on 1 and 2 threads", "[fusion][codegen]") {
  int64_t rows = 2048, cols = 1000;
  proto::Module fused = compile_text(cross_entropy_text(rows, cols, "DT_INT32"), 2);
  REQUIRE(backends_of(fused, "FusedElementwise") == std::vector<std::string>{"generated"});
  Tensor labels = random_labels(rows, cols, DType::i32, 11);
  auto on_cores = [&](int cores) {
    proto::Module m = fused;
    m.mutable_devices(0)->set_cores(cores);
    return run_cross_entropy(m, cols, labels);
  };
  auto one = on_cores(1), two = on_cores(2);
  CHECK(testing::bytes_of(one.at("loss")) == testing::bytes_of(two.at("loss")));
  CHECK(testing::bytes_of(one.at("dlogits")) == testing::bytes_of(two.at("dlogits")));
}

TEST_CASE("a label out of range in a fused cross-entropy is the reference's error, naming the loss",
          "[fusion][codegen]") {
  // Over threads (2048 rows) the first bad example is reported, as the
  // reference does. The fused kernel names the loss (the reference kernels
  // name whichever of the loss and its gradient the schedule runs first);
  // with the gradient alone, the gradient. A module on another CPU (the
  // body's interpreter) says the same.
  int64_t rows = GENERATE(7, 2048);
  int64_t cols = 33;
  INFO("rows " << rows);
  Tensor labels = random_labels(rows, cols, DType::i64, 12);
  labels.data<int64_t>()[rows - 1] = -1;
  labels.data<int64_t>()[rows / 2] = cols;
  std::string message = fmt::format("label {} of example {} is out of range [0, {})", cols, rows / 2, cols);
  std::string text = cross_entropy_text(rows, cols, "DT_INT64");
  CHECK_THROWS_WITH(run_cross_entropy(compile_text(text, 1), cols, labels), Catch::EndsWith(message));
  proto::Module fused = compile_text(text, 2);
  proto::Module elsewhere = fused;
  elsewhere.mutable_jit()->set_cpu("a-cpu-from-elsewhere");
  REQUIRE(backends_of(elsewhere, "FusedElementwise") == std::vector<std::string>{"reference"});
  for (const proto::Module& m : {fused, elsewhere}) {
    CHECK_THROWS_WITH(run_cross_entropy(m, cols, labels), "node 'loss' (SoftmaxCrossEntropy): " + message);
  }

  std::string grad_only = placeholder_node("x", {rows, cols}) + placeholder_node("labels", {rows}, "DT_INT64") +
                          placeholder_node("dloss", {}) +
                          op_node("grad", "SoftmaxCrossEntropyGrad", {"dloss", "x", "labels"}) +
                          signature_text({{"x", "x"}, {"labels", "labels"}, {"dloss", "dloss"}}, {{"dlogits", "grad"}});
  proto::Module grad = compile_text(grad_only, 2);
  REQUIRE(backends_of(grad, "FusedElementwise") == std::vector<std::string>{"generated"});
  Session session(Module::from_proto(grad));
  session.set_input("x", random_tensor({rows, cols}, 7));
  session.set_input("labels", labels);
  session.set_input("dloss", random_tensor({}, 9));
  CHECK_THROWS_WITH(session.run(), "node 'grad' (SoftmaxCrossEntropyGrad): " + message);
}

TEST_CASE("inspect --fusion lists the cross-entropy's parts in one group, and why the batch mean and an empty "
          "batch stay apart",
          "[fusion]") {
  proto::Module module = compile_text(cross_entropy_text(4, 10, "DT_INT32"), 2);
  std::vector<std::string> group;
  std::string mean_reason;
  for (const auto& d : module.fusion()) {
    if (d.pass() != "fuse-elementwise") continue;
    if (d.node() == "loss/mean") mean_reason = d.reason();
    if (d.reason().empty()) group.assign(d.ops().begin(), d.ops().end());
  }
  CHECK_THAT(mean_reason, Catch::Contains("batch mean stays a ReduceMean"));
  auto listed = [&](const std::string& text) {
    return std::any_of(group.begin(), group.end(),
                       [&](const std::string& op) { return op.find(text) != std::string::npos; });
  };
  CHECK(listed("logits (Add)"));
  CHECK(listed("loss/mask (LabelMask, from SoftmaxCrossEntropy loss, expanded: labels compared in the kernel)"));
  CHECK(listed("loss/row_loss (Sub, from SoftmaxCrossEntropy loss"));
  CHECK(listed("grad/dlogits (Mul, from SoftmaxCrossEntropyGrad grad"));

  // An empty batch has no rows for a kernel: the ops stay, with the reason.
  proto::Module empty = compile_text(cross_entropy_text(0, 10, "DT_INT32"), 2);
  std::map<std::string, std::string> reasons;
  for (const auto& d : empty.fusion()) reasons[d.node()] = d.reason();
  CHECK_THAT(reasons["loss"], Catch::Contains("empty logits [0,10] stays one op: no rows to compute"));
  CHECK_THAT(reasons["grad"], Catch::Contains("empty logits [0,10] stays one op"));
  CHECK(backends_of(empty, "SoftmaxCrossEntropy").size() == 1);
}

TEST_CASE("the MLP's training step with the fused cross-entropy matches -O1: loss and gradients",
          "[fusion][codegen][train]") {
  // One SGD step (learning rate 1, no momentum) of examples/fashion_mnist/
  // mlp.pbtxt at batch 256 from the same initial weights: the loss, and each
  // Variable's change, which is its gradient. -O2 also runs the Dense
  // layers and their gradients on oneDNN (another summation order than the
  // reference's); the change is the difference of two f32 weights, exact
  // to an ulp of the weight (up to 1.5e-8 for |w| < 0.25).
  Shape x_shape{256, 784};
  CompileOptions options;
  options.train = true;
  options.shapes["x"] = x_shape;
  options.shapes["labels"] = {x_shape[0]};
  auto compile = [&](int level) {
    options.opt_level = level;
    std::ostringstream diag;
    return compile_model(std::string(GRAPHC_SOURCE_DIR) + "/examples/fashion_mnist/mlp.pbtxt", options, diag);
  };
  proto::Module fused = compile(2);
  CHECK(backends_of(fused, "SoftmaxCrossEntropy").empty());
  CHECK(backends_of(fused, "SoftmaxCrossEntropyGrad").empty());
  int label_kernels = 0;
  for (const auto& step : fused.steps()) {
    if (step.op() == "FusedElementwise" && step.attr().at("body").s().find("LabelMask") != std::string::npos) {
      ++label_kernels;
    }
  }
  CHECK(label_kernels == 1);  // the loss and its gradient share one kernel
  for (const auto& backend : backends_of(fused, "FusedElementwise")) CHECK(backend == "generated");

  Tensor labels(DType::i32, {x_shape[0]});
  for (int64_t i = 0; i < x_shape[0]; ++i) labels.data<int32_t>()[i] = static_cast<int32_t>((i * 7) % 10);
  Tensor learning_rate(DType::f32, {});
  *learning_rate.data<float>() = 1.0f;
  struct Step {
    Tensor loss;
    std::map<std::string, Tensor> change;  // per Variable: before - after = its gradient
  };
  auto step = [&](proto::Module module) {
    Session s(Module::from_proto(std::move(module)));
    s.set_input("x", random_tensor(x_shape, 13, 0.0f, 1.0f));
    s.set_input("labels", labels);
    s.set_input("learning_rate", learning_rate);
    std::map<std::string, Tensor> before;
    for (const std::string& name : s.variables()->names()) before.emplace(name, s.variables()->find(name)->clone());
    s.run();
    Step result{s.output("loss").clone(), {}};
    for (auto& [name, change] : before) {
      const float* after = s.variables()->find(name)->data<float>();
      for (int64_t i = 0; i < change.num_elements(); ++i) change.data<float>()[i] -= after[i];
      result.change.emplace(name, std::move(change));
    }
    return result;
  };
  Step o1 = step(compile(1)), o2 = step(fused);
  expect_close(o2.loss, o1.loss, 1e-5f, 1e-6f);
  REQUIRE(o1.change.size() == 6);
  for (const auto& [name, change] : o1.change) {
    INFO("gradient of " << name);
    expect_close(o2.change.at(name), change, 1e-3f, 3e-8f);
  }
}

}  // namespace
}  // namespace graphc
