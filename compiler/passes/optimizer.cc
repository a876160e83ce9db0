// optimizer: turns the gradients autodiff made into in-place updates of the
// Variables, which makes the graph one training step.
//
// For every signature output "grad/<w>" (removed from the signature):
//  - slot Variables for the optimizer's state, zero-initialised and named
//    after w: "<w>/velocity" (SGD with momentum), "<w>/adam_m" and
//    "<w>/adam_v" (Adam, AdamW);
//  - one update node "<w>/update" (SGDUpdate, MomentumUpdate or AdamUpdate)
//    reading w, its gradient, its slots and the step's inputs;
//  - assignments of the update's outputs to w and its slots;
//  - a control edge from every other reader of w to the update, which
//    overwrites w's storage: the forward and backward uses of w must see the
//    old value.
// Variables a model op updates in place (BatchNormTraining's running
// statistics; autodiff does not train them) are assigned that op's output,
// with the same ordering edges.
// The step's inputs join the signature: the learning rate (an f32 scalar
// fed each step, so schedules need no recompilation) and, for Adam, the
// 1-based update number for the bias correction (graphc/training_signature.h).
#include <fmt/format.h>

#include <algorithm>

#include "compiler/ops/op_registry.h"
#include "compiler/passes/add_typed_node.h"
#include "compiler/passes/pass.h"
#include "graphc/error.h"
#include "graphc/training_signature.h"

namespace graphc::passes {

namespace {

constexpr std::string_view kGradPrefix = "grad/";

/// A new node with exactly `name`: the names are the module's interface
/// (inputs, checkpoint entries), so a clash is the user's to resolve.
void expect_free_name(const ir::Graph& graph, const std::string& name) {
  if (const ir::Node* n = graph.find(name)) {
    throw Error::at_node(n->name(), n->op(),
                         fmt::format("the optimizer needs the name '{}' for its own node; rename this node", name));
  }
}

ir::Value* add_scalar_input(ir::Graph& graph, std::string_view name, DType dtype) {
  std::string node = std::string(name);
  expect_free_name(graph, node);
  ir::Value* v = add_typed_node(graph, node, "Placeholder", {},
                                {{"dtype", ops::attr_dtype(dtype)}, {"shape", ops::attr_shape({})}}, 1)
                     .front();
  graph.inputs().push_back({node, v});
  return v;
}

ir::Node* add_slot(ir::Graph& graph, const ir::Node* variable, const char* suffix) {
  std::string name = fmt::format("{}/{}", variable->name(), suffix);
  expect_free_name(graph, name);
  const TensorType& type = variable->output(0)->type();
  return add_typed_node(graph, name, "Variable", {},
                        {{"dtype", ops::attr_dtype(type.dtype)},
                         {"shape", ops::attr_shape(type.shape)},
                         {"initializer", ops::attr_string("zeros")}},
                        1)
      .front()
      ->producer();
}

/// The update node's op, attributes and slot names for `spec`.
struct UpdateRule {
  std::string op;
  std::map<std::string, proto::AttrValue> attrs;
  std::vector<const char*> slots;
  bool needs_step = false;
};

UpdateRule update_rule(const OptimizerSpec& spec) {
  using Kind = OptimizerSpec::Kind;
  if (spec.kind == Kind::sgd && spec.momentum == 0.0f) {
    if (spec.nesterov) throw Error("optimizer", "Nesterov momentum needs a momentum > 0");
    return {"SGDUpdate", {{"weight_decay", ops::attr_float(spec.weight_decay)}}, {}, false};
  }
  if (spec.kind == Kind::sgd) {
    return {"MomentumUpdate",
            {{"momentum", ops::attr_float(spec.momentum)},
             {"nesterov", ops::attr_bool(spec.nesterov)},
             {"weight_decay", ops::attr_float(spec.weight_decay)}},
            {"velocity"},
            false};
  }
  return {"AdamUpdate",
          {{"beta1", ops::attr_float(spec.beta1)},
           {"beta2", ops::attr_float(spec.beta2)},
           {"epsilon", ops::attr_float(spec.epsilon)},
           {"weight_decay", ops::attr_float(spec.weight_decay)},
           {"decoupled_weight_decay", ops::attr_bool(spec.kind == Kind::adamw)}},
          {"adam_m", "adam_v"},
          true};
}

/// A control edge to `writer` from every other reader of `variable`.
void order_readers_before(ir::Node* variable, ir::Node* writer) {
  std::vector<ir::Node*> readers;
  for (const ir::Use& u : variable->output(0)->uses()) {
    if (u.user == writer || std::find(readers.begin(), readers.end(), u.user) != readers.end()) continue;
    readers.push_back(u.user);
    writer->add_control_input(u.user);
  }
}

/// The model's own in-place state (BatchNormTraining's running statistics):
/// each output an op declares in place of a Variable input is assigned back
/// to that Variable.
void assign_state_outputs(ir::Graph& graph) {
  for (ir::Node* n : graph.nodes()) {
    const ops::OpSchema* schema = ops::OpRegistry::global().find(n->op());
    if (schema == nullptr) continue;
    for (auto [output, input] : schema->in_place) {
      ir::Node* state = n->input(input)->producer();
      auto& assigned = graph.assignments();
      bool done = std::any_of(assigned.begin(), assigned.end(), [&](const auto& a) { return a.variable == state; });
      if (state->op() != "Variable" || done) continue;
      order_readers_before(state, n);
      graph.assignments().push_back({state, n->output(output)});
    }
  }
}

}  // namespace

bool apply_optimizer(ir::Graph& graph, PassContext& ctx) {
  std::vector<std::pair<ir::Node*, ir::Value*>> gradients;  // (Variable, its gradient)
  std::vector<ir::SignatureValue> kept;
  for (const auto& s : graph.outputs()) {
    ir::Node* w = s.name.rfind(kGradPrefix, 0) == 0 ? graph.find(s.name.substr(kGradPrefix.size())) : nullptr;
    if (w != nullptr && w->op() == "Variable") {
      gradients.emplace_back(w, s.value);
    } else {
      kept.push_back(s);  // a model output, or a gradient with respect to a Placeholder
    }
  }
  if (gradients.empty()) {
    throw Error("optimizer", "the graph has no Variable gradients to apply (run autodiff first, or the model has no "
                             "trainable Variables)");
  }
  graph.outputs() = std::move(kept);

  assign_state_outputs(graph);
  UpdateRule rule = update_rule(ctx.optimizer);
  ir::Value* lr = add_scalar_input(graph, training_signature::learning_rate, DType::f32);
  ir::Value* step = rule.needs_step ? add_scalar_input(graph, training_signature::optimizer_step, DType::i64) : nullptr;

  for (auto [w, grad] : gradients) {
    std::vector<ir::Node*> slots;
    std::vector<ir::Value*> inputs = {w->output(0), grad};
    for (const char* suffix : rule.slots) {
      slots.push_back(add_slot(graph, w, suffix));
      inputs.push_back(slots.back()->output(0));
    }
    inputs.push_back(lr);
    if (step != nullptr) inputs.push_back(step);
    std::string name = fmt::format("{}/update", w->name());
    expect_free_name(graph, name);
    std::vector<ir::Value*> updated =
        add_typed_node(graph, name, rule.op, inputs, rule.attrs, static_cast<int>(1 + slots.size()));
    ir::Node* update = updated.front()->producer();
    order_readers_before(w, update);
    graph.assignments().push_back({w, updated[0]});
    for (size_t i = 0; i < slots.size(); ++i) graph.assignments().push_back({slots[i], updated[i + 1]});
  }
  return true;
}

}  // namespace graphc::passes
