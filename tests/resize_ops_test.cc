// resize_ops.cc and resize_kernels.cc against hand-computed values;
// Resize and ResizeGrad against PyTorch's interpolate (vectors in
// tests/data/resize, written by make_vectors.py there); the oneDNN
// resampling kernels against the reference kernels where they are served,
// and the reasons where they are not. The gradient is also checked by
// finite differences in gradient_check_test.cc.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "compiler/ops/op_schema.h"
#include "graphc/npy.h"
#include "op_family_test_util.h"
#include "runtime/src/kernel_selection.h"
#include "test_graphs.h"

using namespace graphc;
using namespace graphc::testing;
using ops::attr_float;
using ops::attr_ints;
using ops::attr_string;

namespace {

/// Every element of `got` within atol + rtol·|want| of `want`'s.
void expect_close(const Tensor& got, const Tensor& want, float rtol, float atol) {
  REQUIRE(got.shape() == want.shape());
  int64_t bad = 0;
  for (int64_t i = 0; i < got.num_elements(); ++i) {
    float g = got.data<float>()[i], w = want.data<float>()[i];
    if (std::abs(g - w) <= atol + rtol * std::abs(w)) continue;
    if (bad++ < 5) UNSCOPED_INFO(fmt::format("element {}: got {} want {}", i, g, w));
  }
  CHECK(bad == 0);
}

}  // namespace

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
  for (const Mode& mode : modes) {
    INFO(mode.name);
    Attrs attrs = mode.attrs;
    attrs["sizes"] = attr_ints({2, 3, 8, 4});
    expect_close(run1("Resize", {x}, attrs), vector(std::string(mode.name) + "_y"), 1e-6f, 1e-6f);
    attrs["input_shape"] = attr_ints({2, 3, 5, 7});
    expect_close(run1("ResizeGrad", {dy}, attrs), vector(std::string(mode.name) + "_dx"), 1e-6f, 1e-6f);
  }
}

TEST_CASE("ResizeGrad's dy must be what Resize gives for input_shape", "[ops]") {
  Attrs attrs{{"sizes", attr_ints({1, 4})}, {"input_shape", attr_ints({1, 2})}};
  CHECK(infer_types("ResizeGrad", {TensorType{DType::f32, {1, 4}}}, attrs)[0] == TensorType{DType::f32, {1, 2}});
  require_node_error([&] { infer_types("ResizeGrad", {TensorType{DType::f32, {1, 5}}}, attrs); },
                     "dy has type f32[1,5], expected f32[1,4] (Resize's output for x f32[1,2])");
}

namespace {

/// The kernel -O2 selects for `op` with these attributes and types.
SelectedKernel select(const std::string& op, const Attrs& attrs, const TensorType& in, const TensorType& out) {
  AttrMap map = attrs_with_defaults(op, attrs);
  std::vector<TensorType> ins{in}, outs{out};
  return select_kernel(KernelSpec{map, ins, outs}, proto::OPTIMISED_KERNEL);
}

}  // namespace

// oneDNN's interpolation in float against the reference's in double:
// rtol 1e-5, atol 1e-6.
TEST_CASE("oneDNN Resize and ResizeGrad match the reference where oneDNN's interpolation is ONNX's",
          "[ops][kernels][onednn]") {
  struct Served {
    Shape x, y;
    Attrs attrs;
  };
  const Attrs linear{{"mode", attr_string("linear")}};
  const Served served[] = {
      {{2, 3, 5, 7}, {2, 3, 8, 4}, linear},  // half_pixel, up and down
      {{1, 2, 4, 4}, {1, 2, 9, 3},
       {{"mode", attr_string("linear")}, {"coordinate_transformation_mode", attr_string("pytorch_half_pixel")}}},
      {{1, 3, 4, 5}, {1, 3, 8, 10},  // PyTorch's nn.Upsample(scale_factor=2): asymmetric + floor
       {{"coordinate_transformation_mode", attr_string("asymmetric")}, {"nearest_mode", attr_string("floor")}}},
      {{1, 2, 3, 5}, {1, 2, 7, 4}, {}},  // nearest, half_pixel, round_prefer_floor: no ties
      {{1, 1, 3, 4, 5}, {1, 1, 6, 4, 3}, linear},
      {{2, 3, 7}, {2, 3, 11}, linear},
  };
  // Runs `op` (which oneDNN must serve) on a random input of `in` against the reference kernel.
  auto check = [](const std::string& op, const Attrs& attrs, const Shape& in, const Shape& out, uint32_t seed) {
    SelectedKernel fast = select(op, attrs, {DType::f32, in}, {DType::f32, out});
    INFO(op << " fallback reason: " << fast.fallback_reason);
    REQUIRE(fast.backend == "onednn");
    Tensor x = random_tensor(in, seed);
    Tensor y(DType::f32, out);
    const Tensor* inputs[] = {&x};
    Tensor* outputs[] = {&y};
    fast.kernel->run(inputs, outputs);
    expect_close(y, run1(op, {x}, attrs), 1e-5f, 1e-6f);
  };
  uint32_t seed = 1;
  for (const Served& c : served) {
    INFO(fmt::format("x {} -> y {}", shape_to_string(c.x), shape_to_string(c.y)));
    Attrs attrs = c.attrs;
    attrs["sizes"] = attr_ints(c.y);
    check("Resize", attrs, c.x, c.y, seed++);
    attrs["input_shape"] = attr_ints(c.x);
    check("ResizeGrad", attrs, c.y, c.x, seed++);
  }
}

TEST_CASE("Resize and ResizeGrad fall back to the reference kernel where oneDNN interpolates otherwise",
          "[ops][kernels][onednn]") {
  auto reason = [](Shape x, Shape y, Attrs attrs) {
    attrs["sizes"] = attr_ints(y);
    SelectedKernel k = select("Resize", attrs, {DType::f32, x}, {DType::f32, y});
    CHECK(k.backend == "reference");
    attrs["input_shape"] = attr_ints(x);
    SelectedKernel grad = select("ResizeGrad", attrs, {DType::f32, y}, {DType::f32, x});
    CHECK(grad.backend == "reference");
    CHECK(grad.fallback_reason == k.fallback_reason);
    return k.fallback_reason;
  };
  CHECK_THAT(reason({1, 1, 4, 4}, {1, 1, 8, 8}, {{"mode", attr_string("cubic")}}), Catch::Contains("mode \"cubic\""));
  CHECK_THAT(reason({1, 1, 4, 4}, {1, 1, 8, 8},
                    {{"mode", attr_string("linear")}, {"coordinate_transformation_mode", attr_string("align_corners")}}),
             Catch::Contains("dim 2: output 1 reads other elements"));
  CHECK_THAT(reason({1, 1, 4, 4}, {1, 1, 2, 2}, {}), Catch::Contains("dim 2: output 0 falls on a rounding boundary"));
  CHECK_THAT(reason({1, 2, 4, 4}, {1, 4, 4, 4}, {{"mode", attr_string("linear")}}),
             Catch::Contains("dim 1 (N or C)"));
  CHECK_THAT(reason({1, 1, 4, 4}, {1, 1, 3, 3},
                    {{"mode", attr_string("linear")},
                     {"coordinate_transformation_mode", attr_string("tf_crop_and_resize")},
                     {"roi", ops::attr_floats({0, 0, -0.5f, 0, 1, 1, 1, 1})}}),
             Catch::Contains("dim 2: coordinates outside x extrapolate"));
  CHECK_THAT(reason({4, 4}, {8, 8}, {{"mode", attr_string("linear")}}), Catch::Contains("not [N, C"));
}
