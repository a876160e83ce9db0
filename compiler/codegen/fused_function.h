// The LLVM function of one FusedElementwise step.
//
//   int64_t f(const void* const* inputs, float* const* outputs,
//             int64_t row_begin, int64_t row_end, int64_t col_begin, int64_t col_end)
//
// computes the body for rows [row_begin, row_end) × columns [col_begin,
// col_end) of its loop nest (fused_loop.h); the caller splits the rows, or
// the columns when there is one row, across threads. The ranges must be
// non-empty. It returns -1, or the first row whose label (an integer input
// of a row function, read by a LabelMask) is outside [0, columns): that
// row and the rest of its range are not computed.
#pragma once

#include <llvm/IR/Module.h>

#include <llvm/IR/IRBuilder.h>

#include <string>
#include <vector>

#include "compiler/codegen/fused_loop.h"
#include "proto/graph.pb.h"

namespace graphc::codegen {

/// Adds function `name` with the signature above (its pointer arguments
/// noalias and read-only), empty; emit_fused_function and
/// emit_row_function fill it.
llvm::Function* declare_fused_function(llvm::Module& module, const std::string& name);

/// The first `count` pointers of the pointer array `array` (the inputs or
/// outputs argument).
std::vector<llvm::Value*> load_pointers(llvm::IRBuilder<>& b, llvm::Value* array, size_t count);

/// Per input, its element offset at the start of row `row` of `loop`
/// (constant extents: the divisions become multiplications).
std::vector<llvm::Value*> row_offsets(llvm::IRBuilder<>& b, const FusedLoop& loop, llvm::Value* row);

/// Adds function `name` computing `body` (a FusedElementwise body whose
/// node is `node`) over `loop` to `module`.
void emit_fused_function(llvm::Module& module, const std::string& name, const std::string& node,
                         const proto::GraphDef& body, const FusedLoop& loop);

}  // namespace graphc::codegen
