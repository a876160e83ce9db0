// The op registry: every op graphc knows, declared once per op family.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/ops/op_schema.h"

namespace graphc::ops {

class OpRegistry {
 public:
  /// The registry of all built-in ops.
  static const OpRegistry& global();

  void add(OpSchema schema);
  /// Takes the builder a fluent chain returns: r.add(OpBuilder("Relu")...infer(f)).
  void add(OpBuilder builder) { add(std::move(builder).build()); }
  /// Null for an unknown op.
  const OpSchema* find(const std::string& op) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, OpSchema> schemas_;
};

// One registration function per op family file.
void register_graph_ops(OpRegistry& r);        // graph_ops.cc: Placeholder, Const, Variable, Identity
void register_elementwise_ops(OpRegistry& r);  // elementwise_ops.cc: unary/binary math, activations, Cast
void register_linalg_ops(OpRegistry& r);       // linalg_ops.cc: MatMul, Dense
void register_nn_ops(OpRegistry& r);           // nn_ops.cc: Conv2D, pooling, BatchNorm, LayerNorm, Softmax
void register_reduce_ops(OpRegistry& r);       // reduce_ops.cc: ReduceSum/Mean/Max
void register_shape_ops(OpRegistry& r);        // shape_ops.cc: Reshape, Transpose, Concat, Split, Slice, Gather, Flatten, Pad
void register_math_ops(OpRegistry& r);         // math_ops.cc: rounding, trig, parameterised activations, Mod, PRelu
void register_logical_ops(OpRegistry& r);      // logical_ops.cc: comparisons, And/Or/Xor/Not, Where
void register_tensor_ops(OpRegistry& r);       // tensor_ops.cc: Squeeze, Unsqueeze, Shape, Size, Expand, Tile, ...
void register_arg_reduce_ops(OpRegistry& r);   // arg_reduce_ops.cc: ArgMax, ArgMin, ReduceMin, ReduceProd
void register_resize_ops(OpRegistry& r);       // resize_ops.cc: Resize
void register_index_ops(OpRegistry& r);        // index_ops.cc: TopK, GatherND, ScatterND
void register_rnn_ops(OpRegistry& r);          // rnn_ops.cc: LSTM, GRU and their backward ops
void register_gradient_ops(OpRegistry& r);     // gradient_ops.cc: backward ops
void register_loss_ops(OpRegistry& r);         // loss_ops.cc: SoftmaxCrossEntropy, MeanSquaredError
void register_optimizer_ops(OpRegistry& r);    // optimizer_ops.cc: SGDUpdate, MomentumUpdate, AdamUpdate
void register_fused_ops(OpRegistry& r);        // fused_ops.cc: FusedConv2D/Dense/MatMul, FusedElementwise (made by the fusion passes)

}  // namespace graphc::ops
