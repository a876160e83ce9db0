// constant_value: decodes a Const node's tensor attribute.
#include "compiler/passes/constant_value.h"

#include <fmt/format.h>

#include "runtime/core/tensor_proto.h"

namespace graphc::passes {

std::optional<Tensor> constant_value(const ir::Value* v) {
  const ir::Node* n = v->producer();
  if (n->op() != "Const") return std::nullopt;
  return tensor_from_proto(n->attrs().get_tensor("value"), fmt::format("node '{}' (Const)", n->name()));
}

}  // namespace graphc::passes
