// Sliding-window geometry from a kernel spec's attributes.
#include "runtime/kernels/reference/window.h"

#include <fmt/format.h>

#include <algorithm>

#include "runtime/core/shape_rules.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc {

int64_t Window::padded_taps(int64_t oh, int64_t ow) const {
  int64_t rows = std::min(row(oh, kernel_h), in_h + pad_bottom) - row(oh, 0);
  int64_t cols = std::min(col(ow, kernel_w), in_w + pad_right) - col(ow, 0);
  return rows * cols;
}

Window window_of(const KernelSpec& spec, const TensorType& x_type, int64_t kernel_h, int64_t kernel_w,
                 bool ceil_mode) {
  const Shape& x = x_type.shape;
  if (x.size() != 4) fail(spec, fmt::format("x must be [N,C,H,W], found {}", x_type.to_string()));
  std::vector<int64_t> strides = ints_attr(spec, "strides", 2, 1);
  std::vector<int64_t> pads = ints_attr(spec, "pads", 4, 0);
  std::vector<int64_t> dilations =
      spec.attrs.has("dilations") ? ints_attr(spec, "dilations", 2, 1) : std::vector<int64_t>{1, 1};
  Window w{x[0],       x[1],         x[2],         x[3],    kernel_h, kernel_w, strides[0],
           strides[1], dilations[0], dilations[1], pads[0], pads[1],  pads[2],  pads[3]};
  w.out_h = window_output_size(w.in_h, kernel_h, w.stride_h, w.pad_top, w.pad_bottom, w.dilation_h, ceil_mode);
  w.out_w = window_output_size(w.in_w, kernel_w, w.stride_w, w.pad_left, w.pad_right, w.dilation_w, ceil_mode);
  if (w.out_h < 1 || w.out_w < 1) {
    fail(spec, fmt::format("a {}x{} window (dilations [{},{}], pads [{}]) does not fit input {}", kernel_h, kernel_w,
                           w.dilation_h, w.dilation_w, fmt::join(pads, ","), x_type.to_string()));
  }
  return w;
}

Window pool_window_of(const KernelSpec& spec, const TensorType& x) {
  std::vector<int64_t> kernel = ints_attr(spec, "kernel", 2, 1);
  Window w = window_of(spec, x, kernel[0], kernel[1], spec.attrs.get_bool("ceil_mode"));
  if (w.pad_top >= kernel[0] || w.pad_bottom >= kernel[0] || w.pad_left >= kernel[1] || w.pad_right >= kernel[1]) {
    fail(spec, fmt::format("pads [{},{},{},{}] must be smaller than the kernel [{},{}]", w.pad_top, w.pad_left,
                           w.pad_bottom, w.pad_right, kernel[0], kernel[1]));
  }
  return w;
}

int64_t ConvTaps::kernel_dim(const KernelSpec& spec, const Shape& w, size_t d) {
  if (w.size() != 4) fail(spec, fmt::format("w must be [O,C/groups,KH,KW], found {}", shape_to_string(w)));
  return w[d];
}

ConvTaps::ConvTaps(const KernelSpec& spec, const std::string& x, const Window& window, const Shape& w)
    : window_(window), groups_(spec.attrs.get_int("groups")), out_channels_(kernel_dim(spec, w, 0)) {
  if (groups_ < 1 || window_.channels % groups_ != 0 || out_channels_ % groups_ != 0 ||
      w[1] * groups_ != window_.channels) {
    fail(spec, fmt::format("groups = {} does not fit x {} and w {}", groups_, x, shape_to_string(w)));
  }
}

}  // namespace graphc
