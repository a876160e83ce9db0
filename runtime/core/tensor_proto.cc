// TensorProto <-> Tensor, with every size checked before a byte is copied.
#include "runtime/core/tensor_proto.h"

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <limits>

#include "graphc/error.h"

namespace graphc {

DType dtype_from_proto(proto::DataType dtype, const std::string& where) {
  if (!is_valid_dtype(dtype)) {
    throw Error(where, fmt::format("invalid dtype {} (expected one of DT_FLOAT, DT_HALF, DT_BFLOAT16, DT_INT8, "
                                   "DT_INT32, DT_INT64, DT_BOOL)",
                                   proto::DataType_Name(dtype).empty() ? std::to_string(dtype)
                                                                       : proto::DataType_Name(dtype)));
  }
  return static_cast<DType>(dtype);
}

proto::DataType dtype_to_proto(DType dtype) { return static_cast<proto::DataType>(dtype); }

Shape checked_tensor_dims(const Shape& shape, const std::string& where) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error(where, fmt::format("tensor dims {} contain a negative dim", shape_to_string(shape)));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / 16 / d) {
      throw Error(where, fmt::format("tensor dims {} overflow", shape_to_string(shape)));
    }
    n *= d;
  }
  return shape;
}

namespace {

/// Copies external data into `t`, whose byte size the caller has checked
/// against `ext.length()`.
void read_external(const proto::ExternalData& ext, const std::filesystem::path& base_dir, Tensor& t,
                   const std::string& where) {
  namespace fs = std::filesystem;
  fs::path rel(ext.path());
  if (ext.path().empty() || rel.is_absolute()) {
    throw Error(where, fmt::format("external data path '{}' must be relative to the model's directory", ext.path()));
  }
  fs::path base = fs::weakly_canonical(base_dir.empty() ? fs::current_path() : base_dir);
  fs::path full = fs::weakly_canonical(base / rel);
  auto [end, unused] = std::mismatch(base.begin(), base.end(), full.begin(), full.end());
  if (end != base.end()) {
    throw Error(where, fmt::format("external data path '{}' leaves the model's directory", ext.path()));
  }
  std::error_code ec;
  auto file_size = fs::file_size(full, ec);
  if (ec) throw Error(where, fmt::format("cannot read external data file '{}': {}", full.string(), ec.message()));
  if (ext.offset() < 0 || static_cast<uint64_t>(ext.offset()) > file_size ||
      file_size - static_cast<uint64_t>(ext.offset()) < t.byte_size()) {
    throw Error(where, fmt::format("external data [{}, +{}) lies past the end of '{}' ({} bytes)", ext.offset(),
                                   ext.length(), full.string(), file_size));
  }
  std::ifstream in(full, std::ios::binary);
  in.seekg(ext.offset());
  in.read(static_cast<char*>(t.raw_data()), static_cast<std::streamsize>(t.byte_size()));
  if (!in) throw Error(where, fmt::format("failed reading external data from '{}'", full.string()));
}

/// The typed-value field a dtype uses, or null when it has none (f16, bf16).
const char* typed_field(DType dtype) {
  switch (dtype) {
    case DType::f32: return "float_val";
    case DType::i8:
    case DType::i32:
    case DType::boolean: return "int_val";
    case DType::i64: return "int64_val";
    default: return nullptr;
  }
}

template <class Dst, class Field>
void copy_typed(const Field& values, Tensor& t) {
  Dst* out = static_cast<Dst*>(t.raw_data());
  for (int i = 0; i < values.size(); ++i) out[i] = static_cast<Dst>(values[i]);
}

}  // namespace

Tensor tensor_from_proto(const proto::TensorProto& p, const std::string& where,
                         const std::filesystem::path& base_dir) {
  DType dtype = dtype_from_proto(p.dtype(), where);
  Shape shape = checked_tensor_dims(Shape(p.dims().begin(), p.dims().end()), where);
  const int64_t count = num_elements(shape);
  const size_t byte_size = static_cast<size_t>(count) * dtype_size(dtype);
  const int typed_values = p.float_val_size() + p.int_val_size() + p.int64_val_size();
  int sources = (!p.raw_data().empty()) + (typed_values > 0) + p.has_external();
  if (sources > 1) throw Error(where, "tensor has data in more than one of raw_data, typed values and external");

  // Every size is checked before the tensor is allocated: a few bytes of
  // proto may claim a huge shape.
  if (sources == 0 && count != 0) {
    throw Error(where, fmt::format("tensor of shape {} has no data", shape_to_string(shape)));
  }
  if (p.has_external() && p.external().length() != static_cast<int64_t>(byte_size)) {
    throw Error(where, fmt::format("external data length {} does not match the tensor's {} bytes",
                                   p.external().length(), byte_size));
  }
  if (!p.raw_data().empty() && p.raw_data().size() != byte_size) {
    throw Error(where, fmt::format("raw_data has {} bytes but {} {} needs {}", p.raw_data().size(), dtype_name(dtype),
                                   shape_to_string(shape), byte_size));
  }
  if (typed_values > 0) {
    const char* field = typed_field(dtype);
    int matching = dtype == DType::f32   ? p.float_val_size()
                   : dtype == DType::i64 ? p.int64_val_size()
                   : field != nullptr    ? p.int_val_size()
                                         : 0;
    if (field == nullptr || matching != typed_values) {
      throw Error(where, fmt::format("typed values do not match dtype {} (f32 uses float_val; i8, i32 and bool use "
                                     "int_val; i64 uses int64_val; f16 and bf16 need raw_data)",
                                     dtype_name(dtype)));
    }
    if (matching != count) {
      throw Error(where, fmt::format("tensor of shape {} needs {} values, {} has {}", shape_to_string(shape), count,
                                     field, matching));
    }
  }

  Tensor t(dtype, std::move(shape));
  if (p.has_external()) {
    read_external(p.external(), base_dir, t, where);
  } else if (!p.raw_data().empty()) {
    std::memcpy(t.raw_data(), p.raw_data().data(), byte_size);
  } else if (dtype == DType::f32) {
    copy_typed<float>(p.float_val(), t);
  } else if (dtype == DType::i32) {
    copy_typed<int32_t>(p.int_val(), t);
  } else if (dtype == DType::i8) {
    copy_typed<int8_t>(p.int_val(), t);
  } else if (dtype == DType::boolean) {
    copy_typed<bool>(p.int_val(), t);
  } else if (dtype == DType::i64) {
    copy_typed<int64_t>(p.int64_val(), t);
  }
  return t;
}

proto::TensorProto tensor_to_proto(const Tensor& tensor) {
  proto::TensorProto p;
  p.set_dtype(dtype_to_proto(tensor.dtype()));
  for (int64_t d : tensor.shape()) p.add_dims(d);
  p.set_raw_data(tensor.raw_data(), tensor.byte_size());
  return p;
}

}  // namespace graphc
