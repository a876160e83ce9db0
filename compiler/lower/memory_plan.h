// plan-memory: offsets for every intermediate buffer in one arena per device.
#pragma once

#include <string>
#include <vector>

#include "runtime/core/memory_plan_check.h"

namespace graphc {

struct MemoryPlan {
  std::vector<BufferLife> buffers;   // with offsets
  std::vector<int64_t> arena_bytes;  // per device
  int64_t lower_bound_bytes = 0;     // sum over devices of the most bytes live at once
  int64_t naive_bytes = 0;           // every buffer on its own
  int in_place_buffers = 0;          // buffers that took over an input's bytes
  std::string heuristic;             // the placement order that won
};

/// Assigns offsets to `buffers` (device, size, def_step, use_steps and
/// in_place_of set; sizes are rounded up to 64 bytes) so that no two buffers
/// that may be live at once under `dag` overlap, except that a buffer takes
/// over the bytes of an input it may be written over in place when
/// may_take_over allows. Tries several placement orders and keeps the
/// smallest total arena. The result is checked with check_memory_plan.
MemoryPlan plan_memory(std::vector<BufferLife> buffers, int devices, const StepDag& dag,
                       const std::vector<std::string>& value_names);

}  // namespace graphc
