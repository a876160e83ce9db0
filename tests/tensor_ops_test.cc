// tensor_ops.cc and tensor_kernels.cc against hand-computed values.
#include <catch2/catch.hpp>

#include "compiler/ops/op_schema.h"
#include "op_family_test_util.h"

using namespace graphc;
using namespace graphc::testing;
using ops::attr_bool;
using ops::attr_int;
using ops::attr_ints;

TEST_CASE("Squeeze and Unsqueeze", "[ops][kernels]") {
  CHECK(infer_types("Squeeze", {{DType::f32, {1, 3, 1, 2}}})[0].shape == Shape{3, 2});
  CHECK(infer_types("Squeeze", {{DType::f32, {1, 3, 1, 2}}}, {{"axes", attr_ints({-2})}})[0].shape == Shape{1, 3, 2});
  require_node_error([] { infer_types("Squeeze", {{DType::f32, {1, 3}}}, {{"axes", attr_ints({1})}}); }, "size 1");
  CHECK(infer_types("Unsqueeze", {{DType::i64, {3, 2}}}, {{"axes", attr_ints({0, -1})}})[0].shape == Shape{1, 3, 2, 1});
  CHECK(infer_types("Unsqueeze", {{DType::i64, {}}}, {{"axes", attr_ints({0})}})[0].shape == Shape{1});
  require_node_error([] { infer_types("Unsqueeze", {{DType::f32, {3}}}, {{"axes", attr_ints({0, 0})}}); }, "distinct");
  Tensor y = run1("Unsqueeze", {tensor<float>({2}, {1, 2})}, {{"axes", attr_ints({1})}});
  CHECK(y.shape() == Shape{2, 1});
  CHECK(values<float>(y) == std::vector<float>{1, 2});
}

TEST_CASE("Shape and Size read the static type", "[ops][kernels]") {
  Tensor x(DType::f32, {2, 3, 4});
  CHECK(values<int64_t>(run1("Shape", {x})) == std::vector<int64_t>{2, 3, 4});
  CHECK(values<int64_t>(run1("Shape", {x}, {{"start", attr_int(-2)}})) == std::vector<int64_t>{3, 4});
  CHECK(values<int64_t>(run1("Shape", {x}, {{"start", attr_int(1)}, {"end", attr_int(2)}})) == std::vector<int64_t>{3});
  CHECK(run1("Shape", {x}, {{"start", attr_int(2)}, {"end", attr_int(1)}}).shape() == Shape{0});
  CHECK(values<int64_t>(run1("Size", {x})) == std::vector<int64_t>{24});
}

TEST_CASE("Expand and Tile", "[ops][kernels]") {
  Tensor x = tensor<int32_t>({2, 1}, {1, 2});
  Tensor e = run1("Expand", {x}, {{"shape", attr_ints({2, 3})}});
  CHECK(values<int32_t>(e) == std::vector<int32_t>{1, 1, 1, 2, 2, 2});
  CHECK(infer_types("Expand", {{DType::f32, {3, 1}}}, {{"shape", attr_ints({1, 4})}})[0].shape == Shape{3, 4});
  CHECK(infer_types("Expand", {{DType::f32, {3}}}, {{"shape", attr_ints({2, 1, 1})}})[0].shape == Shape{2, 1, 3});
  require_node_error([] { infer_types("Expand", {{DType::f32, {3}}}, {{"shape", attr_ints({2})}}); }, "broadcast");
  Tensor t = run1("Tile", {tensor<float>({2, 2}, {1, 2, 3, 4})}, {{"repeats", attr_ints({1, 2})}});
  CHECK(t.shape() == Shape{2, 4});
  CHECK(values<float>(t) == std::vector<float>{1, 2, 1, 2, 3, 4, 3, 4});
  require_node_error([] { infer_types("Tile", {{DType::f32, {3}}}, {{"repeats", attr_ints({1, 1})}}); }, "repeats");
}

TEST_CASE("GatherElements", "[ops][kernels]") {
  Tensor data = tensor<float>({2, 2}, {1, 2, 3, 4});
  Tensor idx = tensor<int64_t>({2, 2}, {0, 0, 1, 0});
  CHECK(values<float>(run1("GatherElements", {data, idx}, {{"axis", attr_int(1)}})) == std::vector<float>{1, 1, 4, 3});
  Tensor rows = tensor<int32_t>({1, 2}, {1, -2});
  CHECK(values<float>(run1("GatherElements", {data, rows}, {{"axis", attr_int(0)}})) == std::vector<float>{3, 2});
  require_node_error([&] { run1("GatherElements", {data, tensor<int64_t>({1, 1}, {2})}); }, "out of range");
  require_node_error([] { infer_types("GatherElements", {{DType::f32, {2, 2}}, {DType::i64, {2}}}); }, "rank");
}

TEST_CASE("Trilu and CumSum", "[ops][kernels]") {
  Tensor x = tensor<float>({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(values<float>(run1("Trilu", {x})) == std::vector<float>{1, 2, 3, 0, 5, 6, 0, 0, 9});
  CHECK(values<float>(run1("Trilu", {x}, {{"upper", attr_bool(false)}, {"k", attr_int(-1)}})) ==
        std::vector<float>{0, 0, 0, 4, 0, 0, 7, 8, 0});
  CHECK(values<float>(run1("Trilu", {x}, {{"k", attr_int(1)}})) == std::vector<float>{0, 2, 3, 0, 0, 6, 0, 0, 0});
  require_node_error([] { infer_types("Trilu", {{DType::f32, {3}}}); }, "rank");

  Tensor c = tensor<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  CHECK(values<int64_t>(run1("CumSum", {c}, {{"axis", attr_int(1)}})) == std::vector<int64_t>{1, 3, 6, 4, 9, 15});
  CHECK(values<int64_t>(run1("CumSum", {c}, {{"axis", attr_int(0)}})) == std::vector<int64_t>{1, 2, 3, 5, 7, 9});
  CHECK(values<int64_t>(run1("CumSum", {c}, {{"axis", attr_int(1)}, {"exclusive", attr_bool(true)}})) ==
        std::vector<int64_t>{0, 1, 3, 0, 4, 9});
  CHECK(values<int64_t>(run1("CumSum", {c}, {{"axis", attr_int(-1)}, {"reverse", attr_bool(true)}})) ==
        std::vector<int64_t>{6, 5, 3, 15, 11, 6});
}
