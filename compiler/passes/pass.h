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

namespace graphc::passes {

/// State shared by the passes of one pipeline run.
struct PassContext {
  /// Set by infer-shapes: from then on every value must carry a type.
  bool types_inferred = false;
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
bool fold_constants(ir::Graph& graph, PassContext& ctx);   // fold_constants.cc
bool eliminate_common_subexpressions(ir::Graph& graph, PassContext& ctx);  // cse.cc
bool eliminate_dead_code(ir::Graph& graph, PassContext& ctx);              // dce.cc

}  // namespace graphc::passes
