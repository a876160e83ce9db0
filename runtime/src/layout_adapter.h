// LayoutAdapter: runs a kernel that reads and writes plain tensors on
// operands stored in other layouts.
//
// The assign-layout pass keeps a value channels-last only between ops whose
// optimised kernels read that layout. When such a kernel is unavailable on
// the machine that loads the module (oneDNN has no implementation for the
// shape, or the module runs at a level without it), the step falls back to
// its reference kernel, which knows only plain tensors: the adapter copies
// each non-plain input into a plain temporary, runs the kernel, and copies
// each non-plain output back into its layout. The temporaries are allocated
// on every run: this is the slow path of a fallback, not a kernel to plan for.
#pragma once

#include <memory>
#include <vector>

#include "runtime/core/kernel.h"

namespace graphc {

class LayoutAdapter final : public Kernel {
 public:
  /// `plain` computes `spec`'s op on plain operands; `spec` says how the
  /// step's operands are stored.
  LayoutAdapter(std::unique_ptr<Kernel> plain, const KernelSpec& spec);

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) const override;

 private:
  std::unique_ptr<Kernel> plain_;
  std::vector<Layout> input_layouts_;
  std::vector<Layout> output_layouts_;
};

}  // namespace graphc
