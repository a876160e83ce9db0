// Load-time checks of a KernelSpec, shared by the reference kernel factories.
//
// A module read from disk may be corrupt, so a factory checks every type its
// kernel relies on (arity, dtypes, that the output shapes are what the op's
// semantics give for the input shapes) and fails at load with an error
// naming the node, never by reading out of bounds at run time.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "graphc/tensor.h"
#include "runtime/core/kernel.h"

namespace graphc {

/// Throws graphc::Error naming the spec's node and op.
[[noreturn]] void fail(const KernelSpec& spec, const std::string& message);

/// Checks the number of inputs is in [min_inputs, max_inputs] and the number
/// of outputs is `outputs`.
void expect_arity(const KernelSpec& spec, size_t min_inputs, size_t max_inputs, size_t outputs);

/// Checks input i's dtype is one of `allowed`.
void expect_input_dtype(const KernelSpec& spec, size_t i, std::initializer_list<DType> allowed);

/// Checks every input and output has input 0's dtype.
void expect_one_dtype(const KernelSpec& spec);

/// Checks input i has rank >= min_rank.
void expect_min_rank(const KernelSpec& spec, size_t i, int64_t min_rank);

/// Checks input i has shape `expected` (`what` says why, for the message).
void expect_input_shape(const KernelSpec& spec, size_t i, const Shape& expected, const std::string& what);

/// Checks output i has type `expected`: the static type the op's semantics
/// give for the inputs.
void expect_output_type(const KernelSpec& spec, size_t i, const TensorType& expected);

/// The int attribute `name` resolved as an axis of a rank-`rank` input.
int64_t axis_attr(const KernelSpec& spec, const std::string& name, int64_t rank);

/// The int list attribute `name`, which must have `count` entries, each >= min_value.
std::vector<int64_t> ints_attr(const KernelSpec& spec, const std::string& name, size_t count, int64_t min_value);

/// The float attribute `name`, which must be >= 0 (normalisation epsilons).
float non_negative_float_attr(const KernelSpec& spec, const std::string& name);

/// Calls fn(T{}) with the C++ element type of a numeric dtype (f32 → float,
/// i32 → int32_t, i64 → int64_t), for factories that instantiate one typed
/// kernel per dtype; other dtypes fail.
template <class Fn>
auto visit_numeric(const KernelSpec& spec, DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::f32: return fn(float{});
    case DType::i32: return fn(int32_t{});
    case DType::i64: return fn(int64_t{});
    default: fail(spec, "dtype " + std::string(dtype_name(dtype)) + " is not supported (expected f32, i32 or i64)");
  }
}

/// The factory of an f32-only op with one output: checks the arity and that
/// every input and output is f32, then returns std::make_unique<K>(spec,
/// args...), whose constructor checks the shapes.
template <class K, class... Args>
KernelFactory float_op(size_t min_inputs, size_t max_inputs, Args... args) {
  return [=](const KernelSpec& spec) -> std::unique_ptr<Kernel> {
    expect_arity(spec, min_inputs, max_inputs, 1);
    expect_input_dtype(spec, 0, {DType::f32});
    expect_one_dtype(spec);
    return std::make_unique<K>(spec, args...);
  };
}

}  // namespace graphc
