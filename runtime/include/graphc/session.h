// A session runs a loaded module: bind inputs, run(), read outputs.
#pragma once

#include <memory>
#include <string_view>

#include "graphc/module.h"
#include "graphc/tensor.h"

namespace graphc {

/// The per-caller state of running a module: every input, output and
/// intermediate buffer is allocated once when the session is created, so
/// run() allocates nothing. Use one session per thread; sessions of the same
/// module are independent.
class Session {
 public:
  explicit Session(std::shared_ptr<const Module> module);
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

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace graphc
