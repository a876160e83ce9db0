// The f32 math functions of generated kernels (see math_functions.h).
//
// exp(x) = 2^n · e^r with n = round(x · log2 e) and r = x − n · ln 2, where
// ln 2 is split into a part exact in f32 and a small remainder so that r is
// accurate; |r| ≤ ln 2 / 2, where the degree-7 Taylor polynomial of e^r is
// within 1e-8 relative. 2^n is built in the exponent bits as 2^⌊n/2⌋ · 2^⌈n/2⌉
// so that results near the overflow and denormal edges stay right.
//
// tanh: odd Taylor series for |x| < 1/4 (no cancellation), else
// sign(x) · (1 − 2 / (e^{2|x|} + 1)), whose error is a few ulp of 1 there.
//
// erf: x · P(x²) / Q(x²) on x clamped to [−4, 4] (erf is ±1 in f32 beyond),
// a rational minimax approximation (the form Eigen and XLA use for f32).
#include "compiler/codegen/math_functions.h"

#include <llvm/IR/Intrinsics.h>

#include <initializer_list>
#include <numbers>

namespace graphc::codegen {
namespace {

llvm::Value* constant(llvm::IRBuilder<>& b, double v) { return llvm::ConstantFP::get(b.getFloatTy(), v); }

/// c[0] + x · (c[1] + x · (...)), Horner's rule.
llvm::Value* polynomial(llvm::IRBuilder<>& b, llvm::Value* x, std::initializer_list<double> coefficients) {
  const double* c = std::data(coefficients);
  llvm::Value* acc = constant(b, c[coefficients.size() - 1]);
  for (size_t i = coefficients.size() - 1; i-- > 0;) acc = b.CreateFAdd(b.CreateFMul(acc, x), constant(b, c[i]));
  return acc;
}

llvm::Value* unary_intrinsic(llvm::IRBuilder<>& b, llvm::Intrinsic::ID id, llvm::Value* x) {
  return b.CreateUnaryIntrinsic(id, x);
}

llvm::Value* clamp(llvm::IRBuilder<>& b, llvm::Value* x, double lo, double hi) {
  return b.CreateBinaryIntrinsic(llvm::Intrinsic::minnum, b.CreateBinaryIntrinsic(llvm::Intrinsic::maxnum, x, constant(b, lo)),
                                 constant(b, hi));
}

/// x where x is NaN, else `value`.
llvm::Value* keep_nan(llvm::IRBuilder<>& b, llvm::Value* x, llvm::Value* value) {
  return b.CreateSelect(b.CreateFCmpUNO(x, x), x, value);
}

/// 2^e for an i32 e in [−126, 127].
llvm::Value* power_of_two(llvm::IRBuilder<>& b, llvm::Value* e) {
  llvm::Value* bits = b.CreateShl(b.CreateAdd(e, b.getInt32(127)), 23);
  return b.CreateBitCast(bits, b.getFloatTy());
}

}  // namespace

llvm::Value* emit_exp(llvm::IRBuilder<>& b, llvm::Value* x) {
  constexpr double kMax = 88.72283935546875;  // ln(FLT_MAX), rounded down to f32
  constexpr double kMin = -104.0;             // below: 0 in f32
  llvm::Value* xc = clamp(b, x, kMin, kMax);
  llvm::Value* n = unary_intrinsic(b, llvm::Intrinsic::rint, b.CreateFMul(xc, constant(b, std::numbers::log2e)));
  llvm::Value* r = b.CreateFSub(xc, b.CreateFMul(n, constant(b, 0.693359375)));
  r = b.CreateFSub(r, b.CreateFMul(n, constant(b, -2.12194440e-4)));
  llvm::Value* p = polynomial(b, r, {1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040});
  llvm::Value* ni = b.CreateFPToSI(n, b.getInt32Ty());
  llvm::Value* half = b.CreateAShr(ni, 1);
  llvm::Value* y = b.CreateFMul(b.CreateFMul(p, power_of_two(b, half)), power_of_two(b, b.CreateSub(ni, half)));
  y = b.CreateSelect(b.CreateFCmpOGT(x, constant(b, kMax)), llvm::ConstantFP::getInfinity(b.getFloatTy()), y);
  y = b.CreateSelect(b.CreateFCmpOLT(x, constant(b, kMin)), constant(b, 0.0), y);
  return keep_nan(b, x, y);
}

llvm::Value* emit_tanh(llvm::IRBuilder<>& b, llvm::Value* x) {
  llvm::Value* ax = unary_intrinsic(b, llvm::Intrinsic::fabs, x);
  llvm::Value* x2 = b.CreateFMul(x, x);
  llvm::Value* series = polynomial(
      b, x2, {-1.0 / 3, 2.0 / 15, -17.0 / 315, 62.0 / 2835, -1382.0 / 155925, 21844.0 / 6081075});
  llvm::Value* small = b.CreateFAdd(x, b.CreateFMul(b.CreateFMul(x, x2), series));
  llvm::Value* e = emit_exp(b, b.CreateFMul(ax, constant(b, 2.0)));
  llvm::Value* large = b.CreateFSub(constant(b, 1.0), b.CreateFDiv(constant(b, 2.0), b.CreateFAdd(e, constant(b, 1.0))));
  large = b.CreateBinaryIntrinsic(llvm::Intrinsic::copysign, large, x);
  return keep_nan(b, x, b.CreateSelect(b.CreateFCmpOLT(ax, constant(b, 0.25)), small, large));
}

llvm::Value* emit_sigmoid(llvm::IRBuilder<>& b, llvm::Value* x) {
  llvm::Value* t = emit_exp(b, b.CreateFNeg(unary_intrinsic(b, llvm::Intrinsic::fabs, x)));
  llvm::Value* denominator = b.CreateFAdd(constant(b, 1.0), t);
  llvm::Value* y = b.CreateSelect(b.CreateFCmpOGE(x, constant(b, 0.0)), b.CreateFDiv(constant(b, 1.0), denominator),
                                  b.CreateFDiv(t, denominator));
  return keep_nan(b, x, y);
}

llvm::Value* emit_erf(llvm::IRBuilder<>& b, llvm::Value* x) {
  llvm::Value* xc = clamp(b, x, -4.0, 4.0);
  llvm::Value* x2 = b.CreateFMul(xc, xc);
  llvm::Value* p = polynomial(b, x2,
                              {-1.60960333262415e-02, -2.95459980854025e-03, -7.34990630326855e-04,
                               -5.69250639462346e-05, -2.10102402082508e-06, 2.77068142495902e-08,
                               -2.72614225801306e-10});
  llvm::Value* q = polynomial(b, x2,
                              {-1.42647390514189e-02, -7.37332916720468e-03, -1.68282697438203e-03,
                               -2.13374055278905e-04, -1.45660718464996e-05});
  return keep_nan(b, x, b.CreateFDiv(b.CreateFMul(xc, p), q));
}

}  // namespace graphc::codegen
