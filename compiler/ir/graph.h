// The compiler's IR: a Graph owns Nodes; a Node produces Values; a Value
// knows its producer and its uses. Every value has a static TensorType once
// infer-shapes has run.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "graphc/tensor.h"
#include "runtime/core/attr_map.h"
#include "runtime/core/layout.h"

namespace graphc::ir {

class Node;

/// One use of a value: input `index` of `user`.
struct Use {
  Node* user;
  int index;
  bool operator==(const Use&) const = default;
};

/// An SSA value: output `index` of `producer`.
class Value {
 public:
  Value(Node* producer, int index) : producer_(producer), index_(index) {}

  Node* producer() const { return producer_; }
  int index() const { return index_; }
  /// "node" for output 0, "node:port" otherwise (the GraphDef spelling).
  std::string name() const;

  const TensorType& type() const { return type_; }
  void set_type(TensorType type) { type_ = std::move(type); }
  bool has_type() const { return has_type_; }
  void mark_typed() { has_type_ = true; }

  const std::vector<Use>& uses() const { return uses_; }

  /// How the value is stored (assign-layout); plain until then.
  Layout layout() const { return layout_; }
  void set_layout(Layout layout) { layout_ = layout; }

 private:
  friend class Node;
  Node* producer_;
  int index_;
  TensorType type_;
  bool has_type_ = false;
  Layout layout_ = Layout::plain;
  std::vector<Use> uses_;
};

/// An operation instance. Inputs are Values of other nodes; control inputs
/// only order execution.
class Node {
 public:
  Node(std::string name, std::string op, AttrMap attrs, int num_outputs);
  ~Node();

  const std::string& name() const { return name_; }
  const std::string& op() const { return op_; }
  const std::string& device() const { return device_; }
  void set_device(std::string device) { device_ = std::move(device); }

  /// The place pass's schedule estimate: when the node starts and how long
  /// it runs, in microseconds (0 until placed).
  double predicted_start_us() const { return predicted_start_us_; }
  double predicted_us() const { return predicted_us_; }
  void set_prediction(double start_us, double duration_us) {
    predicted_start_us_ = start_us;
    predicted_us_ = duration_us;
  }

  const AttrMap& attrs() const { return attrs_; }
  AttrMap& attrs() { return attrs_; }

  const std::vector<Value*>& inputs() const { return inputs_; }
  Value* input(size_t i) const { return inputs_.at(i); }
  void add_input(Value* value);
  void set_input(int index, Value* value);

  const std::vector<Node*>& control_inputs() const { return control_inputs_; }
  void add_control_input(Node* node) { control_inputs_.push_back(node); }
  void remove_control_input(Node* node);

  size_t num_outputs() const { return outputs_.size(); }
  Value* output(size_t i) const { return outputs_.at(i).get(); }

  /// Detaches every input (used before erasing the node).
  void drop_inputs();

 private:
  std::string name_;
  std::string op_;
  std::string device_;
  double predicted_start_us_ = 0;
  double predicted_us_ = 0;
  AttrMap attrs_;
  std::vector<Value*> inputs_;
  std::vector<Node*> control_inputs_;
  std::vector<std::unique_ptr<Value>> outputs_;
};

/// A named tensor of the signature.
struct SignatureValue {
  std::string name;
  Value* value;
};

/// A training graph's in-place update: after each run `value` replaces the
/// Variable `variable` (an optimizer's new weights or slots). The node
/// producing `value` must write it into the Variable's storage (its schema
/// declares that output in place of that input), so every other reader of
/// the Variable must come before it (the optimizer pass adds those control
/// edges; the verifier checks them).
struct Assignment {
  Node* variable;
  Value* value;
};

/// A dataflow graph with its signature.
class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  /// Adds a node; its name must be unique.
  Node* add_node(std::string name, std::string op, AttrMap attrs, const std::vector<Value*>& inputs,
                 int num_outputs = 1);
  /// A fresh node name starting with `prefix`.
  std::string unique_name(std::string_view prefix) const;

  Node* find(std::string_view name) const;
  /// Every node, in insertion order (not necessarily topological).
  std::vector<Node*> nodes() const;
  size_t size() const { return nodes_.size(); }

  /// Nodes in a topological order (data and control edges), stable with
  /// respect to insertion order. Throws graphc::Error naming a node on a cycle.
  std::vector<Node*> topological_order() const;

  /// Redirects every use of `from` (and signature entries) to `to`.
  void replace_all_uses(Value* from, Value* to);
  /// Removes a node that has no remaining uses and is not assigned to.
  void erase(Node* node);

  std::vector<SignatureValue>& inputs() { return inputs_; }
  const std::vector<SignatureValue>& inputs() const { return inputs_; }
  std::vector<SignatureValue>& outputs() { return outputs_; }
  const std::vector<SignatureValue>& outputs() const { return outputs_; }
  std::vector<Assignment>& assignments() { return assignments_; }
  const std::vector<Assignment>& assignments() const { return assignments_; }

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
  std::unordered_map<std::string, Node*> by_name_;
  std::vector<SignatureValue> inputs_;
  std::vector<SignatureValue> outputs_;
  std::vector<Assignment> assignments_;
};

}  // namespace graphc::ir
