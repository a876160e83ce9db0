// Pipelines (compiler/pipeline): the default pipelines as text, the driver's
// debugging options (--print-after, --time-passes, --verify-each) and the
// fixed-point groups.
#include "compiler/pipeline.h"

#include <catch2/catch.hpp>
#include <regex>
#include <sstream>

#include "compiler/compiler.h"
#include "compiler/ir/printer.h"
#include "graphc/error.h"
#include "test_graphs.h"

using namespace graphc;
using namespace graphc::testing;
using Catch::Matchers::Contains;

namespace {

/// x + (1 + 2) and x + (2 + 1): the two sums fold to equal Consts, cse then
/// merges them and the two Adds of x.
const std::string kFoldable = placeholder_node("x", {1}) + const_node("one", {1}, {1}) + const_node("two", {1}, {2}) +
                              op_node("s1", "Add", {"one", "two"}) + op_node("s2", "Add", {"two", "one"}) +
                              op_node("a1", "Add", {"x", "s1"}) + op_node("a2", "Add", {"x", "s2"}) +
                              op_node("y", "Mul", {"a1", "a2"});

/// Runs the default pipeline of `opt_level` on `g` and returns the diagnostics.
std::string run_default(ir::Graph& g, int opt_level, const PipelineOptions& options) {
  std::ostringstream diag;
  run_pipeline(g, default_pipeline(opt_level), options, diag);
  return diag.str();
}

/// Options with one of the boolean switches on.
PipelineOptions with(bool PipelineOptions::*option) {
  PipelineOptions options;
  options.*option = true;
  return options;
}

/// Options printing the IR after the passes `names`.
PipelineOptions print_after(std::set<std::string> names) {
  PipelineOptions options;
  options.print_after = std::move(names);
  return options;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("describe_pipeline spells out the default pipelines", "[passes]") {
  CHECK(describe_pipeline(default_pipeline(0)) == "verify, infer-shapes, place");
  CHECK(describe_pipeline(default_pipeline(1)) == "verify, infer-shapes, simplify(fold-constants, cse, dce)*, place");
  CHECK(describe_pipeline(default_pipeline(2)) ==
        "verify, infer-shapes, simplify(fold-constants, cse, dce)*, fold-batchnorm, fuse-epilogue, fuse-elementwise, dce, "
        "assign-layout, place");
  CHECK(describe_pipeline(default_pipeline(1, true)) ==
        "verify, infer-shapes, autodiff, optimizer, infer-shapes, simplify(fold-constants, cse, dce)*, place");
  REQUIRE_THROWS_WITH(default_pipeline(3), "-O3 is not an optimisation level (0, 1 or 2)");
  REQUIRE_THROWS_WITH(default_pipeline(-1), "-O-1 is not an optimisation level (0, 1 or 2)");
}

TEST_CASE("compile option -O0 only types the graph", "[passes]") {
  auto g = import_text(kFoldable);
  run_default(*g, 0, {});
  CHECK(g->size() == 8);
  CHECK(g->find("y")->output(0)->type() == TensorType{DType::f32, {1}});
}

TEST_CASE("a fixed-point group repeats its passes until none changes the graph", "[passes]") {
  auto g = import_text(kFoldable);
  const Pipeline pipeline = {{"infer-shapes", {"infer-shapes"}}, {"simplify", {"fold-constants", "cse", "dce"}, true}};
  std::ostringstream diag;
  run_pipeline(*g, pipeline, with(&PipelineOptions::print_after_all), diag);
  CHECK(ir::print_graph(*g) ==
        "%x: f32[1] = Placeholder() {dtype=f32, shape=[1]}\n"
        "%s1/folded: f32[1] = Const() {value=tensor<f32[1]>}\n"
        "%a1: f32[1] = Add(%x, %s1/folded)\n"
        "%y: f32[1] = Mul(%a1, %a1)\n"
        "input x = %x\n"
        "output y = %y\n");
  // Round 1 changes the graph, round 2 confirms nothing changes any more.
  CHECK(count(diag.str(), "// ----- IR after fold-constants") == 2);
  CHECK(count(diag.str(), "// ----- IR after fold-constants (unchanged) -----") == 1);
  CHECK(count(diag.str(), "// ----- IR after dce (unchanged) -----") == 1);

  SECTION("running the pipeline again changes nothing") {
    std::ostringstream again;
    run_pipeline(*g, pipeline, with(&PipelineOptions::print_after_all), again);
    CHECK(count(again.str(), "// ----- IR after") == 4);
    CHECK(count(again.str(), "(unchanged)") == 4);
  }
}

TEST_CASE("compile option --print-after dumps the IR after the named pass", "[passes]") {
  auto g = import_text(placeholder_node("x", {2}) + op_node("y", "Relu", {"x"}));
  std::string diag = run_default(*g, 2, print_after({"infer-shapes"}));
  CHECK(diag ==
        "// ----- IR after infer-shapes -----\n"
        "%x: f32[2] = Placeholder() {dtype=f32, shape=[2]}\n"
        "%y: f32[2] = Relu(%x)\n"
        "input x = %x\n"
        "output y = %y\n");
}

TEST_CASE("compile option --print-after with an unknown pass fails before any pass runs", "[passes]") {
  auto g = import_text(placeholder_node("x", {2}) + op_node("y", "Relu", {"x"}));
  std::ostringstream diag;
  REQUIRE_THROWS_WITH(run_pipeline(*g, default_pipeline(2), print_after({"fold"}), diag),
                      "--print-after: unknown pass 'fold'");
  CHECK_FALSE(g->find("y")->output(0)->has_type());
}

TEST_CASE("compile option --time-passes prints a line per pass and a total", "[passes]") {
  auto g = import_text(kFoldable);
  std::string diag = run_default(*g, 2, with(&PipelineOptions::time_passes));
  CHECK_THAT(diag, Catch::StartsWith("// ----- pass timings -----\n"));
  for (const char* pass : {"verify", "infer-shapes", "fold-constants", "cse", "dce"}) {
    INFO(pass);
    CHECK(std::regex_search(diag, std::regex(fmt::format(R"(\n +\d+\.\d{{3}} ms +\d+\.\d%  {}\n)", pass))));
  }
  CHECK(std::regex_search(diag, std::regex(R"(\n +\d+\.\d{3} ms  total\n$)")));
}

TEST_CASE("compile option --verify-each passes on the examples at every optimisation level", "[passes]") {
  struct Example {
    const char* file;
    Shape input_shape;
  };
  for (const Example& e : {Example{"mlp.pbtxt", {1, 784}}, Example{"cnn.pbtxt", {1, 1, 28, 28}}}) {
    for (int level : {0, 1, 2}) {
      INFO(e.file << " -O" << level);
      auto g = load_model(std::filesystem::path(GRAPHC_SOURCE_DIR) / "examples" / e.file, {{"x", e.input_shape}});
      CHECK_NOTHROW(run_default(*g, level, with(&PipelineOptions::verify_each)));
    }
  }
}
