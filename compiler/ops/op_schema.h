// An op's declaration: inputs, outputs, attributes with defaults, and its
// shape/dtype inference. Each op family file under compiler/ops/ declares
// its ops once; passes and the importer look them up in the OpRegistry.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/graph.h"
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

/// The work of one node, for the placement cost model.
struct OpCost {
  double flops = 0;  // floating-point operations (a multiply-add counts 2)
  double bytes = 0;  // bytes read and written
};
/// An op's cost given its attributes and static input/output types. Ops
/// without one cost one flop per output element plus the bytes they touch.
using CostFn = std::function<OpCost(const AttrMap&, const std::vector<TensorType>& inputs,
                                    const std::vector<TensorType>& outputs)>;

/// What a gradient builder sees while the autodiff pass differentiates one
/// node: the forward node, the gradients flowing into its outputs, and a way
/// to add nodes to the graph. The pass implements add_node (unique names,
/// types inferred at once, so every value a builder sees is typed).
class GradientContext {
 public:
  virtual ~GradientContext() = default;

  /// The forward node being differentiated (its values are typed).
  virtual const ir::Node& node() const = 0;
  /// The gradient of the loss with respect to output i (same type as the
  /// output), or null when none flows into it.
  virtual ir::Value* output_grad(size_t i) const = 0;
  /// Whether the gradient of input i is needed (it leads to a value being
  /// differentiated); builders may skip the others.
  virtual bool wants_grad(size_t i) const = 0;
  /// Adds a node named after the forward node; returns its typed outputs.
  /// Attributes not given take their schema defaults.
  virtual std::vector<ir::Value*> add_node(const std::string& op, const std::vector<ir::Value*>& inputs,
                                           std::map<std::string, proto::AttrValue> attrs, int num_outputs) = 0;

  // Conveniences over the above (compiler/ops/gradient_context.cc).
  const AttrMap& attrs() const { return node().attrs(); }
  ir::Value* input(size_t i) const { return node().input(i); }
  ir::Value* output(size_t i = 0) const { return node().output(i); }
  ir::Value* grad() const { return output_grad(0); }
  /// A single-output node.
  ir::Value* add(const std::string& op, const std::vector<ir::Value*>& inputs,
                 std::map<std::string, proto::AttrValue> attrs = {});
  /// An f32 scalar constant.
  ir::Value* scalar(float value);
  /// `value` reshaped to `shape` (no node when it already has that shape).
  ir::Value* reshape(ir::Value* value, const Shape& shape);
  /// The gradient of a value of shape `shape` that was broadcast to
  /// `grad`'s shape: `grad` summed over the broadcast axes, then reshaped.
  ir::Value* reduce_to(ir::Value* grad, const Shape& shape);
  /// `value` broadcast to `shape` (Expand; no node when it has it).
  ir::Value* broadcast_to(ir::Value* value, const Shape& shape);
  /// Throws graphc::Error naming the forward node.
  [[noreturn]] void fail(const std::string& message) const;
};

/// Builds the gradients of a node's inputs: one entry per input, null where
/// no gradient flows (integer inputs, inputs not wanted, stop-gradient inputs
/// such as BatchNormTraining's running statistics). Ops without one are not
/// differentiable; the autodiff pass names the node when a gradient must flow
/// through such an op. Only f32 values carry gradients.
using GradientFn = std::function<std::vector<ir::Value*>(GradientContext&)>;

/// Input and output indices of a node (OpSchema::channels_last).
struct LayoutPorts {
  std::vector<int> inputs;
  std::vector<int> outputs;
};
using LayoutPortsFn = std::function<LayoutPorts(const AttrMap& attrs, size_t num_inputs)>;

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
  GradientFn gradient;  // null: not differentiable
  CostFn cost;  // null: the default (see CostFn)
  /// Graph sources with no inputs whose value is fixed at compile time (Const).
  bool is_constant = false;
  /// Has effects or identity beyond its value (Placeholder, Variable): never
  /// folded, deduplicated or removed as dead if it is a signature input.
  bool is_stateful = false;
  /// (output, input) pairs whose kernel may write the output into the
  /// input's own buffer: each element is read before it is written. An
  /// assignment (ir::Assignment) needs this of the node producing the new
  /// value, for the Variable it updates (the optimizer update ops), and
  /// the optimizer and autodiff passes read it as "this input is state the
  /// op updates". Implies may_overwrite.
  std::vector<std::pair<int, int>> in_place;
  /// (output, input) pairs whose kernels may write the output over the input
  /// (of the same type) when nothing reads the input afterwards: every
  /// kernel of the op reads element i of the input before it writes element
  /// i of the output, and reads no element of the input after writing it. A
  /// permission for the memory planner (compiler/lower/memory_plan.cc), not
  /// a state update: elementwise ops such as Relu and Add declare it.
  std::vector<std::pair<int, int>> may_overwrite;
  /// Whether a node's output element i is a function of element i of each
  /// input of the output's shape (other inputs broadcast): with every
  /// operand of one shape, the node computes the same in any layout they all
  /// share, so assign-layout may leave its operands channels-last
  /// (Step.layout_oblivious). Null: never.
  std::function<bool(const AttrMap& attrs)> elementwise;
  /// The inputs and outputs of a node that its optimised kernels also read
  /// or write stored channels-last (runtime/core/layout.h), and that
  /// assign-layout may so keep; null: none.
  LayoutPortsFn channels_last;

  int num_outputs(const AttrMap& attrs) const {
    return output_count ? output_count(attrs) : static_cast<int>(outputs.size());
  }
  const AttrSpec* find_attr(const std::string& attr) const;
};

/// Whether node `n` computes the same whatever one layout its operands
/// share: its op is elementwise and every operand has the output's shape or
/// is a scalar.
bool is_layout_oblivious(const OpSchema& schema, const ir::Node& n);

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
  OpBuilder& gradient(GradientFn fn);
  OpBuilder& constant();
  OpBuilder& stateful();
  OpBuilder& in_place(int output, int input);
  OpBuilder& may_overwrite(int output, int input);
  OpBuilder& cost(CostFn fn);
  OpBuilder& elementwise();  // always
  OpBuilder& elementwise(std::function<bool(const AttrMap& attrs)> when);
  OpBuilder& channels_last(std::vector<int> inputs, std::vector<int> outputs);
  OpBuilder& channels_last(LayoutPortsFn fn);

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
