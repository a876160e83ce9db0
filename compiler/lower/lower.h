// Lowering: the optimised IR becomes a Module, the runtime's input.
#pragma once

#include "compiler/ir/graph.h"
#include "proto/module.pb.h"

namespace graphc {

/// Numbers every value, turns Const and Variable nodes into constants
/// (Variables initialised per their initializer attr), Placeholders into
/// bound inputs and every other node into a step, in topological order.
/// The graph must be typed (infer-shapes has run).
proto::Module lower_to_module(const ir::Graph& graph);

}  // namespace graphc
