// The geometry of a 2-D sliding window over an NCHW input, shared by the
// convolution and pooling kernels and their backward kernels, and the taps
// of a convolution over it.
#pragma once

#include <cstdint>
#include <string>

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

/// Conv2D's products y += x·w over the window, with weights w
/// [O, C/groups, KH, KW]: the (x offset, w offset, y offset) of each, in the
/// forward kernel's order. The backward kernels walk them, and so does
/// ConvTranspose, whose output is this window's input.
class ConvTaps {
 public:
  /// Conv2D over x; fails unless the window fits x and w fits x's channels.
  ConvTaps(const KernelSpec& spec, const TensorType& x, const Shape& w)
      : ConvTaps(spec, x.to_string(), window_of(spec, x, kernel_dim(spec, w, 2), kernel_dim(spec, w, 3), false), w) {}
  /// Conv2D with a window already computed (its input called `x` in errors).
  ConvTaps(const KernelSpec& spec, const std::string& x, const Window& window, const Shape& w);

  /// y's shape: [N, O, OH, OW].
  Shape output_shape() const { return {window_.batch, out_channels_, window_.out_h, window_.out_w}; }

  template <class Fn>
  void for_each(Fn fn) const {
    const Window& g = window_;
    int64_t group_in = g.channels / groups_;
    int64_t group_out = out_channels_ / groups_;
    int64_t y = 0;
    for (int64_t n = 0; n < g.batch; ++n) {
      for (int64_t o = 0; o < out_channels_; ++o) {
        int64_t first_channel = o / group_out * group_in;
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          for (int64_t ow = 0; ow < g.out_w; ++ow, ++y) {
            for (int64_t c = 0; c < group_in; ++c) {
              int64_t plane = (n * g.channels + first_channel + c) * g.in_h;
              int64_t taps = (o * group_in + c) * g.kernel_h;
              for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
                for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
                  int64_t ih = g.row(oh, kh), iw = g.col(ow, kw);
                  if (g.inside(ih, iw)) fn((plane + ih) * g.in_w + iw, (taps + kh) * g.kernel_w + kw, y);
                }
              }
            }
          }
        }
      }
    }
  }

 private:
  /// Dim d of w, which must be [O, C/groups, KH, KW].
  static int64_t kernel_dim(const KernelSpec& spec, const Shape& w, size_t d);

  Window window_;
  int64_t groups_ = 1;
  int64_t out_channels_ = 0;
};

}  // namespace graphc
