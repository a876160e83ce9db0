// Datasets (runtime/src/dataset*.cc, byte_reader.cc): IDX files plain and
// gzip'd, .npy pairs of every accepted dtype, each rejected input, the
// reproducible epoch order, gathering batches, and the installed
// Fashion-MNIST when it is there.
#include "graphc/dataset.h"

#include <zlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <numeric>
#include <set>

#include "graphc/error.h"
#include "test_graphs.h"

using namespace graphc;
using namespace graphc::testing;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// ----- IDX files ----------------------------------------------------------------

std::string be32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  return out;
}

/// An IDX file: magic, big-endian dims, then `data`.
std::string idx_file(uint32_t magic, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
  std::string out = be32(magic);
  for (uint32_t d : dims) out += be32(d);
  return out + std::string(data.begin(), data.end());
}

std::string idx_images(uint32_t n, uint32_t rows, uint32_t cols, const std::vector<uint8_t>& pixels) {
  return idx_file(0x803, {n, rows, cols}, pixels);
}
std::string idx_labels(const std::vector<uint8_t>& labels) {
  return idx_file(0x801, {static_cast<uint32_t>(labels.size())}, labels);
}

/// `bytes` gzip'd with zlib's gzopen, as the real files are.
std::string gzipped(const std::string& bytes) {
  TempDir dir;
  fs::path path = dir / "data.gz";
  gzFile out = gzopen(path.c_str(), "wb");
  REQUIRE(out != nullptr);
  REQUIRE(gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())) == static_cast<int>(bytes.size()));
  REQUIRE(gzclose(out) == Z_OK);
  return slurp(path);
}

/// 3 images of 2x2 and their labels; pixel 255 is 1.0 and 51 is 0.2.
const std::vector<uint8_t> kPixels = {0, 51, 255, 128, 1, 2, 3, 4, 250, 251, 252, 253};
const std::vector<uint8_t> kLabels = {0, 9, 3};

/// Writes one IDX split ("train" or "t10k") of 3 images into `dir`.
void write_idx_split(const TempDir& dir, const std::string& split, bool gzip) {
  std::string images = idx_images(3, 2, 2, kPixels);
  std::string labels = idx_labels(kLabels);
  std::string suffix = gzip ? ".gz" : "";
  dir.write(split + "-images-idx3-ubyte" + suffix, gzip ? gzipped(images) : images);
  dir.write(split + "-labels-idx1-ubyte" + suffix, gzip ? gzipped(labels) : labels);
}

// ----- .npy files -------------------------------------------------------------

/// A version 1.0 .npy file of `descr` and `shape` (a Python tuple) holding `data`.
std::string npy_file(const std::string& descr, const std::string& shape, std::string_view data) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY\x01";
  out.push_back('\0');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  return out + header + std::string(data);
}

template <class T>
std::string raw(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

/// Writes a .npy split of 2 float32 examples of 3 features into `dir`.
void write_npy_split(const TempDir& dir, const std::string& split) {
  dir.write(split + "_x.npy", npy_file("<f4", "(2, 3)", raw<float>({0.5f, -1, 2, 3, 4, 5})));
  dir.write(split + "_y.npy", npy_file("<i8", "(2,)", raw<int64_t>({1, 7})));
}

/// Expects `load` to throw a graphc::Error located at `where` whose message
/// contains each of `fragments`.
template <class Load>
void require_error(Load load, const std::string& where, const std::vector<std::string>& fragments) {
  try {
    load();
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(e.where() == where);
    for (const auto& f : fragments) CHECK_THAT(e.message(), Contains(f));
    return;
  }
  FAIL("no graphc::Error thrown; expected one containing '" << fragments.front() << "'");
}

/// A dataset of `n` examples of 28x28 whose example e holds e + k / 1000 at
/// pixel k, labelled e % 10.
Dataset numbered_dataset(int64_t n) {
  Dataset data{Tensor(DType::f32, {n, 28, 28}), Tensor(DType::i32, {n})};
  float* f = data.features.data<float>();
  for (int64_t e = 0; e < n; ++e) {
    for (int64_t k = 0; k < 784; ++k) f[e * 784 + k] = static_cast<float>(e) + static_cast<float>(k) / 1000;
    data.labels.data<int32_t>()[e] = static_cast<int32_t>(e % 10);
  }
  return data;
}

}  // namespace

// ----- Loading ------------------------------------------------------------------

TEST_CASE("load_idx reads images scaled to [0, 1] and labels, plain or gzip'd", "[dataset]") {
  TempDir dir;
  bool gzip = GENERATE(false, true);
  INFO((gzip ? "gzip" : "plain"));
  write_idx_split(dir, "train", gzip);
  std::string suffix = gzip ? ".gz" : "";
  Dataset data = load_idx(dir / ("train-images-idx3-ubyte" + suffix), dir / ("train-labels-idx1-ubyte" + suffix));
  CHECK(data.size() == 3);
  CHECK(data.features.type() == TensorType{DType::f32, {3, 2, 2}});
  CHECK(data.labels.type() == TensorType{DType::i32, {3}});
  std::vector<float> expected;
  for (uint8_t p : kPixels) expected.push_back(static_cast<float>(p) / 255.0f);
  CHECK(values_of<float>(data.features) == expected);
  CHECK(values_of<float>(data.features)[1] == 0.2f);
  CHECK(values_of<float>(data.features)[2] == 1.0f);
  CHECK(values_of<int32_t>(data.labels) == std::vector<int32_t>{0, 9, 3});
}

TEST_CASE("load_idx reads an empty split", "[dataset]") {
  TempDir dir;
  auto images = dir.write("i", idx_images(0, 28, 28, {}));
  auto labels = dir.write("l", idx_labels({}));
  Dataset data = load_idx(images, labels);
  CHECK(data.size() == 0);
  CHECK(data.features.type() == TensorType{DType::f32, {0, 28, 28}});
}

TEST_CASE("load_dataset finds IDX splits, plain or .gz, preferring the plain file", "[dataset]") {
  TempDir dir;
  write_idx_split(dir, "train", true);
  write_idx_split(dir, "t10k", false);
  SECTION("mixed plain and .gz") {
    DatasetSplits splits = load_dataset(dir.path().string());
    CHECK(splits.train.features.type() == TensorType{DType::f32, {3, 2, 2}});
    CHECK(splits.test.features.type() == TensorType{DType::f32, {3, 2, 2}});
    CHECK(values_of<int32_t>(splits.train.labels) == std::vector<int32_t>{0, 9, 3});
    CHECK(values_of<float>(splits.test.features) == values_of<float>(splits.train.features));
  }
  SECTION("a plain file beside a .gz: the plain one is read") {
    dir.write("t10k-images-idx3-ubyte.gz", "not gzip at all");
    CHECK(load_dataset(dir.path().string()).test.size() == 3);
  }
  SECTION("IDX is preferred to .npy when a directory holds both") {
    write_npy_split(dir, "train");
    write_npy_split(dir, "test");
    CHECK(load_dataset(dir.path().string()).train.size() == 3);
  }
}

TEST_CASE("load_dataset reads .npy splits", "[dataset]") {
  TempDir dir;
  write_npy_split(dir, "train");
  write_npy_split(dir, "test");
  DatasetSplits splits = load_dataset(dir.path().string());
  CHECK(splits.train.features.type() == TensorType{DType::f32, {2, 3}});
  CHECK(values_of<float>(splits.train.features) == std::vector<float>{0.5f, -1, 2, 3, 4, 5});
  CHECK(values_of<int32_t>(splits.test.labels) == std::vector<int32_t>{1, 7});
}

TEST_CASE("load_npy_pair scales uint8 features and takes labels of every integer dtype", "[dataset]") {
  TempDir dir;
  auto x = dir.write("x.npy", npy_file("|u1", "(2, 1, 2)", raw<uint8_t>({0, 51, 255, 3})));
  std::string labels;
  std::string descr = GENERATE(as<std::string>{}, "|u1", "|i1", "<u2", "<i2", "<u4", "<i4", "<u8", "<i8");
  INFO(descr);
  size_t size = static_cast<size_t>(descr[2] - '0');
  std::string data(2 * size, '\0');
  data[0] = 4;     // little-endian 4
  data[size] = 9;  // and 9
  auto y = dir.write("y.npy", npy_file(descr, "(2,)", data));
  Dataset d = load_npy_pair(x, y);
  CHECK(d.features.type() == TensorType{DType::f32, {2, 1, 2}});
  CHECK(values_of<float>(d.features) == std::vector<float>{0, 0.2f, 1, 3 / 255.0f});
  CHECK(values_of<int32_t>(d.labels) == std::vector<int32_t>{4, 9});
}

TEST_CASE("load_npy_pair accepts labels of shape [N, 1] and gzip'd files", "[dataset]") {
  TempDir dir;
  auto x = dir.write("x.npy", gzipped(npy_file("<f4", "(2,)", raw<float>({1.5f, 2.5f}))));
  auto y = dir.write("y.npy", npy_file("<i4", "(2, 1)", raw<int32_t>({0, 5})));
  Dataset d = load_npy_pair(x, y);
  CHECK(d.features.type() == TensorType{DType::f32, {2}});
  CHECK(values_of<int32_t>(d.labels) == std::vector<int32_t>{0, 5});
}

TEST_CASE("load_dataset names what is missing", "[dataset]") {
  TempDir dir;
  SECTION("no such directory") {
    std::string missing = (dir / "nope").string();
    require_error([&] { load_dataset(missing); }, missing, {"no such dataset directory", "'fashion-mnist'"});
  }
  SECTION("a file, not a directory") {
    std::string file = dir.write("file", "x").string();
    require_error([&] { load_dataset(file); }, file, {"not a directory"});
  }
  SECTION("an empty directory: everything looked for") {
    require_error([&] { load_dataset(dir.path().string()); }, dir.path().string(),
                  {"no dataset files",
                   "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
                   "t10k-labels-idx1-ubyte, each optionally .gz",
                   "train_x.npy, train_y.npy, test_x.npy, test_y.npy"});
  }
  SECTION("an IDX directory missing files: every one listed") {
    write_idx_split(dir, "train", true);
    require_error([&] { load_dataset(dir.path().string()); }, dir.path().string(),
                  {"missing t10k-images-idx3-ubyte (or t10k-images-idx3-ubyte.gz), t10k-labels-idx1-ubyte (or "
                   "t10k-labels-idx1-ubyte.gz) (an IDX dataset needs"});
  }
  SECTION("a .npy directory missing files") {
    write_npy_split(dir, "train");
    dir.write("test_y.npy", "");
    require_error([&] { load_dataset(dir.path().string()); }, dir.path().string(),
                  {"missing test_x.npy (a .npy dataset needs"});
  }
  SECTION("train and test examples of different shapes") {
    write_idx_split(dir, "train", false);
    dir.write("t10k-images-idx3-ubyte", idx_images(1, 1, 2, {0, 1}));
    dir.write("t10k-labels-idx1-ubyte", idx_labels({0}));
    require_error([&] { load_dataset(dir.path().string()); }, (dir / "t10k-images-idx3-ubyte").string(),
                  {"test examples are [1,2], but the train examples of", "are [2,2]"});
  }
}

TEST_CASE("load_idx rejects bad IDX files, naming the file", "[dataset]") {
  TempDir dir;
  auto good_images = dir.write("images", idx_images(3, 2, 2, kPixels));
  auto good_labels = dir.write("labels", idx_labels(kLabels));
  auto load_images = [&](const std::string& bytes, const std::string& name = "bad") {
    auto path = dir.write(name, bytes);
    return [=] { load_idx(path, good_labels); };
  };
  std::string bad = (dir / "bad").string();
  std::string bad_gz = (dir / "bad.gz").string();
  std::string images = idx_images(3, 2, 2, kPixels);

  SECTION("no such file") {
    require_error([&] { load_idx(dir / "none", good_labels); }, (dir / "none").string(), {"no such file"});
  }
  SECTION("labels where images belong") {
    require_error(load_images(idx_labels(kLabels)), bad,
                  {"bad magic 0x00000801 (IDX labels: unsigned bytes, 1 dim), expected 0x00000803 (IDX images"});
  }
  SECTION("images where labels belong") {
    require_error([&] { load_idx(good_images, good_images); }, good_images.string(),
                  {"bad magic 0x00000803", "expected 0x00000801"});
  }
  SECTION("not an IDX file") {
    require_error(load_images("GIF89a..........."), bad, {"bad magic 0x47494638 (not an IDX file)"});
  }
  SECTION("an IDX file of another element type") {
    require_error(load_images(idx_file(0x0d03, {1, 1, 1}, {0, 0, 0, 0})), bad, {"(IDX of element type 0x0d, 3 dims)"});
  }
  SECTION("a truncated header") {
    require_error(load_images(images.substr(0, 6)), bad, {"truncated: expected at least 8 bytes, the file has 6"});
  }
  SECTION("truncated data") {
    require_error(load_images(images.substr(0, 20)), bad,
                  {"truncated: the header promises 3 images of 2x2 (28 bytes), the file has 20 bytes"});
  }
  SECTION("extra data") {
    require_error(load_images(images + "xy"), bad,
                  {"too long: the header promises 3 images of 2x2 (28 bytes), the "
                   "file has 30 bytes"});
  }
  SECTION("truncated data inside a .gz") {
    require_error(load_images(gzipped(images.substr(0, 20)), "bad.gz"), bad_gz,
                  {"truncated: the header promises 3 images of 2x2 (28 bytes), the file has 20 bytes decompressed"});
  }
  SECTION("extra data inside a .gz") {
    require_error(load_images(gzipped(images + "xy"), "bad.gz"), bad_gz,
                  {"too long: the header promises 3 images of 2x2 (28 bytes), the file has at least 29 bytes "
                   "decompressed"});
  }
  SECTION("a header promising more than a .gz can hold") {
    auto labels = dir.write("many_labels", idx_file(0x801, {60000}, {}));
    auto path = dir.write("bad.gz", gzipped(idx_images(60000, 1000, 1000, {})));
    require_error([&] { load_idx(path, labels); }, bad_gz,
                  {"truncated: the header promises 60000 images of 1000x1000 (60000000016 bytes), more than a .gz of"});
  }
  SECTION("a header promising more than memory") {
    auto labels = dir.write("many_labels", idx_file(0x801, {0xffffffff}, {}));
    auto path = dir.write("bad", idx_images(0xffffffff, 0xffffffff, 0xffffffff, {}));
    require_error([&] { load_idx(path, labels); }, bad, {"4294967295 images of 4294967295x4294967295 are too many"});
  }
  SECTION("a cut-off .gz") {
    std::string gz = gzipped(images);
    require_error(load_images(gz.substr(0, gz.size() - 12), "bad.gz"), bad_gz,
                  {"corrupt .gz: the compressed data ends early"});
  }
  SECTION("a .gz whose CRC does not match") {
    std::string gz = gzipped(images);
    gz[gz.size() - 8] ^= 0x55;
    require_error(load_images(gz, "bad.gz"), bad_gz, {"corrupt .gz: incorrect data check"});
  }
  SECTION("a .gz with an invalid deflate block") {
    std::string gz = gzipped(images);
    gz[10] = 0x07;  // BFINAL = 1, BTYPE = 11 (reserved)
    require_error(load_images(gz, "bad.gz"), bad_gz, {"corrupt .gz: invalid block type"});
  }
  SECTION("a .gz that is not gzip") {
    require_error(load_images(images, "bad.gz"), bad_gz, {"corrupt .gz: not in gzip format"});
  }
  SECTION("an empty .gz") { require_error(load_images("", "bad.gz"), bad_gz, {"corrupt .gz: not in gzip format"}); }
  SECTION("more images than labels") {
    auto labels = dir.write("two_labels", idx_labels({1, 2}));
    require_error([&] { load_idx(good_images, labels); }, labels.string(),
                  {"2 labels, but " + good_images.string() + " has 3 images"});
  }
  SECTION("truncated labels") {
    auto labels = dir.write("short_labels", idx_labels(kLabels).substr(0, 10));
    require_error([&] { load_idx(good_images, labels); }, labels.string(),
                  {"truncated: the header promises 3 labels (11 bytes), the file has 10 bytes"});
  }
}

TEST_CASE("load_npy_pair rejects bad .npy pairs, naming the file", "[dataset]") {
  TempDir dir;
  auto x = dir.write("x.npy", npy_file("<f4", "(2, 3)", raw<float>({0, 1, 2, 3, 4, 5})));
  auto y = dir.write("y.npy", npy_file("<i8", "(2,)", raw<int64_t>({0, 1})));
  auto with_x = [&](const std::string& bytes) {
    auto path = dir.write("bad_x.npy", bytes);
    return [=] { load_npy_pair(path, y); };
  };
  auto with_y = [&](const std::string& bytes) {
    auto path = dir.write("bad_y.npy", bytes);
    return [=] { load_npy_pair(x, path); };
  };
  std::string bad_x = (dir / "bad_x.npy").string();
  std::string bad_y = (dir / "bad_y.npy").string();

  SECTION("x and y counts differ") {
    require_error(with_y(npy_file("<i8", "(3,)", raw<int64_t>({0, 1, 2}))), bad_y,
                  {"3 labels, but " + x.string() + " has 2 examples"});
  }
  SECTION("float64 features") {
    require_error(with_x(npy_file("<f8", "(2,)", raw<double>({0, 1}))), bad_x,
                  {"features of dtype '<f8' are not supported", "float32 '<f4', or uint8 '|u1'"});
  }
  SECTION("big-endian features") {
    require_error(with_x(npy_file(">f4", "(2,)", raw<float>({0, 1}))), bad_x, {"features of dtype '>f4'"});
  }
  SECTION("int32 features") {
    require_error(with_x(npy_file("<i4", "(2,)", raw<int32_t>({0, 1}))), bad_x, {"features of dtype '<i4'"});
  }
  SECTION("scalar features") {
    require_error(with_x(npy_file("<f4", "()", raw<float>({0}))), bad_x, {"features must be [N, ...]"});
  }
  SECTION("float labels") {
    require_error(with_y(npy_file("<f4", "(2,)", raw<float>({0, 1}))), bad_y, {"labels of dtype '<f4'"});
  }
  SECTION("one-hot labels") {
    require_error(with_y(npy_file("|u1", "(2, 3)", raw<uint8_t>({1, 0, 0, 0, 1, 0}))), bad_y,
                  {"labels must be class indices [N] or [N, 1], found [2,3] (one-hot labels?"});
  }
  SECTION("a negative label") {
    require_error(with_y(npy_file("|i1", "(2,)", raw<int8_t>({3, -1}))), bad_y, {"label -1 at index 1 is negative"});
  }
  SECTION("a negative int64 label") {
    require_error(with_y(npy_file("<i8", "(2,)", raw<int64_t>({-7, 1}))), bad_y, {"label -7 at index 0 is negative"});
  }
  SECTION("a label beyond i32") {
    require_error(with_y(npy_file("<u8", "(2,)", raw<uint64_t>({1, 3000000000}))), bad_y,
                  {"label 3000000000 at index 1 does not fit in i32"});
  }
  SECTION("truncated features") {
    require_error(with_x(npy_file("<f4", "(2, 3)", raw<float>({0, 1, 2}))), bad_x,
                  {"truncated: the header promises '<f4' [2,3] (152 bytes), the file has 140 bytes"});
  }
  SECTION("not a .npy file") {
    require_error(with_x("PK\x03\x04 a zip file, maybe an .npz"), bad_x, {"not a .npy file"});
  }
  SECTION("a malformed header") {
    require_error(with_x(npy_file("<f4", "[2]", "")), bad_x, {"malformed .npy header ('shape' must be a tuple)"});
  }
  SECTION("a shape whose size overflows") {
    require_error(with_x(npy_file("<f4", "(100000000000, 100000000000)", "")), bad_x, {"is too large"});
  }
}

// ----- Epoch order and batches ----------------------------------------------------

TEST_CASE("epoch_order is a permutation fixed by (seed, epoch)", "[dataset]") {
  std::vector<int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  std::vector<int64_t> order = epoch_order(1000, 42, 0);
  std::vector<int64_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == identity);
  CHECK(order != identity);
  CHECK(epoch_order(1000, 42, 0) == order);
  CHECK(epoch_order(1000, 42, 1) != order);
  CHECK(epoch_order(1000, 43, 0) != order);
  CHECK(epoch_order(1000, 42, 0, false) == identity);
  CHECK(epoch_order(0, 42, 0).empty());
  CHECK(epoch_order(1, 42, 7) == std::vector<int64_t>{0});
  REQUIRE_THROWS_WITH(epoch_order(-1, 42, 0), Contains("negative dataset size -1"));
}

TEST_CASE("epoch_order is the same on every machine", "[dataset]") {
  // Pinned, and computed independently by a Python MT19937-64: the engine is
  // fully specified and the shuffle is our own, so these change only if the
  // algorithm does (which would change every resumed or repeated run).
  CHECK(epoch_order(10, 42, 0) == std::vector<int64_t>{9, 6, 2, 0, 1, 4, 3, 8, 5, 7});
  CHECK(epoch_order(10, 42, 1) == std::vector<int64_t>{5, 4, 1, 3, 0, 2, 7, 8, 6, 9});
}

TEST_CASE("epoch_order draws every permutation equally often", "[dataset]") {
  std::map<std::vector<int64_t>, int> counts;
  for (int64_t epoch = 0; epoch < 6000; ++epoch) ++counts[epoch_order(3, 7, epoch)];
  CHECK(counts.size() == 6);
  for (const auto& [order, count] : counts) {
    INFO(order[0] << order[1] << order[2]);
    CHECK(count > 850);
    CHECK(count < 1150);
  }
}

TEST_CASE("gather_batch copies examples in epoch order into any batch shape", "[dataset]") {
  Dataset data = numbered_dataset(5);
  std::vector<int64_t> order = epoch_order(5, 1, 0);
  Shape shape = GENERATE(Shape{2, 784}, Shape{2, 1, 28, 28});
  DType label_dtype = GENERATE(DType::i32, DType::i64);
  INFO(shape_to_string(shape) << " labels " << dtype_name(label_dtype));
  auto check_batch = [&](const Tensor& features, const Tensor& labels, int64_t begin, int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
      int64_t e = order[begin + i];
      const float* row = features.data<float>() + i * 784;
      CHECK(row[0] == static_cast<float>(e));
      CHECK(row[783] == data.features.data<float>()[e * 784 + 783]);
      int64_t label = label_dtype == DType::i32 ? labels.data<int32_t>()[i] : labels.data<int64_t>()[i];
      CHECK(label == e % 10);
    }
  };
  Tensor features(DType::f32, shape);
  Tensor labels(label_dtype, {2});
  for (int64_t begin : {0, 2}) {
    gather_batch(data, order, begin, 2, features, labels);
    check_batch(features, labels, begin, 2);
  }
  // The partial last batch: one example.
  Shape last_shape = shape;
  last_shape[0] = 1;
  Tensor last_features(DType::f32, last_shape);
  Tensor last_labels(label_dtype, {1});
  gather_batch(data, order, 4, 1, last_features, last_labels);
  check_batch(last_features, last_labels, 4, 1);
}

TEST_CASE("gather_batch rejects tensors and ranges that do not fit", "[dataset]") {
  Dataset data = numbered_dataset(3);
  std::vector<int64_t> order = epoch_order(3, 1, 0);
  Tensor features(DType::f32, {2, 784});
  Tensor labels(DType::i32, {2});
  auto require_gather_error = [&](const std::string& fragment) {
    REQUIRE_THROWS_WITH(gather_batch(data, order, 0, 2, features, labels),
                        Catch::StartsWith("gather_batch: ") && Contains(fragment));
  };
  SECTION("features of the wrong size") {
    features = Tensor(DType::f32, {2, 783});
    require_gather_error("features for 2 examples of [28,28] must be f32 with 1568 elements, found f32[2,783]");
  }
  SECTION("features of the wrong dtype") {
    features = Tensor(DType::i32, {2, 784});
    require_gather_error("found i32[2,784]");
  }
  SECTION("labels of the wrong size") {
    labels = Tensor(DType::i32, {3});
    require_gather_error("labels for 2 examples must be i32 or i64 with 2 elements, found i32[3]");
  }
  SECTION("labels of the wrong dtype") {
    labels = Tensor(DType::f32, {2});
    require_gather_error("found f32[2]");
  }
  SECTION("a range past the order") {
    REQUIRE_THROWS_WITH(gather_batch(data, order, 2, 2, features, labels),
                        Contains("2 examples from position 2 are outside an order of 3 examples"));
  }
  SECTION("a negative count") {
    REQUIRE_THROWS_WITH(gather_batch(data, order, 0, -1, features, labels),
                        Contains("-1 examples from position 0 are outside"));
  }
  SECTION("an order index outside the dataset") {
    order[1] = 3;
    require_gather_error("order[1] = 3 is outside the dataset of 3 examples");
  }
}

// ----- The installed Fashion-MNIST ----------------------------------------------

TEST_CASE("load_dataset(\"fashion-mnist\") loads Debian's dataset-fashion-mnist", "[dataset]") {
  if (!fs::is_directory(kFashionMnistDir)) {
    WARN("skipped: " << kFashionMnistDir << " is absent (install dataset-fashion-mnist)");
    return;
  }
  DatasetSplits splits = load_dataset("fashion-mnist");
  CHECK(splits.train.features.type() == TensorType{DType::f32, {60000, 28, 28}});
  CHECK(splits.test.features.type() == TensorType{DType::f32, {10000, 28, 28}});
  auto histogram = [](const Tensor& labels) {
    std::map<int32_t, int64_t> counts;
    for (int32_t label : values_of<int32_t>(labels)) ++counts[label];
    return counts;
  };
  std::map<int32_t, int64_t> train_expected, test_expected;
  for (int32_t c = 0; c < 10; ++c) {
    train_expected[c] = 6000;
    test_expected[c] = 1000;
  }
  CHECK(histogram(splits.train.labels) == train_expected);
  CHECK(histogram(splits.test.labels) == test_expected);
  const float* pixels = splits.train.features.data<float>();
  auto [lo, hi] = std::minmax_element(pixels, pixels + splits.train.features.num_elements());
  CHECK(*lo == 0.0f);
  CHECK(*hi == 1.0f);
}
