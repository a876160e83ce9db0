// Module loading (runtime/src/module.cc): a module's consistency checks,
// each broken by one edit of a valid module, and loading from files.
#include "graphc/module.h"

#include <catch2/catch.hpp>
#include <functional>

#include "compiler/compiler.h"
#include "graphc/error.h"
#include "runtime/core/tensor_proto.h"
#include "test_graphs.h"

using namespace graphc;
using namespace graphc::testing;
using Catch::Matchers::Contains;

namespace {

/// r = Relu(x + c). Values: x 0, c 1, y 2, r 3; steps: y (Add), r (Relu).
proto::Module valid_module() {
  proto::Module m = compile_text(placeholder_node("x", {2}) + const_node("c", {2}, {1, 2}) +
                                 op_node("y", "Add", {"x", "c"}) + op_node("r", "Relu", {"y"}));
  REQUIRE(m.values_size() == 4);
  REQUIRE(m.steps_size() == 2);
  return m;
}

/// Expects from_proto of the valid module after `edit` to fail with `what`
/// (a whole message or a string matcher).
template <class What>
void require_rejected(const std::function<void(proto::Module&)>& edit, const What& what) {
  proto::Module m = valid_module();
  edit(m);
  REQUIRE_THROWS_WITH(Module::from_proto(std::move(m)), what);
}

}  // namespace

TEST_CASE("Module::from_proto loads a valid module with its signature", "[runtime]") {
  auto module = Module::from_proto(valid_module());
  REQUIRE(module->inputs().size() == 1);
  CHECK(module->inputs()[0].name == "x");
  CHECK(module->inputs()[0].type == TensorType{DType::f32, {2}});
  REQUIRE(module->outputs().size() == 1);
  CHECK(module->outputs()[0].name == "r");
  CHECK(module->outputs()[0].type == TensorType{DType::f32, {2}});
}

TEST_CASE("Module::from_proto rejects inconsistent modules, naming the culprit", "[runtime]") {
  SECTION("another format version") {
    require_rejected([](proto::Module& m) { m.set_format_version(2); },
                     "module: format version 2 is not supported (this runtime reads version 3); recompile the model");
  }
  SECTION("a step input id out of range") {
    require_rejected([](proto::Module& m) { m.mutable_steps(0)->set_inputs(1, 9); },
                     "node 'y' (Add): refers to value 9 but the module has 4 values");
  }
  SECTION("a negative step output id") {
    require_rejected([](proto::Module& m) { m.mutable_steps(1)->set_outputs(0, -1); },
                     "node 'r' (Relu): refers to value -1 but the module has 4 values");
  }
  SECTION("a constant id out of range") {
    require_rejected([](proto::Module& m) { m.mutable_constants(0)->set_value(4); },
                     "constant 4: refers to value 4 but the module has 4 values");
  }
  SECTION("an output binding out of range") {
    require_rejected([](proto::Module& m) { m.mutable_outputs(0)->set_value(100); },
                     "output 'r': refers to value 100 but the module has 4 values");
  }
  SECTION("a step writing a constant") {
    require_rejected([](proto::Module& m) { m.mutable_steps(1)->set_outputs(0, 1); },
                     "node 'r' (Relu): value 'c' is defined twice");
  }
  SECTION("an input bound to a constant") {
    require_rejected([](proto::Module& m) { m.mutable_inputs(0)->set_value(1); },
                     "input 'x': value 'c' is defined twice");
  }
  SECTION("a step reading a value before it is defined") {
    require_rejected(
        [](proto::Module& m) {
          m.mutable_steps()->SwapElements(0, 1);
          for (auto& step : *m.mutable_steps()) step.clear_deps();
        },
        "node 'r' (Relu): reads value 'y' before any step defines it");
  }
  SECTION("a step depending on a later step") {
    require_rejected([](proto::Module& m) { m.mutable_steps()->SwapElements(0, 1); },
                     "node 'r' (Relu): depends on step 0, which is not listed before it");
  }
  SECTION("an output no step defines") {
    require_rejected(
        [](proto::Module& m) {
          auto* v = m.add_values();
          v->set_name("orphan");
          v->set_dtype(proto::DT_FLOAT);
          m.mutable_outputs(0)->set_value(4);
        },
        "output 'r': reads value 'orphan' before any step defines it");
  }
  SECTION("constant data of another shape than the value") {
    require_rejected(
        [](proto::Module& m) {
          *m.mutable_constants(0)->mutable_data() = tensor_to_proto(make_tensor<float>({3}, {1, 2, 3}));
        },
        "constant 'c': data is f32[3], the value is declared f32[2]");
  }
  SECTION("constant data of another dtype than the value") {
    require_rejected(
        [](proto::Module& m) {
          *m.mutable_constants(0)->mutable_data() = tensor_to_proto(make_tensor<int32_t>({2}, {1, 2}));
        },
        "constant 'c': data is i32[2], the value is declared f32[2]");
  }
  SECTION("constant data disagreeing with its own dims") {
    require_rejected([](proto::Module& m) { m.mutable_constants(0)->mutable_data()->set_raw_data("abc"); },
                     "constant 'c': raw_data has 3 bytes but f32 [2] needs 8");
  }
  SECTION("an op without a kernel") {
    require_rejected([](proto::Module& m) { m.mutable_steps(0)->set_op("Frobnicate"); },
                     "node 'y' (Frobnicate): no kernel is registered for this op");
  }
  SECTION("a negative dim") {
    require_rejected([](proto::Module& m) { m.mutable_values(0)->set_shape(0, -1); },
                     "value 'x': shape [-1] has a negative dim");
  }
  SECTION("an invalid dtype") {
    require_rejected([](proto::Module& m) { m.mutable_values(2)->set_dtype(proto::DT_INVALID); },
                     Catch::StartsWith("value 'y': invalid dtype DT_INVALID"));
  }
}

TEST_CASE("Module::load reads a written module and names the file on bad data", "[runtime]") {
  TempDir dir;
  SECTION("a module written by write_module") {
    write_module(dir / "m.gcm", valid_module());
    auto module = Module::load(dir / "m.gcm");
    CHECK(module->outputs()[0].name == "r");
  }
  SECTION("a file that is not a module") {
    auto path = dir.write("text.gcm", "this is not a protobuf \xff\xff\xff");
    REQUIRE_THROWS_WITH(Module::load(path), path.string() + ": not a graphc module (.gcm): the file does not parse");
  }
  SECTION("a GraphDef instead of a module") {
    auto path = dir.write("graph.gcm", parse_graphdef(placeholder_node("x", {2})).SerializeAsString());
    REQUIRE_THROWS_WITH(Module::load(path), Catch::StartsWith(path.string() + ": "));
  }
  SECTION("a module that fails a check") {
    proto::Module m = valid_module();
    m.set_format_version(7);
    write_module(dir / "old.gcm", m);
    REQUIRE_THROWS_WITH(Module::load(dir / "old.gcm"),
                        Catch::StartsWith((dir / "old.gcm").string() + ": module: format version 7"));
  }
  SECTION("a missing file") {
    REQUIRE_THROWS_WITH(Module::load(dir / "none.gcm"), Contains("none.gcm: cannot open"));
  }
}
