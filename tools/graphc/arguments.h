// Parsing of the CLI's structured arguments (--shape, --input).
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "compiler/import/graphdef_import.h"
#include "compiler/passes/optimizer_spec.h"

namespace graphc::cli {

/// Adds an option that may be repeated and takes one value each time
/// (`--shape a=1 --shape b=2`), so that it never swallows a positional
/// argument after it (`compile --shape x=1x784 MODEL`).
CLI::Option* add_repeatable_option(CLI::App& cmd, const std::string& name, std::vector<std::string>& values,
                                   const std::string& description);

/// The optimizer of a training module, as `compile --train` and `train` take
/// it; the returned function fills the spec in once the command line is parsed.
struct OptimizerArgs {
  std::string kind = "sgd";
  float momentum = 0.9f;
  bool nesterov = false;
  float weight_decay = 0.0f;

  passes::OptimizerSpec spec() const;
};
void add_optimizer_options(CLI::App& cmd, OptimizerArgs& args);

/// Parses "NAME=1x3x224x224" items into shape overrides.
ShapeOverrides parse_shapes(const std::vector<std::string>& items);

/// An --input item: "NAME=FILE.npy", or "FILE.npy" for a single-input model.
struct InputArg {
  std::string name;  // empty when not given
  std::filesystem::path file;
};
std::vector<InputArg> parse_inputs(const std::vector<std::string>& items);

}  // namespace graphc::cli
