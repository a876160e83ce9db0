// The output size of a transposed convolution (ConvTranspose) along one
// spatial dim, shared by shape inference and the kernel.
#pragma once

#include <cstdint>

namespace graphc {

/// Input position i spreads over output positions i·stride − pad_begin +
/// t·dilation (t < kernel), so the full output is stride·(input − 1) +
/// dilation·(kernel − 1) + 1 long; output_padding adds positions at the end
/// and the pads remove them at either end. A value < 1 means no output.
inline int64_t transposed_window_output_size(int64_t input, int64_t kernel, int64_t stride, int64_t pad_begin,
                                             int64_t pad_end, int64_t dilation, int64_t output_padding) {
  return stride * (input - 1) + output_padding + dilation * (kernel - 1) + 1 - pad_begin - pad_end;
}

}  // namespace graphc
