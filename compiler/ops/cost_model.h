// The cost model placement uses: flops and bytes per node, turned into an
// estimated time on a device.
#pragma once

#include "compiler/ir/graph.h"
#include "compiler/ops/op_schema.h"

namespace graphc::ops {

/// One flop per output element; every input and output byte touched once.
OpCost default_cost(const std::vector<TensorType>& inputs, const std::vector<TensorType>& outputs);

/// The cost of an op whose every output element is a dot product of length
/// K (MatMul, Dense, Conv2D): 2·K flops per output element. `reduction_length`
/// gives K from the attributes and input types.
CostFn multiply_accumulate_cost(int64_t (*reduction_length)(const AttrMap&, const std::vector<TensorType>& inputs));

/// The node's cost from its schema's CostFn (or default_cost). Graph
/// sources (Placeholder, Const, Variable) cost nothing: they do no work at
/// run time.
OpCost estimate_cost(const ir::Node& node);

/// Throughput assumptions of one core, and of moving data between devices.
struct MachineModel {
  double flops_per_core_us = 8e3;       // ~8 GFLOP/s per core for reference-style kernels
  double bytes_per_us = 8e3;            // ~8 GB/s memory traffic per core
  double transfer_bytes_per_us = 4e3;   // a cross-device copy
  double transfer_latency_us = 2;       // waking another device's worker
  double step_overhead_us = 0.2;        // executor cost of one step
};

/// Estimated time of `cost` on a device with `cores` cores.
double estimate_us(const OpCost& cost, int cores, const MachineModel& machine = {});

/// Estimated time to move `bytes` between two devices.
double transfer_us(double bytes, const MachineModel& machine = {});

}  // namespace graphc::ops
