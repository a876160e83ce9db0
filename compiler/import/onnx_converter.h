// How one ONNX node becomes graphc IR: a converter per ONNX op type, given an
// OnnxNode that reads the node's inputs and attributes and emits graphc nodes.
//
// Converters lower ONNX forms onto the registry's ops (Gemm -> MatMul + Mul +
// Add, Conv's auto_pad -> explicit pads, ...) and apply each opset's
// semantics (attributes that became inputs, changed defaults). Inputs that
// decide shapes (Reshape's shape, Slice's starts, ...) must be known when the
// graph is compiled: OnnxNode::constant_input evaluates them from constants
// and from the static types of values (Shape of a typed value is a
// constant), so shape subgraphs fold as soon as input shapes are fixed.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/graph.h"
#include "graphc/tensor.h"
#include "onnx/onnx_pb.h"
#include "proto/graph.pb.h"

namespace graphc::onnx_import {

class ImportState;

/// Attributes of an emitted graphc node (schema defaults are filled in).
using Attrs = std::map<std::string, proto::AttrValue>;

class OnnxNode {
 public:
  OnnxNode(ImportState& state, const onnx::NodeProto& node, int index, int opset);

  const onnx::NodeProto& proto() const { return node_; }
  const std::string& op_type() const { return node_.op_type(); }
  /// The default-domain opset the model imports.
  int opset() const { return opset_; }
  /// The node's ONNX name ("#index" when it has none), for errors.
  const std::string& display_name() const { return display_name_; }

  // ---- inputs ----
  /// Number of inputs as written (omitted optional inputs are empty names).
  size_t num_inputs() const { return static_cast<size_t>(node_.input_size()); }
  bool has_input(size_t i) const { return i < num_inputs() && !node_.input(static_cast<int>(i)).empty(); }
  /// Input i; fails when it is absent.
  ir::Value* input(size_t i) const;
  /// Input i's static type; fails (asking for --shape) when it is not known
  /// at import time.
  const TensorType& input_type(size_t i) const;
  /// The static type of `v` when known at import time.
  std::optional<TensorType> type_of(ir::Value* v) const;
  /// Input i's value when it is known at compile time (constants, Shape of
  /// typed values, and pure ops over those), else std::nullopt.
  std::optional<Tensor> constant_input(size_t i) const;
  /// As constant_input, failing with `what` when it is unknown.
  Tensor required_constant(size_t i, const std::string& what) const;
  /// An i32/i64 constant input read as integers.
  std::vector<int64_t> required_ints(size_t i, const std::string& what) const;
  /// A scalar (or one-element) constant input as a double.
  double required_scalar(size_t i, const std::string& what) const;

  // ---- attributes ----
  const onnx::AttributeProto* attr(const std::string& name) const;
  bool has_attr(const std::string& name) const { return attr(name) != nullptr; }
  int64_t attr_int(const std::string& name, int64_t fallback) const;
  float attr_float(const std::string& name, float fallback) const;
  std::string attr_string(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& name, const std::vector<int64_t>& fallback = {}) const;
  std::vector<float> attr_floats(const std::string& name) const;
  /// Fails when the node has attribute `name` (unsupported variants).
  void reject_attr(const std::string& name, const std::string& why) const;

  // ---- emission ----
  /// Adds a graphc node `op` and returns its output 0.
  ir::Value* emit(const std::string& op, const std::vector<ir::Value*>& inputs, const Attrs& attrs = {});
  /// Adds a graphc node with `num_outputs` outputs.
  std::vector<ir::Value*> emit_multi(const std::string& op, const std::vector<ir::Value*>& inputs, const Attrs& attrs,
                                     int num_outputs);
  /// A Const node holding `value`.
  ir::Value* constant(const Tensor& value);
  /// A scalar constant of `dtype` (f32, i32, i64, bool).
  ir::Value* scalar(DType dtype, double value);
  /// A 1-D i64 constant.
  ir::Value* ints_constant(const std::vector<int64_t>& values);

  /// Number of outputs as written (unused optional outputs are empty names).
  size_t num_outputs() const { return static_cast<size_t>(node_.output_size()); }
  bool has_output(size_t i) const { return i < num_outputs() && !node_.output(static_cast<int>(i)).empty(); }
  /// Binds ONNX output i to `value`.
  void set_output(size_t i, ir::Value* value);
  /// Fails unless only the first `count` outputs are used.
  void expect_outputs_at_most(size_t count, const std::string& why) const;

  /// Throws graphc::Error naming the ONNX node (its original name) and op.
  [[noreturn]] void fail(const std::string& message) const;

 private:
  ImportState& state_;
  const onnx::NodeProto& node_;
  int opset_;
  std::string display_name_;
};

using Converter = void (*)(OnnxNode&);

/// ONNX op type -> converter, filled by the converter family files.
using ConverterTable = std::map<std::string, Converter>;

const ConverterTable& converters();

// One registration function per converter family file.
void register_math_converters(ConverterTable& t);   // onnx_math_converters.cc: elementwise, activations, logic
void register_nn_converters(ConverterTable& t);     // onnx_nn_converters.cc: Gemm, Conv, pooling, norms, softmax
void register_shape_converters(ConverterTable& t);  // onnx_shape_converters.cc: reshape, slice, gather, reduce, ...

// Attribute value helpers for emit().
proto::AttrValue a_int(int64_t v);
proto::AttrValue a_float(float v);
proto::AttrValue a_bool(bool v);
proto::AttrValue a_string(std::string v);
proto::AttrValue a_ints(const std::vector<int64_t>& v);
proto::AttrValue a_dtype(DType v);

}  // namespace graphc::onnx_import
