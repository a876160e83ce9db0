// ONNX files and tensors, with every size checked before a byte is copied:
// a few bytes of a corrupt file may claim a huge tensor.
#include "compiler/import/onnx_model.h"

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>

#include "graphc/error.h"
#include "runtime/core/tensor_proto.h"
#include "runtime/core/file_io.h"

namespace graphc {

namespace {

template <class Message>
Message parse_file(const std::filesystem::path& path, const char* what) {
  std::string bytes = read_file(path);
  Message message;
  google::protobuf::io::CodedInputStream stream(reinterpret_cast<const uint8_t*>(bytes.data()),
                                                static_cast<int>(std::min<size_t>(bytes.size(), INT32_MAX)));
  stream.SetRecursionLimit(200);
  if (bytes.size() > static_cast<size_t>(INT32_MAX) || !message.ParseFromCodedStream(&stream) ||
      !stream.ConsumedEntireMessage()) {
    throw Error(path.string(), fmt::format("not a valid {}: the file does not parse (truncated or corrupt?)", what));
  }
  return message;
}

/// Reads `t.byte_size()` bytes of external data described by the tensor's
/// `external_data` entries (location, offset, length).
void read_external(const onnx::TensorProto& p, const std::filesystem::path& base_dir, Tensor& t,
                   const std::string& where) {
  namespace fs = std::filesystem;
  std::string location;
  int64_t offset = 0;
  std::optional<int64_t> length;
  for (const auto& entry : p.external_data()) {
    auto parse_int = [&](const std::string& text) {
      try {
        size_t used = 0;
        long long v = std::stoll(text, &used);
        if (used != text.size() || v < 0) throw std::invalid_argument("bad");
        return static_cast<int64_t>(v);
      } catch (const std::exception&) {
        throw Error(where, fmt::format("external data '{}' = '{}' is not a non-negative integer", entry.key(), text));
      }
    };
    if (entry.key() == "location") location = entry.value();
    if (entry.key() == "offset") offset = parse_int(entry.value());
    if (entry.key() == "length") length = parse_int(entry.value());
  }
  if (length && *length != static_cast<int64_t>(t.byte_size())) {
    throw Error(where, fmt::format("external data length {} does not match the tensor's {} bytes ({} {})", *length,
                                   t.byte_size(), dtype_name(t.dtype()), shape_to_string(t.shape())));
  }
  fs::path rel(location);
  if (location.empty() || rel.is_absolute()) {
    throw Error(where, fmt::format("external data location '{}' must be a path relative to the model's directory",
                                   location));
  }
  fs::path base = fs::weakly_canonical(base_dir.empty() ? fs::current_path() : base_dir);
  fs::path full = fs::weakly_canonical(base / rel);
  auto [end, unused] = std::mismatch(base.begin(), base.end(), full.begin(), full.end());
  if (end != base.end() || full == base) {
    throw Error(where, fmt::format("external data location '{}' leaves the model's directory", location));
  }
  std::error_code ec;
  auto file_size = fs::file_size(full, ec);
  if (ec) throw Error(where, fmt::format("cannot read external data file '{}': {}", full.string(), ec.message()));
  if (static_cast<uint64_t>(offset) > file_size || file_size - static_cast<uint64_t>(offset) < t.byte_size()) {
    throw Error(where, fmt::format("external data [{}, +{}) lies past the end of '{}' ({} bytes)", offset,
                                   t.byte_size(), full.string(), file_size));
  }
  std::ifstream in(full, std::ios::binary);
  in.seekg(offset);
  in.read(static_cast<char*>(t.raw_data()), static_cast<std::streamsize>(t.byte_size()));
  if (!in) throw Error(where, fmt::format("failed reading external data from '{}'", full.string()));
}

template <class Dst, class Field>
void copy_typed(const Field& values, Tensor& t) {
  Dst* out = static_cast<Dst*>(t.raw_data());
  for (int i = 0; i < values.size(); ++i) out[i] = static_cast<Dst>(values[i]);
}

}  // namespace

bool is_onnx_path(const std::filesystem::path& path) { return path.extension() == ".onnx"; }

onnx::ModelProto read_onnx_model(const std::filesystem::path& path) {
  return parse_file<onnx::ModelProto>(path, "ONNX model");
}

onnx::TensorProto read_onnx_tensor_file(const std::filesystem::path& path) {
  return parse_file<onnx::TensorProto>(path, "ONNX TensorProto file");
}

std::optional<DType> dtype_from_onnx(int32_t elem_type) {
  switch (elem_type) {
    case onnx::TensorProto::FLOAT: return DType::f32;
    case onnx::TensorProto::FLOAT16: return DType::f16;
    case onnx::TensorProto::BFLOAT16: return DType::bf16;
    case onnx::TensorProto::INT8: return DType::i8;
    case onnx::TensorProto::INT32: return DType::i32;
    case onnx::TensorProto::INT64: return DType::i64;
    case onnx::TensorProto::BOOL: return DType::boolean;
    default: return std::nullopt;
  }
}

std::string onnx_dtype_name(int32_t elem_type) {
  if (onnx::TensorProto::DataType_IsValid(elem_type)) {
    return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(elem_type));
  }
  return fmt::format("<invalid dtype {}>", elem_type);
}

int32_t dtype_to_onnx(DType dtype) {
  switch (dtype) {
    case DType::f32: return onnx::TensorProto::FLOAT;
    case DType::f16: return onnx::TensorProto::FLOAT16;
    case DType::bf16: return onnx::TensorProto::BFLOAT16;
    case DType::i8: return onnx::TensorProto::INT8;
    case DType::i32: return onnx::TensorProto::INT32;
    case DType::i64: return onnx::TensorProto::INT64;
    case DType::boolean: return onnx::TensorProto::BOOL;
  }
  return onnx::TensorProto::UNDEFINED;
}

Tensor tensor_from_onnx(const onnx::TensorProto& p, const std::string& where, const std::filesystem::path& base_dir) {
  std::optional<DType> maybe_dtype = dtype_from_onnx(p.data_type());
  if (!maybe_dtype) {
    throw Error(where, fmt::format("tensor dtype {} is not supported (graphc has FLOAT, FLOAT16, BFLOAT16, INT8, "
                                   "INT32, INT64, BOOL)",
                                   onnx_dtype_name(p.data_type())));
  }
  DType dtype = *maybe_dtype;
  if (p.has_segment()) throw Error(where, "segmented tensors are not supported");
  Shape shape = checked_tensor_dims(Shape(p.dims().begin(), p.dims().end()), where);
  const int64_t count = num_elements(shape);
  const size_t byte_size = static_cast<size_t>(count) * dtype_size(dtype);
  const bool external = p.data_location() == onnx::TensorProto::EXTERNAL;
  if (!external && p.external_data_size() > 0) {
    throw Error(where, "tensor has external_data entries but data_location is not EXTERNAL");
  }
  // The typed field each dtype may use (ONNX stores f16/bf16 bits, int8 and
  // bool in int32_data).
  int typed = 0;
  switch (dtype) {
    case DType::f32: typed = p.float_data_size(); break;
    case DType::i64: typed = p.int64_data_size(); break;
    default: typed = p.int32_data_size(); break;
  }
  int all_typed = p.float_data_size() + p.int32_data_size() + p.int64_data_size() + p.double_data_size() +
                  p.uint64_data_size() + p.string_data_size();
  if (all_typed != typed) {
    throw Error(where, fmt::format("tensor of dtype {} stores values in a field of another dtype",
                                   onnx_dtype_name(p.data_type())));
  }
  int sources = p.has_raw_data() + (typed > 0) + external;
  if (sources > 1) throw Error(where, "tensor has data in more than one of raw_data, typed values and external data");
  if (sources == 0 && count != 0) {
    throw Error(where, fmt::format("tensor of shape {} has no data", shape_to_string(shape)));
  }
  if (p.has_raw_data() && p.raw_data().size() != byte_size) {
    throw Error(where, fmt::format("raw_data has {} bytes but {} {} needs {}", p.raw_data().size(), dtype_name(dtype),
                                   shape_to_string(shape), byte_size));
  }
  if (typed > 0 && typed != count) {
    throw Error(where, fmt::format("tensor of shape {} needs {} values, found {}", shape_to_string(shape), count,
                                   typed));
  }

  Tensor t(dtype, std::move(shape));
  if (external) {
    read_external(p, base_dir, t, where);
  } else if (p.has_raw_data()) {
    std::memcpy(t.raw_data(), p.raw_data().data(), byte_size);
  } else if (typed > 0) {
    switch (dtype) {
      case DType::f32: copy_typed<float>(p.float_data(), t); break;
      case DType::i64: copy_typed<int64_t>(p.int64_data(), t); break;
      case DType::i32: copy_typed<int32_t>(p.int32_data(), t); break;
      case DType::i8: copy_typed<int8_t>(p.int32_data(), t); break;
      case DType::f16:
      case DType::bf16: copy_typed<uint16_t>(p.int32_data(), t); break;
      case DType::boolean: {
        bool* out = static_cast<bool*>(t.raw_data());
        for (int i = 0; i < typed; ++i) out[i] = p.int32_data(i) != 0;
        break;
      }
    }
  }
  if (dtype == DType::boolean) {
    // raw bytes other than 0/1 are not valid bools in C++: normalise them.
    auto* bytes = static_cast<uint8_t*>(t.raw_data());
    for (size_t i = 0; i < byte_size; ++i) bytes[i] = bytes[i] != 0;
  }
  return t;
}

}  // namespace graphc
