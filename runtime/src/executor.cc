// Executor: pending counts, per-device ready queues and worker threads.
#include "runtime/src/executor.h"

#include <omp.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "graphc/error.h"

namespace graphc {

Executor::Executor(const Module::Impl& module, const std::vector<std::vector<const Tensor*>>& inputs,
                   const std::vector<std::vector<Tensor*>>& outputs,
                   const std::vector<std::unique_ptr<BoundKernel>>& bound, ExecutorOptions options)
    : module_(module),
      inputs_(inputs),
      outputs_(outputs),
      bound_(bound),
      poison_(options.poison_dead_values),
      check_numerics_(options.check_numerics) {
  const size_t n = module.steps.size();
  const size_t devices = module.device_cores.size();
  pending_ = std::make_unique<std::atomic<int>[]>(n);
  std::vector<size_t> per_device(devices, 0);
  for (const auto& s : module.steps) ++per_device[s.device];
  for (size_t d = 0; d < devices; ++d) {
    queues_.push_back(std::make_unique<DeviceQueue>());
    queues_.back()->ring.resize(per_device[d]);
  }
  readers_.assign(module.value_types.size(), 0);
  for (const auto& s : module.steps) {
    for (int id : s.inputs) ++readers_[id];
  }
  readers_left_ = std::make_unique<std::atomic<int>[]>(readers_.size());
  for (size_t d = 1; d < devices; ++d) workers_.emplace_back([this, d] { worker_main(static_cast<int>(d)); });
}

Executor::~Executor() {
  {
    std::lock_guard<std::mutex> lock(run_mutex_);
    shutdown_ = true;
  }
  run_start_.notify_all();
  for (auto& w : workers_) w.join();
}

void Executor::run() {
  const size_t n = module_.steps.size();
  failed_ = false;
  error_ = nullptr;
  for (size_t v = 0; v < readers_.size(); ++v) readers_left_[v].store(readers_[v], std::memory_order_relaxed);
  int previous_threads = omp_get_max_threads();
  omp_set_num_threads(module_.device_cores[0]);
  if (workers_.empty()) {
    run_sequential();
  } else {
    for (size_t i = 0; i < n; ++i) pending_[i].store(module_.steps[i].dependency_count, std::memory_order_relaxed);
    remaining_.store(static_cast<int>(n), std::memory_order_relaxed);
    for (int s : module_.initial_steps) push(s);
    {
      std::lock_guard<std::mutex> lock(run_mutex_);
      ++generation_;
    }
    run_start_.notify_all();
    work(0);
    // Workers may still be finishing their last step's bookkeeping.
    while (remaining_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
  }
  omp_set_num_threads(previous_threads);
  if (error_) std::rethrow_exception(error_);
}

void Executor::run_sequential() {
  // One device: the dependencies chain every step to the previous one, so the
  // listed order is the only order; no counters or queues are needed.
  for (size_t i = 0; i < module_.steps.size() && !failed_; ++i) {
    run_step(static_cast<int>(i));
    if (poison_) poison_after(static_cast<int>(i));
  }
}

void Executor::run_step(int step) {
  if (failed_.load(std::memory_order_relaxed)) return;
  const LoadedStep& s = module_.steps[step];
  try {
    if (BoundKernel* bound = bound_[step].get()) {
      bound->run();
    } else {
      s.kernel->run(inputs_[step], outputs_[step]);
    }
    if (check_numerics_) check_numerics(step);
  } catch (...) {
    std::exception_ptr e = std::current_exception();
    try {
      throw;
    } catch (const Error&) {
    } catch (const std::exception& ex) {
      e = std::make_exception_ptr(Error::at_node(s.node, s.op, ex.what()));
    }
    std::lock_guard<std::mutex> lock(error_mutex_);
    if (!error_) error_ = e;
    failed_.store(true, std::memory_order_relaxed);
  }
}

void Executor::check_numerics(int step) const {
  const LoadedStep& s = module_.steps[step];
  for (size_t i = 0; i < s.outputs.size(); ++i) {
    const Tensor& t = *outputs_[step][i];
    if (t.dtype() != DType::f32) continue;
    const float* data = t.data<float>();
    for (int64_t k = 0; k < t.num_elements(); ++k) {
      if (std::isfinite(data[k])) continue;
      throw Error::at_node(s.node, s.op,
                           fmt::format("output {} ('{}') holds {} at element {} (--check-numerics: the first step "
                                       "to produce a non-finite value)",
                                       i, module_.proto.values(s.outputs[i]).name(), data[k], k));
    }
  }
}

void Executor::poison_after(int step) {
  const LoadedStep& s = module_.steps[step];
  auto poison_value = [&](int id) {
    if (module_.placements[id].kind != ValuePlacement::Kind::arena) return;
    Tensor* t = nullptr;
    for (size_t i = 0; i < s.inputs.size(); ++i) {
      if (s.inputs[i] == id) t = const_cast<Tensor*>(inputs_[step][i]);
    }
    for (size_t i = 0; i < s.outputs.size(); ++i) {
      if (s.outputs[i] == id) t = outputs_[step][i];
    }
    std::memset(t->raw_data(), 0xFF, t->byte_size());
  };
  // An input whose bytes an output of this step took over in place is dead,
  // but its bytes now hold that output.
  auto taken_over = [&](int id) {
    const ValuePlacement& in = module_.placements[id];
    if (in.kind != ValuePlacement::Kind::arena) return false;
    return std::any_of(s.outputs.begin(), s.outputs.end(), [&](int out) {
      const ValuePlacement& p = module_.placements[out];
      return p.kind == ValuePlacement::Kind::arena && p.device == in.device && p.offset == in.offset;
    });
  };
  for (int id : s.inputs) {
    if (readers_left_[id].fetch_sub(1, std::memory_order_acq_rel) == 1 && !taken_over(id)) poison_value(id);
  }
  for (int id : s.outputs) {
    if (readers_[id] == 0) poison_value(id);
  }
}

int Executor::finish(int step) {
  if (poison_) poison_after(step);
  int inline_next = -1;
  for (int next : module_.steps[step].successors) {
    if (pending_[next].fetch_sub(1, std::memory_order_acq_rel) != 1) continue;
    // One cheap successor continues on this thread (a loop in run_from, not
    // recursion, so long chains of tiny steps cannot overflow the stack).
    if (inline_next < 0 && module_.steps[next].inline_ok) {
      inline_next = next;
    } else {
      push(next);
    }
  }
  if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    // The run is over: wake every worker blocked on an empty queue.
    for (auto& q : queues_) {
      std::lock_guard<std::mutex> lock(q->mutex);
      q->ready.notify_all();
    }
  }
  return inline_next;
}

void Executor::run_from(int step) {
  while (step >= 0) {
    run_step(step);
    step = finish(step);
  }
}

void Executor::push(int step) {
  DeviceQueue& q = *queues_[module_.steps[step].device];
  {
    std::lock_guard<std::mutex> lock(q.mutex);
    q.ring[(q.head + q.size) % q.ring.size()] = step;
    ++q.size;
  }
  q.ready.notify_one();
}

void Executor::work(int device) {
  DeviceQueue& q = *queues_[device];
  while (true) {
    int step;
    {
      std::unique_lock<std::mutex> lock(q.mutex);
      q.ready.wait(lock, [&] { return q.size > 0 || remaining_.load(std::memory_order_acquire) == 0; });
      if (q.size == 0) return;
      step = q.ring[q.head];
      q.head = (q.head + 1) % q.ring.size();
      --q.size;
    }
    run_from(step);
  }
}

void Executor::worker_main(int device) {
  omp_set_num_threads(module_.device_cores[device]);
  uint64_t seen = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(run_mutex_);
      run_start_.wait(lock, [&] { return shutdown_ || generation_ != seen; });
      if (shutdown_) return;
      seen = generation_;
    }
    work(device);
  }
}

}  // namespace graphc
