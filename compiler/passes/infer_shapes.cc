// infer-shapes: walks the graph in topological order and asks each op's
// schema for its output types, given the input types and, where an input is
// a constant, its value. After this pass every value has a static type with
// no unknown dims.
#include <fmt/format.h>

#include "compiler/ops/op_registry.h"
#include "compiler/passes/constant_value.h"
#include "compiler/passes/known_values.h"
#include "compiler/passes/pass.h"
#include "graphc/error.h"

namespace graphc::passes {

namespace {

/// Whether the byte count of a tensor of `type` fits in an int64.
bool byte_size_fits(const TensorType& type) {
  auto bytes = static_cast<int64_t>(dtype_size(type.dtype));
  for (int64_t d : type.shape) {
    if (__builtin_mul_overflow(bytes, d, &bytes)) return false;
  }
  return true;
}

/// A small i32/i64 value known at compile time, else std::nullopt (also when
/// computing it fails: the kernel reports that at run time).
std::optional<Tensor> shape_like_value(KnownValues& known, const ir::Value* v) {
  const TensorType& t = v->type();
  if ((t.dtype != DType::i64 && t.dtype != DType::i32) || num_elements(t.shape) > 1024) return std::nullopt;
  try {
    return known.get(v);
  } catch (const Error&) {
    return std::nullopt;
  }
}

}  // namespace

bool infer_shapes(ir::Graph& graph, PassContext& ctx) {
  const auto& registry = ops::OpRegistry::global();
  bool changed = false;
  KnownValues known;
  for (ir::Node* n : graph.topological_order()) {
    const ops::OpSchema* schema = registry.find(n->op());
    if (schema == nullptr) throw Error::at_node(n->name(), n->op(), "unknown op");
    std::vector<TensorType> types;
    std::vector<std::optional<Tensor>> constants;
    for (const ir::Value* v : n->inputs()) {
      types.push_back(v->type());
      // Constants, and small integer values computed from them and from
      // static shapes (Shape -> Gather -> Concat feeding a Reshape).
      constants.push_back(v->producer()->op() == "Const" ? constant_value(v) : shape_like_value(known, v));
    }
    std::vector<const Tensor*> constant_ptrs;
    for (const auto& c : constants) constant_ptrs.push_back(c ? &*c : nullptr);
    ops::InferContext infer_ctx(n->attrs(), std::move(types), std::move(constant_ptrs));
    std::vector<TensorType> outputs = schema->infer(infer_ctx);
    if (outputs.size() != n->num_outputs()) {
      infer_ctx.fail(fmt::format("internal error: shape function gave {} outputs, the node has {}", outputs.size(),
                                 n->num_outputs()));
    }
    for (size_t i = 0; i < outputs.size(); ++i) {
      for (size_t d = 0; d < outputs[i].shape.size(); ++d) {
        if (outputs[i].shape[d] >= 0) continue;
        if (n->op() == "Placeholder") {
          infer_ctx.fail(fmt::format("dim {} of shape {} is unknown; give it with --shape {}=<dims, e.g. 1x784> or "
                                     "by feeding an input",
                                     d, shape_to_string(outputs[i].shape), n->name()));
        }
        infer_ctx.fail(fmt::format("inferred shape {} has a negative dim", shape_to_string(outputs[i].shape)));
      }
      if (!byte_size_fits(outputs[i])) {
        infer_ctx.fail(fmt::format("output {} is too large: its byte count overflows 64 bits", outputs[i].to_string()));
      }
      ir::Value* v = n->output(i);
      if (!v->has_type() || v->type() != outputs[i]) changed = true;
      v->set_type(std::move(outputs[i]));
      v->mark_typed();
    }
  }
  ctx.types_inferred = true;
  return changed;
}

}  // namespace graphc::passes
