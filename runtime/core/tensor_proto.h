// Conversion between TensorProto (the file format) and Tensor.
#pragma once

#include <filesystem>
#include <string>

#include "graphc/tensor.h"
#include "proto/graph.pb.h"

namespace graphc {

/// Decodes a TensorProto. `where` names its owner for errors (a node, a
/// file); `base_dir` resolves external data, which may not leave base_dir.
/// Throws graphc::Error when the data disagree with dtype and dims.
Tensor tensor_from_proto(const proto::TensorProto& proto, const std::string& where,
                         const std::filesystem::path& base_dir = {});

/// Encodes as dtype, dims and raw_data.
proto::TensorProto tensor_to_proto(const Tensor& tensor);

/// `dims` as a Shape, checked: no negative dim, and a byte count that fits
/// in 64 bits for any dtype. Shared by every tensor decoder (ours, ONNX's).
Shape checked_tensor_dims(const Shape& dims, const std::string& where);

DType dtype_from_proto(proto::DataType dtype, const std::string& where);
proto::DataType dtype_to_proto(DType dtype);

}  // namespace graphc
