// The parallel executor and the memory plan under it: random DAGs compiled
// for random device counts and placements must give results bit-identical
// to the sequential reference, in every run, also with freed buffers
// poisoned; in-place reuse gives the results of a plan without reuse, on
// reference and optimised kernels; several sessions of one module run at
// once (cpu:2 and cpu:3, with transfers and inline steps); kernel errors stop
// a run cleanly.
#include <fmt/format.h>
#include <google/protobuf/text_format.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "compiler/compiler.h"
#include "graphc/error.h"
#include "graphc/session.h"
#include "proto/module.pb.h"

namespace graphc {
namespace {

/// A random DAG of elementwise ops over [4, 33] f32 tensors (odd sizes,
/// some [33]-shaped operands to broadcast): every node reads one or two
/// earlier values; a few nodes carry a device hint.
proto::GraphDef random_dag(std::mt19937& rng, int nodes, int devices) {
  static const char* kUnary[] = {"Relu", "Tanh", "Sigmoid", "Neg", "Exp"};
  static const char* kBinary[] = {"Add", "Sub", "Mul", "Maximum", "Minimum"};
  std::ostringstream text;
  text << R"(node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
                    attr { key: "shape" value { shape { dim: 4 dim: 33 } } } }
             node { name: "bias" op: "Variable" attr { key: "shape" value { shape { dim: 33 } } }
                    attr { key: "initializer" value { s: "uniform" } } attr { key: "scale" value { f: 0.5 } } })";
  std::vector<std::string> values = {"x"};
  for (int i = 0; i < nodes; ++i) {
    std::string name = fmt::format("n{}", i);
    auto pick = [&] { return values[std::uniform_int_distribution<size_t>(0, values.size() - 1)(rng)]; };
    std::string device;
    if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) {
      device = fmt::format(" device: \"cpu:{}\"", std::uniform_int_distribution<int>(0, devices - 1)(rng));
    }
    if (std::uniform_int_distribution<int>(0, 2)(rng) == 0) {
      // Tanh keeps Exp chains from overflowing into inf, which would still
      // compare equal but test less.
      const char* op = kUnary[std::uniform_int_distribution<int>(0, 4)(rng)];
      text << fmt::format(R"( node {{ name: "{}" op: "{}" input: "{}"{} }})", name,
                          std::string(op) == "Exp" ? "Tanh" : op, pick(), device);
    } else {
      std::string rhs = std::uniform_int_distribution<int>(0, 4)(rng) == 0 ? "bias" : pick();
      text << fmt::format(R"( node {{ name: "{}" op: "{}" input: "{}" input: "{}"{} }})", name,
                          kBinary[std::uniform_int_distribution<int>(0, 4)(rng)], pick(), rhs, device);
    }
    values.push_back(name);
  }
  // The outputs: the last node and a few others, so several sinks exist.
  text << fmt::format(R"( signature {{ inputs {{ name: "x" tensor: "x" }} outputs {{ name: "out" tensor: "{}" }})",
                      values.back());
  for (int k = 0; k < 3; ++k) {
    text << fmt::format(R"( outputs {{ name: "extra{}" tensor: "{}" }})", k, values[1 + (k * 7) % nodes]);
  }
  text << " }";
  proto::GraphDef def;
  REQUIRE(google::protobuf::TextFormat::ParseFromString(text.str(), &def));
  return def;
}

proto::Module compile_proto(const proto::GraphDef& def, DeviceSpec devices, int opt_level) {
  auto graph = import_graphdef(def, "random.pbtxt");
  CompileOptions options;
  options.opt_level = opt_level;
  options.pipeline.devices = devices;
  std::ostringstream diag;
  return compile_graph(*graph, options, diag);
}

std::shared_ptr<const Module> compile(const proto::GraphDef& def, DeviceSpec devices, int opt_level) {
  return Module::from_proto(compile_proto(def, devices, opt_level));
}

/// `m` with every buffer in bytes of its own and no in-place declarations:
/// the plan without any reuse, to compare a planned module with.
proto::Module without_reuse(proto::Module m) {
  std::vector<int64_t> end(m.devices_size(), 0);
  for (auto& b : *m.mutable_buffers()) {
    b.set_offset(end[b.device()]);
    end[b.device()] += b.size();
  }
  for (int d = 0; d < m.devices_size(); ++d) m.mutable_devices(d)->set_arena_bytes(end[d]);
  for (auto& step : *m.mutable_steps()) step.clear_in_place();
  return m;
}

Tensor random_input(std::mt19937& rng) {
  Tensor x(DType::f32, {4, 33});
  std::uniform_real_distribution<float> u(-2.f, 2.f);
  for (int64_t i = 0; i < x.num_elements(); ++i) x.data<float>()[i] = u(rng);
  return x;
}

/// A training step's inputs: pixels in [0, 1) shaped `x_shape`, labels
/// (i * 7) % 10 and a learning rate of 0.05.
std::map<std::string, Tensor> training_batch(const Shape& x_shape, unsigned seed) {
  std::mt19937 rng(seed);
  Tensor x(DType::f32, x_shape);
  std::uniform_real_distribution<float> pixel(0.f, 1.f);
  for (int64_t i = 0; i < x.num_elements(); ++i) x.data<float>()[i] = pixel(rng);
  Tensor labels(DType::i32, {x_shape[0]});
  for (int i = 0; i < x_shape[0]; ++i) labels.data<int32_t>()[i] = (i * 7) % 10;
  Tensor learning_rate(DType::f32, {});
  learning_rate.data<float>()[0] = 0.05f;
  return {{"x", x}, {"labels", labels}, {"learning_rate", learning_rate}};
}

/// The training module of examples/fashion_mnist/`model` for batches shaped
/// like `x` and `labels`.
proto::Module compile_training(const std::string& model, const Tensor& x, const Tensor& labels, DeviceSpec devices,
                               int opt_level) {
  CompileOptions options;
  options.opt_level = opt_level;
  options.train = true;
  options.shapes["x"] = x.shape();
  options.shapes["labels"] = labels.shape();
  options.pipeline.devices = devices;
  std::ostringstream diag;
  return compile_model(std::string(GRAPHC_SOURCE_DIR) + "/examples/fashion_mnist/" + model, options, diag);
}

bool bit_identical(const Tensor& a, const Tensor& b) {
  return a.type() == b.type() && std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0;
}

/// Runs `planned` (freed buffers poisoned when `poison`) and the same module
/// without reuse on `inputs` `runs` times; every output must match bit for
/// bit after every run (a training step also updates its Variables, which
/// the next run's outputs show).
void expect_same_as_without_reuse(const proto::Module& planned, const std::map<std::string, Tensor>& inputs, int runs,
                                  bool poison) {
  auto with = Module::from_proto(planned);
  auto without = Module::from_proto(without_reuse(planned));
  SessionOptions options;
  options.poison_freed_buffers = poison;
  Session actual(with, options);
  Session expected(without);
  for (const auto& [name, value] : inputs) {
    actual.set_input(name, value);
    expected.set_input(name, value);
  }
  for (int run = 0; run < runs; ++run) {
    actual.run();
    expected.run();
    for (const auto& out : with->outputs()) {
      INFO("run " << run << " output " << out.name << " poison " << poison);
      REQUIRE(bit_identical(expected.output(out.name), actual.output(out.name)));
    }
  }
}

}  // namespace

TEST_CASE("random DAGs on random devices match the sequential reference bit for bit", "[executor]") {
  std::mt19937 rng(20261125);
  const DeviceSpec specs[] = {{1, 1}, {2, 1}, {3, 1}, {2, 2}, {4, 1}};
  int runs = 0;
  for (int trial = 0; trial < 40; ++trial) {
    DeviceSpec devices = specs[trial % 5];
    proto::GraphDef def = random_dag(rng, 10 + trial * 3, devices.count);
    // -O1: reference kernels on both sides, so any difference is the
    // executor's or the memory plan's (optimised kernels may round differently).
    proto::GraphDef sequential = def;  // device hints name devices cpu:1 lacks
    for (auto& node : *sequential.mutable_node()) node.clear_device();
    auto reference = compile(sequential, {1, 1}, 1);
    auto parallel = compile(def, devices, 1);
    Session expected(reference);
    SessionOptions options;
    options.poison_freed_buffers = trial % 2 == 0;
    Session actual(parallel, options);
    for (int run = 0; run < 30; ++run, ++runs) {
      Tensor x = random_input(rng);
      expected.set_input("x", x);
      actual.set_input("x", x);
      expected.run();
      actual.run();
      for (const auto& out : reference->outputs()) {
        INFO("trial " << trial << " devices " << devices.to_string() << " run " << run << " output " << out.name);
        REQUIRE(bit_identical(expected.output(out.name), actual.output(out.name)));
      }
    }
  }
  CHECK(runs == 1200);
}

TEST_CASE("in-place reuse gives the results of a plan without reuse, bit for bit", "[executor][memory]") {
  std::mt19937 rng(515);
  const DeviceSpec specs[] = {{1, 1}, {2, 1}, {3, 1}};
  int reused = 0;
  for (int trial = 0; trial < 24; ++trial) {
    DeviceSpec devices = specs[trial % 3];
    int opt_level = trial % 2 == 0 ? 1 : 2;  // reference kernels, then oneDNN's
    proto::Module m = compile_proto(random_dag(rng, 20 + trial * 2, devices.count), devices, opt_level);
    reused += m.memory().in_place_buffers();
    INFO("trial " << trial << " devices " << devices.to_string() << " -O" << opt_level);
    expect_same_as_without_reuse(m, {{"x", random_input(rng)}}, 5, trial % 4 < 2);
  }
  CHECK(reused > 24);
}

TEST_CASE("the loader accepts in-place reuse only where a step declares it", "[executor][memory]") {
  const char* text = R"(
    node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
           attr { key: "shape" value { shape { dim: 4 dim: 33 } } } }
    node { name: "a" op: "Relu" input: "x" }
    node { name: "b" op: "Tanh" input: "a" }
    node { name: "c" op: "Sigmoid" input: "b" }
    node { name: "y" op: "Neg" input: "c" }
    signature { inputs { name: "x" tensor: "x" } outputs { name: "y" tensor: "y" } })";
  proto::GraphDef def;
  REQUIRE(google::protobuf::TextFormat::ParseFromString(text, &def));
  proto::Module m = compile_proto(def, {1, 1}, 1);
  REQUIRE(m.memory().in_place_buffers() == 2);  // b over a, c over b
  CHECK_NOTHROW(Module::from_proto(m));
  proto::Module undeclared = m;
  for (auto& step : *undeclared.mutable_steps()) step.clear_in_place();
  CHECK_THROWS_WITH(Module::from_proto(undeclared), Catch::Contains("overlap"));
  proto::Module bad_index = m;
  for (auto& step : *bad_index.mutable_steps()) {
    for (auto& pair : *step.mutable_in_place()) pair.set_input(1);
  }
  CHECK_THROWS_WITH(Module::from_proto(bad_index), Catch::Contains("declares output 0 in place of input 1"));
}

TEST_CASE("the CNN training step with in-place reuse matches the step without, bit for bit", "[executor][memory]") {
  const auto batch = training_batch({4, 1, 28, 28}, 3);
  for (int opt_level : {1, 2}) {
    proto::Module m = compile_training("cnn.pbtxt", batch.at("x"), batch.at("labels"), {1, 1}, opt_level);
    REQUIRE(m.memory().in_place_buffers() >= 3);  // the three ReluGrads
    INFO("-O" << opt_level);
    for (bool poison : {false, true}) expect_same_as_without_reuse(m, batch, 3, poison);
  }
}

TEST_CASE("a training step on a device of two cores splits its updates over an OpenMP team, bit for bit",
          "[executor][openmp]") {
  // The MLP's 784x512 weights are over the optimizer kernels' threshold for
  // splitting an update over the device's OpenMP threads. [openmp]: not in
  // the ThreadSanitizer run, which cannot see libgomp's synchronisation
  // (docs/architecture.md, "ThreadSanitizer").
  const auto batch = training_batch({4, 784}, 11);
  Session one_core(Module::from_proto(compile_training("mlp.pbtxt", batch.at("x"), batch.at("labels"), {1, 1}, 1)));
  Session two_cores(Module::from_proto(compile_training("mlp.pbtxt", batch.at("x"), batch.at("labels"), {1, 2}, 1)));
  for (Session* s : {&one_core, &two_cores}) {
    for (const auto& [name, value] : batch) s->set_input(name, value);
  }
  for (int step = 0; step < 3; ++step) {
    one_core.run();
    two_cores.run();
    INFO("step " << step);
    CHECK(bit_identical(one_core.output("loss"), two_cores.output("loss")));
  }
  for (const std::string& name : one_core.variables()->names()) {
    INFO("variable " << name);
    REQUIRE(two_cores.variables()->find(name) != nullptr);
    CHECK(bit_identical(*one_core.variables()->find(name), *two_cores.variables()->find(name)));
  }
}

TEST_CASE("multi-device modules have transfers, per-device arenas and a checked plan", "[executor]") {
  std::mt19937 rng(7);
  proto::GraphDef def = random_dag(rng, 60, 2);
  auto graph = import_graphdef(def, "random.pbtxt");
  CompileOptions options;
  options.pipeline.devices = {2, 1};
  std::ostringstream diag;
  proto::Module m = compile_graph(*graph, options, diag);
  REQUIRE(m.devices_size() == 2);
  std::set<int> used_devices;
  for (int i = 0; i < m.steps_size(); ++i) {
    used_devices.insert(m.steps(i).device());
    for (int d : m.steps(i).deps()) CHECK(d < i);
  }
  CHECK(used_devices.size() == 2);
  CHECK(m.memory().lower_bound_bytes() <= m.devices(0).arena_bytes() + m.devices(1).arena_bytes());
  CHECK(m.memory().lower_bound_bytes() > 0);
}

TEST_CASE("a device hint naming a missing device is an error naming the node", "[executor]") {
  std::mt19937 rng(1);
  proto::GraphDef def = random_dag(rng, 5, 1);
  def.mutable_node(3)->set_device("cpu:5");
  REQUIRE_THROWS_WITH(compile(def, {2, 1}, 2),
                      Catch::Contains("node 'n1'") && Catch::Contains("cpu:5") && Catch::Contains("cpu:0 to cpu:1"));
}

TEST_CASE("sessions of one module run concurrently from several threads", "[executor]") {
  std::mt19937 rng(99);
  proto::GraphDef def = random_dag(rng, 80, 2);
  auto module = compile(def, {2, 1}, 2);
  Tensor x = random_input(rng);
  Session reference(module);
  reference.set_input("x", x);
  reference.run();
  const Tensor expected = reference.output("out").clone();
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Session session(module);
      session.set_input("x", x);
      for (int run = 0; run < 50; ++run) {
        session.run();
        if (!bit_identical(session.output("out"), expected)) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(mismatches == 0);
}

TEST_CASE("sessions of a cpu:3 module run concurrently, with transfers and inline steps", "[executor]") {
  std::mt19937 rng(2033);
  proto::GraphDef def = random_dag(rng, 90, 3);
  proto::GraphDef sequential = def;
  for (auto& node : *sequential.mutable_node()) node.clear_device();
  proto::Module m = compile_proto(def, {3, 1}, 1);
  // Every device has steps and transfers in, and steps the cost model
  // predicts under 1 µs, which run inline on the thread that made them ready
  // (runtime/src/module.cc, kInlineStepUs).
  std::set<int> used_devices, receiving_devices, inline_devices;
  for (const auto& step : m.steps()) {
    used_devices.insert(step.device());
    if (step.op() == "Transfer") receiving_devices.insert(step.device());
    if (step.predicted_us() < 1.0) inline_devices.insert(step.device());
  }
  REQUIRE(used_devices.size() == 3);
  REQUIRE(receiving_devices.size() == 3);
  REQUIRE(inline_devices.size() == 3);
  auto parallel = Module::from_proto(m);
  auto reference = compile(sequential, {1, 1}, 1);

  constexpr int kThreads = 3, kRuns = 20;
  std::vector<Tensor> inputs;
  std::vector<std::map<std::string, Tensor>> expected;
  Session sequential_session(reference);
  for (int i = 0; i < kThreads * kRuns; ++i) {
    inputs.push_back(random_input(rng));
    sequential_session.set_input("x", inputs.back());
    sequential_session.run();
    auto& outputs = expected.emplace_back();
    for (const auto& out : reference->outputs()) outputs[out.name] = sequential_session.output(out.name).clone();
  }
  std::atomic<int> mismatches{0}, runs{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SessionOptions options;
      options.poison_freed_buffers = t % 2 == 1;
      Session session(parallel, options);
      for (int r = 0; r < kRuns; ++r) {
        int i = t * kRuns + r;
        session.set_input("x", inputs[i]);
        session.run();
        ++runs;
        for (const auto& [name, value] : expected[i]) {
          if (!bit_identical(session.output(name), value)) ++mismatches;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(runs == kThreads * kRuns);
  CHECK(mismatches == 0);
}

TEST_CASE("a kernel error stops a parallel run cleanly and the session stays usable", "[executor]") {
  // Gather's index comes from the input: out of range is a run-time error.
  const char* text = R"(
    node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_INT32 } }
           attr { key: "shape" value { shape { dim: 2 } } } }
    node { name: "table" op: "Const" attr { key: "value" value { tensor {
           dtype: DT_FLOAT dims: 3 float_val: 1 float_val: 2 float_val: 3 } } } }
    node { name: "a" op: "Gather" input: "table" input: "x" device: "cpu:0" }
    node { name: "b" op: "Gather" input: "table" input: "x" device: "cpu:1" }
    node { name: "sum" op: "Add" input: "a" input: "b" }
    signature { inputs { name: "x" tensor: "x" } outputs { name: "sum" tensor: "sum" } })";
  proto::GraphDef def;
  REQUIRE(google::protobuf::TextFormat::ParseFromString(text, &def));
  auto module = compile(def, {2, 1}, 2);
  Session session(module);
  Tensor bad(DType::i32, {2});
  bad.data<int32_t>()[1] = 7;
  session.set_input("x", bad);
  REQUIRE_THROWS_WITH(session.run(), Catch::Contains("(Gather)") && Catch::Contains("7"));
  Tensor good(DType::i32, {2});
  good.data<int32_t>()[0] = 2;
  session.set_input("x", good);
  session.run();
  CHECK(session.output("sum").data<float>()[0] == 6.f);
  CHECK(session.output("sum").data<float>()[1] == 2.f);
}

}  // namespace graphc
