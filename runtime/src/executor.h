// The dataflow executor of a session: runs a module's steps on its devices.
#pragma once

#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "graphc/tensor.h"
#include "runtime/src/module_impl.h"

namespace graphc {

struct ExecutorOptions {
  /// Fill arena values with 0xFF once their last reader ran (SessionOptions).
  bool poison_dead_values = false;
  /// Check every step's f32 outputs for NaN/Inf (SessionOptions).
  bool check_numerics = false;
};

/// Runs the steps of one module over the values of one session.
///
/// Every step has a pending count (its dependencies); a finished step
/// decrements its successors', and one that reaches zero is pushed onto its
/// device's ready queue, or run at once on the finishing thread when it is
/// cheap. Each device has a worker thread (device 0's is the thread calling
/// run()) whose OpenMP team is bounded to the device's cores. All state is
/// allocated at construction: run() allocates nothing and does O(steps) work
/// beyond the kernels (resetting counters). A kernel error stops the run:
/// no further kernel starts, the remaining steps drain, and run() rethrows
/// the first error.
class Executor {
 public:
  /// `inputs[s]` / `outputs[s]` are step s's argument lists and `bound[s]`
  /// its kernel bound to them and to its scratch, or null when the kernel
  /// runs on the argument lists alone (all session-owned).
  Executor(const Module::Impl& module, const std::vector<std::vector<const Tensor*>>& inputs,
           const std::vector<std::vector<Tensor*>>& outputs, const std::vector<std::unique_ptr<BoundKernel>>& bound,
           ExecutorOptions options);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  void run();

 private:
  struct DeviceQueue {
    std::mutex mutex;
    std::condition_variable ready;
    std::vector<int> ring;  // capacity: the device's step count
    size_t head = 0, size = 0;
  };

  void run_sequential();
  void run_step(int step);
  /// Bookkeeping after a step: returns a successor to run next on this
  /// thread, or -1.
  int finish(int step);
  void run_from(int step);
  void push(int step);
  void work(int device);
  void worker_main(int device);
  void poison_after(int step);
  void check_numerics(int step) const;

  const Module::Impl& module_;
  const std::vector<std::vector<const Tensor*>>& inputs_;
  const std::vector<std::vector<Tensor*>>& outputs_;
  const std::vector<std::unique_ptr<BoundKernel>>& bound_;
  std::unique_ptr<std::atomic<int>[]> pending_;
  std::vector<std::unique_ptr<DeviceQueue>> queues_;
  std::atomic<int> remaining_{0};
  std::atomic<bool> failed_{false};
  std::mutex error_mutex_;
  std::exception_ptr error_;

  // Debug mode: arena values are filled with 0xFF once their last reader ran.
  bool poison_ = false;
  bool check_numerics_ = false;
  std::unique_ptr<std::atomic<int>[]> readers_left_;
  std::vector<int> readers_;  // per value: how many step inputs read it

  // Workers of devices 1.. wait for a new run (generation_ changes) or shutdown.
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;
  std::condition_variable run_start_;
  uint64_t generation_ = 0;
  bool shutdown_ = false;
};

}  // namespace graphc
