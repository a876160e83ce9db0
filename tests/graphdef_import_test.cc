// GraphDef import and export (compiler/import): input references, schema
// defaults, every error import_graphdef reports, --shape overrides, the
// export round trip, and positioned parse errors of read_graphdef.
#include "compiler/import/graphdef_import.h"

#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>

#include "compiler/import/model_file.h"
#include "compiler/ir/printer.h"
#include "graphc/error.h"
#include "test_graphs.h"

using namespace graphc;
using namespace graphc::testing;
using Catch::Matchers::Contains;

namespace {

const std::string kX = placeholder_node("x", {2, 3});

/// Shape attr of node `name` after import.
Shape shape_attr(const ir::Graph& g, const std::string& name) { return g.find(name)->attrs().get_shape("shape"); }

/// Expects import of `text` to fail with exactly `what`.
void require_import_error(const std::string& text, const std::string& what, const ShapeOverrides& shapes = {}) {
  INFO(text);
  REQUIRE_THROWS_WITH(import_text(text, shapes), what);
}

}  // namespace

TEST_CASE("import resolves 'node', 'node:port' and '^node' references", "[import]") {
  auto g = import_text(kX +
                       op_node("s", "Split", {"x"}, "attr { key: 'num_outputs' value { i: 2 } } "
                                                    "attr { key: 'axis' value { i: 1 } }") +
                       op_node("y", "Add", {"s:1", "s", "^x"}));
  ir::Node* s = g->find("s");
  ir::Node* y = g->find("y");
  REQUIRE(s->num_outputs() == 2);
  CHECK(y->inputs() == std::vector<ir::Value*>{s->output(1), s->output(0)});
  CHECK(y->control_inputs() == std::vector<ir::Node*>{g->find("x")});
  CHECK(s->output(1)->uses() == std::vector<ir::Use>{{y, 0}});
}

TEST_CASE("import accepts inputs naming nodes defined later in the file", "[import]") {
  auto g = import_text(op_node("r", "Relu", {"later"}) + op_node("later", "Identity", {"x"}) + kX);
  CHECK(g->find("r")->input(0) == g->find("later")->output(0));
  CHECK(g->find("later")->input(0) == g->find("x")->output(0));
  // Insertion order follows the file, topological order the edges.
  std::vector<std::string> order;
  for (const ir::Node* n : g->topological_order()) order.push_back(n->name());
  CHECK(order == std::vector<std::string>{"x", "later", "r"});
}

TEST_CASE("import fills in the schema's attribute defaults", "[import]") {
  auto g = import_text(kX + op_node("sm", "Softmax", {"x"}) +
                       "node { name: 'v' op: 'Variable' attr { key: 'shape' value { shape { dim: 2 } } } }\n" +
                       op_node("y", "Add", {"sm", "v"}));
  const AttrMap& sm = g->find("sm")->attrs();
  CHECK(sm.get_int("axis") == -1);
  CHECK(sm.node() == "sm");
  CHECK(sm.op() == "Softmax");
  const AttrMap& v = g->find("v")->attrs();
  CHECK(v.get_string("initializer") == "glorot_uniform");
  CHECK(v.get_dtype("dtype") == DType::f32);
  CHECK(v.get_int("seed") == 0);
  CHECK(v.get_float("scale") == Approx(0.05f));
}

TEST_CASE("import builds the signature from the file, or from Placeholders and unconsumed outputs", "[import]") {
  SECTION("default: every Placeholder in, every unconsumed non-Placeholder output out") {
    auto g = import_text(kX + placeholder_node("unused", {1}) + op_node("r", "Relu", {"x"}) +
                         op_node("t", "Tanh", {"x"}));
    REQUIRE(g->inputs().size() == 2);
    CHECK(g->inputs()[0].name == "x");
    CHECK(g->inputs()[1].name == "unused");
    REQUIRE(g->outputs().size() == 2);
    CHECK(g->outputs()[0].name == "r");
    CHECK(g->outputs()[1].name == "t");
  }
  SECTION("explicit signature names") {
    auto g = import_text(kX + op_node("r", "Relu", {"x"}) + signature_text({{"images", "x"}}, {{"act", "r:0"}}));
    REQUIRE(g->inputs().size() == 1);
    CHECK(g->inputs()[0].name == "images");
    CHECK(g->inputs()[0].value == g->find("x")->output(0));
    REQUIRE(g->outputs().size() == 1);
    CHECK(g->outputs()[0].name == "act");
    CHECK(g->outputs()[0].value == g->find("r")->output(0));
  }
}

TEST_CASE("import reports every structural error with the node and op", "[import]") {
  SECTION("unknown op") {
    require_import_error(kX + op_node("n", "Frobnicate", {"x"}),
                         "node 'n' (Frobnicate): unknown op (see docs/ops.md for the ops graphc knows)");
  }
  SECTION("unknown attribute, listing the known ones") {
    require_import_error(kX + op_node("n", "Softmax", {"x"}, "attr { key: 'axes' value { i: 1 } }"),
                         "node 'n' (Softmax): unknown attribute 'axes' (the op takes: axis)");
  }
  SECTION("unknown attribute of an op without attributes") {
    require_import_error(kX + op_node("n", "Relu", {"x"}, "attr { key: 'alpha' value { f: 1 } }"),
                         "node 'n' (Relu): unknown attribute 'alpha' (the op takes: none)");
  }
  SECTION("attribute of the wrong kind") {
    require_import_error(kX + op_node("n", "Softmax", {"x"}, "attr { key: 'axis' value { s: 'last' } }"),
                         "node 'n' (Softmax): attribute 'axis' must be int, found string");
  }
  SECTION("list attribute of the wrong element kind") {
    require_import_error(kX + op_node("n", "Transpose", {"x"}, "attr { key: 'perm' value { list { f: 1 } } }"),
                         "node 'n' (Transpose): attribute 'perm' must be list(int), found list");
  }
  SECTION("missing required attribute") {
    require_import_error("node { name: 'n' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } }",
                         "node 'n' (Placeholder): missing required attribute 'shape' (shape)");
  }
  SECTION("duplicate node") {
    require_import_error(kX + op_node("x", "Relu", {"x"}), "node 'x' (Relu): duplicate node name");
  }
  SECTION("node without a name") {
    require_import_error(kX + op_node("", "Relu", {"x"}), "test.pbtxt: a node of op 'Relu' has no name");
  }
  SECTION("node name with a ':'") {
    require_import_error(kX + op_node("a:b", "Relu", {"x"}),
                         "node 'a:b' (Relu): node names may not contain ':', '^' or spaces");
  }
  SECTION("port that is not a number") {
    require_import_error(kX + op_node("n", "Relu", {"x:one"}), "node 'n' (Relu): input 'x:one' has an invalid port 'one'");
  }
  SECTION("negative port") {
    require_import_error(kX + op_node("n", "Relu", {"x:-1"}), "node 'n' (Relu): input 'x:-1' has an invalid port '-1'");
  }
  SECTION("empty port") {
    require_import_error(kX + op_node("n", "Relu", {"x:"}), "node 'n' (Relu): input 'x:' has an invalid port ''");
  }
  SECTION("port past the producer's outputs") {
    require_import_error(kX + op_node("n", "Relu", {"x:1"}),
                         "node 'n' (Relu): input 'x:1' asks for output 1 but x (Placeholder) has 1 output(s)");
  }
  SECTION("input naming no node") {
    require_import_error(kX + op_node("n", "Relu", {"nope"}), "node 'n' (Relu): input 'nope' names no node of the graph");
  }
  SECTION("control input naming no node") {
    require_import_error(kX + op_node("n", "Relu", {"x", "^nope"}),
                         "node 'n' (Relu): control input '^nope' names no node of the graph");
  }
  SECTION("input naming nothing") {
    require_import_error(kX + op_node("n", "Relu", {"^"}), "node 'n' (Relu): input '^' names no node");
  }
  SECTION("too many inputs") {
    require_import_error(kX + op_node("n", "Relu", {"x", "x"}), "node 'n' (Relu): takes 1 input(s) (x), found 2");
  }
  SECTION("too few inputs for an optional-input op") {
    require_import_error(kX + op_node("n", "Dense", {"x"}), "node 'n' (Dense): takes 2 to 3 input(s) (x, w, b), found 1");
  }
  SECTION("too few inputs for a variadic op") {
    require_import_error(kX + op_node("n", "Concat", {}) + op_node("r", "Relu", {"x"}),
                         "node 'n' (Concat): takes at least 1 input(s) (x), found 0");
  }
  SECTION("data input after a control input") {
    require_import_error(kX + op_node("n", "Add", {"x", "^x", "x"}),
                         "node 'n' (Add): data input 'x' follows a control input");
  }
  SECTION("a cycle") {
    require_import_error(kX + op_node("a", "Add", {"x", "b"}) + op_node("b", "Relu", {"a"}),
                         "node 'a' (Add): the graph has a cycle through this node and 'b'");
  }
  SECTION("a Const whose data disagree with its dims") {
    require_import_error(const_node("c", {3}, {1, 2}),
                         "node 'c' (Const) attribute 'value': tensor of shape [3] needs 3 values, float_val has 2");
  }
  SECTION("no nodes at all") {
    require_import_error("version { producer: 1 }", "test.pbtxt: the graph has no nodes");
  }
  SECTION("a reader version older than the graph needs") {
    require_import_error("version { producer: 2 min_consumer: 2 }\n" + kX,
                         "test.pbtxt: the graph needs a reader of version 2 or newer; this graphc reads version 1");
  }
}

TEST_CASE("import checks the signature", "[import]") {
  const std::string body = kX + op_node("r", "Relu", {"x"});
  SECTION("an input that is not a Placeholder") {
    require_import_error(body + signature_text({{"in", "r"}}, {{"out", "r"}}),
                         "signature input 'in': names 'r' (Relu), but inputs must be Placeholders");
  }
  SECTION("an input naming no node") {
    require_import_error(body + signature_text({{"in", "ghost"}}, {{"out", "r"}}),
                         "signature input 'in': input 'ghost' names no node of the graph");
  }
  SECTION("two inputs naming one Placeholder") {
    require_import_error(body + signature_text({{"a", "x"}, {"b", "x:0"}}, {{"out", "r"}}),
                         "signature input 'b': names 'x:0', which input 'a' already names");
  }
  SECTION("an output with a bad port") {
    require_import_error(body + signature_text({}, {{"out", "r:7"}}),
                         "signature output 'out': input 'r:7' asks for output 7 but r (Relu) has 1 output(s)");
  }
  SECTION("an output name used twice") {
    require_import_error(body + signature_text({}, {{"out", "r"}, {"out", "x"}}),
                         "test.pbtxt: signature name 'out' is empty or used twice");
  }
  SECTION("an empty input name") {
    require_import_error(body + signature_text({{"", "x"}}, {{"out", "r"}}),
                         "test.pbtxt: signature name '' is empty or used twice");
  }
  SECTION("no outputs at all") {
    require_import_error(kX, "test.pbtxt: the graph has no outputs");
  }
}

TEST_CASE("compile option --shape overrides fix a Placeholder's unknown dims", "[import]") {
  const std::string body = placeholder_node("x", {-1, 3}) + op_node("r", "Relu", {"x"});
  SECTION("by node name") {
    auto g = import_text(body, {{"x", {4, 3}}});
    CHECK(shape_attr(*g, "x") == Shape{4, 3});
  }
  SECTION("by signature name") {
    auto g = import_text(body + signature_text({{"images", "x"}}, {{"out", "r"}}), {{"images", {5, 3}}});
    CHECK(shape_attr(*g, "x") == Shape{5, 3});
  }
  SECTION("without an override the declared shape stays") {
    auto g = import_text(body);
    CHECK(shape_attr(*g, "x") == Shape{-1, 3});
  }
  SECTION("contradicting a known dim") {
    require_import_error(body,
                         "node 'x' (Placeholder): --shape gives [4,4], which contradicts the declared shape [-1,3] "
                         "at dim 1",
                         {{"x", {4, 4}}});
  }
  SECTION("of another rank") {
    require_import_error(body, "node 'x' (Placeholder): --shape gives rank 1 [3], the placeholder is declared [-1,3]",
                         {{"x", {3}}});
  }
  SECTION("naming a node that is not a Placeholder") {
    require_import_error(body, "node 'r' (Relu): --shape names a node that is not a Placeholder", {{"r", {1}}});
  }
  SECTION("naming nothing") {
    require_import_error(body, "test.pbtxt: --shape names 'y', which is not a node of the graph", {{"y", {1}}});
  }
}

TEST_CASE("export_graphdef round-trips through import", "[import]") {
  auto round_trip = [](const ir::Graph& g) {
    auto again = import_graphdef(export_graphdef(g), "exported");
    CHECK(ir::print_graph(*again) == ir::print_graph(g));
  };
  SECTION("a graph with ports, control edges, devices and a signature") {
    auto g = import_text(kX +
                         op_node("s", "Split", {"x"}, "attr { key: 'num_outputs' value { i: 3 } } "
                                                      "attr { key: 'axis' value { i: 1 } } device: '/cpu:0'") +
                         const_node("c", {2, 1}, {1.5f, -2}) + op_node("y", "Mul", {"s:2", "c", "^s"}) +
                         signature_text({{"images", "x"}}, {{"prod", "y"}, {"first", "s"}}));
    proto::GraphDef def = export_graphdef(*g);
    CHECK(def.version().producer() == 1);
    CHECK(def.version().min_consumer() == 1);
    REQUIRE(def.node_size() == 4);
    CHECK(def.node(1).device() == "/cpu:0");
    round_trip(*g);
  }
  SECTION("the examples") {
    for (const char* name : {"mlp.pbtxt", "cnn.pbtxt"}) {
      INFO(name);
      auto path = std::filesystem::path(GRAPHC_SOURCE_DIR) / "examples" / name;
      round_trip(*import_graphdef(read_graphdef(path), path.string()));
    }
  }
}

TEST_CASE("read_graphdef reports text syntax errors at a 1-based file:line:col", "[import]") {
  TempDir dir;
  SECTION("an unknown field on line 4") {
    auto path = dir.write("bad.pbtxt", "node {\n  name: \"x\"\n  op: \"Placeholder\"\n  bogus: 1\n}\n");
    REQUIRE_THROWS_WITH(read_graphdef(path), Contains(path.string() + ":4:3:") && Contains("bogus"));
  }
  SECTION("an unknown enum value is reported at the value, not after it") {
    const std::string line = "  attr { key: \"dtype\" value { type: DT_FLAOT } }";
    auto path = dir.write("bad.pbtxt", "node {\n  name: \"x\"\n" + line + "\n}\n");
    REQUIRE_THROWS_WITH(read_graphdef(path),
                        Contains(fmt::format("{}:3:{}:", path.string(), line.find("DT_FLAOT") + 1)) &&
                            Contains("DT_FLAOT"));
  }
  SECTION("an error on the first character") {
    auto path = dir.write("bad.pbtxt", "}");
    REQUIRE_THROWS_WITH(read_graphdef(path), Catch::StartsWith(path.string() + ":1:1:"));
  }
  SECTION("an unterminated message reports the end of the file") {
    auto path = dir.write("bad.pbtxt", "node {\n  name: \"x\"\n");
    REQUIRE_THROWS_WITH(read_graphdef(path), Catch::StartsWith(path.string() + ":3:1:"));
  }
  SECTION("a binary file that does not parse") {
    auto path = dir.write("bad.pb", "\xff\xff\xff garbage");
    REQUIRE_THROWS_WITH(read_graphdef(path), Catch::StartsWith(path.string() + ": not a binary GraphDef"));
  }
  SECTION("a missing file") {
    REQUIRE_THROWS_WITH(read_graphdef(dir / "missing.pbtxt"), Contains("missing.pbtxt: cannot open"));
  }
}

TEST_CASE("write_graphdef and read_graphdef agree in text and binary form", "[import]") {
  TempDir dir;
  proto::GraphDef def = parse_graphdef(kX + op_node("r", "Relu", {"x"}));
  for (const char* name : {"g.pbtxt", "g.pb"}) {
    INFO(name);
    write_graphdef(dir / name, def);
    CHECK(google::protobuf::util::MessageDifferencer::Equals(read_graphdef(dir / name), def));
  }
  CHECK_THAT(slurp(dir / "g.pbtxt"), Contains("op: \"Relu\""));
}
