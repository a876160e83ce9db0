// The pass interface and the registry of every pass, by name.
//
// A pass is a function `bool run(ir::Graph&, PassContext&)` that returns
// whether it changed the graph. Passes never call each other; their order is
// data (compiler/pipeline.cc).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/graph.h"
#include "compiler/passes/optimizer_spec.h"
#include "graphc/device.h"

namespace graphc::passes {

/// A fusion pass's decision, for `graphc inspect --fusion`: a group it
/// fused into `node` (reason empty), or a candidate it left alone.
struct FusionDecision {
  std::string pass;
  std::string node;
  std::vector<std::string> members;  // "name (Op)"
  std::string reason;
};

/// State shared by the passes of one pipeline run.
struct PassContext {
  /// Set by infer-shapes: from then on every value must carry a type.
  bool types_inferred = false;
  /// autodiff: the signature output holding the scalar loss, and the nodes
  /// (Placeholders or Variables) to differentiate it with respect to; empty
  /// means every f32 Variable.
  std::string loss = "loss";
  std::vector<std::string> wrt;
  /// optimizer: the update rule applied to every gradient autodiff made.
  OptimizerSpec optimizer;
  /// The devices the place pass distributes the graph over.
  DeviceSpec devices = DeviceSpec::whole_machine();
  /// What the fusion passes did and did not fuse, in the order they decided.
  std::vector<FusionDecision> fusion;
};

using PassFn = bool (*)(ir::Graph&, PassContext&);

struct PassInfo {
  std::string_view name;
  std::string_view summary;
  PassFn run;
};

/// Every registered pass, in the order a reader meets them in a pipeline.
const std::vector<PassInfo>& all_passes();
/// Null for an unknown name.
const PassInfo* find_pass(std::string_view name);

// The passes, one file each.
bool verify(ir::Graph& graph, PassContext& ctx);           // verify.cc
bool infer_shapes(ir::Graph& graph, PassContext& ctx);     // infer_shapes.cc
bool autodiff(ir::Graph& graph, PassContext& ctx);         // autodiff.cc
bool apply_optimizer(ir::Graph& graph, PassContext& ctx);  // optimizer.cc
bool fold_constants(ir::Graph& graph, PassContext& ctx);   // fold_constants.cc
bool eliminate_common_subexpressions(ir::Graph& graph, PassContext& ctx);  // cse.cc
bool eliminate_dead_code(ir::Graph& graph, PassContext& ctx);              // dce.cc
bool fold_batchnorm(ir::Graph& graph, PassContext& ctx);   // fold_batchnorm.cc
bool fuse_epilogue(ir::Graph& graph, PassContext& ctx);    // fuse_epilogue.cc
bool fuse_elementwise(ir::Graph& graph, PassContext& ctx); // fuse_elementwise.cc
bool assign_layout(ir::Graph& graph, PassContext& ctx);    // assign_layout.cc
bool place(ir::Graph& graph, PassContext& ctx);            // place.cc

}  // namespace graphc::passes
