// Copy kernels, typed by element size so each element moves as one word.
#include "runtime/kernels/reference/data_movement.h"

#include <cstring>

namespace graphc {
namespace {

template <class Word>
class OffsetCopyKernel final : public Kernel {
 public:
  OffsetCopyKernel(std::vector<int64_t> offsets, const std::vector<std::byte>& fill) : offsets_(std::move(offsets)) {
    if (!fill.empty()) std::memcpy(&fill_, fill.data(), sizeof(Word));
  }

  void run(std::span<const Tensor* const> in, std::span<Tensor* const> out) const override {
    const auto* x = static_cast<const Word*>(in[0]->raw_data());
    auto* y = static_cast<Word*>(out[0]->raw_data());
    for (size_t i = 0; i < offsets_.size(); ++i) y[i] = offsets_[i] < 0 ? fill_ : x[offsets_[i]];
  }

 private:
  std::vector<int64_t> offsets_;
  Word fill_{};
};

}  // namespace

std::unique_ptr<Kernel> make_copy_kernel() {
  return make_kernel([](std::span<const Tensor* const> in, std::span<Tensor* const> out) {
    if (out[0]->raw_data() != in[0]->raw_data() && in[0]->byte_size() != 0) {
      std::memcpy(out[0]->raw_data(), in[0]->raw_data(), in[0]->byte_size());
    }
  });
}

std::unique_ptr<Kernel> make_offset_copy_kernel(DType dtype, std::vector<int64_t> offsets,
                                                std::vector<std::byte> fill) {
  switch (dtype_size(dtype)) {
    case 1: return std::make_unique<OffsetCopyKernel<uint8_t>>(std::move(offsets), fill);
    case 2: return std::make_unique<OffsetCopyKernel<uint16_t>>(std::move(offsets), fill);
    case 4: return std::make_unique<OffsetCopyKernel<uint32_t>>(std::move(offsets), fill);
    default: return std::make_unique<OffsetCopyKernel<uint64_t>>(std::move(offsets), fill);
  }
}

}  // namespace graphc
