// Variable initializers (docs/ops.md, "Initializers"): the values a Variable
// starts from, computed at compile time, bit-identical on every machine.
#pragma once

#include "graphc/tensor.h"
#include "runtime/core/attr_map.h"

namespace graphc::ops {

/// The type a Variable's attributes declare, after checking them: a fully
/// known, non-negative shape, a known initializer that supports the dtype,
/// scale >= 0. Throws graphc::Error naming the node otherwise.
TensorType variable_type(const AttrMap& attrs);

/// The initial value of the Variable whose (default-filled) attributes are
/// `attrs`; attrs.node() seeds the random initializers.
Tensor initialize_variable(const AttrMap& attrs);

}  // namespace graphc::ops
