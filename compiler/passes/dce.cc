// dce: marks every node a signature output or an assignment depends on
// (through data and control edges), plus the Placeholders of signature inputs
// (callers feed them even when unused), and erases the rest, users before
// producers.
#include <unordered_set>

#include "compiler/passes/pass.h"

namespace graphc::passes {

bool eliminate_dead_code(ir::Graph& graph, PassContext&) {
  std::unordered_set<const ir::Node*> live;
  std::vector<const ir::Node*> work;
  auto mark = [&](const ir::Node* n) {
    if (live.insert(n).second) work.push_back(n);
  };
  for (const auto& s : graph.outputs()) mark(s.value->producer());
  for (const auto& s : graph.inputs()) mark(s.value->producer());
  for (const auto& a : graph.assignments()) {
    mark(a.variable);
    mark(a.value->producer());
  }
  while (!work.empty()) {
    const ir::Node* n = work.back();
    work.pop_back();
    for (const ir::Value* v : n->inputs()) mark(v->producer());
    for (const ir::Node* c : n->control_inputs()) mark(c);
  }
  std::vector<ir::Node*> order = graph.topological_order();
  bool changed = false;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (live.count(*it)) continue;
    graph.erase(*it);
    changed = true;
  }
  return changed;
}

}  // namespace graphc::passes
