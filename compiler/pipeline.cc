// The pipelines: the table of contents of the compiler.
//
//   -O0  verify, infer-shapes                      (reference kernels, no rewrites)
//   -O1  + simplify: fold-constants, cse, dce to a fixed point
//   -O2  -O1, then fold-batchnorm, fuse-epilogue, fuse-elementwise, dce, assign-layout (the default)
//   --train  autodiff, optimizer and infer-shapes again, right after infer-shapes
// Every level ends with place (devices and the predicted schedule).
#include "compiler/pipeline.h"

#include <fmt/format.h>

#include <chrono>
#include <map>

#include "compiler/ir/printer.h"
#include "compiler/ir/verifier.h"
#include "compiler/passes/pass.h"
#include "graphc/error.h"

namespace graphc {

namespace {

/// A fixed-point group stops after this many rounds even if a pass keeps
/// reporting changes (which would be a pass bug, reported as an error).
constexpr int kMaxFixedPointRounds = 32;

}  // namespace

Pipeline default_pipeline(int opt_level, bool train) {
  if (opt_level < 0 || opt_level > 2) throw Error("", fmt::format("-O{} is not an optimisation level (0, 1 or 2)", opt_level));
  Pipeline p = {{"verify", {"verify"}}, {"infer-shapes", {"infer-shapes"}}};
  if (train) p.insert(p.end(), {{"autodiff", {"autodiff"}}, {"optimizer", {"optimizer"}}, {"infer-shapes", {"infer-shapes"}}});
  if (opt_level >= 1) p.push_back({"simplify", {"fold-constants", "cse", "dce"}, true});
  if (opt_level >= 2) {
    for (const char* pass : {"fold-batchnorm", "fuse-epilogue", "fuse-elementwise", "dce", "assign-layout"}) p.push_back({pass, {pass}});
  }
  p.push_back({"place", {"place"}});
  return p;
}

std::string describe_pipeline(const Pipeline& pipeline) {
  std::vector<std::string> parts;
  for (const auto& stage : pipeline) {
    parts.push_back(stage.to_fixed_point ? fmt::format("{}({})*", stage.name, fmt::join(stage.passes, ", "))
                                         : stage.name);
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::vector<passes::FusionDecision> run_pipeline(ir::Graph& graph, const Pipeline& pipeline, const PipelineOptions& options, std::ostream& diag) {
  for (const auto& name : options.print_after) {
    if (passes::find_pass(name) == nullptr) throw Error("--print-after", fmt::format("unknown pass '{}'", name));
  }
  passes::PassContext ctx;
  ctx.devices = options.devices;
  ctx.loss = options.loss;
  ctx.optimizer = options.optimizer;
  std::map<std::string, double> seconds;
  std::vector<std::string> timing_order;

  auto run_one = [&](const std::string& name) {
    const passes::PassInfo* pass = passes::find_pass(name);
    if (pass == nullptr) throw Error("pipeline", fmt::format("unknown pass '{}'", name));
    auto start = std::chrono::steady_clock::now();
    bool changed = pass->run(graph, ctx);
    auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!seconds.count(name)) timing_order.push_back(name);
    seconds[name] += elapsed;
    if (options.verify_each) ir::verify_graph(graph, ctx.types_inferred);
    if (options.print_after_all || options.print_after.count(name)) {
      diag << fmt::format("// ----- IR after {}{} -----\n", name, changed ? "" : " (unchanged)")
           << ir::print_graph(graph);
    }
    return changed;
  };

  for (const auto& stage : pipeline) {
    if (!stage.to_fixed_point) {
      for (const auto& name : stage.passes) run_one(name);
      continue;
    }
    for (int round = 0;; ++round) {
      if (round == kMaxFixedPointRounds) {
        throw Error("pipeline", fmt::format("'{}' did not reach a fixed point in {} rounds", stage.name, round));
      }
      bool changed = false;
      for (const auto& name : stage.passes) changed |= run_one(name);
      if (!changed) break;
    }
  }

  if (options.time_passes) {
    double total = 0;
    for (const auto& [name, s] : seconds) total += s;
    diag << "// ----- pass timings -----\n";
    for (const auto& name : timing_order) {
      diag << fmt::format("{:>10.3f} ms  {:5.1f}%  {}\n", seconds[name] * 1e3,
                          total > 0 ? 100.0 * seconds[name] / total : 0.0, name);
    }
    diag << fmt::format("{:>10.3f} ms  total\n", total * 1e3);
  }
  return std::move(ctx.fusion);
}

}  // namespace graphc
