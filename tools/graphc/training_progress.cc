// TrainingProgress (see training_progress.h).
#include "tools/graphc/training_progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace graphc::cli {

namespace {

constexpr int kBarWidth = 30;

std::string minutes_seconds(double seconds) {
  auto s = static_cast<int64_t>(seconds + 0.5);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

TrainingProgress::TrainingProgress(int epoch, int epochs, int64_t batches)
    : epoch_(epoch), epochs_(epochs), batches_(batches), terminal_(isatty(fileno(stderr)) != 0) {}

double TrainingProgress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string TrainingProgress::line(int64_t done) const {
  double elapsed = seconds();
  double rate = elapsed > 0 ? static_cast<double>(examples_) / elapsed : 0.0;
  double eta = done > 0 ? elapsed * static_cast<double>(batches_ - done) / static_cast<double>(done) : 0.0;
  return fmt::format("epoch {}/{} {}/{} loss {:.4f} {:.0f} ex/s ETA {}", epoch_, epochs_, done, batches_,
                     done > 0 ? loss_sum_ / static_cast<double>(done) : 0.0, rate, minutes_seconds(eta));
}

void TrainingProgress::update(int64_t done, int64_t examples, float loss) {
  examples_ += examples;
  loss_sum_ += loss;
  auto now = std::chrono::steady_clock::now();
  if (terminal_) {
    if (done != batches_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    int filled = static_cast<int>(kBarWidth * done / std::max<int64_t>(batches_, 1));
    std::string bar = std::string(static_cast<size_t>(filled), '#') + std::string(static_cast<size_t>(kBarWidth - filled), '.');
    fmt::print(stderr, "\r[{}] {}\x1b[K", bar, line(done));
    std::fflush(stderr);
    return;
  }
  if (done >= next_plain_line_ || done == batches_) {
    fmt::print(stderr, "{}\n", line(done));
    next_plain_line_ = done + std::max<int64_t>(batches_ / 10, 1);
  }
}

std::string TrainingProgress::finish() {
  if (terminal_) fmt::print(stderr, "\n");
  double elapsed = seconds();
  return fmt::format("train loss {:.4f}, {:.1f} s ({:.0f} ex/s)",
                     loss_sum_ / static_cast<double>(std::max<int64_t>(batches_, 1)), elapsed,
                     elapsed > 0 ? static_cast<double>(examples_) / elapsed : 0.0);
}

}  // namespace graphc::cli
