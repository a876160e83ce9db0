// Layout strides and the generic layout conversion.
#include "runtime/core/layout.h"

#include <cstring>

#include "runtime/core/shape_rules.h"

namespace graphc {

std::string_view layout_name(Layout layout) {
  switch (layout) {
    case Layout::plain:
      return "plain";
    case Layout::channels_last:
      return "channels_last";
  }
  return "?";
}

bool layout_fits(Layout layout, const Shape& shape) { return layout == Layout::plain || shape.size() >= 3; }

std::vector<int64_t> layout_strides(const Shape& shape, Layout layout) {
  if (layout == Layout::plain) return strides_of(shape);
  // [N, C, S1..Sk] stored as [N, S1..Sk, C]: C is innermost, then the
  // spatial dims in order, then N.
  std::vector<int64_t> strides(shape.size());
  int64_t stride = 1;
  strides[1] = stride;
  stride *= shape[1];
  for (size_t d = shape.size() - 1; d >= 2; --d) {
    strides[d] = stride;
    stride *= shape[d];
  }
  strides[0] = stride;
  return strides;
}

void convert_layout(const Shape& shape, size_t element_bytes, const void* from, Layout from_layout, void* to,
                    Layout to_layout) {
  int64_t count = num_elements(shape);
  if (from_layout == to_layout) {
    std::memcpy(to, from, static_cast<size_t>(count) * element_bytes);
    return;
  }
  // Walks the logical index in C order, keeping both offsets incrementally.
  std::vector<int64_t> src = layout_strides(shape, from_layout), dst = layout_strides(shape, to_layout);
  std::vector<int64_t> index(shape.size(), 0);
  const auto* in = static_cast<const std::byte*>(from);
  auto* out = static_cast<std::byte*>(to);
  int64_t src_offset = 0, dst_offset = 0;
  for (int64_t i = 0; i < count; ++i) {
    std::memcpy(out + dst_offset * element_bytes, in + src_offset * element_bytes, element_bytes);
    for (size_t d = shape.size(); d-- > 0;) {
      src_offset += src[d];
      dst_offset += dst[d];
      if (++index[d] < shape[d]) break;
      src_offset -= src[d] * shape[d];
      dst_offset -= dst[d] * shape[d];
      index[d] = 0;
    }
  }
}

}  // namespace graphc
