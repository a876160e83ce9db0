// The fusion passes and their kernels: fuse-epilogue (oneDNN post-ops) and
// fuse-elementwise (LLVM-generated loops). Each model is compiled at -O1
// (no fusion, reference kernels) and -O2; the outputs must agree within the
// tolerance stated per case, and the -O2 module must really use the fused
// kernel (not a silent fallback).
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>

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

}  // namespace
}  // namespace graphc
