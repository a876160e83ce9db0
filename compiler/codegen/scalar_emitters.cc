// The scalar emitters (see scalar_emitters.h). Semantics follow the
// reference kernels (runtime/kernels/reference/elementwise_kernels.cc):
// Maximum/Minimum propagate a NaN operand, Relu keeps NaN, ReluGrad passes
// dy where x > 0.
#include "compiler/codegen/scalar_emitters.h"

#include <llvm/IR/Intrinsics.h>

#include <algorithm>
#include <numbers>

#include "compiler/codegen/generated_kernels.h"
#include "compiler/codegen/math_functions.h"
#include "graphc/error.h"

namespace graphc::codegen {
namespace {

using Args = std::vector<llvm::Value*>;
using Emit = llvm::Value* (*)(llvm::IRBuilder<>&, const AttrMap&, const Args&);

struct ScalarEmitter {
  const char* op;
  size_t arity;
  Emit emit;
};

llvm::Value* f32(llvm::IRBuilder<>& b, double v) { return llvm::ConstantFP::get(b.getFloatTy(), v); }

/// a if (a `pick` b or a is NaN) else b.
llvm::Value* select_or_nan(llvm::IRBuilder<>& b, llvm::Value* pick, llvm::Value* a, llvm::Value* bb) {
  return b.CreateSelect(b.CreateOr(pick, b.CreateFCmpUNO(a, a)), a, bb);
}

llvm::Value* gelu(llvm::IRBuilder<>& b, const AttrMap& attrs, const Args& a) {
  llvm::Value* x = a[0];
  llvm::Value* inner;
  if (attrs.get_string("approximate") == "tanh") {
    llvm::Value* cube = b.CreateFMul(b.CreateFMul(x, x), x);
    llvm::Value* arg = b.CreateFMul(f32(b, std::numbers::sqrt2 * std::numbers::inv_sqrtpi),
                                    b.CreateFAdd(x, b.CreateFMul(f32(b, 0.044715), cube)));
    inner = emit_tanh(b, arg);
  } else {
    inner = emit_erf(b, b.CreateFMul(x, f32(b, std::numbers::sqrt2 / 2)));
  }
  return b.CreateFMul(b.CreateFMul(f32(b, 0.5), x), b.CreateFAdd(f32(b, 1.0), inner));
}

constexpr ScalarEmitter kEmitters[] = {
    {"Add", 2, [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* { return b.CreateFAdd(a[0], a[1]); }},
    {"Sub", 2, [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* { return b.CreateFSub(a[0], a[1]); }},
    {"Mul", 2, [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* { return b.CreateFMul(a[0], a[1]); }},
    {"Div", 2, [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* { return b.CreateFDiv(a[0], a[1]); }},
    {"Maximum", 2, [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* { return select_or_nan(b, b.CreateFCmpOGT(a[0], a[1]), a[0], a[1]); }},
    {"Minimum", 2, [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* { return select_or_nan(b, b.CreateFCmpOLT(a[0], a[1]), a[0], a[1]); }},
    {"Pow", 2, [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* { return b.CreateBinaryIntrinsic(llvm::Intrinsic::pow, a[0], a[1]); }},
    {"Neg", 1, [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* { return b.CreateFNeg(a[0]); }},
    {"Exp", 1, [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* { return emit_exp(b, a[0]); }},
    {"Log", 1, [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* { return b.CreateUnaryIntrinsic(llvm::Intrinsic::log, a[0]); }},
    {"Sqrt", 1, [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* { return b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, a[0]); }},
    {"Rsqrt", 1,
     [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* {
       return b.CreateFDiv(f32(b, 1.0), b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, a[0]));
     }},
    {"Tanh", 1, [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* { return emit_tanh(b, a[0]); }},
    {"Sigmoid", 1, [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* { return emit_sigmoid(b, a[0]); }},
    {"Erf", 1, [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* { return emit_erf(b, a[0]); }},
    {"Relu", 1, [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* { return b.CreateSelect(b.CreateFCmpOLT(a[0], f32(b, 0.0)), f32(b, 0.0), a[0]); }},
    {"Gelu", 1, gelu},
    {"ReluGrad", 2, [](llvm::IRBuilder<>& b, const AttrMap&, const Args& a) -> llvm::Value* { return b.CreateSelect(b.CreateFCmpOGT(a[1], f32(b, 0.0)), a[0], f32(b, 0.0)); }},
};

const ScalarEmitter* find_emitter(const std::string& op) {
  auto it = std::find_if(std::begin(kEmitters), std::end(kEmitters), [&](const ScalarEmitter& e) { return op == e.op; });
  return it == std::end(kEmitters) ? nullptr : it;
}

}  // namespace

bool has_emitter(const std::string& op, const AttrMap& attrs) {
  if (find_emitter(op) == nullptr) return false;
  if (op != "Gelu") return true;
  const std::string& approximate = attrs.get_string("approximate");
  return approximate == "none" || approximate == "tanh";
}

llvm::Value* emit_scalar_op(llvm::IRBuilder<>& b, const AttrMap& attrs, const std::vector<llvm::Value*>& args) {
  const ScalarEmitter* e = find_emitter(attrs.op());
  if (e == nullptr || e->arity != args.size()) {
    throw Error::at_node(attrs.node(), attrs.op(), "internal error: no generated code for this op with these inputs");
  }
  return e->emit(b, attrs, args);
}

}  // namespace graphc::codegen
