// Lowering (compiler/lower): value numbering, constants, steps and
// signature bindings of the module a typed graph becomes.
#include "compiler/lower/lower.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "compiler/ops/initializers.h"
#include "compiler/pipeline.h"
#include "graphc/error.h"
#include "runtime/core/tensor_proto.h"
#include "test_graphs.h"

using namespace graphc;
using namespace graphc::testing;
using Catch::Matchers::Contains;

namespace {

/// Imports `text`, types it (-O0: no rewrites, so every node survives) and lowers it.
proto::Module lower_text(const std::string& text) {
  auto g = import_text(text);
  std::ostringstream diag;
  run_pipeline(*g, default_pipeline(0), {}, diag);
  return lower_to_module(*g, DeviceSpec{1, 1});
}

std::vector<std::string> value_names(const proto::Module& m) {
  std::vector<std::string> names;
  for (const auto& v : m.values()) names.push_back(v.name());
  return names;
}

Tensor constant_data(const proto::Constant& c) { return tensor_from_proto(c.data(), "constant"); }

}  // namespace

TEST_CASE("lowering numbers values in topological order and makes a step per compute node", "[lower]") {
  proto::Module m = lower_text(op_node("y", "Add", {"x", "c"}) + placeholder_node("x", {2, 3}) +
                               const_node("c", {3}, {1, 2, 3}) +
                               op_node("sp", "Split", {"y"}, "attr { key: 'num_outputs' value { i: 2 } }") +
                               signature_text({{"images", "x"}}, {{"first", "sp"}, {"last", "sp:1"}}));
  CHECK(m.format_version() == 3);
  CHECK(value_names(m) == std::vector<std::string>{"x", "c", "y", "sp", "sp:1"});
  const auto& y = m.values(2);
  CHECK(y.dtype() == proto::DT_FLOAT);
  CHECK(std::vector<int64_t>(y.shape().begin(), y.shape().end()) == std::vector<int64_t>{2, 3});

  REQUIRE(m.steps_size() == 2);
  const proto::Step& add = m.steps(0);
  CHECK(add.node() == "y");
  CHECK(add.op() == "Add");
  CHECK(std::vector<int>(add.inputs().begin(), add.inputs().end()) == std::vector<int>{0, 1});
  CHECK(std::vector<int>(add.outputs().begin(), add.outputs().end()) == std::vector<int>{2});
  const proto::Step& split = m.steps(1);
  CHECK(std::vector<int>(split.outputs().begin(), split.outputs().end()) == std::vector<int>{3, 4});
  // Attributes are complete: the schema's default axis is written out.
  CHECK(split.attr().at("axis").i() == 0);
  CHECK(split.attr().at("num_outputs").i() == 2);

  REQUIRE(m.inputs_size() == 1);
  CHECK(m.inputs(0).name() == "images");
  CHECK(m.inputs(0).value() == 0);
  REQUIRE(m.outputs_size() == 2);
  CHECK(m.outputs(0).name() == "first");
  CHECK(m.outputs(0).value() == 3);
  CHECK(m.outputs(1).name() == "last");
  CHECK(m.outputs(1).value() == 4);

  // The optimised graph travels along, for inspect and dot.
  CHECK(m.graph().node_size() == 4);
  CHECK(m.graph().signature().inputs(0).name() == "images");
}

TEST_CASE("lowering turns Const and Variable nodes into constants", "[lower]") {
  proto::Module m = lower_text(
      const_node("c", {2}, {0.5f, -1}) +
      "node { name: 'v' op: 'Variable' attr { key: 'shape' value { shape { dim: 2 } } } "
      "attr { key: 'initializer' value { s: 'ones' } } }\n" +
      "node { name: 'g' op: 'Variable' attr { key: 'shape' value { shape { dim: 2 } } } attr { key: 'seed' value { i: 7 } } }\n" +
      op_node("s", "Add", {"c", "v"}) + op_node("t", "Mul", {"s", "g"}));
  REQUIRE(m.constants_size() == 3);
  CHECK(m.steps_size() == 2);

  const proto::Constant& c = m.constants(0);
  CHECK(m.values(c.value()).name() == "c");
  CHECK_FALSE(c.variable());
  CHECK(values_of<float>(constant_data(c)) == std::vector<float>{0.5f, -1});

  const proto::Constant& v = m.constants(1);
  CHECK(m.values(v.value()).name() == "v");
  CHECK(v.variable());
  CHECK(values_of<float>(constant_data(v)) == std::vector<float>{1, 1});

  // A random initializer: the same values as initialize_variable gives.
  const proto::Constant& g = m.constants(2);
  CHECK(g.variable());
  auto graph = import_text(
      "node { name: 'g' op: 'Variable' attr { key: 'shape' value { shape { dim: 2 } } } attr { key: 'seed' value { i: 7 } } }\n" +
      op_node("r", "Relu", {"g"}));
  CHECK(bytes_of(constant_data(g)) == bytes_of(ops::initialize_variable(graph->find("g")->attrs())));
}

TEST_CASE("lowering binds Placeholders by signature name, in signature order, and skips unused stray ones",
          "[lower]") {
  const std::string body = placeholder_node("a", {1}) + placeholder_node("b", {1}) + op_node("y", "Add", {"a", "b"});
  SECTION("every used Placeholder in the signature") {
    proto::Module m = lower_text(body + signature_text({{"rhs", "b"}, {"lhs", "a"}}, {{"sum", "y"}}));
    REQUIRE(m.inputs_size() == 2);
    // In signature order, not graph order.
    CHECK(m.inputs(0).name() == "rhs");
    CHECK(m.values(m.inputs(0).value()).name() == "b");
    CHECK(m.inputs(1).name() == "lhs");
    CHECK(m.values(m.inputs(1).value()).name() == "a");
  }
  SECTION("an unused Placeholder outside the signature is no input") {
    proto::Module m = lower_text(body + placeholder_node("spare", {1}) +
                                 signature_text({{"a", "a"}, {"b", "b"}}, {{"sum", "y"}}));
    CHECK(m.inputs_size() == 2);
  }
  SECTION("a used Placeholder outside the signature is an error") {
    REQUIRE_THROWS_WITH(lower_text(body + signature_text({{"a", "a"}}, {{"sum", "y"}})),
                        "node 'b' (Placeholder): is used but is not a signature input, so nothing can feed it");
  }
}
