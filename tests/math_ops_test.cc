// math_ops.cc and math_kernels.cc against hand-computed values.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "compiler/ops/op_schema.h"
#include "op_family_test_util.h"

using namespace graphc;
using namespace graphc::testing;

namespace {
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();
}  // namespace

TEST_CASE("rounding, sign and abs", "[ops][kernels]") {
  Tensor x = tensor<float>({6}, {-2.5f, -0.5f, 0.5f, 1.5f, 2.5f, 2.7f});
  CHECK(values<float>(run1("Round", {x})) == std::vector<float>{-2, -0.0f, 0, 2, 2, 3});
  CHECK(values<float>(run1("Floor", {x})) == std::vector<float>{-3, -1, 0, 1, 2, 2});
  CHECK(values<float>(run1("Ceil", {x})) == std::vector<float>{-2, -0.0f, 1, 2, 3, 3});
  CHECK(values<float>(run1("Abs", {x})) == std::vector<float>{2.5f, 0.5f, 0.5f, 1.5f, 2.5f, 2.7f});
  CHECK(values<float>(run1("Sign", {tensor<float>({3}, {-3, 0, 4})})) == std::vector<float>{-1, 0, 1});
  CHECK(std::isnan(values<float>(run1("Sign", {tensor<float>({1}, {kNaN})}))[0]));
  int32_t min = std::numeric_limits<int32_t>::min();
  CHECK(values<int32_t>(run1("Abs", {tensor<int32_t>({3}, {-7, 7, min})})) == std::vector<int32_t>{7, 7, min});
  CHECK(values<int64_t>(run1("Sign", {tensor<int64_t>({3}, {-9, 0, 9})})) == std::vector<int64_t>{-1, 0, 1});
}

TEST_CASE("trigonometric and hyperbolic functions", "[ops][kernels]") {
  Tensor x = tensor<float>({2}, {0.0f, 0.5f});
  CHECK(values<float>(run1("Sin", {x}))[1] == Approx(0.4794255f));
  CHECK(values<float>(run1("Cos", {x}))[1] == Approx(0.8775826f));
  CHECK(values<float>(run1("Tan", {x}))[1] == Approx(0.5463025f));
  CHECK(values<float>(run1("Asin", {x}))[1] == Approx(0.5235988f));
  CHECK(values<float>(run1("Acos", {x}))[1] == Approx(1.0471976f));
  CHECK(values<float>(run1("Atan", {x}))[1] == Approx(0.4636476f));
  CHECK(values<float>(run1("Sinh", {x}))[1] == Approx(0.5210953f));
  CHECK(values<float>(run1("Cosh", {x}))[1] == Approx(1.1276260f));
  CHECK(values<float>(run1("Asinh", {x}))[1] == Approx(0.4812118f));
  CHECK(values<float>(run1("Atanh", {x}))[1] == Approx(0.5493061f));
  CHECK(values<float>(run1("Acosh", {tensor<float>({1}, {2.0f})}))[0] == Approx(1.3169579f));
  CHECK(std::isnan(values<float>(run1("Asin", {tensor<float>({1}, {2.0f})}))[0]));
}

TEST_CASE("parameterised activations use their attributes", "[ops][kernels]") {
  Tensor x = tensor<float>({3}, {-2.0f, 0.0f, 3.0f});
  CHECK(values<float>(run1("LeakyRelu", {x})) == std::vector<float>{-0.02f, 0, 3});
  CHECK(values<float>(run1("LeakyRelu", {x}, {{"alpha", ops::attr_float(0.5f)}})) == std::vector<float>{-1, 0, 3});
  auto elu = values<float>(run1("Elu", {x}, {{"alpha", ops::attr_float(2.0f)}}));
  CHECK(elu[0] == Approx(2.0f * (std::exp(-2.0f) - 1.0f)));
  CHECK(elu[2] == 3.0f);
  auto selu = values<float>(run1("Selu", {x}, {{"alpha", ops::attr_float(2.0f)}, {"gamma", ops::attr_float(3.0f)}}));
  CHECK(selu[0] == Approx(3.0f * 2.0f * (std::exp(-2.0f) - 1.0f)));
  CHECK(selu[2] == 9.0f);
  auto celu = values<float>(run1("Celu", {x}, {{"alpha", ops::attr_float(2.0f)}}));
  CHECK(celu[0] == Approx(2.0f * (std::exp(-1.0f) - 1.0f)));
  auto hard_sigmoid = values<float>(run1("HardSigmoid", {x}));
  CHECK(hard_sigmoid[0] == Approx(0.1f));
  CHECK(hard_sigmoid[1] == 0.5f);
  CHECK(hard_sigmoid[2] == 1.0f);
  CHECK(values<float>(run1("ThresholdedRelu", {x}, {{"alpha", ops::attr_float(2.5f)}})) == std::vector<float>{0, 0, 3});
  CHECK(values<float>(run1("Shrink", {x}, {{"lambd", ops::attr_float(1.0f)}, {"bias", ops::attr_float(0.5f)}})) ==
        std::vector<float>{-1.5f, 0, 2.5f});
  auto hard_swish = values<float>(run1("HardSwish", {x}));
  CHECK(hard_swish[0] == Approx(-2.0f / 6.0f));
  CHECK(hard_swish[1] == 0.0f);
  CHECK(hard_swish[2] == 3.0f);
  auto softplus = values<float>(run1("Softplus", {tensor<float>({3}, {0.0f, 100.0f, -100.0f})}));
  CHECK(softplus[0] == Approx(std::log(2.0f)));
  CHECK(softplus[1] == 100.0f);  // no overflow
  CHECK(softplus[2] == Approx(0.0f).margin(1e-30));
  CHECK(values<float>(run1("Softsign", {x})) == std::vector<float>{-2.0f / 3.0f, 0, 0.75f});
}

TEST_CASE("IsNaN and IsInf give bools", "[ops][kernels]") {
  Tensor x = tensor<float>({4}, {kNaN, kInf, -kInf, 1.0f});
  CHECK(values<bool>(run1("IsNaN", {x})) == std::vector<bool>{true, false, false, false});
  CHECK(values<bool>(run1("IsInf", {x})) == std::vector<bool>{false, true, true, false});
  CHECK(values<bool>(run1("IsInf", {x}, {{"detect_negative", ops::attr_bool(false)}})) ==
        std::vector<bool>{false, true, false, false});
  CHECK(infer_types("IsNaN", {{DType::f32, {2, 3}}})[0] == TensorType{DType::boolean, {2, 3}});
}

TEST_CASE("Mod follows Python or C semantics; PRelu broadcasts its slope", "[ops][kernels]") {
  Tensor a = tensor<int32_t>({4}, {7, -7, 7, -7});
  Tensor b = tensor<int32_t>({4}, {3, 3, -3, -3});
  CHECK(values<int32_t>(run1("Mod", {a, b})) == std::vector<int32_t>{1, 2, -2, -1});
  CHECK(values<int32_t>(run1("Mod", {a, b}, {{"fmod", ops::attr_bool(true)}})) == std::vector<int32_t>{1, -1, 1, -1});
  Tensor fa = tensor<float>({2}, {5.5f, -5.5f});
  Tensor fb = tensor<float>({1}, {2.0f});
  CHECK(values<float>(run1("Mod", {fa, fb})) == std::vector<float>{1.5f, 0.5f});
  CHECK(values<float>(run1("Mod", {fa, fb}, {{"fmod", ops::attr_bool(true)}})) == std::vector<float>{1.5f, -1.5f});
  require_node_error([&] { run1("Mod", {a, tensor<int32_t>({1}, {0})}); }, "modulo by zero");

  Tensor x = tensor<float>({2, 2}, {-1, 2, -3, 4});
  Tensor slope = tensor<float>({2}, {0.5f, 0.25f});
  CHECK(values<float>(run1("PRelu", {x, slope})) == std::vector<float>{-0.5f, 2, -1.5f, 4});
  require_node_error([&] { infer_types("PRelu", {{DType::f32, {2}}, {DType::f32, {3, 2}}}); }, "must broadcast to x");
}
