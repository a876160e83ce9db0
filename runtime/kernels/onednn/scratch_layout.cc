// ScratchLayout (scratch_layout.h).
#include "runtime/kernels/onednn/scratch_layout.h"

#include <algorithm>

#include "runtime/kernels/onednn/primitive_kernel.h"

namespace graphc::onednn {
namespace {

constexpr size_t kAlignment = 64;

size_t aligned(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

}  // namespace

size_t ScratchLayout::reserve(size_t bytes) {
  size_t offset = buffer_bytes_;
  buffer_bytes_ += aligned(bytes);
  return offset;
}

void ScratchLayout::fit_scratchpad(const dnnl::primitive_desc_base& pd) {
  scratchpad_bytes_ = std::max(scratchpad_bytes_, aligned(pd.scratchpad_desc().get_size()));
}

dnnl::reorder ScratchLayout::make_reorder(const dnnl::memory::desc& from, const dnnl::memory::desc& to) {
  try {
    dnnl::reorder::primitive_desc pd(cpu_engine(), from, cpu_engine(), to, scratchpad_attr());
    fit_scratchpad(pd);
    return dnnl::reorder(pd);
  } catch (const dnnl::error& e) {
    unavailable("reorder", e);
  }
}

dnnl::memory ScratchLayout::scratchpad(std::byte* block) const {
  if (scratchpad_bytes_ == 0) return {};
  dnnl::memory::desc bytes({static_cast<dnnl::memory::dim>(scratchpad_bytes_)}, dnnl::memory::data_type::u8,
                           dnnl::memory::format_tag::x);
  return dnnl::memory(bytes, cpu_engine(), block + buffer_bytes_);
}

}  // namespace graphc::onednn
