// The scalar emitters: per op, the LLVM IR computing one output element from
// its inputs' elements. The table in scalar_emitters.cc is the one list of
// ops generated kernels support (has_emitter reads it).
#pragma once

#include <llvm/IR/IRBuilder.h>

#include <string>
#include <vector>

#include "runtime/core/attr_map.h"

namespace graphc::codegen {

/// One element of op `attrs.op()` (has_emitter must hold) from `args`.
llvm::Value* emit_scalar_op(llvm::IRBuilder<>& b, const AttrMap& attrs, const std::vector<llvm::Value*>& args);

}  // namespace graphc::codegen
