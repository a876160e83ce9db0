// The LLVM function of one FusedElementwise step.
//
//   void f(const float* const* inputs, float* const* outputs,
//          int64_t row_begin, int64_t row_end, int64_t col_begin, int64_t col_end)
//
// computes the body for rows [row_begin, row_end) × columns [col_begin,
// col_end) of its loop nest (fused_loop.h); the caller splits the rows, or
// the columns when there is one row, across threads. The ranges must be
// non-empty.
#pragma once

#include <llvm/IR/Module.h>

#include <string>

#include "compiler/codegen/fused_loop.h"
#include "proto/graph.pb.h"

namespace graphc::codegen {

/// Adds function `name` computing `body` (a FusedElementwise body whose
/// node is `node`) over `loop` to `module`.
void emit_fused_function(llvm::Module& module, const std::string& name, const std::string& node,
                         const proto::GraphDef& body, const FusedLoop& loop);

}  // namespace graphc::codegen
