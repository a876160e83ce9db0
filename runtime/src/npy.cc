// NumPy .npy reading and writing.
//
// Format: magic "\x93NUMPY", major/minor version, a little-endian header
// length (2 bytes in 1.0, 4 bytes in 2.0/3.0), then a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded so the
// data starts 64-byte aligned, then the raw C-order data.
#include "graphc/npy.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>
#include <optional>
#include <sstream>

#include "graphc/error.h"
#include "runtime/core/file_io.h"
#include "runtime/src/npy_header_dict.h"

namespace graphc {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct DescrEntry {
  const char* descr;
  DType dtype;
};
constexpr DescrEntry kDescrs[] = {
    {"<f4", DType::f32}, {"<f2", DType::f16}, {"<i4", DType::i32}, {"<i8", DType::i64},
    {"|i1", DType::i8},  {"|b1", DType::boolean},
};

std::optional<DType> dtype_of_descr(const std::string& descr) {
  for (const auto& e : kDescrs) {
    if (descr == e.descr) return e.dtype;
  }
  return std::nullopt;
}

const char* descr_of_dtype(DType dtype) {
  for (const auto& e : kDescrs) {
    if (e.dtype == dtype) return e.descr;
  }
  return nullptr;
}

}  // namespace

Tensor read_npy(const std::filesystem::path& path) {
  std::string bytes = read_file(path);

  if (bytes.size() < kMagicSize + 4 || bytes.compare(0, kMagicSize, kMagic, kMagicSize) != 0) {
    throw Error(path.string(), "not a .npy file (missing the \\x93NUMPY magic)");
  }
  int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0;
  size_t header_start = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw Error(path.string(), "truncated .npy header");
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    header_start = 12;
  } else {
    throw Error(path.string(), fmt::format(".npy format version {} is not supported (expected 1, 2 or 3)", major));
  }
  if (bytes.size() < header_start + header_len) throw Error(path.string(), "truncated .npy header");

  NpyHeaderDict header(bytes.substr(header_start, header_len), path.string());
  std::string descr = header.string_value("descr");
  bool fortran = header.bool_value("fortran_order");
  Shape shape = header.shape_value("shape");

  auto dtype = dtype_of_descr(descr);
  if (!dtype) {
    throw Error(path.string(),
                fmt::format("unsupported .npy dtype '{}' (expected little-endian float32 '<f4', float16 '<f2', int32 "
                            "'<i4', int64 '<i8', int8 '|i1' or bool '|b1'; convert with .astype())",
                            descr));
  }
  if (fortran) throw Error(path.string(), "Fortran-order .npy arrays are not supported (save with np.ascontiguousarray)");

  int64_t count = 1;
  for (int64_t d : shape) {
    if (d != 0 && count > std::numeric_limits<int64_t>::max() / 16 / d) {
      throw Error(path.string(), fmt::format("shape {} is too large", shape_to_string(shape)));
    }
    count *= d;
  }
  // Checked before allocating: a tiny file may claim a huge shape.
  size_t needed = static_cast<size_t>(count) * dtype_size(*dtype);
  size_t data_start = header_start + header_len;
  size_t available = bytes.size() - data_start;
  if (available != needed) {
    throw Error(path.string(), fmt::format("{} {} needs {} data bytes, the file has {}", dtype_name(*dtype),
                                           shape_to_string(shape), needed, available));
  }
  Tensor t(*dtype, shape);
  if (t.byte_size() != 0) std::memcpy(t.raw_data(), bytes.data() + data_start, t.byte_size());
  return t;
}

void write_npy(const std::filesystem::path& path, const Tensor& tensor) {
  const Tensor* source = &tensor;
  Tensor widened;
  if (tensor.dtype() == DType::bf16) {
    // NumPy has no bfloat16: widen to float32 (exact).
    widened = Tensor(DType::f32, tensor.shape());
    const auto* in = static_cast<const uint16_t*>(tensor.raw_data());
    auto* out = static_cast<uint32_t*>(widened.raw_data());
    for (int64_t i = 0; i < tensor.num_elements(); ++i) out[i] = static_cast<uint32_t>(in[i]) << 16;
    source = &widened;
  }
  std::string shape = source->shape().size() == 1 ? fmt::format("({},)", source->shape()[0])
                                                  : fmt::format("({})", fmt::join(source->shape(), ", "));
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
                                 descr_of_dtype(source->dtype()), shape);
  // Pad with spaces and a newline so the data starts 64-byte aligned.
  size_t unpadded = kMagicSize + 4 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  if (dict.size() > 0xffff) throw Error(path.string(), "shape too long for a .npy 1.0 header");

  std::string bytes(kMagic, kMagicSize);
  bytes.push_back('\x01');
  bytes.push_back('\x00');
  bytes.push_back(static_cast<char>(dict.size() & 0xff));
  bytes.push_back(static_cast<char>(dict.size() >> 8));
  bytes += dict;
  bytes.append(static_cast<const char*>(source->raw_data()), source->byte_size());
  write_file_atomically(path, bytes);
}

}  // namespace graphc
