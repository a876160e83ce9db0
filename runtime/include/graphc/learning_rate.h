// Learning-rate schedules: the rate of each optimizer update, which
// graphc::Trainer feeds to the training module's learning_rate input.
#pragma once

#include <cstdint>
#include <string_view>

namespace graphc {

struct LearningRateSchedule {
  enum class Kind {
    constant,  // base
    step,      // base · gamma^floor(update / step_every)
    cosine,    // from base down to minimum over `total` updates (half a cosine), then minimum
  };
  Kind kind = Kind::constant;
  float base = 0.01f;
  int64_t step_every = 1;  // step
  float gamma = 0.1f;      // step
  int64_t total = 1;       // cosine
  float minimum = 0.0f;    // cosine

  /// The rate of update number `update` (0-based).
  float at(int64_t update) const;
  /// "constant", "step" or "cosine"; throws graphc::Error otherwise.
  static Kind parse_kind(std::string_view name);
};

}  // namespace graphc
