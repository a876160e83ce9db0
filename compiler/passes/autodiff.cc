// autodiff: reverse-mode differentiation as a graph-to-graph pass.
//
// Given a scalar loss L (a signature output) and the values to differentiate
// with respect to (every f32 Variable, or PassContext::wrt), the pass adds to
// the same graph the nodes computing dL/dw and one signature output
// "grad/<w>" per w.
//
// 1. Forward sweep (topological order): a value is *live* when it is f32 and
//    depends on some w. Only live values can carry a gradient.
// 2. Backward sweep (reverse topological order) from the seed dL/dL = 1. Every
//    consumer of a value comes later in topological order, so when a node is
//    reached all contributions to its outputs' gradients are known; they are
//    summed (a chain of Add nodes) and handed, one per output, to the op's
//    gradient builder (ops::GradientFn, declared with the op in its family
//    file). The builder returns one gradient per input; those of live inputs
//    become contributions to the inputs' gradients.
// 3. A reached node whose op has no builder is an error naming the node.
//    A w the loss does not depend on gets a zero gradient.
//
// Invariants: every node added is typed when added (its schema's shape
// function runs at once), so builders can read the types of what they
// build; the gradient of a value has exactly that value's type (checked).
// Cost: one visit per node and one builder call per reached node; the
// gradient graph is about twice the forward graph, before simplification.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "compiler/ops/op_registry.h"
#include "compiler/passes/add_typed_node.h"
#include "compiler/passes/constant_value.h"
#include "compiler/passes/pass.h"
#include "graphc/error.h"

namespace graphc::passes {

namespace {

bool carries_gradient(const ir::Value* v) { return v->type().dtype == DType::f32; }

/// The pass's side of a gradient builder's view of one node.
class NodeGradientContext final : public ops::GradientContext {
 public:
  NodeGradientContext(ir::Graph& graph, const ir::Node& node, std::vector<ir::Value*> output_grads,
                      std::vector<bool> wanted)
      : graph_(graph), node_(node), output_grads_(std::move(output_grads)), wanted_(std::move(wanted)) {}

  const ir::Node& node() const override { return node_; }
  ir::Value* output_grad(size_t i) const override { return output_grads_.at(i); }
  bool wants_grad(size_t i) const override { return i < wanted_.size() && wanted_[i]; }
  std::vector<ir::Value*> add_node(const std::string& op, const std::vector<ir::Value*>& inputs,
                                   std::map<std::string, proto::AttrValue> attrs, int num_outputs) override {
    return add_typed_node(graph_, fmt::format("{}/grad/{}", node_.name(), op), op, inputs, std::move(attrs),
                          num_outputs);
  }

 private:
  ir::Graph& graph_;
  const ir::Node& node_;
  std::vector<ir::Value*> output_grads_;
  std::vector<bool> wanted_;
};

/// The gradient contributions of every value reached so far, summed on demand.
class Contributions {
 public:
  explicit Contributions(ir::Graph& graph) : graph_(graph) {}

  void add(const ir::Value* v, ir::Value* grad) { parts_[v].push_back(grad); }

  /// The sum of v's contributions, or null when none reached it.
  ir::Value* sum(const ir::Value* v) {
    auto it = parts_.find(v);
    if (it == parts_.end()) return nullptr;
    ir::Value* total = it->second.front();
    std::string prefix = v->name() + "/grad_sum";
    std::replace(prefix.begin(), prefix.end(), ':', '_');
    for (size_t i = 1; i < it->second.size(); ++i) {
      total = add_typed_node(graph_, prefix, "Add", {total, it->second[i]}, {}, 1).front();
    }
    return total;
  }

 private:
  ir::Graph& graph_;
  std::unordered_map<const ir::Value*, std::vector<ir::Value*>> parts_;
};

ir::Value* find_loss(const ir::Graph& graph, const std::string& loss) {
  std::vector<std::string> names;
  for (const auto& s : graph.outputs()) {
    if (s.name == loss) return s.value;
    names.push_back(s.name);
  }
  throw Error("autodiff", fmt::format("the loss '{}' is not a signature output (the outputs are: {}); name it with "
                                      "--loss",
                                      loss, fmt::join(names, ", ")));
}

/// Whether every use of v is an input its op updates in place
/// (OpSchema::in_place): state such as BatchNormTraining's running
/// statistics, not a weight to train.
bool only_updated_in_place(const ir::Value* v) {
  if (v->uses().empty()) return false;
  for (const ir::Use& u : v->uses()) {
    const ops::OpSchema* schema = ops::OpRegistry::global().find(u.user->op());
    if (schema == nullptr || std::none_of(schema->in_place.begin(), schema->in_place.end(),
                                          [&](const auto& pair) { return pair.second == u.index; })) {
      return false;
    }
  }
  return true;
}

/// The values to differentiate with respect to, from PassContext::wrt or
/// every f32 Variable that is not state updated in place.
std::vector<ir::Value*> differentiated_values(const ir::Graph& graph, const PassContext& ctx) {
  std::vector<ir::Value*> values;
  if (ctx.wrt.empty()) {
    for (ir::Node* n : graph.nodes()) {
      if (n->op() == "Variable" && carries_gradient(n->output(0)) && !only_updated_in_place(n->output(0))) {
        values.push_back(n->output(0));
      }
    }
    return values;
  }
  for (const std::string& name : ctx.wrt) {
    ir::Node* n = graph.find(name);
    if (n == nullptr || n->num_outputs() != 1 || !carries_gradient(n->output(0))) {
      throw Error("autodiff", fmt::format("cannot differentiate with respect to '{}': not a node with one f32 output",
                                          name));
    }
    values.push_back(n->output(0));
  }
  return values;
}

ir::Value* seed(ir::Graph& graph, const ir::Value* loss) {
  Tensor one(loss->type());
  *one.data<float>() = 1.0f;
  return add_typed_node(graph, loss->producer()->name() + "/grad_seed", "Const", {},
                        {{"value", ops::attr_tensor(one)}}, 1)
      .front();
}

ir::Value* zeros_like(ir::Graph& graph, const ir::Value* v) {
  Tensor zeros(v->type());
  std::fill_n(zeros.data<float>(), zeros.num_elements(), 0.0f);
  return add_typed_node(graph, v->producer()->name() + "/grad_zeros", "Const", {},
                        {{"value", ops::attr_tensor(zeros)}}, 1)
      .front();
}

/// Calls n's gradient builder and records the gradients of its live inputs.
void differentiate_node(ir::Graph& graph, ir::Node* n, std::vector<ir::Value*> output_grads,
                        const std::unordered_set<const ir::Value*>& live, Contributions& contributions,
                        const std::string& loss) {
  std::vector<bool> wanted;
  for (const ir::Value* v : n->inputs()) wanted.push_back(live.count(v) != 0);
  const ops::OpSchema* schema = ops::OpRegistry::global().find(n->op());
  if (schema == nullptr || !schema->gradient) {
    size_t first = std::find(wanted.begin(), wanted.end(), true) - wanted.begin();
    throw Error::at_node(n->name(), n->op(),
                         fmt::format("op '{}' is not differentiable, but the gradient of the loss '{}' must flow "
                                     "through it to input {} ('{}')",
                                     n->op(), loss, first, n->input(first)->name()));
  }
  NodeGradientContext gctx(graph, *n, std::move(output_grads), wanted);
  std::vector<ir::Value*> grads = schema->gradient(gctx);
  if (grads.size() != n->inputs().size()) {
    gctx.fail(fmt::format("internal error: the gradient builder gave {} gradients for {} inputs", grads.size(),
                          n->inputs().size()));
  }
  for (size_t i = 0; i < grads.size(); ++i) {
    if (!wanted[i] || grads[i] == nullptr) continue;
    if (grads[i]->type() != n->input(i)->type()) {
      gctx.fail(fmt::format("internal error: the gradient of input {} has type {}, the input {}", i,
                            grads[i]->type().to_string(), n->input(i)->type().to_string()));
    }
    contributions.add(n->input(i), grads[i]);
  }
}

}  // namespace

bool autodiff(ir::Graph& graph, PassContext& ctx) {
  ir::Value* loss = find_loss(graph, ctx.loss);
  if (loss->type().dtype != DType::f32 || num_elements(loss->type().shape) != 1) {
    throw Error::at_node(loss->producer()->name(), loss->producer()->op(),
                         fmt::format("the loss '{}' must be an f32 scalar (one element), found {}", ctx.loss,
                                     loss->type().to_string()));
  }
  std::vector<ir::Value*> wrt = differentiated_values(graph, ctx);
  std::vector<ir::Node*> order = graph.topological_order();

  std::unordered_set<const ir::Value*> live(wrt.begin(), wrt.end());
  for (ir::Node* n : order) {
    bool depends = std::any_of(n->inputs().begin(), n->inputs().end(), [&](auto* v) { return live.count(v) != 0; });
    for (size_t i = 0; depends && i < n->num_outputs(); ++i) {
      if (carries_gradient(n->output(i))) live.insert(n->output(i));
    }
  }

  Contributions contributions(graph);
  if (live.count(loss)) contributions.add(loss, seed(graph, loss));
  std::unordered_set<const ir::Node*> sources;
  for (const ir::Value* v : wrt) sources.insert(v->producer());
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    ir::Node* n = *it;
    if (sources.count(n)) continue;
    std::vector<ir::Value*> output_grads;
    for (size_t i = 0; i < n->num_outputs(); ++i) output_grads.push_back(contributions.sum(n->output(i)));
    if (std::all_of(output_grads.begin(), output_grads.end(), [](auto* g) { return g == nullptr; })) continue;
    differentiate_node(graph, n, std::move(output_grads), live, contributions, ctx.loss);
  }

  for (ir::Value* v : wrt) {
    ir::Value* grad = contributions.sum(v);
    std::string name = "grad/" + v->name();
    auto& outputs = graph.outputs();
    if (std::any_of(outputs.begin(), outputs.end(), [&](const auto& s) { return s.name == name; })) {
      throw Error("autodiff", fmt::format("the signature already has an output named '{}'", name));
    }
    outputs.push_back({name, grad != nullptr ? grad : zeros_like(graph, v)});
  }
  return true;
}

}  // namespace graphc::passes
