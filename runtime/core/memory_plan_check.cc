// may_share and check_memory_plan.
#include "runtime/core/memory_plan_check.h"

#include <fmt/format.h>

#include <algorithm>

#include "graphc/error.h"

namespace graphc {

namespace {

/// Every access of `a` (its definition and its reads) happens before `step`.
bool dead_before(const BufferLife& a, int step, const StepDag& dag) {
  if (!dag.happens_before(a.def_step, step)) return false;
  return std::all_of(a.use_steps.begin(), a.use_steps.end(), [&](int u) { return dag.happens_before(u, step); });
}

}  // namespace

bool may_share(const BufferLife& a, const BufferLife& b, const StepDag& dag) {
  return dead_before(a, b.def_step, dag) || dead_before(b, a.def_step, dag);
}

bool may_take_over(const BufferLife& in, const BufferLife& out, const StepDag& dag) {
  if (in.device != out.device || in.size != out.size) return false;
  if (std::find(out.in_place_of.begin(), out.in_place_of.end(), in.value) == out.in_place_of.end()) return false;
  const int step = out.def_step;
  if (!dag.happens_before(in.def_step, step)) return false;
  if (std::find(in.use_steps.begin(), in.use_steps.end(), step) == in.use_steps.end()) return false;
  return std::all_of(in.use_steps.begin(), in.use_steps.end(),
                     [&](int u) { return u == step || dag.happens_before(u, step); });
}

void check_memory_plan(const std::vector<BufferLife>& buffers, const std::vector<int64_t>& arena_bytes,
                       const StepDag& dag, const std::vector<std::string>& value_names) {
  auto name = [&](const BufferLife& b) { return value_names.at(b.value); };
  std::vector<const BufferLife*> sorted;
  for (const auto& b : buffers) {
    if (b.device < 0 || b.device >= static_cast<int>(arena_bytes.size())) {
      throw Error("memory plan", fmt::format("'{}' is on device {}, which does not exist", name(b), b.device));
    }
    if (b.offset < 0 || b.size < 0 || b.offset + b.size > arena_bytes[b.device]) {
      throw Error("memory plan", fmt::format("'{}' at [{}, +{}) lies outside the {}-byte arena of device {}", name(b),
                                             b.offset, b.size, arena_bytes[b.device], b.device));
    }
    if (b.def_step < 0 || b.def_step >= dag.size()) {
      throw Error("memory plan", fmt::format("'{}' has no defining step", name(b)));
    }
    sorted.push_back(&b);
  }
  std::sort(sorted.begin(), sorted.end(), [](const BufferLife* x, const BufferLife* y) {
    return std::tie(x->device, x->offset) < std::tie(y->device, y->offset);
  });
  // Sweep by offset: each buffer is compared with the later-starting buffers
  // it overlaps, which the sort puts right after it.
  for (size_t i = 0; i < sorted.size(); ++i) {
    const BufferLife& a = *sorted[i];
    for (size_t j = i + 1; j < sorted.size(); ++j) {
      const BufferLife& b = *sorted[j];
      if (b.device != a.device || b.offset >= a.offset + a.size) break;
      if (a.size == 0 || b.size == 0 || may_share(a, b, dag)) continue;
      if (a.offset == b.offset && (may_take_over(a, b, dag) || may_take_over(b, a, dag))) continue;
      throw Error("memory plan", fmt::format("'{}' and '{}' overlap in the arena of device {} but may be live at "
                                             "the same time",
                                             name(a), name(b), a.device));
    }
  }
}

}  // namespace graphc
