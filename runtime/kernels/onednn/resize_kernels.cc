// oneDNN kernels of Resize and ResizeGrad on the resampling primitive
// (forward, and backward for the gradient): f32, rank 3 to 5, the first two
// dims (N, C) not resized.
//
// oneDNN has one interpolation per mode: "nearest" reads the element at
// floor((o + 0.5)·in/out), "linear" the two neighbours of
// (o + 0.5)·in/out − 0.5 (clamped at the edges), weighted by distance. ONNX
// has many (coordinate transformation and nearest modes, roi, exclude_
// outside). So the factory compares, dim by dim, oneDNN's taps with ONNX's
// for the node's attributes and sizes (runtime/core/resize_taps.h) and
// serves the op only where they agree: linear with "half_pixel" or
// "pytorch_half_pixel", nearest with "half_pixel" where no coordinate falls
// on a rounding tie, and nearest with "asymmetric" + "floor" (PyTorch's
// nn.Upsample) at integer upsampling factors, among others. Anything else
// (cubic, align_corners, tf_crop_and_resize, scales that are not out/in)
// runs the reference kernel, with the first dim that differs as the reason.
// oneDNN computes the coordinates in float, so a nearest coordinate within
// 1e-4 of an integer, where float rounding might pick the other element, is
// not served either.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "runtime/core/resize_taps.h"
#include "runtime/kernels/onednn/onednn_kernels.h"
#include "runtime/kernels/onednn/primitive_kernel.h"

namespace graphc {
namespace {

using onednn::PrimitiveKernel;
using Taps = std::vector<ResizeTap>;

/// `taps` with one entry per index, sorted, and weights of 0 dropped.
Taps normalised(Taps taps) {
  std::sort(taps.begin(), taps.end(), [](const ResizeTap& a, const ResizeTap& b) { return a.index < b.index; });
  Taps merged;
  for (const ResizeTap& t : taps) {
    if (!merged.empty() && merged.back().index == t.index) {
      merged.back().weight += t.weight;
    } else {
      merged.push_back(t);
    }
  }
  std::erase_if(merged, [](const ResizeTap& t) { return std::abs(t.weight) < 1e-12; });
  return merged;
}

/// oneDNN's taps for output coordinate `o` of a dim from `in` to `out`, or
/// nullopt when float rounding could decide them.
std::optional<Taps> onednn_taps(dnnl::algorithm algorithm, int64_t o, int64_t in, int64_t out) {
  double ratio = static_cast<double>(in) / static_cast<double>(out);
  if (algorithm == dnnl::algorithm::resampling_nearest) {
    double z = (static_cast<double>(o) + 0.5) * ratio;
    if (std::abs(z - std::round(z)) < 1e-4) return std::nullopt;
    return Taps{{static_cast<int64_t>(std::floor(z)), 1.0}};
  }
  double c = (static_cast<double>(o) + 0.5) * ratio - 0.5;
  double left = std::floor(c);
  auto clamped = [&](double i) { return std::clamp(static_cast<int64_t>(i), int64_t{0}, in - 1); };
  return normalised({{clamped(left), 1.0 - (c - left)}, {clamped(left + 1), c - left}});
}

/// Why oneDNN's `algorithm` does not compute the Resize of x to y under
/// `spec`'s attributes, or nullopt when it does.
std::optional<std::string> interpolation_mismatch(const KernelSpec& spec, dnnl::algorithm algorithm, const Shape& x,
                                                  const Shape& y) {
  std::vector<float> scales = spec.attrs.get_floats("scales");
  std::vector<float> roi = spec.attrs.get_floats("roi");
  if ((!scales.empty() && scales.size() != x.size()) || (!roi.empty() && roi.size() != 2 * x.size())) {
    return "scales or roi do not match the rank";
  }
  for (size_t d = 0; d < x.size(); ++d) {
    double scale = scales.empty() ? static_cast<double>(y[d]) / static_cast<double>(x[d]) : scales[d];
    ResizeDimTaps onnx = resize_dim_taps(spec.attrs, x[d], y[d], scale, roi.empty() ? 0.0 : roi[d],
                                         roi.empty() ? 1.0 : roi[x.size() + d]);
    for (int64_t o = 0; o < y[d]; ++o) {
      if (onnx.outside[static_cast<size_t>(o)]) return fmt::format("dim {}: coordinates outside x extrapolate", d);
      std::optional<Taps> ours = d < 2 ? Taps{{o, 1.0}} : onednn_taps(algorithm, o, x[d], y[d]);
      if (!ours) return fmt::format("dim {}: output {} falls on a rounding boundary", d, o);
      Taps theirs = normalised(onnx.taps[static_cast<size_t>(o)]);
      bool same = theirs.size() == ours->size() &&
                  std::equal(theirs.begin(), theirs.end(), ours->begin(), [](const ResizeTap& a, const ResizeTap& b) {
                    return a.index == b.index && std::abs(a.weight - b.weight) <= 1e-6;
                  });
      if (!same) {
        return fmt::format("dim {}{}: output {} reads other elements than oneDNN's resampling would", d,
                           d < 2 ? " (N or C)" : "", o);
      }
    }
  }
  return std::nullopt;
}

/// The resampling algorithm for Resize from x to y under `spec`'s
/// attributes; throws KernelUnavailable when oneDNN's differs from ONNX's.
dnnl::algorithm checked_algorithm(const KernelSpec& spec, const Shape& x, const Shape& y) {
  onednn::expect_f32_nonempty(spec);
  if (x.size() < 3 || x.size() > 5 || y.size() != x.size()) onednn::unavailable("not [N, C, 1 to 3 spatial dims]");
  const std::string& mode = spec.attrs.get_string("mode");
  if (mode != "nearest" && mode != "linear") onednn::unavailable(fmt::format("mode \"{}\"", mode));
  auto algorithm = mode == "nearest" ? dnnl::algorithm::resampling_nearest : dnnl::algorithm::resampling_linear;
  if (auto why = interpolation_mismatch(spec, algorithm, x, y)) onednn::unavailable(*why);
  return algorithm;
}

dnnl::resampling_forward::primitive_desc forward_pd(dnnl::prop_kind prop, dnnl::algorithm algorithm, const Shape& x,
                                                    const Shape& y) {
  using Forward = dnnl::resampling_forward;
  return onednn::make_primitive_desc<Forward>("resampling primitive", [&] {
    return Forward::desc(prop, algorithm, onednn::plain_desc(x), onednn::plain_desc(y));
  });
}

std::unique_ptr<Kernel> make_resize(const KernelSpec& spec) {
  const Shape& x = spec.inputs[0].shape;
  const Shape& y = spec.outputs[0].shape;
  dnnl::algorithm algorithm = checked_algorithm(spec, x, y);
  auto kernel = std::make_unique<PrimitiveKernel>(forward_pd(dnnl::prop_kind::forward_inference, algorithm, x, y));
  kernel->bind_input(DNNL_ARG_SRC, 0, onednn::plain_desc(x));
  kernel->bind_output(DNNL_ARG_DST, 0, onednn::plain_desc(y));
  return kernel;
}

/// ResizeGrad(dy) -> dx of shape `input_shape`.
std::unique_ptr<Kernel> make_resize_grad(const KernelSpec& spec) {
  const Shape& dy = spec.inputs[0].shape;
  const Shape& dx = spec.outputs[0].shape;
  std::vector<int64_t> input_shape = spec.attrs.get_ints("input_shape");
  if (Shape(input_shape.begin(), input_shape.end()) != dx) onednn::unavailable("dx is not of input_shape");
  dnnl::algorithm algorithm = checked_algorithm(spec, dx, dy);
  auto forward = forward_pd(dnnl::prop_kind::forward_training, algorithm, dx, dy);
  using Backward = dnnl::resampling_backward;
  auto backward = onednn::make_primitive_desc<Backward>(
      "resampling backward primitive",
      [&] { return Backward::desc(algorithm, onednn::plain_desc(dx), onednn::plain_desc(dy)); }, forward);
  auto kernel = std::make_unique<PrimitiveKernel>(backward);
  kernel->bind_input(DNNL_ARG_DIFF_DST, 0, onednn::plain_desc(dy));
  kernel->bind_output(DNNL_ARG_DIFF_SRC, 0, onednn::plain_desc(dx));
  return kernel;
}

}  // namespace

void register_onednn_resize_kernels(KernelRegistry& r) {
  r.add("Resize", make_resize);
  r.add("ResizeGrad", make_resize_grad);
}

}  // namespace graphc
