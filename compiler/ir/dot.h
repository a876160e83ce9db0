// Graphviz rendering of the IR (graphc dot).
#pragma once

#include <string>

#include "compiler/ir/graph.h"

namespace graphc::ir {

/// A Graphviz digraph: one box per node (name, op, output types), an edge
/// per data dependency labelled with its type, dashed edges for control
/// dependencies, and the signature's inputs and outputs as ellipses.
std::string graph_to_dot(const Graph& graph);

}  // namespace graphc::ir
