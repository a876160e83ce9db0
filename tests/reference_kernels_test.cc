// Tests of the reference kernels against values worked out by hand or from
// math identities (the numbers are in the test; nothing is computed by
// another implementation at test time), and of the load-time and run-time
// errors they report.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <numeric>
#include <regex>
#include <set>
#include <thread>

#include "compiler/ops/op_schema.h"
#include "graphc/error.h"
#include "runtime/core/half.h"
#include "runtime/core/kernel.h"
#include "test_graphs.h"

namespace graphc {
namespace {

using ops::attr_bool;
using ops::attr_dtype;
using ops::attr_float;
using ops::attr_int;
using ops::attr_ints;
using ops::attr_string;
using Attrs = std::map<std::string, proto::AttrValue>;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

std::unique_ptr<Kernel> create(const std::string& op, const Attrs& attrs, const std::vector<TensorType>& inputs,
                               const std::vector<TensorType>& outputs) {
  AttrMap map("n", op, attrs);
  return KernelRegistry::reference().create(KernelSpec{map, inputs, outputs});
}

/// Runs `kernel` on `inputs` into new tensors of the `outputs` types.
std::vector<Tensor> run_kernel(const Kernel& kernel, const std::vector<Tensor>& inputs,
                               const std::vector<TensorType>& outputs) {
  std::vector<Tensor> results(outputs.begin(), outputs.end());
  std::vector<const Tensor*> in;
  for (const Tensor& t : inputs) in.push_back(&t);
  std::vector<Tensor*> out;
  for (Tensor& t : results) out.push_back(&t);
  kernel.run(in, out);
  return results;
}

std::vector<TensorType> types_of(const std::vector<Tensor>& tensors) {
  std::vector<TensorType> types;
  for (const Tensor& t : tensors) types.push_back(t.type());
  return types;
}

/// Creates the kernel for `inputs`' types and `outputs`, runs it once and
/// returns the outputs.
std::vector<Tensor> run(const std::string& op, const Attrs& attrs, const std::vector<Tensor>& inputs,
                        const std::vector<TensorType>& outputs) {
  return run_kernel(*create(op, attrs, types_of(inputs), outputs), inputs, outputs);
}

/// As run(), for ops with one output.
Tensor run1(const std::string& op, const Attrs& attrs, const std::vector<Tensor>& inputs, const TensorType& output) {
  return run(op, attrs, inputs, {output}).at(0);
}

template <class T>
Tensor tensor(Shape shape, const std::vector<T>& values) {
  Tensor t(dtype_of<T>(), std::move(shape));
  REQUIRE(static_cast<size_t>(t.num_elements()) == values.size());
  std::copy(values.begin(), values.end(), t.data<T>());
  return t;
}

Tensor f32(Shape shape, const std::vector<float>& values) { return tensor<float>(std::move(shape), values); }

/// A tensor of 1, 2, 3, ... (f32).
Tensor iota(Shape shape, float first = 1.0f) {
  std::vector<float> values(static_cast<size_t>(num_elements(shape)));
  std::iota(values.begin(), values.end(), first);
  return f32(std::move(shape), values);
}

/// A 16-bit float tensor (f16 or bf16) from its bit patterns.
Tensor bits16(DType dtype, Shape shape, const std::vector<uint16_t>& bits) {
  Tensor t(dtype, std::move(shape));
  std::memcpy(t.raw_data(), bits.data(), bits.size() * 2);
  return t;
}

std::vector<uint16_t> bits16_of(const Tensor& t) {
  std::vector<uint16_t> bits(static_cast<size_t>(t.num_elements()));
  std::memcpy(bits.data(), t.raw_data(), bits.size() * 2);
  return bits;
}

template <class T>
std::vector<T> values_of(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.num_elements());
}

/// Checks shape and values; f32 values within `margin` (NaN matches NaN).
void check(const Tensor& t, const Shape& shape, const std::vector<float>& expected, double margin = 1e-6) {
  REQUIRE(t.shape() == shape);
  std::vector<float> actual = values_of<float>(t);
  REQUIRE(actual.size() == expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    INFO("element " << i);
    if (std::isnan(expected[i])) {
      CHECK(std::isnan(actual[i]));
    } else {
      CHECK(actual[i] == Approx(expected[i]).margin(margin).epsilon(1e-6));
    }
  }
}

template <class T>
void check_exact(const Tensor& t, const Shape& shape, const std::vector<T>& expected) {
  REQUIRE(t.shape() == shape);
  CHECK(values_of<T>(t) == expected);
}

/// Checks that fn() throws a graphc::Error naming node 'n' (op) whose
/// message contains `message_part`.
template <class Fn>
void check_error(const std::string& op, Fn fn, const std::string& message_part) {
  try {
    fn();
    FAIL("expected graphc::Error containing: " << message_part);
  } catch (const Error& e) {
    CHECK(e.where() == "node 'n' (" + op + ")");
    CHECK_THAT(e.message(), Catch::Contains(message_part));
  }
}

/// Checks that creating the kernel fails.
void check_load_error(const std::string& op, const Attrs& attrs, const std::vector<TensorType>& inputs,
                      const std::vector<TensorType>& outputs, const std::string& message_part) {
  check_error(
      op, [&] { create(op, attrs, inputs, outputs); }, message_part);
}

/// Checks that the kernel loads but running it fails.
void check_run_error(const std::string& op, const Attrs& attrs, const std::vector<Tensor>& inputs,
                     const TensorType& output, const std::string& message_part) {
  auto kernel = create(op, attrs, types_of(inputs), {output});
  check_error(
      op, [&] { run_kernel(*kernel, inputs, {output}); }, message_part);
}

TensorType f32_type(Shape shape) { return {DType::f32, std::move(shape)}; }

Attrs pool_attrs(std::vector<int64_t> kernel, std::vector<int64_t> strides, std::vector<int64_t> pads, bool ceil_mode,
                 bool count_include_pad = false) {
  return {{"kernel", attr_ints(kernel)},
          {"strides", attr_ints(strides)},
          {"pads", attr_ints(pads)},
          {"ceil_mode", attr_bool(ceil_mode)},
          {"count_include_pad", attr_bool(count_include_pad)}};
}

Attrs conv_attrs(std::vector<int64_t> strides = {1, 1}, std::vector<int64_t> pads = {0, 0, 0, 0},
                 std::vector<int64_t> dilations = {1, 1}, int64_t groups = 1) {
  return {{"strides", attr_ints(strides)},
          {"pads", attr_ints(pads)},
          {"dilations", attr_ints(dilations)},
          {"groups", attr_int(groups)}};
}

Attrs reduce_attrs(std::vector<int64_t> axes, bool keepdims) {
  return {{"axes", attr_ints(axes)}, {"keepdims", attr_bool(keepdims)}};
}

Attrs slice_attrs(std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> axes = {},
                  std::vector<int64_t> steps = {}) {
  return {
      {"starts", attr_ints(starts)}, {"ends", attr_ints(ends)}, {"axes", attr_ints(axes)}, {"steps", attr_ints(steps)}};
}

Attrs pad_attrs(std::vector<int64_t> pads, const std::string& mode, float value = 0.0f) {
  return {{"pads", attr_ints(pads)}, {"mode", attr_string(mode)}, {"value", attr_float(value)}};
}

}  // namespace

TEST_CASE("every op in docs/ops.md except the graph sources has a reference kernel", "[kernels]") {
  std::ifstream doc(std::string(GRAPHC_SOURCE_DIR) + "/docs/ops.md");
  REQUIRE(doc);
  // Table rows start with "| OpName" or "| Op1, Op2, ...": capitalised names.
  std::regex row(R"(^\| ([A-Z][A-Za-z0-9]*(, [A-Z][A-Za-z0-9]*)*) \|)");
  std::set<std::string> documented;
  for (std::string line; std::getline(doc, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    std::string names = m[1];
    for (size_t start = 0; start < names.size();) {
      size_t end = names.find(", ", start);
      documented.insert(names.substr(start, end - start));
      start = end == std::string::npos ? names.size() : end + 2;
    }
  }
  for (const char* source : {"Placeholder", "Const", "Variable"}) CHECK(documented.erase(source) == 1);
  CHECK(documented.size() >= 40);  // the parse found the tables
  for (const std::string& op : documented) {
    INFO("op " << op);
    CHECK(KernelRegistry::reference().find(op) != nullptr);
  }
}

TEST_CASE("Identity copies any dtype", "[kernels]") {
  Tensor x = tensor<int64_t>({3}, {-1, std::numeric_limits<int64_t>::max(), 7});
  check_exact<int64_t>(run1("Identity", {}, {x}, x.type()), {3}, {-1, std::numeric_limits<int64_t>::max(), 7});
  Tensor h = bits16(DType::f16, {2}, {0x3C00, 0xFC00});
  CHECK(bits16_of(run1("Identity", {}, {h}, h.type())) == std::vector<uint16_t>{0x3C00, 0xFC00});
  check_load_error("Identity", {}, {f32_type({2})}, {f32_type({3})}, "expected f32[2]");
  check_load_error("Identity", {}, {f32_type({2}), f32_type({2})}, {f32_type({2})}, "expected 1 inputs, found 2");
}

TEST_CASE("binary ops broadcast like NumPy", "[kernels]") {
  Tensor a = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  SECTION("row vector") {
    check(run1("Add", {}, {a, f32({3}, {10, 20, 30})}, f32_type({2, 3})), {2, 3}, {11, 22, 33, 14, 25, 36});
  }
  SECTION("column against row: both operands broadcast") {
    check(run1("Sub", {}, {f32({2, 1}, {10, 20}), f32({1, 3}, {1, 2, 3})}, f32_type({2, 3})), {2, 3},
          {9, 8, 7, 19, 18, 17});
  }
  SECTION("scalar") { check(run1("Mul", {}, {f32({}, {2}), a}, f32_type({2, 3})), {2, 3}, {2, 4, 6, 8, 10, 12}); }
  SECTION("rank 3 against rank 2 with a middle 1") {
    check(run1("Div", {}, {iota({2, 1, 2}), f32({3, 1}, {1, 2, 4})}, f32_type({2, 3, 2})), {2, 3, 2},
          {1, 2, 0.5, 1, 0.25, 0.5, 3, 4, 1.5, 2, 0.75, 1});
  }
  SECTION("Pow") {
    check(run1("Pow", {}, {f32({3}, {2, 9, 4}), f32({3}, {3, 0.5, -1})}, f32_type({3})), {3}, {8, 3, 0.25});
  }
  SECTION("Maximum and Minimum propagate NaN") {
    Tensor x = f32({4}, {1, kNaN, 3, -kInf});
    Tensor y = f32({4}, {2, 0, kNaN, -5});
    check(run1("Maximum", {}, {x, y}, f32_type({4})), {4}, {2, kNaN, kNaN, -5});
    check(run1("Minimum", {}, {x, y}, f32_type({4})), {4}, {1, kNaN, kNaN, -kInf});
  }
}

TEST_CASE("integer binary ops truncate, wrap and reject division by zero", "[kernels]") {
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  Tensor a = tensor<int32_t>({5}, {7, -7, 7, -7, kMin});
  Tensor b = tensor<int32_t>({5}, {2, 2, -2, -2, -1});
  TensorType out{DType::i32, {5}};
  check_exact<int32_t>(run1("Div", {}, {a, b}, out), {5}, {3, -3, -3, 3, kMin});
  check_exact<int32_t>(
      run1("Add", {}, {tensor<int32_t>({2}, {kMax, kMin}), tensor<int32_t>({1}, {1})}, {DType::i32, {2}}), {2},
      {kMin, kMin + 1});
  check_exact<int64_t>(
      run1("Mul", {}, {tensor<int64_t>({2}, {int64_t{1} << 62, -3}), tensor<int64_t>({}, {4})}, {DType::i64, {2}}), {2},
      {0, -12});
  check_exact<int64_t>(
      run1("Maximum", {}, {tensor<int64_t>({2}, {5, -5}), tensor<int64_t>({2}, {-6, 6})}, {DType::i64, {2}}), {2},
      {5, 6});

  check_run_error("Div", {}, {tensor<int32_t>({2}, {4, 9}), tensor<int32_t>({2}, {2, 0})}, {DType::i32, {2}},
                  "integer division by zero (9 / 0)");
  // Float division by zero is IEEE: inf.
  check(run1("Div", {}, {f32({2}, {1, -1}), f32({}, {0})}, f32_type({2})), {2}, {kInf, -kInf});
}

TEST_CASE("binary op factories check their types", "[kernels]") {
  check_load_error("Add", {}, {f32_type({2}), {DType::i32, {2}}}, {f32_type({2})}, "input 1 has dtype i32");
  check_load_error("Add", {}, {f32_type({2, 3}), f32_type({4})}, {f32_type({2, 3})}, "do not broadcast");
  check_load_error("Add", {}, {f32_type({2, 3}), f32_type({3})}, {f32_type({3, 2})}, "expected f32[2,3]");
  check_load_error("Mul", {}, {{DType::f16, {2}}, {DType::f16, {2}}}, {{DType::f16, {2}}}, "dtype f16");
  check_load_error("Pow", {}, {{DType::i32, {2}}, {DType::i32, {2}}}, {{DType::i32, {2}}}, "expected f32");
  check_load_error("Sub", {}, {f32_type({2})}, {f32_type({2})}, "expected 2 inputs, found 1");
}

TEST_CASE("unary math ops", "[kernels]") {
  auto unary = [](const std::string& op, const std::vector<float>& x) {
    auto n = static_cast<int64_t>(x.size());
    return run1(op, {}, {f32({n}, x)}, f32_type({n}));
  };
  const float e = std::exp(1.0f);
  check(unary("Exp", {0, 1, -kInf}), {3}, {1, e, 0});
  check(unary("Log", {1, e, 0, -1}), {4}, {0, 1, -kInf, kNaN});
  check(unary("Sqrt", {4, 0, 2.25}), {3}, {2, 0, 1.5});
  check(unary("Rsqrt", {4, 0.25, 0}), {3}, {0.5, 2, kInf});
  check(unary("Tanh", {0, 1, -1, 50}), {4}, {0, 0.7615941559557649f, -0.7615941559557649f, 1});
  check(unary("Erf", {0, 1, -1}), {3}, {0, 0.8427007929497149f, -0.8427007929497149f});
  check(unary("Relu", {-1, 0, 2, kNaN}), {4}, {0, 0, 2, kNaN});
  check_exact<int64_t>(
      run1("Neg", {}, {tensor<int64_t>({3}, {-3, 0, std::numeric_limits<int64_t>::min()})}, {DType::i64, {3}}), {3},
      {3, 0, std::numeric_limits<int64_t>::min()});
  check(unary("Neg", {1, -2}), {2}, {-1, 2});
}

TEST_CASE("Sigmoid is stable for large |x| and symmetric", "[kernels]") {
  Tensor y = run1("Sigmoid", {}, {f32({6}, {0, 2, -2, 100, -100, -1000})}, f32_type({6}));
  // 1/(1+e^-2) = 0.8807970779778823; e^-100/(1+e^-100) = 3.720075976020836e-44.
  check(y, {6}, {0.5, 0.8807970779778823f, 1 - 0.8807970779778823f, 1, 3.720075976020836e-44f, 0}, 1e-7);
  std::vector<float> v = values_of<float>(y);
  CHECK(v[4] > 0.0f);
  CHECK(v[1] + v[2] == Approx(1.0));
}

TEST_CASE("Gelu, exact and tanh approximation", "[kernels]") {
  Tensor x = f32({4}, {0, 1, -1, 2});
  // x/2 (1 + erf(x/sqrt 2)); x/2 (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))).
  check(run1("Gelu", {{"approximate", attr_string("none")}}, {x}, f32_type({4})), {4},
        {0, 0.8413447460685429f, -0.15865525393145707f, 1.9544997361036416f});
  check(run1("Gelu", {{"approximate", attr_string("tanh")}}, {x}, f32_type({4})), {4},
        {0, 0.8411919906082768f, -0.15880800939172324f, 1.954597694087775f});
  check_load_error("Gelu", {{"approximate", attr_string("erf")}}, {f32_type({4})}, {f32_type({4})},
                   "expected \"none\" or \"tanh\"");
  check_load_error("Exp", {}, {{DType::i32, {4}}}, {{DType::i32, {4}}}, "input 0 has dtype i32, expected f32");
}

TEST_CASE("Cast between integer and float types", "[kernels]") {
  auto cast = [](const Tensor& x, DType to) { return run1("Cast", {{"to", attr_dtype(to)}}, {x}, {to, x.shape()}); };
  check_exact<int32_t>(cast(f32({7}, {1.9f, -1.9f, 0.5f, -0.5f, 3e9f, -3e9f, kNaN}), DType::i32), {7},
                       {1, -1, 0, 0, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min(), 0});
  check_exact<int8_t>(cast(tensor<int32_t>({3}, {300, -129, 5}), DType::i8), {3}, {44, 127, 5});
  check_exact<int32_t>(cast(tensor<int64_t>({2}, {(int64_t{1} << 32) + 5, -1}), DType::i32), {2}, {5, -1});
  check_exact<bool>(cast(f32({4}, {0.0f, -0.0f, 2.0f, kNaN}), DType::boolean), {4}, {false, false, true, true});
  check(cast(tensor<bool>({2}, {true, false}), DType::f32), {2}, {1, 0});
  check_exact<int64_t>(cast(tensor<int8_t>({2}, {-128, 127}), DType::i64), {2}, {-128, 127});
  // 2^24 + 1 is not a float: it rounds to even, 2^24.
  check(cast(tensor<int32_t>({1}, {(1 << 24) + 1}), DType::f32), {1}, {16777216.0f}, 0);
}

TEST_CASE("Cast to f16 and bf16 rounds to nearest even", "[kernels]") {
  auto to16 = [](DType dtype, const std::vector<float>& x) {
    auto n = static_cast<int64_t>(x.size());
    return bits16_of(run1("Cast", {{"to", attr_dtype(dtype)}}, {f32({n}, x)}, {dtype, {n}}));
  };
  const float ulp = std::ldexp(1.0f, -10);  // f16 spacing at 1
  // 1; 65504 (max); 65520 (halfway past max: to inf); ties 1 + ulp/2 (to 1,
  // even) and 1 + 3ulp/2 (to 1 + 2ulp, even); 2^-24 (min subnormal); 2^-25
  // (tie with 0: to 0); 1.5 · 2^-25 (to 2^-24); -0; -inf; NaN.
  CHECK(to16(DType::f16, {1.0f, 65504.0f, 65520.0f, 1 + ulp / 2, 1 + 3 * ulp / 2, std::ldexp(1.0f, -24),
                          std::ldexp(1.0f, -25), 1.5f * std::ldexp(1.0f, -25), -0.0f, -kInf, kNaN}) ==
        std::vector<uint16_t>{0x3C00, 0x7BFF, 0x7C00, 0x3C00, 0x3C02, 0x0001, 0x0000, 0x0001, 0x8000, 0xFC00, 0x7E00});
  const float bulp = std::ldexp(1.0f, -7);  // bf16 spacing at 1
  // 1; ties 1 + bulp/2 (to 1) and 1 + 3bulp/2 (to 1 + 2bulp); pi = 0x40490FDB
  // (drops 0x0FDB: down); max float (rounds to inf).
  CHECK(to16(DType::bf16, {1.0f, 1 + bulp / 2, 1 + 3 * bulp / 2, 3.14159274f, std::numeric_limits<float>::max()}) ==
        std::vector<uint16_t>{0x3F80, 0x3F80, 0x3F82, 0x4049, 0x7F80});

  // Integers round once: 2^30 + 2^22 + 1 is just above the bf16 tie between
  // 2^30 (0x4E80) and 2^30 + 2^23 (0x4E81); rounding through float first
  // would land on the tie and pick 0x4E80. -2049 rounds to -2048 (0xC500).
  Tensor ints = tensor<int32_t>({3}, {(1 << 30) + (1 << 22) + 1, (1 << 30) + (1 << 22), -2049});
  CHECK(bits16_of(run1("Cast", {{"to", attr_dtype(DType::bf16)}}, {ints}, {DType::bf16, {3}})) ==
        std::vector<uint16_t>{0x4E81, 0x4E80, 0xC500});
  // f16: 2049 ties between 2048 (0x6800) and 2050: to even, 2048.
  CHECK(bits16_of(run1("Cast", {{"to", attr_dtype(DType::f16)}}, {ints}, {DType::f16, {3}})) ==
        std::vector<uint16_t>{0x7C00, 0x7C00, 0xE800});
}

TEST_CASE("Cast from f16 and bf16 is exact and round trips", "[kernels]") {
  Tensor h = bits16(DType::f16, {6}, {0x3C00, 0x3555, 0x0001, 0x7BFF, 0xFC00, 0x7E00});
  Tensor x = run1("Cast", {{"to", attr_dtype(DType::f32)}}, {h}, f32_type({6}));
  // 0x3555 = (1 + 0x155/1024) · 2^-2 = 0.333251953125.
  check(x, {6}, {1.0f, 0.333251953125f, std::ldexp(1.0f, -24), 65504.0f, -kInf, kNaN}, 0);
  Tensor back = run1("Cast", {{"to", attr_dtype(DType::f16)}}, {x}, {DType::f16, {6}});
  CHECK(bits16_of(back) == bits16_of(h));

  Tensor b = bits16(DType::bf16, {2}, {0x4049, 0xC2F7});
  // 0x4049 = 3.140625; 0xC2F7 = -(1 + 0x77/128) · 2^6 = -123.5.
  check(run1("Cast", {{"to", attr_dtype(DType::f32)}}, {b}, f32_type({2})), {2}, {3.140625f, -123.5f}, 0);
  check_exact<int32_t>(run1("Cast", {{"to", attr_dtype(DType::i32)}}, {b}, {DType::i32, {2}}), {2}, {3, -123});
  check_load_error("Cast", {{"to", attr_dtype(DType::i32)}}, {f32_type({2})}, {f32_type({2})}, "expected i32[2]");
}

TEST_CASE("MatMul: 2-D, transposes, vectors and batch broadcasting", "[kernels]") {
  Tensor a = iota({2, 3});                        // [[1,2,3],[4,5,6]]
  Tensor b = f32({3, 2}, {7, 8, 9, 10, 11, 12});  // [[7,8],[9,10],[11,12]]
  Attrs plain{{"transpose_a", attr_bool(false)}, {"transpose_b", attr_bool(false)}};
  check(run1("MatMul", plain, {a, b}, f32_type({2, 2})), {2, 2}, {58, 64, 139, 154});

  SECTION("transposes read the stored matrices transposed") {
    Tensor at = f32({3, 2}, {1, 4, 2, 5, 3, 6});
    Tensor bt = f32({2, 3}, {7, 9, 11, 8, 10, 12});
    Attrs both{{"transpose_a", attr_bool(true)}, {"transpose_b", attr_bool(true)}};
    check(run1("MatMul", both, {at, bt}, f32_type({2, 2})), {2, 2}, {58, 64, 139, 154});
  }
  SECTION("1-D operands drop their added dim") {
    check(run1("MatMul", plain, {f32({3}, {1, 0, -1}), b}, f32_type({2})), {2}, {-4, -4});
    check(run1("MatMul", plain, {a, f32({3}, {1, 1, 1})}, f32_type({2})), {2}, {6, 15});
    check(run1("MatMul", plain, {f32({3}, {1, 2, 3}), f32({3}, {4, 5, 6})}, f32_type({})), {}, {32});
  }
  SECTION("batch dims broadcast") {
    // a [2,1,2,3] = 1..12, b [3,3,2] = 1..6, -7..-12, 13..18: out [2,3,2,2].
    Tensor ba = iota({2, 1, 2, 3});
    Tensor bb = f32({3, 3, 2}, {1, 2, 3, 4, 5, 6, -7, -8, -9, -10, -11, -12, 13, 14, 15, 16, 17, 18});
    check(run1("MatMul", plain, {ba, bb}, f32_type({2, 3, 2, 2})), {2, 3, 2, 2},
          {22, 28,  49,  64,  -58,  -64,  -139, -154, 94,  100, 229, 244,
           76, 100, 103, 136, -220, -244, -301, -334, 364, 388, 499, 532});
  }
  check_load_error("MatMul", plain, {f32_type({2, 3}), f32_type({2, 3})}, {f32_type({2, 3})}, "cannot multiply");
  check_load_error("MatMul", plain, {f32_type({}), f32_type({2})}, {f32_type({2})}, "rank >= 1");
  check_load_error("MatMul", plain, {f32_type({2, 3}), f32_type({3, 2})}, {f32_type({2, 3})}, "expected f32[2,2]");
}

TEST_CASE("Dense: x·w + b over leading dims", "[kernels]") {
  Tensor x = iota({2, 1, 3});
  Tensor b = f32({2}, {0.5, -1});
  Tensor w = f32({3, 2}, {1, 0, 0, 1, 1, -1});  // columns: x0 + x2, x1 - x2
  check(run1("Dense", {{"transpose_w", attr_bool(false)}}, {x, w, b}, f32_type({2, 1, 2})), {2, 1, 2},
        {4.5, -2, 10.5, -2});
  Tensor wt = f32({2, 3}, {1, 0, 1, 0, 1, -1});
  check(run1("Dense", {{"transpose_w", attr_bool(true)}}, {x, wt}, f32_type({2, 1, 2})), {2, 1, 2}, {4, -1, 10, -1});
  check_load_error("Dense", {{"transpose_w", attr_bool(false)}}, {f32_type({2, 4}), f32_type({3, 2})},
                   {f32_type({2, 2})}, "does not match x");
  check_load_error("Dense", {{"transpose_w", attr_bool(false)}}, {f32_type({2, 3}), f32_type({3, 2}), f32_type({3})},
                   {f32_type({2, 2})}, "[M] for the bias");
}

TEST_CASE("Conv2D on a known 3x3 input", "[kernels]") {
  Tensor x = iota({1, 1, 3, 3});  // 1 2 3 / 4 5 6 / 7 8 9
  SECTION("3x3 ones with pads 1: neighbourhood sums") {
    Tensor w = f32({1, 1, 3, 3}, std::vector<float>(9, 1.0f));
    check(run1("Conv2D", conv_attrs({1, 1}, {1, 1, 1, 1}), {x, w}, f32_type({1, 1, 3, 3})), {1, 1, 3, 3},
          {12, 21, 16, 27, 45, 33, 24, 39, 28});
    check(run1("Conv2D", conv_attrs({2, 2}, {1, 1, 1, 1}), {x, w}, f32_type({1, 1, 2, 2})), {1, 1, 2, 2},
          {12, 16, 24, 28});
  }
  SECTION("cross-correlation (not flipped) with bias") {
    Tensor w = f32({1, 1, 2, 2}, {1, 0, 0, -1});  // x[i][j] - x[i+1][j+1] = -4
    check(run1("Conv2D", conv_attrs(), {x, w, f32({1}, {10})}, f32_type({1, 1, 2, 2})), {1, 1, 2, 2}, {6, 6, 6, 6});
    Tensor corner = f32({1, 1, 2, 2}, {1, 0, 0, 0});
    check(run1("Conv2D", conv_attrs(), {x, corner}, f32_type({1, 1, 2, 2})), {1, 1, 2, 2}, {1, 2, 4, 5});
  }
  SECTION("dilation 2 reaches the corners") {
    Tensor w = f32({1, 1, 2, 2}, {1, 2, 3, 4});  // 1·1 + 2·3 + 3·7 + 4·9
    check(run1("Conv2D", conv_attrs({1, 1}, {0, 0, 0, 0}, {2, 2}), {x, w}, f32_type({1, 1, 1, 1})), {1, 1, 1, 1}, {64});
  }
  SECTION("groups and channels") {
    Tensor x2 = iota({1, 2, 2, 2});  // channel 0: 1..4, channel 1: 5..8
    check(run1("Conv2D", conv_attrs({1, 1}, {0, 0, 0, 0}, {1, 1}, 2), {x2, f32({2, 1, 1, 1}, {2, 3})},
               f32_type({1, 2, 2, 2})),
          {1, 2, 2, 2}, {2, 4, 6, 8, 15, 18, 21, 24});
    check(run1("Conv2D", conv_attrs(), {x2, f32({1, 2, 1, 1}, {1, 1})}, f32_type({1, 1, 2, 2})), {1, 1, 2, 2},
          {6, 8, 10, 12});
  }
  check_load_error("Conv2D", conv_attrs({1, 1}, {0, 0, 0, 0}, {1, 1}, 2),
                   {f32_type({1, 3, 3, 3}), f32_type({2, 1, 1, 1})}, {f32_type({1, 2, 3, 3})},
                   "groups = 2 does not fit");
  check_load_error("Conv2D", conv_attrs(), {f32_type({1, 1, 2, 2}), f32_type({1, 1, 3, 3})}, {f32_type({1, 1, 1, 1})},
                   "does not fit input");
  check_load_error("Conv2D", conv_attrs({0, 1}), {f32_type({1, 1, 3, 3}), f32_type({1, 1, 1, 1})},
                   {f32_type({1, 1, 3, 3})}, "'strides' entries must be >= 1");
  check_load_error("Conv2D", conv_attrs(), {f32_type({1, 1, 3, 3}), f32_type({1, 1, 2, 2})}, {f32_type({1, 1, 3, 3})},
                   "expected f32[1,1,2,2]");
}

TEST_CASE("MaxPool: strides, pads that never win, ceil_mode", "[kernels]") {
  check(run1("MaxPool", pool_attrs({2, 2}, {2, 2}, {0, 0, 0, 0}, false), {iota({1, 1, 4, 4})}, f32_type({1, 1, 2, 2})),
        {1, 1, 2, 2}, {6, 8, 14, 16});
  // Negative inputs: zero padding would win if it took part.
  check(run1("MaxPool", pool_attrs({2, 2}, {2, 2}, {1, 1, 1, 1}, false), {iota({1, 1, 3, 3}, -9)},
             f32_type({1, 1, 2, 2})),
        {1, 1, 2, 2}, {-9, -7, -3, -1});
  // 3x3, kernel 2, stride 2: floor gives 1 window, ceil a second one that
  // hangs over the end.
  check(run1("MaxPool", pool_attrs({2, 2}, {2, 2}, {0, 0, 0, 0}, true), {iota({1, 1, 3, 3})}, f32_type({1, 1, 2, 2})),
        {1, 1, 2, 2}, {5, 6, 8, 9});
  check_load_error("MaxPool", pool_attrs({2, 2}, {2, 2}, {0, 0, 0, 0}, false), {f32_type({1, 1, 3, 3})},
                   {f32_type({1, 1, 2, 2})}, "expected f32[1,1,1,1]");
  check_load_error("MaxPool", pool_attrs({2, 2}, {1, 1}, {2, 0, 0, 0}, false), {f32_type({1, 1, 3, 3})},
                   {f32_type({1, 1, 4, 2})}, "must be smaller than the kernel");
}

TEST_CASE("AvgPool: count_include_pad and ceil_mode", "[kernels]") {
  Tensor x = iota({1, 1, 3, 3});
  // Windows of 2 at stride 2 with pads 1: {1}, {2,3}, {4,7}, {5,6,8,9}.
  check(run1("AvgPool", pool_attrs({2, 2}, {2, 2}, {1, 1, 1, 1}, false, false), {x}, f32_type({1, 1, 2, 2})),
        {1, 1, 2, 2}, {1, 2.5, 5.5, 7});
  check(run1("AvgPool", pool_attrs({2, 2}, {2, 2}, {1, 1, 1, 1}, false, true), {x}, f32_type({1, 1, 2, 2})),
        {1, 1, 2, 2}, {0.25, 1.25, 2.75, 7});
  // Row [1,2,3,4], kernel 3, stride 2, pads 1, ceil: windows cover columns
  // -1..1, 1..3 and 3..5; the last one's column 5 lies past the padding and
  // never counts, so with count_include_pad it divides by 2.
  Tensor row = iota({1, 1, 1, 4});
  check(run1("AvgPool", pool_attrs({1, 3}, {1, 2}, {0, 1, 0, 1}, true, false), {row}, f32_type({1, 1, 1, 3})),
        {1, 1, 1, 3}, {1.5, 3, 4});
  check(run1("AvgPool", pool_attrs({1, 3}, {1, 2}, {0, 1, 0, 1}, true, true), {row}, f32_type({1, 1, 1, 3})),
        {1, 1, 1, 3}, {1, 3, 2});
}

TEST_CASE("GlobalAvgPool averages each plane", "[kernels]") {
  check(run1("GlobalAvgPool", {}, {iota({1, 2, 2, 2})}, f32_type({1, 2, 1, 1})), {1, 2, 1, 1}, {2.5, 6.5});
  check(run1("GlobalAvgPool", {}, {iota({2, 1, 3})}, f32_type({2, 1, 1})), {2, 1, 1}, {2, 5});
  check_load_error("GlobalAvgPool", {}, {f32_type({2, 3})}, {f32_type({2, 3})}, "rank >= 3");
}

TEST_CASE("BatchNorm in inference form", "[kernels]") {
  Tensor x = f32({1, 2, 1, 2}, {1, 2, 3, 4});
  Tensor scale = f32({2}, {1, 2}), bias = f32({2}, {0, 1}), mean = f32({2}, {1, 3}), var = f32({2}, {4, 1});
  // Channel 0: (x - 1)/2; channel 1: (x - 3)·2 + 1.
  check(run1("BatchNorm", {{"epsilon", attr_float(0.0f)}}, {x, scale, bias, mean, var}, f32_type({1, 2, 1, 2})),
        {1, 2, 1, 2}, {0, 0.5, 1, 3});
  check_load_error("BatchNorm", {{"epsilon", attr_float(0.0f)}},
                   {f32_type({1, 2, 1, 2}), f32_type({3}), f32_type({2}), f32_type({2}), f32_type({2})},
                   {f32_type({1, 2, 1, 2})}, "[C] for scale");
  check_load_error("BatchNorm", {{"epsilon", attr_float(-1.0f)}},
                   {f32_type({1, 2}), f32_type({2}), f32_type({2}), f32_type({2}), f32_type({2})}, {f32_type({1, 2})},
                   "'epsilon' must be >= 0");
}

TEST_CASE("LayerNorm gives mean 0 and variance 1 per row", "[kernels]") {
  Attrs last{{"axis", attr_int(-1)}, {"epsilon", attr_float(0.0f)}};
  // Rows 1,2,3,4 and 2,4,6,8: mean 2.5 (5), variance 1.25 (5): ±1.5/√1.25, ±0.5/√1.25.
  Tensor x = f32({2, 4}, {1, 2, 3, 4, 2, 4, 6, 8});
  const float a = 1.3416407864998738f, b = 0.4472135954999579f;
  check(run1("LayerNorm", last, {x, f32({4}, {1, 1, 1, 1})}, f32_type({2, 4})), {2, 4}, {-a, -b, b, a, -a, -b, b, a});
  check(run1("LayerNorm", last, {x, f32({4}, {1, 2, 3, 4}), f32({4}, {1, 1, 1, 1})}, f32_type({2, 4})), {2, 4},
        {1 - a, 1 - 2 * b, 1 + 3 * b, 1 + 4 * a, 1 - a, 1 - 2 * b, 1 + 3 * b, 1 + 4 * a});

  SECTION("over the last two dims of random data") {
    std::vector<float> values;
    for (int i = 0; i < 24; ++i) values.push_back(std::sin(1.7f * static_cast<float>(i)) * 10 + 3);
    Tensor y = run1("LayerNorm", {{"axis", attr_int(1)}, {"epsilon", attr_float(0.0f)}},
                    {f32({2, 3, 4}, values), f32({3, 4}, std::vector<float>(12, 1.0f))}, f32_type({2, 3, 4}));
    std::vector<float> v = values_of<float>(y);
    for (int row = 0; row < 2; ++row) {
      double sum = 0, squares = 0;
      for (int i = 0; i < 12; ++i) sum += v[row * 12 + i];
      for (int i = 0; i < 12; ++i) squares += v[row * 12 + i] * v[row * 12 + i];
      CHECK(sum / 12 == Approx(0).margin(1e-6));
      CHECK(squares / 12 == Approx(1).epsilon(1e-5));
    }
  }
  check_load_error("LayerNorm", last, {f32_type({2, 4}), f32_type({2, 4})}, {f32_type({2, 4})},
                   "x.shape[axis:] for scale");
}

TEST_CASE("Softmax and LogSoftmax subtract the max", "[kernels]") {
  Attrs last{{"axis", attr_int(-1)}};
  // exp(x)/Σexp for 1,2,3, and the same for 1000,1001,1002 (no overflow).
  const std::vector<float> p{0.09003057317038046f, 0.24472847105479767f, 0.6652409557748219f};
  Tensor y = run1("Softmax", last, {f32({2, 3}, {1, 2, 3, 1000, 1001, 1002})}, f32_type({2, 3}));
  check(y, {2, 3}, {p[0], p[1], p[2], p[0], p[1], p[2]});
  check(run1("LogSoftmax", last, {f32({2, 3}, {1, 2, 3, 1000, 1001, 1002})}, f32_type({2, 3})), {2, 3},
        {-2.40760596444438f, -1.4076059644443801f, -0.4076059644443803f, -2.40760596444438f, -1.4076059644443801f,
         -0.4076059644443803f},
        1e-5);
  // Along axis 0 of [[1,2],[3,4]]: each column is softmax(x, x + 2).
  const float q = 0.11920292202211755f;
  check(run1("Softmax", {{"axis", attr_int(0)}}, {f32({2, 2}, {1, 2, 3, 4})}, f32_type({2, 2})), {2, 2},
        {q, q, 1 - q, 1 - q});

  SECTION("rows sum to 1 along a middle axis") {
    std::vector<float> values;
    for (int i = 0; i < 24; ++i) values.push_back(std::cos(2.3f * static_cast<float>(i)) * 20);
    std::vector<float> v =
        values_of<float>(run1("Softmax", {{"axis", attr_int(1)}}, {f32({2, 3, 4}, values)}, f32_type({2, 3, 4})));
    for (int outer = 0; outer < 2; ++outer) {
      for (int inner = 0; inner < 4; ++inner) {
        double sum = 0;
        for (int j = 0; j < 3; ++j) sum += v[outer * 12 + j * 4 + inner];
        CHECK(sum == Approx(1.0).epsilon(1e-6));
      }
    }
  }
  check_load_error("Softmax", {{"axis", attr_int(2)}}, {f32_type({2, 3})}, {f32_type({2, 3})},
                   "'axis' = 2 is out of range for rank 2");
}

TEST_CASE("reductions over chosen axes, with and without keepdims", "[kernels]") {
  Tensor x = iota({2, 3});  // [[1,2,3],[4,5,6]]
  check(run1("ReduceSum", reduce_attrs({}, true), {x}, f32_type({1, 1})), {1, 1}, {21});
  check(run1("ReduceSum", reduce_attrs({1}, false), {x}, f32_type({2})), {2}, {6, 15});
  check(run1("ReduceSum", reduce_attrs({-2}, true), {x}, f32_type({1, 3})), {1, 3}, {5, 7, 9});
  check(run1("ReduceMean", reduce_attrs({0}, false), {x}, f32_type({3})), {3}, {2.5, 3.5, 4.5});
  check(run1("ReduceMax", reduce_attrs({1}, false), {x}, f32_type({2})), {2}, {3, 6});
  // [2,2,2] = 1..8 over axes 0 and 2: 1+2+5+6, 3+4+7+8.
  check(run1("ReduceSum", reduce_attrs({2, 0}, true), {iota({2, 2, 2})}, f32_type({1, 2, 1})), {1, 2, 1}, {14, 22});
  check(run1("ReduceMax", reduce_attrs({}, false), {f32({3}, {1, kNaN, 2})}, f32_type({})), {}, {kNaN});
  check_exact<int32_t>(
      run1("ReduceMax", reduce_attrs({0}, false), {tensor<int32_t>({2, 2}, {-5, 7, -3, -9})}, {DType::i32, {2}}), {2},
      {-3, 7});
  check_exact<int64_t>(
      run1("ReduceSum", reduce_attrs({}, false), {tensor<int64_t>({3}, {int64_t{1} << 40, -1, 2})}, {DType::i64, {}}),
      {}, {(int64_t{1} << 40) + 1});
  // Summing nothing gives 0.
  check(run1("ReduceSum", reduce_attrs({0}, false), {f32({0, 2}, {})}, f32_type({2})), {2}, {0, 0});

  SECTION("over the leading axes, column blocks fold each output's elements in row order") {
    // 150 columns: two full blocks of 64 and a partial one.
    Tensor big = testing::random_tensor({3, 5, 150}, 7);
    const float* v = big.data<float>();
    std::vector<float> sum(150), mean(150), max(150);
    for (int64_t c = 0; c < 150; ++c) {
      double acc = 0;
      float top = -std::numeric_limits<float>::infinity();
      for (int64_t r = 0; r < 15; ++r) {
        acc += v[r * 150 + c];
        top = std::max(top, v[r * 150 + c]);
      }
      sum[c] = static_cast<float>(acc);
      mean[c] = static_cast<float>(acc / 15);
      max[c] = top;
    }
    auto values = [&](const char* op) {
      return values_of<float>(run1(op, reduce_attrs({1, 0}, false), {big}, f32_type({150})));
    };
    CHECK(values("ReduceSum") == sum);
    CHECK(values("ReduceMean") == mean);
    CHECK(values("ReduceMax") == max);
  }

  SECTION("errors") {
    check_load_error("ReduceSum", reduce_attrs({1, -1}, true), {f32_type({2, 3})}, {f32_type({2, 1})},
                     "out of range or repeated");
    check_load_error("ReduceSum", reduce_attrs({2}, true), {f32_type({2, 3})}, {f32_type({2, 3})},
                     "out of range or repeated");
    check_load_error("ReduceSum", reduce_attrs({1}, true), {f32_type({2, 3})}, {f32_type({2})}, "expected f32[2,1]");
    check_load_error("ReduceMean", reduce_attrs({}, true), {{DType::i32, {2}}}, {{DType::i32, {1}}}, "expected f32");
    check_load_error("ReduceMax", reduce_attrs({0}, false), {f32_type({0, 2})}, {f32_type({2})}, "has no value");
  }
}

TEST_CASE("Reshape and Flatten keep the elements", "[kernels]") {
  Tensor x = tensor<int32_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  check_exact<int32_t>(run1("Reshape", {{"shape", attr_ints({-1, 2})}}, {x}, {DType::i32, {3, 2}}), {3, 2},
                       {1, 2, 3, 4, 5, 6});
  check_exact<int32_t>(run1("Reshape", {{"shape", attr_ints({0, 3, 1})}}, {x}, {DType::i32, {2, 3, 1}}), {2, 3, 1},
                       {1, 2, 3, 4, 5, 6});
  check_exact<int32_t>(run1("Reshape", {}, {x, tensor<int64_t>({1}, {6})}, {DType::i32, {6}}), {6}, {1, 2, 3, 4, 5, 6});
  check_load_error("Reshape", {{"shape", attr_ints({4, -1})}}, {{DType::i32, {2, 3}}}, {{DType::i32, {3, 2}}},
                   "does not give output");
  check_load_error("Reshape", {}, {{DType::i32, {2, 3}}}, {{DType::i32, {6}}}, "found neither");
  check_load_error("Reshape", {}, {{DType::i32, {2, 3}}, {DType::f32, {1}}}, {{DType::i32, {6}}},
                   "input 1 has dtype f32");
  check_load_error("Reshape", {}, {{DType::i32, {2, 3}}, {DType::i64, {1}}}, {{DType::i32, {7}}}, "element count");

  Tensor y = iota({2, 3, 4});
  auto flatten = [&](int64_t axis, const Shape& shape) {
    check(run1("Flatten", {{"axis", attr_int(axis)}}, {y}, f32_type(shape)), shape, values_of<float>(y));
  };
  flatten(1, {2, 12});
  flatten(0, {1, 24});
  flatten(-1, {6, 4});
  flatten(3, {24, 1});
  check_load_error("Flatten", {{"axis", attr_int(4)}}, {f32_type({2, 3, 4})}, {f32_type({24, 1})}, "out of range");
}

TEST_CASE("Transpose permutes dims", "[kernels]") {
  Tensor x = iota({2, 3});
  check(run1("Transpose", {{"perm", attr_ints({})}}, {x}, f32_type({3, 2})), {3, 2}, {1, 4, 2, 5, 3, 6});
  // [2,3,2] = 1..12 with perm [2,0,1]: y[k][i][j] = x[i][j][k].
  check(run1("Transpose", {{"perm", attr_ints({2, 0, 1})}}, {iota({2, 3, 2})}, f32_type({2, 2, 3})), {2, 2, 3},
        {1, 3, 5, 7, 9, 11, 2, 4, 6, 8, 10, 12});
  Tensor h = bits16(DType::bf16, {2, 2}, {1, 2, 3, 4});
  CHECK(bits16_of(run1("Transpose", {{"perm", attr_ints({1, 0})}}, {h}, {DType::bf16, {2, 2}})) ==
        std::vector<uint16_t>{1, 3, 2, 4});
  check_load_error("Transpose", {{"perm", attr_ints({0, 0})}}, {f32_type({2, 3})}, {f32_type({2, 3})},
                   "not a permutation");
}

TEST_CASE("Concat and Split along an axis", "[kernels]") {
  Tensor a = f32({2, 1}, {1, 2});
  Tensor b = f32({2, 2}, {3, 4, 5, 6});
  check(run1("Concat", {{"axis", attr_int(1)}}, {a, b}, f32_type({2, 3})), {2, 3}, {1, 3, 4, 2, 5, 6});
  check(run1("Concat", {{"axis", attr_int(-2)}}, {b, b}, f32_type({4, 2})), {4, 2}, {3, 4, 5, 6, 3, 4, 5, 6});
  check_load_error("Concat", {{"axis", attr_int(1)}}, {f32_type({2, 1}), f32_type({3, 2})}, {f32_type({2, 3})},
                   "except along axis 1");
  check_load_error("Concat", {{"axis", attr_int(0)}}, {f32_type({2, 1}), {DType::i32, {2, 1}}}, {f32_type({4, 1})},
                   "input 1 has dtype i32");

  Tensor x = tensor<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  std::vector<Tensor> parts = run("Split", {{"axis", attr_int(1)}, {"sizes", attr_ints({1, 2})}}, {x},
                                  {{DType::i64, {2, 1}}, {DType::i64, {2, 2}}});
  check_exact<int64_t>(parts[0], {2, 1}, {1, 4});
  check_exact<int64_t>(parts[1], {2, 2}, {2, 3, 5, 6});
  parts = run("Split", {{"axis", attr_int(0)}, {"num_outputs", attr_int(2)}}, {x},
              {{DType::i64, {1, 3}}, {DType::i64, {1, 3}}});
  check_exact<int64_t>(parts[0], {1, 3}, {1, 2, 3});
  check_exact<int64_t>(parts[1], {1, 3}, {4, 5, 6});
  check_load_error("Split", {{"axis", attr_int(1)}, {"sizes", attr_ints({1, 1})}}, {{DType::i64, {2, 3}}},
                   {{DType::i64, {2, 1}}, {DType::i64, {2, 1}}}, "sum to dim 1 = 3");
  check_load_error("Split", {{"axis", attr_int(1)}, {"num_outputs", attr_int(2)}}, {{DType::i64, {2, 3}}},
                   {{DType::i64, {2, 1}}, {DType::i64, {2, 2}}}, "must divide");
  check_load_error("Split", {{"axis", attr_int(0)}, {"num_outputs", attr_int(2)}, {"sizes", attr_ints({1, 1})}},
                   {{DType::i64, {2}}}, {{DType::i64, {1}}, {DType::i64, {1}}}, "found both");
}

TEST_CASE("Slice: ONNX bounds, negative steps", "[kernels]") {
  Tensor x = iota({10}, 0);  // 0..9
  auto slice = [&](const Attrs& attrs, const Shape& shape) { return run1("Slice", attrs, {x}, f32_type(shape)); };
  check(slice(slice_attrs({8}, {1}, {}, {-3}), {3}), {3}, {8, 5, 2});
  check(slice(slice_attrs({-1}, {std::numeric_limits<int64_t>::min()}, {}, {-1}), {10}), {10},
        {9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
  check(slice(slice_attrs({2}, {100}), {8}), {8}, {2, 3, 4, 5, 6, 7, 8, 9});
  check(slice(slice_attrs({-3}, {-1}), {2}), {2}, {7, 8});
  check(slice(slice_attrs({5}, {2}), {0}), {0}, {});
  // [3,4] = 0..11, rows 0 and 2, columns 3, 2, 1.
  check(run1("Slice", slice_attrs({0, 3}, {3, 0}, {0, -1}, {2, -1}), {iota({3, 4}, 0)}, f32_type({2, 3})), {2, 3},
        {3, 2, 1, 11, 10, 9});
  check(run1("Slice", slice_attrs({1}, {3}, {1}), {iota({2, 3}, 0)}, f32_type({2, 2})), {2, 2}, {1, 2, 4, 5});
  check_load_error("Slice", slice_attrs({0}, {1}, {}, {0}), {f32_type({10})}, {f32_type({1})}, "must not contain 0");
  check_load_error("Slice", slice_attrs({0, 0}, {1, 1}, {0, -2}), {f32_type({2, 2})}, {f32_type({1, 1})},
                   "must be distinct axes");
  check_load_error("Slice", slice_attrs({0}, {1, 2}), {f32_type({2, 2})}, {f32_type({1, 2})}, "equal lengths");
  check_load_error("Slice", slice_attrs({0}, {4}), {f32_type({10})}, {f32_type({5})}, "expected f32[4]");
}

TEST_CASE("Gather: negative indices wrap, out-of-range ones fail at run time", "[kernels]") {
  Tensor data = iota({3, 2});  // [[1,2],[3,4],[5,6]]
  check(run1("Gather", {{"axis", attr_int(0)}}, {data, tensor<int32_t>({3}, {2, -1, 0})}, f32_type({3, 2})), {3, 2},
        {5, 6, 5, 6, 1, 2});
  check(run1("Gather", {{"axis", attr_int(1)}}, {data, tensor<int64_t>({2}, {1, -2})}, f32_type({3, 2})), {3, 2},
        {2, 1, 4, 3, 6, 5});
  check(run1("Gather", {{"axis", attr_int(0)}}, {data, tensor<int64_t>({}, {1})}, f32_type({2})), {2}, {3, 4});
  check(run1("Gather", {{"axis", attr_int(-1)}}, {data, tensor<int32_t>({2, 1}, {1, 0})}, f32_type({3, 2, 1})),
        {3, 2, 1}, {2, 1, 4, 3, 6, 5});

  for (int32_t bad : {3, -4}) {
    check_run_error("Gather", {{"axis", attr_int(0)}}, {data, tensor<int32_t>({2}, {0, bad})}, f32_type({2, 2}),
                    fmt::format("index {} (indices element 1) is out of range for a dim of 3", bad));
  }
  check_load_error("Gather", {{"axis", attr_int(0)}}, {f32_type({3, 2}), f32_type({2})}, {f32_type({2, 2})},
                   "input 1 has dtype f32");
  check_load_error("Gather", {{"axis", attr_int(0)}}, {f32_type({3, 2}), {DType::i32, {4}}}, {f32_type({2, 2})},
                   "expected f32[4,2]");
}

TEST_CASE("Pad: constant, reflect and edge", "[kernels]") {
  check(run1("Pad", pad_attrs({2, 1}, "constant", 9), {f32({3}, {1, 2, 3})}, f32_type({6})), {6}, {9, 9, 1, 2, 3, 9});
  check(run1("Pad", pad_attrs({2, 3}, "reflect"), {f32({4}, {1, 2, 3, 4})}, f32_type({9})), {9},
        {3, 2, 1, 2, 3, 4, 3, 2, 1});
  check(run1("Pad", pad_attrs({2, 2}, "edge"), {f32({3}, {1, 2, 3})}, f32_type({7})), {7}, {1, 1, 1, 2, 3, 3, 3});
  // Rows reflect as r1 r0 r1 r0, columns as c1 c0 c1 c2 c1.
  check(run1("Pad", pad_attrs({1, 1, 1, 1}, "reflect"), {iota({2, 3})}, f32_type({4, 5})), {4, 5},
        {5, 4, 5, 6, 5, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5, 2, 1, 2, 3, 2});
  check(run1("Pad", pad_attrs({0, 1, 0, 0}, "constant", -1), {iota({2, 1})}, f32_type({2, 2})), {2, 2}, {-1, 1, -1, 2});
  // The fill value takes the tensor's dtype.
  check_exact<int32_t>(run1("Pad", pad_attrs({1, 0}, "constant", 7.9f), {tensor<int32_t>({1}, {3})}, {DType::i32, {2}}),
                       {2}, {7, 3});
  CHECK(bits16_of(run1("Pad", pad_attrs({0, 1}, "constant", 1.5f), {bits16(DType::f16, {1}, {0x3C00})},
                       {DType::f16, {2}})) == std::vector<uint16_t>{0x3C00, 0x3E00});
  check_load_error("Pad", pad_attrs({3, 0}, "reflect"), {f32_type({3})}, {f32_type({6})}, "reflect needs pads < dim");
  check_load_error("Pad", pad_attrs({1, 0}, "wrap"), {f32_type({3})}, {f32_type({4})}, "expected \"constant\"");
  check_load_error("Pad", pad_attrs({-1, 0}, "constant"), {f32_type({3})}, {f32_type({2})}, "must be >= 0");
  check_load_error("Pad", pad_attrs({1}, "constant"), {f32_type({3})}, {f32_type({4})}, "must have 2 entries");
}

TEST_CASE("kernels run concurrently from several threads", "[kernels]") {
  Tensor x = iota({1, 2, 5, 5});
  Tensor w = iota({3, 2, 3, 3}, -20);
  auto kernel = create("Conv2D", conv_attrs({1, 1}, {1, 1, 1, 1}), {x.type(), w.type()}, {f32_type({1, 3, 5, 5})});
  auto compute = [&] { return values_of<float>(run_kernel(*kernel, {x, w}, {f32_type({1, 3, 5, 5})}).at(0)); };
  std::vector<float> expected = compute();
  std::vector<std::vector<float>> results(4);
  std::vector<std::thread> threads;
  for (auto& r : results)
    threads.emplace_back([&r, &compute] {
      for (int i = 0; i < 20; ++i) r = compute();
    });
  for (auto& t : threads) t.join();
  for (const auto& r : results) CHECK(r == expected);
}

}  // namespace graphc
