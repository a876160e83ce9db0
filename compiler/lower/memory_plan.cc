// plan-memory.
//
// In-place reuse comes first. A buffer whose defining step's kernel may
// write it over one of the step's inputs (BufferLife::in_place_of, from the
// op schema's in_place pairs) takes over that input's buffer when
// may_take_over allows it: the input is a planned buffer on the same device
// with the same size, and every other access of it happens before the step
// (so in every execution the step is its last reader). Buffers are visited
// in definition order, so chains form (Relu into ReluGrad into ...); an
// input is taken over at most once, and a buffer takes over at most one
// input. Each chain is then placed as one unit whose life runs from its
// first definition to its last access.
//
// Units are placed greedily, one at a time, each at the best-fitting gap
// between the units already placed on its device that it conflicts with
// (may_share is false: both may be live at once in some execution the step
// DAG allows). Conflicts come from happens-before, not from the listed
// order, so a plan is safe however the parallel executor interleaves steps.
// On one device the executor adds an edge from each step to the next on the
// same device, so there happens-before is the listed order and the plan
// reaches the classic interval-packing results.
//
// The order in which units are placed decides the quality; we try
//   - by size, largest first (the usual winner),
//   - by lifetime (listed-order span), longest first,
//   - by definition order (first fit in program order),
// and keep the smallest total arena. The lower bound is the most bytes live
// at once in the listed (sequential) order, per device, counting each unit
// once: at the step where an output takes over its input, the two are one
// buffer. No plan for that schedule with these in-place decisions can use
// less, and the planner makes every in-place reuse the rules allow, so the
// bound is the one for its own plan (a plan without reuse has a higher one).
// Cost: O(B² · U) for B buffers of U uses each.
#include "compiler/lower/memory_plan.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <unordered_map>

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

/// Chains of in-place reuse: for each unit, its members in definition order.
std::vector<std::vector<int>> in_place_chains(const std::vector<BufferLife>& buffers, const StepDag& dag) {
  std::vector<int> by_def(buffers.size());
  std::iota(by_def.begin(), by_def.end(), 0);
  std::stable_sort(by_def.begin(), by_def.end(),
                   [&](int x, int y) { return buffers[x].def_step < buffers[y].def_step; });
  std::unordered_map<int, int> index_of;  // value id -> buffer index
  for (size_t i = 0; i < buffers.size(); ++i) index_of[buffers[i].value] = static_cast<int>(i);
  std::vector<int> chain_of(buffers.size(), -1);
  std::vector<bool> taken(buffers.size(), false);
  std::vector<std::vector<int>> chains;
  for (int b : by_def) {
    for (int value : buffers[b].in_place_of) {
      auto in = index_of.find(value);
      if (in == index_of.end() || taken[in->second] || !may_take_over(buffers[in->second], buffers[b], dag)) continue;
      taken[in->second] = true;
      chain_of[b] = chain_of[in->second];
      break;
    }
    if (chain_of[b] < 0) {
      chain_of[b] = static_cast<int>(chains.size());
      chains.emplace_back();
    }
    chains[chain_of[b]].push_back(b);
  }
  return chains;
}

/// One life for a chain: the first member's definition, and every later
/// access (reads, and the later members' definitions) as uses.
BufferLife unit_life(const std::vector<BufferLife>& buffers, const std::vector<int>& chain) {
  BufferLife unit = buffers[chain.front()];
  for (size_t k = 1; k < chain.size(); ++k) {
    const BufferLife& member = buffers[chain[k]];
    unit.use_steps.push_back(member.def_step);
    unit.use_steps.insert(unit.use_steps.end(), member.use_steps.begin(), member.use_steps.end());
  }
  return unit;
}

}  // namespace

MemoryPlan plan_memory(std::vector<BufferLife> buffers, int devices, const StepDag& dag,
                       const std::vector<std::string>& value_names) {
  for (auto& b : buffers) b.size = (b.size + kAlignment - 1) / kAlignment * kAlignment;
  std::vector<std::vector<int>> chains = in_place_chains(buffers, dag);
  std::vector<BufferLife> units;
  for (const auto& chain : chains) units.push_back(unit_life(buffers, chain));

  std::vector<int> by_index(units.size());
  std::iota(by_index.begin(), by_index.end(), 0);
  auto sorted = [&](std::function<bool(const BufferLife&, const BufferLife&)> before) {
    std::vector<int> order = by_index;
    std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return before(units[x], units[y]); });
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
    std::vector<BufferLife> candidate = units;
    std::vector<int64_t> arena = place_in_order(candidate, h.order, devices, dag);
    int64_t total = std::accumulate(arena.begin(), arena.end(), int64_t{0});
    if (best_total >= 0 && total >= best_total) continue;
    best_total = total;
    for (size_t u = 0; u < chains.size(); ++u) {
      for (int b : chains[u]) buffers[b].offset = candidate[u].offset;
    }
    best.arena_bytes = std::move(arena);
    best.heuristic = h.name;
  }
  if (best_total < 0) best.arena_bytes.assign(devices, 0);
  for (const auto& b : buffers) best.naive_bytes += b.size;
  for (const auto& chain : chains) best.in_place_buffers += static_cast<int>(chain.size()) - 1;
  best.lower_bound_bytes = sequential_lower_bound(units, devices, dag.size());
  best.buffers = std::move(buffers);
  check_memory_plan(best.buffers, best.arena_bytes, dag, value_names);
  return best;
}

}  // namespace graphc
