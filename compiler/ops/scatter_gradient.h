// The gradient of ops that read their data by index along one axis
// (GatherElements, TopK): the output gradient scatter-added back to the
// positions the indices picked.
#pragma once

#include <vector>

#include "compiler/ops/op_schema.h"

namespace graphc::ops {

/// An i64 constant of `shape` holding `values`.
ir::Value* i64_constant(GradientContext& g, const Shape& shape, const std::vector<int64_t>& values);

/// The gradient of `data` (f32, shape `data`) for an op whose output element
/// i is data[i with its `axis` coordinate replaced by indices[i]] (negative
/// indices wrap): `grad` (the shape of `indices`) added at those positions,
/// repeats adding up.
ir::Value* scatter_add_along_axis(GradientContext& g, ir::Value* grad, ir::Value* indices, const Shape& data,
                                  int64_t axis);

}  // namespace graphc::ops
