// KnownValues: compile-time values from constants and static types.
#include "compiler/passes/known_values.h"

#include <fmt/format.h>

#include "compiler/ops/op_registry.h"
#include "runtime/core/kernel.h"
#include "runtime/core/tensor_op_shapes.h"
#include "runtime/core/tensor_proto.h"

namespace graphc::passes {

std::optional<Tensor> value_from_types(const ir::Node* n) {
  if ((n->op() != "Shape" && n->op() != "Size") || n->inputs().size() != 1 || !n->input(0)->has_type()) {
    return std::nullopt;
  }
  const Shape& shape = n->input(0)->type().shape;
  if (n->op() == "Size") {
    Tensor t(DType::i64, {});
    t.data<int64_t>()[0] = num_elements(shape);
    return t;
  }
  std::optional<int64_t> end;
  if (n->attrs().has("end")) end = n->attrs().get_int("end");
  auto [s, e] = shape_range(static_cast<int64_t>(shape.size()), n->attrs().get_int("start"), end);
  Tensor t(DType::i64, {e - s});
  std::copy(shape.begin() + s, shape.begin() + e, t.data<int64_t>());
  return t;
}

std::optional<Tensor> KnownValues::get(const ir::Value* v) {
  if (auto it = cache_.find(v); it != cache_.end()) return it->second;
  const ir::Node* n = v->producer();
  std::optional<Tensor> result;
  const ops::OpSchema* schema = ops::OpRegistry::global().find(n->op());
  if (n->op() == "Const") {
    result = tensor_from_proto(n->attrs().get_tensor("value"), fmt::format("node '{}' (Const)", n->name()));
  } else if (auto from_types = value_from_types(n)) {
    result = from_types;
  } else if (schema != nullptr && !schema->is_constant && !schema->is_stateful && !n->inputs().empty()) {
    std::vector<Tensor> inputs;
    std::vector<TensorType> in_types, out_types;
    bool ok = true;
    for (size_t i = 0; ok && i < n->num_outputs(); ++i) {
      ok = n->output(i)->has_type() && num_elements(n->output(i)->type().shape) <= kMaxElements;
      if (ok) out_types.push_back(n->output(i)->type());
    }
    for (const ir::Value* in : n->inputs()) {
      if (!ok) break;
      auto value = get(in);
      ok = value.has_value() && in->has_type();
      if (ok) {
        inputs.push_back(*value);
        in_types.push_back(in->type());
      }
    }
    if (ok) {
      std::vector<Tensor> outputs;
      for (const auto& t : out_types) outputs.emplace_back(t);
      auto kernel = KernelRegistry::reference().create(KernelSpec{n->attrs(), in_types, out_types});
      std::vector<const Tensor*> in_ptrs;
      std::vector<Tensor*> out_ptrs;
      for (const auto& t : inputs) in_ptrs.push_back(&t);
      for (auto& t : outputs) out_ptrs.push_back(&t);
      kernel->run(in_ptrs, out_ptrs);
      for (size_t i = 0; i < outputs.size(); ++i) cache_[n->output(i)] = outputs[i];
      return outputs[static_cast<size_t>(v->index())];
    }
  }
  cache_[v] = result;
  return result;
}

}  // namespace graphc::passes
