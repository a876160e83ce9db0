// AttrMap: checked attribute access.
#include "runtime/core/attr_map.h"

#include <fmt/format.h>

#include "graphc/error.h"
#include "runtime/core/tensor_proto.h"

namespace graphc {

const char* attr_kind_name(proto::AttrValue::ValueCase kind) {
  switch (kind) {
    case proto::AttrValue::kI: return "int";
    case proto::AttrValue::kF: return "float";
    case proto::AttrValue::kS: return "string";
    case proto::AttrValue::kB: return "bool";
    case proto::AttrValue::kType: return "type";
    case proto::AttrValue::kShape: return "shape";
    case proto::AttrValue::kTensor: return "tensor";
    case proto::AttrValue::kList: return "list";
    case proto::AttrValue::VALUE_NOT_SET: return "nothing";
  }
  return "unknown";
}

const proto::AttrValue& AttrMap::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw Error::at_node(node_, op_, fmt::format("missing attribute '{}'", name));
  return it->second;
}

const proto::AttrValue& AttrMap::expect(const std::string& name, proto::AttrValue::ValueCase kind) const {
  const proto::AttrValue& v = get(name);
  if (v.value_case() != kind) {
    throw Error::at_node(node_, op_,
                         fmt::format("attribute '{}' must be {}, found {}", name, attr_kind_name(kind),
                                     attr_kind_name(v.value_case())));
  }
  return v;
}

int64_t AttrMap::get_int(const std::string& name) const { return expect(name, proto::AttrValue::kI).i(); }
float AttrMap::get_float(const std::string& name) const { return expect(name, proto::AttrValue::kF).f(); }
const std::string& AttrMap::get_string(const std::string& name) const {
  return expect(name, proto::AttrValue::kS).s();
}
bool AttrMap::get_bool(const std::string& name) const { return expect(name, proto::AttrValue::kB).b(); }

DType AttrMap::get_dtype(const std::string& name) const {
  return dtype_from_proto(expect(name, proto::AttrValue::kType).type(),
                          fmt::format("node '{}' ({}) attribute '{}'", node_, op_, name));
}

Shape AttrMap::get_shape(const std::string& name) const {
  const auto& dims = expect(name, proto::AttrValue::kShape).shape().dim();
  return Shape(dims.begin(), dims.end());
}

const proto::TensorProto& AttrMap::get_tensor(const std::string& name) const {
  return expect(name, proto::AttrValue::kTensor).tensor();
}

std::vector<int64_t> AttrMap::get_ints(const std::string& name) const {
  const auto& l = expect(name, proto::AttrValue::kList).list();
  if (l.f_size() != 0 || l.s_size() != 0) {
    throw Error::at_node(node_, op_, fmt::format("attribute '{}' must be a list of ints", name));
  }
  return {l.i().begin(), l.i().end()};
}

std::vector<float> AttrMap::get_floats(const std::string& name) const {
  const auto& l = expect(name, proto::AttrValue::kList).list();
  if (l.i_size() != 0 || l.s_size() != 0) {
    throw Error::at_node(node_, op_, fmt::format("attribute '{}' must be a list of floats", name));
  }
  return {l.f().begin(), l.f().end()};
}

std::vector<std::string> AttrMap::get_strings(const std::string& name) const {
  const auto& l = expect(name, proto::AttrValue::kList).list();
  if (l.i_size() != 0 || l.f_size() != 0) {
    throw Error::at_node(node_, op_, fmt::format("attribute '{}' must be a list of strings", name));
  }
  return {l.s().begin(), l.s().end()};
}

std::string attr_to_string(const proto::AttrValue& value) {
  switch (value.value_case()) {
    case proto::AttrValue::kI: return std::to_string(value.i());
    case proto::AttrValue::kF: return fmt::format("{}", value.f());
    case proto::AttrValue::kS: return fmt::format("\"{}\"", value.s());
    case proto::AttrValue::kB: return value.b() ? "true" : "false";
    case proto::AttrValue::kType:
      return is_valid_dtype(value.type()) ? std::string(dtype_name(static_cast<DType>(value.type()))) : "invalid";
    case proto::AttrValue::kShape: return shape_to_string(Shape(value.shape().dim().begin(), value.shape().dim().end()));
    case proto::AttrValue::kTensor: {
      const auto& t = value.tensor();
      std::string dtype = is_valid_dtype(t.dtype()) ? std::string(dtype_name(static_cast<DType>(t.dtype()))) : "?";
      return fmt::format("tensor<{}{}>", dtype, shape_to_string(Shape(t.dims().begin(), t.dims().end())));
    }
    case proto::AttrValue::kList: {
      const auto& l = value.list();
      if (l.f_size() != 0) return fmt::format("[{}]", fmt::join(l.f(), ","));
      if (l.s_size() != 0) return fmt::format("[\"{}\"]", fmt::join(l.s(), "\",\""));
      return fmt::format("[{}]", fmt::join(l.i(), ","));
    }
    case proto::AttrValue::VALUE_NOT_SET: return "<unset>";
  }
  return "?";
}

}  // namespace graphc
