// resize_ops.cc and resize_kernels.cc against hand-computed values.
#include <catch2/catch.hpp>

#include "compiler/ops/op_schema.h"
#include "op_family_test_util.h"

using namespace graphc;
using namespace graphc::testing;
using ops::attr_ints;
using ops::attr_string;

TEST_CASE("Resize nearest, linear and cubic", "[ops][kernels]") {
  Tensor x = tensor<float>({1, 2}, {1, 3});
  // nearest, half_pixel, 2 -> 4: x = (o + .5)/2 - .5 = -.25, .25, .75, 1.25
  // round_prefer_floor: 0, 0, 1, 1
  CHECK(values<float>(run1("Resize", {x}, {{"sizes", attr_ints({1, 4})}})) == std::vector<float>{1, 1, 3, 3});
  // linear: clamped edges, 1 + 2 * frac: 1, 1.5, 2.5, 3
  CHECK(values<float>(run1("Resize", {x}, {{"sizes", attr_ints({1, 4})}, {"mode", attr_string("linear")}})) ==
        std::vector<float>{1, 1.5f, 2.5f, 3});
  // align_corners: x = o * 1/3: 1, 5/3, 7/3, 3
  auto aligned = values<float>(run1("Resize", {x}, {{"sizes", attr_ints({1, 4})}, {"mode", attr_string("linear")},
                                                    {"coordinate_transformation_mode", attr_string("align_corners")}}));
  CHECK(aligned[1] == Approx(5.0f / 3.0f));
  CHECK(aligned[3] == 3.0f);
  // asymmetric + floor: 0, 0, 1, 1
  CHECK(values<float>(run1("Resize", {x}, {{"sizes", attr_ints({1, 4})},
                                            {"coordinate_transformation_mode", attr_string("asymmetric")},
                                            {"nearest_mode", attr_string("floor")}})) == std::vector<float>{1, 1, 3, 3});
  // cubic at integer coordinates reproduces x; downsampling 4 -> 2 with
  // asymmetric picks x = 0 and 2.
  Tensor four = tensor<float>({4}, {1, 2, 4, 8});
  CHECK(values<float>(run1("Resize", {four}, {{"sizes", attr_ints({2})}, {"mode", attr_string("cubic")},
                                               {"coordinate_transformation_mode", attr_string("asymmetric")}})) ==
        std::vector<float>{1, 4});
  require_node_error([&] { infer_types("Resize", {x.type()}, {{"sizes", attr_ints({4})}}); }, "sizes");
  require_node_error([&] { infer_types("Resize", {x.type()}, {{"sizes", attr_ints({1, 4})}, {"mode", attr_string("area")}}); },
                     "mode");
}
