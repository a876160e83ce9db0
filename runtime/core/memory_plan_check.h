// The safety rule of memory plans, shared by the planner (compiler) and the
// module loader (runtime), which re-checks every plan it loads.
//
// Two buffers may occupy the same bytes only if one is dead before the other
// is born in EVERY execution the executor may choose: its defining step and
// all its readers happen before the other's defining step (StepDag). A step
// that reads one buffer and writes the other never lets them share.
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
};

/// True when `a` and `b` may share memory.
bool may_share(const BufferLife& a, const BufferLife& b, const StepDag& dag);

/// Checks every buffer lies inside its device's arena and that no two
/// buffers that overlap in memory may be live at once. Throws graphc::Error
/// naming both values (through `value_name`) on a violation.
void check_memory_plan(const std::vector<BufferLife>& buffers, const std::vector<int64_t>& arena_bytes,
                       const StepDag& dag, const std::vector<std::string>& value_names);

}  // namespace graphc
