// Offset maps: an odometer over a shape, summing per-dim strides.
#include "runtime/kernels/reference/index_maps.h"

#include "runtime/core/shape_rules.h"

namespace graphc {

std::vector<int64_t> strided_offsets(const Shape& shape, const std::vector<int64_t>& strides, int64_t base) {
  std::vector<int64_t> offsets(static_cast<size_t>(num_elements(shape)));
  std::vector<int64_t> index(shape.size(), 0);
  int64_t offset = base;
  for (int64_t& out : offsets) {
    out = offset;
    // Advance the odometer: bump the last dim, carrying into earlier ones.
    for (size_t d = shape.size(); d-- > 0;) {
      offset += strides[d];
      if (++index[d] < shape[d]) break;
      offset -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  return offsets;
}

std::vector<int64_t> broadcast_offsets(const Shape& from, const Shape& to) {
  std::vector<int64_t> from_strides = strides_of(from);
  std::vector<int64_t> strides(to.size(), 0);
  size_t lead = to.size() - from.size();
  for (size_t d = 0; d < from.size(); ++d) {
    if (from[d] != 1) strides[lead + d] = from_strides[d];
  }
  return strided_offsets(to, strides);
}

std::vector<int64_t> broadcast_offsets_if_needed(const Shape& from, const Shape& to) {
  return from == to ? std::vector<int64_t>{} : broadcast_offsets(from, to);
}

}  // namespace graphc
