// Helpers shared by the tests of the op families added for ONNX models
// (math_ops, logical_ops, tensor_ops, arg_reduce_ops): infer an op's output
// types through the registry, then run its reference kernel on them, the
// way the compiler and runtime do.
#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "compiler/ops/op_registry.h"
#include "graphc/error.h"
#include "runtime/core/kernel.h"

namespace graphc::testing {

using Attrs = std::map<std::string, proto::AttrValue>;

inline AttrMap attrs_with_defaults(const std::string& op, Attrs given) {
  const ops::OpSchema* schema = ops::OpRegistry::global().find(op);
  REQUIRE(schema != nullptr);
  for (const auto& spec : schema->attrs) {
    if (spec.default_value && !given.count(spec.name)) given[spec.name] = *spec.default_value;
  }
  return AttrMap("n1", op, std::move(given));
}

/// The output types shape inference gives.
inline std::vector<TensorType> infer_types(const std::string& op, const std::vector<TensorType>& inputs,
                                           const Attrs& attrs = {}) {
  AttrMap map = attrs_with_defaults(op, attrs);
  ops::InferContext ctx(map, inputs, {});
  return ops::OpRegistry::global().find(op)->infer(ctx);
}

/// Infers the outputs of `op` on `inputs` and runs its reference kernel.
inline std::vector<Tensor> run_op(const std::string& op, const std::vector<Tensor>& inputs, const Attrs& attrs = {}) {
  std::vector<TensorType> in_types;
  for (const auto& t : inputs) in_types.push_back(t.type());
  AttrMap map = attrs_with_defaults(op, attrs);
  ops::InferContext ctx(map, in_types, {});
  std::vector<TensorType> out_types = ops::OpRegistry::global().find(op)->infer(ctx);
  auto kernel = KernelRegistry::reference().create(KernelSpec{map, in_types, out_types});
  std::vector<Tensor> outputs(out_types.begin(), out_types.end());
  std::vector<const Tensor*> in_ptrs;
  std::vector<Tensor*> out_ptrs;
  for (const auto& t : inputs) in_ptrs.push_back(&t);
  for (auto& t : outputs) out_ptrs.push_back(&t);
  kernel->run(in_ptrs, out_ptrs);
  return outputs;
}

inline Tensor run1(const std::string& op, const std::vector<Tensor>& inputs, const Attrs& attrs = {}) {
  return run_op(op, inputs, attrs).at(0);
}

template <class T>
Tensor tensor(Shape shape, const std::vector<T>& values) {
  Tensor t(dtype_of<T>(), std::move(shape));
  REQUIRE(static_cast<int64_t>(values.size()) == t.num_elements());
  std::copy(values.begin(), values.end(), t.template data<T>());
  return t;
}

template <class T>
std::vector<T> values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.num_elements());
}

/// Expects `fn` to throw a graphc::Error mentioning node n1 and `fragment`.
template <class Fn>
void require_node_error(Fn fn, const std::string& fragment) {
  try {
    fn();
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Matchers::Contains("'n1'") && Catch::Matchers::Contains(fragment));
    return;
  }
  FAIL("no error");
}

}  // namespace graphc::testing
