// graphc compile MODEL [-o OUT.gcm] [--shape NAME=DIMS] [-O0|-O1|-O2] [--train [--loss NAME] [optimizer]] [debug flags]
#include <fmt/format.h>

#include <iostream>

#include "compiler/compiler.h"
#include "graphc/error.h"
#include "tools/graphc/arguments.h"
#include "tools/graphc/commands.h"

namespace graphc::cli {

namespace {

struct CompileArgs {
  std::string model;
  std::string output;
  std::vector<std::string> shapes;
  int opt_level = 2;
  std::string devices;
  bool train = false;
  std::string loss = "loss";
  std::string labels = "labels";
  OptimizerArgs optimizer;
  std::string weights;
  bool inference = false;
  bool print_pipeline = false;
  std::vector<std::string> print_after;
  bool print_after_all = false;
  bool verify_each = false;
  bool time_passes = false;
};

void run_compile(const CompileArgs& args) {
  if (args.print_pipeline) {
    std::cout << describe_pipeline(default_pipeline(args.opt_level, args.train)) << "\n";
    if (args.model.empty()) return;
  }
  if (args.model.empty()) throw Error("compile", "no MODEL given");
  CompileOptions options;
  options.opt_level = args.opt_level;
  if (!args.devices.empty()) options.pipeline.devices = DeviceSpec::parse(args.devices);
  options.train = args.train;
  options.pipeline.loss = args.loss;
  options.labels = args.labels;
  options.weights = args.weights;
  options.inference = args.inference;
  options.pipeline.optimizer = args.optimizer.spec();
  options.shapes = parse_shapes(args.shapes);
  options.pipeline.print_after = {args.print_after.begin(), args.print_after.end()};
  options.pipeline.print_after_all = args.print_after_all;
  options.pipeline.verify_each = args.verify_each;
  options.pipeline.time_passes = args.time_passes;
  proto::Module module = compile_model(args.model, options, std::cerr);
  std::filesystem::path out = args.output.empty() ? std::filesystem::path(args.model).replace_extension(".gcm")
                                                  : std::filesystem::path(args.output);
  write_module(out, module);
  std::cout << fmt::format("wrote {} ({} steps, {} constants, {} inputs, {} outputs)\n", out.string(),
                           module.steps_size(), module.constants_size(), module.inputs_size(), module.outputs_size());
}

}  // namespace

void add_compile_command(CLI::App& app) {
  auto args = std::make_shared<CompileArgs>();
  CLI::App* cmd = app.add_subcommand("compile", "Compile a model (.pbtxt/.pb) into a module (.gcm)");
  cmd->add_option("MODEL", args->model, "The model to compile");
  cmd->add_option("-o,--output", args->output, "Output module (default: MODEL with extension .gcm)");
  add_repeatable_option(*cmd, "--shape", args->shapes, "Fix an input's shape, e.g. --shape x=1x784 (repeatable)");
  cmd->add_option("-O", args->opt_level, "Optimisation level: -O0, -O1 or -O2 (default)")->check(CLI::Range(0, 2));
  cmd->add_option("--devices", args->devices,
                  "Devices to place the graph on: cpu (default: one device, all cores), cpu:N (N one-core "
                  "devices) or cpu:NxC (N devices of C cores)");
  cmd->add_flag("--train", args->train,
                "Compile one training step: the gradients of the loss (autodiff) and the optimizer's in-place "
                "updates of every Variable, plus an inference entry point sharing them");
  cmd->add_option("--loss", args->loss, "The signature output to differentiate with --train (default: loss)");
  cmd->add_option("--labels", args->labels,
                  "The training-only input the inference entry point drops with --train (default: labels)");
  add_optimizer_options(*cmd, args->optimizer);
  cmd->add_option("--weights", args->weights,
                  "Start the Variables from a checkpoint (graphc train --checkpoint DIR writes DIR/latest.gckpt), "
                  "e.g. to compile the trained model for another batch size");
  cmd->add_flag("--inference", args->inference,
                "Compile for inference only: drop the loss output (--loss), the labels input (--labels) and the "
                "outputs that need it");
  cmd->add_flag("--print-pipeline", args->print_pipeline, "Print the pass pipeline of the chosen -O level");
  add_repeatable_option(*cmd, "--print-after", args->print_after, "Print the IR after each run of PASS (repeatable)");
  cmd->add_flag("--print-after-all", args->print_after_all, "Print the IR after every pass");
  cmd->add_flag("--verify-each", args->verify_each, "Run the IR verifier after every pass");
  cmd->add_flag("--time-passes", args->time_passes, "Print how long each pass took");
  cmd->callback([args] { run_compile(*args); });
}

}  // namespace graphc::cli
