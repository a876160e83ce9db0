// verify_graph: the IR's structural invariants.
#include "compiler/ir/verifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "graphc/error.h"

namespace graphc::ir {

namespace {

/// Every node `n` depends on, through data and control edges.
std::unordered_set<const Node*> ancestors(const Node* n) {
  std::unordered_set<const Node*> seen;
  std::vector<const Node*> work = {n};
  while (!work.empty()) {
    const Node* m = work.back();
    work.pop_back();
    auto visit = [&](const Node* p) {
      if (seen.insert(p).second) work.push_back(p);
    };
    for (const Value* v : m->inputs()) visit(v->producer());
    for (const Node* c : m->control_inputs()) visit(c);
  }
  return seen;
}

/// An assignment names a Variable of the graph, once, and a value of its
/// type; every other reader of the Variable runs before the assigning node
/// (which overwrites the Variable's storage).
template <typename Owned>
void verify_assignments(const Graph& graph, const Owned& owned, bool require_types) {
  std::unordered_set<const Node*> assigned;
  for (const Assignment& a : graph.assignments()) {
    if (a.variable == nullptr || !owned(a.variable->output(0)) || a.variable->op() != "Variable") {
      throw Error("graph signature", "an assignment names something other than a Variable of this graph");
    }
    auto fail = [&](const std::string& what) {
      throw Error::at_node(a.variable->name(), a.variable->op(), "IR verifier: " + what);
    };
    if (!assigned.insert(a.variable).second) fail("is assigned twice");
    if (!owned(a.value)) fail("is assigned a value outside the graph");
    if (require_types && a.value->type() != a.variable->output(0)->type()) {
      fail(fmt::format("is {} but is assigned '{}' of type {}", a.variable->output(0)->type().to_string(),
                       a.value->name(), a.value->type().to_string()));
    }
    const Node* writer = a.value->producer();
    std::unordered_set<const Node*> before = ancestors(writer);
    for (const Use& u : a.variable->output(0)->uses()) {
      if (u.user != writer && before.count(u.user) == 0) {
        fail(fmt::format("node '{}' reads it but does not run before '{}', which overwrites it", u.user->name(),
                         writer->name()));
      }
    }
  }
}

}  // namespace

void verify_graph(const Graph& graph, bool require_types) {
  std::vector<Node*> nodes = graph.nodes();
  std::unordered_set<const Node*> members(nodes.begin(), nodes.end());
  auto owned = [&](const Value* v) { return v != nullptr && members.count(v->producer()) != 0; };

  for (const Node* n : nodes) {
    auto fail = [&](const std::string& what) { throw Error::at_node(n->name(), n->op(), "IR verifier: " + what); };
    for (size_t i = 0; i < n->inputs().size(); ++i) {
      const Value* v = n->inputs()[i];
      if (!owned(v)) fail(fmt::format("input {} is not produced by a node of this graph", i));
      const auto& uses = v->uses();
      if (std::find(uses.begin(), uses.end(), Use{const_cast<Node*>(n), static_cast<int>(i)}) == uses.end()) {
        fail(fmt::format("input {} ('{}') does not list this node among its uses", i, v->name()));
      }
    }
    for (const Node* c : n->control_inputs()) {
      if (members.count(c) == 0) fail("a control input is not a node of this graph");
    }
    for (size_t i = 0; i < n->num_outputs(); ++i) {
      const Value* v = n->output(i);
      for (const Use& u : v->uses()) {
        if (members.count(u.user) == 0 || u.index >= static_cast<int>(u.user->inputs().size()) ||
            u.user->inputs()[u.index] != v) {
          fail(fmt::format("output {} has a stale use", i));
        }
      }
      if (require_types && !v->has_type()) fail(fmt::format("output {} has no type", i));
    }
  }
  for (const auto* list : {&graph.inputs(), &graph.outputs()}) {
    for (const auto& s : *list) {
      if (!owned(s.value)) throw Error("graph signature", fmt::format("'{}' names a value outside the graph", s.name));
    }
  }
  verify_assignments(graph, owned, require_types);
  graph.topological_order();
}

}  // namespace graphc::ir
