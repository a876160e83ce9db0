// KernelSpec checks with messages that say what was expected and found.
#include "runtime/kernels/reference/spec_checks.h"

#include <fmt/format.h>

#include <algorithm>

#include "graphc/error.h"
#include "runtime/core/shape_rules.h"

namespace graphc {

void fail(const KernelSpec& spec, const std::string& message) { throw Error::at_node(spec.node(), spec.op(), message); }

void expect_arity(const KernelSpec& spec, size_t min_inputs, size_t max_inputs, size_t outputs) {
  size_t n = spec.inputs.size();
  if (n < min_inputs || n > max_inputs) {
    std::string expected = min_inputs == max_inputs ? std::to_string(min_inputs)
                           : max_inputs == SIZE_MAX ? fmt::format("at least {}", min_inputs)
                                                    : fmt::format("{} to {}", min_inputs, max_inputs);
    fail(spec, fmt::format("expected {} inputs, found {}", expected, n));
  }
  if (spec.outputs.size() != outputs) {
    fail(spec, fmt::format("expected {} outputs, found {}", outputs, spec.outputs.size()));
  }
}

void expect_input_dtype(const KernelSpec& spec, size_t i, std::initializer_list<DType> allowed) {
  DType d = spec.inputs[i].dtype;
  if (std::find(allowed.begin(), allowed.end(), d) != allowed.end()) return;
  std::vector<std::string_view> names;
  for (DType a : allowed) names.push_back(dtype_name(a));
  fail(spec, fmt::format("input {} has dtype {}, expected {}", i, dtype_name(d), fmt::join(names, " or ")));
}

void expect_one_dtype(const KernelSpec& spec) {
  DType d = spec.inputs[0].dtype;
  for (size_t i = 1; i < spec.inputs.size(); ++i) {
    if (spec.inputs[i].dtype != d) {
      fail(spec, fmt::format("input {} has dtype {}, expected {} like input 0", i, dtype_name(spec.inputs[i].dtype),
                             dtype_name(d)));
    }
  }
  for (size_t i = 0; i < spec.outputs.size(); ++i) {
    if (spec.outputs[i].dtype != d) {
      fail(spec, fmt::format("output {} has dtype {}, expected {} like input 0", i, dtype_name(spec.outputs[i].dtype),
                             dtype_name(d)));
    }
  }
}

void expect_min_rank(const KernelSpec& spec, size_t i, int64_t min_rank) {
  if (static_cast<int64_t>(spec.inputs[i].shape.size()) < min_rank) {
    fail(spec, fmt::format("input {} must have rank >= {}, found {}", i, min_rank, spec.inputs[i].to_string()));
  }
}

void expect_input_shape(const KernelSpec& spec, size_t i, const Shape& expected, const std::string& what) {
  if (spec.inputs[i].shape != expected) {
    fail(spec, fmt::format("input {} must have shape {} ({}), found {}", i, shape_to_string(expected), what,
                           spec.inputs[i].to_string()));
  }
}

void expect_output_type(const KernelSpec& spec, size_t i, const TensorType& expected) {
  if (spec.outputs[i] != expected) {
    std::vector<std::string> inputs;
    for (const TensorType& t : spec.inputs) inputs.push_back(t.to_string());
    fail(spec, fmt::format("output {} has type {}, expected {} for inputs ({})", i, spec.outputs[i].to_string(),
                           expected.to_string(), fmt::join(inputs, ", ")));
  }
}

int64_t axis_attr(const KernelSpec& spec, const std::string& name, int64_t rank) {
  int64_t axis = spec.attrs.get_int(name);
  auto resolved = normalize_axis(axis, rank);
  if (!resolved) fail(spec, fmt::format("attribute '{}' = {} is out of range for rank {}", name, axis, rank));
  return *resolved;
}

std::vector<int64_t> ints_attr(const KernelSpec& spec, const std::string& name, size_t count, int64_t min_value) {
  std::vector<int64_t> values = spec.attrs.get_ints(name);
  if (values.size() != count) {
    fail(spec, fmt::format("attribute '{}' must have {} entries, found [{}]", name, count, fmt::join(values, ",")));
  }
  for (int64_t v : values) {
    if (v < min_value) {
      fail(spec,
           fmt::format("attribute '{}' entries must be >= {}, found [{}]", name, min_value, fmt::join(values, ",")));
    }
  }
  return values;
}

float non_negative_float_attr(const KernelSpec& spec, const std::string& name) {
  float value = spec.attrs.get_float(name);
  if (!(value >= 0.0f)) fail(spec, fmt::format("attribute '{}' must be >= 0, found {}", name, value));
  return value;
}

}  // namespace graphc
