// Typed, checked access to a node's attributes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "graphc/tensor.h"
#include "proto/graph.pb.h"

namespace graphc {

/// A node's attributes by name. Getters check the stored kind and throw
/// graphc::Error naming the node, the op and the attribute when it is missing
/// or of another kind. The compiler fills in schema defaults, so kernels can
/// rely on every declared attribute being present.
class AttrMap {
 public:
  AttrMap() = default;
  AttrMap(std::string node, std::string op, std::map<std::string, proto::AttrValue> values)
      : node_(std::move(node)), op_(std::move(op)), values_(std::move(values)) {}

  bool has(const std::string& name) const { return values_.count(name) != 0; }

  int64_t get_int(const std::string& name) const;
  float get_float(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  DType get_dtype(const std::string& name) const;
  /// A shape attr; dims may be -1 (unknown).
  Shape get_shape(const std::string& name) const;
  const proto::TensorProto& get_tensor(const std::string& name) const;
  std::vector<int64_t> get_ints(const std::string& name) const;
  std::vector<float> get_floats(const std::string& name) const;
  std::vector<std::string> get_strings(const std::string& name) const;

  const proto::AttrValue& get(const std::string& name) const;
  void set(const std::string& name, proto::AttrValue value) { values_[name] = std::move(value); }
  const std::map<std::string, proto::AttrValue>& values() const { return values_; }

  const std::string& node() const { return node_; }
  const std::string& op() const { return op_; }

 private:
  const proto::AttrValue& expect(const std::string& name, proto::AttrValue::ValueCase kind) const;

  std::string node_;
  std::string op_;
  std::map<std::string, proto::AttrValue> values_;
};

/// Readable name of an AttrValue's kind ("int", "list", ...), for errors.
const char* attr_kind_name(proto::AttrValue::ValueCase kind);

/// Short text form of an attribute value, for printers ("[1,2]", "0.5", "f32").
std::string attr_to_string(const proto::AttrValue& value);

}  // namespace graphc
