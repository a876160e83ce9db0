// Heap allocations of Session::run(): the test binary replaces glibc's
// malloc family with counting wrappers around glibc's own allocator
// (__libc_malloc & co., the interposition glibc supports), so every
// allocation of the process is seen: operator new (which calls malloc),
// oneDNN's aligned buffers (posix_memalign), the C library's own. Counting is
// off except inside a measured window, and costs one relaxed load otherwise.
//
// A session is created and run a few times (threads, OpenMP teams and
// oneDNN's per-thread streams are set up on first use), then run again
// while counting. The executor and the kernels bound to the session
// allocate nothing of their own per run; what remains is inside libraries:
// each dnnl_primitive_execute builds an execution context holding a hash
// map of its arguments (oneDNN 2.6), which no public API avoids, and
// libgomp may allocate a team for a small OpenMP loop (the reference
// optimizer updates). Before kernels were bound per session, the CNN's
// training step at batch 4 made 679 allocations per run and its inference
// 226; now 216 and 70. oneDNN's RNN primitives allocate more inside their
// execute: about 50 per LSTM forward and 300 per LSTMGrad (its two
// primitives and reorders) in the row-LSTM training step.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <sstream>

#include <google/protobuf/text_format.h>

#include "compiler/compiler.h"
#include "compiler/import/graphdef_import.h"
#include "graphc/session.h"
#include "runtime/src/module_impl.h"

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* p, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* p);
}

namespace {

std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};

inline void count() {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

extern "C" {
void* malloc(size_t size) {
  count();
  return __libc_malloc(size);
}
void* calloc(size_t count_, size_t size) {
  count();
  return __libc_calloc(count_, size);
}
void* realloc(void* p, size_t size) {
  count();
  return __libc_realloc(p, size);
}
void free(void* p) { __libc_free(p); }
void* memalign(size_t alignment, size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(size_t alignment, size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** p, size_t alignment, size_t size) {
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  count();
  void* q = __libc_memalign(alignment, size);
  if (q == nullptr && size != 0) return ENOMEM;
  *p = q;
  return 0;
}
}

namespace graphc {
namespace {

/// Allocations per run of `session`, over `runs` runs after `warmup`.
double allocations_per_run(Session& session, int warmup, int runs) {
  for (int i = 0; i < warmup; ++i) session.run();
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < runs; ++i) session.run();
  g_counting = false;
  return static_cast<double>(g_allocations.load()) / runs;
}

const std::filesystem::path kExamples = std::filesystem::path(GRAPHC_SOURCE_DIR) / "examples";

/// examples/fashion_mnist/`model`.pbtxt at batch 4 (x of `x_shape`).
std::shared_ptr<const Module> compile_example(const std::string& model, Shape x_shape, bool train,
                                              DeviceSpec devices) {
  CompileOptions options;
  options.opt_level = 2;
  options.train = train;
  options.shapes["x"] = std::move(x_shape);
  options.shapes["labels"] = {4};
  options.pipeline.devices = devices;
  std::ostringstream diag;
  return Module::from_proto(compile_model(kExamples / "fashion_mnist" / (model + ".pbtxt"), options, diag));
}

void fill_inputs(Session& session) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> pixel(0.f, 1.f);
  Tensor& x = session.input("x");
  for (int64_t i = 0; i < x.num_elements(); ++i) x.data<float>()[i] = pixel(rng);
  for (const TensorInfo& info : session.module().inputs()) {
    if (info.name == "labels") {
      Tensor& labels = session.input("labels");
      for (int64_t i = 0; i < labels.num_elements(); ++i) labels.data<int32_t>()[i] = static_cast<int32_t>(i % 10);
    }
    if (info.name == "learning_rate") *session.input("learning_rate").data<float>() = 0.01f;
  }
}

TEST_CASE("the counting allocator sees operator new and oneDNN-style aligned allocations", "[executor][alloc]") {
  g_allocations = 0;
  g_counting = true;
  auto* p = new std::vector<int>(100);
  void* q = nullptr;
  REQUIRE(posix_memalign(&q, 64, 1000) == 0);
  g_counting = false;
  free(q);
  delete p;
  CHECK(g_allocations.load() >= 3);
}

TEST_CASE("runs of a oneDNN-heavy module allocate only inside the kernels' libraries", "[executor][alloc][onednn]") {
  struct Case {
    const char* name;
    const char* model;
    Shape x;
    bool train;
    DeviceSpec devices;
  };
  const Shape image{4, 1, 28, 28}, rows{4, 28, 28};
  for (const Case& c : {Case{"cnn inference, cpu", "cnn", image, false, {1, 1}},
                        Case{"cnn training step, cpu", "cnn", image, true, {1, 1}},
                        Case{"cnn training step, cpu:2", "cnn", image, true, {2, 1}},
                        Case{"row-LSTM training step, cpu", "lstm", rows, true, {1, 1}}}) {
    auto module = compile_example(c.model, c.x, c.train, c.devices);
    int onednn_steps = 0;
    for (const LoadedStep& step : module->impl().steps) onednn_steps += step.backend == "onednn";
    REQUIRE(onednn_steps >= 5);
    Session session(module);
    fill_inputs(session);
    double per_run = allocations_per_run(session, 3, 20);
    WARN(fmt::format("{}: {} steps, {} on oneDNN: {:.1f} heap allocations per run", c.name,
                     module->impl().steps.size(), onednn_steps, per_run));
    // Per step: each kernel bound as a session binds it, run alone.
    const Module::Impl& m = module->impl();
    std::vector<Tensor> values(m.value_types.size());
    for (size_t id = 0; id < values.size(); ++id) {
      values[id] = m.is_constant[id] ? m.constants[id] : Tensor(m.value_types[id]);
    }
    std::string breakdown;
    long steps_total = 0;
    for (const LoadedStep& step : m.steps) {
      std::vector<const Tensor*> in;
      std::vector<Tensor*> out;
      for (int id : step.inputs) in.push_back(&values[id]);
      for (int id : step.outputs) out.push_back(&values[id]);
      Tensor scratch(DType::i8, {step.scratch_bytes});
      auto bound = step.kernel->bind({in, out, static_cast<std::byte*>(scratch.raw_data())});
      auto run = [&] { bound ? bound->run() : step.kernel->run(in, out); };
      run();
      g_allocations = 0;
      g_counting = true;
      run();
      g_counting = false;
      steps_total += g_allocations.load();
      if (g_allocations.load() > 0) {
        breakdown += fmt::format("  {} {} ({}): {}\n", step.node, step.op, step.backend, g_allocations.load());
      }
    }
    WARN("steps that allocate, each run alone: " << steps_total << " in all\n" << breakdown);
    // The executor and the session add nothing to what the kernels allocate,
    // except that libgomp may allocate once more per reference update step:
    // whether its OpenMP loop reuses a cached team depends on the calling
    // thread's team size, which differs when a step runs alone here.
    long updates = 0;
    for (const LoadedStep& step : m.steps) updates += step.op == "SGDUpdate";
    CHECK(per_run <= static_cast<double>(steps_total + updates));
  }
}

TEST_CASE("the parallel executor allocates nothing per run", "[executor][alloc]") {
  // Elementwise reference kernels over small tensors, on one device (the
  // sequential loop) and on three (queues, pending counts, inline steps,
  // transfers): nothing of a run allocates.
  const char* text = R"(
    node { name: "x" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } }
           attr { key: "shape" value { shape { dim: 4 dim: 8 } } } }
    node { name: "a" op: "Relu" input: "x" device: "cpu:0" }
    node { name: "b" op: "Tanh" input: "x" device: "cpu:1" }
    node { name: "c" op: "Neg" input: "x" device: "cpu:2" }
    node { name: "d" op: "Add" input: "a" input: "b" }
    node { name: "e" op: "Mul" input: "d" input: "c" }
    node { name: "f" op: "Sigmoid" input: "e" }
    signature { inputs { name: "x" tensor: "x" } outputs { name: "f" tensor: "f" } })";
  for (int devices : {1, 3}) {
    proto::GraphDef def;
    REQUIRE(google::protobuf::TextFormat::ParseFromString(text, &def));
    if (devices == 1) {
      for (auto& node : *def.mutable_node()) node.clear_device();
    }
    CompileOptions options;
    options.opt_level = 1;
    options.pipeline.devices = {devices, 1};
    std::ostringstream diag;
    auto module = Module::from_proto(compile_graph(*import_graphdef(def, "dag.pbtxt"), options, diag));
    Session session(module);
    INFO("cpu:" << devices);
    CHECK(allocations_per_run(session, 3, 50) == 0.0);
  }
}

}  // namespace
}  // namespace graphc
