// ONNX -> IR. The importer produces the same ir::Graph as import_graphdef,
// with the same checks, from an onnx::ModelProto.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "compiler/import/graphdef_import.h"
#include "compiler/ir/graph.h"
#include "graphc/tensor.h"
#include "onnx/onnx_pb.h"

namespace graphc {

/// The newest default-domain ONNX opset the importer understands.
constexpr int kMaxOnnxOpset = 17;

struct OnnxImportOptions {
  /// Input shapes replacing the declared ones (symbolic dims are -1).
  ShapeOverrides shapes;
  /// Graph inputs to bind to fixed values: they become Const nodes instead
  /// of Placeholders (used when an input decides shapes, e.g. Reshape's).
  std::map<std::string, Tensor> constant_inputs;
};

/// Builds the IR of an ONNX model. Initializers become Const nodes (and are
/// not inputs, even when listed as graph inputs); graph inputs become
/// Placeholders named by the signature after their ONNX names, symbolic dims
/// -1. Every node name is a valid, unique graphc name derived from the ONNX
/// name; errors quote the original. A model with ops graphc cannot convert
/// fails with one error listing all of them with counts and node names.
/// `source` is the model's path: it names the file in errors and locates
/// external data (which may not leave its directory).
std::unique_ptr<ir::Graph> import_onnx(const onnx::ModelProto& model, const std::filesystem::path& source,
                                       const OnnxImportOptions& options = {});

/// read_onnx_model + import_onnx.
std::unique_ptr<ir::Graph> load_onnx(const std::filesystem::path& path, const OnnxImportOptions& options = {});

/// The ONNX op types the importer converts (for reports and docs).
std::vector<std::string> supported_onnx_ops();

}  // namespace graphc
