// The safety rule of memory plans, shared by the planner (compiler) and the
// module loader (runtime), which re-checks every plan it loads.
//
// Two buffers may occupy the same bytes only if one is dead before the other
// is born in EVERY execution the executor may choose: its defining step and
// all its readers happen before the other's defining step (StepDag). A step
// that reads one buffer and writes the other never lets them share, with one
// exception, in-place reuse: the step's kernel declares that output in place
// of that input (each element read before it is written, at the same index),
// both buffers have the same device, offset and size, and every other access
// of the input happens before the step, so the step is its last reader in
// every execution.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/core/step_dag.h"

namespace graphc {

/// A planned buffer: where it lives and which steps touch it.
struct BufferLife {
  int value = -1;  // for messages
  int device = 0;
  int64_t offset = 0;
  int64_t size = 0;
  int def_step = -1;
  std::vector<int> use_steps;
  /// Values whose buffer this one may take over in place: inputs of its
  /// defining step that the step's kernel may overwrite with this value.
  std::vector<int> in_place_of;
};

/// True when `a` and `b` may share memory.
bool may_share(const BufferLife& a, const BufferLife& b, const StepDag& dag);

/// True when `out` may take over the bytes of `in` in place: `in` is in
/// out.in_place_of, both are on one device with one size, and every access
/// of `in` happens before out's defining step, except that step's own reads.
bool may_take_over(const BufferLife& in, const BufferLife& out, const StepDag& dag);

/// Checks every buffer lies inside its device's arena and that no two
/// buffers that overlap in memory may be live at once, unless one takes over
/// the other's bytes exactly (same offset) as may_take_over allows. Throws
/// graphc::Error naming both values (through `value_name`) on a violation.
void check_memory_plan(const std::vector<BufferLife>& buffers, const std::vector<int64_t>& arena_bytes,
                       const StepDag& dag, const std::vector<std::string>& value_names);

}  // namespace graphc
