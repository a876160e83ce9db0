// graphc inspect MODEL_OR_MODULE [--shape NAME=DIMS] [-O N] [--json]
//
// A report of a graph: signature, op histogram, parameter count and every
// node with its output types. For a model, the graph after the -O pipeline
// (default -O0: as written); for a module, its optimised graph.
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "compiler/compiler.h"
#include "tools/graphc/arguments.h"
#include "tools/graphc/commands.h"

namespace graphc::cli {

namespace {

struct InspectArgs {
  std::string path;
  std::vector<std::string> shapes;
  int opt_level = 0;
  bool json = false;
};

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
}

void run_inspect(const InspectArgs& args) {
  std::vector<std::string> notes;
  auto graph = load_typed_graph(args.path, parse_shapes(args.shapes), args.opt_level, notes);
  for (const auto& note : notes) std::cerr << "note: " << note << "\n";
  nlohmann::json report = build_report(args.path, *graph);
  if (args.json) {
    std::cout << report.dump(2) << "\n";
  } else {
    print_text(report);
  }
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App* cmd = app.add_subcommand("inspect", "Report on a model or module: signature, ops, parameters, nodes");
  cmd->add_option("MODEL_OR_MODULE", args->path, "A model (.pbtxt/.pb) or a compiled module (.gcm)")->required();
  cmd->add_option("--shape", args->shapes, "Fix a model input's shape, e.g. --shape x=1x784 (repeatable)");
  cmd->add_option("-O", args->opt_level, "For a model: report the graph after this -O pipeline (default 0)")
      ->check(CLI::Range(0, 2));
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->callback([args] { run_inspect(*args); });
}

}  // namespace graphc::cli
