// Pass pipelines as data, and the driver that runs one with the debugging
// options (--print-after, --verify-each, --time-passes).
#pragma once

#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "compiler/ir/graph.h"
#include "compiler/passes/pass.h"
#include "graphc/device.h"

namespace graphc {

/// One entry of a pipeline: a single pass, or a group of passes repeated
/// until none of them changes the graph (a fixed point).
struct PipelineStage {
  std::string name;                 // the pass name, or the group's name
  std::vector<std::string> passes;  // one pass, or the group's members
  bool to_fixed_point = false;
};

using Pipeline = std::vector<PipelineStage>;

/// The default pipeline for an optimisation level (0, 1 or 2); `train` adds
/// autodiff, optimizer (and a second infer-shapes) after shape inference.
Pipeline default_pipeline(int opt_level, bool train = false);

/// "verify, infer-shapes, simplify(fold-constants, cse, dce)*"
std::string describe_pipeline(const Pipeline& pipeline);

struct PipelineOptions {
  std::string loss = "loss";  // the signature output autodiff differentiates
  passes::OptimizerSpec optimizer;  // the update rule of the optimizer pass
  DeviceSpec devices = DeviceSpec::whole_machine();  // for the place pass
  std::set<std::string> print_after;  // pass names
  bool print_after_all = false;
  bool verify_each = false;
  bool time_passes = false;
};

/// Runs every stage on `graph`. Diagnostics (IR dumps, timings) go to `diag`.
/// Returns the fusion passes' decisions.
std::vector<passes::FusionDecision> run_pipeline(ir::Graph& graph, const Pipeline& pipeline, const PipelineOptions& options, std::ostream& diag);

}  // namespace graphc
