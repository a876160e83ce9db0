// Kernels that move elements without arithmetic, for any dtype: a plain
// copy (Identity, Reshape, Flatten) and a copy through an offset map
// (Transpose, Slice, Pad).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/core/kernel.h"

namespace graphc {

/// Output 0 = input 0, byte for byte (a no-op when run in place).
std::unique_ptr<Kernel> make_copy_kernel();

/// Output element i = input element offsets[i], or the element whose bytes
/// are `fill` when offsets[i] < 0. Elements are dtype_size(dtype) bytes; `fill`
/// is empty or that long.
std::unique_ptr<Kernel> make_offset_copy_kernel(DType dtype, std::vector<int64_t> offsets,
                                                std::vector<std::byte> fill = {});

}  // namespace graphc
