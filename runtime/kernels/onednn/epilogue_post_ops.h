// A fused op's epilogue (runtime/core/fusion_attrs.h) as oneDNN post-ops:
// a binary add per addend (reading it where it is stored, broadcast by
// oneDNN), one clip eltwise op per run of consecutive Maximum/Minimum (a
// NaN output of the anchor is clipped, where the reference Maximum would
// keep it), an eltwise op for the activation. The anchor's primitive
// applies them while it writes its destination.
#pragma once

#include <oneapi/dnnl/dnnl.hpp>

#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "runtime/core/kernel.h"
#include "runtime/kernels/onednn/primitive_kernel.h"

namespace graphc::onednn {

class EpiloguePostOps {
 public:
  /// For `spec` (Conv2D, Dense, MatMul or their Fused forms) whose primitive
  /// writes its output as a tensor of `dst_dims`. With `accumulate`, the
  /// first addend of the full `dst_dims` (a residual) becomes a `sum`
  /// post-op: the kernel copies it into the destination first and the
  /// primitive adds onto it (oneDNN's fast convolutions take a sum but not a
  /// full-size binary add). Throws KernelUnavailable for an addend oneDNN
  /// cannot read as a broadcast of those dims.
  EpiloguePostOps(const KernelSpec& spec, const Shape& dst_dims, bool accumulate = false);

  /// How many of spec.inputs the anchor op itself reads (the rest are addends).
  size_t anchor_inputs() const { return anchor_inputs_; }
  /// scratchpad_attr() with the post-ops.
  const dnnl::primitive_attr& attr() const { return attr_; }
  /// Binds the addends to the last primitive of `kernel` (after its
  /// destination: a summed addend is copied there).
  void bind_addends(PrimitiveKernel& kernel) const;

 private:
  size_t anchor_inputs_ = 0;
  dnnl::primitive_attr attr_;
  std::optional<std::pair<size_t, dnnl::memory::desc>> summed_;  // kernel input, stored layout
  std::vector<std::tuple<int, size_t, dnnl::memory::desc>> addends_;  // post-op argument, kernel input, stored layout
};

}  // namespace graphc::onednn
