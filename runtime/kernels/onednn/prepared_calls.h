// PreparedCalls: the oneDNN calls of one session's step, set up once when a
// kernel is bound (Kernel::bind) so that a run only executes them. Each
// call's memory objects are created once and its argument list kept in the
// C API's form: dnnl::primitive::execute would build that list from a map on
// every call. A memory object over a session tensor follows the tensor when
// a caller gives it new storage between runs (follow_tensors).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "graphc/tensor.h"

namespace graphc::onednn {

class PreparedCalls {
 public:
  using Args = std::vector<std::pair<int, dnnl::memory>>;

  /// `scratchpad` (may be empty) is passed to every call.
  explicit PreparedCalls(dnnl::memory scratchpad = {}) : scratchpad_(std::move(scratchpad)) {}

  /// A memory object of layout `desc` over session tensor `tensor`.
  dnnl::memory over_tensor(const dnnl::memory::desc& desc, const Tensor* tensor);
  /// Appends a call of `primitive` (or reorder) with `args`.
  void add(const dnnl::primitive& primitive, Args args);
  /// The number of calls added so far (to run a range of them).
  size_t size() const { return calls_.size(); }

  /// Re-points the memory objects over session tensors that got new storage.
  void follow_tensors();
  /// Executes calls [begin, end) in order on the calling thread's stream,
  /// without waiting for them.
  void execute(size_t begin, size_t end) const;
  /// Every call, then waits for them.
  void execute_all() const;

 private:
  /// A memory object over a session tensor, and the data pointer it holds.
  struct Handle {
    dnnl::memory memory;
    const Tensor* tensor;
    void* data;
  };
  /// One primitive (or reorder) execution.
  struct Call {
    dnnl_primitive_t primitive;
    std::vector<dnnl_exec_arg_t> args;
  };

  dnnl::memory scratchpad_;
  std::vector<Handle> handles_;
  std::vector<dnnl::memory> memories_;  // every memory object a call reads or writes
  std::vector<Call> calls_;             // in the order they run
};

}  // namespace graphc::onednn
