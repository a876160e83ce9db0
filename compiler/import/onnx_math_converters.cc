// ONNX elementwise ops: arithmetic, unary math, activations, comparisons and
// logic, Cast, Clip, and the variadic Sum/Mean/Max/Min.
#include <fmt/format.h>

#include <limits>

#include "compiler/import/onnx_converter.h"
#include "compiler/import/onnx_model.h"

namespace graphc::onnx_import {
namespace {

/// The graphc dtype of an ONNX `to`-style attribute value.
DType graphc_dtype(OnnxNode& n, int64_t onnx_type) {
  auto dtype = dtype_from_onnx(static_cast<int32_t>(onnx_type));
  if (!dtype) n.fail(fmt::format("dtype {} is not supported", onnx_dtype_name(static_cast<int32_t>(onnx_type))));
  return *dtype;
}

/// Opsets before 7 broadcast only with `broadcast` = 1 and an `axis`; the
/// common case (trailing alignment, NumPy-compatible) is what we support.
void check_legacy_broadcast(OnnxNode& n) {
  if (n.opset() < 7 && n.has_attr("axis")) n.reject_attr("axis", "legacy axis-aligned broadcasting");
}

template <const char* Op>
void binary(OnnxNode& n) {
  check_legacy_broadcast(n);
  n.set_output(0, n.emit(Op, {n.input(0), n.input(1)}));
}

template <const char* Op>
void unary(OnnxNode& n) {
  n.set_output(0, n.emit(Op, {n.input(0)}));
}

constexpr char kAdd[] = "Add", kSub[] = "Sub", kMul[] = "Mul", kDiv[] = "Div", kNeg[] = "Neg", kExp[] = "Exp",
               kLog[] = "Log", kSqrt[] = "Sqrt", kTanh[] = "Tanh", kSigmoid[] = "Sigmoid", kRelu[] = "Relu",
               kErf[] = "Erf", kAbs[] = "Abs", kSign[] = "Sign", kFloor[] = "Floor", kCeil[] = "Ceil",
               kRound[] = "Round", kSin[] = "Sin", kCos[] = "Cos", kTan[] = "Tan", kAsin[] = "Asin", kAcos[] = "Acos",
               kAtan[] = "Atan", kSinh[] = "Sinh", kCosh[] = "Cosh", kAsinh[] = "Asinh", kAcosh[] = "Acosh",
               kAtanh[] = "Atanh", kSoftplus[] = "Softplus", kSoftsign[] = "Softsign", kHardSwish[] = "HardSwish",
               kIsNaN[] = "IsNaN", kNot[] = "Not", kAnd[] = "And", kOr[] = "Or", kXor[] = "Xor", kEqual[] = "Equal",
               kLess[] = "Less", kLessOrEqual[] = "LessOrEqual", kGreater[] = "Greater",
               kGreaterOrEqual[] = "GreaterOrEqual", kPRelu[] = "PRelu";

/// PRelu: a 1-D slope of C entries (old exporters) is per channel (dim 1).
void prelu(OnnxNode& n) {
  const TensorType& xt = n.input_type(0);
  const TensorType& st = n.input_type(1);
  ir::Value* slope = n.input(1);
  if (st.shape.size() == 1 && xt.shape.size() > 2 && st.shape[0] == xt.shape[1] && st.shape[0] != xt.shape.back()) {
    std::vector<int64_t> shape(xt.shape.size() - 1, 1);
    shape[0] = -1;
    slope = n.emit("Reshape", {slope}, {{"shape", a_ints(shape)}});
  }
  n.set_output(0, n.emit("PRelu", {n.input(0), slope}));
}

void identity(OnnxNode& n) { n.set_output(0, n.emit("Identity", {n.input(0)})); }

void reciprocal(OnnxNode& n) {
  ir::Value* x = n.input(0);
  n.set_output(0, n.emit("Div", {n.scalar(n.input_type(0).dtype, 1.0), x}));
}

void pow(OnnxNode& n) {
  ir::Value* base = n.input(0);
  ir::Value* exponent = n.input(1);
  DType dtype = n.input_type(0).dtype;
  if (n.input_type(1).dtype != dtype) exponent = n.emit("Cast", {exponent}, {{"to", a_dtype(dtype)}});
  n.set_output(0, n.emit("Pow", {base, exponent}));
}

/// Sum, Mean, Max, Min: a left fold of the broadcasting binary op.
template <const char* Op>
void variadic(OnnxNode& n) {
  ir::Value* acc = n.input(0);
  for (size_t i = 1; i < n.num_inputs(); ++i) acc = n.emit(Op, {acc, n.input(i)});
  if (n.num_inputs() == 1) acc = n.emit("Identity", {acc});
  n.set_output(0, acc);
}
constexpr char kMaximum[] = "Maximum", kMinimum[] = "Minimum";

void mean(OnnxNode& n) {
  ir::Value* acc = n.input(0);
  for (size_t i = 1; i < n.num_inputs(); ++i) acc = n.emit("Add", {acc, n.input(i)});
  DType dtype = n.input_type(0).dtype;
  n.set_output(0, n.emit("Div", {acc, n.scalar(dtype, static_cast<double>(n.num_inputs()))}));
}

void cast(OnnxNode& n) {
  DType to = graphc_dtype(n, n.attr_int("to", 0));
  n.set_output(0, n.emit("Cast", {n.input(0)}, {{"to", a_dtype(to)}}));
}

void cast_like(OnnxNode& n) {
  n.set_output(0, n.emit("Cast", {n.input(0)}, {{"to", a_dtype(n.input_type(1).dtype)}}));
}

void clip(OnnxNode& n) {
  ir::Value* y = n.input(0);
  if (n.opset() < 11) {
    float lo = n.attr_float("min", std::numeric_limits<float>::lowest());
    float hi = n.attr_float("max", std::numeric_limits<float>::max());
    DType dtype = n.input_type(0).dtype;
    if (n.has_attr("min")) y = n.emit("Maximum", {y, n.scalar(dtype, lo)});
    if (n.has_attr("max")) y = n.emit("Minimum", {y, n.scalar(dtype, hi)});
  } else {
    if (n.has_input(1)) y = n.emit("Maximum", {y, n.input(1)});
    if (n.has_input(2)) y = n.emit("Minimum", {y, n.input(2)});
  }
  if (y == n.input(0)) y = n.emit("Identity", {y});
  n.set_output(0, y);
}

void leaky_relu(OnnxNode& n) {
  n.set_output(0, n.emit("LeakyRelu", {n.input(0)}, {{"alpha", a_float(n.attr_float("alpha", 0.01f))}}));
}

void elu(OnnxNode& n) { n.set_output(0, n.emit("Elu", {n.input(0)}, {{"alpha", a_float(n.attr_float("alpha", 1.0f))}})); }

void celu(OnnxNode& n) {
  n.set_output(0, n.emit("Celu", {n.input(0)}, {{"alpha", a_float(n.attr_float("alpha", 1.0f))}}));
}

void selu(OnnxNode& n) {
  n.set_output(0, n.emit("Selu", {n.input(0)},
                         {{"alpha", a_float(n.attr_float("alpha", 1.67326319217681884765625f))},
                          {"gamma", a_float(n.attr_float("gamma", 1.05070102214813232421875f))}}));
}

void hard_sigmoid(OnnxNode& n) {
  n.set_output(0, n.emit("HardSigmoid", {n.input(0)},
                         {{"alpha", a_float(n.attr_float("alpha", 0.2f))}, {"beta", a_float(n.attr_float("beta", 0.5f))}}));
}

void thresholded_relu(OnnxNode& n) {
  n.set_output(0, n.emit("ThresholdedRelu", {n.input(0)}, {{"alpha", a_float(n.attr_float("alpha", 1.0f))}}));
}

void shrink(OnnxNode& n) {
  n.set_output(0, n.emit("Shrink", {n.input(0)},
                         {{"lambd", a_float(n.attr_float("lambd", 0.5f))}, {"bias", a_float(n.attr_float("bias", 0.0f))}}));
}

void is_inf(OnnxNode& n) {
  n.set_output(0, n.emit("IsInf", {n.input(0)},
                         {{"detect_negative", a_bool(n.attr_int("detect_negative", 1) != 0)},
                          {"detect_positive", a_bool(n.attr_int("detect_positive", 1) != 0)}}));
}

void mod(OnnxNode& n) {
  n.set_output(0, n.emit("Mod", {n.input(0), n.input(1)}, {{"fmod", a_bool(n.attr_int("fmod", 0) != 0)}}));
}

void where(OnnxNode& n) { n.set_output(0, n.emit("Where", {n.input(0), n.input(1), n.input(2)})); }

void gelu_like_erf(OnnxNode& n) { unary<kErf>(n); }

}  // namespace

void register_math_converters(ConverterTable& t) {
  t["Add"] = binary<kAdd>;
  t["Sub"] = binary<kSub>;
  t["Mul"] = binary<kMul>;
  t["Div"] = binary<kDiv>;
  t["Pow"] = pow;
  t["Mod"] = mod;
  t["PRelu"] = prelu;
  t["Neg"] = unary<kNeg>;
  t["Exp"] = unary<kExp>;
  t["Log"] = unary<kLog>;
  t["Sqrt"] = unary<kSqrt>;
  t["Tanh"] = unary<kTanh>;
  t["Sigmoid"] = unary<kSigmoid>;
  t["Relu"] = unary<kRelu>;
  t["Erf"] = gelu_like_erf;
  t["Abs"] = unary<kAbs>;
  t["Sign"] = unary<kSign>;
  t["Floor"] = unary<kFloor>;
  t["Ceil"] = unary<kCeil>;
  t["Round"] = unary<kRound>;
  t["Sin"] = unary<kSin>;
  t["Cos"] = unary<kCos>;
  t["Tan"] = unary<kTan>;
  t["Asin"] = unary<kAsin>;
  t["Acos"] = unary<kAcos>;
  t["Atan"] = unary<kAtan>;
  t["Sinh"] = unary<kSinh>;
  t["Cosh"] = unary<kCosh>;
  t["Asinh"] = unary<kAsinh>;
  t["Acosh"] = unary<kAcosh>;
  t["Atanh"] = unary<kAtanh>;
  t["Softplus"] = unary<kSoftplus>;
  t["Softsign"] = unary<kSoftsign>;
  t["HardSwish"] = unary<kHardSwish>;
  t["IsNaN"] = unary<kIsNaN>;
  t["IsInf"] = is_inf;
  t["Reciprocal"] = reciprocal;
  t["LeakyRelu"] = leaky_relu;
  t["Elu"] = elu;
  t["Celu"] = celu;
  t["Selu"] = selu;
  t["HardSigmoid"] = hard_sigmoid;
  t["ThresholdedRelu"] = thresholded_relu;
  t["Shrink"] = shrink;
  t["Identity"] = identity;
  t["Sum"] = variadic<kAdd>;
  t["Max"] = variadic<kMaximum>;
  t["Min"] = variadic<kMinimum>;
  t["Mean"] = mean;
  t["Cast"] = cast;
  t["CastLike"] = cast_like;
  t["Clip"] = clip;
  t["Not"] = unary<kNot>;
  t["And"] = binary<kAnd>;
  t["Or"] = binary<kOr>;
  t["Xor"] = binary<kXor>;
  t["Equal"] = binary<kEqual>;
  t["Less"] = binary<kLess>;
  t["LessOrEqual"] = binary<kLessOrEqual>;
  t["Greater"] = binary<kGreater>;
  t["GreaterOrEqual"] = binary<kGreaterOrEqual>;
  t["Where"] = where;
}

}  // namespace graphc::onnx_import
