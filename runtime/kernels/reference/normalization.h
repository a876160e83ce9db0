// The element groups batch and layer normalisation reduce over, and their
// moments, shared by the normalisation kernels and their backward kernels.
#pragma once

#include <cstdint>
#include <vector>

#include "graphc/tensor.h"

namespace graphc {

struct Moments {
  double mean = 0;
  double variance = 0;  // population (divide-by-n)
  double inv_std = 0;   // 1 / sqrt(variance + epsilon)
};

/// Element m of group g is at groups[g] + members[m] (C-order offsets).
struct NormalizationGroups {
  std::vector<int64_t> groups;
  std::vector<int64_t> members;

  /// One group per channel (dim 1) of [N, C, ...]: batch normalisation.
  static NormalizationGroups per_channel(const Shape& x);
  /// One group per index of dims [0, axis): layer normalisation.
  static NormalizationGroups trailing(const Shape& x, int64_t axis);

  /// The moments of group g of x, accumulated in double.
  Moments moments(const float* x, size_t g, float epsilon) const;
};

}  // namespace graphc
