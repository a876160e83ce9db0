// index_ops.cc and index_kernels.cc (TopK, GatherND, ScatterND) against
// hand-computed values and ONNX's examples.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "compiler/ops/op_schema.h"
#include "op_family_test_util.h"

using namespace graphc;
using namespace graphc::testing;
using ops::attr_bool;
using ops::attr_int;
using ops::attr_string;

TEST_CASE("TopK: largest or smallest, ties in index order, NaN first", "[ops][kernels]") {
  Tensor x = tensor<float>({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  std::vector<Tensor> top = run_op("TopK", {x}, {{"k", attr_int(3)}});
  CHECK(top[0].shape() == Shape{3, 3});
  CHECK(values<float>(top[0]) == std::vector<float>{3, 2, 1, 7, 6, 5, 11, 10, 9});
  CHECK(values<int64_t>(top[1]) == std::vector<int64_t>{3, 2, 1, 3, 2, 1, 3, 2, 1});

  float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor ties = tensor<float>({1, 5}, {3, 1, 3, nan, 1});
  std::vector<Tensor> small = run_op("TopK", {ties}, {{"k", attr_int(4)}, {"largest", attr_bool(false)}});
  CHECK(std::isnan(values<float>(small[0])[0]));
  CHECK(values<int64_t>(small[1]) == std::vector<int64_t>{3, 1, 4, 0});
  std::vector<Tensor> large = run_op("TopK", {ties}, {{"k", attr_int(3)}, {"axis", attr_int(1)}});
  CHECK(values<int64_t>(large[1]) == std::vector<int64_t>{3, 0, 2});

  Tensor columns = tensor<int32_t>({3, 2}, {5, -1, 7, 4, 6, 4});
  std::vector<Tensor> down = run_op("TopK", {columns}, {{"k", attr_int(2)}, {"axis", attr_int(0)}});
  CHECK(values<int32_t>(down[0]) == std::vector<int32_t>{7, 4, 6, 4});
  CHECK(values<int64_t>(down[1]) == std::vector<int64_t>{1, 1, 2, 2});
  CHECK(run_op("TopK", {columns}, {{"k", attr_int(0)}})[0].shape() == Shape{3, 0});

  std::vector<TensorType> types =
      infer_types("TopK", {{DType::i64, {2, 5}}}, {{"k", attr_int(2)}, {"axis", attr_int(0)}});
  CHECK(types[0] == TensorType{DType::i64, {2, 5}});
  CHECK(types[1] == TensorType{DType::i64, {2, 5}});
  require_node_error(
      [] {
        infer_types("TopK", {{DType::f32, {2, 4}}}, {{"k", attr_int(5)}});
      },
      "attribute 'k' = 5 must be in [0, 4]");
  require_node_error(
      [] {
        infer_types("TopK", {{DType::f32, {2, 4}}}, {{"k", attr_int(1)}, {"axis", attr_int(2)}});
      },
      "axis");
  require_node_error([] { infer_types("TopK", {{DType::boolean, {4}}}, {{"k", attr_int(1)}}); }, "dtype");
}

TEST_CASE("GatherND: index tuples, slices and batch dims", "[ops][kernels]") {
  // ONNX's examples.
  Tensor data = tensor<int32_t>({2, 2}, {0, 1, 2, 3});
  CHECK(values<int32_t>(run1("GatherND", {data, tensor<int64_t>({2, 2}, {0, 0, 1, 1})})) == std::vector<int32_t>{0, 3});
  Tensor rows = run1("GatherND", {data, tensor<int64_t>({2, 1}, {1, 0})});
  CHECK(rows.shape() == Shape{2, 2});
  CHECK(values<int32_t>(rows) == std::vector<int32_t>{2, 3, 0, 1});
  Tensor cube = tensor<float>({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  Tensor batched = run1("GatherND", {cube, tensor<int32_t>({2, 1}, {1, 0})}, {{"batch_dims", attr_int(1)}});
  CHECK(batched.shape() == Shape{2, 2});
  CHECK(values<float>(batched) == std::vector<float>{2, 3, 4, 5});
  // Negative indices wrap; out-of-range ones fail when the kernel runs.
  CHECK(values<float>(run1("GatherND", {cube, tensor<int64_t>({1, 3}, {-1, 0, -1})})) == std::vector<float>{5});
  require_node_error([&] { run1("GatherND", {cube, tensor<int64_t>({1, 2}, {0, 2})}); }, "out of range for dim 1");

  CHECK(infer_types("GatherND", {{DType::f32, {2, 3, 4, 5}}, {DType::i64, {2, 7, 2}}}, {{"batch_dims", attr_int(1)}})[0]
            .shape == Shape{2, 7, 5});
  require_node_error([] { infer_types("GatherND", {{DType::f32, {2, 3}}, {DType::i64, {4, 3}}}); }, "do not address");
  require_node_error(
      [] {
        infer_types("GatherND", {{DType::f32, {2, 3}}, {DType::i64, {3, 1}}}, {{"batch_dims", attr_int(1)}});
      },
      "do not address");
  require_node_error([] { infer_types("GatherND", {{DType::f32, {2, 3}}, {DType::f32, {1, 1}}}); }, "dtype");
}

TEST_CASE("ScatterND: replace, and add/mul/max/min reductions", "[ops][kernels]") {
  // ONNX's example.
  Tensor data = tensor<float>({8}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor indices = tensor<int64_t>({4, 1}, {4, 3, 1, 7});
  Tensor updates = tensor<float>({4}, {9, 10, 11, 12});
  CHECK(values<float>(run1("ScatterND", {data, indices, updates})) == std::vector<float>{1, 11, 3, 10, 9, 6, 7, 12});

  // Repeated and negative tuples combine in order.
  Tensor grid = tensor<int64_t>({2, 2}, {1, 2, 3, 4});
  Tensor at = tensor<int32_t>({3, 2}, {0, 1, 0, -1, 1, 0});
  Tensor upd = tensor<int64_t>({3}, {10, 20, 5});
  auto scatter = [&](const char* reduction) {
    return values<int64_t>(run1("ScatterND", {grid, at, upd}, {{"reduction", attr_string(reduction)}}));
  };
  CHECK(scatter("none") == std::vector<int64_t>{1, 20, 5, 4});
  CHECK(scatter("add") == std::vector<int64_t>{1, 32, 8, 4});
  CHECK(scatter("mul") == std::vector<int64_t>{1, 400, 15, 4});
  CHECK(scatter("max") == std::vector<int64_t>{1, 20, 5, 4});
  CHECK(scatter("min") == std::vector<int64_t>{1, 2, 3, 4});

  // Slices: a tuple of one index replaces a row.
  Tensor rows = run1("ScatterND", {grid, tensor<int64_t>({1, 1}, {1}), tensor<int64_t>({1, 2}, {7, 8})});
  CHECK(values<int64_t>(rows) == std::vector<int64_t>{1, 2, 7, 8});
  require_node_error(
      [&] {
        run1("ScatterND", {data, tensor<int64_t>({1, 1}, {8}), tensor<float>({1}, {0})});
      },
      "out of range");

  require_node_error(
      [] {
        infer_types("ScatterND", {{DType::f32, {4, 3}}, {DType::i64, {2, 1}}, {DType::f32, {2, 4}}});
      },
      "input 2 (updates) has shape f32[2,4], expected [2,3]");
  require_node_error(
      [] {
        infer_types("ScatterND", {{DType::f32, {4, 3}}, {DType::i64, {2, 3}}, {DType::f32, {2}}});
      },
      "last dim k in [1, 2]");
  require_node_error(
      [] {
        infer_types("ScatterND", {{DType::f32, {4}}, {DType::i64, {2, 1}}, {DType::f32, {2}}},
                    {{"reduction", attr_string("sum")}});
      },
      "must be one of");
  require_node_error(
      [] {
        infer_types("ScatterND", {{DType::boolean, {4}}, {DType::i64, {2, 1}}, {DType::boolean, {2}}},
                    {{"reduction", attr_string("add")}});
      },
      "dtype");
}
