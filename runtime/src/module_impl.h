// The loaded form of a module, shared by Module and Session.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "graphc/module.h"
#include "proto/module.pb.h"
#include "runtime/core/kernel.h"
#include "runtime/kernels/jit/jit_library.h"

namespace graphc {

/// A step ready to run: its kernel (created once at load) and the value ids
/// it reads and writes.
struct LoadedStep {
  std::string node;
  std::string op;
  std::unique_ptr<Kernel> kernel;
  std::vector<int> inputs;
  std::vector<int> outputs;
  int device = 0;
  /// The steps waiting for this one, and how many steps this one waits for.
  std::vector<int> successors;
  int dependency_count = 0;
  /// Cheap enough to run on whichever thread makes it ready.
  bool inline_ok = false;
  /// The kernel's scratch block in its device's scratch region
  /// (runtime/core/scratch_plan.h; bytes 0: none).
  int64_t scratch_offset = 0;
  int64_t scratch_bytes = 0;
  /// The kernel's backend ("onednn", "reference") and why an optimised step
  /// runs the reference kernel (runtime/src/kernel_selection.h).
  std::string backend = {};
  std::string fallback_reason = {};
};

/// Where a value lives during a run. `state`: a mutable Variable (in the
/// session's VariableStore), or the new value of one, written in place.
struct ValuePlacement {
  enum class Kind { constant, arena, own, state } kind = Kind::own;
  int device = 0;
  int64_t offset = 0;  // in the device's arena
};

struct Module::Impl {
  proto::Module proto;
  /// The linked generated kernels (null when the module has none or they
  /// cannot run here); declared before `steps`, whose kernels call into it.
  std::unique_ptr<JitLibrary> generated_code;
  std::vector<TensorType> value_types;
  std::vector<Layout> value_layouts;  // by value id
  /// Constant values by value id (and the initial values of mutable
  /// Variables); empty tensors for other values.
  std::vector<Tensor> constants;
  std::vector<bool> is_constant;
  /// Training modules: the mutable Variables (value ids) and, by value id,
  /// the Variable whose storage a state update writes (-1 for other values).
  std::vector<int> variable_ids;
  std::vector<int> state_of;
  std::vector<LoadedStep> steps;
  std::vector<ValuePlacement> placements;  // by value id
  std::vector<int> device_cores;
  std::vector<int64_t> arena_bytes;  // per device
  /// Per device, the bytes of a session's scratch region: computed at load
  /// from the kernels oneDNN chose on this machine, not in the module.
  std::vector<int64_t> scratch_bytes;
  /// Steps with no dependencies: where every run starts.
  std::vector<int> initial_steps;
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
  std::vector<int> input_ids;
  std::vector<int> output_ids;
};

}  // namespace graphc
