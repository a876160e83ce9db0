// graphc inspect MODEL_OR_MODULE [--shape NAME=DIMS] [-O N] [--json] [--memory] [--placement] [--fusion]
//                [--devices SPEC]
//
// A report of a graph: signature, op histogram, parameter count and every
// node with its output types. For a model, the graph after the -O pipeline
// (default -O0: as written); for a module, its optimised graph, and the
// kernel each step got when loaded (backend, and why an -O2 step fell back
// to the reference kernel).
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <sstream>
#include <nlohmann/json.hpp>

#include "compiler/compiler.h"
#include "runtime/src/module_impl.h"
#include "tools/graphc/arguments.h"
#include "tools/graphc/commands.h"
#include "tools/graphc/fusion_report.h"
#include "tools/graphc/schedule_report.h"

namespace graphc::cli {

namespace {

struct InspectArgs {
  std::string path;
  std::vector<std::string> shapes;
  int opt_level = 0;
  bool json = false;
  bool memory = false;
  bool placement = false;
  bool fusion = false;
  std::string devices;
};

/// The module whose plan --memory/--placement/--fusion describe: the file
/// itself, or a model compiled in memory with the given shapes, -O level
/// and devices.
proto::Module module_for_plan(const InspectArgs& args, int opt_level) {
  if (is_module_path(args.path)) return read_module(args.path);
  CompileOptions options;
  options.opt_level = opt_level;
  options.shapes = parse_shapes(args.shapes);
  if (!args.devices.empty()) options.pipeline.devices = DeviceSpec::parse(args.devices);
  std::ostringstream no_diag;
  return compile_model(args.path, options, no_diag);
}

nlohmann::json build_report(const std::string& path, const ir::Graph& graph) {
  nlohmann::json report;
  report["file"] = path;
  report["kind"] = is_module_path(path) ? "module" : "model";
  auto signature = [](const std::vector<ir::SignatureValue>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : list) out.push_back({{"name", s.name}, {"tensor", s.value->name()}, {"type", s.value->type().to_string()}});
    return out;
  };
  report["inputs"] = signature(graph.inputs());
  report["outputs"] = signature(graph.outputs());
  std::map<std::string, int> ops;
  int64_t parameters = 0, parameter_bytes = 0, constant_bytes = 0;
  nlohmann::json nodes = nlohmann::json::array();
  for (const ir::Node* n : graph.topological_order()) {
    ++ops[n->op()];
    const TensorType& t = n->output(0)->type();
    int64_t bytes = n->num_outputs() > 0 ? num_elements(t.shape) * static_cast<int64_t>(dtype_size(t.dtype)) : 0;
    if (n->op() == "Variable") {
      parameters += num_elements(t.shape);
      parameter_bytes += bytes;
    } else if (n->op() == "Const") {
      constant_bytes += bytes;
    }
    nlohmann::json outputs = nlohmann::json::array();
    for (size_t i = 0; i < n->num_outputs(); ++i) outputs.push_back(n->output(i)->type().to_string());
    nlohmann::json inputs = nlohmann::json::array();
    for (const ir::Value* v : n->inputs()) inputs.push_back(v->name());
    nodes.push_back({{"name", n->name()}, {"op", n->op()}, {"inputs", inputs}, {"outputs", outputs}, {"device", n->device()}});
  }
  report["op_counts"] = ops;
  report["node_count"] = graph.size();
  report["parameters"] = parameters;
  report["parameter_bytes"] = parameter_bytes;
  report["constant_bytes"] = constant_bytes;
  report["nodes"] = nodes;
  return report;
}

std::string human_bytes(int64_t bytes) {
  if (bytes >= (1 << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
  if (bytes >= (1 << 10)) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / (1 << 10));
  return fmt::format("{} B", bytes);
}

void print_text(const nlohmann::json& r) {
  std::cout << fmt::format("{} ({})\n", r["file"].get<std::string>(), r["kind"].get<std::string>());
  for (const char* side : {"inputs", "outputs"}) {
    std::cout << side << ":\n";
    for (const auto& s : r[side]) {
      std::cout << fmt::format("  {:<20} {:<20} ({})\n", s["name"].get<std::string>(), s["type"].get<std::string>(),
                               s["tensor"].get<std::string>());
    }
  }
  std::cout << fmt::format("nodes: {}   parameters: {} ({})   constants: {}\n", r["node_count"].get<int64_t>(),
                           r["parameters"].get<int64_t>(), human_bytes(r["parameter_bytes"].get<int64_t>()),
                           human_bytes(r["constant_bytes"].get<int64_t>()));
  std::cout << "ops:";
  for (const auto& [op, count] : r["op_counts"].items()) std::cout << fmt::format(" {}×{}", op, count.get<int>());
  std::cout << "\n\n" << fmt::format("  {:<28} {:<14} {:<28} {}\n", "node", "op", "outputs", "inputs");
  for (const auto& n : r["nodes"]) {
    std::vector<std::string> outs = n["outputs"].get<std::vector<std::string>>();
    std::vector<std::string> ins = n["inputs"].get<std::vector<std::string>>();
    std::cout << fmt::format("  {:<28} {:<14} {:<28} {}\n", n["name"].get<std::string>(), n["op"].get<std::string>(),
                             fmt::join(outs, " "), fmt::join(ins, ", "));
  }
  if (!r.contains("kernels")) return;
  std::map<std::string, int> backends;
  for (const auto& k : r["kernels"]) ++backends[k["backend"].get<std::string>()];
  std::cout << "\nkernels:";
  for (const auto& [backend, count] : backends) std::cout << fmt::format(" {}×{}", backend, count);
  std::cout << "\n" << fmt::format("  {:<28} {:<14} {:<10} {:<14} {}\n", "step", "op", "backend", "channels-last",
                                   "note");
  for (const auto& k : r["kernels"]) {
    std::string channels_last = fmt::format("{}", fmt::join(k["channels_last"].get<std::vector<std::string>>(), ","));
    std::cout << fmt::format("  {:<28} {:<14} {:<10} {:<14} {}\n", k["node"].get<std::string>(),
                             k["op"].get<std::string>(), k["backend"].get<std::string>(), channels_last,
                             k["note"].get<std::string>());
  }
}

/// The kernel of every step of a loaded module, and which of its operands
/// are stored channels-last ("in0", "out0", ...; assign-layout).
nlohmann::json kernel_report(const Module& module) {
  const Module::Impl& impl = module.impl();
  nlohmann::json kernels = nlohmann::json::array();
  for (const LoadedStep& step : impl.steps) {
    nlohmann::json channels_last = nlohmann::json::array();
    for (size_t i = 0; i < step.inputs.size(); ++i) {
      if (impl.value_layouts[step.inputs[i]] == Layout::channels_last) channels_last.push_back(fmt::format("in{}", i));
    }
    for (size_t i = 0; i < step.outputs.size(); ++i) {
      if (impl.value_layouts[step.outputs[i]] == Layout::channels_last) channels_last.push_back(fmt::format("out{}", i));
    }
    kernels.push_back({{"node", step.node},
                       {"op", step.op},
                       {"backend", step.backend},
                       {"channels_last", channels_last},
                       {"note", step.fallback_reason}});
  }
  return kernels;
}

void run_inspect(const InspectArgs& args) {
  std::vector<std::string> notes;
  auto graph = load_typed_graph(args.path, parse_shapes(args.shapes), args.opt_level, notes);
  for (const auto& note : notes) std::cerr << "note: " << note << "\n";
  nlohmann::json report = build_report(args.path, *graph);
  if (is_module_path(args.path)) report["kernels"] = kernel_report(*Module::load(args.path));
  if (args.memory || args.placement) {
    proto::Module module = module_for_plan(args, args.opt_level);
    if (args.memory) report["memory"] = memory_report(module, Module::from_proto(module)->impl().scratch_bytes);
    if (args.placement) report["placement"] = placement_report(module);
  }
  // Fusion happens at -O2 only, so a model is compiled at -O2 for it.
  if (args.fusion) report["fusion"] = fusion_report(module_for_plan(args, 2));
  if (args.json) {
    std::cout << report.dump(2) << "\n";
  } else {
    print_text(report);
    if (report.contains("memory")) print_memory_report(report["memory"]);
    if (report.contains("placement")) print_placement_report(report["placement"]);
    if (report.contains("fusion")) print_fusion_report(report["fusion"]);
  }
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = app.add_subcommand("inspect", "Report on a model or module: signature, ops, parameters, nodes");
  cmd->add_option("MODEL_OR_MODULE", args->path, "A model (.pbtxt/.pb) or a compiled module (.gcm)")->required();
  add_repeatable_option(*cmd, "--shape", args->shapes, "Fix a model input's shape, e.g. --shape x=1x784 (repeatable)");
  cmd->add_option("-O", args->opt_level, "For a model: report the graph after this -O pipeline (default 0)")
      ->check(CLI::Range(0, 2));
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->add_flag("--memory", args->memory, "Arena size per device against the liveness lower bound, largest buffers");
  cmd->add_flag("--placement", args->placement, "Device of every step, transfers and the predicted critical path");
  cmd->add_flag("--fusion", args->fusion,
                "Fused groups and their ops, and why each candidate left alone was not fused (a model: at -O2)");
  cmd->add_option("--devices", args->devices, "For a model with --memory/--placement/--fusion: cpu, cpu:N or cpu:NxC");
  cmd->callback([args] { run_inspect(*args); });
}

}  // namespace graphc::cli
