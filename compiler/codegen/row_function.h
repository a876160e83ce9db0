// The LLVM function of a FusedElementwise step whose body reduces over the
// last axis (softmax, layer norm, log-sum-exp and their neighbours) or
// compares columns with per-row labels (LabelMask: cross-entropy). Same
// signature as emit_fused_function's:
//
//   int64_t f(const void* const* inputs, float* const* outputs,
//             int64_t row_begin, int64_t row_end, int64_t col_begin, int64_t col_end)
//
// but it computes whole rows: the caller splits only the rows across
// threads and passes col_begin = 0, col_end = the row length (the kernel
// ignores them). Each row is computed by one thread in one fixed order, so
// results do not depend on the thread count. It returns -1, or the first
// row of the range whose label is outside [0, row length).
#pragma once

#include <llvm/IR/Module.h>

#include <string>

#include "compiler/codegen/fused_loop.h"
#include "proto/graph.pb.h"

namespace graphc::codegen {

/// Adds function `name` computing `body` (a FusedElementwise body with row
/// reductions, whose node is `node`) over `loop` (collapse_loop with
/// keep_last) to `module`.
void emit_row_function(llvm::Module& module, const std::string& name, const std::string& node,
                       const proto::GraphDef& body, const FusedLoop& loop);

}  // namespace graphc::codegen
