// .npy pairs as datasets: features float32 or uint8, labels of any integer
// dtype.
//
// graphc::read_npy reads the dtypes a Tensor has; datasets saved from NumPy
// or Keras come as uint8 images and uint8, int64 or uint16 labels, so this
// reads the .npy header itself (magic, version, header length, the dict
// literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }) and
// converts the data while reading it. Both headers are checked, and against
// each other, before any data is read.
#include <fmt/format.h>

#include <cctype>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include "graphc/dataset.h"
#include "graphc/error.h"
#include "runtime/src/npy_header_dict.h"
#include "runtime/src/byte_reader.h"

namespace graphc {

namespace {

/// A .npy header read from the start of a file.
struct NpyHeader {
  std::string descr;  // e.g. "<f4", "|u1"
  char kind = '?';    // NumPy's kind: 'f', 'i', 'u', 'b', ...
  size_t item_size = 0;
  Shape shape;

  int64_t count() const { return num_elements(shape); }
};

/// Headers longer than this are not NumPy's (it writes a few hundred bytes).
constexpr size_t kMaxHeaderSize = 1 << 20;

NpyHeader read_npy_header(ByteReader& in) {
  const std::string where = in.path().string();
  char prefix[8];
  in.read(prefix, sizeof prefix);
  if (std::memcmp(prefix, "\x93NUMPY", 6) != 0) throw Error(where, "not a .npy file (missing the \\x93NUMPY magic)");
  int major = static_cast<unsigned char>(prefix[6]);
  if (major < 1 || major > 3) {
    throw Error(where, fmt::format(".npy format version {} is not supported (expected 1, 2 or 3)", major));
  }
  unsigned char length_bytes[4] = {};
  in.read(length_bytes, major == 1 ? 2 : 4);
  size_t length = 0;
  for (int i = 0; i < 4; ++i) length |= static_cast<size_t>(length_bytes[i]) << (8 * i);
  if (length > kMaxHeaderSize) throw Error(where, fmt::format("a .npy header of {} bytes is too long", length));
  std::string text(length, '\0');
  in.read(text.data(), length);

  NpyHeaderDict reader(text, where);
  NpyHeader header;
  header.descr = reader.string_value("descr");
  bool fortran = reader.bool_value("fortran_order");
  header.shape = reader.shape_value("shape");
  if (fortran) throw Error(where, "Fortran-order .npy arrays are not supported (save with np.ascontiguousarray)");

  // Little-endian or byte-order-free descrs like "<f4", "|u1"; anything else
  // keeps kind '?' and is rejected by the caller with the descr in the message.
  const std::string& d = header.descr;
  if (d.size() == 3 && (d[0] == '<' || d[0] == '|') && std::string_view("1248").find(d[2]) != std::string_view::npos) {
    header.kind = d[1];
    header.item_size = static_cast<size_t>(d[2] - '0');
  }

  // So that count() * item_size cannot overflow.
  int64_t count = 1;
  for (int64_t dim : header.shape) {
    if (dim != 0 && count > std::numeric_limits<int64_t>::max() / 8 / dim) {
      throw Error(where, fmt::format("shape {} is too large", shape_to_string(header.shape)));
    }
    count *= dim;
  }
  return header;
}

/// Declares the file's size once its header has been accepted.
void expect_data(ByteReader& in, const NpyHeader& header) {
  in.expect_size(in.position() + static_cast<uint64_t>(header.count()) * header.item_size,
                 fmt::format("the header promises '{}' {}", header.descr, shape_to_string(header.shape)));
}

void check_features_header(const NpyHeader& header, const std::filesystem::path& path) {
  bool is_f32 = header.kind == 'f' && header.item_size == 4;
  bool is_u8 = header.kind == 'u' && header.item_size == 1;
  if (!is_f32 && !is_u8) {
    throw Error(path.string(), fmt::format("features of dtype '{}' are not supported (expected float32 '<f4', or "
                                           "uint8 '|u1' scaled by 1/255; convert with .astype(np.float32))",
                                           header.descr));
  }
  if (header.shape.empty()) throw Error(path.string(), "features must be [N, ...], found a scalar");
}

void check_labels_header(const NpyHeader& header, const std::filesystem::path& path) {
  if (header.kind != 'i' && header.kind != 'u') {
    throw Error(path.string(), fmt::format("labels of dtype '{}' are not supported (expected class indices of an "
                                           "integer dtype; convert with .astype(np.int64))",
                                           header.descr));
  }
  const Shape& s = header.shape;
  if (s.size() == 1 || (s.size() == 2 && s[1] == 1)) return;
  throw Error(path.string(), fmt::format("labels must be class indices [N] or [N, 1], found {}{}", shape_to_string(s),
                                         s.size() == 2 ? " (one-hot labels? save .argmax(axis=1))" : ""));
}

template <class T>
Tensor read_labels_as(ByteReader& in, int64_t n) {
  Tensor labels(DType::i32, {n});
  read_converted<T>(in, static_cast<uint64_t>(n), labels.data<int32_t>(), [&](T label, uint64_t index) {
    if constexpr (std::is_signed_v<T>) {
      if (label < 0) {
        throw Error(
            in.path().string(),
            fmt::format("label {} at index {} is negative (labels are class indices 0, 1, 2, ...)", label, index));
      }
    }
    if (static_cast<uint64_t>(label) > uint64_t{std::numeric_limits<int32_t>::max()}) {
      throw Error(in.path().string(), fmt::format("label {} at index {} does not fit in i32", label, index));
    }
    return static_cast<int32_t>(label);
  });
  return labels;
}

Tensor read_labels(ByteReader& in, const NpyHeader& header) {
  int64_t n = header.shape[0];  // [N] or [N, 1]
  bool is_signed = header.kind == 'i';
  switch (header.item_size) {
    case 1:
      return is_signed ? read_labels_as<int8_t>(in, n) : read_labels_as<uint8_t>(in, n);
    case 2:
      return is_signed ? read_labels_as<int16_t>(in, n) : read_labels_as<uint16_t>(in, n);
    case 4:
      return is_signed ? read_labels_as<int32_t>(in, n) : read_labels_as<uint32_t>(in, n);
    default:
      return is_signed ? read_labels_as<int64_t>(in, n) : read_labels_as<uint64_t>(in, n);
  }
}

Tensor read_features(ByteReader& in, const NpyHeader& header) {
  Tensor features(DType::f32, header.shape);
  if (header.kind == 'f') {
    in.read(features.raw_data(), features.byte_size());
  } else {
    read_converted<uint8_t>(in, static_cast<uint64_t>(header.count()), features.data<float>(),
                            [](uint8_t pixel, uint64_t) { return static_cast<float>(pixel) / 255.0f; });
  }
  return features;
}

}  // namespace

Dataset load_npy_pair(const std::filesystem::path& features_path, const std::filesystem::path& labels_path) {
  ByteReader features(features_path);
  NpyHeader features_header = read_npy_header(features);
  check_features_header(features_header, features_path);
  expect_data(features, features_header);
  ByteReader labels(labels_path);
  NpyHeader labels_header = read_npy_header(labels);
  check_labels_header(labels_header, labels_path);
  expect_data(labels, labels_header);
  if (labels_header.shape[0] != features_header.shape[0]) {
    throw Error(labels_path.string(), fmt::format("{} labels, but {} has {} examples", labels_header.shape[0],
                                                  features_path.string(), features_header.shape[0]));
  }

  Dataset data;
  data.features = read_features(features, features_header);
  features.expect_end();
  data.labels = read_labels(labels, labels_header);
  labels.expect_end();
  return data;
}

}  // namespace graphc
