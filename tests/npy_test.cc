// .npy files (runtime/src/npy.cc): round trips of every supported dtype and
// shape kind, byte-exact agreement with NumPy's own files, each rejected
// input, and atomic writes.
#include "graphc/npy.h"

#include <catch2/catch.hpp>

#include "graphc/error.h"
#include "test_graphs.h"

using namespace graphc;
using namespace graphc::testing;
using Catch::Matchers::Contains;

namespace {

/// A tensor of `dtype` and `shape` whose bytes are a recognisable pattern
/// (valid for every dtype: bools get 0 and 1).
Tensor patterned(DType dtype, const Shape& shape) {
  Tensor t(dtype, shape);
  auto* bytes = static_cast<unsigned char*>(t.raw_data());
  for (size_t i = 0; i < t.byte_size(); ++i) bytes[i] = dtype == DType::boolean ? i % 3 == 0 : (i * 37 + 11) & 0xff;
  return t;
}

/// An .npy file: magic, version, header length, the dict literal padded to a
/// 64-byte boundary, then `data`.
std::string npy_file(const std::string& dict, std::string_view data, int major = 1) {
  size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(major));
  out.push_back('\0');
  size_t len_bytes = major == 1 ? 2 : 4;
  for (size_t i = 0; i < len_bytes; ++i) out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  return out + header + std::string(data);
}

std::string f32_dict(const std::string& shape) {
  return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
}

/// Expects reading `bytes` as a .npy file to fail with an error naming the
/// file and containing `fragment`.
void require_npy_error(const std::string& bytes, const std::string& fragment) {
  TempDir dir;
  auto path = dir.write("bad.npy", bytes);
  REQUIRE_THROWS_WITH(read_npy(path), Catch::StartsWith(path.string() + ": ") && Contains(fragment));
}

}  // namespace

TEST_CASE("write_npy and read_npy round-trip every dtype and shape kind", "[runtime]") {
  TempDir dir;
  auto dtype = GENERATE(DType::f32, DType::f16, DType::i32, DType::i64, DType::i8, DType::boolean);
  auto shape = GENERATE(Shape{}, Shape{5}, Shape{2, 3}, Shape{2, 1, 3, 1}, Shape{0}, Shape{3, 0, 2});
  INFO(dtype_name(dtype) << shape_to_string(shape));
  Tensor t = patterned(dtype, shape);
  write_npy(dir / "t.npy", t);
  Tensor back = read_npy(dir / "t.npy");
  CHECK(back.type() == t.type());
  CHECK(bytes_of(back) == bytes_of(t));
  // The data starts 64-byte aligned, as NumPy writes it.
  CHECK((std::filesystem::file_size(dir / "t.npy") - t.byte_size()) % 64 == 0);
}

TEST_CASE("write_npy writes a default-constructed tensor as an empty array", "[runtime]") {
  TempDir dir;
  write_npy(dir / "d.npy", Tensor());
  CHECK(read_npy(dir / "d.npy").type() == TensorType{DType::f32, {0}});
}

TEST_CASE("write_npy writes NumPy's header: 1-D shapes as '(n,)', scalars as '()'", "[runtime]") {
  TempDir dir;
  auto header_of = [&](const Tensor& t) {
    write_npy(dir / "h.npy", t);
    std::string bytes = slurp(dir / "h.npy");
    size_t len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    return bytes.substr(10, len);
  };
  CHECK_THAT(header_of(Tensor(DType::f32, {3})), Catch::StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"));
  CHECK_THAT(header_of(Tensor(DType::i64, {})), Catch::StartsWith("{'descr': '<i8', 'fortran_order': False, 'shape': (), }"));
  CHECK_THAT(header_of(Tensor(DType::boolean, {2, 3})), Catch::StartsWith("{'descr': '|b1', 'fortran_order': False, 'shape': (2, 3), }"));
  CHECK_THAT(header_of(Tensor(DType::i8, {1})), Catch::StartsWith("{'descr': '|i1'") && Catch::EndsWith(" \n"));
}

TEST_CASE("read_npy reads NumPy's files and write_npy reproduces them byte for byte", "[runtime]") {
  TempDir dir;
  auto sample = std::filesystem::path(GRAPHC_SOURCE_DIR) / "examples" / "inputs" / "image_1x784.npy";
  Tensor t = read_npy(sample);
  CHECK(t.type() == TensorType{DType::f32, {1, 784}});
  write_npy(dir / "copy.npy", t);
  CHECK(slurp(dir / "copy.npy") == slurp(sample));
}

TEST_CASE("read_npy accepts format versions 2 and 3 and double-quoted keys", "[runtime]") {
  TempDir dir;
  std::string data = bytes_of(make_tensor<float>({2}, {1.5f, -2}));
  for (int major : {2, 3}) {
    INFO("version " << major);
    Tensor t = read_npy(dir.write("v.npy", npy_file(f32_dict("(2,)"), data, major)));
    CHECK(values_of<float>(t) == std::vector<float>{1.5f, -2});
  }
  Tensor t = read_npy(dir.write("q.npy", npy_file(R"({"descr": "<f4", "fortran_order": False, "shape": (2,)})", data)));
  CHECK(values_of<float>(t) == std::vector<float>{1.5f, -2});
}

TEST_CASE("write_npy widens bf16 to f4", "[runtime]") {
  TempDir dir;
  Tensor t(DType::bf16, {2});
  auto* bits = static_cast<uint16_t*>(t.raw_data());
  bits[0] = 0x3fc0;  // 1.5
  bits[1] = 0xc000;  // -2
  write_npy(dir / "b.npy", t);
  Tensor back = read_npy(dir / "b.npy");
  CHECK(values_of<float>(back) == std::vector<float>{1.5f, -2});
}

TEST_CASE("read_npy rejects what it cannot read exactly, naming the file", "[runtime]") {
  std::string data8(8, '\0');
  SECTION("bad magic") {
    std::string bytes = npy_file(f32_dict("(2,)"), data8);
    bytes[5] = 'X';
    require_npy_error(bytes, "not a .npy file");
  }
  SECTION("too short for a header") { require_npy_error("\x93NUMPY\x01", "not a .npy file"); }
  SECTION("format version 4") {
    require_npy_error(npy_file(f32_dict("(2,)"), data8, 4), ".npy format version 4 is not supported");
  }
  SECTION("big-endian data") {
    require_npy_error(npy_file("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data8),
                      "unsupported .npy dtype '>f4'");
  }
  SECTION("float64 data") {
    require_npy_error(npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", data8 + data8),
                      "unsupported .npy dtype '<f8'");
  }
  SECTION("Fortran order") {
    require_npy_error(npy_file("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", data8),
                      "Fortran-order .npy arrays are not supported");
  }
  SECTION("truncated data") {
    require_npy_error(npy_file(f32_dict("(3,)"), data8), "f32 [3] needs 12 data bytes, the file has 8");
  }
  SECTION("extra data") {
    require_npy_error(npy_file(f32_dict("(1,)"), data8), "f32 [1] needs 4 data bytes, the file has 8");
  }
  SECTION("a header longer than the file") {
    std::string bytes = npy_file(f32_dict("(2,)"), "");
    require_npy_error(bytes.substr(0, 40), "truncated .npy header");
  }
  SECTION("a missing key") {
    require_npy_error(npy_file("{'descr': '<f4', 'fortran_order': False, }", data8), "missing key 'shape'");
  }
  SECTION("a shape that is not a tuple") {
    require_npy_error(npy_file(f32_dict("[2]"), data8), "'shape' must be a tuple");
  }
  SECTION("a shape with a non-integer dim") {
    require_npy_error(npy_file(f32_dict("(2, x)"), data8), "'shape' must hold non-negative integers");
  }
  SECTION("a negative dim") {
    require_npy_error(npy_file(f32_dict("(-2,)"), data8), "'shape' must hold non-negative integers");
  }
  SECTION("an unterminated shape") {
    require_npy_error(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,", data8), "malformed .npy header");
  }
  SECTION("fortran_order that is not a bool") {
    require_npy_error(npy_file("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", data8),
                      "'fortran_order' must be True or False");
  }
  SECTION("a shape too large to allocate") {
    require_npy_error(npy_file(f32_dict("(100000000000000,)"), data8), "needs 400000000000000 data bytes, the file has 8");
  }
  SECTION("a shape whose size overflows") {
    require_npy_error(npy_file(f32_dict("(100000000000, 100000000000)"), data8), "is too large");
  }
}

TEST_CASE("write_npy replaces the file atomically and leaves no temporary files", "[runtime]") {
  TempDir dir;
  write_npy(dir / "out.npy", make_tensor<int32_t>({2}, {1, 2}));
  write_npy(dir / "out.npy", make_tensor<int32_t>({3}, {7, 8, 9}));
  CHECK(values_of<int32_t>(read_npy(dir / "out.npy")) == std::vector<int32_t>{7, 8, 9});
  CHECK(dir.entries() == std::vector<std::string>{"out.npy"});

  SECTION("a failed write leaves the target untouched") {
    // Renaming a file over a non-empty directory fails after the data is written.
    dir.write("busy.npy/keep", "x");
    REQUIRE_THROWS_WITH(write_npy(dir / "busy.npy", make_tensor<int32_t>({1}, {5})),
                        Catch::StartsWith((dir / "busy.npy").string() + ": cannot write file: rename"));
    CHECK(dir.entries() == std::vector<std::string>{"busy.npy", "out.npy"});
    CHECK(slurp(dir / "busy.npy" / "keep") == "x");
  }
}
