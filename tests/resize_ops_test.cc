// resize_ops.cc and resize_kernels.cc against hand-computed values, and
// Resize and ResizeGrad against PyTorch's interpolate (vectors in
// tests/data/resize, written by make_vectors.py there). The gradient is
// also checked by finite differences in gradient_check_test.cc.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "compiler/ops/op_schema.h"
#include "graphc/npy.h"
#include "op_family_test_util.h"

using namespace graphc;
using namespace graphc::testing;
using ops::attr_float;
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

// PyTorch computed in float64 from the same float32 inputs; graphc sums in
// double and rounds once: within 1e-6 absolute, 1e-6 relative.
TEST_CASE("Resize and ResizeGrad match PyTorch's interpolate", "[ops][kernels]") {
  auto vector = [](const std::string& name) {
    return read_npy(fmt::format("{}/tests/data/resize/{}.npy", GRAPHC_SOURCE_DIR, name));
  };
  struct Mode {
    const char* name;
    Attrs attrs;
  };
  const Mode modes[] = {
      {"nearest", {{"coordinate_transformation_mode", attr_string("asymmetric")}, {"nearest_mode", attr_string("floor")}}},
      {"bilinear", {{"mode", attr_string("linear")}, {"coordinate_transformation_mode", attr_string("pytorch_half_pixel")}}},
      {"bilinear_aligned",
       {{"mode", attr_string("linear")}, {"coordinate_transformation_mode", attr_string("align_corners")}}},
      {"bicubic",
       {{"mode", attr_string("cubic")}, {"coordinate_transformation_mode", attr_string("pytorch_half_pixel")},
        {"cubic_coeff_a", attr_float(-0.75f)}}},
  };
  Tensor x = vector("x"), dy = vector("dy");
  auto expect_close = [](const Tensor& got, const Tensor& want) {
    REQUIRE(got.shape() == want.shape());
    for (int64_t i = 0; i < got.num_elements(); ++i) {
      float g = got.data<float>()[i], w = want.data<float>()[i];
      INFO("element " << i);
      CHECK(std::abs(g - w) <= 1e-6f + 1e-6f * std::abs(w));
    }
  };
  for (const Mode& mode : modes) {
    INFO(mode.name);
    Attrs attrs = mode.attrs;
    attrs["sizes"] = attr_ints({2, 3, 8, 4});
    expect_close(run1("Resize", {x}, attrs), vector(std::string(mode.name) + "_y"));
    attrs["input_shape"] = attr_ints({2, 3, 5, 7});
    expect_close(run1("ResizeGrad", {dy}, attrs), vector(std::string(mode.name) + "_dx"));
  }
}

TEST_CASE("ResizeGrad's dy must be what Resize gives for input_shape", "[ops]") {
  Attrs attrs{{"sizes", attr_ints({1, 4})}, {"input_shape", attr_ints({1, 2})}};
  CHECK(infer_types("ResizeGrad", {TensorType{DType::f32, {1, 4}}}, attrs)[0] == TensorType{DType::f32, {1, 2}});
  require_node_error([&] { infer_types("ResizeGrad", {TensorType{DType::f32, {1, 5}}}, attrs); },
                     "dy has type f32[1,5], expected f32[1,4] (Resize's output for x f32[1,2])");
}
