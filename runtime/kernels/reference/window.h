// The geometry of a 2-D sliding window over an NCHW input, shared by the
// convolution and pooling kernels and their backward kernels.
#pragma once

#include <cstdint>

#include "runtime/core/kernel.h"

namespace graphc {

/// Tap (kh, kw) of output (oh, ow) reads input row oh·stride_h − pad_top +
/// kh·dilation_h (and likewise for columns), unless that lies outside.
struct Window {
  int64_t batch = 0, channels = 0, in_h = 0, in_w = 0;
  int64_t kernel_h = 0, kernel_w = 0;
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t out_h = 0, out_w = 0;

  int64_t row(int64_t oh, int64_t kh) const { return oh * stride_h - pad_top + kh * dilation_h; }
  int64_t col(int64_t ow, int64_t kw) const { return ow * stride_w - pad_left + kw * dilation_w; }
  bool inside(int64_t ih, int64_t iw) const { return ih >= 0 && ih < in_h && iw >= 0 && iw < in_w; }
  /// The taps of pooling window (oh, ow) inside the padded input (taps past
  /// the end padding, which ceil_mode can add, do not count).
  int64_t padded_taps(int64_t oh, int64_t ow) const;
};

/// Reads the window attributes (`strides`, `pads`, and `dilations` when the
/// op has them) for a kernel_h × kernel_w kernel over an input of type `x`
/// and computes the output size; fails when the window does not fit.
Window window_of(const KernelSpec& spec, const TensorType& x, int64_t kernel_h, int64_t kernel_w, bool ceil_mode);

/// A pooling op's window: `kernel`, `ceil_mode` and the other window
/// attributes over `x`; fails unless every pad is smaller than the kernel.
Window pool_window_of(const KernelSpec& spec, const TensorType& x);

}  // namespace graphc
