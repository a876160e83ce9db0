// graphc run MODULE_OR_MODEL --input [NAME=]FILE.npy ... [--output-dir DIR]
//
// A model is compiled in memory first, with input shapes taken from the fed
// .npy files.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "compiler/compiler.h"
#include "graphc/error.h"
#include "graphc/npy.h"
#include "graphc/session.h"
#include "tools/graphc/arguments.h"
#include "tools/graphc/commands.h"
#include "tools/graphc/tensor_summary.h"

namespace graphc::cli {

namespace {

struct RunArgs {
  std::string path;
  std::vector<std::string> inputs;
  std::string output_dir;
  int opt_level = 2;
  std::string devices;
  bool poison = false;
};

/// Whether a fed tensor of type `fed` fits an input declared `declared`,
/// whose -1 dims take any size.
bool fits(const TensorType& declared, const TensorType& fed) {
  if (declared.dtype != fed.dtype || declared.shape.size() != fed.shape.size()) return false;
  for (size_t i = 0; i < fed.shape.size(); ++i) {
    if (declared.shape[i] != -1 && declared.shape[i] != fed.shape[i]) return false;
  }
  return true;
}

/// Pairs each --input with a signature input, reads its file and checks the
/// tensor against the input's declared type.
std::map<std::string, Tensor> read_inputs(const std::vector<InputArg>& args, const std::vector<TensorInfo>& inputs) {
  std::vector<std::string> names;
  for (const auto& in : inputs) names.push_back(in.name);
  std::map<std::string, Tensor> fed;
  for (const auto& arg : args) {
    std::string name = arg.name;
    if (name.empty()) {
      if (names.size() != 1) {
        throw Error("--input", fmt::format("the model has {} inputs ({}); name each one: --input NAME=FILE.npy",
                                           names.size(), fmt::join(names, ", ")));
      }
      name = names[0];
    }
    auto input = std::find_if(inputs.begin(), inputs.end(), [&](const TensorInfo& in) { return in.name == name; });
    if (input == inputs.end()) {
      throw Error("--input", fmt::format("the model has no input named '{}' (its inputs: {})", name, fmt::join(names, ", ")));
    }
    if (fed.count(name)) throw Error("--input", fmt::format("input '{}' is given twice", name));
    Tensor tensor = read_npy(arg.file);
    if (!fits(input->type, tensor.type())) {
      const Shape& declared = input->type.shape;
      bool any_size = std::find(declared.begin(), declared.end(), -1) != declared.end();
      throw Error(arg.file.string(), fmt::format("holds {}, but input '{}' is {}{}", tensor.type().to_string(), name,
                                                 input->type.to_string(), any_size ? " (-1: any size)" : ""));
    }
    fed.emplace(name, tensor);
  }
  for (const auto& name : names) {
    if (!fed.count(name)) throw Error("--input", fmt::format("input '{}' is not given (--input {}=FILE.npy)", name, name));
  }
  return fed;
}

/// A file-safe form of an output name: letters, digits, '-', '_' and '.'.
std::string file_safe(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  if (out.empty() || out[0] == '.') out.insert(out.begin(), '_');
  return out;
}

void run_run(const RunArgs& args) {
  std::vector<InputArg> input_args = parse_inputs(args.inputs);
  std::shared_ptr<const Module> module;
  std::map<std::string, Tensor> fed;
  if (is_module_path(args.path)) {
    module = Module::load(args.path);
    fed = read_inputs(input_args, module->inputs());
  } else {
    auto graph = load_model(args.path);
    std::vector<TensorInfo> inputs;
    for (const auto& s : graph->inputs()) {
      const AttrMap& attrs = s.value->producer()->attrs();
      inputs.push_back({s.name, {attrs.get_dtype("dtype"), attrs.get_shape("shape")}});
    }
    fed = read_inputs(input_args, inputs);
    CompileOptions options;
    options.opt_level = args.opt_level;
    if (!args.devices.empty()) options.pipeline.devices = DeviceSpec::parse(args.devices);
    for (const auto& [name, tensor] : fed) options.shapes[name] = tensor.shape();
    module = Module::from_proto(compile_model(args.path, options, std::cerr));
  }

  SessionOptions options;
  options.poison_freed_buffers = args.poison;
  Session session(module, options);
  for (const auto& [name, tensor] : fed) session.set_input(name, tensor);
  session.run();

  std::map<std::string, std::string> files;  // file name -> output name, to catch clashes
  for (const auto& out : module->outputs()) {
    std::cout << fmt::format("{}: {}\n", out.name, summarize_tensor(session.output(out.name)));
    if (args.output_dir.empty()) continue;
    std::string file = file_safe(out.name) + ".npy";
    if (auto [it, fresh] = files.emplace(file, out.name); !fresh) {
      throw Error("--output-dir", fmt::format("outputs '{}' and '{}' both map to file {}", it->second, out.name, file));
    }
  }
  if (args.output_dir.empty()) return;
  std::filesystem::create_directories(args.output_dir);
  for (const auto& [file, name] : files) write_npy(std::filesystem::path(args.output_dir) / file, session.output(name));
  std::cout << fmt::format("wrote {} output(s) to {}\n", files.size(), args.output_dir);
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run a module (.gcm) or a model on .npy inputs");
  cmd->add_option("MODULE_OR_MODEL", args->path, "A compiled module or a model")->required();
  add_repeatable_option(*cmd, "--input,-i", args->inputs, "NAME=FILE.npy (repeatable), or FILE.npy for a single-input model");
  cmd->add_option("--output-dir", args->output_dir, "Write each output to DIR/<output name>.npy");
  cmd->add_option("-O", args->opt_level, "Optimisation level when compiling a model (default 2)")->check(CLI::Range(0, 2));
  cmd->add_option("--devices", args->devices, "When compiling a model: cpu, cpu:N or cpu:NxC (see graphc compile)");
  cmd->add_flag("--debug-poison", args->poison,
                "Fill each intermediate buffer with NaN bytes once it is dead (catches memory-plan bugs)");
  cmd->callback([args] { run_run(*args); });
}

}  // namespace graphc::cli
