// replace_group (see fusion_rewrite.h).
#include "compiler/passes/fusion_rewrite.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "compiler/passes/add_typed_node.h"

namespace graphc::passes {

ir::Node* replace_group(ir::Graph& graph, const std::vector<ir::Node*>& group, const std::string& op,
                        const std::vector<ir::Value*>& inputs, std::map<std::string, proto::AttrValue> attrs,
                        const std::vector<ir::Value*>& outputs) {
  const ir::Node* last = group.back();
  std::vector<ir::Value*> fused =
      add_typed_node(graph, last->name() + "/fused", op, inputs, std::move(attrs), static_cast<int>(outputs.size()));
  ir::Node* node = fused[0]->producer();
  node->set_device(last->device());
  std::unordered_set<const ir::Node*> members(group.begin(), group.end());
  for (const ir::Node* m : group) {
    for (ir::Node* c : m->control_inputs()) {
      const auto& have = node->control_inputs();
      if (!members.count(c) && std::find(have.begin(), have.end(), c) == have.end()) node->add_control_input(c);
    }
  }
  for (ir::Node* n : graph.nodes()) {
    if (members.count(n) || n == node) continue;
    bool ordered_after_group = false;
    for (ir::Node* m : group) {
      const auto& ctrl = n->control_inputs();
      if (std::find(ctrl.begin(), ctrl.end(), m) == ctrl.end()) continue;
      n->remove_control_input(m);
      ordered_after_group = true;
    }
    if (ordered_after_group) n->add_control_input(node);
  }
  for (size_t i = 0; i < outputs.size(); ++i) graph.replace_all_uses(outputs[i], fused[i]);
  for (auto it = group.rbegin(); it != group.rend(); ++it) graph.erase(*it);
  return node;
}

bool keeps_branches_apart(const ir::Value* input, const ir::Node* member) {
  const ir::Node* producer = input->producer();
  if (producer->inputs().empty() && producer->control_inputs().empty()) return true;
  std::vector<const ir::Node*> stack = {member};
  std::unordered_set<const ir::Node*> seen = {member};
  while (!stack.empty()) {
    const ir::Node* n = stack.back();
    stack.pop_back();
    if (n == producer) return true;
    auto visit = [&](const ir::Node* p) {
      if (seen.insert(p).second) stack.push_back(p);
    };
    for (const ir::Value* v : n->inputs()) visit(v->producer());
    for (const ir::Node* c : n->control_inputs()) visit(c);
  }
  return false;
}

bool is_assigned(const ir::Graph& graph, const ir::Value* v) {
  return std::any_of(graph.assignments().begin(), graph.assignments().end(),
                     [&](const ir::Assignment& a) { return a.value == v; });
}

bool is_signature_output(const ir::Graph& graph, const ir::Value* v) {
  return std::any_of(graph.outputs().begin(), graph.outputs().end(),
                     [&](const ir::SignatureValue& s) { return s.value == v; });
}

std::string describe_member(const ir::Node* n) { return fmt::format("{} ({})", n->name(), n->op()); }

}  // namespace graphc::passes
