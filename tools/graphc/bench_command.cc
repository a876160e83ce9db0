// graphc bench MODULE_OR_MODEL [--shape NAME=DIMS] [-O N] [--iters N] [--warmup N] [--trace FILE.json] [--json]
//
// Latency and throughput of Session::run() on random inputs (uniform [0, 1)
// for floats, zeros otherwise): `--warmup` untimed runs, then `--iters`
// timed ones; median, p90, mean and min. A model is compiled in memory first
// (its unknown dims fixed with --shape).
//
// The per-step profile runs the module's kernels one at a time, in module
// order, on buffers of its own, and reports each step's median time, so it
// shows kernel cost without the executor's overlap; `--trace` writes one
// such run as a Chrome trace (chrome://tracing, ui.perfetto.dev).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "compiler/compiler.h"
#include "graphc/error.h"
#include "graphc/session.h"
#include "runtime/core/file_io.h"
#include "runtime/src/module_impl.h"
#include "tools/graphc/arguments.h"
#include "tools/graphc/commands.h"

namespace graphc::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct BenchArgs {
  std::string path;
  std::vector<std::string> shapes;
  int opt_level = 2;
  int iters = 100;
  int warmup = 10;
  std::string trace;
  bool json = false;
};

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

/// The q-quantile (0..1) of `samples`, nearest rank.
double quantile(std::vector<double> samples, double q) {
  std::sort(samples.begin(), samples.end());
  auto rank = static_cast<size_t>(q * static_cast<double>(samples.size() - 1) + 0.5);
  return samples[rank];
}

Tensor random_input(const TensorType& type, std::mt19937& gen) {
  Tensor t(type);
  if (type.dtype != DType::f32) return t;
  std::uniform_real_distribution<float> dist(0.0f, 1.0f);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.num_elements(); ++i) p[i] = dist(gen);
  return t;
}

/// Per-step times of `runs` sequential passes over the module's kernels.
struct StepProfile {
  std::vector<std::vector<double>> micros;  // [step][run]
  std::vector<std::pair<double, double>> last_run;  // [step] (start, duration), µs from the pass's start
};

StepProfile profile_steps(const Module& module, const std::vector<Tensor>& inputs, int runs) {
  const Module::Impl& m = module.impl();
  std::vector<Tensor> values(m.value_types.size());
  for (size_t id = 0; id < values.size(); ++id) {
    values[id] = m.is_constant[id] ? m.constants[id] : Tensor(m.value_types[id]);
  }
  for (size_t i = 0; i < inputs.size(); ++i) values[m.input_ids[i]] = inputs[i];
  // Each step bound once to its arguments and to scratch of its own, as a
  // session binds it, so the times are of runs, not of setting them up.
  const size_t n = m.steps.size();
  std::vector<std::vector<const Tensor*>> in(n);
  std::vector<std::vector<Tensor*>> out(n);
  std::vector<Tensor> scratch(n);
  std::vector<std::unique_ptr<BoundKernel>> bound(n);
  for (size_t s = 0; s < n; ++s) {
    const LoadedStep& step = m.steps[s];
    for (int id : step.inputs) in[s].push_back(&values[id]);
    for (int id : step.outputs) out[s].push_back(&values[id]);
    if (step.scratch_bytes > 0) scratch[s] = Tensor(DType::i8, {step.scratch_bytes});
    bound[s] = step.kernel->bind({in[s], out[s], static_cast<std::byte*>(scratch[s].raw_data())});
  }
  StepProfile profile;
  profile.micros.resize(n);
  profile.last_run.resize(n);
  for (int r = 0; r < runs; ++r) {
    Clock::time_point pass_start = Clock::now();
    for (size_t s = 0; s < n; ++s) {
      const LoadedStep& step = m.steps[s];
      Clock::time_point start = Clock::now();
      if (bound[s]) {
        bound[s]->run();
      } else {
        step.kernel->run(in[s], out[s]);
      }
      double us = micros(Clock::now() - start);
      profile.micros[s].push_back(us);
      profile.last_run[s] = {micros(start - pass_start), us};
    }
  }
  return profile;
}

/// The Chrome trace event format: one complete ("X") event per step.
nlohmann::json chrome_trace(const Module& module, const StepProfile& profile) {
  nlohmann::json events = nlohmann::json::array();
  const auto& steps = module.impl().steps;
  for (size_t s = 0; s < steps.size(); ++s) {
    events.push_back({{"name", steps[s].node},
                      {"cat", steps[s].op},
                      {"ph", "X"},
                      {"ts", profile.last_run[s].first},
                      {"dur", profile.last_run[s].second},
                      {"pid", 1},
                      {"tid", 1},
                      {"args", {{"op", steps[s].op}, {"backend", steps[s].backend}}}});
  }
  return {{"traceEvents", events}, {"displayTimeUnit", "ms"}};
}

std::shared_ptr<const Module> load(const BenchArgs& args) {
  if (is_module_path(args.path)) {
    if (!args.shapes.empty()) throw Error("--shape", "applies to models; a compiled module has fixed shapes");
    return Module::load(args.path);
  }
  CompileOptions options;
  options.opt_level = args.opt_level;
  options.shapes = parse_shapes(args.shapes);
  return Module::from_proto(compile_model(args.path, options, std::cerr));
}

void run_bench(const BenchArgs& args) {
  auto module = load(args);
  std::mt19937 gen(2024);
  std::vector<Tensor> inputs;
  Session session(module);
  for (const auto& info : module->inputs()) {
    inputs.push_back(random_input(info.type, gen));
    session.set_input(info.name, inputs.back());
  }
  for (int i = 0; i < args.warmup; ++i) session.run();
  std::vector<double> latencies;
  for (int i = 0; i < args.iters; ++i) {
    Clock::time_point start = Clock::now();
    session.run();
    latencies.push_back(micros(Clock::now() - start));
  }
  double median = quantile(latencies, 0.5);
  // Samples per run: the leading dim of the first input, when it has one.
  int64_t batch = 1;
  if (!module->inputs().empty() && !module->inputs()[0].type.shape.empty()) batch = module->inputs()[0].type.shape[0];

  StepProfile profile = profile_steps(*module, inputs, std::max(1, std::min(args.iters, 50)));
  nlohmann::json report = {{"file", args.path},
                           {"iters", args.iters},
                           {"warmup", args.warmup},
                           {"median_us", median},
                           {"p90_us", quantile(latencies, 0.9)},
                           {"min_us", quantile(latencies, 0.0)},
                           {"mean_us", std::accumulate(latencies.begin(), latencies.end(), 0.0) / args.iters},
                           {"runs_per_s", 1e6 / median},
                           {"samples_per_s", 1e6 * static_cast<double>(batch) / median}};
  nlohmann::json steps = nlohmann::json::array();
  const auto& loaded = module->impl().steps;
  double total = 0.0;
  for (size_t s = 0; s < loaded.size(); ++s) total += quantile(profile.micros[s], 0.5);
  for (size_t s = 0; s < loaded.size(); ++s) {
    steps.push_back({{"node", loaded[s].node},
                     {"op", loaded[s].op},
                     {"backend", loaded[s].backend},
                     {"median_us", quantile(profile.micros[s], 0.5)}});
  }
  report["steps"] = steps;
  report["steps_total_us"] = total;
  if (!args.trace.empty()) {
    write_file_atomically(args.trace, chrome_trace(*module, profile).dump() + "\n");
  }
  if (args.json) {
    std::cout << report.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("{}: {} runs after {} warm-up\n", args.path, args.iters, args.warmup);
  std::cout << fmt::format("latency     median {:.1f} µs   p90 {:.1f} µs   min {:.1f} µs   mean {:.1f} µs\n", median,
                           report["p90_us"].get<double>(), report["min_us"].get<double>(),
                           report["mean_us"].get<double>());
  std::cout << fmt::format("throughput  {:.0f} runs/s   {:.0f} samples/s (batch {})\n", 1e6 / median,
                           report["samples_per_s"].get<double>(), batch);
  std::cout << fmt::format("\nper-step profile (kernels run one at a time; median; total {:.1f} µs)\n", total);
  std::cout << fmt::format("  {:<28} {:<14} {:<10} {:>10} {:>7}\n", "step", "op", "backend", "µs", "share");
  for (const auto& s : steps) {
    double us = s["median_us"].get<double>();
    std::cout << fmt::format("  {:<28} {:<14} {:<10} {:>10.1f} {:>6.1f}%\n", s["node"].get<std::string>(),
                             s["op"].get<std::string>(), s["backend"].get<std::string>(), us,
                             total > 0 ? 100.0 * us / total : 0.0);
  }
  if (!args.trace.empty()) std::cout << fmt::format("wrote trace {}\n", args.trace);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Time a module: latency, throughput and a per-step profile");
  cmd->add_option("MODULE_OR_MODEL", args->path, "A compiled module (.gcm) or a model")->required();
  add_repeatable_option(*cmd, "--shape", args->shapes, "Fix a model input's shape, e.g. --shape x=1x784 (repeatable)");
  cmd->add_option("-O", args->opt_level, "Optimisation level when compiling a model (default 2)")
      ->check(CLI::Range(0, 2));
  cmd->add_option("--iters", args->iters, "Timed runs (default 100)")->check(CLI::Range(1, 1000000));
  cmd->add_option("--warmup", args->warmup, "Untimed runs first (default 10)")->check(CLI::Range(0, 1000000));
  cmd->add_option("--trace", args->trace, "Write a Chrome trace of one profiled pass to FILE.json");
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->callback([args] { run_bench(*args); });
}

}  // namespace graphc::cli
