// Building blocks for the shape functions of the op family files: dtype and
// rank checks with messages that say what was expected and what was found,
// checked attribute lists, and the shape functions several families share
// (same type as an input, elementwise unary, broadcasting binary).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/ops/op_schema.h"

namespace graphc::ops {

/// The dtype families of docs/ops.md.
enum class DTypeClass {
  float_,   // "float": f32 in this version
  numeric,  // f32, i32, i64
};

/// Checks input i's dtype belongs to `allowed`.
void expect_dtype_class(const InferContext& ctx, size_t i, DTypeClass allowed);

/// Checks input i has the same dtype as input `like` (ops whose inputs share
/// one dtype).
void expect_same_dtype(const InferContext& ctx, size_t i, size_t like);

/// Checks input i (called `name` in messages) has rank >= `min_rank`.
void expect_min_rank(const InferContext& ctx, size_t i, const char* name, int64_t min_rank);

/// Checks input i (called `name`) has shape `expected`; `why` says where the
/// expectation comes from (e.g. "[C] with C = 3 from x f32[2,3,8,8]").
void expect_shape(const InferContext& ctx, size_t i, const char* name, const Shape& expected, const std::string& why);

/// The int list attribute `attr`: exactly `count` entries, each >= `min_value`
/// (1 for strides and kernel sizes, 0 for pads).
std::vector<int64_t> ints_at_least(const InferContext& ctx, const char* attr, size_t count, int64_t min_value);

/// How an axes attribute is resolved: normalize_axes or reduction_axes from
/// runtime/core/shape_rules.h.
using AxesResolver = std::optional<std::vector<int64_t>> (*)(const std::vector<int64_t>& axes, int64_t rank);

/// The int list attribute `attr` resolved by `resolve` against input 0's
/// rank; fails unless its axes are distinct and in range.
std::vector<int64_t> resolved_axes(const InferContext& ctx, const char* attr, AxesResolver resolve);

/// The string attribute `attr`, which must be one of `allowed`.
const std::string& one_of(const InferContext& ctx, const char* attr, std::initializer_list<const char*> allowed);

/// Output 0 has the type of input i (Identity).
ShapeFn same_as_input(size_t i);

/// Elementwise unary op over the dtypes `allowed`.
ShapeFn unary_elementwise(DTypeClass allowed);

/// Elementwise binary op with NumPy broadcasting over the dtypes `allowed`.
ShapeFn broadcasting_binary(DTypeClass allowed);

}  // namespace graphc::ops
