// Resize's interpolation along one dim (ONNX semantics, docs/ops.md): which
// input elements each output coordinate reads, with which weights. Shared
// by the reference kernels of Resize and ResizeGrad and by the oneDNN
// resampling kernels, which serve a Resize only when their own
// interpolation gives these taps.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/core/attr_map.h"

namespace graphc {

/// An input element an output coordinate reads, and its weight.
struct ResizeTap {
  int64_t index;  // along the dim, clamped to [0, in)
  double weight;
};

/// The taps of every output coordinate of one dim.
struct ResizeDimTaps {
  std::vector<std::vector<ResizeTap>> taps;  // per output coordinate; taps of weight 0 are dropped
  std::vector<bool> outside;                 // tf_crop_and_resize: the coordinate takes extrapolation_value
};

/// One dim of `in` elements resized to `out` under Resize's attributes
/// `attrs` (mode, coordinate_transformation_mode, nearest_mode,
/// cubic_coeff_a, exclude_outside), with that dim's `scale` (> 0) and roi
/// bounds (normalised; used by tf_crop_and_resize).
ResizeDimTaps resize_dim_taps(const AttrMap& attrs, int64_t in, int64_t out, double scale, double roi_start,
                              double roi_end);

}  // namespace graphc
