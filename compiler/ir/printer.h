// The IR's readable text form (graphc compile --print-after=PASS).
#pragma once

#include <string>

#include "compiler/ir/graph.h"

namespace graphc::ir {

/// One line per node in topological order:
///   %dense1: f32[1,512] = Dense(%x, %w1, %b1) {transpose_w=false}
/// then the signature. Untyped values print as "?".
std::string print_graph(const Graph& graph);

}  // namespace graphc::ir
