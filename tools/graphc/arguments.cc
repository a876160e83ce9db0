// --shape and --input parsing.
#include "tools/graphc/arguments.h"

#include <fmt/format.h>

#include <charconv>

#include "graphc/error.h"

namespace graphc::cli {

CLI::Option* add_repeatable_option(CLI::App& cmd, const std::string& name, std::vector<std::string>& values,
                                   const std::string& description) {
  return cmd.add_option(name, values, description)->allow_extra_args(false);
}

ShapeOverrides parse_shapes(const std::vector<std::string>& items) {
  ShapeOverrides shapes;
  for (const auto& item : items) {
    size_t eq = item.find('=');
    auto bad = [&](const std::string& why) {
      return Error("--shape", fmt::format("'{}': {} (expected NAME=DIMS, e.g. x=1x784)", item, why));
    };
    if (eq == std::string::npos || eq == 0) throw bad("missing NAME=");
    Shape shape;
    std::string_view dims = std::string_view(item).substr(eq + 1);
    while (!dims.empty()) {
      size_t x = dims.find('x');
      std::string_view part = dims.substr(0, x);
      int64_t d = -1;
      auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), d);
      if (ec != std::errc() || ptr != part.data() + part.size() || d < 0) {
        throw bad(fmt::format("'{}' is not a non-negative dim", part));
      }
      shape.push_back(d);
      if (x == std::string_view::npos) break;
      dims.remove_prefix(x + 1);
      if (dims.empty()) throw bad("trailing 'x'");
    }
    if (!shapes.emplace(item.substr(0, eq), shape).second) throw bad("the name is given twice");
  }
  return shapes;
}

std::vector<InputArg> parse_inputs(const std::vector<std::string>& items) {
  std::vector<InputArg> inputs;
  for (const auto& item : items) {
    size_t eq = item.find('=');
    if (eq == std::string::npos) {
      inputs.push_back({"", item});
    } else {
      inputs.push_back({item.substr(0, eq), item.substr(eq + 1)});
    }
  }
  if (inputs.size() > 1) {
    for (const auto& in : inputs) {
      if (in.name.empty()) {
        throw Error("--input", fmt::format("'{}' has no NAME=; with several inputs each needs a name",
                                           in.file.string()));
      }
    }
  }
  return inputs;
}

passes::OptimizerSpec OptimizerArgs::spec() const {
  passes::OptimizerSpec spec;
  spec.kind = passes::OptimizerSpec::parse_kind(kind);
  spec.momentum = spec.kind == passes::OptimizerSpec::Kind::sgd ? momentum : 0.0f;
  spec.nesterov = nesterov;
  spec.weight_decay = weight_decay;
  return spec;
}

void add_optimizer_options(CLI::App& cmd, OptimizerArgs& args) {
  cmd.add_option("--optimizer", args.kind, "sgd (default), adam or adamw");
  cmd.add_option("--momentum", args.momentum, "SGD momentum (default 0.9; 0 for plain SGD)");
  cmd.add_flag("--nesterov", args.nesterov, "Nesterov momentum (SGD)");
  cmd.add_option("--weight-decay", args.weight_decay, "L2 (sgd, adam) or decoupled (adamw) weight decay");
}

}  // namespace graphc::cli
