// OpSchema construction, attribute defaults and InferContext checks.
#include "compiler/ops/op_schema.h"

#include <fmt/format.h>

#include <algorithm>

#include "graphc/error.h"
#include "runtime/core/shape_rules.h"
#include "runtime/core/tensor_proto.h"

namespace graphc::ops {

const char* attr_type_name(AttrType type) {
  switch (type) {
    case AttrType::int_: return "int";
    case AttrType::float_: return "float";
    case AttrType::string: return "string";
    case AttrType::bool_: return "bool";
    case AttrType::dtype: return "type";
    case AttrType::shape: return "shape";
    case AttrType::tensor: return "tensor";
    case AttrType::ints: return "list(int)";
    case AttrType::floats: return "list(float)";
    case AttrType::strings: return "list(string)";
  }
  return "?";
}

bool attr_matches(const proto::AttrValue& v, AttrType type) {
  using V = proto::AttrValue;
  switch (type) {
    case AttrType::int_: return v.value_case() == V::kI;
    case AttrType::float_: return v.value_case() == V::kF;
    case AttrType::string: return v.value_case() == V::kS;
    case AttrType::bool_: return v.value_case() == V::kB;
    case AttrType::dtype: return v.value_case() == V::kType;
    case AttrType::shape: return v.value_case() == V::kShape;
    case AttrType::tensor: return v.value_case() == V::kTensor;
    // An empty list has no element kind, so it matches any list type.
    case AttrType::ints: return v.value_case() == V::kList && v.list().f_size() == 0 && v.list().s_size() == 0;
    case AttrType::floats: return v.value_case() == V::kList && v.list().i_size() == 0 && v.list().s_size() == 0;
    case AttrType::strings: return v.value_case() == V::kList && v.list().i_size() == 0 && v.list().f_size() == 0;
  }
  return false;
}

void InferContext::fail(const std::string& message) const {
  throw Error::at_node(attrs_.node(), attrs_.op(), message);
}

void InferContext::expect_dtype(size_t i, std::initializer_list<DType> allowed) const {
  DType d = input(i).dtype;
  if (std::find(allowed.begin(), allowed.end(), d) != allowed.end()) return;
  std::vector<std::string_view> names;
  for (DType a : allowed) names.push_back(dtype_name(a));
  fail(fmt::format("input {} has dtype {}, expected one of {}", i, dtype_name(d), fmt::join(names, ", ")));
}

void InferContext::expect_rank(size_t i, int64_t rank) const {
  const TensorType& t = input(i);
  if (static_cast<int64_t>(t.shape.size()) != rank) {
    fail(fmt::format("input {} must have rank {}, found {}", i, rank, t.to_string()));
  }
}

int64_t InferContext::axis(int64_t axis, int64_t rank, const char* attr_name) const {
  auto a = normalize_axis(axis, rank);
  if (!a) fail(fmt::format("attribute '{}' = {} is out of range for rank {}", attr_name, axis, rank));
  return *a;
}

const AttrSpec* OpSchema::find_attr(const std::string& attr) const {
  auto it = std::find_if(attrs.begin(), attrs.end(), [&](const AttrSpec& a) { return a.name == attr; });
  return it == attrs.end() ? nullptr : &*it;
}

OpBuilder& OpBuilder::doc(std::string text) {
  schema_.doc = std::move(text);
  return *this;
}

OpBuilder& OpBuilder::input(std::string name) {
  schema_.inputs.push_back(std::move(name));
  ++schema_.min_inputs;
  ++schema_.max_inputs;
  return *this;
}

OpBuilder& OpBuilder::optional_input(std::string name) {
  schema_.inputs.push_back(std::move(name));
  ++schema_.max_inputs;
  return *this;
}

OpBuilder& OpBuilder::variadic_input(std::string name, int min_count) {
  schema_.inputs.push_back(std::move(name));
  schema_.min_inputs += min_count;
  schema_.max_inputs = -1;
  return *this;
}

OpBuilder& OpBuilder::output(std::string name) {
  schema_.outputs.push_back(std::move(name));
  return *this;
}

OpBuilder& OpBuilder::output_count(OutputCountFn fn) {
  schema_.output_count = std::move(fn);
  return *this;
}

OpBuilder& OpBuilder::attr(std::string name, AttrType type, std::string doc) {
  schema_.attrs.push_back({std::move(name), type, std::nullopt, false, std::move(doc)});
  return *this;
}

OpBuilder& OpBuilder::attr(std::string name, AttrType type, proto::AttrValue default_value, std::string doc) {
  schema_.attrs.push_back({std::move(name), type, std::move(default_value), false, std::move(doc)});
  return *this;
}

OpBuilder& OpBuilder::optional_attr(std::string name, AttrType type, std::string doc) {
  schema_.attrs.push_back({std::move(name), type, std::nullopt, true, std::move(doc)});
  return *this;
}

OpBuilder& OpBuilder::infer(ShapeFn fn) {
  schema_.infer = std::move(fn);
  return *this;
}

OpBuilder& OpBuilder::gradient(GradientFn fn) {
  schema_.gradient = std::move(fn);
  return *this;
}

OpBuilder& OpBuilder::constant() {
  schema_.is_constant = true;
  return *this;
}

OpBuilder& OpBuilder::cost(CostFn fn) {
  schema_.cost = std::move(fn);
  return *this;
}

OpBuilder& OpBuilder::stateful() {
  schema_.is_stateful = true;
  return *this;
}

OpBuilder& OpBuilder::in_place(int output, int input) {
  schema_.in_place.emplace_back(output, input);
  return *this;
}

OpBuilder& OpBuilder::may_overwrite(int output, int input) {
  schema_.may_overwrite.emplace_back(output, input);
  return *this;
}

bool is_layout_oblivious(const OpSchema& schema, const ir::Node& n) {
  if (!schema.elementwise || !schema.elementwise(n.attrs()) || n.num_outputs() == 0) return false;
  const Shape& shape = n.output(0)->type().shape;
  for (size_t i = 0; i < n.num_outputs(); ++i) {
    if (n.output(i)->type().shape != shape) return false;
  }
  return std::all_of(n.inputs().begin(), n.inputs().end(), [&](const ir::Value* v) {
    return v->type().shape == shape || num_elements(v->type().shape) == 1;
  });
}

OpBuilder& OpBuilder::elementwise() {
  return elementwise([](const AttrMap&) { return true; });
}

OpBuilder& OpBuilder::elementwise(std::function<bool(const AttrMap& attrs)> when) {
  schema_.elementwise = std::move(when);
  return *this;
}

OpBuilder& OpBuilder::channels_last(std::vector<int> inputs, std::vector<int> outputs) {
  return channels_last([ports = LayoutPorts{std::move(inputs), std::move(outputs)}](const AttrMap&, size_t) {
    return ports;
  });
}

OpBuilder& OpBuilder::channels_last(LayoutPortsFn fn) {
  schema_.channels_last = std::move(fn);
  return *this;
}

OpSchema OpBuilder::build() && {
  if (!schema_.infer) throw Error("", fmt::format("op '{}' declared without a shape function", schema_.name));
  return std::move(schema_);
}

proto::AttrValue attr_int(int64_t v) {
  proto::AttrValue a;
  a.set_i(v);
  return a;
}
proto::AttrValue attr_float(float v) {
  proto::AttrValue a;
  a.set_f(v);
  return a;
}
proto::AttrValue attr_string(std::string v) {
  proto::AttrValue a;
  a.set_s(std::move(v));
  return a;
}
proto::AttrValue attr_bool(bool v) {
  proto::AttrValue a;
  a.set_b(v);
  return a;
}
proto::AttrValue attr_dtype(DType v) {
  proto::AttrValue a;
  a.set_type(dtype_to_proto(v));
  return a;
}
proto::AttrValue attr_shape(const Shape& v) {
  proto::AttrValue a;
  a.mutable_shape();  // a scalar's shape [] is still a shape
  for (int64_t d : v) a.mutable_shape()->add_dim(d);
  return a;
}
proto::AttrValue attr_ints(const std::vector<int64_t>& v) {
  proto::AttrValue a;
  auto* list = a.mutable_list();
  for (int64_t x : v) list->add_i(x);
  return a;
}
proto::AttrValue attr_floats(const std::vector<float>& v) {
  proto::AttrValue a;
  auto* list = a.mutable_list();
  for (float x : v) list->add_f(x);
  return a;
}
proto::AttrValue attr_tensor(const Tensor& v) {
  proto::AttrValue a;
  *a.mutable_tensor() = tensor_to_proto(v);
  return a;
}

}  // namespace graphc::ops
