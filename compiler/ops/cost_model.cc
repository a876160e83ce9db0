// Cost model: schema cost functions and a simple roofline-style time estimate.
#include "compiler/ops/cost_model.h"

#include <algorithm>

#include "compiler/ops/op_registry.h"

namespace graphc::ops {

namespace {
double bytes_of(const TensorType& t) {
  return static_cast<double>(num_elements(t.shape)) * static_cast<double>(dtype_size(t.dtype));
}
}  // namespace

OpCost default_cost(const std::vector<TensorType>& inputs, const std::vector<TensorType>& outputs) {
  OpCost cost;
  for (const auto& t : inputs) cost.bytes += bytes_of(t);
  for (const auto& t : outputs) {
    cost.bytes += bytes_of(t);
    cost.flops += static_cast<double>(num_elements(t.shape));
  }
  return cost;
}

CostFn multiply_accumulate_cost(int64_t (*reduction_length)(const AttrMap&, const std::vector<TensorType>&)) {
  return [reduction_length](const AttrMap& attrs, const std::vector<TensorType>& inputs,
                            const std::vector<TensorType>& outputs) {
    OpCost cost = default_cost(inputs, outputs);
    cost.flops = 2.0 * static_cast<double>(num_elements(outputs.at(0).shape)) *
                 static_cast<double>(reduction_length(attrs, inputs));
    return cost;
  };
}

OpCost estimate_cost(const ir::Node& node) {
  const OpSchema* schema = OpRegistry::global().find(node.op());
  if (node.inputs().empty() || schema == nullptr) return {};
  std::vector<TensorType> inputs, outputs;
  for (const ir::Value* v : node.inputs()) inputs.push_back(v->type());
  for (size_t i = 0; i < node.num_outputs(); ++i) outputs.push_back(node.output(i)->type());
  return schema->cost ? schema->cost(node.attrs(), inputs, outputs) : default_cost(inputs, outputs);
}

double estimate_us(const OpCost& cost, int cores, const MachineModel& machine) {
  // Compute and memory traffic overlap: the slower of the two bounds the
  // step. Extra cores help compute only in proportion to the work.
  double compute = cost.flops / (machine.flops_per_core_us * std::max(1, cores));
  double memory = cost.bytes / machine.bytes_per_us;
  return machine.step_overhead_us + std::max(compute, memory);
}

double transfer_us(double bytes, const MachineModel& machine) {
  return machine.transfer_latency_us + bytes / machine.transfer_bytes_per_us;
}

}  // namespace graphc::ops
