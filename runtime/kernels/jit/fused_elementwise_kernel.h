// The kernel of a FusedElementwise step at -O2: its generated function,
// run over the step's rows (or, with a single row, its columns) split
// across the device's OpenMP threads when the tensor is large enough to
// pay for them. A label out of range (a LabelMask's, from SoftmaxCrossEntropy
// or its gradient) is the reference kernel's error, naming the loss node.
#pragma once

#include <memory>

#include "runtime/core/kernel.h"
#include "runtime/kernels/jit/jit_library.h"

namespace graphc {

/// Throws KernelUnavailable when `library` lacks the step's function.
std::unique_ptr<Kernel> make_fused_elementwise_kernel(const KernelSpec& spec, const JitLibrary& library);

}  // namespace graphc
