// assign-layout: keeps activations channels-last (runtime/core/layout.h)
// between the ops whose kernels read and write that layout, so that
// oneDNN's convolutions, whose fastest f32 implementations work on
// channels-last data, no longer reorder their source and destination on
// every run.
//
// A value may be stored channels-last when it is an f32 [N, C, H, W] with
// H·W > 1 (for H·W = 1 both layouts are the same bytes), it is not a
// graph source's (Const, Variable, Placeholder: users and the loader
// provide those plain), not a signature output, not assigned to a Variable,
// and every node touching it, its producer and each consumer, either
// lists that port among its schema's channels_last ports (convolutions,
// pooling and their gradients, whose kernels bind each operand in its own
// layout), or is layout-oblivious: an elementwise op whose operands all
// have the output's shape or are scalars, which computes the same in any
// layout its operands share. An oblivious node ties its operands: they must
// all have one layout. So the values form classes (union-find over the
// oblivious nodes); a class goes channels-last when every member may and
// at least one member is a port of a convolution (the op whose speed the
// layout decides). Everything else stays plain, and a kernel meeting a
// plain value reorders it as before: the pass only removes reorders.
// Cost: O(nodes + edges).
#include <algorithm>
#include <unordered_map>

#include "compiler/ops/op_registry.h"
#include "compiler/passes/fusion_rewrite.h"
#include "compiler/passes/pass.h"

namespace graphc::passes {
namespace {

/// The ops whose kernels are faster with channels-last operands.
bool is_convolution(const std::string& op) {
  return op == "Conv2D" || op == "FusedConv2D" || op == "Conv2DBackpropInput" || op == "Conv2DBackpropFilter";
}

bool contains(const std::vector<int>& ports, size_t index) {
  return std::find(ports.begin(), ports.end(), static_cast<int>(index)) != ports.end();
}

class LayoutAssignment {
 public:
  explicit LayoutAssignment(ir::Graph& graph) : graph_(graph) {}

  bool run() {
    std::vector<ir::Node*> order = graph_.topological_order();
    for (ir::Node* n : order) {
      for (size_t i = 0; i < n->num_outputs(); ++i) add_value(n->output(i));
    }
    for (ir::Node* n : order) visit(n);
    // A class is channels-last when all of it may be and part of it meets a convolution.
    std::vector<bool> class_ok(values_.size(), true), class_anchored(values_.size(), false);
    for (size_t v = 0; v < values_.size(); ++v) {
      size_t root = find(v);
      class_ok[root] = class_ok[root] && eligible_[v];
      class_anchored[root] = class_anchored[root] || anchored_[v];
    }
    bool changed = false;
    for (size_t v = 0; v < values_.size(); ++v) {
      size_t root = find(v);
      Layout layout = class_ok[root] && class_anchored[root] ? Layout::channels_last : Layout::plain;
      if (values_[v]->layout() == layout) continue;
      values_[v]->set_layout(layout);
      changed = true;
    }
    return changed;
  }

 private:
  void add_value(ir::Value* v) {
    size_t id = values_.size();
    ids_[v] = id;
    values_.push_back(v);
    parent_.push_back(id);
    eligible_.push_back(may_be_channels_last(v));
    anchored_.push_back(false);
  }

  /// The value's own conditions, before its neighbours are looked at.
  bool may_be_channels_last(const ir::Value* v) const {
    const TensorType& t = v->type();
    if (t.dtype != DType::f32 || t.shape.size() != 4 || t.shape[2] * t.shape[3] <= 1) return false;
    const ops::OpSchema* producer = ops::OpRegistry::global().find(v->producer()->op());
    if (producer == nullptr || producer->is_constant || producer->is_stateful) return false;
    return !is_signature_output(graph_, v) && !is_assigned(graph_, v);
  }

  /// Marks what node `n` allows of the values it reads and writes.
  void visit(const ir::Node* n) {
    const ops::OpSchema* schema = ops::OpRegistry::global().find(n->op());
    if (schema != nullptr && ops::is_layout_oblivious(*schema, *n)) {
      tie_operands(n);
      return;
    }
    ops::LayoutPorts ports;
    if (schema != nullptr && schema->channels_last) ports = schema->channels_last(n->attrs(), n->inputs().size());
    bool convolution = is_convolution(n->op());
    auto mark = [&](const ir::Value* v, bool port) {
      size_t id = ids_.at(v);
      if (!port) eligible_[id] = false;
      if (port && convolution) anchored_[id] = true;
    };
    for (size_t i = 0; i < n->inputs().size(); ++i) mark(n->input(i), contains(ports.inputs, i));
    for (size_t i = 0; i < n->num_outputs(); ++i) mark(n->output(i), contains(ports.outputs, i));
  }

  /// The node's full-shape operands share one layout.
  void tie_operands(const ir::Node* n) {
    size_t first = ids_.at(n->output(0));
    for (size_t i = 1; i < n->num_outputs(); ++i) unite(first, ids_.at(n->output(i)));
    for (const ir::Value* v : n->inputs()) {
      if (v->type().shape == n->output(0)->type().shape) unite(first, ids_.at(v));
    }
  }

  size_t find(size_t v) {
    while (parent_[v] != v) v = parent_[v] = parent_[parent_[v]];
    return v;
  }
  void unite(size_t a, size_t b) { parent_[find(a)] = find(b); }

  ir::Graph& graph_;
  std::vector<ir::Value*> values_;
  std::unordered_map<const ir::Value*, size_t> ids_;
  std::vector<size_t> parent_;  // union-find over values_
  std::vector<bool> eligible_;  // the value and all its neighbours allow channels-last
  std::vector<bool> anchored_;  // a convolution reads or writes it
};

}  // namespace

bool assign_layout(ir::Graph& graph, PassContext&) { return LayoutAssignment(graph).run(); }

}  // namespace graphc::passes
