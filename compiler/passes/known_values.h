// Values known at compile time without running the graph: Const outputs,
// Shape/Size of values with static types, and small pure ops over those
// (evaluated with their reference kernels). Shape inference uses them for
// inputs that decide shapes (Reshape's shape computed by Shape -> Gather ->
// Concat), so such subgraphs work once input shapes are fixed; the ONNX
// importer uses them to read ONNX inputs that graphc ops take as attributes.
#pragma once

#include <optional>
#include <unordered_map>

#include "compiler/ir/graph.h"
#include "graphc/tensor.h"

namespace graphc::passes {

class KnownValues {
 public:
  /// Results larger than this are not evaluated (shape-like values are small).
  static constexpr int64_t kMaxElements = 1 << 16;

  /// The value of `v` when it is known at compile time. Non-Const producers
  /// need static types on their inputs and outputs. Results are memoised:
  /// use one KnownValues while the types it saw stay valid.
  std::optional<Tensor> get(const ir::Value* v);

  /// Records a value known by other means (a Const the caller just made).
  void remember(const ir::Value* v, Tensor value) { cache_[v] = std::move(value); }

 private:
  std::unordered_map<const ir::Value*, std::optional<Tensor>> cache_;
};

/// The value of a Shape or Size node's output from its input's static type,
/// or std::nullopt for other nodes or untyped inputs.
std::optional<Tensor> value_from_types(const ir::Node* n);

}  // namespace graphc::passes
