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
  std::string heuristic;             // the placement order that won
};

/// Assigns offsets to `buffers` (device, size, def_step and use_steps set;
/// sizes are rounded up to 64 bytes) so that no two buffers that may be live
/// at once under `dag` overlap. Tries several placement orders and keeps
/// the smallest total arena. The result is checked with check_memory_plan.
MemoryPlan plan_memory(std::vector<BufferLife> buffers, int devices, const StepDag& dag,
                       const std::vector<std::string>& value_names);

}  // namespace graphc
