// The autodiff pass (compiler/passes/autodiff.cc): fan-out sums, gradients
// reduced back over broadcasting, the errors (non-scalar loss, a gradient
// through a non-differentiable op, an unknown loss), Variables by default,
// and the training pipeline's simplified, printable gradient graph.
#include <catch2/catch.hpp>
#include <set>
#include <sstream>

#include "compiler/ir/printer.h"
#include "compiler/lower/lower.h"
#include "compiler/pipeline.h"
#include "compiler/passes/pass.h"
#include "graphc/error.h"
#include "graphc/session.h"
#include "test_graphs.h"

using namespace graphc;
using namespace graphc::testing;
using Catch::Matchers::Contains;

namespace {

/// Types `text`'s graph and differentiates its output "loss" with respect to
/// the nodes `wrt` (every Variable when empty).
std::unique_ptr<ir::Graph> differentiate(const std::string& text, std::vector<std::string> wrt) {
  auto g = import_text(text);
  passes::PassContext ctx;
  ctx.wrt = std::move(wrt);
  passes::infer_shapes(*g, ctx);
  passes::autodiff(*g, ctx);
  passes::infer_shapes(*g, ctx);
  return g;
}

/// Compiles a differentiated graph at -O1 and runs it on `inputs`.
Session run(ir::Graph& g, const std::vector<std::pair<std::string, Tensor>>& inputs) {
  CompileOptions options;
  options.opt_level = 1;
  std::ostringstream diag;
  Session session(Module::from_proto(compile_graph(g, options, diag)));
  for (const auto& [name, value] : inputs) session.set_input(name, value);
  session.run();
  return session;
}

/// The gradient graph as the training pipeline builds it, without the
/// optimizer: -O1 with autodiff, the gradients as "grad/<w>" outputs.
Session compile_gradients(ir::Graph& g, std::ostream& diag, const std::set<std::string>& print_after) {
  PipelineOptions options;
  options.print_after = print_after;
  Pipeline pipeline = {{"verify", {"verify"}},     {"infer-shapes", {"infer-shapes"}},
                       {"autodiff", {"autodiff"}}, {"infer-shapes", {"infer-shapes"}},
                       {"simplify", {"fold-constants", "cse", "dce"}, true}, {"place", {"place"}}};
  run_pipeline(g, pipeline, options, diag);
  return Session(Module::from_proto(lower_to_module(g, DeviceSpec::whole_machine())));
}

std::string sum_of(const std::string& name, const std::string& x) {
  return op_node(name, "ReduceSum", {x}, "attr { key: 'keepdims' value { b: false } }");
}

/// A 2-layer MLP on x [4, 3] with Variables w1, b1, w2 and labels, plus an
/// unused Variable.
const std::string kMlp =
    placeholder_node("x", {4, 3}) + placeholder_node("labels", {4}, "DT_INT32") +
    "node { name: 'w1' op: 'Variable' attr { key: 'shape' value { shape { dim: 3 dim: 5 } } } }\n"
    "node { name: 'b1' op: 'Variable' attr { key: 'shape' value { shape { dim: 5 } } } "
    "attr { key: 'initializer' value { s: 'zeros' } } }\n"
    "node { name: 'w2' op: 'Variable' attr { key: 'shape' value { shape { dim: 5 dim: 2 } } } }\n"
    "node { name: 'unused' op: 'Variable' attr { key: 'shape' value { shape { dim: 2 } } } }\n" +
    op_node("h", "Dense", {"x", "w1", "b1"}) + op_node("a", "Relu", {"h"}) + op_node("logits", "Dense", {"a", "w2"}) +
    op_node("loss", "SoftmaxCrossEntropy", {"logits", "labels"}) + op_node("u", "Identity", {"unused"}) +
    signature_text({{"x", "x"}, {"labels", "labels"}}, {{"loss", "loss"}, {"logits", "logits"}, {"u", "u"}});

}  // namespace

TEST_CASE("autodiff sums the gradients of a value used several times", "[grad]") {
  // loss = Σ (x·x + x): d/dx = 2x + 1.
  auto g = differentiate(placeholder_node("x", {3}) + op_node("sq", "Mul", {"x", "x"}) +
                             op_node("y", "Add", {"sq", "x"}) + sum_of("loss", "y") +
                             signature_text({{"x", "x"}}, {{"loss", "loss"}}),
                         {"x"});
  CHECK_THAT(ir::print_graph(*g), Contains("x/grad_sum"));
  Session s = run(*g, {{"x", make_tensor<float>({3}, {1, -2, 0.5f})}});
  CHECK(values_of<float>(s.output("grad/x")) == std::vector<float>{3, -3, 2});
}

TEST_CASE("autodiff reduces a broadcast operand's gradient to its shape", "[grad]") {
  // loss = Σ (a + b) · c with a [2, 3], b [3]: d/db = column sums of c.
  auto g = differentiate(placeholder_node("a", {2, 3}) + placeholder_node("b", {3}) +
                             const_node("c", {2, 3}, {1, 2, 3, 4, 5, 6}) + op_node("s", "Add", {"a", "b"}) +
                             op_node("p", "Mul", {"s", "c"}) + sum_of("loss", "p") +
                             signature_text({{"a", "a"}, {"b", "b"}}, {{"loss", "loss"}}),
                         {"a", "b"});
  Session s = run(*g, {{"a", make_tensor<float>({2, 3}, {0, 0, 0, 0, 0, 0})}, {"b", make_tensor<float>({3}, {0, 0, 0})}});
  CHECK(s.output("grad/b").type() == TensorType{DType::f32, {3}});
  CHECK(values_of<float>(s.output("grad/b")) == std::vector<float>{5, 7, 9});
  CHECK(values_of<float>(s.output("grad/a")) == std::vector<float>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("autodiff rejects a loss that is not a scalar, naming its node", "[grad]") {
  REQUIRE_THROWS_WITH(differentiate(placeholder_node("x", {2}) + op_node("loss", "Exp", {"x"}) +
                                        signature_text({{"x", "x"}}, {{"loss", "loss"}}),
                                    {"x"}),
                      "node 'loss' (Exp): the loss 'loss' must be an f32 scalar (one element), found f32[2]");
}

TEST_CASE("autodiff names the node when a gradient must flow through a non-differentiable op", "[grad]") {
  REQUIRE_THROWS_WITH(
      differentiate(placeholder_node("x", {2}) + op_node("r", "ReluGrad", {"x", "x"}) + sum_of("loss", "r") +
                        signature_text({{"x", "x"}}, {{"loss", "loss"}}),
                    {"x"}),
      "node 'r' (ReluGrad): op 'ReluGrad' is not differentiable, but the gradient of the loss 'loss' must flow "
      "through it to input 0 ('x')");
}

TEST_CASE("autodiff says which outputs exist when the loss is not one of them", "[grad]") {
  auto g = import_text(kMlp);
  passes::PassContext ctx;
  ctx.loss = "cost";
  passes::infer_shapes(*g, ctx);
  REQUIRE_THROWS_WITH(passes::autodiff(*g, ctx),
                      "autodiff: the loss 'cost' is not a signature output (the outputs are: loss, logits, u); name "
                      "it with --loss");
}

TEST_CASE("autodiff differentiates every Variable; the gradient graph simplifies and prints", "[grad]") {
  auto g = import_text(kMlp);
  std::ostringstream diag;
  Session s = compile_gradients(*g, diag, {"autodiff", "dce"});
  std::string text = diag.str();
  std::string after_autodiff = text.substr(0, text.find("IR after dce"));
  CHECK_THAT(after_autodiff, Contains("output grad/w1 = %"));
  CHECK_THAT(after_autodiff, Contains("= ReluGrad("));
  CHECK_THAT(after_autodiff, Contains("= SoftmaxCrossEntropyGrad("));
  CHECK(g->find("h/grad/Dense") == nullptr);  // x is not differentiated
  CHECK(describe_pipeline(default_pipeline(1, true)) ==
        "verify, infer-shapes, autodiff, optimizer, infer-shapes, simplify(fold-constants, cse, dce)*, place");

  s.set_input("x", make_tensor<float>({4, 3}, {1, 2, 3, -1, 0, 1, 2, -2, 0.5f, 0, 0, 1}));
  s.set_input("labels", make_tensor<int32_t>({4}, {0, 1, 1, 0}));
  s.run();
  CHECK(s.output("grad/w1").type() == TensorType{DType::f32, {3, 5}});
  CHECK(s.output("grad/b1").type() == TensorType{DType::f32, {5}});
  CHECK(values_of<float>(s.output("grad/unused")) == std::vector<float>{0, 0});
}

TEST_CASE("SoftmaxCrossEntropy names its node for a label out of range", "[grad]") {
  Session s = run(*import_text(placeholder_node("logits", {2, 3}) + placeholder_node("labels", {2}, "DT_INT64") +
                               op_node("loss", "SoftmaxCrossEntropy", {"logits", "labels"}) +
                               signature_text({{"logits", "logits"}, {"labels", "labels"}}, {{"loss", "loss"}})),
                  {});
  s.set_input("logits", make_tensor<float>({2, 3}, {0, 0, 0, 1, 2, 3}));
  s.set_input("labels", make_tensor<int64_t>({2}, {0, 3}));
  REQUIRE_THROWS_WITH(s.run(), "node 'loss' (SoftmaxCrossEntropy): label 3 of example 1 is out of range [0, 3)");
  s.set_input("labels", make_tensor<int64_t>({2}, {0, 2}));
  s.run();
  CHECK(s.output("loss").data<float>()[0] == Approx((std::log(3.0) + 0.40760596) / 2));
}

TEST_CASE("The gradient graph goes through simplify: cse merges the two products of w·w", "[grad]") {
  auto g = import_text(
      "node { name: 'w' op: 'Variable' attr { key: 'shape' value { shape { dim: 3 } } } "
      "attr { key: 'initializer' value { s: 'ones' } } }\n" +
      op_node("sq", "Mul", {"w", "w"}) + sum_of("loss", "sq") + signature_text({}, {{"loss", "loss"}}));
  std::ostringstream diag;
  Session s = compile_gradients(*g, diag, {"autodiff"});
  CHECK_THAT(diag.str(), Contains("%sq/grad/Mul_1: f32[3] = Mul("));
  CHECK(g->find("sq/grad/Mul_1") == nullptr);
  CHECK_THAT(ir::print_graph(*g), Contains("= Add(%sq/grad/Mul, %sq/grad/Mul)"));
  s.run();
  CHECK(values_of<float>(s.output("grad/w")) == std::vector<float>{2, 2, 2});
}
