// arg_reduce_ops.cc and arg_reduce_kernels.cc against hand-computed values.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "compiler/ops/op_schema.h"
#include "op_family_test_util.h"

using namespace graphc;
using namespace graphc::testing;
using ops::attr_bool;
using ops::attr_int;
using ops::attr_ints;

TEST_CASE("ArgMax and ArgMin", "[ops][kernels]") {
  Tensor x = tensor<float>({2, 3}, {1, 5, 5, 7, 0, 0});
  Tensor y = run1("ArgMax", {x}, {{"axis", attr_int(1)}});
  CHECK(y.shape() == Shape{2, 1});
  CHECK(values<int64_t>(y) == std::vector<int64_t>{1, 0});
  CHECK(values<int64_t>(run1("ArgMax", {x}, {{"axis", attr_int(1)}, {"select_last_index", attr_bool(true)}})) ==
        std::vector<int64_t>{2, 0});
  CHECK(values<int64_t>(run1("ArgMin", {x}, {{"axis", attr_int(-1)}, {"keepdims", attr_bool(false)}})) ==
        std::vector<int64_t>{0, 1});
  CHECK(values<int64_t>(run1("ArgMin", {x}, {{"axis", attr_int(1)}, {"select_last_index", attr_bool(true)}})) ==
        std::vector<int64_t>{0, 2});
  CHECK(values<int64_t>(run1("ArgMax", {x}, {{"axis", attr_int(0)}, {"keepdims", attr_bool(false)}})) ==
        std::vector<int64_t>{1, 0, 0});
  float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(values<int64_t>(run1("ArgMax", {tensor<float>({3}, {1, nan, 9})})) == std::vector<int64_t>{1});
  CHECK(values<int64_t>(run1("ArgMax", {tensor<int32_t>({3}, {-1, -5, 4})})) == std::vector<int64_t>{2});
  require_node_error([] { infer_types("ArgMax", {{DType::f32, {2, 0}}}, {{"axis", attr_int(1)}}); }, "empty");
  require_node_error([] { infer_types("ArgMax", {{DType::f32, {2}}}, {{"axis", attr_int(1)}}); }, "axis");
}

TEST_CASE("ReduceMin and ReduceProd", "[ops][kernels]") {
  Tensor x = tensor<float>({2, 3}, {3, 1, 2, -4, 5, 6});
  CHECK(values<float>(run1("ReduceMin", {x}, {{"axes", attr_ints({1})}})) == std::vector<float>{1, -4});
  CHECK(values<float>(run1("ReduceMin", {x})) == std::vector<float>{-4});
  CHECK(run1("ReduceMin", {x}, {{"keepdims", attr_bool(false)}}).shape() == Shape{});
  CHECK(values<float>(run1("ReduceProd", {x}, {{"axes", attr_ints({0})}})) == std::vector<float>{-12, 5, 12});
  CHECK(values<int64_t>(run1("ReduceProd", {tensor<int64_t>({0}, {})})) == std::vector<int64_t>{1});
  float nan = std::numeric_limits<float>::quiet_NaN();
  CHECK(std::isnan(values<float>(run1("ReduceMin", {tensor<float>({3}, {1, nan, 0})}))[0]));
  require_node_error([] { infer_types("ReduceMin", {{DType::f32, {2}}}, {{"axes", attr_ints({0, 0})}}); }, "distinct");
}
