// cse: two pure nodes with the same op, attributes, inputs and control
// inputs compute the same values; the later one's uses move to the earlier
// one. Visiting in topological order makes merges cascade in one pass.
#include <fmt/format.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <unordered_map>

#include "compiler/ops/op_registry.h"
#include "compiler/passes/pass.h"

namespace graphc::passes {

namespace {

/// A key equal for nodes that compute the same thing: op, deterministic
/// attribute bytes, and the identities of inputs.
std::string node_key(const ir::Node* n) {
  std::string key = n->op();
  key += '\0';
  for (const auto& [name, value] : n->attrs().values()) {
    std::string bytes;
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    value.SerializeToCodedStream(&coded);
    coded.Trim();
    key += fmt::format("{}={}:", name, bytes.size());
    key += bytes;
  }
  for (const ir::Value* v : n->inputs()) key += fmt::format("|{}:{}", static_cast<const void*>(v->producer()), v->index());
  for (const ir::Node* c : n->control_inputs()) key += fmt::format("^{}", static_cast<const void*>(c));
  return key;
}

}  // namespace

bool eliminate_common_subexpressions(ir::Graph& graph, PassContext&) {
  const auto& registry = ops::OpRegistry::global();
  std::unordered_map<std::string, ir::Node*> seen;
  bool changed = false;
  for (ir::Node* n : graph.topological_order()) {
    const ops::OpSchema* schema = registry.find(n->op());
    if (schema == nullptr || schema->is_stateful) continue;
    auto [it, inserted] = seen.emplace(node_key(n), n);
    if (inserted) continue;
    for (size_t i = 0; i < n->num_outputs(); ++i) graph.replace_all_uses(n->output(i), it->second->output(i));
    for (ir::Node* other : graph.nodes()) {
      const auto& ctrl = other->control_inputs();
      if (std::find(ctrl.begin(), ctrl.end(), n) != ctrl.end()) {
        other->remove_control_input(n);
        other->add_control_input(it->second);
      }
    }
    graph.erase(n);
    changed = true;
  }
  return changed;
}

}  // namespace graphc::passes
