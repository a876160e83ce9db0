// graph_to_dot: the IR as a Graphviz digraph.
#include "compiler/ir/dot.h"

#include <fmt/format.h>

#include <unordered_map>

namespace graphc::ir {

namespace {

/// Escapes a string for a double-quoted Graphviz label.
std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string graph_to_dot(const Graph& graph) {
  std::string out = "digraph graphc {\n  rankdir=TB;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n";
  std::unordered_map<const Node*, int> id;
  for (const Node* n : graph.topological_order()) {
    int i = static_cast<int>(id.size());
    id[n] = i;
    std::string types;
    for (size_t k = 0; k < n->num_outputs(); ++k) {
      types += "\\n" + (n->output(k)->has_type() ? n->output(k)->type().to_string() : std::string("?"));
    }
    out += fmt::format("  n{} [label=\"{}\\n{}{}\"];\n", i, escape(n->name()), escape(n->op()), types);
  }
  for (const Node* n : graph.topological_order()) {
    for (const Value* v : n->inputs()) {
      std::string label = v->has_type() ? v->type().to_string() : "";
      out += fmt::format("  n{} -> n{} [label=\"{}\"];\n", id[v->producer()], id[n], escape(label));
    }
    for (const Node* c : n->control_inputs()) out += fmt::format("  n{} -> n{} [style=dashed];\n", id[c], id[n]);
  }
  int k = 0;
  for (const auto& s : graph.inputs()) {
    out += fmt::format("  in{} [shape=ellipse, label=\"{}\"];\n  in{} -> n{};\n", k, escape(s.name), k,
                       id[s.value->producer()]);
    ++k;
  }
  k = 0;
  for (const auto& s : graph.outputs()) {
    out += fmt::format("  out{} [shape=ellipse, label=\"{}\"];\n  n{} -> out{};\n", k, escape(s.name),
                       id[s.value->producer()], k);
    ++k;
  }
  out += "}\n";
  return out;
}

}  // namespace graphc::ir
