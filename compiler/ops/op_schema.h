// An op's declaration: inputs, outputs, attributes with defaults, and its
// shape/dtype inference. Each op family file under compiler/ops/ declares
// its ops once; passes and the importer look them up in the OpRegistry.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "graphc/tensor.h"
#include "proto/graph.pb.h"
#include "runtime/core/attr_map.h"

namespace graphc::ops {

enum class AttrType { int_, float_, string, bool_, dtype, shape, tensor, ints, floats, strings };

/// "int", "list(int)", ...
const char* attr_type_name(AttrType type);

struct AttrSpec {
  std::string name;
  AttrType type;
  /// Unset: the attribute is required unless `optional`.
  std::optional<proto::AttrValue> default_value;
  /// May be absent; the op's meaning then differs (e.g. Reshape's `shape`
  /// attr against its shape input).
  bool optional = false;
  std::string doc;
};

/// What a shape function sees. Input types are known; constant inputs (the
/// output of a Const node) are available by value for ops whose output shape
/// depends on data (e.g. Reshape's shape input).
class InferContext {
 public:
  InferContext(const AttrMap& attrs, std::vector<TensorType> inputs, std::vector<const Tensor*> constants)
      : attrs_(attrs), inputs_(std::move(inputs)), constants_(std::move(constants)) {}

  const AttrMap& attrs() const { return attrs_; }
  size_t num_inputs() const { return inputs_.size(); }
  const TensorType& input(size_t i) const { return inputs_.at(i); }
  /// The value of input i when it is a compile-time constant, else null.
  const Tensor* constant(size_t i) const { return i < constants_.size() ? constants_[i] : nullptr; }

  /// Throws graphc::Error naming the node and op.
  [[noreturn]] void fail(const std::string& message) const;

  /// Checks input i's dtype is one of `allowed` (fails with a clear message).
  void expect_dtype(size_t i, std::initializer_list<DType> allowed) const;
  /// Checks input i has rank `rank`.
  void expect_rank(size_t i, int64_t rank) const;
  /// Resolves `axis` against `rank`, failing with the attribute name.
  int64_t axis(int64_t axis, int64_t rank, const char* attr_name = "axis") const;

 private:
  const AttrMap& attrs_;
  std::vector<TensorType> inputs_;
  std::vector<const Tensor*> constants_;
};

using ShapeFn = std::function<std::vector<TensorType>(const InferContext&)>;
/// Number of outputs, for ops whose count depends on attributes (Split).
using OutputCountFn = std::function<int(const AttrMap&)>;

struct OpSchema {
  std::string name;
  std::string doc;
  std::vector<std::string> inputs;  // names, for errors and docs
  int min_inputs = 0;
  int max_inputs = 0;  // -1: variadic
  std::vector<std::string> outputs;
  OutputCountFn output_count;  // null: outputs.size()
  std::vector<AttrSpec> attrs;
  ShapeFn infer;
  /// Graph sources with no inputs whose value is fixed at compile time (Const).
  bool is_constant = false;
  /// Has effects or identity beyond its value (Placeholder, Variable): never
  /// folded, deduplicated or removed as dead if it is a signature input.
  bool is_stateful = false;

  int num_outputs(const AttrMap& attrs) const {
    return output_count ? output_count(attrs) : static_cast<int>(outputs.size());
  }
  const AttrSpec* find_attr(const std::string& attr) const;
};

/// Fluent construction of an OpSchema, as used by the op family files:
///   r.add(OpBuilder("Relu").input("x").output("y").infer(same_as_input(0)));
class OpBuilder {
 public:
  explicit OpBuilder(std::string name) { schema_.name = std::move(name); }

  OpBuilder& doc(std::string text);
  OpBuilder& input(std::string name);                 // required
  OpBuilder& optional_input(std::string name);        // may be omitted (trailing)
  OpBuilder& variadic_input(std::string name, int min_count = 1);
  OpBuilder& output(std::string name);
  OpBuilder& output_count(OutputCountFn fn);
  OpBuilder& attr(std::string name, AttrType type, std::string doc = {});  // required
  OpBuilder& attr(std::string name, AttrType type, proto::AttrValue default_value, std::string doc = {});
  OpBuilder& optional_attr(std::string name, AttrType type, std::string doc = {});
  OpBuilder& infer(ShapeFn fn);
  OpBuilder& constant();
  OpBuilder& stateful();

  OpSchema build() &&;

 private:
  OpSchema schema_;
};

// Attribute default constructors, for OpBuilder::attr.
proto::AttrValue attr_int(int64_t v);
proto::AttrValue attr_float(float v);
proto::AttrValue attr_string(std::string v);
proto::AttrValue attr_bool(bool v);
proto::AttrValue attr_dtype(DType v);
proto::AttrValue attr_shape(const Shape& v);
proto::AttrValue attr_ints(const std::vector<int64_t>& v);
proto::AttrValue attr_floats(const std::vector<float>& v);
proto::AttrValue attr_tensor(const Tensor& v);

/// Whether an AttrValue holds the kind `type` describes.
bool attr_matches(const proto::AttrValue& value, AttrType type);

}  // namespace graphc::ops
