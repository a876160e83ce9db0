// What the fused ops' attributes mean, shared by the compiler (shape
// inference, codegen) and the kernels (compiler/ops/fused_ops.cc documents
// the ops).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "proto/graph.pb.h"
#include "runtime/core/attr_map.h"

namespace graphc {

/// A FusedConv2D/FusedDense/FusedMatMul epilogue: `ops` in order, each
/// "Add" (reading the next of the `addends` trailing inputs), "Maximum" or
/// "Minimum" with the next of `scalars` (a clip), or an activation op name;
/// none for an unfused anchor op.
struct Epilogue {
  std::vector<std::string> ops;
  int addends = 0;
  std::vector<float> scalars;
  std::string gelu_approximate = "none";
};

/// The epilogue of a step or node (empty when `attrs` has none).
Epilogue epilogue_of(const AttrMap& attrs);

/// The activations an epilogue may end with.
bool is_epilogue_activation(const std::string& op);
/// Maximum and Minimum with a scalar: the clips an epilogue may hold.
bool is_epilogue_clip(const std::string& op);

/// ReduceSum, ReduceMax and ReduceMean: the reductions a FusedElementwise
/// body may hold, over the iteration shape's last axis with keepdims.
bool is_row_reduction_op(const std::string& op);

/// Whether body node `def` (one of is_row_reduction_op) reduces the last
/// axis of a rank-`rank` input, keeping it as 1.
bool reduces_last_axis(const proto::NodeDef& def, int64_t rank);

/// LabelMask (compiler/ops/loss_ops.cc): 1 where the column is the row's
/// integer label. The one body op that reads an integer value (a per-row
/// Placeholder: labels [N] of an iteration shape [N, C]).
bool is_label_mask_op(const std::string& op);

/// Whether `body` holds a reduction or a LabelMask: its kernel then works
/// row by row.
bool works_row_by_row(const proto::GraphDef& body);

/// The shape of every value of a FusedElementwise body whose Placeholders
/// have `input_shapes` (in order): Consts are scalars, reductions keep the
/// reduced last axis as 1, a LabelMask has its logits' shape, every other
/// op has its inputs' broadcast shape.
/// Throws graphc::Error at `node` when a value has no such shape.
std::map<std::string, Shape> fused_body_shapes(const proto::GraphDef& body, const std::vector<Shape>& input_shapes,
                                               const std::string& node);

/// A FusedElementwise node's body (throws graphc::Error naming the node
/// when it is not a GraphDef in text format).
proto::GraphDef fused_body(const AttrMap& attrs);

}  // namespace graphc
