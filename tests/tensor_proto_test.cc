// TensorProto decoding (runtime/core/tensor_proto.cc): raw and typed data,
// every size check, and external data confined to the model's directory.
#include "runtime/core/tensor_proto.h"

#include <catch2/catch.hpp>

#include "compiler/import/model_file.h"
#include "graphc/error.h"
#include "test_graphs.h"

using namespace graphc;
using namespace graphc::testing;
using Catch::Matchers::Contains;

namespace {

proto::TensorProto proto_of(proto::DataType dtype, const Shape& dims) {
  proto::TensorProto p;
  p.set_dtype(dtype);
  for (int64_t d : dims) p.add_dims(d);
  return p;
}

/// Expects decoding `p` (owned by "t") to fail with `message`: the exact text,
/// or a string matcher.
template <class Message>
void require_decode_error(const proto::TensorProto& p, const Message& message,
                          const std::filesystem::path& base_dir = {}) {
  try {
    tensor_from_proto(p, "t", base_dir);
  } catch (const Error& e) {
    CHECK(e.where() == "t");
    if constexpr (std::is_convertible_v<Message, std::string>) {
      CHECK(e.message() == std::string(message));
    } else {
      CHECK_THAT(e.message(), message);
    }
    return;
  }
  FAIL("no error");
}

/// An f32[2] proto whose data is `length` bytes at `offset` of file `path`.
proto::TensorProto external_f32x2(const std::string& path, int64_t offset, int64_t length = 8) {
  proto::TensorProto p = proto_of(proto::DT_FLOAT, {2});
  p.mutable_external()->set_path(path);
  p.mutable_external()->set_offset(offset);
  p.mutable_external()->set_length(length);
  return p;
}

}  // namespace

TEST_CASE("tensor_from_proto decodes raw_data and typed values alike", "[runtime]") {
  SECTION("f32: float_val and raw_data") {
    proto::TensorProto typed = proto_of(proto::DT_FLOAT, {2, 2});
    for (float v : {1.0f, -2.5f, 3.0f, 0.0f}) typed.add_float_val(v);
    Tensor t = tensor_from_proto(typed, "t");
    CHECK(t.type() == TensorType{DType::f32, {2, 2}});
    CHECK(values_of<float>(t) == std::vector<float>{1, -2.5f, 3, 0});
    CHECK(bytes_of(tensor_from_proto(tensor_to_proto(t), "t")) == bytes_of(t));
  }
  SECTION("i32, i8 and bool: int_val") {
    proto::TensorProto p = proto_of(proto::DT_INT32, {3});
    for (int v : {-1, 0, 7}) p.add_int_val(v);
    CHECK(values_of<int32_t>(tensor_from_proto(p, "t")) == std::vector<int32_t>{-1, 0, 7});
    p.set_dtype(proto::DT_INT8);
    CHECK(values_of<int8_t>(tensor_from_proto(p, "t")) == std::vector<int8_t>{-1, 0, 7});
    p.set_dtype(proto::DT_BOOL);
    CHECK(values_of<bool>(tensor_from_proto(p, "t")) == std::vector<bool>{true, false, true});
  }
  SECTION("i64: int64_val") {
    proto::TensorProto p = proto_of(proto::DT_INT64, {2});
    p.add_int64_val(int64_t{1} << 40);
    p.add_int64_val(-3);
    CHECK(values_of<int64_t>(tensor_from_proto(p, "t")) == std::vector<int64_t>{int64_t{1} << 40, -3});
  }
  SECTION("f16: raw_data") {
    proto::TensorProto p = proto_of(proto::DT_HALF, {2});
    p.set_raw_data(std::string("\x00\x3c\x00\xc0", 4));  // 1.0, -2.0
    Tensor t = tensor_from_proto(p, "t");
    CHECK(t.type() == TensorType{DType::f16, {2}});
    CHECK(bytes_of(t) == p.raw_data());
  }
  SECTION("a scalar") {
    proto::TensorProto p = proto_of(proto::DT_FLOAT, {});
    p.add_float_val(4.5f);
    CHECK(values_of<float>(tensor_from_proto(p, "t")) == std::vector<float>{4.5f});
  }
  SECTION("an empty tensor needs no data") {
    Tensor t = tensor_from_proto(proto_of(proto::DT_INT64, {3, 0}), "t");
    CHECK(t.type() == TensorType{DType::i64, {3, 0}});
    CHECK(t.byte_size() == 0);
  }
}

TEST_CASE("tensor_from_proto rejects data that disagree with dtype and dims", "[runtime]") {
  SECTION("too few typed values") {
    proto::TensorProto p = proto_of(proto::DT_FLOAT, {3});
    p.add_float_val(1);
    require_decode_error(p, "tensor of shape [3] needs 3 values, float_val has 1");
  }
  SECTION("too many typed values") {
    proto::TensorProto p = proto_of(proto::DT_INT32, {1});
    p.add_int_val(1);
    p.add_int_val(2);
    require_decode_error(p, "tensor of shape [1] needs 1 values, int_val has 2");
  }
  SECTION("raw_data of the wrong size") {
    proto::TensorProto p = proto_of(proto::DT_INT64, {2});
    p.set_raw_data(std::string(12, '\0'));
    require_decode_error(p, "raw_data has 12 bytes but i64 [2] needs 16");
  }
  SECTION("typed values of another dtype's field") {
    proto::TensorProto p = proto_of(proto::DT_FLOAT, {1});
    p.add_int_val(1);
    require_decode_error(p, "typed values do not match dtype f32 (f32 uses float_val; i8, i32 and bool use int_val; "
                            "i64 uses int64_val; f16 and bf16 need raw_data)");
  }
  SECTION("typed values in two fields") {
    proto::TensorProto p = proto_of(proto::DT_FLOAT, {1});
    p.add_float_val(1);
    p.add_int_val(1);
    require_decode_error(p, "typed values do not match dtype f32 (f32 uses float_val; i8, i32 and bool use int_val; "
                            "i64 uses int64_val; f16 and bf16 need raw_data)");
  }
  SECTION("typed values for f16") {
    proto::TensorProto p = proto_of(proto::DT_HALF, {1});
    p.add_float_val(1);
    require_decode_error(p, "typed values do not match dtype f16 (f32 uses float_val; i8, i32 and bool use int_val; "
                            "i64 uses int64_val; f16 and bf16 need raw_data)");
  }
  SECTION("both raw_data and typed values") {
    proto::TensorProto p = proto_of(proto::DT_FLOAT, {1});
    p.add_float_val(1);
    p.set_raw_data(std::string(4, '\0'));
    require_decode_error(p, "tensor has data in more than one of raw_data, typed values and external");
  }
  SECTION("no data for a non-empty shape") {
    require_decode_error(proto_of(proto::DT_FLOAT, {2}), "tensor of shape [2] has no data");
  }
  SECTION("an invalid dtype") {
    require_decode_error(proto_of(proto::DT_INVALID, {1}),
                         "invalid dtype DT_INVALID (expected one of DT_FLOAT, DT_HALF, DT_BFLOAT16, DT_INT8, DT_INT32, "
                         "DT_INT64, DT_BOOL)");
    require_decode_error(proto_of(static_cast<proto::DataType>(42), {1}), Catch::StartsWith("invalid dtype 42"));
  }
  SECTION("a negative dim") {
    require_decode_error(proto_of(proto::DT_FLOAT, {2, -1}), "tensor dims [2,-1] contain a negative dim");
  }
  SECTION("dims whose product overflows") {
    require_decode_error(proto_of(proto::DT_FLOAT, {int64_t{1} << 32, int64_t{1} << 32}),
                         "tensor dims [4294967296,4294967296] overflow");
  }
  SECTION("a huge shape with a few bytes of data fails before allocating") {
    proto::TensorProto p = proto_of(proto::DT_FLOAT, {int64_t{1} << 40});
    p.set_raw_data(std::string(4, '\0'));
    require_decode_error(p, "raw_data has 4 bytes but f32 [1099511627776] needs 4398046511104");
  }
}

TEST_CASE("tensor_from_proto reads external data inside the base directory only", "[runtime]") {
  TempDir dir;
  std::string floats = bytes_of(make_tensor<float>({4}, {1, 2, 3, 4}));
  dir.write("w.bin", floats);
  dir.write("sub/w.bin", floats);
  dir.write("outside.bin", floats);
  std::filesystem::path model_dir = dir / "model";
  std::filesystem::create_directories(model_dir / "sub");
  std::filesystem::copy_file(dir / "w.bin", model_dir / "w.bin");
  std::filesystem::copy_file(dir / "w.bin", model_dir / "sub" / "w.bin");

  SECTION("a relative path, with an offset") {
    CHECK(values_of<float>(tensor_from_proto(external_f32x2("w.bin", 4), "t", model_dir)) == std::vector<float>{2, 3});
  }
  SECTION("a path into a subdirectory") {
    CHECK(values_of<float>(tensor_from_proto(external_f32x2("sub/w.bin", 8), "t", model_dir)) ==
          std::vector<float>{3, 4});
  }
  SECTION("a path through '..' that stays inside") {
    CHECK(values_of<float>(tensor_from_proto(external_f32x2("sub/../w.bin", 0), "t", model_dir)) ==
          std::vector<float>{1, 2});
  }
  SECTION("a base directory spelled with a trailing separator") {
    CHECK(values_of<float>(tensor_from_proto(external_f32x2("w.bin", 0), "t", model_dir.string() + "/")) ==
          std::vector<float>{1, 2});
  }
  SECTION("an absolute path") {
    std::string abs = (model_dir / "w.bin").string();
    require_decode_error(external_f32x2(abs, 0),
                         "external data path '" + abs + "' must be relative to the model's directory", model_dir);
  }
  SECTION("an empty path") {
    require_decode_error(external_f32x2("", 0), "external data path '' must be relative to the model's directory",
                         model_dir);
  }
  SECTION("a '..' escape") {
    require_decode_error(external_f32x2("../outside.bin", 0),
                         "external data path '../outside.bin' leaves the model's directory", model_dir);
    require_decode_error(external_f32x2("sub/../../outside.bin", 0),
                         "external data path 'sub/../../outside.bin' leaves the model's directory", model_dir);
  }
  SECTION("a sibling directory sharing the base's name as a prefix") {
    dir.write("model2/w.bin", floats);
    require_decode_error(external_f32x2("../model2/w.bin", 0),
                         "external data path '../model2/w.bin' leaves the model's directory", model_dir);
  }
  SECTION("a symlink pointing outside") {
    std::filesystem::create_symlink(dir / "outside.bin", model_dir / "link.bin");
    require_decode_error(external_f32x2("link.bin", 0), "external data path 'link.bin' leaves the model's directory",
                         model_dir);
  }
  SECTION("data past the end of the file") {
    require_decode_error(external_f32x2("w.bin", 12),
                         "external data [12, +8) lies past the end of '" + (model_dir / "w.bin").string() +
                             "' (16 bytes)",
                         model_dir);
    require_decode_error(external_f32x2("w.bin", 20),
                         "external data [20, +8) lies past the end of '" + (model_dir / "w.bin").string() +
                             "' (16 bytes)",
                         model_dir);
  }
  SECTION("a negative offset") {
    require_decode_error(external_f32x2("w.bin", -4), Catch::StartsWith("external data [-4, +8) lies past the end"), model_dir);
  }
  SECTION("a length that is not the tensor's byte size") {
    require_decode_error(external_f32x2("w.bin", 0, 12), "external data length 12 does not match the tensor's 8 bytes",
                         model_dir);
  }
  SECTION("a missing file") {
    require_decode_error(external_f32x2("nope.bin", 0),
                         Catch::StartsWith("cannot read external data file"), model_dir);
  }
}

TEST_CASE("a Const's external data is found beside the model file", "[runtime][import]") {
  TempDir dir;
  dir.write("weights.bin", bytes_of(make_tensor<float>({3}, {7, 8, 9})));
  auto model = dir.write("m.pbtxt", R"(
node { name: "c" op: "Const" attr { key: "value" value { tensor {
  dtype: DT_FLOAT dims: 3 external { path: "weights.bin" offset: 0 length: 12 } } } } }
node { name: "y" op: "Neg" input: "c" }
)");
  auto g = import_graphdef(read_graphdef(model), model.string());
  Tensor value = tensor_from_proto(g->find("c")->attrs().get_tensor("value"), "c");
  CHECK(values_of<float>(value) == std::vector<float>{7, 8, 9});
  CHECK_FALSE(g->find("c")->attrs().get_tensor("value").has_external());
}
