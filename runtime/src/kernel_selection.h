// Kernel selection: which kernel runs a step, and why.
//
// A step compiled at -O0 gets its reference kernel. Any other step gets the
// first optimised kernel whose factory accepts its spec (a FusedElementwise
// step: its generated function; other ops: oneDNN),
// else the reference kernel, with the reason recorded: an optimised factory
// that cannot serve a dtype, shape or attribute throws KernelUnavailable,
// which is never an error. Errors in the spec itself (a corrupt module) are
// reported by the reference factory, as at -O0.
#pragma once

#include <memory>
#include <string>

#include "proto/module.pb.h"
#include "runtime/core/kernel.h"
#include "runtime/kernels/jit/jit_library.h"

namespace graphc {

/// A step's kernel and where it came from.
struct SelectedKernel {
  std::unique_ptr<Kernel> kernel;
  std::string backend;  // "generated", "onednn" or "reference"
  /// Why an optimised step runs the reference kernel (empty when it does not,
  /// or when no optimised backend has a kernel for the op at all).
  std::string fallback_reason;
};

/// A module's generated kernels: the linked library, or why there is none.
struct GeneratedCode {
  const JitLibrary* library = nullptr;
  std::string why_not;
};

/// Creates the kernel of a step whose module asks for `choice`.
SelectedKernel select_kernel(const KernelSpec& spec, proto::KernelChoice choice, const GeneratedCode& generated = {});

}  // namespace graphc
