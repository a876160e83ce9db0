// verify_graph: the IR's structural invariants.
#include "compiler/ir/verifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "graphc/error.h"

namespace graphc::ir {

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
  graph.topological_order();
}

}  // namespace graphc::ir
