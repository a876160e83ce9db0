// plan-memory.
//
// Buffers are placed greedily, one at a time, each at the best-fitting gap
// between the buffers already placed on its device that it conflicts with
// (may_share is false: both may be live at once in some execution the step
// DAG allows). Conflicts come from happens-before, not from the listed
// order, so a plan is safe however the parallel executor interleaves steps.
// On one device the executor adds an edge from each step to the next on the
// same device, so there happens-before is the listed order and the plan
// reaches the classic interval-packing results.
//
// The order in which buffers are placed decides the quality; we try
//   - by size, largest first (the usual winner),
//   - by lifetime (listed-order span), longest first,
//   - by definition order (first fit in program order),
// and keep the smallest total arena. The lower bound is the most bytes live
// at once in the listed (sequential) order, per device: no plan for that
// schedule can use less. Cost: O(B² · U) for B buffers of U uses each.
#include "compiler/lower/memory_plan.h"

#include <algorithm>
#include <functional>
#include <numeric>

namespace graphc {

namespace {

constexpr int64_t kAlignment = 64;

int last_access(const BufferLife& b) {
  int last = b.def_step;
  for (int u : b.use_steps) last = std::max(last, u);
  return last;
}

/// Places buffers in `order`; returns per-device arena sizes.
std::vector<int64_t> place_in_order(std::vector<BufferLife>& buffers, const std::vector<int>& order, int devices,
                                    const StepDag& dag) {
  std::vector<int64_t> arena(devices, 0);
  std::vector<std::vector<int>> placed(devices);
  struct Interval {
    int64_t begin, end;
  };
  for (int i : order) {
    BufferLife& b = buffers[i];
    std::vector<Interval> taken;
    for (int j : placed[b.device]) {
      const BufferLife& other = buffers[j];
      if (!may_share(b, other, dag)) taken.push_back({other.offset, other.offset + other.size});
    }
    std::sort(taken.begin(), taken.end(), [](const Interval& x, const Interval& y) { return x.begin < y.begin; });
    // Best fit: the smallest gap that holds the buffer; else after the last.
    int64_t best = -1, best_gap = 0, cursor = 0;
    for (const Interval& t : taken) {
      if (t.begin - cursor >= b.size && (best < 0 || t.begin - cursor < best_gap)) {
        best = cursor;
        best_gap = t.begin - cursor;
      }
      cursor = std::max(cursor, t.end);
    }
    b.offset = best >= 0 ? best : cursor;
    arena[b.device] = std::max(arena[b.device], b.offset + b.size);
    placed[b.device].push_back(i);
  }
  return arena;
}

int64_t sequential_lower_bound(const std::vector<BufferLife>& buffers, int devices, int steps) {
  // live[d][t]: bytes live on device d at listed step t (a difference array).
  std::vector<std::vector<int64_t>> delta(devices, std::vector<int64_t>(steps + 1, 0));
  for (const auto& b : buffers) {
    delta[b.device][b.def_step] += b.size;
    delta[b.device][last_access(b) + 1] -= b.size;
  }
  int64_t total = 0;
  for (const auto& d : delta) {
    int64_t live = 0, peak = 0;
    for (int64_t x : d) peak = std::max(peak, live += x);
    total += peak;
  }
  return total;
}

}  // namespace

MemoryPlan plan_memory(std::vector<BufferLife> buffers, int devices, const StepDag& dag,
                       const std::vector<std::string>& value_names) {
  for (auto& b : buffers) b.size = (b.size + kAlignment - 1) / kAlignment * kAlignment;

  std::vector<int> by_index(buffers.size());
  std::iota(by_index.begin(), by_index.end(), 0);
  auto sorted = [&](std::function<bool(const BufferLife&, const BufferLife&)> before) {
    std::vector<int> order = by_index;
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return before(buffers[x], buffers[y]); });
    return order;
  };
  struct Heuristic {
    const char* name;
    std::vector<int> order;
  };
  std::vector<Heuristic> heuristics = {
      {"size", sorted([](const BufferLife& x, const BufferLife& y) { return x.size > y.size; })},
      {"lifetime", sorted([](const BufferLife& x, const BufferLife& y) {
         int lx = last_access(x) - x.def_step, ly = last_access(y) - y.def_step;
         return lx != ly ? lx > ly : x.size > y.size;
       })},
      {"definition", sorted([](const BufferLife& x, const BufferLife& y) { return x.def_step < y.def_step; })},
  };

  MemoryPlan best;
  int64_t best_total = -1;
  for (const auto& h : heuristics) {
    std::vector<BufferLife> candidate = buffers;
    std::vector<int64_t> arena = place_in_order(candidate, h.order, devices, dag);
    int64_t total = std::accumulate(arena.begin(), arena.end(), int64_t{0});
    if (best_total >= 0 && total >= best_total) continue;
    best_total = total;
    best.buffers = std::move(candidate);
    best.arena_bytes = std::move(arena);
    best.heuristic = h.name;
  }
  if (best_total < 0) best.arena_bytes.assign(devices, 0);
  for (const auto& b : best.buffers) best.naive_bytes += b.size;
  best.lower_bound_bytes = sequential_lower_bound(best.buffers, devices, dag.size());
  check_memory_plan(best.buffers, best.arena_bytes, dag, value_names);
  return best;
}

}  // namespace graphc
