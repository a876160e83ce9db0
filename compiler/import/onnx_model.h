// Reading ONNX files: models (.onnx) and tensors (TensorProto .pb files, as
// the ONNX backend test data stores inputs and outputs), and decoding ONNX
// tensors into graphc Tensors.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "graphc/tensor.h"
#include "onnx/onnx_pb.h"

namespace graphc {

/// True for a path with the `.onnx` extension.
bool is_onnx_path(const std::filesystem::path& path);

/// Parses an ONNX model file. A file that does not parse (truncated,
/// corrupt, not ONNX) is a graphc::Error naming the file.
onnx::ModelProto read_onnx_model(const std::filesystem::path& path);

/// Parses a serialised onnx::TensorProto file.
onnx::TensorProto read_onnx_tensor_file(const std::filesystem::path& path);

/// The graphc dtype of an ONNX TensorProto.DataType, or std::nullopt for
/// one graphc does not have (double, unsigned and 16-bit ints, strings, ...).
std::optional<DType> dtype_from_onnx(int32_t elem_type);

/// The ONNX name of an element type ("FLOAT", "DOUBLE", ...), for messages.
std::string onnx_dtype_name(int32_t elem_type);

/// The ONNX element type of a graphc dtype.
int32_t dtype_to_onnx(DType dtype);

/// Decodes an ONNX tensor. `where` names its owner for errors (a node, an
/// initializer, a file). External data is read relative to `base_dir` and
/// may not leave it nor read past the end of its file. Data that disagree
/// with the dims, and dtypes graphc does not have, are errors.
Tensor tensor_from_onnx(const onnx::TensorProto& proto, const std::string& where,
                        const std::filesystem::path& base_dir = {});

}  // namespace graphc
