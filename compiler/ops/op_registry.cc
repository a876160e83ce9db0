// OpRegistry: the built-in ops, gathered from the op family files.
#include "compiler/ops/op_registry.h"

#include <fmt/format.h>

#include "graphc/error.h"

namespace graphc::ops {

const OpRegistry& OpRegistry::global() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    register_graph_ops(r);
    register_elementwise_ops(r);
    register_linalg_ops(r);
    register_nn_ops(r);
    register_reduce_ops(r);
    register_shape_ops(r);
    register_math_ops(r);
    register_logical_ops(r);
    register_tensor_ops(r);
    register_arg_reduce_ops(r);
    register_resize_ops(r);
    register_index_ops(r);
    register_rnn_ops(r);
    register_gradient_ops(r);
    register_loss_ops(r);
    register_optimizer_ops(r);
    register_fused_ops(r);
    return r;
  }();
  return registry;
}

void OpRegistry::add(OpSchema schema) {
  std::string name = schema.name;
  if (!schemas_.emplace(name, std::move(schema)).second) {
    throw Error("", fmt::format("op '{}' declared twice", name));
  }
}

const OpSchema* OpRegistry::find(const std::string& op) const {
  auto it = schemas_.find(op);
  return it == schemas_.end() ? nullptr : &it->second;
}

std::vector<std::string> OpRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, schema] : schemas_) out.push_back(name);
  return out;
}

}  // namespace graphc::ops
