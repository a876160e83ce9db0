// Layouts: the channels-last conversion, the assign-layout pass's choices,
// -O2 modules with channels-last values against the same modules stored
// plain (same kernels, no layouts: any difference is a layout bug), the
// adapter behind reference kernels, and the loader's checks.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <sstream>

#include "compiler/compiler.h"
#include "graphc/session.h"
#include "runtime/core/layout.h"
#include "runtime/src/module_impl.h"
#include "test_graphs.h"

namespace graphc {
namespace {

using Catch::Matchers::Contains;
using testing::compile_text;
using testing::op_node;
using testing::placeholder_node;
using testing::random_tensor;
using testing::signature_text;

std::string attr_text(const std::string& key, const std::string& value) {
  return fmt::format("attr {{ key: '{}' value {{ {} }} }}", key, value);
}

const std::string kPads1 = attr_text("pads", "list { i: 1 i: 1 i: 1 i: 1 }");

/// `module` with every value stored plain: what it computes without assign-layout.
proto::Module stored_plain(proto::Module module) {
  for (auto& v : *module.mutable_values()) v.set_layout(proto::LAYOUT_PLAIN);
  return module;
}

/// Output `output` of a run of `module` on seeded random inputs of `shapes`.
Tensor run(const proto::Module& module, const std::vector<std::pair<std::string, Shape>>& shapes,
           const std::string& output) {
  Session session(Module::from_proto(module));
  uint32_t seed = 11;
  for (const auto& [name, shape] : shapes) session.set_input(name, random_tensor(shape, seed++));
  session.run();
  return session.output(output).clone();
}

/// The layout of input `input` (or of output `output`) of the first step running `op`.
Layout layout_at(const proto::Module& m, const std::string& op, int input, int output = -1) {
  for (const auto& s : m.steps()) {
    if (s.op() != op) continue;
    int id = output >= 0 ? s.outputs(output) : s.inputs(input);
    return m.values(id).layout() == proto::LAYOUT_CHANNELS_LAST ? Layout::channels_last : Layout::plain;
  }
  FAIL("no step runs " << op);
  return Layout::plain;
}

int channels_last_values(const proto::Module& m) {
  int count = 0;
  for (const auto& v : m.values()) count += v.layout() == proto::LAYOUT_CHANNELS_LAST;
  return count;
}

/// Runs `module` and its plain twin; both must agree to the last bit.
void expect_same_as_plain(const proto::Module& module, const std::vector<std::pair<std::string, Shape>>& shapes,
                          const std::string& output) {
  REQUIRE(channels_last_values(module) > 0);
  Tensor got = run(module, shapes, output), want = run(stored_plain(module), shapes, output);
  REQUIRE(got.type() == want.type());
  CHECK(std::memcmp(got.raw_data(), want.raw_data(), got.byte_size()) == 0);
}

TEST_CASE("layout_strides and convert_layout: channels-last is [N, spatial..., C]", "[layout]") {
  CHECK(layout_strides({2, 3, 4, 5}, Layout::channels_last) == std::vector<int64_t>{60, 1, 15, 3});
  CHECK(layout_strides({2, 3, 4}, Layout::channels_last) == std::vector<int64_t>{12, 1, 3});
  CHECK(layout_strides({2, 3, 4, 5}, Layout::plain) == std::vector<int64_t>{60, 20, 5, 1});
  CHECK_FALSE(layout_fits(Layout::channels_last, {4, 5}));
  Tensor x = random_tensor({2, 3, 4, 5}, 3);
  std::vector<float> stored(120), back(120);
  convert_layout(x.shape(), sizeof(float), x.raw_data(), Layout::plain, stored.data(), Layout::channels_last);
  // Element [n=1, c=2, h=3, w=4] sits at 1·60 + 3·15 + 4·3 + 2.
  CHECK(stored[60 + 45 + 12 + 2] == x.data<float>()[60 + 2 * 20 + 3 * 5 + 4]);
  convert_layout(x.shape(), sizeof(float), stored.data(), Layout::channels_last, back.data(), Layout::plain);
  CHECK(std::memcmp(back.data(), x.raw_data(), x.byte_size()) == 0);
}

TEST_CASE("assign-layout keeps a conv, pool, conv chain channels-last and its edges plain", "[layout][onednn]") {
  std::string text = placeholder_node("x", {2, 3, 12, 12}) + placeholder_node("w1", {8, 3, 3, 3}) +
                     placeholder_node("w2", {16, 8, 3, 3}) + op_node("c1", "Conv2D", {"x", "w1"}, kPads1) +
                     op_node("r1", "Relu", {"c1"}) +
                     op_node("p", "MaxPool", {"r1"},
                             attr_text("kernel", "list { i: 2 i: 2 }") + attr_text("strides", "list { i: 2 i: 2 }")) +
                     op_node("c2", "Conv2D", {"p", "w2"}, kPads1) + op_node("r2", "Relu", {"c2"}) +
                     signature_text({{"x", "x"}, {"w1", "w1"}, {"w2", "w2"}}, {{"y", "r2"}});
  proto::Module m = compile_text(text, 2);
  CHECK(layout_at(m, "MaxPool", 0) == Layout::channels_last);
  CHECK(layout_at(m, "MaxPool", 0, 0) == Layout::channels_last);
  CHECK(layout_at(m, "FusedConv2D", 0) == Layout::plain);  // the signature input x
  CHECK(layout_at(m, "FusedConv2D", 1) == Layout::plain);  // weights are never activations
  auto loaded = Module::from_proto(m);
  for (const auto& step : loaded->impl().steps) {
    INFO(step.node << ": " << step.fallback_reason);
    CHECK(step.backend == "onednn");
  }
  std::vector<std::pair<std::string, Shape>> shapes{{"x", {2, 3, 12, 12}}, {"w1", {8, 3, 3, 3}}, {"w2", {16, 8, 3, 3}}};
  expect_same_as_plain(m, shapes, "y");
  // At -O1 nothing changes layout.
  CHECK(channels_last_values(compile_text(text, 1)) == 0);
}

TEST_CASE("assign-layout: a residual addend stays channels-last; a broadcast operand keeps its class plain",
          "[layout][onednn]") {
  std::string convs = placeholder_node("x", {1, 4, 10, 10}) + placeholder_node("w", {4, 4, 3, 3}) +
                      op_node("a", "Conv2D", {"x", "w"}, kPads1) + op_node("ra", "Relu", {"a"}) +
                      op_node("b", "Conv2D", {"ra", "w"}, kPads1);
  std::vector<std::pair<std::string, Shape>> shapes{{"x", {1, 4, 10, 10}}, {"w", {4, 4, 3, 3}}};
  SECTION("resnet's block: conv, conv + residual + relu, conv") {
    std::string text = convs + op_node("s", "Add", {"b", "ra"}) + op_node("r", "Relu", {"s"}) +
                       op_node("c", "Conv2D", {"r", "w"}, kPads1) +
                       signature_text({{"x", "x"}, {"w", "w"}}, {{"y", "c"}});
    proto::Module m = compile_text(text, 2);
    int fused_with_addend = 0;
    for (const auto& s : m.steps()) {
      if (s.op() != "FusedConv2D" || s.inputs_size() < 3) continue;
      ++fused_with_addend;
      CHECK(m.values(s.inputs(2)).layout() == proto::LAYOUT_CHANNELS_LAST);
      CHECK(m.values(s.outputs(0)).layout() == proto::LAYOUT_CHANNELS_LAST);
    }
    CHECK(fused_with_addend == 1);
    expect_same_as_plain(m, shapes, "y");
  }
  SECTION("an elementwise group over two convolutions runs its generated loop on channels-last operands") {
    std::string text = convs + op_node("d", "Sub", {"b", "ra"}) + op_node("t", "Tanh", {"d"}) +
                       op_node("c", "Conv2D", {"t", "w"}, kPads1) +
                       signature_text({{"x", "x"}, {"w", "w"}}, {{"y", "c"}});
    proto::Module m = compile_text(text, 2);
    CHECK(layout_at(m, "FusedElementwise", 0) == Layout::channels_last);
    CHECK(layout_at(m, "FusedElementwise", 1) == Layout::channels_last);
    CHECK(layout_at(m, "FusedElementwise", 0, 0) == Layout::channels_last);
    auto loaded = Module::from_proto(m);
    for (const auto& step : loaded->impl().steps) {
      if (step.op == "FusedElementwise") CHECK(step.backend == "generated");
    }
    expect_same_as_plain(m, shapes, "y");
  }
  SECTION("a generated group with a row reduction (over W, which channels-last moves) keeps its operands plain") {
    std::string text = convs +
                       op_node("mean", "ReduceMean", {"b"},
                               attr_text("axes", "list { i: -1 }") + attr_text("keepdims", "b: true")) +
                       op_node("d", "Sub", {"b", "mean"}) + op_node("t", "Tanh", {"d"}) +
                       op_node("c", "Conv2D", {"t", "w"}, kPads1) +
                       signature_text({{"x", "x"}, {"w", "w"}}, {{"y", "c"}});
    proto::Module m = compile_text(text, 2);
    CHECK(layout_at(m, "FusedElementwise", 0) == Layout::plain);
    CHECK(layout_at(m, "FusedElementwise", 0, 0) == Layout::plain);
    expect_same_as_plain(m, shapes, "y");
  }
  SECTION("a per-channel operand broadcast over the activation keeps it plain") {
    std::string text = convs + placeholder_node("bias", {1, 4, 1, 1}) + op_node("d", "Sub", {"b", "bias"}) +
                       op_node("t", "Tanh", {"d"}) + op_node("c", "Conv2D", {"t", "w"}, kPads1) +
                       signature_text({{"x", "x"}, {"w", "w"}, {"bias", "bias"}}, {{"y", "c"}});
    proto::Module m = compile_text(text, 2);
    CHECK(layout_at(m, "FusedElementwise", 0) == Layout::plain);
    CHECK(layout_at(m, "FusedElementwise", 0, 0) == Layout::plain);
  }
}

TEST_CASE("assign-layout in the CNN training step: backward convolutions and pooling read channels-last",
          "[layout][onednn][train]") {
  CompileOptions options;
  options.train = true;
  options.shapes["x"] = Shape{16, 1, 28, 28};
  options.shapes["labels"] = Shape{16};
  std::ostringstream diag;
  proto::Module m = compile_model(std::string(GRAPHC_SOURCE_DIR) + "/examples/fashion_mnist/cnn.pbtxt", options, diag);
  // Every activation between the input and the flattening is channels-last,
  // forward and backward: the convolutions' dy too, since the bias gradient
  // comes out of Conv2DBackpropFilter (a ReduceSum would read it plain).
  CHECK(layout_at(m, "Conv2DBackpropInput", -1, 0) == Layout::channels_last);
  int filter_gradients = 0, reading_channels_last_x = 0;
  for (const auto& s : m.steps()) {
    if (s.op() != "Conv2DBackpropFilter") continue;
    ++filter_gradients;
    CHECK(s.outputs_size() == 2);  // dw and db
    CHECK(m.values(s.inputs(0)).layout() == proto::LAYOUT_CHANNELS_LAST);
    reading_channels_last_x += m.values(s.inputs(1)).layout() == proto::LAYOUT_CHANNELS_LAST;
  }
  CHECK(filter_gradients == 2);
  CHECK(reading_channels_last_x == 1);  // conv2's x; conv1's is the input
  for (const auto& s : m.steps()) {
    if (s.op() == "MaxPool" || s.op() == "MaxPoolGrad") CHECK(m.values(s.inputs(s.inputs_size() - 1)).layout() == proto::LAYOUT_CHANNELS_LAST);
  }
  // Two training steps: the second also reads the weights the first updated.
  auto labels = [] {
    Tensor t(DType::i32, {16});
    for (int i = 0; i < 16; ++i) t.data<int32_t>()[i] = i % 10;
    return t;
  }();
  auto losses = [&](const proto::Module& module) {
    Session session(Module::from_proto(module));
    std::vector<float> out;
    for (uint32_t step = 0; step < 2; ++step) {
      session.set_input("x", random_tensor({16, 1, 28, 28}, 5 + step, 0.0f, 1.0f));
      session.set_input("labels", labels);
      session.run();
      out.push_back(session.output("loss").data<float>()[0]);
    }
    return out;
  };
  CHECK(losses(m) == losses(stored_plain(m)));
}

TEST_CASE("a channels-last value crosses devices as bytes: the Transfer is layout-oblivious", "[layout][executor]") {
  auto on = [](int device) { return fmt::format("device: 'cpu:{}' ", device); };
  std::string text = placeholder_node("x", {2, 3, 12, 12}) + placeholder_node("w", {3, 3, 3, 3}) +
                     op_node("c1", "Conv2D", {"x", "w"}, kPads1 + on(0)) + op_node("r1", "Relu", {"c1"}, on(0)) +
                     op_node("p", "MaxPool", {"r1"}, attr_text("kernel", "list { i: 2 i: 2 }") + on(1)) +
                     op_node("c2", "Conv2D", {"p", "w"}, kPads1 + on(1)) +
                     signature_text({{"x", "x"}, {"w", "w"}}, {{"y", "c2"}});
  auto graph = testing::import_text(text);
  CompileOptions options;
  options.pipeline.devices = DeviceSpec::parse("cpu:2");
  std::ostringstream diag;
  proto::Module m = compile_graph(*graph, options, diag);
  int transfers_of_channels_last = 0;
  for (const auto& s : m.steps()) {
    if (s.op() != "Transfer" || m.values(s.inputs(0)).layout() != proto::LAYOUT_CHANNELS_LAST) continue;
    ++transfers_of_channels_last;
    CHECK(s.layout_oblivious());
    CHECK(m.values(s.outputs(0)).layout() == proto::LAYOUT_CHANNELS_LAST);
  }
  CHECK(transfers_of_channels_last == 1);
  expect_same_as_plain(m, {{"x", {2, 3, 12, 12}}, {"w", {3, 3, 3, 3}}}, "y");
}

TEST_CASE("a channels-last step without a kernel that reads the layout runs its reference kernel behind conversions",
          "[layout]") {
  // The pool between two convolutions reads and writes channels-last; it is forced to the reference kernel.
  std::string model = placeholder_node("x", {1, 3, 8, 8}) + placeholder_node("w", {3, 3, 3, 3}) +
                      op_node("c1", "Conv2D", {"x", "w"}, kPads1) +
                      op_node("p", "AvgPool", {"c1"}, attr_text("kernel", "list { i: 3 i: 3 }") + kPads1) +
                      op_node("c2", "Conv2D", {"p", "w"}, kPads1) +
                      signature_text({{"x", "x"}, {"w", "w"}}, {{"y", "c2"}});
  proto::Module m = compile_text(model, 2);
  REQUIRE(layout_at(m, "AvgPool", 0) == Layout::channels_last);
  proto::Module forced = m;
  for (auto& s : *forced.mutable_steps()) {
    if (s.op() == "AvgPool") s.set_kernel(proto::REFERENCE_KERNEL);
  }
  auto loaded = Module::from_proto(forced);
  for (const auto& step : loaded->impl().steps) {
    if (step.op != "AvgPool") continue;
    CHECK(step.backend == "reference");
    CHECK_THAT(step.fallback_reason, Contains("behind layout conversions"));
  }
  std::vector<std::pair<std::string, Shape>> shapes{{"x", {1, 3, 8, 8}}, {"w", {3, 3, 3, 3}}};
  Tensor got = run(forced, shapes, "y"), want = run(stored_plain(m), shapes, "y");
  const float* g = got.data<float>();
  const float* w = want.data<float>();
  for (int64_t i = 0; i < got.num_elements(); ++i) CHECK(g[i] == Approx(w[i]).epsilon(1e-5).margin(1e-5));
}

TEST_CASE("the loader rejects layouts a value cannot have, naming it", "[layout][runtime]") {
  std::string text = placeholder_node("x", {1, 2, 4, 4}) + placeholder_node("w", {2, 2, 3, 3}) +
                     op_node("c1", "Conv2D", {"x", "w"}, kPads1) + op_node("c2", "Conv2D", {"c1", "w"}, kPads1) +
                     op_node("f", "Reshape", {"c2"}, attr_text("shape", "list { i: 1 i: 32 }")) +
                     signature_text({{"x", "x"}, {"w", "w"}}, {{"y", "f"}, {"z", "c2"}});
  proto::Module m = compile_text(text, 2);
  auto with = [&](const std::string& value, int layout) {
    proto::Module bad = m;
    for (auto& v : *bad.mutable_values()) {
      if (v.name() == value) v.set_layout(static_cast<proto::Layout>(layout));
    }
    return bad;
  };
  REQUIRE_THROWS_WITH(Module::from_proto(with("f", proto::LAYOUT_CHANNELS_LAST)),
                      Contains("value 'f'") && Contains("is stored channels_last but has rank 2"));
  REQUIRE_THROWS_WITH(Module::from_proto(with("x", proto::LAYOUT_CHANNELS_LAST)),
                      Contains("signature values and constants must be plain"));
  REQUIRE_THROWS_WITH(Module::from_proto(with("c2", proto::LAYOUT_CHANNELS_LAST)),
                      Contains("output 'z'") && Contains("must be plain"));
  REQUIRE_THROWS_WITH(Module::from_proto(with("c2", 7)), Contains("layout 7 is not one this runtime knows"));
}

}  // namespace
}  // namespace graphc
