// f32 exp, tanh, sigmoid and erf as straight-line LLVM IR (no calls), so
// the loop vectoriser turns them into vector code. Each keeps a few ulp of
// the C library's result (tests/codegen_test.cc measures them) and
// propagates NaN.
#pragma once

#include <llvm/IR/IRBuilder.h>

namespace graphc::codegen {

llvm::Value* emit_exp(llvm::IRBuilder<>& b, llvm::Value* x);
llvm::Value* emit_tanh(llvm::IRBuilder<>& b, llvm::Value* x);
/// 1 / (1 + e^-x), from e^-|x| so that neither side overflows.
llvm::Value* emit_sigmoid(llvm::IRBuilder<>& b, llvm::Value* x);
llvm::Value* emit_erf(llvm::IRBuilder<>& b, llvm::Value* x);

}  // namespace graphc::codegen
