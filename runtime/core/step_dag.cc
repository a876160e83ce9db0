// StepDag: transitive closure of the dependency edges as bitsets.
#include "runtime/core/step_dag.h"

#include <fmt/format.h>

#include "graphc/error.h"

namespace graphc {

StepDag::StepDag(const std::vector<std::vector<int>>& deps)
    : n_(static_cast<int>(deps.size())), words_((deps.size() + 63) / 64), reach_(deps.size() * words_, 0) {
  for (int s = 0; s < n_; ++s) {
    uint64_t* row = &reach_[static_cast<size_t>(s) * words_];
    for (int d : deps[s]) {
      if (d < 0 || d >= s) {
        throw Error(fmt::format("step {}", s), fmt::format("depends on step {}, which is not listed before it", d));
      }
      const uint64_t* dep_row = &reach_[static_cast<size_t>(d) * words_];
      for (size_t w = 0; w < words_; ++w) row[w] |= dep_row[w];
      row[d / 64] |= uint64_t{1} << (d % 64);
    }
  }
}

}  // namespace graphc
