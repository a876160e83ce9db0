// The ONNX importer: models built here in memory (or written to a temporary
// directory) are imported, compiled and run, and every bad input the issue
// names fails with an error naming the file and node.
#include "compiler/import/onnx_import.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "compiler/compiler.h"
#include "compiler/import/onnx_model.h"
#include "graphc/error.h"
#include "graphc/module.h"
#include "graphc/session.h"

using namespace graphc;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

/// A scratch directory removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / fmt::format("graphc_onnx_test_{}", ::getpid());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

onnx::ModelProto new_model(int opset = 13) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  return m;
}

void add_input(onnx::ModelProto& m, const std::string& name, const std::vector<int64_t>& dims,
               int32_t dtype = onnx::TensorProto::FLOAT) {
  auto* in = m.mutable_graph()->add_input();
  in->set_name(name);
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(dtype);
  auto* shape = tt->mutable_shape();
  for (int64_t d : dims) {
    auto* dim = shape->add_dim();
    if (d < 0) {
      dim->set_dim_param("batch");
    } else {
      dim->set_dim_value(d);
    }
  }
}

void add_output(onnx::ModelProto& m, const std::string& name) { m.mutable_graph()->add_output()->set_name(name); }

onnx::NodeProto* add_node(onnx::ModelProto& m, const std::string& op, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const std::string& name = "") {
  auto* n = m.mutable_graph()->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return n;
}

onnx::TensorProto* add_initializer(onnx::ModelProto& m, const std::string& name, const std::vector<int64_t>& dims,
                                   const std::vector<float>& values) {
  auto* t = m.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  for (float v : values) t->add_float_data(v);
  return t;
}

void add_ints_initializer(onnx::ModelProto& m, const std::string& name, const std::vector<int64_t>& values) {
  auto* t = m.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(static_cast<int64_t>(values.size()));
  for (int64_t v : values) t->add_int64_data(v);
}

Tensor f32_tensor(Shape shape, const std::vector<float>& values) {
  Tensor t(DType::f32, std::move(shape));
  std::copy(values.begin(), values.end(), t.data<float>());
  return t;
}

/// Imports, compiles and runs `m` on `inputs`; returns output `name`.
Tensor run_model(const onnx::ModelProto& m, const std::map<std::string, Tensor>& inputs, const std::string& output,
                 const ShapeOverrides& shapes = {}) {
  OnnxImportOptions options;
  options.shapes = shapes;
  auto graph = import_onnx(m, "model.onnx", options);
  std::ostringstream diag;
  auto module = Module::from_proto(compile_graph(*graph, CompileOptions{}, diag));
  Session session(module);
  for (const auto& [name, t] : inputs) session.set_input(name, t);
  session.run();
  return session.output(output).clone();
}

void require_error(const std::function<void()>& fn, const std::vector<std::string>& fragments) {
  try {
    fn();
  } catch (const Error& e) {
    for (const auto& f : fragments) CHECK_THAT(e.what(), Contains(f));
    return;
  }
  FAIL("no error");
}

}  // namespace

TEST_CASE("ONNX: Gemm with an initializer listed as a graph input", "[import][onnx]") {
  auto m = new_model();
  add_input(m, "x", {1, 2});
  add_input(m, "w", {2, 2});  // also an initializer: a default value, not an input
  add_initializer(m, "w", {2, 2}, {1, 2, 3, 4});
  add_initializer(m, "c", {2}, {10, 20});
  auto* gemm = add_node(m, "Gemm", {"x", "w", "c"}, {"y"}, "gemm:0");
  auto* alpha = gemm->add_attribute();
  alpha->set_name("alpha");
  alpha->set_type(onnx::AttributeProto::FLOAT);
  alpha->set_f(2.0f);
  add_output(m, "y");

  auto graph = import_onnx(m, "model.onnx");
  REQUIRE(graph->inputs().size() == 1);
  CHECK(graph->inputs()[0].name == "x");
  for (ir::Node* n : graph->nodes()) CHECK(n->name().find(':') == std::string::npos);

  // y = 2 * [1, 1] . [[1, 2], [3, 4]] + [10, 20] = [18, 32]
  Tensor y = run_model(m, {{"x", f32_tensor({1, 2}, {1, 1})}}, "y");
  CHECK(y.shape() == Shape{1, 2});
  CHECK(y.data<float>()[0] == 18.0f);
  CHECK(y.data<float>()[1] == 32.0f);
}

TEST_CASE("ONNX: empty and clashing node names become unique valid names", "[import][onnx]") {
  auto m = new_model();
  add_input(m, "x", {3});
  add_node(m, "Relu", {"x"}, {"a"}, "");
  add_node(m, "Neg", {"a"}, {"b"}, "");
  add_node(m, "Abs", {"b"}, {"c"}, "n:1");
  add_node(m, "Exp", {"c"}, {"d"}, "n_1");
  add_output(m, "d");
  auto graph = import_onnx(m, "model.onnx");
  std::set<std::string> names;
  for (ir::Node* n : graph->nodes()) {
    CHECK(n->name().find_first_of(":^ ") == std::string::npos);
    CHECK(names.insert(n->name()).second);
  }
  // exp(|-relu([-1, 0, 2])|) = [1, 1, e^2]
  Tensor y = run_model(m, {{"x", f32_tensor({3}, {-1, 0, 2})}}, "d");
  CHECK(y.data<float>()[0] == 1.0f);
  CHECK(y.data<float>()[2] == Approx(7.389056f));
}

TEST_CASE("ONNX: symbolic dims and a shape subgraph fold once shapes are fixed", "[import][onnx]") {
  auto m = new_model();
  add_input(m, "x", {-1, 2, 3});
  add_ints_initializer(m, "idx", {0});
  add_ints_initializer(m, "minus1", {-1});
  add_node(m, "Shape", {"x"}, {"s"});
  add_node(m, "Gather", {"s", "idx"}, {"batch"});
  auto* axis = add_node(m, "Concat", {"batch", "minus1"}, {"target"})->add_attribute();
  axis->set_name("axis");
  axis->set_type(onnx::AttributeProto::INT);
  axis->set_i(0);
  add_node(m, "Reshape", {"x", "target"}, {"y"});
  add_output(m, "y");

  // Without --shape the batch dim is -1 and the subgraph stays.
  auto graph = import_onnx(m, "model.onnx");
  CHECK(graph->inputs()[0].value->producer()->attrs().get_shape("shape") == Shape{-1, 2, 3});

  Tensor x(DType::f32, {2, 2, 3});
  for (int i = 0; i < 12; ++i) x.data<float>()[i] = static_cast<float>(i);
  Tensor y = run_model(m, {{"x", x}}, "y", {{"x", {2, 2, 3}}});
  CHECK(y.shape() == Shape{2, 6});
  CHECK(y.data<float>()[11] == 11.0f);

  // The same subgraph exported as a GraphDef with -1 dims compiles once
  // --shape fixes them: infer-shapes reads Shape of a typed value.
  proto::GraphDef def = export_graphdef(*graph);
  auto reimported = import_graphdef(def, "model.pb", {{"x", {4, 2, 3}}});
  std::ostringstream diag;
  proto::Module module = compile_graph(*reimported, CompileOptions{}, diag);
  auto loaded = Module::from_proto(module);
  CHECK(loaded->outputs()[0].type.shape == Shape{4, 6});
  for (const auto& step : module.steps()) CHECK(step.op() != "Shape");
}

TEST_CASE("ONNX: every unsupported op is listed with counts and node names", "[import][onnx]") {
  auto m = new_model();
  add_input(m, "x", {3});
  add_node(m, "FancyOp", {"x"}, {"a"}, "f1");
  add_node(m, "FancyOp", {"a"}, {"b"}, "f2");
  add_node(m, "OtherOp", {"b"}, {"c"}, "o1");
  add_output(m, "c");
  require_error([&] { import_onnx(m, "model.onnx"); },
                {"model.onnx", "2 unsupported ONNX op types", "FancyOp x2", "'f1', 'f2'", "OtherOp x1", "'o1'"});
}

TEST_CASE("ONNX: bad models fail with errors naming the file and node", "[import][onnx]") {
  SECTION("opset newer than supported") {
    auto m = new_model(kMaxOnnxOpset + 1);
    add_input(m, "x", {1});
    add_node(m, "Relu", {"x"}, {"y"});
    add_output(m, "y");
    require_error([&] { import_onnx(m, "model.onnx"); }, {"model.onnx", "opset 18"});
  }
  SECTION("tensor data disagreeing with its shape") {
    auto m = new_model();
    add_input(m, "x", {2});
    add_initializer(m, "w", {3}, {1, 2});
    add_node(m, "Add", {"x", "w"}, {"y"});
    add_output(m, "y");
    require_error([&] { import_onnx(m, "model.onnx"); }, {"model.onnx", "initializer 'w'", "needs 3 values"});
  }
  SECTION("an input no node produces") {
    auto m = new_model();
    add_input(m, "x", {2});
    add_node(m, "Add", {"x", "missing"}, {"y"}, "adder");
    add_output(m, "y");
    require_error([&] { import_onnx(m, "model.onnx"); }, {"model.onnx", "node 'adder' (Add)", "'missing'"});
  }
  SECTION("truncated and corrupt files") {
    TempDir dir;
    auto m = new_model();
    add_input(m, "x", {2});
    add_initializer(m, "w", {2}, {1, 2});
    add_node(m, "Add", {"x", "w"}, {"y"});
    add_output(m, "y");
    std::string bytes;
    m.SerializeToString(&bytes);
    fs::path truncated = dir.path / "truncated.onnx";
    std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() - 7);
    require_error([&] { load_onnx(truncated); }, {"truncated.onnx", "does not parse"});
    fs::path garbage = dir.path / "garbage.onnx";
    std::ofstream(garbage, std::ios::binary) << "\xff\xff\xff\xff not a model";
    require_error([&] { load_onnx(garbage); }, {"garbage.onnx", "does not parse"});
  }
  SECTION("external data outside the model's directory or past its end") {
    TempDir dir;
    fs::create_directories(dir.path / "model");
    std::ofstream(dir.path / "model" / "weights.bin", std::ios::binary) << std::string(8, '\0');
    std::ofstream(dir.path / "secret.bin", std::ios::binary) << std::string(8, '\0');
    auto make = [&](const std::string& location, const std::string& offset) {
      auto m = new_model();
      add_input(m, "x", {2});
      auto* t = m.mutable_graph()->add_initializer();
      t->set_name("w");
      t->set_data_type(onnx::TensorProto::FLOAT);
      t->add_dims(2);
      t->set_data_location(onnx::TensorProto::EXTERNAL);
      auto* loc = t->add_external_data();
      loc->set_key("location");
      loc->set_value(location);
      auto* off = t->add_external_data();
      off->set_key("offset");
      off->set_value(offset);
      add_node(m, "Add", {"x", "w"}, {"y"});
      add_output(m, "y");
      fs::path path = dir.path / "model" / "m.onnx";
      std::string bytes;
      m.SerializeToString(&bytes);
      std::ofstream(path, std::ios::binary) << bytes;
      return path;
    };
    CHECK_NOTHROW(load_onnx(make("weights.bin", "0")));
    require_error([&] { load_onnx(make("../secret.bin", "0")); }, {"m.onnx", "initializer 'w'", "leaves the model's directory"});
    require_error([&] { load_onnx(make("/etc/passwd", "0")); }, {"initializer 'w'", "relative"});
    require_error([&] { load_onnx(make("weights.bin", "4")); }, {"initializer 'w'", "past the end"});
  }
}

TEST_CASE("ONNX: version-specific forms (Squeeze axes attr vs input, Clip attrs vs inputs)", "[import][onnx]") {
  for (int opset : {11, 13}) {
    INFO("opset " << opset);
    auto m = new_model(opset);
    add_input(m, "x", {1, 3});
    auto* sq = add_node(m, "Squeeze", opset >= 13 ? std::vector<std::string>{"x", "axes"} : std::vector<std::string>{"x"},
                        {"s"});
    if (opset >= 13) {
      add_ints_initializer(m, "axes", {0});
    } else {
      auto* a = sq->add_attribute();
      a->set_name("axes");
      a->set_type(onnx::AttributeProto::INTS);
      a->add_ints(0);
    }
    add_initializer(m, "lo", {}, {0.0f});
    add_initializer(m, "hi", {}, {1.0f});
    add_node(m, "Clip", {"s", "lo", "hi"}, {"y"});
    add_output(m, "y");
    Tensor y = run_model(m, {{"x", f32_tensor({1, 3}, {-2, 0.5f, 3})}}, "y");
    CHECK(y.shape() == Shape{3});
    CHECK(y.data<float>()[0] == 0.0f);
    CHECK(y.data<float>()[1] == 0.5f);
    CHECK(y.data<float>()[2] == 1.0f);
  }
  auto old = new_model(6);
  add_input(old, "x", {2});
  auto* clip = add_node(old, "Clip", {"x"}, {"y"});
  auto* lo = clip->add_attribute();
  lo->set_name("min");
  lo->set_type(onnx::AttributeProto::FLOAT);
  lo->set_f(-1.0f);
  add_output(old, "y");
  Tensor y = run_model(old, {{"x", f32_tensor({2}, {-5, 5})}}, "y");
  CHECK(y.data<float>()[0] == -1.0f);
  CHECK(y.data<float>()[1] == 5.0f);
}

TEST_CASE("ONNX: TopK's k as attribute (opset 1) and input (opset 10 on)", "[import][onnx]") {
  for (int opset : {1, 10, 11}) {
    INFO("opset " << opset);
    auto m = new_model(opset);
    add_input(m, "x", {2, 3});
    auto* top = add_node(m, "TopK", opset >= 10 ? std::vector<std::string>{"x", "k"} : std::vector<std::string>{"x"},
                         {"values", "indices"});
    auto* k = top->add_attribute();
    if (opset >= 10) {
      add_ints_initializer(m, "k", {2});
      k->set_name("axis");  // the default, given
      k->set_type(onnx::AttributeProto::INT);
      k->set_i(-1);
    } else {
      k->set_name("k");
      k->set_type(onnx::AttributeProto::INT);
      k->set_i(2);
    }
    add_output(m, "values");
    add_output(m, "indices");
    Tensor x = f32_tensor({2, 3}, {1, 3, 2, 6, 5, 4});
    Tensor values = run_model(m, {{"x", x}}, "values");
    CHECK(std::vector<float>(values.data<float>(), values.data<float>() + 4) == std::vector<float>{3, 2, 6, 5});
    Tensor indices = run_model(m, {{"x", x}}, "indices");
    CHECK(std::vector<int64_t>(indices.data<int64_t>(), indices.data<int64_t>() + 4) ==
          std::vector<int64_t>{1, 2, 0, 1});
  }
}

TEST_CASE("ONNX: ConvTranspose's output_shape becomes pads and output_padding", "[import][onnx]") {
  auto m = new_model(11);
  add_input(m, "x", {1, 1, 2, 2});
  add_initializer(m, "w", {1, 1, 2, 2}, {1, 1, 1, 1});
  auto* conv = add_node(m, "ConvTranspose", {"x", "w"}, {"y"});
  auto* strides = conv->add_attribute();
  strides->set_name("strides");
  strides->set_type(onnx::AttributeProto::INTS);
  for (int64_t s : {2, 2}) strides->add_ints(s);
  auto* shape = conv->add_attribute();
  shape->set_name("output_shape");
  shape->set_type(onnx::AttributeProto::INTS);
  for (int64_t d : {3, 5}) shape->add_ints(d);  // full size 4x4: H padded by 1 (at the start), W extended by 1
  add_output(m, "y");
  Tensor y = run_model(m, {{"x", f32_tensor({1, 1, 2, 2}, {1, 2, 3, 4})}}, "y");
  REQUIRE(y.shape() == Shape{1, 1, 3, 5});
  CHECK(std::vector<float>(y.data<float>(), y.data<float>() + 15) ==
        std::vector<float>{1, 1, 2, 2, 0, 3, 3, 4, 4, 0, 3, 3, 4, 4, 0});
}

TEST_CASE("ONNX: a tensor file round trip and unsupported dtypes", "[import][onnx]") {
  onnx::TensorProto t;
  t.set_data_type(onnx::TensorProto::INT64);
  t.add_dims(2);
  t.add_int64_data(7);
  t.add_int64_data(-3);
  Tensor v = tensor_from_onnx(t, "t");
  CHECK(v.dtype() == DType::i64);
  CHECK(v.data<int64_t>()[1] == -3);
  t.set_data_type(onnx::TensorProto::DOUBLE);
  require_error([&] { tensor_from_onnx(t, "t"); }, {"DOUBLE", "not supported"});
}

TEST_CASE("ONNX: LSTM with omitted inputs before initial_h and an unused Y", "[import][onnx][rnn]") {
  // T 3, N 2, I 2, H 3: W and R are initializers (module constants), B and
  // sequence_lens omitted by empty names, Y unused.
  auto values = [](size_t n, float scale) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = scale * static_cast<float>(static_cast<int>(i % 7) - 3);
    return v;
  };
  Tensor x = f32_tensor({3, 2, 2}, values(12, 0.3f));
  Tensor h0 = f32_tensor({1, 2, 3}, values(6, 0.2f));
  auto model = [&](bool explicit_inputs) {
    auto m = new_model(14);
    add_input(m, "x", {3, 2, 2});
    add_input(m, "h0", {1, 2, 3});
    add_initializer(m, "w", {1, 12, 2}, values(24, 0.1f));
    add_initializer(m, "r", {1, 12, 3}, values(36, 0.05f));
    std::vector<std::string> inputs{"x", "w", "r", "", "", "h0"};
    if (explicit_inputs) {
      add_input(m, "b", {1, 24});
      add_input(m, "lengths", {2}, onnx::TensorProto::INT32);
      inputs = {"x", "w", "r", "b", "lengths", "h0"};
    }
    auto* lstm = add_node(m, "LSTM", inputs, {"", "y_h"}, "lstm");
    auto* hidden = lstm->add_attribute();
    hidden->set_name("hidden_size");
    hidden->set_type(onnx::AttributeProto::INT);
    hidden->set_i(3);
    add_output(m, "y_h");
    return m;
  };
  Tensor lengths(DType::i32, {2});
  std::fill_n(lengths.data<int32_t>(), 2, 3);
  Tensor omitted = run_model(model(false), {{"x", x}, {"h0", h0}}, "y_h");
  Tensor given = run_model(model(true), {{"x", x}, {"h0", h0}, {"b", Tensor(DType::f32, {1, 24})}, {"lengths", lengths}},
                           "y_h");
  REQUIRE(omitted.shape() == Shape{1, 2, 3});
  for (int64_t i = 0; i < 6; ++i) CHECK(omitted.data<float>()[i] == Approx(given.data<float>()[i]).margin(1e-5));

  auto bad = model(false);
  auto* alpha = bad.mutable_graph()->mutable_node(0)->add_attribute();
  alpha->set_name("activation_alpha");
  alpha->set_type(onnx::AttributeProto::FLOATS);
  alpha->add_floats(0.5f);
  require_error([&] { run_model(bad, {{"x", x}, {"h0", h0}}, "y_h"); }, {"lstm", "activation_alpha"});
}
