// logical_ops.cc and logical_kernels.cc against hand-computed values.
#include <catch2/catch.hpp>
#include <limits>

#include "op_family_test_util.h"

using namespace graphc;
using namespace graphc::testing;

TEST_CASE("comparisons broadcast and give bools", "[ops][kernels]") {
  Tensor a = tensor<float>({2, 2}, {1, 2, 3, 4});
  Tensor b = tensor<float>({2}, {2, 3});
  CHECK(values<bool>(run1("Less", {a, b})) == std::vector<bool>{true, true, false, false});
  CHECK(values<bool>(run1("LessOrEqual", {a, b})) == std::vector<bool>{true, true, false, false});
  CHECK(values<bool>(run1("Greater", {a, b})) == std::vector<bool>{false, false, true, true});
  CHECK(values<bool>(run1("GreaterOrEqual", {a, b})) == std::vector<bool>{false, false, true, true});
  CHECK(values<bool>(run1("Equal", {tensor<int64_t>({3}, {1, 2, 3}), tensor<int64_t>({}, {2})})) ==
        std::vector<bool>{false, true, false});
  float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(values<bool>(run1("Equal", {tensor<float>({1}, {nan}), tensor<float>({1}, {nan})})) == std::vector<bool>{false});
  CHECK(infer_types("Less", {{DType::i32, {3, 1}}, {DType::i32, {4}}})[0] == TensorType{DType::boolean, {3, 4}});
  require_node_error([] { infer_types("Less", {{DType::f32, {3}}, {DType::i32, {3}}}); }, "dtype");
  require_node_error([] { infer_types("Less", {{DType::f32, {3}}, {DType::f32, {2}}}); }, "do not broadcast");
}

TEST_CASE("boolean logic and Where", "[ops][kernels]") {
  Tensor p = tensor<bool>({4}, {true, true, false, false});
  Tensor q = tensor<bool>({4}, {true, false, true, false});
  CHECK(values<bool>(run1("And", {p, q})) == std::vector<bool>{true, false, false, false});
  CHECK(values<bool>(run1("Or", {p, q})) == std::vector<bool>{true, true, true, false});
  CHECK(values<bool>(run1("Xor", {p, q})) == std::vector<bool>{false, true, true, false});
  CHECK(values<bool>(run1("Not", {p})) == std::vector<bool>{false, false, true, true});
  require_node_error([] { infer_types("And", {{DType::f32, {1}}, {DType::f32, {1}}}); }, "bool");

  Tensor cond = tensor<bool>({2, 1}, {true, false});
  Tensor a = tensor<int64_t>({3}, {1, 2, 3});
  Tensor b = tensor<int64_t>({}, {-1});
  Tensor y = run1("Where", {cond, a, b});
  CHECK(y.shape() == Shape{2, 3});
  CHECK(values<int64_t>(y) == std::vector<int64_t>{1, 2, 3, -1, -1, -1});
  require_node_error([] { infer_types("Where", {{DType::f32, {1}}, {DType::f32, {1}}, {DType::f32, {1}}}); }, "bool");
}
