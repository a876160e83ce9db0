// Graph, Node and Value: ownership, use lists and topological order.
#include "compiler/ir/graph.h"

#include <fmt/format.h>

#include <algorithm>

#include "graphc/error.h"

namespace graphc::ir {

std::string Value::name() const {
  return index_ == 0 ? producer_->name() : fmt::format("{}:{}", producer_->name(), index_);
}

Node::Node(std::string name, std::string op, AttrMap attrs, int num_outputs)
    : name_(std::move(name)), op_(std::move(op)), attrs_(std::move(attrs)) {
  for (int i = 0; i < num_outputs; ++i) outputs_.push_back(std::make_unique<Value>(this, i));
}

Node::~Node() = default;

void Node::add_input(Value* value) {
  inputs_.push_back(value);
  value->uses_.push_back({this, static_cast<int>(inputs_.size()) - 1});
}

void Node::set_input(int index, Value* value) {
  Value* old = inputs_.at(index);
  auto& uses = old->uses_;
  uses.erase(std::find(uses.begin(), uses.end(), Use{this, index}));
  inputs_[index] = value;
  value->uses_.push_back({this, index});
}

void Node::remove_control_input(Node* node) {
  control_inputs_.erase(std::remove(control_inputs_.begin(), control_inputs_.end(), node), control_inputs_.end());
}

void Node::drop_inputs() {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    auto& uses = inputs_[i]->uses_;
    uses.erase(std::find(uses.begin(), uses.end(), Use{this, static_cast<int>(i)}));
  }
  inputs_.clear();
  control_inputs_.clear();
}

Node* Graph::add_node(std::string name, std::string op, AttrMap attrs, const std::vector<Value*>& inputs,
                      int num_outputs) {
  if (by_name_.count(name)) throw Error::at_node(name, op, "duplicate node name");
  auto node = std::make_unique<Node>(name, std::move(op), std::move(attrs), num_outputs);
  for (Value* v : inputs) node->add_input(v);
  Node* raw = node.get();
  by_name_.emplace(std::move(name), raw);
  nodes_.push_back(std::move(node));
  return raw;
}

std::string Graph::unique_name(std::string_view prefix) const {
  if (!by_name_.count(std::string(prefix))) return std::string(prefix);
  for (int i = 1;; ++i) {
    std::string candidate = fmt::format("{}_{}", prefix, i);
    if (!by_name_.count(candidate)) return candidate;
  }
}

Node* Graph::find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : it->second;
}

std::vector<Node*> Graph::nodes() const {
  std::vector<Node*> out;
  out.reserve(nodes_.size());
  for (const auto& n : nodes_) out.push_back(n.get());
  return out;
}

std::vector<Node*> Graph::topological_order() const {
  // Depth-first post-order from each node in insertion order; a node seen
  // again while still on the stack closes a cycle.
  enum class Mark { none, active, done };
  std::unordered_map<const Node*, Mark> mark;
  std::vector<Node*> order;
  order.reserve(nodes_.size());
  struct Frame {
    Node* node;
    size_t next;  // next predecessor to visit: inputs first, then control inputs
  };
  std::vector<Frame> stack;
  for (const auto& root : nodes_) {
    if (mark[root.get()] != Mark::none) continue;
    stack.push_back({root.get(), 0});
    mark[root.get()] = Mark::active;
    while (!stack.empty()) {
      Frame& f = stack.back();
      size_t n_in = f.node->inputs().size();
      size_t total = n_in + f.node->control_inputs().size();
      if (f.next == total) {
        mark[f.node] = Mark::done;
        order.push_back(f.node);
        stack.pop_back();
        continue;
      }
      Node* pred = f.next < n_in ? f.node->inputs()[f.next]->producer() : f.node->control_inputs()[f.next - n_in];
      ++f.next;
      Mark m = mark[pred];
      if (m == Mark::active) {
        throw Error::at_node(pred->name(), pred->op(),
                             fmt::format("the graph has a cycle through this node and '{}'", f.node->name()));
      }
      if (m == Mark::none) {
        mark[pred] = Mark::active;
        stack.push_back({pred, 0});
      }
    }
  }
  return order;
}

void Graph::replace_all_uses(Value* from, Value* to) {
  std::vector<Use> uses = from->uses();
  for (const Use& u : uses) u.user->set_input(u.index, to);
  for (auto& s : outputs_) {
    if (s.value == from) s.value = to;
  }
  for (auto& s : inputs_) {
    if (s.value == from) s.value = to;
  }
  for (auto& a : assignments_) {
    if (a.value == from) a.value = to;
  }
}

void Graph::erase(Node* node) {
  for (size_t i = 0; i < node->num_outputs(); ++i) {
    if (!node->output(i)->uses().empty()) {
      throw Error::at_node(node->name(), node->op(), "internal error: erasing a node whose outputs are still used");
    }
  }
  for (const auto& a : assignments_) {
    if (a.variable == node || a.value->producer() == node) {
      throw Error::at_node(node->name(), node->op(), "internal error: erasing a node of an assignment");
    }
  }
  node->drop_inputs();
  for (const auto& n : nodes_) n->remove_control_input(node);
  by_name_.erase(node->name());
  nodes_.erase(std::find_if(nodes_.begin(), nodes_.end(), [&](const auto& p) { return p.get() == node; }));
}

}  // namespace graphc::ir
