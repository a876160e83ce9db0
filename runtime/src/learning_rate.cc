// LearningRateSchedule (see graphc/learning_rate.h); the same formulas as
// PyTorch's StepLR and CosineAnnealingLR, stepped per update.
#include "graphc/learning_rate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "graphc/error.h"

namespace graphc {

float LearningRateSchedule::at(int64_t update) const {
  switch (kind) {
    case Kind::constant: return base;
    case Kind::step:
      return base * static_cast<float>(std::pow(double{gamma}, static_cast<double>(update / std::max<int64_t>(step_every, 1))));
    case Kind::cosine: {
      double progress = std::min(1.0, static_cast<double>(update) / static_cast<double>(std::max<int64_t>(total, 1)));
      return static_cast<float>(minimum + (base - minimum) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress)));
    }
  }
  return base;
}

LearningRateSchedule::Kind LearningRateSchedule::parse_kind(std::string_view name) {
  if (name == "constant") return Kind::constant;
  if (name == "step") return Kind::step;
  if (name == "cosine") return Kind::cosine;
  throw Error("--lr-schedule", fmt::format("unknown schedule '{}' (expected constant, step or cosine)", name));
}

}  // namespace graphc
