// Planned scratch memory (runtime/core/scratch_plan.h): the planner and its
// checker on hand-made DAGs; the plans of loaded oneDNN modules on one and
// several devices, checked by the test's own reachability walk; and sessions
// that use their scratch concurrently, bit-identical to sequential runs.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>
#include <thread>

#include "compiler/compiler.h"
#include "graphc/error.h"
#include "graphc/session.h"
#include "graphc/variables.h"
#include "runtime/core/scratch_plan.h"
#include "runtime/src/module_impl.h"

namespace graphc {
namespace {

const std::filesystem::path kExamples = std::filesystem::path(GRAPHC_SOURCE_DIR) / "examples";

// A diamond: 0 -> {1, 2} -> 3, all on device 0, with no chain through the
// device (as a hand-written module may have): 1 and 2 may run at once.
StepDag diamond() { return StepDag({{}, {0}, {0}, {1, 2}}); }

TEST_CASE("plan_scratch keeps the blocks of steps that may run at once apart", "[memory][scratch]") {
  std::vector<StepScratch> steps = {{0, 100}, {0, 64}, {0, 200}, {0, 1000}};
  std::vector<int64_t> regions = plan_scratch(steps, 1, diamond());
  CHECK(steps[0].bytes == 128);  // rounded up to 64
  CHECK(steps[0].offset == 0);
  CHECK(steps[3].offset == 0);  // after everything: reuses the region
  bool apart = steps[1].offset + steps[1].bytes <= steps[2].offset || steps[2].offset + steps[2].bytes <= steps[1].offset;
  CHECK(apart);
  CHECK(regions == std::vector<int64_t>{1000 + 24});
  CHECK_NOTHROW(check_scratch_plan(steps, regions, diamond(), {"a", "b", "c", "d"}));

  SECTION("the checker refuses two concurrent steps sharing bytes, naming both") {
    steps[2].offset = 0;
    CHECK_THROWS_WITH(check_scratch_plan(steps, regions, diamond(), {"a", "b", "c", "d"}),
                      Catch::Contains("'b' and 'c' may run at the same time"));
  }
  SECTION("the checker refuses a block outside its region") {
    CHECK_THROWS_WITH(check_scratch_plan(steps, {512}, diamond(), {"a", "b", "c", "d"}),
                      Catch::Contains("step 'd'") && Catch::Contains("outside"));
  }
}

TEST_CASE("plan_scratch gives each device its own region; ordered steps share", "[memory][scratch]") {
  // 1 and 2 may run at once but on different devices: separate regions.
  std::vector<StepScratch> steps = {{0, 64}, {0, 640}, {1, 128}, {0, 64}};
  std::vector<int64_t> regions = plan_scratch(steps, 2, diamond());
  for (const auto& s : steps) CHECK(s.offset == 0);
  CHECK(regions == std::vector<int64_t>{640, 128});
  CHECK_NOTHROW(check_scratch_plan(steps, regions, diamond(), {"a", "b", "c", "d"}));
}

/// Step a reaches step b along dependency edges (the test's own walk).
std::vector<std::vector<bool>> reachability(const proto::Module& m) {
  const int n = m.steps_size();
  std::vector<std::vector<bool>> before(n, std::vector<bool>(n, false));  // before[b][a]: a happens before b
  for (int b = 0; b < n; ++b) {
    for (int d : m.steps(b).deps()) {
      before[b][d] = true;
      for (int a = 0; a < n; ++a) {
        if (before[d][a]) before[b][a] = true;
      }
    }
  }
  return before;
}

/// Fails when two steps whose scratch blocks overlap in one device's region
/// may run at the same time; returns how many steps of each device have scratch.
std::vector<int> check_no_concurrent_overlap(const Module& module) {
  const Module::Impl& m = module.impl();
  auto before = reachability(m.proto);
  std::vector<int> with_scratch(m.device_cores.size(), 0);
  for (size_t a = 0; a < m.steps.size(); ++a) {
    const LoadedStep& x = m.steps[a];
    if (x.scratch_bytes == 0) continue;
    ++with_scratch[x.device];
    CHECK(x.scratch_bytes >= static_cast<int64_t>(x.kernel->scratch_bytes()));
    CHECK(x.scratch_offset + x.scratch_bytes <= m.scratch_bytes[x.device]);
    for (size_t b = a + 1; b < m.steps.size(); ++b) {
      const LoadedStep& y = m.steps[b];
      if (y.scratch_bytes == 0 || y.device != x.device) continue;
      bool overlap = x.scratch_offset < y.scratch_offset + y.scratch_bytes &&
                     y.scratch_offset < x.scratch_offset + x.scratch_bytes;
      if (!overlap) continue;
      INFO(x.node << " and " << y.node << " share scratch of cpu:" << x.device);
      CHECK((before[b][a] || before[a][b]));
    }
  }
  return with_scratch;
}

std::shared_ptr<const Module> compile_cnn(bool train, int batch, DeviceSpec devices) {
  CompileOptions options;
  options.opt_level = 2;
  options.train = train;
  options.shapes["x"] = {batch, 1, 28, 28};
  options.shapes["labels"] = {batch};
  options.pipeline.devices = devices;
  std::ostringstream diag;
  return Module::from_proto(compile_model(kExamples / "fashion_mnist" / "cnn.pbtxt", options, diag));
}

TEST_CASE("loaded oneDNN modules give concurrent steps disjoint scratch on every device", "[executor][scratch][onednn]") {
  for (int devices : {1, 2, 3}) {
    for (bool train : {false, true}) {
      INFO("cpu:" << devices << (train ? " training" : " inference"));
      auto module = compile_cnn(train, 8, {devices, 1});
      std::vector<int> with_scratch = check_no_concurrent_overlap(*module);
      int total = 0;
      for (int count : with_scratch) total += count;
      CHECK(total >= 3);  // convolutions, pooling, and for training their backward steps
      if (devices > 1 && train) {
        int devices_with_scratch = 0;
        for (int count : with_scratch) devices_with_scratch += count > 0;
        CHECK(devices_with_scratch >= 2);
      }
    }
  }
}

Tensor random_tensor(const Shape& shape, unsigned seed) {
  Tensor t(DType::f32, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  for (int64_t i = 0; i < t.num_elements(); ++i) t.data<float>()[i] = u(rng);
  return t;
}

bool bit_identical(const Tensor& a, const Tensor& b) {
  return a.type() == b.type() && std::memcmp(a.raw_data(), b.raw_data(), a.byte_size()) == 0;
}

/// What `runs` training steps of a fresh session give: the loss of each, then every Variable.
std::vector<Tensor> train_steps(const std::shared_ptr<const Module>& module, const Tensor& x, const Tensor& labels,
                                int runs) {
  Session session(module);
  session.set_input("x", x);
  session.set_input("labels", labels);
  *session.input("learning_rate").data<float>() = 0.05f;
  std::vector<Tensor> results;
  for (int r = 0; r < runs; ++r) {
    session.run();
    results.push_back(session.output("loss").clone());
  }
  for (const std::string& name : session.variables()->names()) results.push_back(session.variables()->find(name)->clone());
  return results;
}

TEST_CASE("concurrent sessions with oneDNN scratchpads match sequential runs bit for bit", "[executor][scratch][onednn]") {
  // Convolution forward and backward (data and weights), max pooling and
  // its backward (a chain whose workspace is an intermediate buffer in
  // scratch), on one and two devices; four sessions on four threads.
  const int batch = 8;
  Tensor x = random_tensor({batch, 1, 28, 28}, 11);
  Tensor labels(DType::i32, {batch});
  for (int i = 0; i < batch; ++i) labels.data<int32_t>()[i] = (i * 3) % 10;
  for (int devices : {1, 2}) {
    INFO("cpu:" << devices);
    auto training = compile_cnn(true, batch, {devices, 1});
    auto inference = compile_cnn(false, batch, {devices, 1});
    for (const auto* module : {&training, &inference}) {
      int with_scratch = 0;
      for (const LoadedStep& step : (*module)->impl().steps) with_scratch += step.scratch_bytes > 0;
      REQUIRE(with_scratch >= 2);
    }
    const int runs = 3;
    std::vector<Tensor> expected_training = train_steps(training, x, labels, runs);
    Session reference(inference);
    reference.set_input("x", x);
    reference.run();
    const std::string out = inference->outputs()[0].name;
    const Tensor expected_inference = reference.output(out).clone();

    std::atomic<int> mismatches{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        if (t % 2 == 0) {
          std::vector<Tensor> actual = train_steps(training, x, labels, runs);
          for (size_t i = 0; i < actual.size(); ++i) mismatches += !bit_identical(actual[i], expected_training[i]);
        } else {
          Session session(inference);
          session.set_input("x", x);
          for (int r = 0; r < 20; ++r) {
            session.run();
            mismatches += !bit_identical(session.output(out), expected_inference);
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    CHECK(mismatches == 0);
  }
}

TEST_CASE("a session input given new storage between runs is read from there by bound oneDNN kernels",
          "[session][onednn]") {
  auto module = compile_cnn(false, 2, {1, 1});
  const std::string out = module->outputs()[0].name;
  Tensor x1 = random_tensor({2, 1, 28, 28}, 1), x2 = random_tensor({2, 1, 28, 28}, 2);
  Session fresh(module);
  fresh.set_input("x", x2);
  fresh.run();
  Session session(module);
  session.set_input("x", x1);
  session.run();
  CHECK(!bit_identical(session.output(out), fresh.output(out)));
  session.input("x") = x2;  // a handle to x2's storage, not a copy
  session.run();
  CHECK(bit_identical(session.output(out), fresh.output(out)));
}

}  // namespace
}  // namespace graphc
