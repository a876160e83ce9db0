// The loaded form of a module, shared by Module and Session.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "graphc/module.h"
#include "proto/module.pb.h"
#include "runtime/core/kernel.h"

namespace graphc {

/// A step ready to run: its kernel (created once at load) and the value ids
/// it reads and writes.
struct LoadedStep {
  std::string node;
  std::string op;
  std::unique_ptr<Kernel> kernel;
  std::vector<int> inputs;
  std::vector<int> outputs;
};

struct Module::Impl {
  proto::Module proto;
  std::vector<TensorType> value_types;
  /// Constant values by value id; empty tensors for non-constant values.
  std::vector<Tensor> constants;
  std::vector<bool> is_constant;
  std::vector<LoadedStep> steps;
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
  std::vector<int> input_ids;
  std::vector<int> output_ids;
};

}  // namespace graphc
