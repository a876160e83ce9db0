// ScratchLayout: how a oneDNN kernel lays out its per-run scratch block
// (Kernel::scratch_bytes): buffers at 64-byte aligned offsets from 0, then
// one scratchpad that its primitives and reorders share
// (scratchpad_mode::user; they run one after another). Used by
// PrimitiveKernel and the RNN kernels.
#pragma once

#include <cstddef>

#include <oneapi/dnnl/dnnl.hpp>

namespace graphc::onednn {

class ScratchLayout {
 public:
  /// Reserves `bytes` of buffer; returns its offset in the block.
  size_t reserve(size_t bytes);
  /// Grows the scratchpad to what `pd` (created with scratchpad_attr()) needs.
  void fit_scratchpad(const dnnl::primitive_desc_base& pd);
  /// A reorder from `from` to `to` using the shared scratchpad;
  /// KernelUnavailable when oneDNN has none.
  dnnl::reorder make_reorder(const dnnl::memory::desc& from, const dnnl::memory::desc& to);

  /// The block's size: the buffers, then the scratchpad.
  size_t bytes() const { return buffer_bytes_ + scratchpad_bytes_; }
  /// The scratchpad of the block at `block`, or an empty memory when none is needed.
  dnnl::memory scratchpad(std::byte* block) const;

 private:
  size_t buffer_bytes_ = 0;      // from offset 0
  size_t scratchpad_bytes_ = 0;  // the largest scratchpad fitted
};

}  // namespace graphc::onednn
