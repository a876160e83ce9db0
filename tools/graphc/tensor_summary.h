// One-line human summaries of tensors, for graphc run.
#pragma once

#include <string>

#include "graphc/tensor.h"

namespace graphc::cli {

/// "f32[1,10] min -0.53 max 0.61 mean 0.012 nan 0 | 0.12 -0.33 0.05 ... 0.4"
std::string summarize_tensor(const Tensor& tensor);

}  // namespace graphc::cli
