// The optimizer a training module applies to its Variables (the optimizer
// pass; graphc compile --train and graphc train set it from the command line).
#pragma once

#include <string>
#include <string_view>

namespace graphc::passes {

struct OptimizerSpec {
  /// sgd (momentum 0: SGDUpdate; else MomentumUpdate), adam, adamw.
  enum class Kind { sgd, adam, adamw } kind = Kind::sgd;
  float momentum = 0.0f;  // sgd
  bool nesterov = false;  // sgd with momentum
  float weight_decay = 0.0f;  // L2 for sgd and adam, decoupled for adamw
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-8f;  // adam, adamw

  /// "sgd", "adam" or "adamw"; throws graphc::Error otherwise.
  static Kind parse_kind(std::string_view name);
  /// One line for reports: "sgd (momentum 0.9, nesterov, weight decay 0)".
  std::string to_string() const;
};

}  // namespace graphc::passes
