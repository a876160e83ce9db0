// The graph passes (compiler/passes), each on small graphs written inline:
// infer-shapes, fold-constants, cse and dce. Every rewritten graph must
// still pass the IR verifier.
#include <catch2/catch.hpp>

#include "compiler/ir/verifier.h"
#include "compiler/passes/constant_value.h"
#include "compiler/passes/pass.h"
#include "graphc/error.h"
#include "test_graphs.h"

using namespace graphc;
using namespace graphc::testing;
using Catch::Matchers::Contains;

namespace {

/// An imported graph and the pass context of one pipeline run over it.
struct TypedGraph {
  std::unique_ptr<ir::Graph> graph;
  passes::PassContext ctx;

  /// Imports `text` and runs infer-shapes, as the pipeline does before any
  /// rewriting pass.
  explicit TypedGraph(const std::string& text) : graph(import_text(text)) { run("infer-shapes"); }

  /// Runs pass `name`, checks the IR afterwards and returns whether it changed the graph.
  bool run(const std::string& name) {
    const passes::PassInfo* pass = passes::find_pass(name);
    REQUIRE(pass != nullptr);
    bool changed = pass->run(*graph, ctx);
    ir::verify_graph(*graph, ctx.types_inferred);
    return changed;
  }

  ir::Node* node(const std::string& name) const { return graph->find(name); }
  /// The producer of signature output `name`.
  ir::Node* output_node(const std::string& name) const {
    for (const auto& s : graph->outputs()) {
      if (s.name == name) return s.value->producer();
    }
    FAIL("no output " << name);
    return nullptr;
  }
  std::vector<std::string> node_names() const {
    std::vector<std::string> names;
    for (const ir::Node* n : graph->nodes()) names.push_back(n->name());
    std::sort(names.begin(), names.end());
    return names;
  }
};

/// The float values of a Const node.
std::vector<float> const_values(const ir::Node* n) {
  REQUIRE(n->op() == "Const");
  return values_of<float>(*passes::constant_value(n->output(0)));
}

std::vector<float> iota_values(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return v;
}

const std::string kVariable = "node { name: 'v' op: 'Variable' attr { key: 'shape' value { shape { dim: 2 } } } }\n";

}  // namespace

// ----- infer-shapes ---------------------------------------------------------

TEST_CASE("infer-shapes types every value and reports whether a type changed", "[passes]") {
  TypedGraph f(placeholder_node("x", {2, 3}) + const_node("c", {3}, {1, 2, 3}) + op_node("y", "Add", {"x", "c"}) +
            op_node("s", "ReduceSum", {"y"}, "attr { key: 'axes' value { list { i: 1 } } }"));
  CHECK(f.ctx.types_inferred);
  CHECK(f.node("y")->output(0)->type() == TensorType{DType::f32, {2, 3}});
  CHECK(f.node("s")->output(0)->type() == TensorType{DType::f32, {2, 1}});
  CHECK(f.node("c")->output(0)->type() == TensorType{DType::f32, {3}});
  CHECK_FALSE(f.run("infer-shapes"));
}

TEST_CASE("infer-shapes names a Placeholder with unknown dims and suggests --shape", "[passes]") {
  auto g = import_text(placeholder_node("x", {-1, 3}) + op_node("r", "Relu", {"x"}));
  passes::PassContext ctx;
  REQUIRE_THROWS_WITH(passes::infer_shapes(*g, ctx),
                      "node 'x' (Placeholder): dim 0 of shape [-1,3] is unknown; give it with --shape x=<dims, e.g. "
                      "1x784> or by feeding an input");
}

TEST_CASE("infer-shapes reports a shape function's error with the node", "[passes]") {
  auto g = import_text(placeholder_node("x", {2, 3}) + const_node("c", {4}, {1, 2, 3, 4}) +
                       op_node("bad", "Add", {"x", "c"}));
  passes::PassContext ctx;
  REQUIRE_THROWS_WITH(passes::infer_shapes(*g, ctx), Contains("node 'bad' (Add)"));
}

// ----- fold-constants ---------------------------------------------------------

TEST_CASE("fold-constants replaces a node of constants by a Const of its value", "[passes]") {
  TypedGraph f(const_node("a", {2}, {1, 2}) + const_node("b", {2}, {10, 20}) + op_node("s", "Add", {"a", "b"}));
  CHECK(f.run("fold-constants"));
  ir::Node* folded = f.output_node("s");
  CHECK(folded->name() == "s/folded");
  CHECK(const_values(folded) == std::vector<float>{11, 22});
  CHECK(folded->output(0)->type() == TensorType{DType::f32, {2}});
  CHECK(f.node("s") == nullptr);
  CHECK_FALSE(f.run("fold-constants"));
}

TEST_CASE("fold-constants folds a chain of constant nodes in one run", "[passes]") {
  TypedGraph f(const_node("a", {2}, {1, 2}) + const_node("b", {2}, {10, 20}) + op_node("s", "Add", {"a", "b"}) +
            op_node("m", "Mul", {"s", "a"}) + op_node("n", "Neg", {"m"}));
  CHECK(f.run("fold-constants"));
  CHECK(const_values(f.output_node("n")) == std::vector<float>{-11, -44});
  CHECK_FALSE(f.run("fold-constants"));
}

TEST_CASE("fold-constants gives each output of a multi-output node its own Const", "[passes]") {
  TypedGraph f(const_node("a", {4}, {1, 2, 3, 4}) +
            op_node("sp", "Split", {"a"}, "attr { key: 'num_outputs' value { i: 2 } }") +
            op_node("y", "Sub", {"sp:1", "sp"}));
  CHECK(f.run("fold-constants"));
  CHECK(f.node("sp/folded_0") != nullptr);
  CHECK(f.node("sp/folded_1") != nullptr);
  CHECK(const_values(f.output_node("y")) == std::vector<float>{2, 2});
}

TEST_CASE("fold-constants leaves nodes that depend on a Placeholder or a Variable", "[passes]") {
  TypedGraph f(placeholder_node("x", {2}) + kVariable + const_node("a", {2}, {1, 2}) + const_node("b", {2}, {3, 4}) +
            op_node("s", "Add", {"a", "b"}) + op_node("u", "Add", {"x", "s"}) + op_node("w", "Mul", {"v", "a"}));
  CHECK(f.run("fold-constants"));
  ir::Node* u = f.node("u");
  REQUIRE(u != nullptr);
  CHECK(u->op() == "Add");
  CHECK(u->input(0)->producer()->name() == "x");
  CHECK(u->input(1)->producer()->name() == "s/folded");
  CHECK(f.node("w") != nullptr);
  CHECK(f.node("v")->op() == "Variable");
}

TEST_CASE("fold-constants does not fold results larger than 16 MiB", "[passes]") {
  // A [rows,1] + [1,2048] broadcast makes rows * 8 KiB from two small Consts.
  auto broadcast_graph = [](int64_t rows) {
    return const_node("col", {rows, 1}, iota_values(rows)) + const_node("row", {1, 2048}, iota_values(2048)) +
           op_node("big", "Add", {"col", "row"});
  };
  SECTION("exactly 16 MiB folds") {
    TypedGraph f(broadcast_graph(2048));
    CHECK(f.run("fold-constants"));
    CHECK(f.output_node("big")->op() == "Const");
  }
  SECTION("one row more stays") {
    TypedGraph f(broadcast_graph(2049));
    CHECK_FALSE(f.run("fold-constants"));
    CHECK(f.output_node("big")->op() == "Add");
  }
}

// ----- cse ----------------------------------------------------------------------

TEST_CASE("cse merges nodes with the same op, attributes and inputs", "[passes]") {
  TypedGraph f(placeholder_node("x", {2}) + op_node("r1", "Relu", {"x"}) + op_node("r2", "Relu", {"x"}) +
            op_node("t1", "Tanh", {"r1"}) + op_node("t2", "Tanh", {"r2"}) + op_node("y", "Add", {"t1", "t2"}) +
            op_node("z", "Exp", {"x", "^r2"}) + signature_text({}, {{"y", "y"}, {"z", "z"}, {"also", "t2"}}));
  CHECK(f.run("cse"));
  // The later duplicates go; merges cascade (t2 became a duplicate once r2 did).
  CHECK(f.node_names() == std::vector<std::string>{"r1", "t1", "x", "y", "z"});
  ir::Value* t1 = f.node("t1")->output(0);
  CHECK(f.node("y")->inputs() == std::vector<ir::Value*>{t1, t1});
  CHECK(f.output_node("also")->name() == "t1");
  CHECK(f.node("z")->control_inputs() == std::vector<ir::Node*>{f.node("r1")});
  CHECK_FALSE(f.run("cse"));
}

TEST_CASE("cse merges identical Consts but keeps Consts of other values", "[passes]") {
  TypedGraph f(const_node("c1", {2}, {1, 2}) + const_node("c2", {2}, {1, 2}) + const_node("c3", {2}, {1, 3}) +
            op_node("y", "Add", {"c1", "c2"}) + op_node("z", "Add", {"c2", "c3"}));
  CHECK(f.run("cse"));
  CHECK(f.node_names() == std::vector<std::string>{"c1", "c3", "y", "z"});
  CHECK(f.node("z")->input(0)->producer()->name() == "c1");
}

TEST_CASE("cse keeps nodes that differ in attributes, inputs or identity", "[passes]") {
  SECTION("different attributes") {
    TypedGraph f(placeholder_node("x", {2, 3}) +
              op_node("s0", "Softmax", {"x"}, "attr { key: 'axis' value { i: 0 } }") +
              op_node("s1", "Softmax", {"x"}, "attr { key: 'axis' value { i: 1 } }"));
    CHECK_FALSE(f.run("cse"));
    CHECK(f.graph->size() == 3);
  }
  SECTION("different input ports") {
    TypedGraph f(placeholder_node("x", {4}) +
              op_node("sp", "Split", {"x"}, "attr { key: 'num_outputs' value { i: 2 } }") +
              op_node("r0", "Relu", {"sp:0"}) + op_node("r1", "Relu", {"sp:1"}));
    CHECK_FALSE(f.run("cse"));
  }
  SECTION("Placeholders and Variables with the same attributes") {
    TypedGraph f(placeholder_node("x1", {2}) + placeholder_node("x2", {2}) + kVariable +
              "node { name: 'v2' op: 'Variable' attr { key: 'shape' value { shape { dim: 2 } } } }\n" +
              op_node("a", "Add", {"x1", "x2"}) + op_node("b", "Add", {"v", "v2"}));
    CHECK_FALSE(f.run("cse"));
    CHECK(f.graph->size() == 6);
  }
}

// ----- dce ----------------------------------------------------------------------

TEST_CASE("dce removes nodes no output depends on", "[passes]") {
  TypedGraph f(placeholder_node("x", {2}) + op_node("dead", "Tanh", {"x"}) + op_node("dead2", "Neg", {"dead"}) +
            op_node("pre", "Exp", {"x"}) + op_node("r", "Relu", {"x", "^pre"}) +
            signature_text({{"x", "x"}}, {{"r", "r"}}));
  CHECK(f.run("dce"));
  CHECK(f.node_names() == std::vector<std::string>{"pre", "r", "x"});
  CHECK_FALSE(f.run("dce"));
}

TEST_CASE("dce keeps signature inputs even when unused, and drops other unused Placeholders", "[passes]") {
  TypedGraph f(placeholder_node("x", {2}) + placeholder_node("fed", {2}) + placeholder_node("stray", {2}) +
            op_node("r", "Relu", {"x"}) + signature_text({{"x", "x"}, {"fed", "fed"}}, {{"r", "r"}}));
  CHECK(f.run("dce"));
  CHECK(f.node_names() == std::vector<std::string>{"fed", "r", "x"});
}
