// The IR (compiler/ir): node ownership, use lists, topological order, the
// verifier and the two text renderings (print_graph, graph_to_dot).
#include "compiler/ir/graph.h"

#include <catch2/catch.hpp>

#include "compiler/ir/dot.h"
#include "compiler/ir/printer.h"
#include "compiler/ir/verifier.h"
#include "compiler/ops/op_schema.h"
#include "graphc/error.h"

using namespace graphc;
using namespace graphc::ir;
using Catch::Matchers::Contains;

namespace {

/// A node with no attributes (the IR itself never looks at them).
Node* add(Graph& g, const std::string& name, const std::vector<Value*>& inputs = {}, int num_outputs = 1) {
  return g.add_node(name, inputs.empty() ? "Const" : "Identity", {}, inputs, num_outputs);
}

std::vector<std::string> names_of(const std::vector<Node*>& nodes) {
  std::vector<std::string> names;
  for (const Node* n : nodes) names.push_back(n->name());
  return names;
}

std::vector<Use> uses_of(const Value* v) { return v->uses(); }

void set_type(Value* v, TensorType type) {
  v->set_type(std::move(type));
  v->mark_typed();
}

}  // namespace

TEST_CASE("Graph::add_node and erase maintain the node list and the name index", "[ir]") {
  Graph g;
  Node* a = add(g, "a");
  Node* b = add(g, "b", {a->output(0)});
  CHECK(g.size() == 2);
  CHECK(names_of(g.nodes()) == std::vector<std::string>{"a", "b"});
  CHECK(g.find("b") == b);
  CHECK(g.find("zzz") == nullptr);
  CHECK(b->input(0) == a->output(0));
  CHECK(a->output(0)->producer() == a);

  SECTION("a duplicate name is an error naming the node") {
    REQUIRE_THROWS_WITH(g.add_node("a", "Relu", {}, {}), "node 'a' (Relu): duplicate node name");
  }
  SECTION("erasing a node whose output is still used is an error") {
    REQUIRE_THROWS_WITH(g.erase(a), Contains("node 'a' (Const)") && Contains("still used"));
    CHECK(g.size() == 2);
  }
  SECTION("erasing users first, then producers, empties the graph") {
    g.erase(b);
    CHECK(a->output(0)->uses().empty());
    CHECK(g.find("b") == nullptr);
    g.erase(a);
    CHECK(g.size() == 0);
    CHECK(g.nodes().empty());
  }
  SECTION("erasing a node removes it from other nodes' control inputs") {
    Node* c = add(g, "c");
    b->add_control_input(c);
    g.erase(c);
    CHECK(b->control_inputs().empty());
  }
}

TEST_CASE("Value::name is 'node' for output 0 and 'node:port' otherwise", "[ir]") {
  Graph g;
  Node* s = add(g, "s", {}, 3);
  CHECK(s->output(0)->name() == "s");
  CHECK(s->output(2)->name() == "s:2");
  CHECK(s->output(2)->index() == 2);
}

TEST_CASE("use lists follow add_input, set_input and replace_all_uses", "[ir]") {
  Graph g;
  Node* a = add(g, "a");
  Node* b = add(g, "b");
  Node* c = g.add_node("c", "Add", {}, {a->output(0), a->output(0)});
  g.outputs().push_back({"out", a->output(0)});
  Value* va = a->output(0);
  Value* vb = b->output(0);
  CHECK(uses_of(va) == std::vector<Use>{{c, 0}, {c, 1}});

  SECTION("set_input moves one use") {
    c->set_input(1, vb);
    CHECK(uses_of(va) == std::vector<Use>{{c, 0}});
    CHECK(uses_of(vb) == std::vector<Use>{{c, 1}});
    CHECK(c->inputs() == std::vector<Value*>{va, vb});
  }
  SECTION("replace_all_uses moves every use and the signature entries") {
    g.replace_all_uses(va, vb);
    CHECK(va->uses().empty());
    CHECK(uses_of(vb) == std::vector<Use>{{c, 0}, {c, 1}});
    CHECK(c->inputs() == std::vector<Value*>{vb, vb});
    CHECK(g.outputs()[0].value == vb);
    verify_graph(g, false);
  }
  SECTION("drop_inputs clears the node's uses") {
    c->drop_inputs();
    CHECK(va->uses().empty());
    CHECK(c->inputs().empty());
  }
}

TEST_CASE("topological_order puts producers first and is otherwise insertion order", "[ir]") {
  Graph g;
  SECTION("independent nodes keep insertion order") {
    add(g, "z");
    add(g, "y");
    add(g, "x");
    CHECK(names_of(g.topological_order()) == std::vector<std::string>{"z", "y", "x"});
  }
  SECTION("a node whose input was inserted later moves after it") {
    Node* use = g.add_node("use", "Relu", {}, {});
    add(g, "other");
    Node* src = add(g, "src");
    use->add_input(src->output(0));
    CHECK(names_of(g.topological_order()) == std::vector<std::string>{"src", "use", "other"});
  }
  SECTION("control edges order like data edges") {
    Node* first = add(g, "first");
    Node* second = add(g, "second");
    first->add_control_input(second);
    CHECK(names_of(g.topological_order()) == std::vector<std::string>{"second", "first"});
  }
  SECTION("repeated calls give the same order") {
    Node* a = add(g, "a");
    add(g, "b", {a->output(0)});
    add(g, "c", {a->output(0)});
    CHECK(names_of(g.topological_order()) == names_of(g.topological_order()));
    CHECK(names_of(g.topological_order()) == std::vector<std::string>{"a", "b", "c"});
  }
}

TEST_CASE("topological_order reports a cycle naming a node on it", "[ir]") {
  Graph g;
  SECTION("through data edges") {
    Node* a = g.add_node("a", "Relu", {}, {});
    Node* b = g.add_node("b", "Relu", {}, {a->output(0)});
    a->add_input(b->output(0));
    REQUIRE_THROWS_WITH(g.topological_order(),
                        "node 'a' (Relu): the graph has a cycle through this node and 'b'");
  }
  SECTION("through a control edge") {
    Node* a = add(g, "a");
    Node* b = add(g, "b", {a->output(0)});
    a->add_control_input(b);
    REQUIRE_THROWS_WITH(g.topological_order(), Contains("node 'a' (Const)") && Contains("cycle"));
  }
  SECTION("a node feeding itself") {
    Node* a = g.add_node("self", "Relu", {}, {});
    a->add_input(a->output(0));
    REQUIRE_THROWS_WITH(g.topological_order(), Contains("node 'self' (Relu)") && Contains("'self'"));
  }
}

TEST_CASE("unique_name returns the prefix, or the prefix with the first free suffix", "[ir]") {
  Graph g;
  CHECK(g.unique_name("x") == "x");
  add(g, "x");
  CHECK(g.unique_name("x") == "x_1");
  add(g, "x_1");
  add(g, "x_3");
  CHECK(g.unique_name("x") == "x_2");
}

TEST_CASE("verify_graph accepts a well-formed graph and names the node of each broken invariant", "[ir]") {
  Graph g;
  Node* a = add(g, "a");
  Node* b = add(g, "b", {a->output(0)});
  g.outputs().push_back({"out", b->output(0)});
  verify_graph(g, false);

  SECTION("an input produced in another graph") {
    Graph other;
    Node* foreign = add(other, "foreign");
    b->add_input(foreign->output(0));
    REQUIRE_THROWS_WITH(verify_graph(g, false),
                        "node 'b' (Identity): IR verifier: input 1 is not produced by a node of this graph");
  }
  SECTION("a stale use: a user outside the graph") {
    Graph other;
    add(other, "stranger", {a->output(0)});
    REQUIRE_THROWS_WITH(verify_graph(g, false), "node 'a' (Const): IR verifier: output 0 has a stale use");
  }
  SECTION("a signature entry naming a value outside the graph") {
    Graph other;
    g.outputs().push_back({"lost", add(other, "elsewhere")->output(0)});
    REQUIRE_THROWS_WITH(verify_graph(g, false), "graph signature: 'lost' names a value outside the graph");
  }
  SECTION("a control input outside the graph") {
    Graph other;
    b->add_control_input(add(other, "ctrl"));
    REQUIRE_THROWS_WITH(verify_graph(g, false), Contains("node 'b' (Identity)") && Contains("control input"));
  }
  SECTION("an untyped value once types are required") {
    set_type(a->output(0), {DType::f32, {2}});
    REQUIRE_THROWS_WITH(verify_graph(g, true), "node 'b' (Identity): IR verifier: output 0 has no type");
    set_type(b->output(0), {DType::f32, {2}});
    verify_graph(g, true);
  }
  SECTION("a cycle") {
    a->add_control_input(b);
    REQUIRE_THROWS_WITH(verify_graph(g, false), Contains("cycle"));
  }
}

TEST_CASE("print_graph writes one line per node in topological order, then the signature", "[ir]") {
  Graph g;
  Node* x = g.add_node("x", "Placeholder",
                       AttrMap("x", "Placeholder", {{"dtype", ops::attr_dtype(DType::f32)},
                                                    {"shape", ops::attr_shape({1, 2})}}),
                       {});
  set_type(x->output(0), {DType::f32, {1, 2}});
  Node* s = g.add_node("s", "Split", AttrMap("s", "Split", {{"num_outputs", ops::attr_int(2)}}), {x->output(0)}, 2);
  set_type(s->output(0), {DType::f32, {1, 1}});
  Node* y = g.add_node("y", "Add", {}, {s->output(0), s->output(1)});
  y->add_control_input(x);
  y->set_device("/cpu:0");
  g.inputs().push_back({"images", x->output(0)});
  g.outputs().push_back({"sum", y->output(0)});

  CHECK(print_graph(g) ==
        "%x: f32[1,2] = Placeholder() {dtype=f32, shape=[1,2]}\n"
        "%s: f32[1,1], %s:1: ? = Split(%x) {num_outputs=2}\n"
        "%y: ? = Add(%s, %s:1, ^x) @/cpu:0\n"
        "input images = %x\n"
        "output sum = %y\n");
}

TEST_CASE("graph_to_dot draws every node, data edge, control edge and signature entry", "[ir]") {
  Graph g;
  Node* x = add(g, "x");
  set_type(x->output(0), {DType::i32, {3}});
  Node* q = add(g, "say \"hi\"", {x->output(0)});
  Node* c = add(g, "c");
  q->add_control_input(c);
  g.inputs().push_back({"in", x->output(0)});
  g.outputs().push_back({"out", q->output(0)});

  std::string dot = graph_to_dot(g);
  CHECK_THAT(dot, Catch::StartsWith("digraph graphc {") && Catch::EndsWith("}\n"));
  // Topological order numbers the nodes: x = n0, c = n1, q = n2.
  CHECK_THAT(dot, Contains("n0 [label=\"x\\nConst\\ni32[3]\"];"));
  CHECK_THAT(dot, Contains("n2 [label=\"say \\\"hi\\\"\\nIdentity\\n?\"];"));
  CHECK_THAT(dot, Contains("n0 -> n2 [label=\"i32[3]\"];"));
  CHECK_THAT(dot, Contains("n1 -> n2 [style=dashed];"));
  CHECK_THAT(dot, Contains("in0 [shape=ellipse, label=\"in\"];\n  in0 -> n0;"));
  CHECK_THAT(dot, Contains("out0 [shape=ellipse, label=\"out\"];\n  n2 -> out0;"));
}
