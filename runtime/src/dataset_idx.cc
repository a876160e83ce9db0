// IDX files, the format of MNIST and Fashion-MNIST.
//
// A 4-byte big-endian magic 0x0000TTDD (TT the element type, 0x08 for
// unsigned bytes; DD the number of dims), DD big-endian u32 dims, then the
// elements in C order. Images are 0x00000803 [N, rows, cols], labels
// 0x00000801 [N]. Both headers are read and checked against each other
// before any data, and each file's size is checked against its header before
// anything is allocated; the pixels are then converted to f32 a chunk at a
// time as they are decompressed.
#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "graphc/dataset.h"
#include "graphc/error.h"
#include "runtime/src/byte_reader.h"

namespace graphc {

namespace {

constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;

uint32_t read_u32_be(ByteReader& in) {
  unsigned char b[4];
  in.read(b, sizeof b);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

std::string describe_magic(uint32_t magic) {
  if (magic == kImagesMagic) return "IDX images: unsigned bytes, 3 dims";
  if (magic == kLabelsMagic) return "IDX labels: unsigned bytes, 1 dim";
  if ((magic >> 16) == 0)
    return fmt::format("IDX of element type 0x{:02x}, {} dims", (magic >> 8) & 0xff, magic & 0xff);
  return "not an IDX file";
}

/// Reads the magic and the dims, and checks the magic.
std::vector<uint64_t> read_idx_header(ByteReader& in, uint32_t expected_magic) {
  uint32_t magic = read_u32_be(in);
  if (magic != expected_magic) {
    throw Error(in.path().string(), fmt::format("bad magic 0x{:08x} ({}), expected 0x{:08x} ({})", magic,
                                                describe_magic(magic), expected_magic, describe_magic(expected_magic)));
  }
  std::vector<uint64_t> dims(expected_magic & 0xff);
  for (uint64_t& d : dims) d = read_u32_be(in);
  return dims;
}

}  // namespace

Dataset load_idx(const std::filesystem::path& images_path, const std::filesystem::path& labels_path) {
  ByteReader images(images_path);
  std::vector<uint64_t> image_dims = read_idx_header(images, kImagesMagic);
  ByteReader labels(labels_path);
  uint64_t n = read_idx_header(labels, kLabelsMagic)[0];
  uint64_t rows = image_dims[1];
  uint64_t cols = image_dims[2];
  if (image_dims[0] != n) {
    throw Error(labels_path.string(),
                fmt::format("{} labels, but {} has {} images", n, images_path.string(), image_dims[0]));
  }

  // Each dim is below 2^32, so n * rows cannot overflow; the product with
  // cols can.
  uint64_t pixels = n * rows;
  if (pixels != 0 && cols > uint64_t{std::numeric_limits<int64_t>::max()} / sizeof(float) / pixels) {
    throw Error(images_path.string(), fmt::format("{} images of {}x{} are too many to load", n, rows, cols));
  }
  pixels *= cols;
  images.expect_size(images.position() + pixels, fmt::format("the header promises {} images of {}x{}", n, rows, cols));
  labels.expect_size(labels.position() + n, fmt::format("the header promises {} labels", n));

  Dataset data;
  auto signed_dim = [](uint64_t d) { return static_cast<int64_t>(d); };
  data.features = Tensor(DType::f32, {signed_dim(n), signed_dim(rows), signed_dim(cols)});
  read_converted<uint8_t>(images, pixels, data.features.data<float>(),
                          [](uint8_t pixel, uint64_t) { return static_cast<float>(pixel) / 255.0f; });
  images.expect_end();
  data.labels = Tensor(DType::i32, {signed_dim(n)});
  read_converted<uint8_t>(labels, n, data.labels.data<int32_t>(),
                          [](uint8_t label, uint64_t) { return static_cast<int32_t>(label); });
  labels.expect_end();
  return data;
}

}  // namespace graphc
