// memory_report / placement_report and their text forms.
#include "tools/graphc/schedule_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>

namespace graphc::cli {

namespace {

/// How many of the largest buffers --memory lists.
constexpr size_t kLargestBuffers = 8;

std::string human_bytes(int64_t bytes) {
  if (bytes >= (1 << 20)) return fmt::format("{:.2f} MiB", static_cast<double>(bytes) / (1 << 20));
  if (bytes >= (1 << 10)) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / (1 << 10));
  return fmt::format("{} B", bytes);
}

}  // namespace

nlohmann::json memory_report(const proto::Module& m, const std::vector<int64_t>& scratch_bytes) {
  nlohmann::json r;
  int64_t arena_total = 0, scratch_total = 0;
  nlohmann::json devices = nlohmann::json::array();
  for (int d = 0; d < m.devices_size(); ++d) {
    int64_t scratch = d < static_cast<int>(scratch_bytes.size()) ? scratch_bytes[d] : 0;
    devices.push_back({{"device", fmt::format("cpu:{}", d)},
                       {"arena_bytes", m.devices(d).arena_bytes()},
                       {"scratch_bytes", scratch}});
    arena_total += m.devices(d).arena_bytes();
    scratch_total += scratch;
  }
  r["devices"] = devices;
  r["arena_bytes"] = arena_total;
  r["scratch_bytes"] = scratch_total;
  r["scratch_source"] =
      "computed when the module was loaded on this machine: oneDNN picks its implementations, and so their "
      "scratchpads, at load; each session allocates this much per device besides its arenas";
  r["lower_bound_bytes"] = m.memory().lower_bound_bytes();
  r["naive_bytes"] = m.memory().naive_bytes();
  r["efficiency"] = arena_total > 0 ? static_cast<double>(m.memory().lower_bound_bytes()) / static_cast<double>(arena_total) : 1.0;
  r["heuristic"] = m.memory().heuristic();
  r["in_place_buffers"] = m.memory().in_place_buffers();
  std::vector<const proto::Buffer*> largest;
  for (const auto& b : m.buffers()) largest.push_back(&b);
  std::sort(largest.begin(), largest.end(), [](const auto* a, const auto* b) { return a->size() > b->size(); });
  largest.resize(std::min(largest.size(), kLargestBuffers));
  nlohmann::json buffers = nlohmann::json::array();
  for (const auto* b : largest) {
    buffers.push_back({{"value", m.values(b->value()).name()}, {"device", fmt::format("cpu:{}", b->device())},
                       {"offset", b->offset()}, {"bytes", b->size()}});
  }
  r["largest_buffers"] = buffers;
  return r;
}

nlohmann::json placement_report(const proto::Module& m) {
  // Longest path through the dependency DAG, weighted by predicted time:
  // steps are listed in a topological order, so one forward pass suffices.
  const int n = m.steps_size();
  std::vector<double> finish(n, 0);
  std::vector<int> via(n, -1);
  int last = -1;
  std::vector<double> busy(std::max(1, m.devices_size()), 0);
  std::vector<int> count(busy.size(), 0);
  int transfers = 0;
  for (int s = 0; s < n; ++s) {
    const proto::Step& step = m.steps(s);
    double start = 0;
    for (int d : step.deps()) {
      if (finish[d] > start) {
        start = finish[d];
        via[s] = d;
      }
    }
    finish[s] = start + step.predicted_us();
    if (last < 0 || finish[s] > finish[last]) last = s;
    busy.at(step.device()) += step.predicted_us();
    ++count.at(step.device());
    transfers += step.op() == "Transfer";
  }
  nlohmann::json path = nlohmann::json::array();
  for (int s = last; s >= 0; s = via[s]) path.insert(path.begin(), m.steps(s).node());
  nlohmann::json devices = nlohmann::json::array();
  for (size_t d = 0; d < busy.size(); ++d) {
    devices.push_back({{"device", fmt::format("cpu:{}", d)},
                       {"cores", static_cast<int>(d) < m.devices_size() ? m.devices(static_cast<int>(d)).cores() : 1},
                       {"steps", count[d]},
                       {"predicted_busy_us", busy[d]}});
  }
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& step : m.steps()) {
    steps.push_back({{"node", step.node()}, {"op", step.op()}, {"device", fmt::format("cpu:{}", step.device())},
                     {"predicted_us", step.predicted_us()}});
  }
  return {{"devices", devices},
          {"transfers", transfers},
          {"critical_path_us", last >= 0 ? finish[last] : 0.0},
          {"critical_path", path},
          {"steps", steps}};
}

void print_memory_report(const nlohmann::json& r) {
  std::cout << "\nmemory:\n";
  for (const auto& d : r["devices"]) {
    std::cout << fmt::format("  arena {}: {} (kernel scratch {})\n", d["device"].get<std::string>(),
                             human_bytes(d["arena_bytes"].get<int64_t>()), human_bytes(d["scratch_bytes"].get<int64_t>()));
  }
  std::cout << fmt::format("  kernel scratch (oneDNN scratchpads, reordered activations) {} in all: {}\n",
                           human_bytes(r["scratch_bytes"].get<int64_t>()), r["scratch_source"].get<std::string>());
  std::cout << fmt::format("  lower bound {} (most bytes live at once), naive {} (no reuse)\n",
                           human_bytes(r["lower_bound_bytes"].get<int64_t>()), human_bytes(r["naive_bytes"].get<int64_t>()));
  std::cout << fmt::format("  efficiency {:.3f} (lower bound / arena), placement order: {}\n",
                           r["efficiency"].get<double>(), r["heuristic"].get<std::string>());
  std::cout << fmt::format("  in place: {} buffers written over an input's buffer\n",
                           r["in_place_buffers"].get<int>());
  std::cout << "  largest buffers:\n";
  for (const auto& b : r["largest_buffers"]) {
    std::cout << fmt::format("    {:<32} {:>10}  {} @ {}\n", b["value"].get<std::string>(),
                             human_bytes(b["bytes"].get<int64_t>()), b["device"].get<std::string>(), b["offset"].get<int64_t>());
  }
}

void print_placement_report(const nlohmann::json& r) {
  std::cout << "\nplacement:\n";
  for (const auto& d : r["devices"]) {
    std::cout << fmt::format("  {} ({} cores): {} steps, predicted busy {:.1f} us\n", d["device"].get<std::string>(),
                             d["cores"].get<int>(), d["steps"].get<int>(), d["predicted_busy_us"].get<double>());
  }
  std::cout << fmt::format("  transfers: {}\n  predicted critical path: {:.1f} us through {} steps:",
                           r["transfers"].get<int>(), r["critical_path_us"].get<double>(), r["critical_path"].size());
  for (const auto& s : r["critical_path"]) std::cout << " " << s.get<std::string>();
  std::cout << "\n";
  for (const auto& s : r["steps"]) {
    std::cout << fmt::format("  {:<28} {:<14} {:<7} {:>10.2f} us\n", s["node"].get<std::string>(), s["op"].get<std::string>(),
                             s["device"].get<std::string>(), s["predicted_us"].get<double>());
  }
}

}  // namespace graphc::cli
