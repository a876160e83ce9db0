// The happens-before relation of a module's steps.
//
// Step b happens before step a when a path of dependency edges leads from b
// to a. The executor may run any two steps not so ordered at the same time,
// so memory safety is decided by this relation, never by the listed order.
// Reachability is kept as one bitset per step (n²/8 bytes: 1 MiB for 3000
// steps), built in one pass over the steps in their listed order, which
// must be topological (every dependency listed earlier).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace graphc {

class StepDag {
 public:
  /// `deps[s]` lists the steps s waits for; each must be < s.
  /// Throws graphc::Error naming the step index otherwise.
  explicit StepDag(const std::vector<std::vector<int>>& deps);

  int size() const { return n_; }
  /// True when `before` finishes before `after` starts in every execution.
  bool happens_before(int before, int after) const {
    return (reach_[static_cast<size_t>(after) * words_ + before / 64] >> (before % 64)) & 1;
  }

 private:
  int n_;
  size_t words_;
  std::vector<uint64_t> reach_;  // row s: the steps that happen before s
};

}  // namespace graphc
