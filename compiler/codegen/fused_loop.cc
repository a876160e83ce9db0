// collapse_loop (see fused_loop.h).
#include "compiler/codegen/fused_loop.h"

namespace graphc::codegen {

int64_t FusedLoop::rows() const {
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < dims.size(); ++d) rows *= dims[d];
  return rows;
}

FusedLoop collapse_loop(const Shape& shape, const std::vector<Shape>& input_shapes, bool keep_last) {
  // Per kept dim: its extent and, per input, whether the input broadcasts along it.
  std::vector<int64_t> extents;
  std::vector<std::vector<bool>> broadcast(input_shapes.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    bool columns = keep_last && d + 1 == shape.size();
    if (shape[d] == 1 && !columns) continue;
    extents.push_back(shape[d]);
    for (size_t j = 0; j < input_shapes.size(); ++j) {
      const Shape& in = input_shapes[j];
      size_t lead = shape.size() - in.size();
      broadcast[j].push_back(d < lead || in[d - lead] == 1);
    }
  }
  FusedLoop loop;
  std::vector<std::vector<bool>> merged_broadcast(input_shapes.size());
  for (size_t d = 0; d < extents.size(); ++d) {
    bool same_as_previous = d > 0 && !(keep_last && d + 1 == extents.size());
    for (size_t j = 0; j < input_shapes.size() && same_as_previous; ++j) {
      same_as_previous = broadcast[j][d] == broadcast[j][d - 1];
    }
    if (same_as_previous) {
      loop.dims.back() *= extents[d];
      continue;
    }
    loop.dims.push_back(extents[d]);
    for (size_t j = 0; j < input_shapes.size(); ++j) merged_broadcast[j].push_back(broadcast[j][d]);
  }
  if (loop.dims.empty()) {  // one element
    loop.dims.push_back(1);
    for (auto& b : merged_broadcast) b.push_back(true);
  }
  for (const auto& b : merged_broadcast) {
    std::vector<int64_t> strides(loop.dims.size(), 0);
    int64_t stride = 1;
    for (size_t d = loop.dims.size(); d-- > 0;) {
      if (b[d]) continue;
      strides[d] = stride;
      stride *= loop.dims[d];
    }
    loop.strides.push_back(std::move(strides));
  }
  return loop;
}

}  // namespace graphc::codegen
