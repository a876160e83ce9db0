// PrimitiveKernel: a graphc Kernel that runs one oneDNN primitive (or a
// short chain of them), and the pieces every oneDNN kernel factory shares.
//
// Creation (at module load, once per step): a factory builds the primitive
// descriptor from the step's static types, then binds each primitive
// argument to a kernel input or output. Where the primitive wants another
// memory layout than the tensor's plain C order (a blocked format chosen with
// `format_tag::any`), the binding gets a reorder: done once at load for a
// constant input (weights), per run otherwise.
//
// A chain: some ops need a primitive that prepares what the main one reads
// (MaxPoolGrad runs the forward pooling to get the workspace that says
// which tap won each window). then() appends a primitive; an argument one
// primitive writes and a later one reads is bound to an *intermediate
// buffer* in the scratch block (bind_new_buffer, bind_buffer). The
// primitives run in order on one stream.
//
// Scratch memory, sessions and threads. run() is const and one kernel
// serves every session of its module, on any thread, so nothing a run
// writes may live in the kernel. Its per-run memory is one *scratch block*
// of scratch_bytes() bytes, laid out at creation: the buffers of reordered
// inputs and outputs and the intermediate buffers, each at a fixed, 64-byte
// aligned offset, followed by the scratchpad (scratchpad_mode::user, shared
// by the primitives and the reorders, which run one after another).
// The block is planned memory: Module::load sizes each device's scratch
// region from its steps' scratch_bytes() (runtime/core/scratch_plan.h: no
// two steps that may run at the same time share bytes), each session
// allocates its own regions, and binds every step once (bind(): oneDNN
// memory objects over the step's tensors and its block, and each call's
// argument list), so a run executes the prepared calls through oneDNN's C
// API and allocates nothing of its own. A bound memory object follows a
// session tensor that was given new storage between runs (set_data_handle).
// The oneDNN stream is per thread (created on a thread's first run).
// run(inputs, outputs) is the unplanned path for tests and other direct
// callers: it binds over a block allocated for the call.
//
// Every oneDNN call that fails at creation (no implementation for these
// descriptors) becomes KernelUnavailable, so the runtime falls back to the
// reference kernel instead of failing.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "runtime/core/kernel.h"
#include "runtime/kernels/onednn/scratch_layout.h"

namespace graphc::onednn {

/// The process's CPU engine, created on first use.
const dnnl::engine& cpu_engine();

/// The calling thread's oneDNN stream on cpu_engine().
dnnl::stream& thread_stream();

/// f32 memory descriptor of a dense C-order tensor of `dims`; a scalar is [1].
dnnl::memory::desc plain_desc(const Shape& dims);

/// f32 memory descriptor with explicit strides (in elements).
dnnl::memory::desc strided_desc(const Shape& dims, const Shape& strides);

/// f32 memory descriptor of a tensor of `dims` stored in `layout`.
dnnl::memory::desc stored_desc(const Shape& dims, Layout layout);

/// stored_desc of input / output `index` of `spec`, in its layout.
dnnl::memory::desc stored_input(const KernelSpec& spec, size_t index);
dnnl::memory::desc stored_output(const KernelSpec& spec, size_t index);

/// f32 memory descriptor of `dims` whose layout the primitive chooses.
dnnl::memory::desc any_desc(const Shape& dims);

/// Primitive attributes with a user-provided scratchpad.
dnnl::primitive_attr scratchpad_attr();

/// [[noreturn]] KernelUnavailable with `reason`.
[[noreturn]] void unavailable(const std::string& reason);

/// Throws KernelUnavailable unless every input and output of `spec` is f32
/// and non-empty (oneDNN kernels here are f32 only; empty tensors are left to
/// the reference kernels).
void expect_f32_nonempty(const KernelSpec& spec);

/// spec.constants[index], or null when the input is not a known constant.
const Tensor* constant_input(const KernelSpec& spec, size_t index);

/// KernelUnavailable for a oneDNN error while creating `what`.
[[noreturn]] void unavailable(const char* what, const dnnl::error& e);

/// The primitive descriptor of `Primitive` for the descriptor make_desc()
/// returns, with `attr` (which must include scratchpad_attr()'s mode) on
/// cpu_engine(); a backward primitive passes its forward primitive
/// descriptor as `hint`. A oneDNN error (the descriptors are inconsistent,
/// or no implementation serves them) becomes KernelUnavailable naming `what`.
template <class Primitive, class MakeDesc, class... Hint>
typename Primitive::primitive_desc make_primitive_desc_with(const char* what, const dnnl::primitive_attr& attr,
                                                            MakeDesc make_desc, const Hint&... hint) {
  static_assert(sizeof...(Hint) <= 1, "at most one forward primitive descriptor as a hint");
  try {
    return typename Primitive::primitive_desc(make_desc(), attr, cpu_engine(), hint...);
  } catch (const dnnl::error& e) {
    unavailable(what, e);
  }
}

/// make_primitive_desc_with(what, scratchpad_attr(), ...).
template <class Primitive, class MakeDesc, class... Hint>
typename Primitive::primitive_desc make_primitive_desc(const char* what, MakeDesc make_desc, const Hint&... hint) {
  return make_primitive_desc_with<Primitive>(what, scratchpad_attr(), make_desc, hint...);
}

/// A kernel that runs one oneDNN primitive, or a chain of them.
class PrimitiveKernel final : public Kernel {
 public:
  /// `pd` must have been created with scratchpad_attr().
  explicit PrimitiveKernel(const dnnl::primitive_desc& pd);

  /// Appends primitive `pd` (created with scratchpad_attr()), which runs
  /// after the ones before it; the bind calls that follow bind its arguments.
  void then(const dnnl::primitive_desc& pd);

  /// Binds argument `arg` (DNNL_ARG_SRC, ...) of the last primitive to kernel
  /// input `index`, stored as `stored`. A constant (spec.constants[index])
  /// that needs a reorder is reordered here, once.
  void bind_input(int arg, size_t index, const dnnl::memory::desc& stored, const Tensor* constant = nullptr);
  /// Binds argument `arg` of the last primitive to kernel output `index`, stored as `stored`.
  void bind_output(int arg, size_t index, const dnnl::memory::desc& stored);
  /// Before the last primitive runs, copies kernel input `index` (stored as
  /// `stored`) into its destination (DNNL_ARG_DST, bound with bind_output),
  /// for a `sum` post-op to accumulate onto.
  void bind_accumulator(size_t index, const dnnl::memory::desc& stored);
  /// Binds argument `arg` of the last primitive to a new intermediate buffer
  /// in the layout the primitive wants; returns the buffer, for bind_buffer.
  size_t bind_new_buffer(int arg);
  /// Binds argument `arg` of the last primitive to intermediate buffer
  /// `buffer`, which an earlier primitive writes. Throws KernelUnavailable
  /// when the primitive wants another layout than the buffer's.
  void bind_buffer(int arg, size_t buffer);

  /// Bytes of per-run scratch memory: the buffers, then the scratchpad.
  size_t scratch_bytes() const override;

  /// Memory objects over the step's tensors and scratch block, and the
  /// argument lists of every primitive and reorder, for one session.
  std::unique_ptr<BoundKernel> bind(const KernelBinding& binding) const override;
  /// bind() over a scratch block allocated for this call, then run.
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs) const override;

 private:
  /// How a primitive argument meets its tensor.
  struct Binding {
    int arg = 0;
    size_t index = 0;           // kernel input or output
    dnnl::memory::desc stored;  // the tensor as it is in memory
    dnnl::memory::desc wanted;  // what the primitive reads or writes
    std::optional<dnnl::reorder> reorder = {};  // stored <-> wanted, when they differ
    size_t scratch_offset = 0;                  // of the reordered copy, when it is per run
    std::shared_ptr<std::byte> prepared = {};   // the reordered constant, when done at load
  };

  /// An intermediate buffer: memory in the scratch block one primitive of
  /// the chain writes and a later one reads.
  struct Buffer {
    dnnl::memory::desc desc;
    size_t scratch_offset = 0;
  };

  /// A kernel input copied into a primitive's destination before it runs.
  struct Accumulator {
    size_t index = 0;
    dnnl::memory::desc stored;
    dnnl::reorder copy;  // stored -> the destination's layout
  };

  /// One primitive of the chain and its arguments.
  struct Stage {
    dnnl::primitive_desc pd;
    dnnl::primitive primitive;
    std::vector<Binding> inputs;
    std::vector<Binding> outputs;
    std::vector<std::pair<int, size_t>> buffers;  // argument, index in buffers_
    std::optional<Accumulator> accumulator = {};
  };

  /// The layout the last primitive wants for argument `arg`.
  dnnl::memory::desc wanted(int arg) const;

  std::vector<Stage> stages_;    // in the order they run
  std::vector<Buffer> buffers_;  // the intermediate buffers
  ScratchLayout scratch_;        // reorder and intermediate buffers, then the shared scratchpad
};

}  // namespace graphc::onednn
