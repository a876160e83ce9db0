// A session runs a loaded module: bind inputs, run(), read outputs.
#pragma once

#include <memory>
#include <string_view>

#include "graphc/module.h"
#include "graphc/tensor.h"
#include "graphc/variables.h"

namespace graphc {

struct SessionOptions {
  /// Debug mode: fill each arena buffer with 0xFF bytes (NaN for floats) as
  /// soon as its last reader has run, so a memory-planning bug shows up as
  /// NaNs in the outputs instead of silently wrong numbers.
  bool poison_freed_buffers = false;
  /// Debug mode: after each step, check its f32 outputs for NaN and Inf;
  /// run() then throws graphc::Error naming the first node that made one.
  bool check_numerics = false;
  /// For modules with mutable Variables (training modules and their
  /// inference entry points): the store their Variables live in, shared
  /// with other sessions. Null: the session keeps a store of its own,
  /// initialised from the module.
  std::shared_ptr<VariableStore> variables;
};

/// The per-caller state of running a module: its activation arenas (one per
/// device, laid out by the compiler's memory plan), its input and output
/// buffers and its executor threads, all created once with the session, so
/// run() allocates nothing. Use one session per thread; any number of
/// sessions of one module may run at the same time.
class Session {
 public:
  explicit Session(std::shared_ptr<const Module> module, SessionOptions options = {});
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  /// The preallocated buffer of input `name`: fill it in place, no copy.
  Tensor& input(std::string_view name);
  /// Copies `value` into input `name`; throws graphc::Error on a dtype or
  /// shape mismatch, naming the input.
  void set_input(std::string_view name, const Tensor& value);

  /// Runs every step. Kernel errors are thrown as graphc::Error naming the node.
  void run();

  /// Output `name` of the last run(); valid until the next run().
  const Tensor& output(std::string_view name) const;

  const Module& module() const;
  /// The store of this session's mutable Variables (null for modules whose
  /// Variables are constants).
  const std::shared_ptr<VariableStore>& variables() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace graphc
