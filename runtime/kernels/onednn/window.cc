// Conv2D and pooling windows in oneDNN's terms.
#include "runtime/kernels/onednn/window.h"

#include <algorithm>

#include "runtime/kernels/onednn/primitive_kernel.h"
#include "runtime/kernels/reference/spec_checks.h"

namespace graphc::onednn {

ConvWindow conv_window(const KernelSpec& spec, const Shape& x, const Shape& w) {
  int64_t groups = spec.attrs.get_int("groups");
  if (x.size() != 4 || w.size() != 4 || groups < 1 || x[1] % groups != 0 || w[0] % groups != 0 ||
      w[1] * groups != x[1]) {
    unavailable("w does not fit x and groups");
  }
  std::vector<int64_t> pads = ints_attr(spec, "pads", 4, 0);
  ConvWindow window{ints_attr(spec, "strides", 2, 1), ints_attr(spec, "dilations", 2, 1), {pads[0], pads[1]},
                    {pads[2], pads[3]}, w};
  for (auto& d : window.dilations) d -= 1;
  if (groups > 1) window.weights = {groups, w[0] / groups, w[1], w[2], w[3]};
  return window;
}

PoolWindow pool_window(const KernelSpec& spec, const Shape& x, const Shape& y, bool max) {
  if (x.size() != 4 || y.size() != 4) unavailable("x and y must be [N, C, H, W]");
  std::vector<int64_t> pads = ints_attr(spec, "pads", 4, 0);
  PoolWindow window{dnnl::algorithm::pooling_max, ints_attr(spec, "strides", 2, 1), ints_attr(spec, "kernel", 2, 1),
                    {pads[0], pads[1]}, {pads[2], pads[3]}};
  // ceil_mode: the end padding that makes floor division give the output size.
  for (size_t i = 0; i < 2; ++i) {
    window.pad_end[i] = std::max(window.pad_end[i], (y[i + 2] - 1) * window.strides[i] + window.kernel[i] -
                                                        x[i + 2] - window.pad_begin[i]);
  }
  if (max) return window;
  bool include_pad = spec.attrs.get_bool("count_include_pad");
  if (include_pad && window.pad_end != dnnl::memory::dims{pads[2], pads[3]}) {
    unavailable("count_include_pad with ceil_mode: oneDNN would count the taps ceil_mode adds");
  }
  window.algorithm =
      include_pad ? dnnl::algorithm::pooling_avg_include_padding : dnnl::algorithm::pooling_avg_exclude_padding;
  return window;
}

}  // namespace graphc::onednn
