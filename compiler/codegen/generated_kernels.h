// Generated kernels: machine code for the FusedElementwise steps of a
// module, made with LLVM (O3 for the host CPU) when the module is compiled.
// This header is LLVM-free; LLVM stays inside compiler/codegen.
#pragma once

#include <string>

#include "proto/module.pb.h"
#include "runtime/core/attr_map.h"

namespace graphc::codegen {

/// Whether generated code can compute `op` with these attributes: the ops
/// fuse-elementwise may put in a group.
bool has_emitter(const std::string& op, const AttrMap& attrs);

/// Compiles every FusedElementwise step of `module` (and of its inference
/// entry point) into one object file for the host CPU, stored in
/// module.jit; each step gets attributes "jit_symbol" (its function; steps
/// with the same body, shapes and loop share one), "jit_rows" and
/// "jit_cols" (its loop nest, see fused_loop.h) and "jit_row_wise" (the
/// body reduces rows or reads labels: threads may split only the rows).
/// Throws graphc::Error
/// naming the step if LLVM rejects what it is given.
void generate_fused_kernels(proto::Module& module);

}  // namespace graphc::codegen
