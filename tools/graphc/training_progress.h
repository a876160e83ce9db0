// Progress of a `graphc train` epoch: a bar redrawn in place on a terminal,
// plain lines (about every tenth of the epoch) when stderr is not one.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace graphc::cli {

class TrainingProgress {
 public:
  TrainingProgress(int epoch, int epochs, int64_t batches);

  /// After batch `done` (1-based) of `examples` examples with loss `loss`.
  void update(int64_t done, int64_t examples, float loss);
  /// Ends the bar; returns the epoch's mean loss and throughput as text.
  std::string finish();
  double seconds() const;

 private:
  std::string line(int64_t done) const;

  int epoch_, epochs_;
  int64_t batches_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
  int64_t examples_ = 0;
  double loss_sum_ = 0;
  int64_t next_plain_line_ = 0;
};

}  // namespace graphc::cli
