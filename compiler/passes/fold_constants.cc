// fold-constants: a pure node whose inputs are all Const nodes is evaluated
// at compile time with its reference kernel (the same code the runtime would
// run) and replaced by Const nodes holding its outputs. Results larger than
// kMaxFoldedBytes stay in the graph: folding must not bloat the module (think
// of a scalar broadcast to a huge tensor).
#include <fmt/format.h>

#include "compiler/ops/op_registry.h"
#include "compiler/passes/constant_value.h"
#include "compiler/passes/known_values.h"
#include "compiler/passes/pass.h"
#include "runtime/core/kernel.h"
#include "runtime/core/tensor_proto.h"

namespace graphc::passes {

namespace {

constexpr size_t kMaxFoldedBytes = 16u << 20;

bool is_foldable(const ir::Node* n, const ops::OpSchema& schema) {
  if (schema.is_constant || schema.is_stateful || n->inputs().empty()) return false;
  size_t bytes = 0;
  for (size_t i = 0; i < n->num_outputs(); ++i) {
    const TensorType& t = n->output(i)->type();
    bytes += dtype_size(t.dtype) * static_cast<size_t>(num_elements(t.shape));
  }
  if (bytes > kMaxFoldedBytes) return false;
  for (const ir::Value* v : n->inputs()) {
    if (v->producer()->op() != "Const") return false;
  }
  return true;
}

}  // namespace

bool fold_constants(ir::Graph& graph, PassContext&) {
  const auto& registry = ops::OpRegistry::global();
  bool changed = false;
  for (ir::Node* n : graph.topological_order()) {
    const ops::OpSchema* schema = registry.find(n->op());
    if (schema == nullptr) continue;
    // Shape and Size of a typed value are constants, whatever its producer.
    if (auto value = value_from_types(n)) {
      std::string name = graph.unique_name(n->name() + "/folded");
      proto::AttrValue attr;
      *attr.mutable_tensor() = tensor_to_proto(*value);
      ir::Node* c = graph.add_node(name, "Const", AttrMap(name, "Const", {{"value", attr}}), {});
      c->output(0)->set_type(value->type());
      c->output(0)->mark_typed();
      graph.replace_all_uses(n->output(0), c->output(0));
      graph.erase(n);
      changed = true;
      continue;
    }
    if (!is_foldable(n, *schema)) continue;

    std::vector<Tensor> inputs;
    std::vector<TensorType> in_types, out_types;
    for (const ir::Value* v : n->inputs()) {
      inputs.push_back(*constant_value(v));
      in_types.push_back(v->type());
    }
    std::vector<Tensor> outputs;
    for (size_t i = 0; i < n->num_outputs(); ++i) {
      out_types.push_back(n->output(i)->type());
      outputs.emplace_back(out_types.back());
    }
    auto kernel = KernelRegistry::reference().create(KernelSpec{n->attrs(), in_types, out_types});
    std::vector<const Tensor*> in_ptrs;
    std::vector<Tensor*> out_ptrs;
    for (const auto& t : inputs) in_ptrs.push_back(&t);
    for (auto& t : outputs) out_ptrs.push_back(&t);
    kernel->run(in_ptrs, out_ptrs);

    for (size_t i = 0; i < outputs.size(); ++i) {
      std::string name = graph.unique_name(n->num_outputs() == 1 ? n->name() + "/folded"
                                                                 : fmt::format("{}/folded_{}", n->name(), i));
      proto::AttrValue value;
      *value.mutable_tensor() = tensor_to_proto(outputs[i]);
      ir::Node* c = graph.add_node(name, "Const", AttrMap(name, "Const", {{"value", value}}), {});
      c->output(0)->set_type(out_types[i]);
      c->output(0)->mark_typed();
      graph.replace_all_uses(n->output(i), c->output(0));
    }
    graph.erase(n);
    changed = true;
  }
  return changed;
}

}  // namespace graphc::passes
