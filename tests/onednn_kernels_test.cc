// Tests of the oneDNN kernels against the reference kernels (the oracle) on
// random inputs, of the fallback to the reference kernel, and of kernel
// selection by -O level.
//
// Tolerances, per op family: a result r matches the reference e when
// |r − e| <= atol + rtol·|e|.
//   conv, matmul, dense:     rtol 1e-4, atol 1e-4 (f32 sums in another order)
//   eltwise, binary, pools:  rtol 1e-5, atol 1e-5 (oneDNN's log is within ~3e-6
//                            absolute of libm's near log(1) = 0)
//   batch/layer norm, softmax, global pooling: rtol 1e-4, atol 1e-5
//     (oneDNN accumulates in f32, the reference in double)
//   conv backward (data and weights): rtol 1e-4, atol 1e-4 (as conv)
//   pooling backward, ReluGrad, GeluGrad: rtol 1e-5, atol 1e-5 (as pools and
//     eltwise; MaxPoolGrad and ReluGrad are exact: each dx is a sum of a few
//     dy. Their x are multiples of 1/4, or all 0, so that max pooling windows
//     have ties, which both give to the first max, and x is often exactly 0)
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <memory>
#include <random>
#include <sstream>
#include <thread>

#include "compiler/compiler.h"
#include "compiler/ops/op_schema.h"
#include "graphc/error.h"
#include "graphc/session.h"
#include "graphc/variables.h"
#include "runtime/core/kernel.h"
#include "runtime/src/kernel_selection.h"
#include "runtime/src/module_impl.h"
#include "test_graphs.h"

namespace graphc {
namespace {

using Attrs = std::map<std::string, proto::AttrValue>;

struct Tolerance {
  float rtol;
  float atol;
};
constexpr Tolerance kLinear{1e-4f, 1e-4f};
constexpr Tolerance kElementwise{1e-5f, 1e-5f};
constexpr Tolerance kNormalising{1e-4f, 1e-5f};

using testing::random_tensor;

std::vector<Tensor> run_kernel(const Kernel& kernel, const std::vector<Tensor>& inputs,
                               const std::vector<TensorType>& outputs) {
  std::vector<Tensor> results;
  for (const TensorType& t : outputs) results.emplace_back(t);
  std::vector<const Tensor*> in;
  for (const Tensor& t : inputs) in.push_back(&t);
  std::vector<Tensor*> out;
  for (Tensor& t : results) out.push_back(&t);
  kernel.run(in, out);
  return results;
}

std::vector<Tensor> run_kernel(const Kernel& kernel, const std::vector<Tensor>& inputs, const TensorType& output) {
  return run_kernel(kernel, inputs, std::vector<TensorType>{output});
}

void expect_close(const Tensor& got, const Tensor& want, Tolerance tol) {
  REQUIRE(got.type() == want.type());
  const float* g = got.data<float>();
  const float* w = want.data<float>();
  int64_t bad = 0;
  for (int64_t i = 0; i < got.num_elements(); ++i) {
    if (std::abs(g[i] - w[i]) <= tol.atol + tol.rtol * std::abs(w[i])) continue;
    if (bad++ < 5) UNSCOPED_INFO(fmt::format("element {}: oneDNN {} reference {}", i, g[i], w[i]));
  }
  CHECK(bad == 0);
}

/// A step to test: op, attributes, inputs (random unless given) and its output type.
struct Case {
  std::string op;
  Attrs attrs;
  std::vector<Shape> inputs;
  Shape output;
  float low = -1.0f;  // the range of random inputs
  bool constant_weights = false;  // input 1 is passed as a module constant
  std::vector<float> steps = {};  // per input: when > 0, its values are rounded to multiples of it (ties)
  std::vector<Shape> more_outputs = {};  // after `output`, for ops with several

  std::vector<TensorType> output_types() const {
    std::vector<TensorType> types{{DType::f32, output}};
    for (const Shape& s : more_outputs) types.push_back({DType::f32, s});
    return types;
  }
};

/// The random inputs of `c`.
std::vector<Tensor> case_inputs(const Case& c) {
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    Tensor t = random_tensor(c.inputs[i], 17 + i, c.low);
    float step = i < c.steps.size() ? c.steps[i] : 0.0f;
    if (step > 0) {
      float* p = t.data<float>();
      for (int64_t j = 0; j < t.num_elements(); ++j) p[j] = std::round(p[j] / step) * step;
    }
    inputs.push_back(std::move(t));
  }
  return inputs;
}

/// The oneDNN kernel of `c`, or a failed test saying why there is none.
SelectedKernel select(const Case& c, const std::vector<Tensor>& inputs) {
  AttrMap attrs("n", c.op, c.attrs);
  std::vector<TensorType> in_types;
  for (const Tensor& t : inputs) in_types.push_back(t.type());
  std::vector<TensorType> out_types = c.output_types();
  std::vector<const Tensor*> constants(inputs.size(), nullptr);
  if (c.constant_weights) constants[1] = &inputs[1];
  return select_kernel(KernelSpec{attrs, in_types, out_types, constants}, proto::OPTIMISED_KERNEL);
}

/// Runs `c` on the oneDNN kernel and on the reference kernel and compares.
void check_against_reference(const Case& c, Tolerance tol) {
  std::vector<Tensor> inputs = case_inputs(c);
  std::string shapes;
  for (const Shape& s : c.inputs) shapes += shape_to_string(s) + " ";
  INFO(fmt::format("{} on {}-> {}", c.op, shapes, shape_to_string(c.output)));
  SelectedKernel fast = select(c, inputs);
  INFO("fallback reason: " << fast.fallback_reason);
  REQUIRE(fast.backend == "onednn");
  AttrMap attrs("n", c.op, c.attrs);
  std::vector<TensorType> in_types;
  for (const Tensor& t : inputs) in_types.push_back(t.type());
  std::vector<TensorType> out_types = c.output_types();
  auto reference = KernelRegistry::reference().create(KernelSpec{attrs, in_types, out_types});
  std::vector<Tensor> got = run_kernel(*fast.kernel, inputs, out_types);
  std::vector<Tensor> want = run_kernel(*reference, inputs, out_types);
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("output " << i);
    expect_close(got[i], want[i], tol);
  }
}

Attrs window_attrs(std::vector<int64_t> strides, std::vector<int64_t> pads) {
  return {{"strides", ops::attr_ints(strides)}, {"pads", ops::attr_ints(pads)}};
}

Attrs conv_attrs(std::vector<int64_t> strides, std::vector<int64_t> pads, std::vector<int64_t> dilations,
                 int64_t groups) {
  Attrs a = window_attrs(strides, pads);
  a["dilations"] = ops::attr_ints(dilations);
  a["groups"] = ops::attr_int(groups);
  return a;
}

Attrs pool_attrs(std::vector<int64_t> kernel, std::vector<int64_t> strides, std::vector<int64_t> pads, bool ceil,
                 bool include_pad = false) {
  Attrs a = window_attrs(strides, pads);
  a["kernel"] = ops::attr_ints(kernel);
  a["ceil_mode"] = ops::attr_bool(ceil);
  a["count_include_pad"] = ops::attr_bool(include_pad);
  return a;
}

TEST_CASE("oneDNN Conv2D matches the reference", "[kernels][onednn]") {
  bool constant = GENERATE(false, true);
  INFO("constant weights: " << constant);
  std::vector<Case> cases = {
      {"Conv2D", conv_attrs({1, 1}, {0, 0, 0, 0}, {1, 1}, 1), {{1, 3, 8, 8}, {4, 3, 3, 3}, {4}}, {1, 4, 6, 6}},
      {"Conv2D", conv_attrs({2, 1}, {1, 2, 0, 1}, {1, 1}, 1), {{2, 5, 11, 9}, {7, 5, 3, 2}, {7}}, {2, 7, 5, 11}},
      {"Conv2D", conv_attrs({1, 1}, {2, 2, 2, 2}, {2, 2}, 1), {{1, 16, 13, 13}, {32, 16, 3, 3}}, {1, 32, 13, 13}},
      {"Conv2D", conv_attrs({1, 1}, {1, 1, 1, 1}, {1, 1}, 2), {{1, 6, 7, 7}, {4, 3, 3, 3}, {4}}, {1, 4, 7, 7}},
      // depthwise
      {"Conv2D", conv_attrs({2, 2}, {1, 1, 1, 1}, {1, 1}, 32), {{3, 32, 15, 15}, {32, 1, 3, 3}, {32}}, {3, 32, 8, 8}},
      {"Conv2D", conv_attrs({1, 1}, {0, 0, 0, 0}, {1, 1}, 1), {{1, 1, 28, 28}, {8, 1, 5, 5}, {8}}, {1, 8, 24, 24}},
  };
  for (Case c : cases) {
    c.constant_weights = constant;
    check_against_reference(c, kLinear);
  }
}

TEST_CASE("oneDNN MatMul and Dense match the reference", "[kernels][onednn]") {
  auto mm = [](bool ta, bool tb) { return Attrs{{"transpose_a", ops::attr_bool(ta)}, {"transpose_b", ops::attr_bool(tb)}}; };
  Attrs dense{{"transpose_w", ops::attr_bool(false)}};
  Attrs dense_t{{"transpose_w", ops::attr_bool(true)}};
  bool constant = GENERATE(false, true);
  INFO("constant weights: " << constant);
  std::vector<Case> cases = {
      {"MatMul", mm(false, false), {{5, 7}, {7, 3}}, {5, 3}},
      {"MatMul", mm(true, false), {{7, 5}, {7, 3}}, {5, 3}},
      {"MatMul", mm(false, true), {{5, 7}, {3, 7}}, {5, 3}},
      {"MatMul", mm(true, true), {{2, 7, 5}, {2, 3, 7}}, {2, 5, 3}},
      {"MatMul", mm(false, false), {{4, 1, 5, 6}, {3, 6, 2}}, {4, 3, 5, 2}},  // batch broadcasting
      {"MatMul", mm(false, false), {{6}, {2, 6, 3}}, {2, 3}},                 // 1-D a
      {"MatMul", mm(false, false), {{2, 5, 6}, {6}}, {2, 5}},                 // 1-D b
      {"Dense", dense, {{1, 784}, {784, 33}, {33}}, {1, 33}},
      {"Dense", dense, {{129, 17}, {17, 65}}, {129, 65}},
      {"Dense", dense_t, {{2, 3, 17}, {9, 17}, {9}}, {2, 3, 9}},
  };
  for (Case c : cases) {
    c.constant_weights = constant;
    check_against_reference(c, kLinear);
  }
}

TEST_CASE("oneDNN pooling matches the reference", "[kernels][onednn]") {
  Shape x{2, 3, 11, 10};
  std::vector<Case> cases = {
      {"MaxPool", pool_attrs({2, 2}, {2, 2}, {0, 0, 0, 0}, false), {x}, {2, 3, 5, 5}},
      {"MaxPool", pool_attrs({3, 3}, {2, 2}, {1, 1, 1, 1}, true), {x}, {2, 3, 6, 6}},
      {"MaxPool", pool_attrs({3, 2}, {1, 2}, {1, 0, 2, 1}, false), {x}, {2, 3, 12, 5}},
      {"AvgPool", pool_attrs({3, 3}, {2, 2}, {1, 1, 1, 1}, false), {x}, {2, 3, 6, 5}},
      {"AvgPool", pool_attrs({3, 3}, {2, 2}, {1, 1, 1, 1}, true), {x}, {2, 3, 6, 6}},
      {"AvgPool", pool_attrs({3, 3}, {2, 2}, {1, 1, 1, 1}, false, true), {x}, {2, 3, 6, 5}},
  };
  for (const Case& c : cases) check_against_reference(c, kElementwise);
  check_against_reference({"GlobalAvgPool", {}, {x}, {2, 3, 1, 1}}, kNormalising);
  check_against_reference({"GlobalAvgPool", {}, {{2, 5, 7}}, {2, 5, 1}}, kNormalising);
}

TEST_CASE("oneDNN normalisation and softmax match the reference", "[kernels][onednn]") {
  Attrs eps{{"epsilon", ops::attr_float(1e-5f)}};
  auto ln = [](int64_t axis) { return Attrs{{"epsilon", ops::attr_float(1e-5f)}, {"axis", ops::attr_int(axis)}}; };
  auto axis = [](int64_t a) { return Attrs{{"axis", ops::attr_int(a)}}; };
  Shape x{3, 5, 4, 7};
  // var (input 4) must be positive: all inputs are drawn from [0.1, 1).
  check_against_reference({"BatchNorm", eps, {x, {5}, {5}, {5}, {5}}, x, 0.1f}, kNormalising);
  check_against_reference({"BatchNorm", eps, {{6, 9}, {9}, {9}, {9}, {9}}, {6, 9}, 0.1f}, kNormalising);
  check_against_reference({"LayerNorm", ln(-1), {x, {7}, {7}}, x}, kNormalising);
  check_against_reference({"LayerNorm", ln(2), {x, {4, 7}}, x}, kNormalising);
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    check_against_reference({op, axis(-1), {{4, 1000}}, {4, 1000}}, kNormalising);
    check_against_reference({op, axis(1), {x}, x}, kNormalising);
  }
}

/// A Conv2D to differentiate: x, w, y and the attributes.
struct ConvGeometry {
  Shape x, w, y;
  Attrs attrs;
};

TEST_CASE("oneDNN Conv2DBackpropInput and Conv2DBackpropFilter match the reference", "[kernels][onednn]") {
  std::vector<ConvGeometry> convs = {
      {{1, 3, 8, 8}, {4, 3, 3, 3}, {1, 4, 6, 6}, conv_attrs({1, 1}, {0, 0, 0, 0}, {1, 1}, 1)},
      // odd sizes, stride 2 (the last row of x is in no window), asymmetric pads
      {{2, 5, 11, 9}, {7, 5, 3, 2}, {2, 7, 5, 11}, conv_attrs({2, 1}, {1, 2, 0, 1}, {1, 1}, 1)},
      {{1, 16, 13, 13}, {32, 16, 3, 3}, {1, 32, 13, 13}, conv_attrs({1, 1}, {2, 2, 2, 2}, {2, 2}, 1)},  // dilation 2
      // stride 2, dilation 2, asymmetric pads and groups 2 at once
      {{2, 4, 17, 15}, {6, 2, 3, 3}, {2, 6, 8, 7}, conv_attrs({2, 2}, {2, 1, 1, 2}, {2, 2}, 2)},
      {{1, 6, 7, 7}, {4, 3, 3, 3}, {1, 4, 7, 7}, conv_attrs({1, 1}, {1, 1, 1, 1}, {1, 1}, 2)},  // groups 2
      {{3, 32, 15, 15}, {32, 1, 3, 3}, {3, 32, 8, 8}, conv_attrs({2, 2}, {1, 1, 1, 1}, {1, 1}, 32)},  // depthwise
      {{2, 4, 9, 9}, {8, 1, 3, 3}, {2, 8, 7, 7}, conv_attrs({1, 1}, {0, 0, 0, 0}, {1, 1}, 4)},  // depthwise, 2 per channel
      {{4, 1, 28, 28}, {8, 1, 3, 3}, {4, 8, 28, 28}, conv_attrs({1, 1}, {1, 1, 1, 1}, {1, 1}, 1)},  // a first layer
  };
  bool constant = GENERATE(false, true);
  INFO("constant w: " << constant);
  for (const ConvGeometry& g : convs) {
    Attrs input = g.attrs;
    input["input_shape"] = ops::attr_ints(g.x);
    Case data{"Conv2DBackpropInput", input, {g.y, g.w}, g.x};
    data.constant_weights = constant;
    check_against_reference(data, kLinear);
    Attrs filter = g.attrs;
    filter["filter_shape"] = ops::attr_ints(g.w);
    check_against_reference({"Conv2DBackpropFilter", filter, {g.y, g.x}, g.w}, kLinear);
    filter["bias_gradient"] = ops::attr_bool(true);  // db from the same primitive
    Case with_bias{"Conv2DBackpropFilter", filter, {g.y, g.x}, g.w};
    with_bias.more_outputs = {{g.y[1]}};
    check_against_reference(with_bias, kLinear);
  }
}

TEST_CASE("oneDNN MaxPoolGrad and AvgPoolGrad match the reference", "[kernels][onednn]") {
  struct Pool {
    Shape x, y;
    Attrs attrs;
  };
  Shape x{2, 3, 11, 10};
  std::vector<Pool> pools = {
      {x, {2, 3, 5, 5}, pool_attrs({2, 2}, {2, 2}, {0, 0, 0, 0}, false)},
      {x, {2, 3, 6, 5}, pool_attrs({3, 3}, {2, 2}, {1, 1, 1, 1}, false)},  // overlapping windows, padding
      {x, {2, 3, 6, 6}, pool_attrs({3, 3}, {2, 2}, {1, 1, 1, 1}, true)},   // ceil_mode
      {x, {2, 3, 12, 5}, pool_attrs({3, 2}, {1, 2}, {1, 0, 2, 1}, false)},  // asymmetric
      {{2, 8, 28, 28}, {2, 8, 14, 14}, pool_attrs({2, 2}, {2, 2}, {0, 0, 0, 0}, false)},  // the CNN's
  };
  for (const Pool& p : pools) {
    // Ties: x in multiples of 1/4, then x all 0 (every window a tie).
    for (float step : {0.25f, 4.0f}) {
      check_against_reference({"MaxPoolGrad", p.attrs, {p.y, p.x}, p.x, -1.0f, false, {0.0f, step}}, kElementwise);
    }
    for (bool include_pad : {false, true}) {
      Attrs avg = p.attrs;
      avg["count_include_pad"] = ops::attr_bool(include_pad);
      avg["input_shape"] = ops::attr_ints(p.x);
      if (include_pad && avg["ceil_mode"].b()) continue;  // the reference's (see the fallback test)
      check_against_reference({"AvgPoolGrad", avg, {p.y}, p.x}, kElementwise);
    }
  }
}

TEST_CASE("oneDNN ReluGrad and GeluGrad match the reference", "[kernels][onednn]") {
  for (const Shape& x : {Shape{3, 17, 5}, Shape{128, 64, 14, 14}}) {
    // x in multiples of 1/4: often exactly 0, where the gradient is 0.
    check_against_reference({"ReluGrad", {}, {x, x}, x, -1.0f, false, {0.0f, 0.25f}}, kElementwise);
    for (const char* mode : {"none", "tanh"}) {
      check_against_reference({"GeluGrad", {{"approximate", ops::attr_string(mode)}}, {x, x}, x, -4.0f},
                              kElementwise);
    }
  }
}

TEST_CASE("oneDNN elementwise ops match the reference", "[kernels][onednn]") {
  Shape x{3, 17, 5};
  for (const char* op : {"Relu", "Tanh", "Sigmoid", "Exp", "Neg"}) {
    check_against_reference({op, {}, {x}, x, -4.0f}, kElementwise);
  }
  for (const char* op : {"Log", "Sqrt", "Rsqrt"}) check_against_reference({op, {}, {x}, x, 0.01f}, kElementwise);
  for (const char* mode : {"none", "tanh"}) {
    check_against_reference({"Gelu", {{"approximate", ops::attr_string(mode)}}, {x}, x, -4.0f}, kElementwise);
  }
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    check_against_reference({op, {}, {x, x}, x, 0.5f}, kElementwise);
    check_against_reference({op, {}, {x, {5}}, x, 0.5f}, kElementwise);
    check_against_reference({op, {}, {x, {3, 1, 5}}, x, 0.5f}, kElementwise);
    check_against_reference({op, {}, {x, {}}, x, 0.5f}, kElementwise);
  }
  // A broadcast first operand: the commutative ops swap their operands.
  check_against_reference({"Add", {}, {{17, 1}, x}, x}, kElementwise);
  check_against_reference({"Mul", {}, {{1}, x}, x}, kElementwise);
}

TEST_CASE("a spec oneDNN cannot serve gets the reference kernel and a reason", "[kernels][onednn]") {
  auto selected = [](const std::string& op, const Attrs& attrs, const std::vector<TensorType>& in,
                     const TensorType& out) {
    AttrMap map("n", op, attrs);
    std::vector<TensorType> outs{out};
    return select_kernel(KernelSpec{map, in, outs}, proto::OPTIMISED_KERNEL);
  };
  TensorType i32{DType::i32, {4}};
  auto integer = selected("Add", {}, {i32, i32}, i32);
  CHECK(integer.backend == "reference");
  CHECK_THAT(integer.fallback_reason, Catch::Contains("dtype i32"));

  TensorType x{DType::f32, {3, 4}};
  auto sub = selected("Sub", {}, {{DType::f32, {4}}, x}, x);
  CHECK(sub.backend == "reference");
  CHECK_THAT(sub.fallback_reason, Catch::Contains("second operand"));

  auto pool = selected("AvgPool", pool_attrs({3, 3}, {2, 2}, {1, 1, 1, 1}, true, true), {{DType::f32, {1, 1, 10, 10}}},
                       {DType::f32, {1, 1, 6, 6}});
  CHECK(pool.backend == "reference");
  CHECK_THAT(pool.fallback_reason, Catch::Contains("ceil_mode"));
  Attrs avg_grad = pool_attrs({3, 3}, {2, 2}, {1, 1, 1, 1}, true, true);
  avg_grad["input_shape"] = ops::attr_ints({1, 1, 10, 10});
  auto pool_grad = selected("AvgPoolGrad", avg_grad, {{DType::f32, {1, 1, 6, 6}}}, {DType::f32, {1, 1, 10, 10}});
  CHECK(pool_grad.backend == "reference");
  CHECK_THAT(pool_grad.fallback_reason, Catch::Contains("ceil_mode"));

  TensorType empty{DType::f32, {0, 4}};
  auto nothing = selected("Relu", {}, {empty}, empty);
  CHECK(nothing.backend == "reference");
  CHECK_THAT(nothing.fallback_reason, Catch::Contains("empty"));

  // No oneDNN kernel for the op at all: the reference, with no reason to report.
  auto erf = selected("Erf", {}, {x}, x);
  CHECK(erf.backend == "reference");
  CHECK(erf.fallback_reason.empty());

  // The fallback kernel still computes the right thing.
  Tensor a(i32), b(i32);
  for (int i = 0; i < 4; ++i) {
    a.data<int32_t>()[i] = i;
    b.data<int32_t>()[i] = 10 * i;
  }
  Tensor sum = run_kernel(*integer.kernel, {a, b}, i32)[0];
  CHECK(sum.data<int32_t>()[3] == 33);

  // An invalid spec is an error, as from the reference kernel.
  CHECK_THROWS_AS(selected("Relu", {}, {x}, {DType::f32, {3, 5}}), Error);
}

TEST_CASE("a oneDNN kernel runs concurrently from several threads", "[kernels][onednn]") {
  Attrs max_pool_grad = pool_attrs({3, 3}, {2, 2}, {1, 1, 1, 1}, false);
  Case c = GENERATE_COPY(
      Case{"Conv2D", conv_attrs({1, 1}, {1, 1, 1, 1}, {1, 1}, 1), {{2, 16, 14, 14}, {16, 16, 3, 3}, {16}}, {2, 16, 14, 14}},
      // a chain of two primitives: the forward pooling, then the backward
      Case{"MaxPoolGrad", max_pool_grad, {{2, 16, 7, 7}, {2, 16, 14, 14}}, {2, 16, 14, 14}});
  INFO(c.op);
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i) inputs.push_back(random_tensor(c.inputs[i], 5 + i));
  SelectedKernel k = select(c, inputs);
  REQUIRE(k.backend == "onednn");
  TensorType out{DType::f32, c.output};
  Tensor expected = run_kernel(*k.kernel, inputs, out)[0];
  std::vector<Tensor> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) results[t] = run_kernel(*k.kernel, inputs, out)[0];
    });
  }
  for (auto& t : threads) t.join();
  for (const Tensor& r : results) expect_close(r, expected, {0.0f, 0.0f});
}

const std::filesystem::path kExamples = std::filesystem::path(GRAPHC_SOURCE_DIR) / "examples";

std::shared_ptr<const Module> load_example(const std::string& file, const Shape& x_shape, int opt_level) {
  CompileOptions options;
  options.opt_level = opt_level;
  options.shapes["x"] = x_shape;
  std::ostringstream diag;
  return Module::from_proto(compile_model(kExamples / file, options, diag));
}

TEST_CASE("compile option -O0 and -O1 modules use only reference kernels; -O2 uses oneDNN", "[kernels][onednn]") {
  for (int level : {0, 1}) {
    auto module = load_example("cnn.pbtxt", {1, 1, 28, 28}, level);
    for (const LoadedStep& step : module->impl().steps) {
      INFO(step.node);
      CHECK(step.backend == "reference");
      CHECK(step.fallback_reason.empty());
    }
  }
  auto module = load_example("cnn.pbtxt", {1, 1, 28, 28}, 2);
  int onednn = 0;
  for (const LoadedStep& step : module->impl().steps) onednn += step.backend == "onednn";
  CHECK(onednn >= 5);  // convolutions, pools, dense, relus, softmax
}

TEST_CASE("the examples give the same outputs at -O0 and -O2", "[kernels][onednn][e2e]") {
  struct Example {
    std::string file;
    Shape x;
  };
  for (const Example& e : {Example{"mlp.pbtxt", {1, 784}}, Example{"mlp.pbtxt", {128, 784}},
                           Example{"cnn.pbtxt", {3, 1, 28, 28}}}) {
    INFO(e.file << " " << shape_to_string(e.x));
    Tensor x = random_tensor(e.x, 99, 0.0f, 1.0f);
    std::vector<Tensor> outputs;
    for (int level : {0, 2}) {
      Session session(load_example(e.file, e.x, level));
      session.set_input("x", x);
      session.run();
      outputs.push_back(session.output(session.module().outputs()[0].name).clone());
    }
    expect_close(outputs[1], outputs[0], kLinear);
  }
}

// -O1 (reference kernels) against -O2: the same graph rewrites, so only the
// kernels differ, and every backward step of -O2 is a oneDNN one.
TEST_CASE("a training step of the Fashion-MNIST CNN gives the same loss and weights at -O1 and -O2",
          "[kernels][onednn][e2e]") {
  CompileOptions options;
  options.train = true;
  options.shapes["x"] = {4, 1, 28, 28};
  options.shapes["labels"] = {4};
  Tensor x = random_tensor({4, 1, 28, 28}, 7, 0.0f, 1.0f);
  Tensor labels(DType::i32, {4});
  for (int i = 0; i < 4; ++i) labels.data<int32_t>()[i] = 3 * i;
  std::vector<std::unique_ptr<Session>> sessions;
  for (int level : {1, 2}) {
    options.opt_level = level;
    std::ostringstream diag;
    auto module = Module::from_proto(compile_model(kExamples / "fashion_mnist" / "cnn.pbtxt", options, diag));
    if (level == 2) {
      for (const LoadedStep& step : module->impl().steps) {
        if (step.op != "Conv2DBackpropInput" && step.op != "Conv2DBackpropFilter" && step.op != "MaxPoolGrad" &&
            step.op != "ReluGrad") {
          continue;
        }
        INFO(step.node << ": " << step.fallback_reason);
        CHECK(step.backend == "onednn");
      }
    }
    auto& session = sessions.emplace_back(std::make_unique<Session>(module));
    session->set_input("x", x);
    session->set_input("labels", labels);
    *session->input("learning_rate").data<float>() = 0.05f;
    session->run();
  }
  expect_close(sessions[1]->output("loss"), sessions[0]->output("loss"), kLinear);
  for (const std::string& name : sessions[0]->variables()->names()) {
    INFO(name);
    const Tensor* optimised = sessions[1]->variables()->find(name);
    REQUIRE(optimised != nullptr);
    expect_close(*optimised, *sessions[0]->variables()->find(name), kLinear);
  }
}

}  // namespace
}  // namespace graphc
