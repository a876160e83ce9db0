// resize_dim_taps (resize_taps.h), following the ONNX reference implementation.
#include "runtime/core/resize_taps.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace graphc {

namespace {

/// Keys' cubic kernel of coefficient a: the weights of the four taps around a
/// point at fraction r between the second and the third.
std::vector<double> cubic_coeffs(double r, double a) {
  return {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a, ((a + 2) * r - (a + 3)) * r * r + 1,
          ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1,
          ((a * ((1 - r) + 1) - 5 * a) * ((1 - r) + 1) + 8 * a) * ((1 - r) + 1) - 4 * a};
}

}  // namespace

ResizeDimTaps resize_dim_taps(const AttrMap& attrs, int64_t in, int64_t out, double scale, double roi_start,
                              double roi_end) {
  const std::string& mode = attrs.get_string("mode");
  const std::string& ctm = attrs.get_string("coordinate_transformation_mode");
  const std::string& nearest = attrs.get_string("nearest_mode");
  double a = attrs.get_float("cubic_coeff_a");
  bool exclude = attrs.get_bool("exclude_outside");
  double out_width = scale * static_cast<double>(in);
  ResizeDimTaps result;
  for (int64_t o = 0; o < out; ++o) {
    double xo = static_cast<double>(o), x = 0;
    bool outside = false;
    if (ctm == "align_corners") {
      x = out_width == 1 ? 0 : xo * static_cast<double>(in - 1) / (out_width - 1);
    } else if (ctm == "asymmetric") {
      x = xo / scale;
    } else if (ctm == "tf_crop_and_resize") {
      x = out_width == 1 ? (roi_end - roi_start) * static_cast<double>(in - 1) / 2
                         : xo * (roi_end - roi_start) * static_cast<double>(in - 1) / (out_width - 1);
      x += roi_start * static_cast<double>(in - 1);
      outside = x < 0 || x > static_cast<double>(in - 1);
    } else if (ctm == "pytorch_half_pixel") {
      x = out_width == 1 ? -0.5 : (xo + 0.5) / scale - 0.5;
    } else if (ctm == "tf_half_pixel_for_nn") {
      x = (xo + 0.5) / scale;
    } else {
      x = (xo + 0.5) / scale - 0.5;
    }
    double fl = std::floor(x);
    bool integral = x == fl;
    double ratio = integral ? 1.0 : x - fl;
    auto base = static_cast<int64_t>(fl) - (integral ? 1 : 0);  // the tap left of x
    std::vector<double> coeffs;
    int64_t first = base;
    if (mode == "cubic") {
      coeffs = cubic_coeffs(ratio, a);
      first = base - 1;
    } else if (mode == "linear") {
      coeffs = {1 - ratio, ratio};
    } else {
      bool ceil = integral ? true
                  : nearest == "round_prefer_floor" ? ratio > 0.5
                  : nearest == "round_prefer_ceil"  ? ratio >= 0.5
                  : nearest == "ceil";
      coeffs = {ceil ? 0.0 : 1.0, ceil ? 1.0 : 0.0};
    }
    std::vector<ResizeTap> taps;
    double total = 0;
    for (size_t k = 0; k < coeffs.size(); ++k) {
      int64_t idx = first + static_cast<int64_t>(k);
      bool inside = idx >= 0 && idx < in;
      double w = exclude && !inside ? 0.0 : coeffs[k];
      total += w;
      if (w == 0) continue;
      int64_t clamped = std::clamp<int64_t>(idx, 0, in - 1);
      taps.push_back({clamped, w});
    }
    if (exclude && total != 0) {
      for (auto& t : taps) t.weight /= total;
    }
    result.taps.push_back(std::move(taps));
    result.outside.push_back(outside);
  }
  return result;
}

}  // namespace graphc
