// Access to compile-time constant values (outputs of Const nodes).
#pragma once

#include <optional>

#include "compiler/ir/graph.h"
#include "graphc/tensor.h"

namespace graphc::passes {

/// The value of `v` when its producer is a Const node.
std::optional<Tensor> constant_value(const ir::Value* v);

}  // namespace graphc::passes
