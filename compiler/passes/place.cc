// place: assigns every node a device and predicts when it runs.
//
// HEFT list scheduling (Topcuoglu et al.): each node's upward rank is its
// estimated time plus the longest chain of (transfer + rank) through its
// consumers; nodes are visited by decreasing rank (a topological order, as
// every time is positive) and each goes to the device where it would finish
// earliest, counting a transfer for every input produced on another device.
// Ties go to the device of the input with the most bytes, which keeps
// chains together. A node's `device` hint ("cpu:K") is honoured as given.
// Control edges count like data edges without a transfer.
// Graph sources (Placeholder, Const, Variable) do no work: their values are
// visible to every device, so they cost nothing and are not placed.
// Times come from the cost model (compiler/ops/cost_model.h); they only need
// to be right relative to each other.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "compiler/ops/cost_model.h"
#include "compiler/passes/pass.h"
#include "graphc/error.h"

namespace graphc::passes {

namespace {

bool is_source(const ir::Node* n) { return n->inputs().empty(); }

double value_bytes(const ir::Value* v) {
  return static_cast<double>(num_elements(v->type().shape)) * static_cast<double>(dtype_size(v->type().dtype));
}

/// The device index of a "cpu:K" hint, checked against the spec.
int parse_device_hint(const ir::Node* n, const DeviceSpec& spec) {
  const std::string& hint = n->device();
  int index = -1;
  std::string_view digits = std::string_view(hint).substr(std::min<size_t>(4, hint.size()));
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (hint.rfind("cpu:", 0) != 0 || ec != std::errc() || ptr != digits.data() + digits.size()) {
    throw Error::at_node(n->name(), n->op(), fmt::format("device '{}' is not of the form cpu:K", hint));
  }
  if (index < 0 || index >= spec.count) {
    throw Error::at_node(n->name(), n->op(),
                         fmt::format("device '{}' does not exist: --devices {} gives cpu:0 to cpu:{}", hint,
                                     spec.to_string(), spec.count - 1));
  }
  return index;
}

}  // namespace

bool place(ir::Graph& graph, PassContext& ctx) {
  const DeviceSpec& spec = ctx.devices;
  std::vector<ir::Node*> order = graph.topological_order();
  std::unordered_map<const ir::Node*, double> time, rank, finish;
  std::unordered_map<const ir::Node*, int> device;
  for (const ir::Node* n : order) {
    time[n] = is_source(n) ? 0.0 : ops::estimate_us(ops::estimate_cost(*n), spec.cores_per_device);
  }
  // Control edges (an optimizer update after the other readers of its
  // Variable) order nodes without moving data.
  std::unordered_map<const ir::Node*, std::vector<const ir::Node*>> control_users;
  for (const ir::Node* n : order) {
    for (const ir::Node* c : n->control_inputs()) control_users[c].push_back(n);
  }
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const ir::Node* n = *it;
    double tail = 0;
    for (size_t i = 0; i < n->num_outputs(); ++i) {
      for (const ir::Use& u : n->output(i)->uses()) {
        tail = std::max(tail, ops::transfer_us(value_bytes(n->output(i))) + rank[u.user]);
      }
    }
    for (const ir::Node* user : control_users[n]) tail = std::max(tail, rank[user]);
    rank[n] = time[n] + tail;
  }
  std::vector<ir::Node*> by_rank;
  for (ir::Node* n : order) {
    if (!is_source(n)) by_rank.push_back(n);
  }
  std::stable_sort(by_rank.begin(), by_rank.end(), [&](const ir::Node* a, const ir::Node* b) { return rank[a] > rank[b]; });

  std::vector<double> available(spec.count, 0.0);
  bool changed = false;
  for (ir::Node* n : by_rank) {
    // The device holding the largest input is the tie-breaker.
    int affinity = 0;
    double largest = -1;
    for (const ir::Value* v : n->inputs()) {
      const ir::Node* p = v->producer();
      if (!is_source(p) && value_bytes(v) > largest) {
        largest = value_bytes(v);
        affinity = device[p];
      }
    }
    auto finish_on = [&](int d, double* start) {
      double ready = 0;
      for (const ir::Value* v : n->inputs()) {
        const ir::Node* p = v->producer();
        if (is_source(p)) continue;
        ready = std::max(ready, finish[p] + (device[p] == d ? 0.0 : ops::transfer_us(value_bytes(v))));
      }
      for (const ir::Node* c : n->control_inputs()) {
        if (!is_source(c)) ready = std::max(ready, finish[c]);
      }
      *start = std::max(ready, available[d]);
      return *start + time[n];
    };
    int chosen = n->device().empty() ? affinity : parse_device_hint(n, spec);
    double start = 0;
    double best = finish_on(chosen, &start);
    if (n->device().empty()) {
      for (int d = 0; d < spec.count; ++d) {
        double s = 0;
        double f = finish_on(d, &s);
        if (f < best) {
          best = f;
          start = s;
          chosen = d;
        }
      }
    }
    device[n] = chosen;
    finish[n] = best;
    available[chosen] = best;
    std::string name = fmt::format("cpu:{}", chosen);
    changed |= n->device() != name;
    n->set_device(std::move(name));
    n->set_prediction(start, time[n]);
  }
  return changed;
}

}  // namespace graphc::passes
