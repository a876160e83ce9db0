// Memory planning: the happens-before relation, the safety rule (with
// in-place reuse), the planner's results on random step DAGs and on the
// example models.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <random>
#include <sstream>

#include "compiler/compiler.h"
#include "compiler/lower/memory_plan.h"
#include "graphc/error.h"
#include "runtime/core/memory_plan_check.h"

namespace graphc {

TEST_CASE("StepDag is the transitive closure of the dependencies", "[memory]") {
  // 0 -> 1 -> 3, 0 -> 2 -> 3, 4 alone.
  StepDag dag({{}, {0}, {0}, {1, 2}, {}});
  CHECK(dag.happens_before(0, 3));
  CHECK(dag.happens_before(1, 3));
  CHECK_FALSE(dag.happens_before(1, 2));
  CHECK_FALSE(dag.happens_before(2, 1));
  CHECK_FALSE(dag.happens_before(3, 3));
  CHECK_FALSE(dag.happens_before(0, 4));
  REQUIRE_THROWS_WITH(StepDag({{1}, {}}), Catch::Contains("step 0") && Catch::Contains("not listed before it"));
}

TEST_CASE("may_share follows happens-before, not the listed order", "[memory]") {
  StepDag dag({{}, {0}, {}, {1, 2}});  // 0 -> 1 -> 3 and 2 -> 3: 2 runs alongside 0 and 1
  BufferLife a{0, 0, 0, 64, 0, {1}, {}};   // written by 0, read by 1
  BufferLife b{1, 0, 0, 64, 3, {}, {}};    // written by 3, after a's reader
  BufferLife c{2, 0, 0, 64, 2, {3}, {}};   // written by 2, unordered with a
  CHECK(may_share(a, b, dag));
  CHECK_FALSE(may_share(a, c, dag));
  BufferLife read_and_write{3, 0, 0, 64, 1, {}, {}};  // written by the step that reads a
  CHECK_FALSE(may_share(a, read_and_write, dag));
}

TEST_CASE("check_memory_plan rejects live overlaps and out-of-arena buffers", "[memory]") {
  StepDag dag({{}, {}});
  std::vector<std::string> names = {"v0", "v1"};
  std::vector<BufferLife> overlapping = {{0, 0, 0, 128, 0, {}, {}}, {1, 0, 64, 64, 1, {}, {}}};
  REQUIRE_THROWS_WITH(check_memory_plan(overlapping, {192}, dag, names),
                      Catch::Contains("'v0' and 'v1' overlap"));
  std::vector<BufferLife> outside = {{0, 0, 64, 128, 0, {}, {}}};
  REQUIRE_THROWS_WITH(check_memory_plan(outside, {128}, dag, names), Catch::Contains("outside the 128-byte arena"));
}

TEST_CASE("check_memory_plan accepts exactly the declared in-place reuses", "[memory]") {
  // 0 writes a; 2 reads a and writes b, declared in place of a; 1 reads a
  // and runs alongside 2 unless `ordered` puts it before 2.
  std::vector<std::string> names = {"a", "b"};
  auto plan = [&](bool declared, bool ordered, int64_t b_offset, int64_t b_size) {
    StepDag dag(ordered ? std::vector<std::vector<int>>{{}, {0}, {0, 1}} : std::vector<std::vector<int>>{{}, {0}, {0}});
    std::vector<BufferLife> buffers = {{0, 0, 0, 128, 0, {1, 2}, {}},
                                       {1, 0, b_offset, b_size, 2, {}, declared ? std::vector<int>{0} : std::vector<int>{}}};
    check_memory_plan(buffers, {256}, dag, names);
  };
  CHECK_NOTHROW(plan(true, true, 0, 128));
  CHECK_THROWS_WITH(plan(false, true, 0, 128), Catch::Contains("'a' and 'b' overlap"));   // not declared
  CHECK_THROWS_WITH(plan(true, false, 0, 128), Catch::Contains("'a' and 'b' overlap"));   // 1 may read a after 2
  CHECK_THROWS_WITH(plan(true, true, 64, 128), Catch::Contains("'a' and 'b' overlap"));   // shifted
  CHECK_THROWS_WITH(plan(true, true, 0, 64), Catch::Contains("'a' and 'b' overlap"));     // another size
  CHECK_NOTHROW(plan(false, true, 128, 128));                                             // apart
}

TEST_CASE("plan_memory chains in-place reuse and counts each chain once in the lower bound", "[memory]") {
  // x = step 0; y = f(x) at 1; z = g(y) at 2, read by 3: one buffer for all.
  StepDag dag({{}, {0}, {1}, {2}});
  std::vector<BufferLife> buffers = {{0, 0, 0, 4096, 0, {1}, {}}, {1, 0, 0, 4096, 1, {2}, {0}},
                                     {2, 0, 0, 4096, 2, {3}, {1}}, {3, 0, 0, 64, 3, {}, {2}}};
  MemoryPlan plan = plan_memory(buffers, 1, dag, {"x", "y", "z", "w"});
  CHECK(plan.in_place_buffers == 2);  // w has another size
  CHECK(plan.arena_bytes[0] == 4096 + 64);
  CHECK(plan.lower_bound_bytes == 4096 + 64);
  CHECK(plan.naive_bytes == 3 * 4096 + 64);
}

TEST_CASE("plan_memory gives checked plans no smaller than the lower bound", "[memory]") {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    int steps = 5 + trial % 40;
    int devices = 1 + trial % 3;
    std::vector<std::vector<int>> deps(steps);
    std::vector<int> device(steps);
    std::vector<int> last_on(devices, -1);
    std::vector<BufferLife> buffers;
    for (int s = 0; s < steps; ++s) {
      device[s] = std::uniform_int_distribution<int>(0, devices - 1)(rng);
      if (last_on[device[s]] >= 0) deps[s].push_back(last_on[device[s]]);
      last_on[device[s]] = s;
      std::vector<int> read;
      for (int k = 0; k < 2 && s > 0; ++k) {
        int reads = std::uniform_int_distribution<int>(0, s - 1)(rng);
        if (buffers[reads].device != device[s]) continue;  // cross-device reads go through transfers
        deps[s].push_back(reads);
        buffers[reads].use_steps.push_back(s);
        read.push_back(reads);
      }
      int64_t size = 64 * std::uniform_int_distribution<int>(1, 50)(rng);
      // Half the steps may write their value over what they read (an
      // elementwise op): then it has the first input's size.
      std::vector<int> in_place_of;
      if (!read.empty() && trial % 2 == 0) {
        size = buffers[read.front()].size;
        in_place_of = read;
      }
      buffers.push_back({s, device[s], 0, size, s, {}, in_place_of});
    }
    std::vector<std::string> names;
    for (int s = 0; s < steps; ++s) names.push_back(fmt::format("v{}", s));
    MemoryPlan plan = plan_memory(buffers, devices, StepDag(deps), names);  // checks itself
    int64_t arena = 0;
    for (int64_t a : plan.arena_bytes) arena += a;
    CHECK(arena >= plan.lower_bound_bytes);
    CHECK(arena <= plan.naive_bytes);
  }
}

TEST_CASE("the CNN training step's arena is within 5% of the lower bound on one device", "[memory]") {
  CompileOptions options;
  options.train = true;
  options.shapes["x"] = Shape{128, 1, 28, 28};
  options.shapes["labels"] = Shape{128};
  options.pipeline.devices = {1, 1};
  std::ostringstream diag;
  proto::Module m =
      compile_model(std::string(GRAPHC_SOURCE_DIR) + "/examples/fashion_mnist/cnn.pbtxt", options, diag);
  REQUIRE(m.devices_size() == 1);
  CHECK(m.memory().in_place_buffers() > 0);  // the ReluGrads write over their dy
  CHECK(m.devices(0).arena_bytes() >= m.memory().lower_bound_bytes());
  CHECK(static_cast<double>(m.devices(0).arena_bytes()) <= 1.05 * static_cast<double>(m.memory().lower_bound_bytes()));
}

TEST_CASE("the example models' arenas are within 5% of the lower bound on one device", "[memory]") {
  for (const char* model : {"mlp.pbtxt", "cnn.pbtxt"}) {
    CompileOptions options;
    options.shapes["x"] = std::string(model) == "mlp.pbtxt" ? Shape{32, 784} : Shape{8, 1, 28, 28};
    options.pipeline.devices = {1, 1};
    std::ostringstream diag;
    proto::Module m = compile_model(std::string(GRAPHC_SOURCE_DIR) + "/examples/" + model, options, diag);
    INFO(model);
    REQUIRE(m.devices_size() == 1);
    CHECK(m.devices(0).arena_bytes() >= m.memory().lower_bound_bytes());
    CHECK(static_cast<double>(m.devices(0).arena_bytes()) <= 1.05 * static_cast<double>(m.memory().lower_bound_bytes()));
  }
}

}  // namespace graphc
