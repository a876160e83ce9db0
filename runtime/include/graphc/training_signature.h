// The inputs a training module adds to its model's signature (graphc compile
// --train), shared by the compiler that declares them and graphc::Trainer,
// which feeds them on every step.
#pragma once

#include <string_view>

namespace graphc::training_signature {

/// f32 scalar: the learning rate of this step (the schedule lives in the
/// caller, see graphc::LearningRateSchedule).
inline constexpr std::string_view learning_rate = "learning_rate";
/// i64 scalar, Adam and AdamW only: the 1-based number of this update (for
/// the bias correction).
inline constexpr std::string_view optimizer_step = "optimizer_step";

}  // namespace graphc::training_signature
