// The conveniences gradient builders share: single-output nodes, scalar
// constants, reshapes, and the un-broadcasting of a gradient.
#include <fmt/format.h>

#include "compiler/ops/op_schema.h"
#include "graphc/error.h"

namespace graphc::ops {

ir::Value* GradientContext::add(const std::string& op, const std::vector<ir::Value*>& inputs,
                                std::map<std::string, proto::AttrValue> attrs) {
  return add_node(op, inputs, std::move(attrs), 1).front();
}

ir::Value* GradientContext::scalar(float value) {
  Tensor t(DType::f32, {});
  *t.data<float>() = value;
  return add("Const", {}, {{"value", attr_tensor(t)}});
}

ir::Value* GradientContext::reshape(ir::Value* value, const Shape& shape) {
  if (value->type().shape == shape) return value;
  return add("Reshape", {value}, {{"shape", attr_ints(shape)}});
}

ir::Value* GradientContext::reduce_to(ir::Value* grad, const Shape& shape) {
  const Shape& from = grad->type().shape;
  size_t extra = from.size() - shape.size();
  std::vector<int64_t> axes;
  for (size_t i = 0; i < from.size(); ++i) {
    if (i < extra || (shape[i - extra] == 1 && from[i] != 1)) axes.push_back(static_cast<int64_t>(i));
  }
  // ReduceSum's axes [] means every axis, so an empty list reduces nothing here.
  if (!axes.empty()) grad = add("ReduceSum", {grad}, {{"axes", attr_ints(axes)}, {"keepdims", attr_bool(true)}});
  return reshape(grad, shape);
}

ir::Value* GradientContext::broadcast_to(ir::Value* value, const Shape& shape) {
  if (value->type().shape == shape) return value;
  return add("Expand", {value}, {{"shape", attr_ints(shape)}});
}

void GradientContext::fail(const std::string& message) const {
  throw Error::at_node(node().name(), node().op(), message);
}

}  // namespace graphc::ops
