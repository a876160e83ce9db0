// add_typed_node (see add_typed_node.h).
#include "compiler/passes/add_typed_node.h"

#include <fmt/format.h>

#include <optional>

#include "compiler/ops/op_registry.h"
#include "compiler/passes/constant_value.h"
#include "graphc/error.h"

namespace graphc::passes {

std::vector<ir::Value*> add_typed_node(ir::Graph& graph, const std::string& prefix, const std::string& op,
                                       const std::vector<ir::Value*>& inputs,
                                       std::map<std::string, proto::AttrValue> attrs, int num_outputs) {
  const ops::OpSchema* schema = ops::OpRegistry::global().find(op);
  if (schema == nullptr) throw Error(prefix, fmt::format("internal error: a pass adds the unknown op '{}'", op));
  for (const ops::AttrSpec& spec : schema->attrs) {
    if (!attrs.count(spec.name) && spec.default_value) attrs[spec.name] = *spec.default_value;
  }
  std::string name = graph.unique_name(prefix);
  ir::Node* n = graph.add_node(name, op, AttrMap(name, op, std::move(attrs)), inputs, num_outputs);
  std::vector<TensorType> types;
  std::vector<std::optional<Tensor>> constants;
  for (const ir::Value* v : inputs) {
    types.push_back(v->type());
    constants.push_back(constant_value(v));
  }
  std::vector<const Tensor*> constant_ptrs;
  for (const auto& c : constants) constant_ptrs.push_back(c ? &*c : nullptr);
  ops::InferContext infer_ctx(n->attrs(), std::move(types), std::move(constant_ptrs));
  std::vector<TensorType> outputs = schema->infer(infer_ctx);
  if (outputs.size() != n->num_outputs()) {
    infer_ctx.fail(fmt::format("internal error: {} outputs inferred for {}", outputs.size(), n->num_outputs()));
  }
  std::vector<ir::Value*> values;
  for (size_t i = 0; i < outputs.size(); ++i) {
    n->output(i)->set_type(std::move(outputs[i]));
    n->output(i)->mark_typed();
    values.push_back(n->output(i));
  }
  return values;
}

}  // namespace graphc::passes
