// lower_to_module: IR -> Module proto.
#include "compiler/lower/lower.h"

#include <fmt/format.h>

#include <unordered_map>

#include "compiler/import/graphdef_import.h"
#include "compiler/ops/initializers.h"
#include "graphc/error.h"
#include "runtime/core/tensor_proto.h"

namespace graphc {

namespace {
/// The .gcm format version this compiler writes (runtime/src/module.cc reads it).
constexpr int kModuleFormatVersion = 1;
}  // namespace

proto::Module lower_to_module(const ir::Graph& graph) {
  proto::Module module;
  module.set_format_version(kModuleFormatVersion);
  std::unordered_map<const ir::Value*, int> ids;
  std::unordered_map<const ir::Node*, std::string> input_names;
  for (const auto& s : graph.inputs()) input_names[s.value->producer()] = s.name;

  for (const ir::Node* n : graph.topological_order()) {
    for (size_t i = 0; i < n->num_outputs(); ++i) {
      const ir::Value* v = n->output(i);
      ids[v] = module.values_size();
      auto* info = module.add_values();
      info->set_name(v->name());
      info->set_dtype(dtype_to_proto(v->type().dtype));
      for (int64_t d : v->type().shape) info->add_shape(d);
    }
    std::string where = fmt::format("node '{}' ({})", n->name(), n->op());
    if (n->op() == "Const") {
      auto* c = module.add_constants();
      c->set_value(ids[n->output(0)]);
      *c->mutable_data() = tensor_to_proto(tensor_from_proto(n->attrs().get_tensor("value"), where));
    } else if (n->op() == "Variable") {
      auto* c = module.add_constants();
      c->set_value(ids[n->output(0)]);
      c->set_variable(true);
      *c->mutable_data() = tensor_to_proto(ops::initialize_variable(n->attrs()));
    } else if (n->op() == "Placeholder") {
      auto it = input_names.find(n);
      if (it == input_names.end()) {
        if (n->output(0)->uses().empty()) continue;
        throw Error::at_node(n->name(), n->op(), "is used but is not a signature input, so nothing can feed it");
      }
      auto* b = module.add_inputs();
      b->set_name(it->second);
      b->set_value(ids[n->output(0)]);
    } else {
      auto* step = module.add_steps();
      step->set_node(n->name());
      step->set_op(n->op());
      for (const auto& [name, value] : n->attrs().values()) (*step->mutable_attr())[name] = value;
      for (const ir::Value* v : n->inputs()) step->add_inputs(ids.at(v));
      for (size_t i = 0; i < n->num_outputs(); ++i) step->add_outputs(ids.at(n->output(i)));
    }
  }
  for (const auto& s : graph.outputs()) {
    auto* b = module.add_outputs();
    b->set_name(s.name);
    b->set_value(ids.at(s.value));
  }
  *module.mutable_graph() = export_graphdef(graph);
  return module;
}

}  // namespace graphc
