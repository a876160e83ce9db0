// Structural checks of the IR, run between passes with --verify-each.
#pragma once

#include "compiler/ir/graph.h"

namespace graphc::ir {

/// Checks the invariants every pass must keep: use lists match inputs,
/// every input and signature value is produced by a node of this graph, and
/// the graph is acyclic. With `require_types`, every value has a type.
/// Throws graphc::Error naming the first offending node.
void verify_graph(const Graph& graph, bool require_types);

}  // namespace graphc::ir
