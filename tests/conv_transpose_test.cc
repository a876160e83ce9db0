// ConvTranspose (nn_ops.cc, nn_kernels.cc): shape inference and its errors,
// the kernel against ONNX's examples, and its agreement with Conv2D's input
// gradient, which it is the transpose of.
#include <catch2/catch.hpp>

#include "compiler/ops/op_schema.h"
#include "op_family_test_util.h"

using namespace graphc;
using namespace graphc::testing;
using ops::attr_int;
using ops::attr_ints;

namespace {

Tensor iota(Shape shape, float first = 0.0f) {
  Tensor t(DType::f32, std::move(shape));
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = first + static_cast<float>(i);
  return t;
}

Tensor ones(Shape shape) {
  Tensor t(DType::f32, std::move(shape));
  std::fill_n(t.data<float>(), t.num_elements(), 1.0f);
  return t;
}

Shape infer(Shape x, Shape w, const Attrs& attrs = {}) {
  return infer_types("ConvTranspose", {{DType::f32, std::move(x)}, {DType::f32, std::move(w)}}, attrs)[0].shape;
}

}  // namespace

TEST_CASE("ConvTranspose shapes", "[ops]") {
  CHECK(infer({1, 1, 3, 3}, {1, 2, 3, 3}) == Shape{1, 2, 5, 5});
  CHECK(infer({1, 1, 3, 3}, {1, 2, 3, 3}, {{"strides", attr_ints({3, 2})}, {"output_padding", attr_ints({1, 1})}}) ==
        Shape{1, 2, 10, 8});
  CHECK(infer({1, 1, 3, 3}, {1, 2, 3, 3}, {{"strides", attr_ints({3, 2})}, {"pads", attr_ints({1, 2, 1, 2})}}) ==
        Shape{1, 2, 7, 3});
  CHECK(infer({2, 4, 5, 6}, {4, 3, 2, 2}, {{"groups", attr_int(2)}, {"dilations", attr_ints({2, 1})}}) ==
        Shape{2, 6, 7, 7});
  require_node_error(
      [] {
        infer({1, 3, 8, 8}, {4, 2, 3, 3});
      },
      "input 1 (w) has shape f32[4,2,3,3], expected [C, M/groups, KH, KW] with C = 3");
  require_node_error([] { infer({1, 3, 8, 8}, {3, 2, 3, 3}, {{"groups", attr_int(2)}}); }, "divisible by groups = 2");
  require_node_error(
      [] {
        infer({1, 1, 1, 1}, {1, 1, 1, 1}, {{"pads", attr_ints({1, 0, 0, 0})}});
      },
      "the output is empty along H");
  require_node_error(
      [] {
        infer({1, 1, 3, 3}, {1, 1, 3, 3}, {{"output_padding", attr_ints({-1, 0})}});
      },
      "'output_padding' = [-1,0] must hold values >= 0");
  require_node_error(
      [] {
        infer_types("ConvTranspose", {{DType::f32, {1, 2, 3, 3}}, {DType::f32, {2, 3, 3, 3}}, {DType::f32, {2}}});
      },
      "input 2 (b) has shape f32[2], expected [M] with M = w.shape[1]·groups = 3");
}

TEST_CASE("ConvTranspose on ONNX's examples", "[kernels]") {
  Tensor x = iota({1, 1, 3, 3});
  SECTION("unit strides: each output sums the inputs whose window covers it") {
    Tensor y = run1("ConvTranspose", {x, ones({1, 2, 3, 3})});
    std::vector<float> plane = {0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15, 9, 20, 33, 24, 13, 6, 13, 21, 15, 8};
    std::vector<float> expected = plane;
    expected.insert(expected.end(), plane.begin(), plane.end());
    CHECK(y.shape() == Shape{1, 2, 5, 5});
    CHECK(values<float>(y) == expected);
  }
  SECTION("strides and pads") {
    Tensor y = run1("ConvTranspose", {x, ones({1, 1, 3, 3})},
                    {{"strides", attr_ints({3, 2})}, {"pads", attr_ints({1, 2, 1, 2})}});
    CHECK(y.shape() == Shape{1, 1, 7, 3});
    CHECK(values<float>(y) == std::vector<float>{1, 1, 3, 1, 1, 3, 7, 4, 9, 7, 4, 9, 7, 4, 9, 13, 7, 15, 13, 7, 15});
  }
  SECTION("dilations, with a bias") {
    Tensor xd = tensor<float>({1, 1, 3, 3}, {3, 8, 1, 9, 5, 7, 3, 2, 6});
    Tensor w = tensor<float>({1, 1, 2, 2}, {7, 2, 1, 9});
    Tensor y = run1("ConvTranspose", {xd, w, tensor<float>({1}, {100})}, {{"dilations", attr_ints({2, 2})}});
    std::vector<float> expected = {21, 56, 13, 16, 2,  63, 35, 67, 10, 14, 24, 22, 76,
                                   76, 21, 9,  5,  88, 45, 63, 3,  2,  33, 18, 54};
    for (float& v : expected) v += 100;
    CHECK(values<float>(y) == expected);
  }
}

TEST_CASE("ConvTranspose is Conv2D's input gradient", "[kernels]") {
  // groups 2, C = 4, M = 6; output_padding 1 < stride 2 keeps the shapes Conv2D's.
  Tensor x = iota({2, 4, 3, 2}, -5.0f);
  Tensor w = iota({4, 3, 2, 3}, -30.0f);
  Attrs attrs = {{"strides", attr_ints({2, 1})},
                 {"pads", attr_ints({1, 0, 0, 1})},
                 {"dilations", attr_ints({1, 2})},
                 {"groups", attr_int(2)}};
  Attrs transposed = attrs;
  transposed["output_padding"] = attr_ints({1, 0});
  Tensor y = run1("ConvTranspose", {x, w}, transposed);
  CHECK(y.shape() == Shape{2, 6, 6, 5});
  Attrs backprop = attrs;
  backprop["input_shape"] = attr_ints(y.shape());
  CHECK(values<float>(run1("Conv2DBackpropInput", {x, w}, backprop)) == values<float>(y));
}
