// fold-batchnorm: an inference BatchNorm whose input is a Conv2D (or a
// Dense with a [N, M] output) with constant weights is folded into them:
//
//   s  = scale / sqrt(var + epsilon)              per output channel o
//   w' = w · s[o]                                 every weight of channel o
//   b' = (b − mean) · s + bias                    (b = 0 without a bias)
//
// so the convolution alone computes what convolution then normalisation
// did, and fuse-epilogue can go on to fold what follows. Only constants
// (Const nodes) fold: Variables may change between runs (training
// modules share them with their inference entry point). The anchor's output
// must have no other reader, which would still need the unnormalised value.
#include <fmt/format.h>

#include <cmath>

#include "compiler/ops/op_schema.h"
#include "compiler/passes/add_typed_node.h"
#include "compiler/passes/constant_value.h"
#include "compiler/passes/fusion_rewrite.h"
#include "compiler/passes/pass.h"

namespace graphc::passes {
namespace {

/// Per output channel of `anchor`, the index of that channel for weight
/// element i of `w` (OIHW for Conv2D; [K, M] or [M, K] for Dense).
int64_t channel_of_weight(const ir::Node* anchor, const Shape& w, int64_t i) {
  if (anchor->op() == "Conv2D") return i / (num_elements(w) / w[0]);
  bool transposed = anchor->attrs().get_bool("transpose_w");
  return transposed ? i / w[1] : i % w[1];
}

bool foldable(const ir::Node* bn) {
  const ir::Node* anchor = bn->input(0)->producer();
  if (anchor->op() != "Conv2D" && anchor->op() != "Dense") return false;
  if (anchor->output(0)->uses().size() != 1 || anchor->output(0)->type().dtype != DType::f32) return false;
  if (anchor->op() == "Dense" && anchor->output(0)->type().shape.size() != 2) return false;
  for (size_t i = 1; i < anchor->inputs().size(); ++i) {
    if (!constant_value(anchor->input(i))) return false;
  }
  for (size_t i = 1; i < 5; ++i) {
    if (!constant_value(bn->input(i))) return false;
  }
  int64_t channels = anchor->op() == "Conv2D" ? anchor->input(1)->type().shape[0] : anchor->output(0)->type().shape[1];
  return num_elements(bn->input(1)->type().shape) == channels;
}

ir::Value* add_const(ir::Graph& graph, const std::string& name, const Tensor& value) {
  return add_typed_node(graph, name, "Const", {}, {{"value", ops::attr_tensor(value)}}, 1)[0];
}

void fold(ir::Graph& graph, ir::Node* bn) {
  ir::Node* anchor = bn->input(0)->producer();
  Tensor w = constant_value(anchor->input(1))->clone();
  Tensor scale = *constant_value(bn->input(1)), shift = *constant_value(bn->input(2));
  Tensor mean = *constant_value(bn->input(3)), var = *constant_value(bn->input(4));
  float epsilon = bn->attrs().get_float("epsilon");
  int64_t channels = scale.num_elements();
  std::vector<float> s(channels);
  Tensor b(DType::f32, {channels});
  std::optional<Tensor> old_bias = anchor->inputs().size() == 3 ? constant_value(anchor->input(2)) : std::nullopt;
  for (int64_t o = 0; o < channels; ++o) {
    s[o] = scale.data<float>()[o] / std::sqrt(var.data<float>()[o] + epsilon);
    float bias = old_bias ? old_bias->data<float>()[o] : 0.0f;
    b.data<float>()[o] = (bias - mean.data<float>()[o]) * s[o] + shift.data<float>()[o];
  }
  float* pw = w.data<float>();
  for (int64_t i = 0; i < w.num_elements(); ++i) pw[i] *= s[channel_of_weight(anchor, w.shape(), i)];
  std::vector<ir::Value*> inputs = {anchor->input(0), add_const(graph, anchor->name() + "/folded_w", w),
                                    add_const(graph, anchor->name() + "/folded_b", b)};
  std::map<std::string, proto::AttrValue> attrs(anchor->attrs().values().begin(), anchor->attrs().values().end());
  replace_group(graph, {anchor, bn}, anchor->op(), inputs, std::move(attrs), {bn->output(0)});
}

}  // namespace

bool fold_batchnorm(ir::Graph& graph, PassContext&) {
  std::vector<ir::Node*> norms;
  for (ir::Node* n : graph.topological_order()) {
    if (n->op() == "BatchNorm" && foldable(n)) norms.push_back(n);
  }
  for (ir::Node* bn : norms) fold(graph, bn);
  return !norms.empty();
}

}  // namespace graphc::passes
