// print_graph: the IR as text.
#include "compiler/ir/printer.h"

#include <fmt/format.h>

namespace graphc::ir {

namespace {

/// The type, and the layout when it is not plain: "f32[1,64,56,56] channels_last".
std::string type_of(const Value* v) {
  if (!v->has_type()) return "?";
  if (v->layout() == Layout::plain) return v->type().to_string();
  return fmt::format("{} {}", v->type().to_string(), layout_name(v->layout()));
}

}  // namespace

std::string print_graph(const Graph& graph) {
  std::string out;
  for (const Node* n : graph.topological_order()) {
    std::vector<std::string> results;
    for (size_t i = 0; i < n->num_outputs(); ++i) {
      results.push_back(fmt::format("%{}: {}", n->output(i)->name(), type_of(n->output(i))));
    }
    std::vector<std::string> args;
    for (const Value* v : n->inputs()) args.push_back(fmt::format("%{}", v->name()));
    for (const Node* c : n->control_inputs()) args.push_back(fmt::format("^{}", c->name()));
    std::vector<std::string> attrs;
    for (const auto& [name, value] : n->attrs().values()) attrs.push_back(fmt::format("{}={}", name, attr_to_string(value)));
    out += fmt::format("{} = {}({})", fmt::join(results, ", "), n->op(), fmt::join(args, ", "));
    if (!attrs.empty()) out += fmt::format(" {{{}}}", fmt::join(attrs, ", "));
    if (!n->device().empty()) out += fmt::format(" @{}", n->device());
    out += '\n';
  }
  for (const auto& s : graph.inputs()) out += fmt::format("input {} = %{}\n", s.name, s.value->name());
  for (const auto& s : graph.outputs()) out += fmt::format("output {} = %{}\n", s.name, s.value->name());
  for (const auto& a : graph.assignments()) out += fmt::format("assign {} = %{}\n", a.variable->name(), a.value->name());
  return out;
}

}  // namespace graphc::ir
