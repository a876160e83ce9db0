// Sessions (runtime/src/session.cc): binding inputs, running, reading
// outputs, errors that name the input, and independence of sessions of one
// module, also across threads.
#include "graphc/session.h"

#include <catch2/catch.hpp>
#include <thread>

#include "graphc/error.h"
#include "test_graphs.h"

using namespace graphc;
using namespace graphc::testing;
using Catch::Matchers::Contains;

namespace {

/// r = Relu(x + c) and s = x * c, with c = [1, 2], compiled at -O0.
std::shared_ptr<const Module> small_module() {
  return Module::from_proto(compile_text(placeholder_node("x", {2}) + const_node("c", {2}, {1, 2}) +
                                         op_node("y", "Add", {"x", "c"}) + op_node("r", "Relu", {"y"}) +
                                         op_node("s", "Mul", {"x", "c"}) +
                                         signature_text({{"x", "x"}}, {{"r", "r"}, {"s", "s"}})));
}

std::vector<float> run_on(Session& session, const std::vector<float>& x, const std::string& output = "r") {
  session.set_input("x", make_tensor<float>({2}, x));
  session.run();
  return values_of<float>(session.output(output));
}

}  // namespace

TEST_CASE("Session runs a module on the bound inputs", "[runtime]") {
  Session session(small_module());
  CHECK(run_on(session, {-3, 1}) == std::vector<float>{0, 3});
  CHECK(values_of<float>(session.output("s")) == std::vector<float>{-3, 2});
  CHECK(session.module().outputs().size() == 2);
}

TEST_CASE("Session::input is the preallocated input buffer, filled in place", "[runtime]") {
  Session session(small_module());
  Tensor& x = session.input("x");
  CHECK(x.type() == TensorType{DType::f32, {2}});
  x.data<float>()[0] = 4;
  x.data<float>()[1] = -5;
  session.run();
  CHECK(values_of<float>(session.output("r")) == std::vector<float>{5, 0});
  CHECK(&session.input("x") == &x);
}

TEST_CASE("Session::set_input rejects a tensor of another type, naming the input", "[runtime]") {
  Session session(small_module());
  SECTION("another dtype") {
    REQUIRE_THROWS_WITH(session.set_input("x", make_tensor<int32_t>({2}, {1, 2})),
                        "input 'x': expected f32[2], got i32[2]");
  }
  SECTION("another shape") {
    REQUIRE_THROWS_WITH(session.set_input("x", make_tensor<float>({1, 2}, {1, 2})),
                        "input 'x': expected f32[2], got f32[1,2]");
  }
}

TEST_CASE("Session::set_input rejects a default-constructed tensor for a scalar input", "[runtime]") {
  // A default Tensor is empty (f32[0]), not a scalar without storage.
  Session session(Module::from_proto(compile_text(placeholder_node("s", {}) + op_node("n", "Neg", {"s"}))));
  REQUIRE_THROWS_WITH(session.set_input("s", Tensor()), "input 's': expected f32[], got f32[0]");
}

TEST_CASE("Session lists the available names for an unknown input or output", "[runtime]") {
  Session session(small_module());
  REQUIRE_THROWS_WITH(session.input("images"), "session: the module has no input named 'images' (its inputs: x)");
  REQUIRE_THROWS_WITH(session.set_input("images", make_tensor<float>({2}, {1, 2})),
                      "session: the module has no input named 'images' (its inputs: x)");
  REQUIRE_THROWS_WITH(session.output("y"), "session: the module has no output named 'y' (its outputs: r, s)");
}

TEST_CASE("Session::run twice on the same inputs gives identical results", "[runtime]") {
  Session session(small_module());
  std::vector<float> first = run_on(session, {0.25f, -7});
  session.run();
  CHECK(values_of<float>(session.output("r")) == first);
  CHECK(first == std::vector<float>{1.25f, 0});
}

TEST_CASE("Sessions of one module have independent buffers", "[runtime]") {
  auto module = small_module();
  Session a(module);
  Session b(module);
  run_on(a, {1, 1});
  run_on(b, {10, 20});
  CHECK(values_of<float>(a.output("r")) == std::vector<float>{2, 3});
  CHECK(values_of<float>(b.output("r")) == std::vector<float>{11, 22});
  CHECK(values_of<float>(a.input("x")) == std::vector<float>{1, 1});
  CHECK(a.output("r").raw_data() != b.output("r").raw_data());

  SECTION("a moved session keeps its state") {
    Session moved = std::move(a);
    CHECK(values_of<float>(moved.output("r")) == std::vector<float>{2, 3});
  }
}

TEST_CASE("A kernel error at run time names the node", "[runtime]") {
  auto module = Module::from_proto(compile_text(placeholder_node("a", {2}, "DT_INT32") +
                                                placeholder_node("b", {2}, "DT_INT32") +
                                                op_node("q", "Div", {"a", "b"})));
  Session session(module);
  session.set_input("a", make_tensor<int32_t>({2}, {7, 8}));
  session.set_input("b", make_tensor<int32_t>({2}, {2, 0}));
  REQUIRE_THROWS_WITH(session.run(), Contains("node 'q' (Div)"));
}

TEST_CASE("Sessions on several threads share one module and agree", "[runtime]") {
  // The MLP example: big enough for real work in every kernel call.
  auto model = std::filesystem::path(GRAPHC_SOURCE_DIR) / "examples" / "mlp.pbtxt";
  CompileOptions options;
  options.shapes = {{"x", {1, 784}}};
  std::ostringstream diag;
  auto module = Module::from_proto(compile_model(model, options, diag));

  Tensor input(DType::f32, {1, 784});
  for (int i = 0; i < 784; ++i) input.data<float>()[i] = static_cast<float>(i % 17) / 17.0f;
  Session reference(module);
  reference.set_input("x", input);
  reference.run();
  const std::string expected = bytes_of(reference.output("probs"));

  constexpr int kThreads = 4;
  constexpr int kRuns = 20;
  std::vector<std::string> results(kThreads * kRuns);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        Session session(module);
        session.set_input("x", input);
        for (int r = 0; r < kRuns; ++r) {
          session.run();
          results[t * kRuns + r] = bytes_of(session.output("probs"));
        }
      } catch (const std::exception& e) {
        results[t * kRuns] = std::string("error: ") + e.what();  // Catch2 assertions are not thread-safe
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& r : results) CHECK(r == expected);
}
