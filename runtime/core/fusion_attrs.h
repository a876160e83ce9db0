// What the fused ops' attributes mean, shared by the compiler (shape
// inference, codegen) and the kernels (compiler/ops/fused_ops.cc documents
// the ops).
#pragma once

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

/// A FusedElementwise node's body (throws graphc::Error naming the node
/// when it is not a GraphDef in text format).
proto::GraphDef fused_body(const AttrMap& attrs);

}  // namespace graphc
