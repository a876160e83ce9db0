// scatter_add_along_axis: element i of the indexed output read the flat
// offset base[i] + wrap(indices[i])·stride[axis] of data, base being i's
// other coordinates in data's strides (a constant). The gradient computes
// those offsets with Mod, Mul and Add, scatter-adds g to them in the
// flattened data with GatherGrad (axis 0), and takes data's shape back.
#include "compiler/ops/scatter_gradient.h"

#include <algorithm>

namespace graphc::ops {

ir::Value* i64_constant(GradientContext& g, const Shape& shape, const std::vector<int64_t>& values) {
  Tensor t(DType::i64, shape);
  std::copy(values.begin(), values.end(), t.data<int64_t>());
  return g.add("Const", {}, {{"value", attr_tensor(t)}});
}

ir::Value* scatter_add_along_axis(GradientContext& g, ir::Value* grad, ir::Value* indices, const Shape& data,
                                  int64_t axis) {
  const Shape& index_shape = indices->type().shape;
  auto rank = static_cast<int64_t>(data.size());
  if (num_elements(index_shape) == 0) return g.broadcast_to(g.scalar(0), data);
  std::vector<int64_t> strides(data.size(), 1);
  for (int64_t d = rank - 2; d >= 0; --d) strides[d] = strides[d + 1] * data[d + 1];
  std::vector<int64_t> base(static_cast<size_t>(num_elements(index_shape)), 0);
  std::vector<int64_t> coord(index_shape.size(), 0);
  for (int64_t& offset : base) {
    for (int64_t d = 0; d < rank; ++d) {
      if (d != axis) offset += coord[d] * strides[d];
    }
    for (int64_t d = rank - 1; d >= 0 && ++coord[d] == index_shape[d]; --d) coord[d] = 0;
  }
  if (indices->type().dtype != DType::i64) indices = g.add("Cast", {indices}, {{"to", attr_dtype(DType::i64)}});
  ir::Value* wrapped = g.add("Mod", {indices, i64_constant(g, {}, {data[axis]})});  // in [0, dim): Python %
  ir::Value* offsets =
      g.add("Add", {i64_constant(g, index_shape, base), g.add("Mul", {wrapped, i64_constant(g, {}, {strides[axis]})})});
  ir::Value* flat =
      g.add("GatherGrad", {grad, offsets}, {{"axis", attr_int(0)}, {"input_shape", attr_ints({num_elements(data)})}});
  return g.reshape(flat, data);
}

}  // namespace graphc::ops
