// fuse-epilogue: Conv2D, Dense or MatMul followed by adds (a bias, a
// residual) and one activation becomes FusedConv2D/FusedDense/FusedMatMul,
// whose oneDNN kernel applies them as post-ops while it writes the output,
// instead of reading and writing the tensor once more per op.
//
// From each anchor the pass follows its output down a chain: the value must
// have exactly one use (no other reader needs the intermediate) and not be
// a signature output or assigned; the user must be an f32 Add whose other
// operand broadcasts to the value's shape, a Maximum/Minimum with a
// constant scalar (a clip: ONNX's Clip, Relu6), or an activation (Relu,
// Sigmoid, Tanh, Gelu), which ends the chain. The addend cannot depend on the chain
// (the chain's only way out is through the Add reading it), so the rewrite
// never makes a cycle. An anchor that fuses nothing is reported with the
// reason its first consumer was refused. Nodes with different device hints
// never fuse; with several devices an addend must come from a graph source
// or the anchor's own ancestors (a bias, a residual), so fusion never
// makes one branch wait for another.
#include <fmt/format.h>

#include <optional>

#include "compiler/passes/constant_value.h"
#include "compiler/passes/fusion_rewrite.h"
#include "compiler/passes/pass.h"
#include "runtime/core/fusion_attrs.h"

namespace graphc::passes {
namespace {

bool is_anchor(const ir::Node* n) { return n->op() == "Conv2D" || n->op() == "Dense" || n->op() == "MatMul"; }

/// The chain grown so far from one anchor.
struct Chain {
  std::vector<ir::Node*> nodes;  // the anchor, then the fused users
  std::vector<std::string> epilogue;
  std::vector<ir::Value*> addends;
  std::vector<float> scalars;  // of the Maximum/Minimum clips
  std::string gelu_approximate = "none";
  ir::Value* end = nullptr;  // the value the fused node will produce
};

/// Why `chain` cannot take the next user of its end, or nullopt after
/// taking it. `devices` > 1: see keeps_branches_apart.
std::optional<std::string> extend(const ir::Graph& graph, Chain& chain, int devices) {
  ir::Value* v = chain.end;
  if (v->uses().size() != 1) return fmt::format("'{}' has {} readers", v->name(), v->uses().size());
  if (is_signature_output(graph, v)) return fmt::format("'{}' is a signature output", v->name());
  if (is_assigned(graph, v)) return fmt::format("'{}' is assigned to a Variable", v->name());
  ir::Node* user = v->uses()[0].user;
  if (user->device() != v->producer()->device()) return fmt::format("{} has another device hint", describe_member(user));
  if (user->output(0)->type() != v->type()) {
    return fmt::format("{} changes the type to {}", describe_member(user), user->output(0)->type().to_string());
  }
  if (user->op() == "Add") {
    ir::Value* other = user->input(user->input(0) == v ? 1 : 0);
    if (other == v) return fmt::format("{} adds the value to itself", describe_member(user));
    if (other->type().dtype != v->type().dtype) return fmt::format("{} mixes dtypes", describe_member(user));
    if (devices > 1 && !keeps_branches_apart(other, chain.nodes[0])) {
      return fmt::format("{} joins another branch, which {} devices could run in parallel", describe_member(user), devices);
    }
    chain.epilogue.push_back("Add");
    chain.addends.push_back(other);
  } else if (is_epilogue_clip(user->op())) {
    ir::Value* other = user->input(user->input(0) == v ? 1 : 0);
    std::optional<Tensor> scalar = constant_value(other);
    if (!scalar || scalar->dtype() != DType::f32 || scalar->num_elements() != 1) {
      return fmt::format("{} does not clip with a constant scalar", describe_member(user));
    }
    chain.epilogue.push_back(user->op());
    chain.scalars.push_back(scalar->data<float>()[0]);
  } else if (is_epilogue_activation(user->op())) {
    chain.epilogue.push_back(user->op());
    if (user->op() == "Gelu") chain.gelu_approximate = user->attrs().get_string("approximate");
  } else {
    return fmt::format("{} is not an Add, a clip or an activation (Relu, Sigmoid, Tanh, Gelu)", describe_member(user));
  }
  chain.nodes.push_back(user);
  chain.end = user->output(0);
  return std::nullopt;
}

}  // namespace

bool fuse_epilogue(ir::Graph& graph, PassContext& ctx) {
  bool changed = false;
  std::vector<ir::Node*> anchors;  // collected first: the rewrites erase nodes
  for (ir::Node* n : graph.topological_order()) {
    if (is_anchor(n) && n->output(0)->type().dtype == DType::f32) anchors.push_back(n);
  }
  for (ir::Node* anchor : anchors) {
    Chain chain{{anchor}, {}, {}, {}, "none", anchor->output(0)};
    std::optional<std::string> refused;
    while (!(refused = extend(graph, chain, ctx.devices.count))) {
      if (is_epilogue_activation(chain.epilogue.back())) break;
    }
    if (chain.epilogue.empty()) {
      ctx.fusion.push_back({"fuse-epilogue", anchor->name(), {describe_member(anchor)}, *refused});
      continue;
    }
    std::vector<ir::Value*> inputs = anchor->inputs();
    inputs.insert(inputs.end(), chain.addends.begin(), chain.addends.end());
    std::map<std::string, proto::AttrValue> attrs(anchor->attrs().values().begin(), anchor->attrs().values().end());
    proto::AttrValue epilogue;
    for (const auto& op : chain.epilogue) epilogue.mutable_list()->add_s(op);
    attrs["epilogue"] = epilogue;
    attrs["gelu_approximate"].set_s(chain.gelu_approximate);
    for (float c : chain.scalars) attrs["epilogue_scalars"].mutable_list()->add_f(c);
    std::vector<std::string> members;
    for (const ir::Node* n : chain.nodes) members.push_back(describe_member(n));
    ir::Node* fused = replace_group(graph, chain.nodes, "Fused" + anchor->op(), inputs, std::move(attrs), {chain.end});
    ctx.fusion.push_back({"fuse-epilogue", fused->name(), std::move(members), ""});
    changed = true;
  }
  return changed;
}

}  // namespace graphc::passes
