// OptimizerSpec: names and the one-line description.
#include "compiler/passes/optimizer_spec.h"

#include <fmt/format.h>

#include "graphc/error.h"

namespace graphc::passes {

OptimizerSpec::Kind OptimizerSpec::parse_kind(std::string_view name) {
  if (name == "sgd") return Kind::sgd;
  if (name == "adam") return Kind::adam;
  if (name == "adamw") return Kind::adamw;
  throw Error("--optimizer", fmt::format("unknown optimizer '{}' (expected sgd, adam or adamw)", name));
}

std::string OptimizerSpec::to_string() const {
  switch (kind) {
    case Kind::sgd:
      return fmt::format("sgd (momentum {}{}, weight decay {})", momentum, nesterov ? ", nesterov" : "", weight_decay);
    case Kind::adam:
    case Kind::adamw:
      return fmt::format("{} (betas {}, {}, epsilon {}, weight decay {})", kind == Kind::adam ? "adam" : "adamw",
                         beta1, beta2, epsilon, weight_decay);
  }
  return "?";
}

}  // namespace graphc::passes
