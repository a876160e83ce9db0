// Parsing of the CLI's structured arguments (--shape, --input).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "compiler/import/graphdef_import.h"

namespace graphc::cli {

/// Parses "NAME=1x3x224x224" items into shape overrides.
ShapeOverrides parse_shapes(const std::vector<std::string>& items);

/// An --input item: "NAME=FILE.npy", or "FILE.npy" for a single-input model.
struct InputArg {
  std::string name;  // empty when not given
  std::filesystem::path file;
};
std::vector<InputArg> parse_inputs(const std::vector<std::string>& items);

}  // namespace graphc::cli
