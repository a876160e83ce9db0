// plan_scratch / check_scratch_plan (see scratch_plan.h).
#include "runtime/core/scratch_plan.h"

#include <fmt/format.h>

#include <algorithm>

#include "graphc/error.h"

namespace graphc {

namespace {

constexpr int64_t kAlignment = 64;

bool may_run_together(int a, int b, const StepDag& dag) {
  return a != b && !dag.happens_before(a, b) && !dag.happens_before(b, a);
}

}  // namespace

std::vector<int64_t> plan_scratch(std::vector<StepScratch>& steps, int devices, const StepDag& dag) {
  std::vector<int64_t> region(devices, 0);
  std::vector<std::vector<int>> placed(devices);  // per device, the steps with a block so far
  std::vector<std::pair<int64_t, int64_t>> taken;  // [begin, end) of concurrent blocks
  for (int s = 0; s < static_cast<int>(steps.size()); ++s) {
    StepScratch& step = steps[s];
    step.offset = 0;
    if (step.bytes <= 0) continue;
    step.bytes = (step.bytes + kAlignment - 1) / kAlignment * kAlignment;
    taken.clear();
    for (int t : placed[step.device]) {
      if (may_run_together(t, s, dag)) taken.emplace_back(steps[t].offset, steps[t].offset + steps[t].bytes);
    }
    std::sort(taken.begin(), taken.end());
    int64_t offset = 0;
    for (auto [begin, end] : taken) {
      if (offset + step.bytes <= begin) break;
      offset = std::max(offset, end);
    }
    step.offset = offset;
    placed[step.device].push_back(s);
    region[step.device] = std::max(region[step.device], offset + step.bytes);
  }
  return region;
}

void check_scratch_plan(const std::vector<StepScratch>& steps, const std::vector<int64_t>& region_bytes,
                        const StepDag& dag, const std::vector<std::string>& step_names) {
  const int n = static_cast<int>(steps.size());
  for (int a = 0; a < n; ++a) {
    const StepScratch& x = steps[a];
    if (x.bytes <= 0) continue;
    if (x.device < 0 || x.device >= static_cast<int>(region_bytes.size()) || x.offset < 0 ||
        x.offset % kAlignment != 0 || x.offset + x.bytes > region_bytes[x.device]) {
      throw Error("scratch plan", fmt::format("step '{}' has scratch [{}, +{}) outside the scratch region of device {}",
                                              step_names.at(a), x.offset, x.bytes, x.device));
    }
    for (int b = a + 1; b < n; ++b) {
      const StepScratch& y = steps[b];
      if (y.bytes <= 0 || y.device != x.device) continue;
      bool overlap = x.offset < y.offset + y.bytes && y.offset < x.offset + x.bytes;
      if (overlap && may_run_together(a, b, dag)) {
        throw Error("scratch plan", fmt::format("steps '{}' and '{}' may run at the same time but share scratch "
                                                "bytes of device {} ([{}, +{}) and [{}, +{}))",
                                                step_names.at(a), step_names.at(b), x.device, x.offset, x.bytes,
                                                y.offset, y.bytes));
      }
    }
  }
}

}  // namespace graphc
