// Shared helpers of the compiler and runtime unit tests: GraphDefs written
// inline as text protos, typed tensors from initializer lists, and a
// temporary directory that cleans up after itself.
#pragma once

#include <fmt/format.h>
#include <google/protobuf/text_format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/compiler.h"
#include "compiler/import/graphdef_import.h"
#include "compiler/ir/graph.h"
#include "graphc/tensor.h"
#include "proto/graph.pb.h"

namespace graphc::testing {

// ----- GraphDefs as text ---------------------------------------------------

/// Parses a text-format GraphDef; a syntax error in a test's own text fails
/// the test at once.
inline proto::GraphDef parse_graphdef(std::string_view text) {
  proto::GraphDef def;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(text), &def)) {
    FAIL("test GraphDef does not parse:\n" << text);
  }
  return def;
}

/// import_graphdef of a text GraphDef, as if read from "test.pbtxt".
inline std::unique_ptr<ir::Graph> import_text(std::string_view text, const ShapeOverrides& shapes = {}) {
  return import_graphdef(parse_graphdef(text), "test.pbtxt", shapes);
}

/// The module of a text GraphDef compiled at `opt_level`.
inline proto::Module compile_text(std::string_view text, int opt_level = 0, const ShapeOverrides& shapes = {}) {
  auto graph = import_text(text, shapes);
  CompileOptions options;
  options.opt_level = opt_level;
  std::ostringstream diag;
  return compile_graph(*graph, options, diag);
}

/// `dim: 2 dim: 3` for {2, 3}.
inline std::string dims_text(const Shape& shape, const char* field = "dim") {
  std::string out;
  for (int64_t d : shape) out += fmt::format("{}: {} ", field, d);
  return out;
}

/// A Placeholder node.
inline std::string placeholder_node(const std::string& name, const Shape& shape,
                                    const std::string& dtype = "DT_FLOAT") {
  return fmt::format(
      "node {{ name: '{}' op: 'Placeholder' attr {{ key: 'dtype' value {{ type: {} }} }} "
      "attr {{ key: 'shape' value {{ shape {{ {}}} }} }} }}\n",
      name, dtype, dims_text(shape));
}

/// A float Const node holding `values` (float_val).
inline std::string const_node(const std::string& name, const Shape& shape, const std::vector<float>& values) {
  std::string vals;
  for (float v : values) vals += fmt::format("float_val: {} ", v);
  return fmt::format(
      "node {{ name: '{}' op: 'Const' attr {{ key: 'value' value {{ tensor {{ dtype: DT_FLOAT {}{}}} }} }} }}\n",
      name, dims_text(shape, "dims"), vals);
}

/// Any other node: `inputs` as written in a GraphDef ("a", "a:1", "^a"),
/// `attrs` as raw text (e.g. "attr { key: 'axis' value { i: 1 } }").
inline std::string op_node(const std::string& name, const std::string& op, const std::vector<std::string>& inputs,
                           const std::string& attrs = "") {
  std::string ins;
  for (const auto& i : inputs) ins += fmt::format("input: '{}' ", i);
  return fmt::format("node {{ name: '{}' op: '{}' {}{} }}\n", name, op, ins, attrs);
}

/// A signature entry block: `signature { inputs { ... } outputs { ... } }`
/// from (name, tensor) pairs.
inline std::string signature_text(const std::vector<std::pair<std::string, std::string>>& inputs,
                                  const std::vector<std::pair<std::string, std::string>>& outputs) {
  std::string out = "signature { ";
  for (const auto& [name, tensor] : inputs) out += fmt::format("inputs {{ name: '{}' tensor: '{}' }} ", name, tensor);
  for (const auto& [name, tensor] : outputs) out += fmt::format("outputs {{ name: '{}' tensor: '{}' }} ", name, tensor);
  return out + "}\n";
}

// ----- Tensors ----------------------------------------------------------------

/// f32 values uniform in [low, high), the same for the same seed.
inline Tensor random_tensor(const Shape& shape, uint32_t seed, float low = -1.0f, float high = 1.0f) {
  Tensor t(DType::f32, shape);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(low, high);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.num_elements(); ++i) p[i] = dist(gen);
  return t;
}

/// A tensor of `shape` holding `values` (C order).
template <class T>
Tensor make_tensor(const Shape& shape, const std::vector<T>& values) {
  Tensor t(dtype_of<T>(), shape);
  REQUIRE(static_cast<int64_t>(values.size()) == t.num_elements());
  if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
  return t;
}

/// A tensor's elements as a vector.
template <class T>
std::vector<T> values_of(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.num_elements());
}

/// The raw bytes of a tensor, for comparisons that ignore the dtype.
inline std::string bytes_of(const Tensor& t) {
  return std::string(static_cast<const char*>(t.raw_data()), t.byte_size());
}

// ----- Files ------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "graphc_test.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) FAIL("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  /// Writes `bytes` to `name` inside the directory and returns its path.
  std::filesystem::path write(const std::string& name, std::string_view bytes) const {
    std::filesystem::path p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
    return p;
  }

  /// The names of the directory's entries, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(path_)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::filesystem::path path_;
};

/// The whole content of a file (test-side, independent of graphc::read_file).
inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace graphc::testing
