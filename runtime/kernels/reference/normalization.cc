// Normalisation groups as offset maps, and their moments.
#include "runtime/kernels/reference/normalization.h"

#include <cmath>

#include "runtime/core/shape_rules.h"
#include "runtime/kernels/reference/index_maps.h"

namespace graphc {

NormalizationGroups NormalizationGroups::per_channel(const Shape& x) {
  std::vector<int64_t> strides = strides_of(x);
  Shape members = x;
  members[1] = 1;
  return {strided_offsets({x[1]}, {strides[1]}), strided_offsets(members, strides)};
}

NormalizationGroups NormalizationGroups::trailing(const Shape& x, int64_t axis) {
  std::vector<int64_t> strides = strides_of(x);
  return {strided_offsets(Shape(x.begin(), x.begin() + axis), {strides.begin(), strides.begin() + axis}),
          strided_offsets(Shape(x.begin() + axis, x.end()), {strides.begin() + axis, strides.end()})};
}

Moments NormalizationGroups::moments(const float* x, size_t g, float epsilon) const {
  const float* base = x + groups[g];
  auto count = static_cast<double>(members.size());
  Moments m;
  for (int64_t o : members) m.mean += base[o];
  m.mean /= count;
  for (int64_t o : members) m.variance += (base[o] - m.mean) * (base[o] - m.mean);
  m.variance /= count;
  m.inv_std = 1.0 / std::sqrt(m.variance + epsilon);
  return m;
}

}  // namespace graphc
